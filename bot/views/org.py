"""The admin's view of their area (/org)."""

from __future__ import annotations

from bot.i18n import Translator
from bot.messages import OutMessage
from bot.models.org import AreaView
from bot.views.common import esc

__all__ = ["area_message"]


def area_message(t: Translator, language: str, views: list[AreaView]) -> OutMessage:
    lines: list[str] = []
    for view in views:
        depth0 = view.root.level.depth
        lines.append(t("<b>Your area: {name}</b>").format(name=esc(view.root.label(language))))
        for unit in view.units[1:]:
            indent = "  " * (unit.level.depth - depth0 - 1)
            lines.append(f"{indent}• {esc(unit.label(language))}")
        if view.stations:
            lines.append("")
            lines.append(t("<b>Service stations</b>"))
            for station in view.stations:
                lines.append(f"🏠 {esc(station.name)} — {esc(station.opening_hours)}")
                if station.address:
                    lines.append(f"    {esc(station.address)}")
        lines.append("")
    return OutMessage("\n".join(lines).strip())
