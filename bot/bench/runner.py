"""``gridbot bench``: Gridbot at district scale, through the HTTP emulator (long polling).

Scenarios: ``intake`` (N residents file a request at the same time; Gridbot against a minimal
echo bot on the same emulator and processor), ``accept-storm`` (members press Accept on many
cards at once), ``sweep`` (one deadline sweep on databases of 10k, 100k and 1M requests),
``broadcast`` (10,000 recipients under the emulator's flood limits, sped up), ``memory`` (the
bot's peak RSS while serving ``intake`` with 100k people and 1M requests stored), ``failover``
(two bot processes, the active one killed mid-intake: :mod:`bot.bench.failover`). With
``--store postgresql://...`` every scenario runs on PostgreSQL. Results are
printed as a table and written to ``bench/results/<scenario>.json`` with the machine.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import logging
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.clock import SystemClock
from bot.config import load_config
from bot.emulator.core import Emulator, FloodLimits
from bot.emulator.http import EmulatorServer
from bot.i18n import I18n
from bot.messages import OutMessage
from bot.models import Role
from bot.outbox import Notifier
from bot.sandbox import EXAMPLES
from bot.services.cards import Cards
from bot.services.clocks import Clocks
from bot.services.dispatch import DispatchService
from bot.services.escalation import EscalationService
from bot.services.flow import RequestFlow
from bot.services.orgimport import OrgImporter
from bot.services.sweep import BATCH, DeadlineSweep
from storage.bench_seed import (
    seed_cards,
    seed_dispatched,
    seed_members,
    seed_people,
    seed_requests,
)
from storage.db import Database, StoreUrl, open_database
from storage.migrate import migrate
from storage.repos.deadlines import SWEEP_SQL
from storage.timestamps import ts

__all__ = ["BenchOptions", "run_bench"]

LOG = logging.getLogger(__name__)

NUMBER = re.compile(r"[A-Z]+-\d{4}-\d{6}")
FIRST_RESIDENT = 10_000_000
FIRST_MEMBER = 20_000_000


@dataclass
class BenchOptions:
    scenarios: list[str]
    quick: bool = False
    residents: int = 500
    latency: float = 0.05
    out: Path = Path("bench/results")
    sizes: list[int] = field(default_factory=lambda: [10_000, 100_000, 1_000_000])
    broadcast: int = 10_000
    scale: float = 10.0
    # Where the scenarios' databases live: SQLite files in a temporary folder (None), or a
    # PostgreSQL server ("postgresql://user@host/maintenance_db"), one database per scenario.
    store: str | None = None


# -- plumbing -------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


class Waiters:
    """Resolve futures when a bot message matching a predicate reaches a chat."""

    def __init__(self, emulator: Emulator) -> None:
        self._waiting: dict[
            int, list[tuple[Callable[[dict[str, Any]], bool], asyncio.Future[dict[str, Any]]]]
        ] = {}
        emulator.listeners.append(self._on_event)

    def _on_event(self, event: str, data: dict[str, Any]) -> None:
        if event != "message" or not data.get("from_bot") or data.get("kind") != "message":
            return
        waiting = self._waiting.get(int(data["chat_id"]))
        if not waiting:
            return
        for entry in list(waiting):
            predicate, future = entry
            if not future.done() and predicate(data):
                future.set_result(data)
                waiting.remove(entry)

    def expect(
        self, chat_id: int, predicate: Callable[[dict[str, Any]], bool]
    ) -> asyncio.Future[dict[str, Any]]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(chat_id, []).append((predicate, future))
        return future


def buttons(data: dict[str, Any]) -> list[str]:
    rows = data.get("inline_keyboard") or []
    return [b.get("callback_data", "") for row in rows for b in row]


def has_button(prefix: str) -> Callable[[dict[str, Any]], bool]:
    return lambda data: any(b.startswith(prefix) for b in buttons(data))


def reply_button(kind: str) -> Callable[[dict[str, Any]], bool]:
    def check(data: dict[str, Any]) -> bool:
        keyboard = (data.get("reply_keyboard") or {}).get("keyboard") or []
        return any(b.get(kind) for row in keyboard for b in row)

    return check


class Worker:
    """A bot subprocess (``python -m bot.bench.worker``)."""

    def __init__(
        self, mode: str, base_url: str, db: str | None = None, extra: list[str] | None = None
    ) -> None:
        self.mode = mode
        self.base_url = base_url
        self.db = db
        self.extra = extra or []
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, server: EmulatorServer, *, wait: bool = True) -> None:
        """Start the process; with ``wait``, return once it long-polls (a standby does not)."""
        args = [sys.executable, "-m", "bot.bench.worker", self.mode, "--base-url", self.base_url]
        profile = os.environ.get("GRIDBOT_BENCH_PROFILE")  # a file: profile the bot process
        if profile and self.mode == "gridbot":
            args[1:1] = ["-m", "cProfile", "-o", profile]
        if self.db is not None:
            args += ["--store", self.db]
        args += self.extra
        env = dict(os.environ, PTB_TIMEDELTA="true")
        polls = server.polls
        self.process = await asyncio.create_subprocess_exec(*args, env=env)
        if not wait:
            return
        # Ready when it long-polls (a restarted worker: when it polls again).
        for _ in range(600):
            if server.polls > polls:
                return
            if self.process.returncode is not None:
                raise RuntimeError(f"{self.mode} worker exited with {self.process.returncode}")
            await asyncio.sleep(0.05)
        raise RuntimeError(f"{self.mode} worker did not start")

    @property
    def peak_rss_mb(self) -> float | None:
        return peak_rss_mb(self.process.pid) if self.process else None

    async def kill(self) -> None:
        """SIGKILL: the process dies at once, wherever it is."""
        if self.process is None or self.process.returncode is not None:
            return
        self.process.kill()
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), 20)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


class Stores:
    """One fresh store per scenario: an SQLite file in the work folder, or a database made
    (and afterwards dropped) on the PostgreSQL server of ``--store``."""

    def __init__(self, workdir: Path, server: str | None) -> None:
        self.workdir = workdir
        self.server = None if server is None else StoreUrl(server)
        if self.server is not None and self.server.engine != "postgresql":
            raise ValueError("--store takes a postgresql:// URL (SQLite is the default)")
        self.made: list[str] = []

    @property
    def engine(self) -> str:
        return "sqlite" if self.server is None else "postgresql"

    async def _admin(self, sql: str) -> None:
        import asyncpg

        assert self.server is not None
        conn = await asyncpg.connect(self.server.url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def fresh(self, name: str) -> str:
        """The URL of a new, empty store called ``name``."""
        if self.server is None:
            path = self.workdir / f"{name}.db"
            path.unlink(missing_ok=True)
            return f"sqlite:{path}"
        from urllib.parse import urlsplit, urlunsplit

        database = f"gridbot_bench_{name.replace('-', '_')}"
        await self._admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await self._admin(f'CREATE DATABASE "{database}"')
        self.made.append(database)
        return urlunsplit(urlsplit(self.server.url)._replace(path=f"/{database}"))

    async def drop_all(self) -> None:
        while self.made:
            await self._admin(f'DROP DATABASE IF EXISTS "{self.made.pop()}" WITH (FORCE)')


async def fresh_db(url: str) -> Database:
    db = open_database(url)
    await db.connect()
    await migrate(db)
    await OrgImporter(db, SystemClock()).import_file(EXAMPLES / "duanzhou.toml")
    return db


async def unit_id(db: Database, code: str) -> int:
    async with db.read() as tx:
        unit = await tx.org.get_by_code(code)
    assert unit is not None
    return unit.id


async def category_id(db: Database, code: str) -> int:
    async with db.read() as tx:
        found = next(c for c in await tx.requests.categories() if c.code == code)
    return found.id


async def seeded_residents(stores: Stores, name: str, residents: int) -> tuple[str, int]:
    """A fresh store with the demo org and ``residents`` onboarded residents of 星荷豪苑; its URL
    and the id of the category "other"."""
    url = await stores.fresh(name)
    db = await fresh_db(url)
    try:
        await seed_people(
            db,
            first_telegram_id=FIRST_RESIDENT,
            count=residents,
            compound_id=await unit_id(db, "XHHY"),
            now=datetime.now(UTC),
        )
        return url, await category_id(db, "other")
    finally:
        await db.close()


# -- intake -----------------------------------------------------------------------------------
@dataclass
class RunResult:
    updates: int
    seconds: float
    latencies: list[float]
    failures: int

    def summary(self) -> dict[str, Any]:
        return {
            "updates": self.updates,
            "seconds": round(self.seconds, 2),
            "updates_per_second": round(self.updates / self.seconds, 1) if self.seconds else 0,
            "p50_ms": round(percentile(self.latencies, 0.5) * 1000, 1),
            "p95_ms": round(percentile(self.latencies, 0.95) * 1000, 1),
            "p99_ms": round(percentile(self.latencies, 0.99) * 1000, 1),
            "failures": self.failures,
        }


@dataclass
class Load:
    """How residents act: all at once (``think`` None) or like people, thinking a moment
    (uniformly between the two bounds, in seconds) before each step."""

    think: tuple[float, float] | None = None
    seed: int = 7
    # Seconds without an answer before a person sends the same again (None: never).
    patience: float | None = None
    retries: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    async def pause(self) -> None:
        if self.think is not None:
            await asyncio.sleep(self._rng.uniform(*self.think))


async def _step(
    emulator: Emulator,
    waiters: Waiters,
    latencies: list[float],
    chat: int,
    act: Callable[[], object],
    until: Callable[[dict[str, Any]], bool],
    load: Load,
) -> dict[str, Any]:
    await load.pause()
    started = time.perf_counter()
    if load.patience is None:
        future = waiters.expect(chat, until)
        act()
        data = await asyncio.wait_for(future, 60)
    else:  # a person whose message got no answer sends it again after a while
        asked: list[asyncio.Future[dict[str, Any]]] = []
        while True:
            asked.append(waiters.expect(chat, until))
            act()
            done, _ = await asyncio.wait(
                asked, timeout=load.patience, return_when=asyncio.FIRST_COMPLETED
            )
            if done:
                data = next(iter(done)).result()
                break
            load.retries += 1
            if time.perf_counter() - started > 60:
                raise TimeoutError(f"chat {chat}: no answer in 60 s")
    latencies.append(time.perf_counter() - started)
    return data


@functools.cache
def _skip_label() -> str:
    return I18n().get("zh_CN")("Skip")


async def _resident_intake(
    emulator: Emulator,
    waiters: Waiters,
    latencies: list[float],
    uid: int,
    other: int,
    load: Load,
    *,
    on_step: Callable[[], None] | None = None,
) -> int:
    """One resident files a request (the Chinese menu); returns how many updates it took."""
    n = 0

    async def step(
        act: Callable[[], object], until: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any]:
        nonlocal n
        n += 1
        data = await _step(emulator, waiters, latencies, uid, act, until, load)
        if on_step is not None:
            on_step()
        return data

    def press(data: dict[str, Any], prefix: str) -> Callable[[], object]:
        value = next(b for b in buttons(data) if b.startswith(prefix))
        return lambda: emulator.user_press(uid, int(data["message_id"]), value)

    def only_cancel(data: dict[str, Any]) -> bool:
        return buttons(data) == ["rq1:cancel"]

    skip = _skip_label()  # the reply-keyboard label a resident taps
    menu = await step(lambda: emulator.user_message(uid, "/request"), has_button("rq1:cat"))
    cat_value = f"rq1:cat:{other}"
    shown = await step(
        lambda: emulator.user_press(uid, int(menu["message_id"]), cat_value),
        lambda d: only_cancel(d) or has_button("rq1:mtno")(d),
    )
    if has_button("rq1:mtno")(shown):
        await step(press(shown, "rq1:mtno"), only_cancel)
    photos = await step(
        lambda: emulator.user_message(uid, f"bench request {uid}"), has_button("rq1:photos")
    )
    await step(press(photos, "rq1:photos"), reply_button("request_location"))
    urgency = await step(lambda: emulator.user_message(uid, skip), has_button("rq1:urg"))
    await step(press(urgency, "rq1:urg:n"), reply_button("request_contact"))
    summary = await step(lambda: emulator.user_message(uid, skip), has_button("rq1:ok"))
    await step(press(summary, "rq1:ok"), lambda d: bool(NUMBER.search(d.get("text") or "")))
    return n


async def _resident_echo(
    emulator: Emulator,
    waiters: Waiters,
    latencies: list[float],
    uid: int,
    steps: int,
    load: Load,
) -> int:
    for n in range(steps):
        text = f"echo {uid} {n}"

        def send(t: str = text) -> object:
            return emulator.user_message(uid, t)

        def echoed(data: dict[str, Any], t: str = text) -> bool:
            return data.get("text") == t

        await _step(emulator, waiters, latencies, uid, send, echoed, load)
    return steps


async def run_intake(
    stores: Stores,
    residents: int,
    latency: float,
    *,
    db_url: str | None = None,
    seed: bool = True,
    think: tuple[float, float] = (1.0, 5.0),
) -> dict[str, Any]:
    """Gridbot and the echo baseline, each with ``residents`` people at the same time: once
    all acting as fast as they can (capacity: updates per second), once pausing like people
    between steps (responsiveness: latency percentiles)."""
    results: dict[str, Any] = {"residents": residents, "latency_ms": latency * 1000}
    if seed:
        db_file, other = await seeded_residents(stores, "intake", residents)
    else:
        assert db_url is not None
        db_file = db_url
        async with open_database(db_file) as db:
            other = await category_id(db, "other")
    loads = {"saturated": Load(), "paced": Load(think=think)}
    for mode in ("gridbot", "echo"):
        emulator = Emulator()
        server = EmulatorServer(emulator, port=0, latency=latency)
        await server.start()
        uids = [FIRST_RESIDENT + i for i in range(residents)]
        for uid in uids:
            emulator.add_user(uid, f"R{uid}")
        worker = Worker(mode, server.url, db_file if mode == "gridbot" else None)
        waiters = Waiters(emulator)
        results[mode] = {}
        try:
            await worker.start(server)
            for name, load in loads.items():
                latencies: list[float] = []
                started = time.perf_counter()
                if mode == "gridbot":
                    runs = [
                        _resident_intake(emulator, waiters, latencies, uid, other, load)
                        for uid in uids
                    ]
                else:
                    runs = [
                        _resident_echo(emulator, waiters, latencies, uid, 8, load) for uid in uids
                    ]
                outcomes = await asyncio.gather(*runs, return_exceptions=True)
                seconds = time.perf_counter() - started
                updates = sum(o for o in outcomes if isinstance(o, int))
                failures = sum(1 for o in outcomes if not isinstance(o, int))
                results[mode][name] = RunResult(updates, seconds, latencies, failures).summary()
            results[mode]["peak_rss_mb"] = worker.peak_rss_mb
        finally:
            await worker.stop()
            await server.stop()
    echo_rate = results["echo"]["saturated"]["updates_per_second"] or 1
    results["ratio"] = round(results["gridbot"]["saturated"]["updates_per_second"] / echo_rate, 2)
    results["think_seconds"] = list(think)
    return results


# -- accept storm -----------------------------------------------------------------------------
async def run_accept_storm(
    stores: Stores, members: int, cards: int, presses_per_card: int, latency: float
) -> dict[str, Any]:
    db_file = await stores.fresh("storm")
    db = await fresh_db(db_file)
    now = datetime.now(UTC)
    compound = await unit_id(db, "XHHY")
    person_ids = await seed_members(
        db, first_telegram_id=FIRST_MEMBER, count=members, compound_id=compound, now=now
    )
    request_ids = await seed_dispatched(
        db, count=cards, compound_id=compound, category_id=await category_id(db, "other"), now=now
    )
    emulator = Emulator()
    server = EmulatorServer(emulator, port=0, latency=latency)
    await server.start()
    uids = [FIRST_MEMBER + i for i in range(members)]
    seeded: list[tuple[int, int, int, int]] = []
    card_message: dict[tuple[int, int], int] = {}
    for uid, person_id in zip(uids, person_ids, strict=True):
        emulator.add_user(uid, f"M{uid}")
        for request_id in request_ids:
            markup = {
                "inline_keyboard": [[{"text": "Accept", "callback_data": f"tk1:acc:{request_id}"}]]
            }
            message = emulator.inject_bot_message(uid, f"card {request_id}", markup)
            card_message[(uid, request_id)] = message.message_id
            seeded.append((request_id, person_id, uid, message.message_id))
    await seed_cards(db, cards=seeded, now=now)
    await db.close()
    # Who presses what: every card by ``presses_per_card`` members, spread evenly.
    stride = max(1, members // presses_per_card)
    presses = [
        (uid, request_id)
        for j, request_id in enumerate(request_ids)
        for k, uid in enumerate(uids)
        if (k + j) % stride == 0
    ]
    worker = Worker("gridbot", server.url, db_file)
    try:
        await worker.start(server)
        started = time.perf_counter()
        for uid, request_id in presses:
            emulator.user_press(uid, card_message[(uid, request_id)], f"tk1:acc:{request_id}")
        for _ in range(12_000):
            if len(emulator.answered_callbacks) >= len(presses):
                break
            await asyncio.sleep(0.01)
        settle = time.perf_counter() - started
    finally:
        await worker.stop()
        await server.stop()
    db = open_database(db_file)
    await db.connect()
    winners = doubles = 0
    async with db.read() as tx:
        for request_id in request_ids:
            events = await tx.requests.events(request_id)
            accepted = [e for e in events if e.to_status == "accepted"]
            request = await tx.requests.get(request_id)
            if request is not None and request.assignee_id is not None and accepted:
                winners += 1
            doubles += max(0, len(accepted) - 1)
    await db.close()
    return {
        "members": members,
        "cards": cards,
        "presses": len(presses),
        "answered": len(emulator.answered_callbacks),
        "winners": winners,
        "double_accepts": doubles,
        "settle_seconds": round(settle, 2),
    }


# -- sweep ----------------------------------------------------------------------------------
async def seed_sweep_db(url: str, size: int) -> int:
    db = await fresh_db(url)
    now = datetime.now(UTC)
    due = await seed_requests(
        db,
        count=size,
        open_every=100,
        compound_id=await unit_id(db, "XHHY"),
        category_id=await category_id(db, "other"),
        now=now,
    )
    # A district admin, so escalations have someone to reach.
    async with db.transaction() as tx:
        person = await tx.people.create(
            telegram_id=1, display_name="admin", username=None, language="zh_CN", now=now
        )
        await tx.people.grant(person.id, Role.ADMIN, await unit_id_tx(tx, "DZ"), by=None, now=now)
    await db.close()
    return due


async def unit_id_tx(tx: Any, code: str) -> int:
    unit = await tx.org.get_by_code(code)
    assert unit is not None
    return int(unit.id)


async def run_sweep(stores: Stores, sizes: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {"batch": BATCH, "sizes": {}, "store": stores.engine}
    for size in sizes:
        url = await stores.fresh(f"sweep-{size}")
        started = time.perf_counter()
        due = await seed_sweep_db(url, size)
        seeded = time.perf_counter() - started
        db = open_database(url)
        await db.connect()
        clock = SystemClock()
        config = load_config(None, storage={"url": url})
        i18n = I18n()
        flow = RequestFlow(clock, Notifier(clock), i18n)
        cards = Cards(clock, flow, i18n, config)
        dispatch = DispatchService(db, clock, flow, cards, i18n, config)
        clocks = Clocks(clock, dispatch, config)
        escalation = EscalationService(db, clock, flow, clocks, cards, i18n, config)
        sweep = DeadlineSweep(db, clock, flow, clocks, escalation, i18n, config)
        async with db.transaction() as tx:  # a claim locks rows: a write transaction
            plan = await tx.explain(SWEEP_SQL, (datetime.now(UTC), BATCH))
            query_started = time.perf_counter()
            await tx.fetchall(SWEEP_SQL, (ts(datetime.now(UTC)), BATCH))
            query_ms = (time.perf_counter() - query_started) * 1000
        # Three runs in a row (each claims the next batch of due rows); the median is the
        # figure, so a one-off cost of the first run (imports, cold caches) does not decide it.
        runs: list[float] = []
        handled = 0
        for _ in range(3):
            sweep_started = time.perf_counter()
            handled = await sweep.sweep_batch(BATCH)
            runs.append((time.perf_counter() - sweep_started) * 1000)
        sweep_ms = statistics.median(runs)
        await db.close()
        out["sizes"][str(size)] = {
            "requests": size,
            "due": due,
            "handled_in_one_sweep": handled,
            "sweep_ms": round(sweep_ms, 1),
            "runs_ms": [round(r, 1) for r in runs],
            "ms_per_row": round(sweep_ms / handled, 2) if handled else None,
            "query_ms": round(query_ms, 2),
            "uses_index": "deadline_items_due" in plan,
            "seed_seconds": round(seeded, 1),
        }
    first, last = str(sizes[0]), str(sizes[-1])
    out["ratio_largest_to_smallest"] = round(
        out["sizes"][last]["sweep_ms"] / max(out["sizes"][first]["sweep_ms"], 0.001), 2
    )
    return out


# -- broadcast -------------------------------------------------------------------------------
async def run_broadcast(
    stores: Stores, recipients: int, scale: float, latency: float, rate: float = 28.0
) -> dict[str, Any]:
    """A broadcast's messages queued in the outbox, sent by the bot process's own outbox sender
    (``rate`` a second, time sped up ``scale`` times on both sides) to an emulator that enforces
    Telegram's flood limits. The rate is measured from the first delivery to the last."""
    db_file = await stores.fresh("broadcast")
    db = await fresh_db(db_file)
    chats = [FIRST_RESIDENT + i for i in range(recipients)]
    notifier = Notifier(SystemClock())
    async with db.transaction() as tx:
        for chat in chats:
            await notifier.send(
                tx,
                chat,
                OutMessage("Notice: free health checks on Saturday."),
                batch="broadcast:bench",
                dedup_key=f"bench:{chat}",
            )
    await db.close()
    emulator = Emulator()
    emulator.flood = FloodLimits(scale=scale)
    server = EmulatorServer(emulator, port=0, latency=latency)
    await server.start()
    for chat in chats:
        emulator.add_user(chat, f"R{chat}")
    # Time runs ``scale`` times faster but the round trip does not, so ``scale`` times as many
    # messages must be on their way at once to keep the same pace.
    in_flight = min(256, int(16 * scale))
    worker = Worker(
        "gridbot",
        server.url,
        db_file,
        [
            "--outbox-rate",
            str(rate),
            "--outbox-in-flight",
            str(in_flight),
            "--time-scale",
            str(scale),
        ],
    )
    sent_calls: list[float] = []
    # The emulator stands in for Telegram's servers and shares this process with the harness:
    # a collector pause here would bunch up arrivals the bot had spaced evenly and count them
    # against the bot as a burst. Telegram does not pause like that, so neither does its
    # stand-in while the broadcast runs (the bot process keeps its collector).
    gc.freeze()
    gc.disable()
    try:
        await worker.start(server)
        chat_set = set(chats)
        seen = 0
        for _ in range(int(600 / 0.05)):
            calls = emulator.calls[seen:]  # only the new ones: the emulator shares this loop
            seen += len(calls)
            sent_calls += [
                c.at
                for c in calls
                if c.ok and c.method == "sendMessage" and c.params.get("chat_id") in chat_set
            ]
            if len(sent_calls) >= recipients:
                break
            await asyncio.sleep(0.05)
        first, last = min(sent_calls, default=0.0), max(sent_calls, default=0.0)
    finally:
        gc.enable()
        gc.unfreeze()
        await worker.stop()
        await server.stop()
    db = open_database(db_file)
    await db.connect()
    async with db.read() as tx:
        counts = await tx.outbox.counts(batch="broadcast:bench")
    await db.close()
    delivered = [len(emulator.bot_messages(chat)) for chat in chats]
    seconds = last - first
    allowed = FloodLimits().per_second
    achieved = (len(sent_calls) - 1) / seconds / scale if seconds > 0 else 0.0
    minutes = seconds * scale / 60
    return {
        "recipients": recipients,
        "scale": scale,
        "outbox_rate_per_second": rate,
        "outbox_in_flight": in_flight,
        "seconds": round(seconds, 2),
        "sent": counts.sent,
        "achieved_per_second": round(achieved, 2),
        "allowed_per_second": allowed,
        "ratio": round(achieved / allowed, 3),
        "throttled_429": emulator.throttled,
        "429_per_minute": round(emulator.throttled / minutes, 2) if minutes else 0,
        "duplicates": sum(max(0, n - 1) for n in delivered),
        "lost": sum(1 for n in delivered if n == 0),
    }


# -- memory ----------------------------------------------------------------------------------
async def run_memory(
    stores: Stores,
    residents: int,
    latency: float,
    size: int,
    people: int,
    think: tuple[float, float] = (1.0, 5.0),
) -> dict[str, Any]:
    path = await stores.fresh("memory")
    await seed_sweep_db(path, size)
    db = open_database(path)
    await db.connect()
    await seed_people(
        db,
        first_telegram_id=FIRST_RESIDENT,
        count=people,
        compound_id=await unit_id(db, "XHHY"),
        now=datetime.now(UTC),
    )
    await db.close()
    intake = await run_intake(stores, residents, latency, db_url=path, seed=False, think=think)
    return {
        "people": people,
        "requests": size,
        "residents_served": residents,
        "peak_rss_mb": intake["gridbot"]["peak_rss_mb"],
        "intake": intake["gridbot"],
    }


# -- the command ------------------------------------------------------------------------------
SCENARIOS = ("intake", "accept-storm", "sweep", "broadcast", "memory", "failover")


async def run_bench(options: BenchOptions) -> tuple[dict[str, Any], list[str]]:
    """Run the scenarios; return the results and the failed correctness checks."""
    quick = options.quick
    workdir = Path(tempfile.mkdtemp(prefix="gridbot-bench-"))
    stores = Stores(workdir, options.store)
    results: dict[str, Any] = {}
    failed: list[str] = []
    try:
        for name in options.scenarios:
            started = time.perf_counter()
            print(f"running {name} ...", flush=True)
            if name == "intake":
                result = await run_intake(
                    stores,
                    20 if quick else options.residents,
                    options.latency,
                    think=(0.05, 0.2) if quick else (1.0, 5.0),
                )
                if any(
                    result[mode][load]["failures"]
                    for mode in ("gridbot", "echo")
                    for load in ("saturated", "paced")
                ):
                    failed.append("intake: some residents did not finish")
            elif name == "accept-storm":
                result = await run_accept_storm(
                    stores,
                    20 if quick else 200,
                    10 if quick else 100,
                    10 if quick else 20,
                    options.latency,
                )
                if result["winners"] != result["cards"] or result["double_accepts"]:
                    failed.append("accept-storm: not exactly one winner per card")
            elif name == "sweep":
                result = await run_sweep(stores, [10_000] if quick else options.sizes)
                if not all(s["uses_index"] for s in result["sizes"].values()):
                    failed.append("sweep: the sweep query does not use its index")
            elif name == "broadcast":
                result = await run_broadcast(
                    stores, 300 if quick else options.broadcast, options.scale, options.latency
                )
                if (
                    result["duplicates"]
                    or result["lost"]
                    or result["sent"] != result["recipients"]
                ):
                    failed.append("broadcast: duplicates or losses")
            elif name == "memory":
                result = await run_memory(
                    stores,
                    20 if quick else options.residents,
                    options.latency,
                    10_000 if quick else 1_000_000,
                    1_000 if quick else 100_000,
                    think=(0.05, 0.2) if quick else (1.0, 5.0),
                )
            elif name == "failover":
                from bot.bench.failover import run_failover

                outcome = await run_failover(
                    stores,
                    20 if quick else 200,
                    options.latency,
                    think=(0.2, 1.0) if quick else (1.0, 5.0),
                )
                result = outcome.summary()
                if outcome.lost or outcome.duplicated or not outcome.numbers_gapless:
                    failed.append("failover: requests lost, duplicated or numbers with gaps")
                if outcome.finished != outcome.residents:
                    failed.append("failover: some residents did not finish")
            else:
                raise ValueError(f"unknown scenario {name}")
            result["store"] = stores.engine
            result["wall_seconds"] = round(time.perf_counter() - started, 1)
            result["machine"] = machine()
            result["quick"] = quick
            results[name] = result
            options.out.mkdir(parents=True, exist_ok=True)
            (options.out / f"{name}.json").write_text(
                json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
    finally:
        await stores.drop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    return results, failed


def table(results: dict[str, Any]) -> str:
    """The results as a plain-text table."""
    lines = [f"{'scenario':<14} | {'figure':<40} | value"]
    lines.append("-" * 76)

    def row(scenario: str, figure: str, value: object) -> None:
        lines.append(f"{scenario:<14} | {figure:<40} | {value}")

    if "intake" in results:
        r = results["intake"]
        for mode in ("gridbot", "echo"):
            for load in ("saturated", "paced"):
                m = r[mode][load]
                row("intake", f"{mode} {load} updates/s", m["updates_per_second"])
                row(
                    "intake",
                    f"{mode} {load} p50/p95/p99 ms",
                    f"{m['p50_ms']} / {m['p95_ms']} / {m['p99_ms']}",
                )
        row("intake", "ratio gridbot/echo (saturated)", r["ratio"])
        row("intake", "paced think time s", " to ".join(str(t) for t in r["think_seconds"]))
        row("intake", "residents, latency", f"{r['residents']}, {r['latency_ms']:.0f} ms")
    if "accept-storm" in results:
        r = results["accept-storm"]
        row("accept-storm", "winners / cards", f"{r['winners']} / {r['cards']}")
        row("accept-storm", "double accepts", r["double_accepts"])
        row("accept-storm", "presses, settle s", f"{r['presses']}, {r['settle_seconds']}")
    if "sweep" in results:
        r = results["sweep"]
        for size, s in r["sizes"].items():
            row(
                "sweep",
                f"{int(size):,} requests ({s['due']} due)",
                f"{s['sweep_ms']} ms for {s['handled_in_one_sweep']} rows"
                f" (query {s['query_ms']} ms)",
            )
        row("sweep", "largest / smallest", r["ratio_largest_to_smallest"])
    if "broadcast" in results:
        r = results["broadcast"]
        row(
            "broadcast",
            "achieved / allowed per second",
            f"{r['achieved_per_second']} / {r['allowed_per_second']} ({r['ratio']})",
        )
        row("broadcast", "429s per minute", r["429_per_minute"])
        row("broadcast", "duplicates, lost", f"{r['duplicates']}, {r['lost']}")
    if "failover" in results:
        r = results["failover"]
        row("failover", "residents finished / all", f"{r['finished']} / {r['residents']}")
        row("failover", "until the standby answers s", r["gap_seconds"])
        row(
            "failover",
            "waits across the gap p50/p95/max s",
            f"{r['wait_p50_s']} / {r['wait_p95_s']} / {r['wait_max_s']}",
        )
        row(
            "failover",
            "lost, duplicated, gapless",
            f"{r['lost']}, {r['duplicated']}, {r['numbers_gapless']}",
        )
    if "memory" in results:
        r = results["memory"]
        row("memory", "peak RSS MB", r["peak_rss_mb"])
        row("memory", "people, requests stored", f"{r['people']:,}, {r['requests']:,}")
    return "\n".join(lines)
