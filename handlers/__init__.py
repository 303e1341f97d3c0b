"""The Telegram edge: one module per feature, each exposing ``handlers()``; ``bot.app`` wires
them."""
