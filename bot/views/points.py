"""Messages of points (/points), the points shop (积分超市) and redeeming at a station."""

from __future__ import annotations

from datetime import tzinfo

from bot import cbdata
from bot.i18n import N_, Translator
from bot.messages import Button, OutMessage, rows
from bot.models import OrgUnit, Request, Station
from bot.models.points import LedgerEntry, PointsKind, PointsSummary, RankRow, ShopItem, Staffed
from bot.views.common import esc, fmt_time

__all__ = [
    "POINTS",
    "correct_done",
    "correct_hint",
    "corrected",
    "hours_text",
    "ranking",
    "redeem_hint",
    "redeemed",
    "redemption_code",
    "shop",
    "staff_confirm",
    "staff_done",
    "summary",
    "task_points",
]

POINTS = "pt"

KIND_NAMES = {
    PointsKind.HOURS: N_("volunteer hours"),
    PointsKind.TASK: N_("a task done"),
    PointsKind.REDEEM: N_("redeemed"),
    PointsKind.CORRECT: N_("correction"),
}


def hours_text(t: Translator, hours: float) -> str:
    """'2.5 hours' / '2.5小时'."""
    shown = f"{hours:.2f}".rstrip("0").rstrip(".")
    return t("{hours} h").format(hours=shown)


def _entry_line(t: Translator, entry: LedgerEntry, tz: tzinfo) -> str:
    sign = f"+{entry.delta}" if entry.delta > 0 else str(entry.delta)
    why = t(KIND_NAMES[entry.kind])
    if entry.note:
        why = t("{kind} ({note})").format(kind=why, note=esc(entry.note))
    return f"{fmt_time(entry.created_at, tz)[:10]} <b>{sign}</b> {why} → {entry.balance}"


def summary(t: Translator, language: str, points: PointsSummary, tz: tzinfo) -> OutMessage:
    """/points: the balance, this year's hours, the history, codes not used yet."""
    lines = [
        t("⭐ <b>My points: {balance}</b>").format(balance=points.balance),
        t("Volunteer hours this year: {hours}").format(hours=hours_text(t, points.hours)),
    ]
    for redemption, item, station in points.pending:
        lines += [
            "",
            t("🎫 Code <b>{code}</b> for {item} at {station}, until {until}").format(
                code=redemption.code,
                item=esc(item.label(language)),
                station=esc(station.name),
                until=fmt_time(redemption.expires_at, tz)[11:],
            ),
        ]
    lines += ["", t("<b>History</b>")]
    lines += [_entry_line(t, e, tz) for e in points.entries] or [t("(none yet)")]
    lines += [
        "",
        t(
            "Points come from volunteer hours at activities and tasks done; spend them in the"
            " points shop of a station."
        ),
    ]
    buttons = (
        (
            Button(t("🛒 Points shop"), cbdata.encode(POINTS, "shop")),
            Button(t("🏅 Ranking"), cbdata.encode(POINTS, "rank")),
        ),
    )
    return OutMessage("\n".join(lines), buttons=buttons)


def shop(
    t: Translator, language: str, shops: list[tuple[Station, list[ShopItem]]], balance: int
) -> OutMessage:
    """The items of every station's shop, with Redeem buttons for what the balance covers."""
    lines = [t("🛒 <b>Points shop</b> (you have {balance} points)").format(balance=balance)]
    buttons: list[Button] = []
    for station, items in shops:
        lines += ["", f"📍 <b>{esc(station.name)}</b>"]
        for item in items:
            stock = "" if item.stock is None else t(" ({n} left)").format(n=item.stock)
            lines.append(
                t("• {item}: {price} points{stock}").format(
                    item=esc(item.label(language)), price=item.price, stock=stock
                )
            )
            if item.price <= balance and item.stock != 0:
                buttons.append(
                    Button(
                        t("{item} ({price})").format(item=item.label(language), price=item.price),
                        cbdata.encode(POINTS, "ask", item.id),
                    )
                )
    if not shops:
        lines.append(t("No station has a shop yet."))
    elif buttons:
        lines += ["", t("Choose what to redeem: you get a code to show at the station.")]
    else:
        lines += ["", t("Not enough points for any item yet.")]
    return OutMessage("\n".join(lines), buttons=rows(*buttons, width=1))


def redemption_code(
    t: Translator, language: str, code: str, item: ShopItem, station: Station, until: str
) -> OutMessage:
    return OutMessage(
        t(
            "🎫 Your code: <b>{code}</b>\nShow it to the staff of {station} ({address})"
            " by {until}: they confirm, and {price} points are taken for {item}."
        ).format(
            code=code,
            station=esc(station.name),
            address=esc(station.address),
            until=until,
            price=item.price,
            item=esc(item.label(language)),
        )
    )


def staff_confirm(t: Translator, language: str, staffed: Staffed) -> OutMessage:
    """What the station's staff see for a code, with Confirm."""
    redemption = staffed.redemption
    return OutMessage(
        t(
            "🎫 Code {code}: <b>{item}</b> for {price} points\nFor: {name} (balance {balance})"
            "\nStation: {station}"
        ).format(
            code=redemption.code,
            item=esc(staffed.item.label(language)),
            price=redemption.price,
            name=esc(staffed.name),
            balance=staffed.balance,
            station=esc(staffed.station.name),
        ),
        buttons=(
            (
                Button(t("✅ Hand it over"), cbdata.encode(POINTS, "ok", redemption.code)),
                Button(t("✖ Not now"), cbdata.encode(POINTS, "no")),
            ),
        ),
    )


def staff_done(t: Translator, language: str, staffed: Staffed) -> OutMessage:
    return OutMessage(
        t("✅ Handed over: {item} to {name}; {price} points taken, {balance} left.").format(
            item=esc(staffed.item.label(language)),
            name=esc(staffed.name),
            price=staffed.redemption.price,
            balance=staffed.balance,
        )
    )


def correct_hint(t: Translator) -> OutMessage:
    return OutMessage(
        t("Type the name, the points and the reason, for example: {example}").format(
            example=t("/correct Li Jianhua +10 hours of an activity not recorded")
        )
    )


def correct_done(t: Translator, name: str, entry: LedgerEntry) -> OutMessage:
    sign = f"+{entry.delta}" if entry.delta > 0 else str(entry.delta)
    return OutMessage(
        t("✅ {name}: {delta} points ({reason}); balance now {balance}.").format(
            name=esc(name), delta=sign, reason=esc(entry.note), balance=entry.balance
        )
    )


def redeem_hint(t: Translator) -> OutMessage:
    return OutMessage(t("Type the code after the command, for example: /redeem 123456"))


def redeemed(
    t: Translator, language: str, item: ShopItem, station: Station, balance: int
) -> OutMessage:
    return OutMessage(
        t("🎁 {item} handed over at {station}. {balance} points left.").format(
            item=esc(item.label(language)), station=esc(station.name), balance=balance
        )
    )


def task_points(t: Translator, request: Request, points: int) -> OutMessage:
    return OutMessage(
        t("⭐ +{points} points for {number}, done. Thank you!").format(
            points=points, number=request.number
        )
    )


def corrected(t: Translator, delta: int, reason: str, balance: int) -> OutMessage:
    sign = f"+{delta}" if delta > 0 else str(delta)
    return OutMessage(
        t("⭐ Your points were corrected by {delta} ({reason}); you have {balance}.").format(
            delta=sign, reason=esc(reason), balance=balance
        )
    )


def _month_after(month: str, step: int) -> str:
    year, number = (int(p) for p in month.split("-"))
    index = year * 12 + number - 1 + step
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def ranking(
    t: Translator,
    language: str,
    community: OrgUnit,
    month: str,
    ranked: list[RankRow],
    this_month: str,
) -> OutMessage:
    """Volunteers of a community by hours in a month, with the months before and after."""
    lines = [
        t("🏅 <b>Volunteer hours, {community}, {month}</b>").format(
            community=esc(community.label(language)), month=month
        )
    ]
    medals = {1: "🥇", 2: "🥈", 3: "🥉"}
    lines += [
        t("{rank} {name}: {hours}, {n} activities").format(
            rank=medals.get(row.rank, f"{row.rank}."),
            name=esc(row.name),
            hours=hours_text(t, row.hours),
            n=row.activities,
        )
        for row in ranked
    ] or [t("No volunteer hours recorded in {month}.").format(month=month)]
    earlier = _month_after(month, -1)
    buttons = [
        Button(t("‹ {month}").format(month=earlier), cbdata.encode(POINTS, "rank", earlier))
    ]
    if month < this_month:
        later = _month_after(month, 1)
        buttons.append(
            Button(t("{month} ›").format(month=later), cbdata.encode(POINTS, "rank", later))
        )
    return OutMessage("\n".join(lines), buttons=(tuple(buttons),))
