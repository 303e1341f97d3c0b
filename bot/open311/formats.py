"""GeoReport v2 bodies in JSON and XML.

XML follows the spec's examples: schemaless, no namespace, a declaration with UTF-8, lists as
an element holding one child per item (``<services><service>``, ``<attributes><attribute>``),
booleans as ``true``/``false`` and an absent value as an empty element. JSON is the same
structure (the spec's "Spark convention"): the outer list is a JSON array.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, is_dataclass
from typing import Any
from xml.etree import ElementTree as ET

__all__ = ["CONTENT_TYPES", "ITEM", "Body", "render"]

CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}
# The element of one item of each list, by the list's element name.
ITEM = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
}

Body = Mapping[str, Any] | Sequence[Mapping[str, Any]]


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        item = ITEM[element.tag]
        for child in value:
            _fill(ET.SubElement(element, item), child)
    else:
        element.text = _text(value)


def render(fmt: str, root: str, body: Any) -> bytes:
    """``body`` (records, a list of records, or a mapping) as JSON or XML under ``root``."""
    plain = _plain(body)
    if fmt == "json":
        return json.dumps(plain, ensure_ascii=False).encode()
    element = ET.Element(root)
    _fill(element, plain)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8")
