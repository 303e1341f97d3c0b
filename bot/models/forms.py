"""The form of a guided flow: what the person has answered so far.

Every guided conversation (the intake, /join, /visit, /broadcast ...) keeps one form in the
person's ``user_data`` under the flow's name, between steps and across restarts
(``handlers/wizard.py`` loads and saves it). A flow's form subclasses :class:`Form`: its own
answers, its rules as methods (``set_description`` refuses what it cannot take), and ``step``
narrowed to the flow's own ``StrEnum``.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Form"]


class Form(BaseModel):
    """One guided flow in progress.

    ``nonce`` names this form: the service that commits the flow records it with the flow's
    end (a final button pressed again finds what it made; a copy left by a crash is dropped
    at start-up), and buttons that must belong to this very form carry it. ``step`` is where
    the person is. ``touched_at`` is the last answer: the sweep sets a form idle longer than
    ``[requests] conversation_timeout_minutes`` aside. ``editing``: one part is being changed
    from the summary, which comes back right after it.
    """

    # A step set by name ("summary") becomes the flow's own StrEnum member.
    model_config = ConfigDict(validate_assignment=True)

    nonce: str = Field(default_factory=lambda: secrets.token_hex(4))
    step: str
    editing: bool = False
    touched_at: datetime | None = None

    def revise(self, step: str) -> None:
        """The part ``step`` is about to be answered again, from the summary (a form whose
        answers there add up, like photos, starts that part afresh)."""
