"""邻里先锋 Gridbot: neighbourhood grid service on Telegram."""

__version__ = "0.1.0"
