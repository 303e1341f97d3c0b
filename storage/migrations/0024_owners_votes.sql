-- 业主表决: the household registry of a compound and the owners' votes (Civil Code art. 278).

-- One household (专有部分): building, unit, room and its floor area in hundredths of a square
-- metre (an exact integer: 89.37 m2 is 8937). The owner binds their Telegram account with a
-- one-time code printed on paper or handed out by the committee; only the code's SHA-256 is
-- kept, until it is used.
CREATE TABLE households (
    id           INTEGER PRIMARY KEY,
    compound_id  INTEGER NOT NULL REFERENCES org_units (id) ON DELETE CASCADE,
    building     TEXT    NOT NULL,
    unit         TEXT    NOT NULL,          -- '' where a building has no units
    room         TEXT    NOT NULL,
    area_centi   INTEGER NOT NULL CHECK (area_centi > 0),
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    code_hash    TEXT    UNIQUE,            -- the current one-time code (NULL once used)
    code_issued_at TIMESTAMPTZ,
    owner_id     INTEGER REFERENCES people (id) ON DELETE SET NULL,
    bound_at     TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (compound_id, building, unit, room)
);
CREATE INDEX households_owner ON households (owner_id) WHERE owner_id IS NOT NULL;

-- An owners' vote of one compound, or of one building (or unit) of it — an elevator retrofit is
-- voted by the owners of that building. The households entitled to vote and their areas are
-- fixed when it opens (owners_vote_roll): the thresholds count against that roll.
CREATE TABLE owners_votes (
    id              INTEGER PRIMARY KEY,
    consultation_id INTEGER NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    compound_id     INTEGER NOT NULL REFERENCES org_units (id),
    question        TEXT    NOT NULL,
    rule            TEXT    NOT NULL CHECK (rule IN ('ordinary', 'major')),
    matter          TEXT    NOT NULL,       -- bot.models.VoteMatter: why the rule applies
    building        TEXT,                   -- the roll: this building only (NULL: all)
    unit            TEXT,                   -- ... and this unit of it
    state           TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed', 'cancelled')),
    households      INTEGER NOT NULL,       -- on the roll
    area_centi      INTEGER NOT NULL,       -- their total floor area
    opened_by       INTEGER REFERENCES people (id) ON DELETE SET NULL,
    opened_at       TIMESTAMPTZ NOT NULL,
    closes_at       TIMESTAMPTZ NOT NULL,
    closed_at       TIMESTAMPTZ,
    passed          BOOLEAN,                -- set when it closes
    result          TEXT                    -- JSON: the tally when it closed
);
CREATE INDEX owners_votes_consultation ON owners_votes (consultation_id);
CREATE INDEX owners_votes_compound ON owners_votes (compound_id, state);

CREATE TABLE owners_vote_roll (
    vote_id       INTEGER NOT NULL REFERENCES owners_votes (id) ON DELETE CASCADE,
    household_id  INTEGER NOT NULL REFERENCES households (id),
    area_centi    INTEGER NOT NULL,
    PRIMARY KEY (vote_id, household_id)
);

-- One ballot per household and vote: a second one replaces the first until the close, so a
-- household is never counted twice. Cast in the bot by the bound owner, or a paper ballot
-- recorded by the committee. Nobody but its owner ever sees a household's choice.
CREATE TABLE owners_ballots (
    vote_id       INTEGER NOT NULL REFERENCES owners_votes (id) ON DELETE CASCADE,
    household_id  INTEGER NOT NULL REFERENCES households (id),
    person_id     INTEGER REFERENCES people (id) ON DELETE SET NULL,
    choice        TEXT    NOT NULL CHECK (choice IN ('agree', 'disagree', 'abstain')),
    channel       TEXT    NOT NULL CHECK (channel IN ('bot', 'paper')),
    changes       INTEGER NOT NULL DEFAULT 0,
    cast_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (vote_id, household_id)
);
