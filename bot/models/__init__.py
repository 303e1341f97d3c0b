"""Domain models: plain data shared by services, repositories and views (no Telegram types).

The core entities are in :mod:`bot.models.core` and importable from here; what one feature's
screens show lives beside them (``bot.models.intake``, ``.stats``, ``.broadcast`` ...), so
views render models and never reach back into the services.
"""

from bot.models.core import *  # noqa: F403 (the core entities, as bot.models.<Name>)
from bot.models.core import __all__ as __all__
