"""Browser fixtures: the sandbox served on a free port and Debian's Chromium driven by Playwright.

Playwright's own browser downloads are not used (the machine is offline): the tests drive
``/usr/bin/chromium`` (``apt-get install -y chromium``) and are skipped when it is missing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, ViewportSize, async_playwright, expect

from bot.app import services_of
from bot.sandbox import Sandbox

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Wide enough for the five chat panes side by side.
VIEWPORT: ViewportSize = {"width": 1760, "height": 960}


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """``gridbot sandbox`` in this process: emulator, web chat and the bot, demo people."""
    data_dir = tmp_path / "sandbox"
    data_dir.mkdir()
    box = Sandbox(port=0, data_dir=data_dir)
    await box.start()
    try:
        await _settled(box)
        yield box
    finally:
        await box.stop()


async def _settled(box: Sandbox, limit: float = 60.0) -> None:
    """Wait until the demo's own messages (invitations, the seeded consultation) are out: the
    outbox paces one message a second per chat, and a test's first step must not queue
    behind them on a busy machine."""
    assert box.app is not None
    db = services_of(box.app).db
    give_up = time.monotonic() + limit
    while True:
        async with db.read() as tx:
            counts = await tx.outbox.counts()
        if counts.pending + counts.inflight == 0:
            return
        assert time.monotonic() < give_up, f"the sandbox's outbox did not drain: {counts}"
        await asyncio.sleep(0.05)


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    """Headless Chromium with a fresh profile."""
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            tmp_path / "chromium-profile",
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        try:
            yield context
        finally:
            await context.close()


@pytest.fixture
def page_errors() -> list[str]:
    """Script errors and console errors of the page (a test asserts there are none)."""
    return []


@pytest.fixture
async def page(sandbox: Sandbox, browser: BrowserContext, page_errors: list[str]) -> Page:
    """The sandbox's web chat, loaded, with one pane per demo person.

    The browser fixture is set up after the sandbox, so it closes first: no page is left
    reconnecting to a stopped server.
    """
    page = browser.pages[0] if browser.pages else await browser.new_page()
    page.on("pageerror", lambda error: page_errors.append(f"pageerror: {error}"))
    page.on(
        "console",
        lambda message: (
            page_errors.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    await page.goto(sandbox.url)
    await expect(page.locator("[data-person]")).to_have_count(len(sandbox.people_spec))
    await expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "open")
    return page


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
