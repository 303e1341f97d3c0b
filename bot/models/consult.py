"""议事协商 and 业主表决: consultations, their proposals and seat votes, the owners' votes of a
compound, the decision, objections and action items; and what their screens show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.art278 import Choice, Rule, Tally
from bot.errors import InvalidInput
from bot.freetext import BACKGROUND, ITEM, OPTION, PROPOSAL, QUESTION, TOPIC
from bot.i18n import N_
from bot.models.core import OrgUnit, Request
from bot.models.forms import Form
from bot.models.parties import Party, PartyKind, SeatHolding

__all__ = [
    "MAX_FILES",
    "MAX_OPTIONS",
    "ActionItem",
    "ActionState",
    "Ballot",
    "ConsultFigures",
    "ConsultRow",
    "Consultation",
    "ConsultationState",
    "ConsultationView",
    "ConveneForm",
    "ConveneStep",
    "Household",
    "ItemForm",
    "ItemStep",
    "Joined",
    "Objection",
    "OwnersVote",
    "OwnersVoteView",
    "PaperForm",
    "PaperStep",
    "Participant",
    "ParticipantKind",
    "Proposal",
    "ProposalForm",
    "ProposalStep",
    "ProposalView",
    "RatingRound",
    "SeatVoteCount",
    "Speaker",
    "VoteForm",
    "VoteMatter",
    "VoteState",
    "VoteStep",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class ConsultationState(StrEnum):
    OPEN = "open"  # discussing, seat votes open until the closing time
    DECIDED = "decided"  # the chair recorded the decision
    PUBLISHED = "published"  # 公示: residents may object until the window ends
    CARRYING_OUT = "carrying_out"  # 落实: action items running
    DONE = "done"
    CANCELLED = "cancelled"


# Where a decision may still get action items, and where it is still in progress.
DECIDED_STATES = frozenset(
    {ConsultationState.DECIDED, ConsultationState.PUBLISHED, ConsultationState.CARRYING_OUT}
)
LIVE_STATES = frozenset({ConsultationState.OPEN, *DECIDED_STATES})


class Consultation(_Model):
    id: int
    compound_id: int
    request_id: int | None = None
    topic_id: int | None = None
    title: str
    background: str
    state: ConsultationState
    chair_id: int | None = None
    closes_at: datetime
    closed_at: datetime | None = None
    decision: str | None = None
    decided_at: datetime | None = None
    published_at: datetime | None = None
    objection_until: datetime | None = None
    done_at: datetime | None = None
    created_at: datetime


class ParticipantKind(StrEnum):
    SEAT = "seat"  # a seat of a compound party
    COMMUNITY = "community"  # an administrator of the community (社区党组织)
    REPRESENTATIVE = "representative"  # 居民代表
    MEMBER = "member"  # a party member or volunteer living there

    @property
    def votes(self) -> bool:
        return self in (ParticipantKind.SEAT, ParticipantKind.COMMUNITY)


class Participant(_Model):
    id: int
    consultation_id: int
    person_id: int | None
    seat_id: int | None = None
    kind: ParticipantKind


@dataclass(frozen=True)
class Speaker:
    """A person in a consultation with what labels them (every seat they were invited for)."""

    person_id: int
    name: str
    kinds: tuple[ParticipantKind, ...]
    seats: tuple[SeatHolding, ...] = ()
    unit: OrgUnit | None = None  # the community, for an administrator

    @property
    def votes(self) -> bool:
        return any(kind.votes for kind in self.kinds)

    @property
    def sees_tally(self) -> bool:
        """The community and the owners' committee follow an owners' vote's live tally."""
        return ParticipantKind.COMMUNITY in self.kinds or any(
            h.party.kind is PartyKind.OWNERS_COMMITTEE for h in self.seats
        )


class Proposal(_Model):
    id: int
    consultation_id: int
    text: str
    options: list[str] = []
    state: str = "open"
    created_at: datetime
    closes_at: datetime
    closed_at: datetime | None = None

    @property
    def choices(self) -> list[str]:
        """What is voted on: each option, or the proposal itself."""
        return self.options or [self.text]


@dataclass(frozen=True)
class SeatVoteCount:
    """One option of a proposal: the votes of each kind."""

    option: str
    agree: int = 0
    disagree: int = 0
    abstain: int = 0

    @property
    def cast(self) -> int:
        return self.agree + self.disagree + self.abstain

    @property
    def carried(self) -> bool:
        """More than half of the votes cast agree."""
        return self.agree * 2 > self.cast


@dataclass(frozen=True)
class ProposalView:
    proposal: Proposal
    counts: list[SeatVoteCount]
    voters: int  # who may vote
    voted: int  # who voted on at least one option
    mine: dict[int, Choice] = field(default_factory=dict)  # the viewer's own, by option

    @property
    def quorate(self) -> bool:
        """More than half of those who may vote took part."""
        return self.voted * 2 > self.voters


class Objection(_Model):
    id: int
    consultation_id: int
    person_id: int | None
    reason: str
    at: datetime


class ActionState(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class ActionItem(_Model):
    id: int
    consultation_id: int
    text: str
    party_id: int | None = None
    person_id: int | None = None
    due_at: datetime
    state: ActionState = ActionState.OPEN
    note: str | None = None
    done_by: int | None = None
    done_at: datetime | None = None
    created_at: datetime

    def on_time(self) -> bool | None:
        """Done by its deadline; None while not done."""
        if self.done_at is None:
            return None
        return self.done_at <= self.due_at


class VoteMatter(StrEnum):
    """What an owners' vote is about: which rule of art. 278 applies."""

    ORDINARY = "ordinary"  # every other matter: more than half
    REPAIR_FUND = "repair_fund"  # 筹集、使用维修资金
    RENOVATION = "renovation"  # 改建、重建建筑物及其附属设施 (an elevator retrofit)
    CHANGE_OF_USE = "change_of_use"  # 改变共有部分的用途

    @property
    def rule(self) -> Rule:
        return Rule.ORDINARY if self is VoteMatter.ORDINARY else Rule.MAJOR


class VoteState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Household(_Model):
    """One household (专有部分) of a compound's registry."""

    id: int
    compound_id: int
    building: str
    unit: str
    room: str
    area_centi: int
    active: bool = True
    owner_id: int | None = None
    bound_at: datetime | None = None
    code_issued_at: datetime | None = None

    @property
    def label(self) -> str:
        """3-1-502: building, unit (if any), room."""
        return "-".join(p for p in (self.building, self.unit, self.room) if p)


class OwnersVote(_Model):
    id: int
    consultation_id: int
    compound_id: int
    question: str
    rule: Rule
    matter: VoteMatter
    building: str | None = None  # the roll: one building (and unit) only, or the compound
    unit: str | None = None
    state: VoteState
    households: int
    area_centi: int
    opened_by: int | None = None
    opened_at: datetime
    closes_at: datetime
    closed_at: datetime | None = None
    passed: bool | None = None
    result: dict[str, Any] | None = None


class Ballot(_Model):
    vote_id: int
    household_id: int
    person_id: int | None
    choice: Choice
    channel: str
    changes: int = 0
    cast_at: datetime


@dataclass(frozen=True)
class OwnersVoteView:
    """An owners' vote with its tally and, for an owner, their households and choices."""

    vote: OwnersVote
    compound: OrgUnit
    tally: Tally
    title: str  # the consultation's
    mine: list[tuple[Household, Choice | None]] = field(default_factory=list)
    not_voted: list[Household] = field(default_factory=list)  # for the chair's reminders


@dataclass(frozen=True)
class ConsultationView:
    """A consultation with what its screens show, as one person may see it."""

    consultation: Consultation
    compound: OrgUnit
    path: list[OrgUnit]
    chair: str | None
    speakers: list[Speaker]
    vacant: list[SeatHolding]  # seats invited that nobody holds in the bot yet
    proposals: list[ProposalView]
    votes: list[OwnersVoteView]
    objections: list[Objection]
    items: list[tuple[ActionItem, str]]  # with who has it
    request: Request | None = None
    files: int = 0
    photos: list[str] = field(default_factory=list)  # of the background
    messages: int = 0
    is_chair: bool = False
    viewer: Speaker | None = None


@dataclass(frozen=True)
class Joined:
    """Someone who opened a consultation's link, and the consultation as they see it (shown
    in the bot's time zone)."""

    view: ConsultationView
    tz: tzinfo


class RatingRound(_Model):
    """One month's property-service rating (物业服务评议) of a compound."""

    id: int
    compound_id: int
    party_id: int | None = None
    month: str
    state: str
    asked: int = 0
    opened_at: datetime
    closes_at: datetime
    closed_at: datetime | None = None


@dataclass(frozen=True)
class RatingResult:
    """A round's answers, counted (nobody's answer is named)."""

    round: RatingRound
    compound: OrgUnit
    party: Party | None
    satisfied: int
    basic: int
    unsatisfied: int
    comments: list[str]

    @property
    def answered(self) -> int:
        return self.satisfied + self.basic + self.unsatisfied


@dataclass(frozen=True)
class ConsultRow:
    """One consultation as the export lists it."""

    consultation: Consultation
    compound: OrgUnit
    proposals: int
    votes: list[OwnersVote]
    items: int
    items_done: int
    objections: int


@dataclass(frozen=True)
class ConsultFigures:
    """要事商议办 of a unit for a period: consultations held (convened in the period), decisions
    made, owners' votes closed (their turnout, by owners and by area), action items (done or due
    in the period) done on time, and the property-service ratings closed in the period."""

    held: int
    decided: int
    votes: int
    votes_passed: int
    voted: int  # households that took part, over the votes closed
    on_roll: int  # households on their rolls
    voted_area: int  # 0.01 m²
    roll_area: int
    items_due: int  # action items done in the period or due in it (not cancelled)
    items_on_time: int  # of those, done by their deadline
    rating_answers: int  # answers in the ratings closed in the period
    rating_satisfied: int  # of those, satisfied or basically satisfied
    rows: list[ConsultRow] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.held or self.decided or self.votes or self.items_due or self.rating_answers
        )


# -- the chair's forms (guided flows on handlers/wizard.py: a card, and a field typed next) ----
MAX_OPTIONS = 4
MAX_FILES = 10
OPTIONS_COUNT = N_("Please give 2 to {n} options, one per line.")
TOO_MANY_FILES = N_("At most {n} photos and files.")


class ConveneStep(StrEnum):
    COMPOUND = "compound"  # which compound (a chair of several)
    CARD = "card"  # the draft, a button per field, the seats to leave out, the days
    TITLE = "title"
    BACKGROUND = "background"  # text, photos and files


class ConveneForm(Form):
    """A consultation being convened."""

    step: ConveneStep = ConveneStep.CARD
    compound_id: int | None = None
    request_id: int | None = None
    title: str | None = None
    background: str | None = None
    files: list[tuple[str, str, str | None]] = Field(default_factory=list)  # id, kind, name
    seat_ids: list[int] = Field(default_factory=list)
    days: int = 7

    @property
    def complete(self) -> bool:
        return bool(self.compound_id and self.title and self.background)

    def set_title(self, text: str) -> None:
        self.title = TOPIC.accept(text)

    def set_background(self, text: str) -> None:
        self.background = BACKGROUND.accept(text)

    def add_file(self, file_id: str, kind: str, name: str | None = None) -> None:
        """A photo or a file for the background (at most :data:`MAX_FILES`)."""
        if len(self.files) >= MAX_FILES:
            raise InvalidInput(TOO_MANY_FILES, n=MAX_FILES)
        self.files = [*self.files, (file_id, kind, name)]

    def toggle_seat(self, seat_id: int) -> None:
        """Leave a seat out, or take it back."""
        chosen = self.seat_ids
        self.seat_ids = (
            [s for s in chosen if s != seat_id] if seat_id in chosen else [*chosen, seat_id]
        )


class ProposalStep(StrEnum):
    CARD = "card"
    TEXT = "text"
    OPTIONS = "options"


class ProposalForm(Form):
    """A proposal being put to the seats."""

    step: ProposalStep = ProposalStep.CARD
    consultation_id: int = 0
    text: str | None = None
    options: list[str] = Field(default_factory=list)
    days: int | None = None  # None: until the consultation closes

    def set_text(self, text: str) -> None:
        self.text = PROPOSAL.accept(text)

    def set_options(self, text: str) -> None:
        """One option a line, 2 to :data:`MAX_OPTIONS`."""
        options = [OPTION.accept(line) for line in text.splitlines() if line.strip()]
        if not 2 <= len(options) <= MAX_OPTIONS:
            raise InvalidInput(OPTIONS_COUNT, n=MAX_OPTIONS)
        self.options = options


class VoteStep(StrEnum):
    CARD = "card"
    QUESTION = "question"


class VoteForm(Form):
    """An owners' vote being opened."""

    step: VoteStep = VoteStep.CARD
    consultation_id: int = 0
    question: str | None = None
    matter: VoteMatter = VoteMatter.ORDINARY
    building: str | None = None  # None: the whole compound
    days: int = 14

    def set_question(self, text: str) -> None:
        self.question = QUESTION.accept(text)


class ItemStep(StrEnum):
    CARD = "card"
    TEXT = "text"


class ItemForm(Form):
    """An action item being added to a decision."""

    step: ItemStep = ItemStep.CARD
    consultation_id: int = 0
    text: str | None = None
    party_id: int | None = None  # a party carries it out (any of its seat holders) ...
    person_id: int | None = None  # ... or one person
    days: int = 30

    @property
    def complete(self) -> bool:
        return bool(self.text) and (self.party_id or self.person_id) is not None

    def set_text(self, text: str) -> None:
        self.text = ITEM.accept(text)


class PaperStep(StrEnum):
    BALLOT = "ballot"  # one paper ballot after another, until Done


class PaperForm(Form):
    """The owners' committee (or the chair) typing in the paper ballots of a vote."""

    step: PaperStep = PaperStep.BALLOT
    vote_id: int = 0
    recorded: int = 0
