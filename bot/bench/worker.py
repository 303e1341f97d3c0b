"""A bot process for ``gridbot bench``: Gridbot itself, or a minimal echo bot as the baseline.

Both long-poll the benchmark's HTTP emulator with the same per-chat update processor, so the
difference between them is Gridbot's own work.

    python -m bot.bench.worker gridbot --base-url URL --store URL
    python -m bot.bench.worker echo --base-url URL
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from datetime import timedelta

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.app import OFFLINE_TOKEN, build_application
from bot.clock import OffsetClock, SystemClock
from bot.config import load_config
from bot.processor import PerChatUpdateProcessor
from bot.request import AiohttpRequest
from bot.runner import RunOptions, serve

__all__ = ["main"]


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say the text back."""
    message = update.effective_message
    if message is not None and message.text is not None:
        await message.reply_text(message.text)


async def _echo_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a button press and say its data back."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    if query.message is not None:
        await context.bot.send_message(query.message.chat.id, query.data or "-")


def echo_application(base_url: str, concurrency: int) -> Application:  # type: ignore[type-arg]
    app = (
        ApplicationBuilder()
        .token(OFFLINE_TOKEN)
        .base_url(f"{base_url}/bot")
        .base_file_url(f"{base_url}/file/bot")
        .concurrent_updates(PerChatUpdateProcessor(concurrency))
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest(connection_pool_size=2))
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    app.add_handler(CallbackQueryHandler(_echo_press))
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bot.bench.worker")
    parser.add_argument("mode", choices=("gridbot", "echo"))
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--store", help="the store URL (sqlite:PATH or postgresql://...)")
    parser.add_argument("--db", help="an SQLite file (the same as --store sqlite:PATH)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--outbox-rate", type=float, default=25.0)
    parser.add_argument("--outbox-in-flight", type=int, default=16)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--takeover-seconds", type=float, default=10.0)
    parser.add_argument("--sweep-seconds", type=float, default=30.0)
    parser.add_argument(
        "--clock-offset-minutes", type=float, default=0.0, help="start this much later"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    if args.mode == "echo":
        app = echo_application(args.base_url, args.concurrency)
        app.run_polling(
            poll_interval=0.0,
            timeout=10,
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
        )
        return 0
    config = load_config(
        None,
        bot={"base_url": f"{args.base_url}/bot", "base_file_url": f"{args.base_url}/file/bot"},
        storage={"url": args.store or f"sqlite:{args.db}"},
        performance={"concurrent_updates": args.concurrency},
        outbox={
            "rate_per_second": args.outbox_rate,
            "max_in_flight": args.outbox_in_flight,
            "time_scale": args.time_scale,
        },
        scheduler={"sweep_seconds": args.sweep_seconds},
        ha={"takeover_seconds": args.takeover_seconds},
    )
    offset = timedelta(minutes=args.clock_offset_minutes)
    clock = OffsetClock(offset) if offset else SystemClock()
    # The production path: `gridbot run`'s runner (leadership, polling that confirms updates
    # once applied).
    return asyncio.run(
        serve(
            config,
            RunOptions(),
            lambda: build_application(config, token=OFFLINE_TOKEN, clock=clock),
            clock=clock,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
