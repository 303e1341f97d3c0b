"""Callback data: short, versioned strings, built and parsed only here.

Shape: ``<feature><version>:<action>[:<arg>...]``, e.g. ``ob1:u:12``. A press whose data does
not parse, or whose version is old, is answered as an expired menu.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["VERSION", "Callback", "decode", "encode", "pattern"]

VERSION = "1"
_MAX = 64


@dataclass(frozen=True)
class Callback:
    feature: str
    action: str
    args: tuple[str, ...] = ()

    def int_arg(self, index: int = 0) -> int | None:
        """Argument ``index`` as an int, or None when missing or malformed."""
        try:
            return int(self.args[index])
        except (IndexError, ValueError):
            return None

    def arg(self, index: int = 0) -> str | None:
        return self.args[index] if index < len(self.args) else None


def encode(feature: str, action: str, *args: object) -> str:
    parts = [f"{feature}{VERSION}", action, *(str(a) for a in args)]
    if any(":" in p for p in parts[1:]):
        raise ValueError("':' is not allowed inside callback data parts")
    data = ":".join(parts)
    if len(data.encode()) > _MAX:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def decode(data: str | None, feature: str | None = None) -> Callback | None:
    """Parse ``data``; None when it is malformed, of another version or another feature."""
    if not data:
        return None
    head, _, rest = data.partition(":")
    if not head.endswith(VERSION) or not rest:
        return None
    name = head[: -len(VERSION)]
    if feature is not None and name != feature:
        return None
    action, *args = rest.split(":")
    return Callback(name, action, tuple(args))


def pattern(feature: str) -> str:
    """A regex matching every callback of ``feature`` (of any version, so old ones expire)."""
    return rf"^{feature}\d+:"
