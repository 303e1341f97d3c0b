"""Civil Code art. 278, exactly: the thresholds at their boundaries, and the computation against a
plain fraction reference."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.art278 import Choice, Ratio, Rule, area_text, parse_area, tally

A, D, X = Choice.AGREE, Choice.DISAGREE, Choice.ABSTAIN


def roll_of(areas: list[int]) -> dict[int, int]:
    return {n: area for n, area in enumerate(areas, 1)}


def test_participation_at_exactly_two_thirds_passes_and_one_household_less_fails() -> None:
    """30 households of equal area: 20 taking part is exactly 2/3 of the owners and of the
    area; 19 is not."""
    roll = roll_of([10000] * 30)
    exactly = tally(Rule.ORDINARY, roll, [(n, A) for n in range(1, 21)])
    assert exactly.participation_owners.reached and exactly.participation_area.reached
    assert exactly.participation_owners.value == Fraction(2, 3)
    assert exactly.quorate and exactly.passed
    one_less = tally(Rule.ORDINARY, roll, [(n, A) for n in range(1, 20)])
    assert not one_less.participation_owners.reached
    assert not one_less.participation_area.reached
    assert not one_less.passed


def test_participation_needs_both_area_and_owners() -> None:
    """Two households of 9 hold most of the area: they are 2/3 of the area but not of the
    owners; the seven small ones are 2/3 of the owners but not of the area."""
    roll = roll_of([40000, 40000, *([2000] * 7)])  # total 94,000: big two = 85%
    big = tally(Rule.ORDINARY, roll, [(1, A), (2, A)])
    assert big.participation_area.reached and not big.participation_owners.reached
    assert not big.passed
    small = tally(Rule.ORDINARY, roll, [(n, A) for n in range(3, 10)])
    assert small.participation_owners.reached and not small.participation_area.reached
    assert not small.passed


def test_major_rule_exactly_three_quarters_passes_and_just_under_fails() -> None:
    """An elevator retrofit: 40 households all take part; 30 agree (exactly 3/4 of the owners
    and, all of equal area, of the area) passes; 29 fails."""
    roll = roll_of([8937] * 40)
    votes = [(n, A if n <= 30 else D) for n in range(1, 41)]
    exactly = tally(Rule.MAJOR, roll, votes)
    assert exactly.consent_owners.value == Fraction(3, 4)
    assert exactly.consent_owners.reached and exactly.consent_area.reached and exactly.passed
    under = tally(Rule.MAJOR, roll, [(n, A if n <= 29 else D) for n in range(1, 41)])
    assert not under.consent_owners.reached and not under.consent_area.reached
    assert not under.passed


def test_major_rule_area_just_under_three_quarters_fails_with_enough_owners() -> None:
    """Owners at exactly 3/4 but the agreeing area one hundredth of a m² short of 3/4."""
    areas = [10000] * 4
    areas[3] = 10001  # the one disagreeing is a hair larger: agreeing area 30000 of 40001
    roll = roll_of(areas)
    result = tally(Rule.MAJOR, roll, [(1, A), (2, A), (3, A), (4, D)])
    assert result.consent_owners.reached
    assert not result.consent_area.reached and not result.passed
    # 4 * 30000 = 120000 < 3 * 40001 = 120003
    assert result.consent_area.part * 4 < 3 * result.consent_area.whole


def test_ordinary_rule_exactly_half_fails_and_one_more_passes() -> None:
    roll = roll_of([10000] * 10)
    half = tally(Rule.ORDINARY, roll, [(n, A if n <= 5 else D) for n in range(1, 11)])
    assert half.consent_owners.value == Fraction(1, 2)
    assert not half.consent_owners.reached and not half.consent_area.reached
    assert not half.passed
    more = tally(Rule.ORDINARY, roll, [(n, A if n <= 6 else D) for n in range(1, 11)])
    assert more.passed


def test_abstaining_takes_part_but_does_not_agree() -> None:
    roll = roll_of([10000] * 6)
    result = tally(Rule.ORDINARY, roll, [(1, A), (2, A), (3, X), (4, X)])
    assert result.voted == 4 and result.quorate
    assert result.consent_owners.value == Fraction(1, 2) and not result.passed


def test_a_household_counts_once_with_its_last_ballot_and_only_if_on_the_roll() -> None:
    roll = roll_of([10000, 10000, 10000])
    result = tally(Rule.ORDINARY, roll, [(1, D), (1, A), (2, A), (9, A)])
    assert (result.voted, result.agree, result.disagree) == (2, 2, 0)
    assert result.voted_area == 20000


def test_needed_is_the_least_part_that_reaches() -> None:
    assert Ratio(0, 30, Fraction(2, 3)).needed() == 20
    assert Ratio(0, 31, Fraction(2, 3)).needed() == 21
    assert Ratio(0, 10, Fraction(1, 2), strict=True).needed() == 6
    assert Ratio(0, 40, Fraction(3, 4)).needed() == 30
    assert not Ratio(0, 0, Fraction(1, 2)).reached


@pytest.mark.parametrize(
    ("text", "centi"),
    [("89.37", 8937), ("120", 12000), (" 56.5 ", 5650), ("0.01", 1), ("1e2", 10000)],
)
def test_areas_are_exact_hundredths(text: str, centi: int) -> None:
    assert parse_area(text) == centi
    assert parse_area(area_text(centi)) == centi


@pytest.mark.parametrize("text", ["0", "-3", "12.345", "abc", "", "nan", "inf"])
def test_bad_areas_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_area(text)


def reference(
    rule: Rule, areas: list[int], ballots: dict[int, Choice]
) -> tuple[bool, bool, bool, bool]:
    """The four conditions of art. 278 written plainly with fractions."""
    total_area = Fraction(sum(areas))
    voting = [i for i in range(len(areas)) if i in ballots]
    voted_area = Fraction(sum(areas[i] for i in voting))
    agreeing = [i for i in voting if ballots[i] is Choice.AGREE]
    agree_area = Fraction(sum(areas[i] for i in agreeing))
    participation_area = total_area > 0 and voted_area / total_area >= Fraction(2, 3)
    participation_owners = len(areas) > 0 and Fraction(len(voting), len(areas)) >= Fraction(2, 3)
    if not voting:
        return participation_area, participation_owners, False, False
    share_area = agree_area / voted_area if voted_area else Fraction(0)
    share_owners = Fraction(len(agreeing), len(voting))
    if rule is Rule.MAJOR:
        return (
            participation_area,
            participation_owners,
            share_area >= Fraction(3, 4),
            share_owners >= Fraction(3, 4),
        )
    return (
        participation_area,
        participation_owners,
        share_area > Fraction(1, 2),
        share_owners > Fraction(1, 2),
    )


@settings(max_examples=400, deadline=None)
@given(
    rule=st.sampled_from(list(Rule)),
    households=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=50_000),
            st.sampled_from([None, Choice.AGREE, Choice.DISAGREE, Choice.ABSTAIN]),
        ),
        min_size=1,
        max_size=60,
    ),
)
def test_the_computation_matches_a_plain_fraction_reference(
    rule: Rule, households: list[tuple[int, Choice | None]]
) -> None:
    areas = [area for area, _choice in households]
    ballots = {i: choice for i, (_area, choice) in enumerate(households) if choice is not None}
    result = tally(rule, {i: a for i, a in enumerate(areas)}, list(ballots.items()))
    expected = reference(rule, areas, ballots)
    assert tuple(r.reached for r in result.ratios) == expected
    assert result.passed == all(expected)
