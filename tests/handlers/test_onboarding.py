"""A new resident from /start to a stored compound; menus; /me; /forget."""

from __future__ import annotations

from auxil.harness import Harness, Player

from bot.models import Level, Role

RESIDENT_MENU = [
    "request",
    "services",
    "my",
    "activities",
    "stations",
    "points",
    "start",
    "help",
    "join",
    "bind",
    "me",
    "lang",
    "forget",
    "cancel",
]


async def person_of(h: Harness, player: Player):  # type: ignore[no-untyped-def]
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(player.id)
        grants = await tx.people.grants(person.id) if person else []
        home = await tx.org.get(person.home_unit_id) if person and person.home_unit_id else None
    return person, grants, home


async def test_new_resident_by_drill_down(org: Harness) -> None:
    alice = org.player("alice")
    await alice.command("/start")
    assert "请选择语言" in alice.last_text() and "Please choose your language" in alice.last_text()
    assert alice.buttons() == ["中文", "English"]

    await alice.press("中文")
    assert "请先选择街道" in alice.last_text()
    assert set(alice.buttons()) >= {"城东街道", "城西街道"}

    await alice.press("城西街道")
    assert "请选择您所在的社区" in alice.last_text()
    assert "伴月社区" in alice.buttons() and "« 返回" in alice.buttons()

    # Back goes up one level, and down again works.
    await alice.press("« 返回")
    assert "请先选择街道" in alice.last_text()
    await alice.press("城西街道")
    await alice.press("伴月社区")
    assert "请选择您居住的小区" in alice.last_text()
    await alice.press("星荷豪苑")

    texts = alice.texts()
    assert "📍 端州区 › 城西街道 › 伴月社区 › 星荷豪苑" in texts[-2]
    assert "✅ 您已登记在：端州区 › 城西街道 › 伴月社区 › 星荷豪苑。" in alice.last_text()
    assert alice.keyboard() == ["反映诉求", "服务菜单", "我的诉求", "帮助", "我的信息"]

    person, grants, home = await person_of(org, alice)
    assert person.language == "zh_CN"
    assert home is not None and home.code == "XHHY" and home.level is Level.COMPOUND
    assert [(g.role, g.unit_id) for g in grants] == [(Role.RESIDENT, home.id)]
    # Their command menu was set for their chat.
    assert alice.commands() == RESIDENT_MENU


async def test_new_resident_by_deep_link_in_english(org: Harness) -> None:
    bob = org.player("bob", language_code="en")
    await bob.command("/start c_XHHY")
    assert bob.buttons() == ["中文", "English"]
    await bob.press("English")
    assert "✅ You are registered at" in bob.last_text()
    assert "Duanzhou District › Chengxi Subdistrict › Banyue Community › Xinghe Haoyuan" in (
        bob.last_text()
    )
    assert bob.keyboard() == ["Raise a request", "Service menu", "My requests", "Help", "My data"]
    person, grants, home = await person_of(org, bob)
    assert person.language == "en" and home is not None and home.code == "XHHY"
    assert [g.role for g in grants] == [Role.RESIDENT]


async def test_unknown_deep_link_falls_back_to_drill_down(org: Harness) -> None:
    carol = org.player("carol")
    await carol.command("/start c_NOPE<b>")
    assert "编码 NOPE<b> 不是已登记的小区" in carol.texts()[0]
    assert "&lt;b&gt;" in carol.bot_messages()[0].html  # escaped, not interpreted
    await carol.press("中文")
    assert "请先选择街道" in carol.last_text()
    person, _, home = await person_of(org, carol)
    assert person.language == "zh_CN" and home is None


async def test_text_where_a_button_is_expected_reprompts(org: Harness) -> None:
    dan = org.player("dan")
    await dan.command("/start")
    await dan.send("hello?")
    assert dan.buttons() == ["中文", "English"]
    await dan.press("中文")
    await dan.send("星荷豪苑")  # typed instead of tapped
    assert "请先选择街道" in dan.last_text()
    assert "城西街道" in dan.buttons()
    await dan.send_sticker()
    assert "城西街道" in dan.buttons()


async def test_start_in_the_middle_restarts_cleanly(org: Harness) -> None:
    erin = org.player("erin")
    await erin.command("/start")
    await erin.press("中文")
    await erin.press("城西街道")
    await erin.command("/start")
    assert erin.buttons() == ["中文", "English"]
    await erin.press("English")
    assert "Choose your street" in erin.last_text()
    await erin.press("Chengxi Subdistrict")
    await erin.press("Banyue Community")
    await erin.press("Xinghe Haoyuan")
    person, _, home = await person_of(org, erin)
    assert person.language == "en" and home is not None and home.code == "XHHY"


async def test_returning_resident_is_welcomed_and_can_move(org: Harness) -> None:
    fay = org.player("fay")
    await fay.command("/start c_XHHY")
    await fay.press("中文")
    await fay.command("/start")
    assert "欢迎回来！您的小区：端州区 › 城西街道 › 伴月社区 › 星荷豪苑。" in fay.texts()[-2]
    await fay.press("更换小区")
    await fay.press("城东街道")
    community = fay.buttons()[0]
    await fay.press(community)
    compound = fay.buttons()[0]
    await fay.press(compound)
    _person, grants, home = await person_of(org, fay)
    assert home is not None and home.name == compound
    # The old resident grant ended; only the new one is live.
    assert [(g.role, g.unit_id) for g in grants] == [(Role.RESIDENT, home.id)]


async def test_stale_and_forged_buttons_get_a_polite_answer(org: Harness) -> None:
    gus = org.player("gus")
    await gus.command("/start")
    await gus.press_data("ob1:u:99999")
    assert gus.last_answer() is not None
    assert "此菜单已过期" in (gus.last_answer() or {})["text"]
    await gus.press_data("zz9:whatever")
    assert "此菜单已过期" in (gus.last_answer() or {})["text"]
    await gus.press_data("ob1:skip")  # only admins may skip the compound
    assert "此菜单已过期" in (gus.last_answer() or {})["text"]


async def test_residents_and_admins_get_different_menus(tmp_path) -> None:  # type: ignore[no-untyped-def]
    h = Harness(tmp_path, admins=[{"telegram_id": 5001, "unit": "BY"}])
    await h.start()
    try:
        await h.import_org()
        # Admins from the config are applied at start-up; restart to apply after the import.
        await h.restart()
        admin = h.player("admin", user_id=5001)
        resident = h.player("resident")
        await resident.command("/start c_XHHY")
        await resident.press("中文")
        await admin.command("/start")
        await admin.press("中文")
        # An admin may skip the compound.
        await admin.press("跳过：我只做管理工作")
        assert "✅ 设置完成。" in admin.last_text()
        assert "org" in admin.commands()
        assert "org" not in resident.commands()
        assert set(resident.commands()) < set(admin.commands())
        await admin.command("/org")
        assert "您的管辖范围：伴月社区" in admin.last_text()
        assert "星荷豪苑" in admin.last_text()
        assert "星湖社区" not in admin.last_text()
        await resident.command("/org")
        assert "只有管理员可以查看" in resident.last_text()
    finally:
        await h.stop()


async def test_me_shows_the_data_and_forget_deletes_it(org: Harness) -> None:
    hal = org.player("hal", username="hal_<x>")
    await hal.command("/start c_XHHY")
    await hal.press("中文")
    await hal.command("/me")
    text = hal.last_text()
    assert "姓名：Hal" in text and "@hal_<x>" in text and "星荷豪苑" in text and "居民" in text
    assert "&lt;x&gt;" in hal.last_html()

    await hal.command("/forget")
    assert hal.buttons() == ["是的，删除我的信息", "不，保留"]
    await hal.press("不，保留")
    assert "没有删除任何信息" in hal.last_text()
    person, _, _ = await person_of(org, hal)
    assert person is not None

    await hal.command("/forget")
    await hal.press("是的，删除我的信息")
    assert "您的信息已删除" in hal.last_text()
    assert hal.keyboard() == []
    person, grants, _ = await person_of(org, hal)
    assert person is None and grants == []
    async with org.services.db.read() as tx:
        leftovers = await tx.fetchval(
            "SELECT count(*) FROM role_grants g LEFT JOIN people p ON p.id = g.person_id"
            " WHERE p.id IS NULL"
        )
        audit = await tx.audit.latest(action="person.forget")
    assert leftovers == 0
    assert len(audit) == 1 and audit[0].before is None
    assert audit[0].after is not None and "texts_cleaned" in audit[0].after
    # The chat's own menu is gone: the default one (the resident's) shows again.
    assert f"chat:{hal.id}" not in org.emulator.commands
    assert [c["command"] for c in org.emulator.commands["default"]] == RESIDENT_MENU


async def test_lang_switches_language_and_menu(org: Harness) -> None:
    ivy = org.player("ivy")
    await ivy.command("/start c_XHHY")
    await ivy.press("中文")
    await ivy.command("/lang")
    await ivy.press("English")
    assert ivy.keyboard() == ["Raise a request", "Service menu", "My requests", "Help", "My data"]
    await ivy.tap("Help")
    assert "Commands:" in ivy.last_text()
    menu = org.emulator.commands[f"chat:{ivy.id}"]
    assert menu[0]["description"] == "Raise a request"
