-- 议事协商 (有事好商量): a consultation of the parties of a compound on one matter — convened
-- from an important request, a topic of the month, or as a new topic — with its participants,
-- discussion, proposals and seat votes, the decision, its publication (公示) and objections
-- (异议), and the action items (落实) that carry it out.

CREATE TABLE consultations (
    id              INTEGER PRIMARY KEY,
    compound_id     INTEGER NOT NULL REFERENCES org_units (id),
    request_id      INTEGER REFERENCES requests (id) ON DELETE SET NULL,
    -- The topic of the month it came from (topics.id, which records 'consultation:<id>' as
    -- what it became). No foreign key: topics (0051) is made after this on a new store.
    topic_id        INTEGER,
    source_key      TEXT    UNIQUE,         -- the flow or press that made it: made once
    title           TEXT    NOT NULL,
    background      TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'open'
                    CHECK (state IN ('open', 'decided', 'published', 'carrying_out', 'done',
                                     'cancelled')),
    chair_id        INTEGER REFERENCES people (id) ON DELETE SET NULL,
    closes_at       TIMESTAMPTZ NOT NULL,   -- the discussion and the seat votes close
    closed_at       TIMESTAMPTZ,
    decision        TEXT,
    decided_at      TIMESTAMPTZ,
    published_at    TIMESTAMPTZ,
    objection_until TIMESTAMPTZ,
    done_at         TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX consultations_compound ON consultations (compound_id, state);
CREATE INDEX consultations_created ON consultations (created_at);
CREATE INDEX consultations_request ON consultations (request_id) WHERE request_id IS NOT NULL;

-- Photos and files that come with the background.
CREATE TABLE consultation_files (
    id               INTEGER PRIMARY KEY,
    consultation_id  INTEGER NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    file_id          TEXT    NOT NULL,      -- Telegram's
    kind             TEXT    NOT NULL CHECK (kind IN ('photo', 'document')),
    file_name        TEXT,
    added_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX consultation_files_of ON consultation_files (consultation_id, id);

-- Who takes part: one row per seat invited (its holder at the time), and resident
-- representatives, members and the community's administrators (no seat). Seat holders and the
-- community vote; the others speak.
CREATE TABLE consultation_participants (
    id               INTEGER PRIMARY KEY,
    consultation_id  INTEGER NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    person_id        INTEGER REFERENCES people (id) ON DELETE SET NULL,
    seat_id          INTEGER REFERENCES seats (id) ON DELETE SET NULL,
    kind             TEXT    NOT NULL
                     CHECK (kind IN ('seat', 'community', 'representative', 'member')),
    joined_at        TIMESTAMPTZ NOT NULL,
    UNIQUE (consultation_id, seat_id)
);
CREATE INDEX consultation_participants_of ON consultation_participants (consultation_id);
CREATE INDEX consultation_participants_person ON consultation_participants (person_id);

-- What participants said, each passed on to every other participant with its label.
CREATE TABLE consultation_messages (
    id               INTEGER PRIMARY KEY,
    consultation_id  INTEGER NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    person_id        INTEGER REFERENCES people (id) ON DELETE SET NULL,
    label            TEXT    NOT NULL,      -- 小区党支部 · 书记 (as at the time)
    text             TEXT,
    photo            TEXT,                  -- a Telegram file id
    at               TIMESTAMPTZ NOT NULL
);
CREATE INDEX consultation_messages_of ON consultation_messages (consultation_id, id);

-- A proposal the chair puts to a seat vote: one question, or several options voted on each.
CREATE TABLE proposals (
    id               INTEGER PRIMARY KEY,
    consultation_id  INTEGER NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    text             TEXT    NOT NULL,
    options          TEXT    NOT NULL DEFAULT '[]',   -- JSON list; empty: the text itself
    state            TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    created_by       INTEGER REFERENCES people (id) ON DELETE SET NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    closes_at        TIMESTAMPTZ NOT NULL,
    closed_at        TIMESTAMPTZ
);
CREATE INDEX proposals_of ON proposals (consultation_id, id);

-- One vote per person and option (a person holding two seats has one voice); changeable
-- until the proposal closes.
-- A vote stays, unlinked, when its voter asks to be forgotten.
CREATE TABLE seat_votes (
    id           INTEGER PRIMARY KEY,
    proposal_id  INTEGER NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    option_no    INTEGER NOT NULL DEFAULT 0,
    person_id    INTEGER REFERENCES people (id) ON DELETE SET NULL,
    choice       TEXT    NOT NULL CHECK (choice IN ('agree', 'disagree', 'abstain')),
    changes      INTEGER NOT NULL DEFAULT 0,
    cast_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (proposal_id, option_no, person_id)
);

-- A resident's objection to a published decision, within its window.
CREATE TABLE objections (
    id               INTEGER PRIMARY KEY,
    consultation_id  INTEGER NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    person_id        INTEGER REFERENCES people (id) ON DELETE SET NULL,
    reason           TEXT    NOT NULL,
    at               TIMESTAMPTZ NOT NULL
);
CREATE INDEX objections_of ON objections (consultation_id, id);

-- 落实: a task that carries the decision out, for a party (any of its seat holders may
-- report it done) or one person, with a deadline the sweep watches.
CREATE TABLE action_items (
    id               INTEGER PRIMARY KEY,
    consultation_id  INTEGER NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    text             TEXT    NOT NULL,
    party_id         INTEGER REFERENCES parties (id) ON DELETE SET NULL,
    person_id        INTEGER REFERENCES people (id) ON DELETE SET NULL,
    due_at           TIMESTAMPTZ NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'cancelled')),
    note             TEXT,
    done_by          INTEGER REFERENCES people (id) ON DELETE SET NULL,
    done_at          TIMESTAMPTZ,
    created_by       INTEGER REFERENCES people (id) ON DELETE SET NULL,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX action_items_of ON action_items (consultation_id, id);
CREATE INDEX action_items_person ON action_items (person_id, state);
CREATE INDEX action_items_party ON action_items (party_id, state);

-- A resident representative or a party member joins through an invitation link: a row of
-- invitations (kinds 'consult_representative', 'consult_member', 0032).
