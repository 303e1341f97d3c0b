"""Hot spots (热点发现): the problems of a community that keep coming back, found in its requests.

Pure computation on plain data (no database, no Telegram); :mod:`bot.services.topics` feeds it
and acts on the result. For the topics of month M (computed at the start of M, from what came
before it):

- *voices* are requests (not cancelled) and the neighbours who said "me too" on them, each
  counted when it happened;
- a *cluster* is the requests of one category, or the requests whose descriptions share a key
  term (a term whose requests mostly have a bigger term too joins its cluster, which then
  also takes requests with two of its terms; it is named by its two most common terms);
- *recent* counts the last 30 days before M, *quarter* the last 90, *before* the 90 days
  before those (the months before), per 30 days;
- a cluster qualifies when its recent voices reach ``min_recent``, or when it kept coming
  back: at least ``min_recent`` in the quarter with voices in each of its three months;
- its score is recent + (quarter - recent) / 2; the trend compares recent with before;
- clusters are taken best first, up to ``limit``, skipping one that mostly repeats a cluster
  already taken (a category cluster counts only its requests no term cluster took);
- where: the compound holding three quarters of its requests, else the community.

Pre-emptive tasks for month M+1: clusters of the same month last year with at least
``min_seasonal`` requests and at least three times their monthly average over the rest of
that year (a seasonal problem, not a constant one).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from storage.repos.topics import Filed

__all__ = [
    "Cluster",
    "Finding",
    "MonthWindows",
    "find_monthly",
    "find_seasonal",
    "month_start",
    "next_month",
]

RECENT = timedelta(days=30)
QUARTER = timedelta(days=90)
MERGE_OVERLAP = 0.6  # terms whose request sets overlap this much are one problem
REPEAT_OVERLAP = 0.5  # a cluster sharing this much with one taken is the same topic
LABEL_SHARE = 0.4  # a second term names the cluster when this share of it uses it
WHERE_SHARE = 0.75  # a compound holding this share of the requests is where it is
EXAMPLES = 3
MIN_TERM_REQUESTS = 3


def month_start(month: date, tz: tzinfo) -> datetime:
    """Local midnight of the first day of ``month``, in UTC."""
    return datetime.combine(month.replace(day=1), time(), tz).astimezone(UTC)


def next_month(month: date, step: int = 1) -> date:
    index = month.year * 12 + month.month - 1 + step
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class MonthWindows:
    """The windows of the analysis for month M (local months, as UTC instants)."""

    start: datetime  # the start of M: everything counted is before it
    tz: tzinfo

    @property
    def recent(self) -> tuple[datetime, datetime]:
        return self.start - RECENT, self.start

    @property
    def quarter(self) -> tuple[datetime, datetime]:
        return self.start - QUARTER, self.start

    @property
    def before(self) -> tuple[datetime, datetime]:
        return self.start - 2 * QUARTER, self.start - QUARTER

    def last_year(self) -> tuple[datetime, datetime]:
        """Next month (M+1), one year earlier."""
        local = self.start.astimezone(self.tz).date()
        first = next_month(local, 1 - 12)
        return month_start(first, self.tz), month_start(next_month(first), self.tz)


@dataclass(frozen=True)
class Cluster:
    """Requests that are about the same thing."""

    signature: str  # 'c:<category code>' or 't:<term>+<term>'
    terms: tuple[str, ...]  # naming terms (none for a category cluster)
    category_id: int | None  # the category (for a term cluster: the most common one)
    request_ids: frozenset[int]


@dataclass(frozen=True)
class Finding:
    """A qualifying cluster with its evidence."""

    cluster: Cluster
    score: float
    scope_id: int  # a compound, or the community
    evidence: dict[str, object] = field(default_factory=dict)


def _voices(filed: Iterable[Filed], start: datetime, end: datetime) -> tuple[int, int]:
    """(requests filed, "me too"s said) in [start, end)."""
    requests = supports = 0
    for item in filed:
        requests += start <= item.created_at < end
        supports += sum(start <= at < end for at in item.supporters)
    return requests, supports


def _overlap(a: frozenset[int], b: frozenset[int]) -> float:
    """How much of the smaller set the other holds."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def term_clusters(
    filed: list[Filed], terms: dict[int, set[str]], min_requests: int = MIN_TERM_REQUESTS
) -> list[Cluster]:
    """Clusters of requests sharing key terms, biggest first."""
    by_term: dict[str, set[int]] = {}
    for item in filed:
        for term in terms.get(item.id, ()):
            by_term.setdefault(term, set()).add(item.id)
    candidates = sorted(
        ((term, frozenset(ids)) for term, ids in by_term.items() if len(ids) >= min_requests),
        key=lambda c: (-len(c[1]), c[0]),
    )
    groups: list[tuple[list[str], set[int]]] = []
    for term, ids in candidates:
        for names, members in groups:
            if _overlap(ids, frozenset(by_term[names[0]])) >= MERGE_OVERLAP:
                names.append(term)
                # A request joins through a second term only when it has two of the group's:
                # "水表箱门坏了" shares 故障 with the lifts, but is not about them.
                members |= {i for i in ids if len(terms[i] & set(names)) >= 2}
                break
        else:
            groups.append(([term], set(ids)))
    categories = {item.id: item.category_id for item in filed}
    out = []
    for names, members in groups:
        share = Counter(t for rid in members for t in terms.get(rid, ()) if t in names)
        named = [t for t, n in share.most_common() if n >= LABEL_SHARE * len(members)][:2]
        label = tuple(named or names[:1])
        category = Counter(categories[rid] for rid in members).most_common(1)[0][0]
        out.append(Cluster("t:" + "+".join(label), label, category, frozenset(members)))
    return out


def category_clusters(filed: list[Filed], codes: dict[int, str], skip: set[int]) -> list[Cluster]:
    """One cluster per category (not those in ``skip``, e.g. opinions)."""
    by_category: dict[int, set[int]] = {}
    for item in filed:
        if item.category_id not in skip and item.category_id in codes:
            by_category.setdefault(item.category_id, set()).add(item.id)
    return [
        Cluster(f"c:{codes[cid]}", (), cid, frozenset(ids))
        for cid, ids in sorted(by_category.items(), key=lambda c: (-len(c[1]), c[0]))
    ]


def _where(items: list[Filed], community_id: int) -> tuple[int, list[tuple[int, int]]]:
    counts = Counter(item.compound_id for item in items)
    total = sum(counts.values())
    spread = sorted(counts.items(), key=lambda c: (-c[1], c[0]))
    top, n = spread[0]
    return (top if n >= WHERE_SHARE * total else community_id), spread


def _examples(items: list[Filed], start: datetime, end: datetime) -> list[list[object]]:
    inside = [i for i in items if start <= i.created_at < end] or items
    inside.sort(key=lambda i: (-len(i.supporters), -i.created_at.timestamp()))
    return [[i.number, i.description[:60]] for i in inside[:EXAMPLES]]


def _trend(recent: int, before_per_month: float) -> str:
    if recent > 1.5 * before_per_month + 1:
        return "rising"
    if recent < 0.5 * before_per_month:
        return "falling"
    return "steady"


def find_monthly(
    filed: list[Filed],
    clusters: list[Cluster],
    windows: MonthWindows,
    *,
    community_id: int,
    min_recent: int,
    limit: int,
) -> list[Finding]:
    """The month's topics of a community, best first (see the module's description).

    ``clusters`` are its term clusters first, then its category clusters.
    """
    by_id = {item.id: item for item in filed}
    taken: list[Finding] = []
    covered: set[int] = set()
    scored: list[Finding] = []
    for cluster in clusters:
        ids = cluster.request_ids
        if cluster.signature.startswith("c:"):
            ids = frozenset(ids - covered)  # what no term cluster explained
        items = [by_id[i] for i in ids]
        recent, recent_support = _voices(items, *windows.recent)
        quarter, quarter_support = _voices(items, *windows.quarter)
        before = sum(_voices(items, *windows.before)) / 3
        n30, n90 = recent + recent_support, quarter + quarter_support
        months = [
            sum(_voices(items, windows.start - RECENT * (k + 1), windows.start - RECENT * k))
            for k in range(3)
        ]
        recurring = n90 >= min_recent and all(m >= 2 for m in months)
        if n30 < min_recent and not recurring:
            continue
        in_quarter = [i for i in items if windows.quarter[0] <= i.created_at < windows.start]
        scope, spread = _where(in_quarter or items, community_id)
        finding = Finding(
            cluster=Cluster(cluster.signature, cluster.terms, cluster.category_id, ids),
            score=n30 + (n90 - n30) / 2,
            scope_id=scope,
            evidence={
                "recent": recent,
                "recent_support": recent_support,
                "quarter": quarter,
                "quarter_support": quarter_support,
                "before_per_month": round(before, 1),
                "trend": _trend(n30, before),
                "where": [[unit_id, n] for unit_id, n in spread],
                "examples": _examples(items, *windows.recent),
            },
        )
        if not cluster.signature.startswith("c:"):
            covered |= cluster.request_ids
        scored.append(finding)
    for finding in sorted(scored, key=lambda f: (-f.score, f.cluster.signature)):
        if any(
            _overlap(finding.cluster.request_ids, t.cluster.request_ids) >= REPEAT_OVERLAP
            for t in taken
        ):
            continue
        taken.append(finding)
        if len(taken) == limit:
            break
    return taken


def find_seasonal(
    filed: list[Filed],
    clusters: list[Cluster],
    windows: MonthWindows,
    *,
    community_id: int,
    min_seasonal: int,
    limit: int,
    known: Callable[[str], bool] = lambda _signature: False,
) -> list[Finding]:
    """Pre-emptive tasks for next month: last year's seasonal problems of that month.

    ``clusters`` come from last year's month; ``known`` says a problem is already proposed
    (as this month's topic) and needs no second card.
    """
    first, last = windows.last_year()
    year_start, year_end = first - timedelta(days=183), last + timedelta(days=183)
    by_id = {item.id: item for item in filed}
    found: list[Finding] = []
    taken: list[frozenset[int]] = []
    for cluster in clusters:
        if known(cluster.signature):
            continue
        items = [by_id[i] for i in cluster.request_ids]
        in_month = [i for i in items if first <= i.created_at < last]
        if len(in_month) < min_seasonal:
            continue
        month_ids = {i.id for i in in_month}
        rest = [
            i for i in items if year_start <= i.created_at < year_end and i.id not in month_ids
        ]
        other_months = max(1.0, ((year_end - year_start) - (last - first)).days / 30.4)
        average = len(rest) / other_months
        if len(in_month) < 3 * average:
            continue
        ids = frozenset(month_ids)
        if any(_overlap(ids, t) >= REPEAT_OVERLAP for t in taken):
            continue
        scope, spread = _where(in_month, community_id)
        local = first.astimezone(windows.tz).date()
        found.append(
            Finding(
                cluster=Cluster(cluster.signature, cluster.terms, cluster.category_id, ids),
                score=float(len(in_month)),
                scope_id=scope,
                evidence={
                    "last_year": len(in_month),
                    "last_year_month": f"{local:%Y-%m}",
                    "other_per_month": round(average, 1),
                    "where": [[unit_id, n] for unit_id, n in spread],
                    "examples": _examples(in_month, first, last),
                },
            )
        )
        taken.append(ids)
    found.sort(key=lambda f: (-f.score, f.cluster.signature))
    return found[:limit]
