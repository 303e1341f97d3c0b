"""StorePersistence: JSON round trips, deletes, errors, no idle rewrites, and restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import Any

import pytest
from auxil import stores
from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PersistenceInput,
    filters,
)

from bot.clock import FakeClock
from bot.emulator.core import Emulator
from bot.emulator.inprocess import EmulatorRequest
from storage.db import Database, Tx, open_database
from storage.persistence import StorePersistence
from storage.timestamps import ts_text

ALICE = 42


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def reopened(db: Database) -> AsyncIterator[Database]:
    """A second, not yet connected, Database on the same store: the process after a restart."""
    database = open_database(db.url)
    try:
        yield database
    finally:
        await database.close()


def count_transactions(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """Count the write transactions on ``db`` from now on (one entry each)."""
    started: list[None] = []
    original = db.transaction

    @asynccontextmanager
    async def counting(**options: Any) -> AsyncIterator[Tx]:
        started.append(None)
        async with original(**options) as tx:
            yield tx

    monkeypatch.setattr(db, "transaction", counting)
    return started


async def rows(db: Database, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The rows as tuples, times as SQLite's text on both stores."""
    async with db.read() as tx:
        return [
            tuple(ts_text(v) if isinstance(v, datetime) else v for v in row)
            for row in await tx.fetchall(sql, params)
        ]


async def user_row(db: Database, user_id: int) -> tuple[str, str] | None:
    found = await rows(
        db, "SELECT data, updated_at FROM ptb_user_data WHERE user_id = ?", (user_id,)
    )
    return None if not found else (found[0][0], found[0][1])


# -- user_data and chat_data ---------------------------------------------------------------


async def test_user_data_survives_a_restart_with_json_types(
    db: Database, reopened: Database
) -> None:
    data = {
        "name": "张三 <b>",
        "count": 3,
        "ratio": 0.5,
        "ok": True,
        "nothing": None,
        "tags": ["a", "b"],
        "draft": {"photos": [{"file_id": "F1", "size": 10}], "step": "ask_address"},
        "pair": (1, 2),
    }
    await StorePersistence(db).update_user_data(ALICE, data)

    restored = await StorePersistence(reopened).get_user_data()

    assert restored == {ALICE: {**data, "pair": [1, 2]}}  # JSON has no tuples
    assert isinstance(next(iter(restored)), int)
    assert type(restored[ALICE]["ok"]) is bool
    assert type(restored[ALICE]["count"]) is int
    stored = await user_row(db, ALICE)
    assert stored is not None
    assert '"name":"张三 <b>"' in stored[0]  # compact, readable JSON, not pickle


async def test_chat_data_survives_a_restart(db: Database, reopened: Database) -> None:
    group = -1001234567890
    await StorePersistence(db).update_chat_data(group, {"pinned": 7, "topic": "水电"})

    restored = await StorePersistence(reopened).get_chat_data()

    assert restored == {group: {"pinned": 7, "topic": "水电"}}


async def test_drop_user_data_and_drop_chat_data_delete_the_rows(
    db: Database, reopened: Database
) -> None:
    persistence = StorePersistence(db)
    await persistence.update_user_data(ALICE, {"name": "Alice"})
    await persistence.flush()
    await persistence.update_user_data(7, {"name": "Bob"})
    await persistence.flush()
    await persistence.update_chat_data(ALICE, {"menu": 1})
    await persistence.flush()

    await persistence.drop_user_data(ALICE)
    await persistence.flush()
    await persistence.drop_chat_data(ALICE)
    await persistence.drop_user_data(999)  # never stored: fine

    assert await rows(db, "SELECT user_id FROM ptb_user_data") == [(7,)]
    assert await rows(db, "SELECT chat_id FROM ptb_chat_data") == []
    after = StorePersistence(reopened)
    assert await after.get_user_data() == {7: {"name": "Bob"}}
    assert await after.get_chat_data() == {}


async def test_empty_data_is_kept_as_no_row(db: Database) -> None:
    persistence = StorePersistence(db)
    await persistence.update_user_data(ALICE, {})
    await persistence.flush()
    assert await user_row(db, ALICE) is None

    await persistence.update_user_data(ALICE, {"name": "Alice"})
    await persistence.flush()
    await persistence.update_user_data(ALICE, {})
    await persistence.flush()

    assert await user_row(db, ALICE) is None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"draft": {"photos": {"F1", "F2"}}}, r"user 42 .*\['draft'\]\['photos'\] is a set"),
        (
            {"ok": 1, "when": datetime(2026, 1, 1, tzinfo=UTC)},
            r"user 42 .*\['when'\] is a datetime",
        ),
        ({"by_id": {5: "x"}}, r"user 42 .*\['by_id'\] has the key 5 of type int"),
        ({"ratio": float("nan")}, r"user 42 .*\['ratio'\] is nan"),
    ],
)
async def test_data_json_cannot_keep_raises_and_keeps_the_old_row(
    db: Database, clock: FakeClock, data: dict[str, Any], expected: str
) -> None:
    persistence = StorePersistence(db, clock=clock)
    await persistence.update_user_data(ALICE, {"name": "Alice"})
    await persistence.flush()

    with pytest.raises(TypeError, match=expected):
        await persistence.update_user_data(ALICE, data)
        await persistence.flush()

    assert await user_row(db, ALICE) == ('{"name":"Alice"}', ts_text(clock.now()))


async def test_chat_data_error_names_the_chat(db: Database) -> None:
    with pytest.raises(TypeError, match=r"chat_data of chat -5 .*\['seen'\] is a frozenset"):
        await StorePersistence(db).update_chat_data(-5, {"seen": frozenset({1})})


async def test_a_self_containing_value_is_refused(db: Database) -> None:
    looped: list[Any] = []
    looped.append(looped)
    with pytest.raises(TypeError, match=r"user 42 .*\['loop'\]\[0\] contains itself"):
        await StorePersistence(db).update_user_data(ALICE, {"loop": looped})


async def test_unchanged_data_is_not_rewritten(
    db: Database, reopened: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    persistence = StorePersistence(db, clock=clock)
    await persistence.update_user_data(ALICE, {"name": "Alice", "tags": ["a"]})
    await persistence.flush()
    first = await user_row(db, ALICE)

    clock.advance(minutes=5)
    await persistence.update_user_data(ALICE, {"name": "Alice", "tags": ["a"]})  # an equal copy
    assert await user_row(db, ALICE) == first

    clock.advance(minutes=5)
    await persistence.update_user_data(ALICE, {"name": "Alice", "tags": ["a", "b"]})
    await persistence.flush()
    assert await user_row(db, ALICE) == ('{"name":"Alice","tags":["a","b"]}', ts_text(clock.now()))
    changed = await user_row(db, ALICE)

    # After a restart, what was read counts as written: an idle bot writes nothing.
    clock.advance(minutes=5)
    after = StorePersistence(reopened, clock=clock)
    restored = await after.get_user_data()
    writes = count_transactions(reopened, monkeypatch)
    await after.update_user_data(ALICE, restored[ALICE])
    await after.flush()
    await after.update_user_data(7, {})  # a user PTB saw but who has no data
    assert writes == []
    assert await user_row(db, ALICE) == changed
    assert await rows(db, "SELECT count(*) FROM ptb_user_data") == [(1,)]


async def test_store_user_data_false_stores_no_user_data(db: Database) -> None:
    persistence = StorePersistence(db, store_user_data=False)
    await persistence.update_user_data(ALICE, {"name": "Alice"})
    await persistence.flush()
    await persistence.update_chat_data(ALICE, {"menu": 1})
    await persistence.flush()

    assert persistence.store_data.user_data is False
    assert await persistence.get_user_data() == {}
    assert await rows(db, "SELECT count(*) FROM ptb_user_data") == [(0,)]
    assert await rows(db, "SELECT count(*) FROM ptb_chat_data") == [(1,)]


# -- conversations -------------------------------------------------------------------------


class Step(IntEnum):
    NAME = 0
    AGE = 1


async def test_conversations_survive_a_restart_with_tuple_keys(
    db: Database, reopened: Database
) -> None:
    persistence = StorePersistence(db)
    await persistence.update_conversation("t", (ALICE, ALICE), Step.AGE)
    await persistence.flush()
    await persistence.update_conversation("t", (-100, 7), "ask_address")
    await persistence.flush()
    await persistence.update_conversation("t", (-100, "inline-1"), 3)
    await persistence.flush()
    await persistence.update_conversation("other", (ALICE, ALICE), 5)
    await persistence.flush()

    after = StorePersistence(reopened)
    restored = await after.get_conversations("t")

    assert restored == {(ALICE, ALICE): 1, (-100, 7): "ask_address", (-100, "inline-1"): 3}
    assert all(type(key) is tuple for key in restored)
    assert await after.get_conversations("other") == {(ALICE, ALICE): 5}
    assert await after.get_conversations("never") == {}
    assert ("t", "[42,42]", "1") in await rows(
        db, "SELECT name, key, state FROM ptb_conversations"
    )


async def test_a_none_state_ends_the_conversation(db: Database, reopened: Database) -> None:
    persistence = StorePersistence(db)
    await persistence.update_conversation("t", (ALICE, ALICE), Step.NAME)
    await persistence.flush()
    await persistence.update_conversation("t", (7, 7), Step.AGE)
    await persistence.flush()

    await persistence.update_conversation("t", (ALICE, ALICE), None)
    await persistence.flush()

    assert await StorePersistence(reopened).get_conversations("t") == {(7, 7): 1}


async def test_an_unchanged_state_is_not_rewritten(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    persistence = StorePersistence(db, clock=clock)
    await persistence.update_conversation("t", (ALICE, ALICE), Step.NAME)
    await persistence.flush()
    written = ts_text(clock.now())

    clock.advance(minutes=1)
    writes = count_transactions(db, monkeypatch)
    await persistence.update_conversation("t", (ALICE, ALICE), Step.NAME)
    await persistence.flush()

    assert writes == []
    assert await rows(db, "SELECT state, updated_at FROM ptb_conversations") == [("0", written)]


async def test_a_state_json_cannot_keep_raises(db: Database) -> None:
    with pytest.raises(TypeError, match=r"conversation 't' \(42, 42\).*state is a object"):
        await StorePersistence(db).update_conversation("t", (ALICE, ALICE), object())
    assert await rows(db, "SELECT count(*) FROM ptb_conversations") == [(0,)]


# -- set-up, and what is not stored --------------------------------------------------------


async def test_first_use_connects_and_migrates_the_database_once(tmp_path: Path) -> None:
    fresh = open_database(await stores.fresh_store(tmp_path, "fresh", migrated=False))
    persistence = StorePersistence(fresh)
    try:
        # PTB calls these before post_init has opened the database; at once, even.
        users, chats, conversations = await asyncio.gather(
            persistence.get_user_data(),
            persistence.get_chat_data(),
            persistence.get_conversations("t"),
        )
        assert (users, chats, conversations) == ({}, {}, {})
        await persistence.update_user_data(ALICE, {"name": "Alice"})
        await persistence.flush()
        assert await user_row(fresh, ALICE) is not None
    finally:
        await fresh.close()


async def test_bot_data_and_callback_data_are_not_stored(tmp_path: Path) -> None:
    url = await stores.fresh_store(tmp_path, "untouched", migrated=False)
    untouched = open_database(url)
    persistence = StorePersistence(untouched, update_interval=5)

    assert persistence.store_data == PersistenceInput(
        bot_data=False, chat_data=True, user_data=True, callback_data=False
    )
    assert persistence.update_interval == 5
    assert StorePersistence(untouched).update_interval == 1.0
    assert await persistence.get_bot_data() == {}
    assert await persistence.get_callback_data() is None
    await persistence.update_bot_data({"services": object()})
    await persistence.refresh_bot_data({})
    await persistence.update_callback_data(([], {}))
    await persistence.refresh_user_data(ALICE, {})
    await persistence.refresh_chat_data(ALICE, {})
    await persistence.flush()
    assert await stores.is_untouched(url)  # none of that touched the database


# -- end to end: a persistent conversation across two Applications ---------------------------


async def ask_name(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Ask for the name."""
    assert update.effective_message is not None
    await update.effective_message.reply_text("What is your name?")
    return Step.NAME


async def got_name(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Remember the name and ask for the age."""
    assert update.effective_message is not None and context.user_data is not None
    context.user_data["name"] = update.effective_message.text
    await update.effective_message.reply_text("How old are you?")
    return Step.AGE


async def got_age(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Remember the age and sum up."""
    assert update.effective_message is not None and context.user_data is not None
    context.user_data["age"] = int(update.effective_message.text or "0")
    await update.effective_message.reply_text(
        f"{context.user_data['name']} is {context.user_data['age']}."
    )
    return ConversationHandler.END


def build_app(emulator: Emulator, persistence: StorePersistence) -> Application:
    request = EmulatorRequest(emulator)
    app = (
        ApplicationBuilder()
        .token("123:TEST")
        .request(request)
        .get_updates_request(request)
        .persistence(persistence)
        .build()
    )
    text = filters.TEXT & ~filters.COMMAND
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("start", ask_name)],
            states={
                Step.NAME: [MessageHandler(text, got_name)],
                Step.AGE: [MessageHandler(text, got_age)],
            },
            fallbacks=[],
            name="t",
            persistent=True,
        )
    )
    return app


def last_reply(emulator: Emulator) -> str | None:
    replies = [m for m in emulator.messages[ALICE].values() if m.from_bot]
    return replies[-1].text if replies else None


async def test_a_conversation_continues_after_a_restart(tmp_path: Path) -> None:
    emulator = Emulator()
    emulator.add_user(ALICE, "Alice")
    url = await stores.fresh_store(tmp_path, "bot", migrated=False)

    first_db = open_database(url)  # not connected: the persistence opens it in initialize()
    persistence = StorePersistence(first_db)
    app = build_app(emulator, persistence)
    try:
        await app.initialize()
        await app.process_update(Update.de_json(emulator.user_message(ALICE, "/start"), app.bot))
        await app.process_update(Update.de_json(emulator.user_message(ALICE, "Alice"), app.bot))
        assert last_reply(emulator) == "How old are you?"
        await app.update_persistence()
        await persistence.flush()  # the writer task commits right after the round
        assert await rows(first_db, "SELECT name, key, state FROM ptb_conversations") == [
            ("t", "[42,42]", "1")
        ]
        assert await user_row(first_db, ALICE) is not None
    finally:
        await app.shutdown()
        await first_db.close()

    second_db = open_database(url)
    persistence = StorePersistence(second_db)
    app = build_app(emulator, persistence)
    try:
        await app.initialize()
        assert app.user_data[ALICE] == {"name": "Alice"}

        await app.process_update(Update.de_json(emulator.user_message(ALICE, "30"), app.bot))

        assert last_reply(emulator) == "Alice is 30."
        await app.update_persistence()
        await persistence.flush()
        assert await rows(second_db, "SELECT count(*) FROM ptb_conversations") == [(0,)]
        stored = await user_row(second_db, ALICE)
        assert stored is not None and stored[0] == '{"name":"Alice","age":30}'
    finally:
        await app.shutdown()
        await second_db.close()


# -- a service's transaction ends a conversation (storage/repos/flows.py) --------------------


async def _person(db: Database, telegram_id: int) -> int:
    async with db.transaction() as tx:
        person = await tx.people.create(
            telegram_id=telegram_id,
            display_name="Alice",
            username=None,
            language="zh_CN",
            now=datetime(2026, 11, 26, tzinfo=UTC),
        )
    return person.id


async def test_a_flow_end_wins_over_an_older_write_still_queued(
    db: Database, reopened: Database, clock: FakeClock
) -> None:
    """The persistence round that saw the summary is queued, but the request's transaction
    (which also ends the conversation) takes the write connection first: the older draft is
    never written over what that transaction stored."""
    from bot.models import FlowEnd

    person_id = await _person(db, ALICE)
    persistence = StorePersistence(db, clock=clock, flows=frozenset({"intake"}))
    live: dict[str, Any] = {"intake": {"nonce": "n1", "step": "summary"}, "lang": "zh"}
    await persistence.update_user_data(ALICE, dict(live, intake={"nonce": "n1", "step": "x"}))
    await persistence.update_conversation("intake", (ALICE, ALICE), 8)
    # The writer task is queued, not yet run: the service's transaction starts first.
    end = FlowEnd(name="intake", key=(ALICE, ALICE), user_id=ALICE, user_data=live, nonce="n1")
    async with db.transaction() as tx:
        await tx.flows.finish(end, person_id=person_id, subject="request:1", now=clock.now())
        assert "intake" in live  # only once committed
    assert live == {"lang": "zh"}
    await persistence.flush()

    assert await rows(db, "SELECT data FROM ptb_user_data") == [('{"lang":"zh"}',)]
    assert await rows(db, "SELECT count(*) FROM ptb_conversations") == [(0,)]
    # PTB's next round hands over the live data (without the form) and END: nothing to write.
    await persistence.update_user_data(ALICE, dict(live))
    await persistence.update_conversation("intake", (ALICE, ALICE), None)
    assert persistence._pending == {}
    assert await StorePersistence(reopened).get_user_data() == {ALICE: {"lang": "zh"}}


async def test_a_flow_end_that_rolls_back_changes_nothing(db: Database, clock: FakeClock) -> None:
    from bot.models import FlowEnd

    person_id = await _person(db, ALICE)
    persistence = StorePersistence(db, clock=clock, flows=frozenset({"intake"}))
    live: dict[str, Any] = {"intake": {"nonce": "n1", "step": "summary"}}
    await persistence.update_user_data(ALICE, dict(live))
    await persistence.update_conversation("intake", (ALICE, ALICE), 8)
    await persistence.flush()
    end = FlowEnd(name="intake", key=(ALICE, ALICE), user_id=ALICE, user_data=live, nonce="n1")
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await tx.flows.finish(end, person_id=person_id, subject=None, now=clock.now())
            raise RuntimeError("the effect failed")
    assert "intake" in live
    assert await rows(db, "SELECT count(*) FROM ptb_conversations") == [(1,)]
    assert await rows(db, "SELECT count(*) FROM finished_flows") == [(0,)]
    assert '"intake"' in (await user_row(db, ALICE) or ("", ""))[0]


async def test_start_up_drops_finished_forms_and_ends_states_without_a_form(
    db: Database, reopened: Database, clock: FakeClock
) -> None:
    """A finished form is dropped, an unfinished one kept; a flow's state without its form is
    ended; conversations that are not flows are left alone."""
    person_id = await _person(db, ALICE)
    await _person(db, 7)
    persistence = StorePersistence(db, clock=clock)
    await persistence.update_user_data(ALICE, {"intake": {"nonce": "done"}, "x": 1})
    await persistence.update_user_data(7, {"intake": {"nonce": "open"}})
    for key, name in (((ALICE, ALICE), "intake"), ((7, 7), "intake"), ((7, 7), "join")):
        await persistence.update_conversation(name, key, 3)
    await persistence.update_conversation("t", (9, 9), 1)
    await persistence.flush()
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO finished_flows (person_id, flow, nonce, finished_at)"
            " VALUES (?, 'intake', 'done', '2026-11-26T00:00:00.000000Z')",
            (person_id,),
        )

    after = StorePersistence(reopened, flows=frozenset({"intake", "join"}))
    assert await after.get_user_data() == {ALICE: {"x": 1}, 7: {"intake": {"nonce": "open"}}}
    assert await after.get_conversations("intake") == {(7, 7): 3}
    assert await after.get_conversations("join") == {}
    assert await after.get_conversations("t") == {(9, 9): 1}
