"""The request state machine: exactly the allowed transitions; the timeline replays."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import InvalidTransition
from bot.lifecycle import ALLOWED, CANCELLABLE, Status, check, is_allowed, replay

S = Status

# The allowed moves, written out once more by hand from the issue, to check the table.
EXPECTED = {
    (S.SUBMITTED, S.TRIAGED),
    (S.SUBMITTED, S.CANCELLED),
    (S.TRIAGED, S.DISPATCHED),
    (S.TRIAGED, S.ACCEPTED),
    (S.TRIAGED, S.RESOLVED),
    (S.TRIAGED, S.CANCELLED),
    (S.DISPATCHED, S.ACCEPTED),
    (S.DISPATCHED, S.TRIAGED),
    (S.DISPATCHED, S.RESOLVED),
    (S.DISPATCHED, S.CANCELLED),
    (S.ACCEPTED, S.IN_PROGRESS),
    (S.ACCEPTED, S.RESOLVED),
    (S.ACCEPTED, S.RETURNED),
    (S.IN_PROGRESS, S.RESOLVED),
    (S.IN_PROGRESS, S.RETURNED),
    (S.RESOLVED, S.CLOSED),
    (S.RESOLVED, S.REOPENED),
    (S.REOPENED, S.IN_PROGRESS),
    (S.REOPENED, S.RESOLVED),
    (S.REOPENED, S.RETURNED),
    (S.RETURNED, S.DISPATCHED),
    (S.RETURNED, S.ACCEPTED),
    (S.RETURNED, S.RESOLVED),
    (S.RETURNED, S.CANCELLED),
}


def test_table_is_the_documented_one() -> None:
    table = {(a, b) for a, targets in ALLOWED.items() for b in targets}
    assert table == EXPECTED
    # Cancelling is possible exactly before anyone accepted.
    assert {a for a, b in EXPECTED if b is S.CANCELLED} == CANCELLABLE
    assert not ALLOWED[S.CLOSED] and not ALLOWED[S.CANCELLED]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list(Status)), max_size=30))
def test_random_sequences(targets: list[Status]) -> None:
    """Apply random targets: allowed ones move, others raise and change nothing; the events
    recorded along the way replay to the final status."""
    current = S.SUBMITTED
    events: list[tuple[str | None, str]] = [(None, S.SUBMITTED.value)]
    for target in targets:
        if (current, target) in EXPECTED:
            check(current, target)
            events.append((current.value, target.value))
            current = target
        else:
            assert not is_allowed(current, target)
            with pytest.raises(InvalidTransition):
                check(current, target)
    assert replay(events) is current


def test_replay_refuses_a_broken_timeline() -> None:
    with pytest.raises(ValueError, match="starts"):
        replay([("triaged", "dispatched")])
    with pytest.raises(ValueError, match="broken"):
        replay([(None, "submitted"), ("triaged", "dispatched")])
    with pytest.raises(InvalidTransition):
        replay([(None, "submitted"), ("submitted", "closed")])
