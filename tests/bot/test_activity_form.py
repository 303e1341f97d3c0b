"""The publishing form's rules: days, start times, places, capacity and who is invited, as an
organiser types or presses them."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import InvalidInput
from bot.models.activities import ActivityForm, Audience

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("2026-12-05", date(2026, 12, 5)),
        ("12-05", date(2026, 12, 5)),
        ("12/5", date(2026, 12, 5)),
        ("12月5日", date(2026, 12, 5)),
        ("2026年12月5日", date(2026, 12, 5)),
        ("11-26", TODAY),  # today is fine
        ("1-5", date(2027, 1, 5)),  # a day of the year already past: next year's
    ],
)
def test_days_as_people_type_them(typed: str, day: date) -> None:
    form = ActivityForm()
    form.set_day(typed, TODAY)
    assert form.day == day


@pytest.mark.parametrize("typed", ["tomorrow", "2026-02-30", "13-01", "2026-11-25", "2027-06-01"])
def test_impossible_or_out_of_range_days_are_refused(typed: str) -> None:
    form = ActivityForm()
    with pytest.raises(InvalidInput):
        form.set_day(typed, TODAY)
    assert form.day is None


@pytest.mark.parametrize(
    ("typed", "start"),
    [
        ("9:30", "09:30"),
        ("09:30", "09:30"),
        ("19：00", "19:00"),
        ("9点", "09:00"),
        ("9点30分", "09:30"),
    ],
)
def test_start_times_as_people_type_them(typed: str, start: str) -> None:
    form = ActivityForm()
    form.set_start(typed)
    assert form.start == start


@pytest.mark.parametrize("typed", ["25:00", "9:75", "morning", ""])
def test_impossible_times_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput):
        ActivityForm().set_start(typed)


def test_a_place_is_a_station_or_an_address_or_a_location() -> None:
    form = ActivityForm()
    form.set_address("伴月社区广场")
    form.set_station(3)
    assert (form.station_id, form.address) == (3, None)
    form.set_location(23.05, 112.46)
    assert (form.station_id, form.latitude) == (None, 23.05)
    with pytest.raises(InvalidInput):
        form.set_location(123.0, 0.0)


def test_capacity_and_audience() -> None:
    form = ActivityForm()
    for bad in ("0", "501", "lots", "-3"):
        with pytest.raises(InvalidInput):
            form.set_capacity(bad)
    form.set_capacity(" 30 ")
    assert form.capacity == 30
    with pytest.raises(InvalidInput):
        form.check_audience()
    form.toggle(Audience.RESIDENTS)
    form.toggle(Audience.MEMBERS)
    assert form.audience == [Audience.MEMBERS, Audience.RESIDENTS]
    form.toggle(Audience.MEMBERS)
    form.check_audience()
    assert form.audience == [Audience.RESIDENTS]
