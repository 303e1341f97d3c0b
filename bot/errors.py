"""Domain errors raised by services; handlers turn them into friendly messages."""

from __future__ import annotations

__all__ = [
    "AlreadyTaken",
    "DomainError",
    "InvalidInput",
    "InvalidTransition",
    "NotAllowed",
    "NotFound",
]


class DomainError(Exception):
    """Base class: ``message`` is an English msgid for the user, ``params`` fill it in."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class NotAllowed(DomainError):
    """The actor may not do this (checked in the service, whatever the buttons showed)."""


class NotFound(DomainError):
    """The thing asked for does not exist (or no longer does)."""


class InvalidInput(DomainError):
    """The input cannot be used; the message says why."""


class InvalidTransition(DomainError):
    """The object is not in a state that allows this."""


class AlreadyTaken(DomainError):
    """Someone else accepted the task first."""
