"""Acting in the sandbox's web page as a person would: one chat pane per person."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Locator, Page, expect

__all__ = [
    "STEP",
    "Shots",
    "exactly",
    "pane",
    "press",
    "press_on",
    "reply_keyboard",
    "said",
    "sees",
    "send",
    "tap",
]

STEP = 10_000  # ms: the outbox paces 1 message per second per chat


# -- acting in a pane, as the person --------------------------------------------------------
def pane(page: Page, person: int) -> Locator:
    return page.locator(f'[data-person="{person}"]')


def exactly(label: str) -> re.Pattern[str]:
    return re.compile(f"^{re.escape(label)}$")


def said(chat: Locator, text: str | re.Pattern[str]) -> Locator:
    """The latest bot message in ``chat`` that contains ``text``."""
    return chat.locator('[data-testid="message"][data-from="bot"]').filter(has_text=text).last


async def sees(chat: Locator, text: str | re.Pattern[str]) -> Locator:
    """Wait until the bot says ``text`` in ``chat``; return that message."""
    message = said(chat, text)
    await expect(message).to_be_visible(timeout=STEP)
    return message


async def send(chat: Locator, text: str) -> None:
    """Type ``text`` and press Enter."""
    box = chat.get_by_test_id("message-input")
    await box.fill(text)
    await box.press("Enter")
    await expect(box).to_have_value("")


async def press(chat: Locator, label: str) -> None:
    """Press the inline button ``label`` on the latest message that has it."""
    button = chat.get_by_test_id("inline-button").filter(has_text=exactly(label)).last
    await button.click(timeout=STEP)


async def press_on(chat: Locator, text: str | re.Pattern[str], label: str) -> None:
    """Press the inline button ``label`` of the latest bot message that says ``text``."""
    message = said(chat, text)
    button = message.get_by_test_id("inline-button").filter(has_text=exactly(label))
    await button.click(timeout=STEP)


async def tap(chat: Locator, label: str) -> None:
    """Tap the reply-keyboard button ``label``."""
    await chat.get_by_test_id("reply-button").filter(has_text=exactly(label)).click(timeout=STEP)


async def reply_keyboard(chat: Locator, *labels: str) -> None:
    """The reply keyboard above the input shows exactly ``labels``."""
    await expect(chat.get_by_test_id("reply-button")).to_have_text(list(labels), timeout=STEP)


class Shots:
    """Numbered screenshots of the whole page, one per step."""

    def __init__(self, page: Page, folder: Path) -> None:
        self.page, self.folder, self.n = page, folder, 0

    async def take(self, name: str) -> None:
        self.n += 1
        await self.page.screenshot(path=self.folder / f"{self.n:02d}-{name}.png")
