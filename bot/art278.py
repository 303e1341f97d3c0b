"""Civil Code art. 278: when an owners' vote passes, computed exactly (no floating point).

Every ratio is two integers compared by cross-multiplication against a :class:`Fraction`
threshold; floor areas are integers in hundredths of a square metre.

* **Participation** (both): owners holding at least 2/3 of the total floor area, and at least
  2/3 of all owners, take part (a ballot of any choice, abstaining included, is taking part).
* **Ordinary matters**: more than 1/2 of the participating area *and* more than 1/2 of the
  participating owners agree.
* **Major matters** (raising or using the repair fund, rebuilding or renovating buildings and
  their facilities — an elevator retrofit —, changing the use of common parts): at least 3/4
  of the participating area *and* at least 3/4 of the participating owners agree.

One household is one owner with one vote; its weight in the area ratios is its floor area.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

__all__ = [
    "PARTICIPATION",
    "Choice",
    "Ratio",
    "Rule",
    "Tally",
    "area_text",
    "parse_area",
    "tally",
]


class Rule(StrEnum):
    ORDINARY = "ordinary"  # 一般事项: more than half
    MAJOR = "major"  # 重大事项: at least three quarters


class Choice(StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"
    ABSTAIN = "abstain"


PARTICIPATION = Fraction(2, 3)
CONSENT: dict[Rule, tuple[Fraction, bool]] = {
    # threshold, strictly more than it
    Rule.ORDINARY: (Fraction(1, 2), True),
    Rule.MAJOR: (Fraction(3, 4), False),
}


@dataclass(frozen=True)
class Ratio:
    """``part`` of ``whole`` against ``threshold`` (reached at it, or only above it when
    ``strict``). An empty whole reaches nothing."""

    part: int
    whole: int
    threshold: Fraction
    strict: bool = False

    @property
    def value(self) -> Fraction | None:
        return Fraction(self.part, self.whole) if self.whole else None

    @property
    def reached(self) -> bool:
        if self.whole <= 0:
            return False
        left = self.part * self.threshold.denominator
        right = self.threshold.numerator * self.whole
        return left > right if self.strict else left >= right

    def needed(self) -> int:
        """The smallest ``part`` that reaches the threshold with this ``whole``."""
        if self.whole <= 0:
            return 1
        num, den = self.threshold.numerator, self.threshold.denominator
        least = -(-num * self.whole // den)  # ceil(num * whole / den)
        if self.strict and least * den == num * self.whole:
            least += 1
        return least


@dataclass(frozen=True)
class Tally:
    """Where an owners' vote stands: counts and areas on the roll, of the ballots, agreeing."""

    rule: Rule
    households: int  # on the roll
    area: int  # their total floor area (0.01 m²)
    voted: int
    voted_area: int
    agree: int
    agree_area: int
    disagree: int
    disagree_area: int
    abstain: int
    abstain_area: int

    @property
    def participation_area(self) -> Ratio:
        return Ratio(self.voted_area, self.area, PARTICIPATION)

    @property
    def participation_owners(self) -> Ratio:
        return Ratio(self.voted, self.households, PARTICIPATION)

    @property
    def consent_area(self) -> Ratio:
        threshold, strict = CONSENT[self.rule]
        return Ratio(self.agree_area, self.voted_area, threshold, strict)

    @property
    def consent_owners(self) -> Ratio:
        threshold, strict = CONSENT[self.rule]
        return Ratio(self.agree, self.voted, threshold, strict)

    @property
    def ratios(self) -> tuple[Ratio, Ratio, Ratio, Ratio]:
        """The four, in the order the law states them."""
        return (
            self.participation_area,
            self.participation_owners,
            self.consent_area,
            self.consent_owners,
        )

    @property
    def quorate(self) -> bool:
        return self.participation_area.reached and self.participation_owners.reached

    @property
    def passed(self) -> bool:
        return all(ratio.reached for ratio in self.ratios)

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule.value,
            "households": self.households,
            "area": self.area,
            "voted": self.voted,
            "voted_area": self.voted_area,
            "agree": self.agree,
            "agree_area": self.agree_area,
            "disagree": self.disagree,
            "disagree_area": self.disagree_area,
            "abstain": self.abstain,
            "abstain_area": self.abstain_area,
            "passed": self.passed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Tally:
        fields = {k: int(str(data[k])) for k in _COUNTS}
        return cls(rule=Rule(str(data["rule"])), **fields)


_COUNTS = (
    "households",
    "area",
    "voted",
    "voted_area",
    "agree",
    "agree_area",
    "disagree",
    "disagree_area",
    "abstain",
    "abstain_area",
)


def tally(rule: Rule, roll: Mapping[int, int], ballots: Iterable[tuple[int, Choice]]) -> Tally:
    """Count ``ballots`` (household id, choice) against the ``roll`` (household id: area).

    A ballot of a household not on the roll is not counted; a household counts once, with its
    last ballot in the iteration (the store keeps one per household anyway).
    """
    last: dict[int, Choice] = {}
    for household, choice in ballots:
        if household in roll:
            last[household] = choice
    counts = {choice: 0 for choice in Choice}
    areas = {choice: 0 for choice in Choice}
    for household, choice in last.items():
        counts[choice] += 1
        areas[choice] += roll[household]
    return Tally(
        rule=rule,
        households=len(roll),
        area=sum(roll.values()),
        voted=len(last),
        voted_area=sum(areas.values()),
        agree=counts[Choice.AGREE],
        agree_area=areas[Choice.AGREE],
        disagree=counts[Choice.DISAGREE],
        disagree_area=areas[Choice.DISAGREE],
        abstain=counts[Choice.ABSTAIN],
        abstain_area=areas[Choice.ABSTAIN],
    )


def parse_area(text: str) -> int:
    """A floor area in m² as written ("89.37", "120") to hundredths of a square metre.

    Raises ValueError for anything that is not a positive number with at most two decimals.
    """
    try:
        value = Decimal(text.strip())
    except ArithmeticError:
        raise ValueError(f"not a number: {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"not a positive area: {text!r}")
    centi = value * 100
    if centi != centi.to_integral_value():
        raise ValueError(f"more than two decimals: {text!r}")
    return int(centi)


def area_text(centi: int) -> str:
    """Hundredths of a square metre as m² with two decimals: 8937 -> '89.37'."""
    return f"{centi // 100}.{centi % 100:02d}"
