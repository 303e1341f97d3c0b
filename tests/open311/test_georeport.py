"""Open311 GeoReport v2 conformance: every endpoint in JSON and XML, driven over HTTP, checked
field by field (names, types, ISO 8601 with an offset) and error shape by error shape against
the spec (http://wiki.open311.org/GeoReport_v2); and a request posted through the API worked
by a member in Telegram and read back closed, with notes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from auxil.flows import file_request, onboard
from auxil.harness import Harness
from auxil.members import make_member

from bot.app import api_server
from bot.lifecycle import Status
from bot.models import Request

W3 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]
FORMATS = ["json", "xml"]


class Api:
    """An HTTP client for the API under test."""

    def __init__(self, h: Harness, server: TestServer, session: aiohttp.ClientSession) -> None:
        self.h = h
        self.server = server
        self.session = session

    def url(self, path: str) -> str:
        return str(self.server.make_url(f"/open311/v2/{path}"))

    async def get(self, path: str, **params: str) -> tuple[int, str, bytes, dict[str, str]]:
        async with self.session.get(self.url(path), params=params) as response:
            return (
                response.status,
                response.content_type,
                await response.read(),
                dict(response.headers),
            )

    async def post(
        self, path: str, data: dict[str, str], headers: dict[str, str] | None = None
    ) -> tuple[int, str, bytes]:
        async with self.session.post(self.url(path), data=data, headers=headers) as response:
            return response.status, response.content_type, await response.read()


@pytest.fixture
async def api(org: Harness) -> AsyncIterator[Api]:
    org.services.config.api.language = "en"
    server = TestServer(api_server(org.services).app())
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield Api(org, server, session)
    await server.close()


async def new_key(h: Harness, *units: str, name: str = "12345 hotline") -> str:
    created = await h.services.apikeys.create(name, list(units or ("BY",)))
    return created.secret


def parse(fmt: str, body: bytes) -> Any:
    """The body as Python data; XML checked for the declaration and parsed."""
    if fmt == "json":
        import json

        return json.loads(body)
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>'), body[:60]
    return ET.fromstring(body)


def xml_items(root: ET.Element, root_name: str, item: str) -> list[dict[str, str | None]]:
    """The items of an XML list, each as {element: text}, checking the element names."""
    assert root.tag == root_name
    out = []
    for child in root:
        assert child.tag == item
        out.append({field.tag: field.text for field in child})
    return out


def request_form(key: str, **extra: str) -> dict[str, str]:
    form = {
        "api_key": key,
        "service_code": "property",
        "address_id": "XHHY",
        "description": "3栋电梯困人，已报物业无人处理",
        "first_name": "伟",
        "last_name": "王",
        "phone": "13800138000",
    }
    form.update(extra)
    return {k: v for k, v in form.items() if v is not None}


async def stored(h: Harness, number: str) -> Request:
    async with h.services.db.read() as tx:
        request = await tx.requests.by_number(number)
    assert request is not None
    return request


# -- service list and definitions ----------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
async def test_service_list(api: Api, fmt: str) -> None:
    status, _ctype, body, headers = await api.get(f"services.{fmt}")
    assert status == 200
    assert headers["Content-Type"] == (
        "application/json; charset=utf-8" if fmt == "json" else "text/xml; charset=utf-8"
    )
    data = parse(fmt, body)
    if fmt == "json":
        services = data
        assert isinstance(services, list)
        for service in services:
            assert list(service) == SERVICE_FIELDS
            assert isinstance(service["metadata"], bool) and service["metadata"] is True
            assert all(isinstance(service[f], str) for f in SERVICE_FIELDS if f != "metadata")
    else:
        services = xml_items(data, "services", "service")
        for service in services:
            assert list(service) == SERVICE_FIELDS
            assert service["metadata"] == "true"
    codes = [s["service_code"] for s in services]
    # The categories of the org file, in its order: 18, urgent outages first.
    assert codes[:3] == ["outage", "safety", "property"] and len(codes) == 18
    first = services[0]
    assert first["service_name"] == "Water, power or gas outage"
    assert first["type"] == "realtime"
    assert first["group"] == "Urgent: act now"
    assert "停水停电停气" in str(first["keywords"])


@pytest.mark.parametrize("fmt", FORMATS)
async def test_service_definition(api: Api, fmt: str) -> None:
    status, _ctype, body, _h = await api.get(f"services/safety.{fmt}")
    assert status == 200
    data = parse(fmt, body)
    if fmt == "json":
        assert list(data) == ["service_code", "attributes"]
        assert data["service_code"] == "safety"
        attributes = data["attributes"]
        for attribute in attributes:
            assert list(attribute) == ATTRIBUTE_FIELDS
            assert attribute["variable"] is True and attribute["required"] is False
            assert isinstance(attribute["order"], int)
            assert attribute["datatype"] == "singlevaluelist"
            assert attribute["values"] == [
                {"key": "yes", "name": "Yes"},
                {"key": "no", "name": "No"},
            ]
        assert [a["code"] for a in attributes] == ["danger", "anonymous"]
    else:
        assert data.tag == "service_definition"
        assert [c.tag for c in data] == ["service_code", "attributes"]
        assert data.findtext("service_code") == "safety"
        attributes = data.find("attributes")
        assert attributes is not None
        for attribute in attributes:
            assert attribute.tag == "attribute"
            assert [c.tag for c in attribute] == ATTRIBUTE_FIELDS
            assert attribute.findtext("variable") == "true"
            assert attribute.findtext("required") == "false"
            values = attribute.find("values")
            assert values is not None
            assert [(v.tag, v.findtext("key"), v.findtext("name")) for v in values] == [
                ("value", "yes", "Yes"),
                ("value", "no", "No"),
            ]
        assert [a.findtext("code") for a in attributes] == ["danger", "anonymous"]


@pytest.mark.parametrize("fmt", FORMATS)
async def test_unknown_service_definition_is_404(api: Api, fmt: str) -> None:
    status, _ctype, body, _h = await api.get(f"services/fireworks.{fmt}")
    assert status == 404
    assert_error(fmt, body, 404, "service_code fireworks was not found.")


# -- errors --------------------------------------------------------------------------------


def assert_error(fmt: str, body: bytes, code: int, description: str) -> None:
    """The spec's error body: a list of (code, description)."""
    data = parse(fmt, body)
    if fmt == "json":
        assert data == [{"code": code, "description": description}]
    else:
        assert data.tag == "errors"
        errors = list(data)
        assert [e.tag for e in errors] == ["error"]
        assert [c.tag for c in errors[0]] == ["code", "description"]
        assert errors[0].findtext("code") == str(code)
        assert errors[0].findtext("description") == description


@pytest.mark.parametrize("fmt", FORMATS)
async def test_bad_input_gets_a_clear_error_and_changes_nothing(api: Api, fmt: str) -> None:
    key = await new_key(api.h)
    cases: list[tuple[dict[str, str], int, str]] = [
        ({"service_code": "fireworks"}, 404, "service_code fireworks was not found."),
        ({"service_code": ""}, 400, "service_code was not provided."),
        (
            {"address_id": "", "description": "没有地点"},
            400,
            "A location is required: lat and long, address_string or address_id.",
        ),
        (
            {"description": "长" * 2001},
            400,
            "description is 2001 characters long; at most 2000 are accepted.",
        ),
        ({"address_id": "", "lat": "23.05"}, 400, "lat and long must be given together."),
        ({"address_id": "", "lat": "abc", "long": "1"}, 400, "lat and long must be numbers."),
        ({"attribute[danger]": "maybe"}, 400, "attribute danger must be yes or no."),
        ({"attribute[colour]": "red"}, 400, "attribute colour is not defined."),
        ({"phone": "call me"}, 400, "phone is not a phone number."),
        ({"address_id": "BY"}, 400, "address_id BY is not a compound code."),
        ({"address_id": "HJXQ"}, 403, "This api_key may not submit requests for HJXQ."),
        ({"api_key": ""}, 403, "api_key was not provided."),
        ({"api_key": "gb_not-a-real-key"}, 403, "Invalid api_key."),
        (
            {"jurisdiction_id": "elsewhere.gov"},
            404,
            "jurisdiction_id elsewhere.gov was not found.",
        ),
    ]
    api.h.services.config.api.jurisdiction_id = "duanzhou.gov.cn"
    for change, code, description in cases:
        status, _ctype, body = await api.post(f"requests.{fmt}", request_form(key, **change))
        assert status == code, (change, body)
        assert_error(fmt, body, code, description)
    async with api.h.services.db.read() as tx:
        assert await tx.fetchval("SELECT count(*) FROM requests") == 0
        assert await tx.fetchval("SELECT count(*) FROM api_requests") == 0
        assert await tx.fetchval("SELECT count(*) FROM outbox") == 0
    # The right jurisdiction is accepted.
    form = request_form(key, jurisdiction_id="duanzhou.gov.cn")
    status, _ctype, _body = await api.post(f"requests.{fmt}", form)
    assert status == 200


@pytest.mark.parametrize("fmt", FORMATS)
async def test_unknown_paths_and_methods_answer_in_the_spec_format(api: Api, fmt: str) -> None:
    status, _ctype, body, _h = await api.get(f"nothing.{fmt}")
    assert status == 404
    assert_error(fmt, body, 404, "There is no such resource.")
    status, _ctype, body = await api.post(f"services.{fmt}", {})
    assert status == 405
    assert_error(fmt, body, 405, "That method is not allowed here.")
    status, _ctype, body, _h = await api.get(f"requests/DZ-2026-999999.{fmt}")
    assert status == 404
    assert_error(fmt, body, 404, "service_request_id DZ-2026-999999 was not found.")
    status, _ctype, body, _h = await api.get(f"tokens/nope.{fmt}")
    assert status == 404
    assert_error(fmt, body, 404, "token nope was not found.")


# -- submitting and reading ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
async def test_submit_and_read_back(api: Api, fmt: str) -> None:
    h = api.h
    key = await new_key(h)
    form = request_form(key, account_id="caller-77", **{"attribute[danger]": "yes"})
    status, _ctype, body = await api.post(f"requests.{fmt}", form)
    assert status == 200
    data = parse(fmt, body)
    if fmt == "json":
        assert len(data) == 1
        answer = data[0]
    else:
        [answer] = xml_items(data, "service_requests", "request")
    assert list(answer) == ["service_request_id", "service_notice", "account_id"]
    number = answer["service_request_id"]
    assert number == "DZ-2026-000001"
    assert answer["account_id"] == "caller-77"
    assert answer["service_notice"] == (
        "Urgent: act now: taken within 30 minutes, done within 24 hours."
    )
    request = await stored(h, number)
    assert request.channel == "api" and request.resident_id is None
    assert request.tier.value == "urgent" and request.contact_name == "伟 王"
    assert request.status is Status.TRIAGED  # nobody in the pool yet: it waits for helpers

    status, _ctype, body, _h = await api.get(f"requests/{number}.{fmt}")
    assert status == 200
    data = parse(fmt, body)
    records = data if fmt == "json" else xml_items(data, "service_requests", "request")
    [record] = records
    assert list(record) == REQUEST_FIELDS
    assert record["service_request_id"] == number
    assert record["status"] == "open"
    assert record["status_notes"] == "waiting for a helper"
    assert record["service_code"] == "property"
    assert record["service_name"] == "Property and repairs"
    assert record["agency_responsible"] == "Banyue Community"
    assert record["address"] == (
        "Xinghe Haoyuan, Banyue Community, Chengxi Subdistrict, Duanzhou District"
    )
    assert record["address_id"] == "XHHY"
    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert W3.match(str(record[field])), (field, record[field])
    assert str(record["requested_datetime"]).endswith("+08:00")
    expected = datetime.fromisoformat(str(record["expected_datetime"]))
    assert expected - datetime.fromisoformat(str(record["requested_datetime"])) == timedelta(
        hours=24
    )
    if fmt == "json":
        assert record["lat"] == 23.053 and record["long"] == 112.458
        assert record["zipcode"] is None and record["media_url"] is None
    else:
        assert record["lat"] == "23.053" and record["long"] == "112.458"
        assert record["zipcode"] is None and record["media_url"] is None
    # Nobody's name or phone anywhere in what the public reads.
    for private in (b"13800138000", "王".encode(), "伟".encode()):
        assert private not in body


@pytest.mark.parametrize("fmt", FORMATS)
async def test_public_reads_hide_what_is_private(api: Api, fmt: str) -> None:
    """Anonymous: no address, only the compound; numbers in texts masked; coordinates rounded;
    no photos."""
    h = api.h
    res = h.player("res")
    await onboard(res)
    await file_request(
        h,
        res,
        description="电话13912345678，家里漏水",
        address="5栋1单元302",
        anonymous=True,
        photos=1,
        phone=True,
    )
    number = "DZ-2026-000001"
    async with h.services.db.transaction() as tx:
        await tx.execute(
            "UPDATE requests SET latitude = 23.0531234, longitude = 112.4578765 WHERE number = ?",
            (number,),
        )
    status, _ctype, body, _h = await api.get(f"requests/{number}.{fmt}")
    assert status == 200
    data = parse(fmt, body)
    [record] = data if fmt == "json" else xml_items(data, "service_requests", "request")
    assert record["address"] == (
        "Xinghe Haoyuan, Banyue Community, Chengxi Subdistrict, Duanzhou District"
    )
    assert record["description"] == "电话***，家里漏水"
    assert str(record["lat"]) == "23.053" and str(record["long"]) == "112.458"
    assert record["media_url"] is None
    for private in (b"13912345678", "5栋".encode(), b"8613800138000", b"Res"):
        assert private not in body
    # Not anonymous: the address shows (numbers in it masked all the same).
    await file_request(h, res, description="楼道灯坏了", address="7栋")
    status, _ctype, body, _h = await api.get(f"requests/DZ-2026-000002.{fmt}")
    data = parse(fmt, body)
    [record] = data if fmt == "json" else xml_items(data, "service_requests", "request")
    assert str(record["address"]).startswith("7栋, Xinghe Haoyuan")


@pytest.mark.parametrize("fmt", FORMATS)
async def test_request_filters(api: Api, fmt: str) -> None:
    h = api.h
    key = await new_key(h)
    for when, change in (
        ("2026-08-01T10:00:00+08:00", {"description": "八月的事"}),
        ("2026-11-20T10:00:00+08:00", {"description": "十一月的事"}),
        ("2026-11-20T10:05:00+08:00", {"service_code": "environment", "description": "垃圾"}),
    ):
        h.clock.set(datetime.fromisoformat(when))
        status, _ctype, body = await api.post(f"requests.{fmt}", request_form(key, **change))
        assert status == 200, body
    async with h.services.db.transaction() as tx:
        await tx.execute("UPDATE requests SET status = 'closed' WHERE number = 'DZ-2026-000003'")

    async def ids(**params: str) -> list[str]:
        status, _ctype, body, _h = await api.get(f"requests.{fmt}", **params)
        assert status == 200, body
        data = parse(fmt, body)
        records = data if fmt == "json" else xml_items(data, "service_requests", "request")
        for record in records:
            assert list(record) == REQUEST_FIELDS
        return [str(r["service_request_id"]) for r in records]

    # Default: the last 90 days, newest first.
    assert await ids() == ["DZ-2026-000003", "DZ-2026-000002"]
    assert await ids(status="open") == ["DZ-2026-000002"]
    assert await ids(status="closed") == ["DZ-2026-000003"]
    assert await ids(status="open,closed") == ["DZ-2026-000003", "DZ-2026-000002"]
    assert await ids(service_code="environment") == ["DZ-2026-000003"]
    assert await ids(start_date="2026-07-15T00:00:00+08:00", end_date="2026-08-15T00:00:00Z") == [
        "DZ-2026-000001"
    ]
    assert await ids(start_date="2026-11-01T00:00:00Z") == ["DZ-2026-000003", "DZ-2026-000002"]
    # service_request_id overrides every other argument.
    assert await ids(service_request_id="DZ-2026-000001,DZ-2026-000003", status="open") == [
        "DZ-2026-000003",
        "DZ-2026-000001",
    ]

    for params, message in (
        ({"status": "pending"}, "status must be open or closed."),
        ({"service_code": "fireworks"}, "service_code fireworks was not found."),
        (
            {"start_date": "2026-11-01"},
            "start_date must be a w3 date and time with a time zone,"
            " e.g. 2026-11-01T00:00:00+08:00.",
        ),
        (
            {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
            "The date range may not span more than 90 days.",
        ),
        (
            {"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
            "end_date is before start_date.",
        ),
    ):
        status, _ctype, body, _h = await api.get(f"requests.{fmt}", **params)
        expected = 404 if "not found" in message else 400
        assert status == expected, params
        assert_error(fmt, body, expected, message)


@pytest.mark.parametrize("fmt", FORMATS)
async def test_batch_mode_returns_a_token(api: Api, fmt: str) -> None:
    api.h.services.config.api.service_type = "batch"
    key = await new_key(api.h)
    status, _ctype, body = await api.post(f"requests.{fmt}", request_form(key))
    assert status == 200
    data = parse(fmt, body)
    [answer] = data if fmt == "json" else xml_items(data, "service_requests", "request")
    assert list(answer) == ["token", "service_notice", "account_id"]
    token = str(answer["token"])
    status, _ctype, body, _h = await api.get(f"tokens/{token}.{fmt}")
    assert status == 200
    data = parse(fmt, body)
    [found] = data if fmt == "json" else xml_items(data, "service_requests", "request")
    assert found == {"service_request_id": "DZ-2026-000001", "token": token}
    status, _ctype, body, _h = await api.get(f"services.{fmt}")
    assert b"batch" in body


async def test_idempotency_key_files_once(api: Api) -> None:
    key = await new_key(api.h)
    headers = {"Idempotency-Key": "call-2026-11-26-0001"}
    first = await api.post("requests.json", request_form(key), headers)
    again = await api.post("requests.json", request_form(key), headers)
    assert first == again and first[0] == 200
    async with api.h.services.db.read() as tx:
        assert await tx.fetchval("SELECT count(*) FROM requests") == 1


async def test_placed_by_coordinates_or_address(api: Api) -> None:
    key = await new_key(api.h)
    near_lmj = request_form(key, address_id="", lat="23.0500", long="112.4610")
    status, _ctype, body = await api.post("requests.json", near_lmj)
    assert status == 200, body
    by_name = request_form(key, address_id="", address_string="星荷豪苑8栋门口")
    status, _ctype, body = await api.post("requests.json", by_name)
    assert status == 200, body
    far = request_form(key, address_id="", lat="23.2000", long="112.9000")
    status, _ctype, body = await api.post("requests.json", far)
    assert status == 400
    assert_error(
        "json",
        body,
        400,
        "The location is not in a compound this api_key serves;"
        " give address_id (the compound code).",
    )
    first, second = await stored(api.h, "DZ-2026-000001"), await stored(api.h, "DZ-2026-000002")
    async with api.h.services.db.read() as tx:
        lmj, xhhy = await tx.org.get_by_code("LMJ"), await tx.org.get_by_code("XHHY")
    assert lmj is not None and xhhy is not None
    assert (first.compound_id, second.compound_id) == (lmj.id, xhhy.id)
    assert second.address == "星荷豪苑8栋门口"


async def test_rate_limited_per_key_with_the_clock(api: Api) -> None:
    h = api.h
    h.services.config.api.requests_per_minute = 3
    server = TestServer(api_server(h.services).app())
    await server.start_server()
    limited = Api(h, server, api.session)
    key, other = await new_key(h), await new_key(h, name="城管平台")
    for n in range(3):
        status, _ctype, _body = await limited.post(
            "requests.json", request_form(key, description=f"第{n}件")
        )
        assert status == 200
    status, _ctype, body = await limited.post("requests.json", request_form(key))
    assert status == 429
    assert_error("json", body, 429, "Too many requests; try again in 20 seconds.")
    # Another key is not held up; the first gets a call back 20 seconds later.
    assert (await limited.post("requests.json", request_form(other)))[0] == 200
    h.clock.advance(seconds=20)
    assert (await limited.post("requests.json", request_form(key)))[0] == 200
    assert (await limited.post("requests.json", request_form(key)))[0] == 429
    # Reads without a key are limited per address.
    for _ in range(3):
        assert (await limited.get("services.json"))[0] == 200
    status, _ctype, _body, headers = await limited.get("services.json")
    assert status == 429 and headers["Retry-After"] == "20"
    await server.close()


async def test_revoked_key_is_refused(api: Api) -> None:
    key = await new_key(api.h)
    await api.h.services.apikeys.revoke(key[:10])
    status, _ctype, body = await api.post("requests.xml", request_form(key))
    assert status == 403
    assert_error("xml", body, 403, "Invalid api_key.")
    async with api.h.services.db.read() as tx:
        stored_hash = await tx.fetchval("SELECT key_hash FROM api_keys")
        rows = await tx.fetchall(
            "SELECT action FROM audit_log WHERE action LIKE 'api.%' ORDER BY id"
        )
        actions = [r[0] for r in rows]
    assert key not in str(stored_hash) and len(str(stored_hash)) == 64
    assert actions == ["api.key.create", "api.key.revoke"]


# -- the whole flow: city system -> member in Telegram -> closed through the API -------------


async def test_api_request_worked_in_telegram_and_closed_through_the_api(api: Api) -> None:
    h = api.h
    h.clock.set(datetime.fromisoformat("2026-11-26T20:00:00+08:00"))
    ann = h.player("ann")
    await make_member(h, ann)
    h.services.config.dispatch.min_pool = 1
    key = await new_key(h)
    status, _ctype, body = await api.post("requests.json", request_form(key))
    assert status == 200
    number = parse("json", body)[0]["service_request_id"]
    await h.settle()  # the outbox delivers the task card

    card = ann.last()
    assert number in (card.text or "")
    assert "城市系统：12345 hotline" in (card.text or "")  # where it came from
    # The pool sees the surname; the member who takes it, the name and the phone.
    assert "居民：王**" in (card.text or "") and "13800138000" not in (card.text or "")
    await ann.press("✋ 接单")
    [taken] = [m for m in ann.bot_messages() if m.message_id == card.message_id]
    assert "居民：伟 王" in (taken.text or "") and "13800138000" in (taken.text or "")
    assert "💬 联系居民" not in ann.buttons()  # nobody in the bot to write to
    assert "⏸ 等待居民回复" not in ann.buttons()
    await ann.press("📝 进展说明")
    await ann.send("已联系电梯公司，今晚维修")

    status, _ctype, body, _h = await api.get(f"requests/{number}.json")
    [record] = parse("json", body)
    assert record["status"] == "open"
    assert record["status_notes"] == "accepted: 已联系电梯公司，今晚维修"

    await ann.press("✅ 办理完成")
    await ann.send("已修好，电梯恢复运行")
    assert (await stored(h, number)).status is Status.RESOLVED

    status, _ctype, body, _h = await api.get(f"requests/{number}.xml")
    [record] = xml_items(parse("xml", body), "service_requests", "request")
    assert record["status"] == "closed"
    assert record["status_notes"] == "resolved: 已修好，电梯恢复运行"
    assert record["updated_datetime"] == "2026-11-26T20:00:00+08:00"
    assert record["expected_datetime"] is None
    # It closes unrated after the usual days (nobody in the bot to rate it), still "closed".
    h.clock.advance(days=4)
    await h.services.sweeper.sweep()  # type: ignore[union-attr]
    assert (await stored(h, number)).status is Status.CLOSED
    status, _ctype, body, _h = await api.get(f"requests/{number}.json")
    [record] = parse("json", body)
    assert record["status"] == "closed"
    assert record["status_notes"] == "closed: closed without a rating"
    # Nothing ever went to a resident in Telegram: the only chat is the member's.
    async with h.services.db.read() as tx:
        chats = {r[0] for r in await tx.fetchall("SELECT DISTINCT chat_id FROM outbox")}
    assert chats == {ann.id}
