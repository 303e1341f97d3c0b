-- 吹哨报到: a community or street blows the whistle on a difficult matter; each department it
-- summons gets a sub-order (派单) to sign for (签收) or return (退单), act on and complete.

-- One whistle per request: the departments summoned to it are its sub-orders (more may be
-- added later, a returned one re-routed). ``share_contact``: the resident's name and phone go
-- to the departments (audited when ticked).
CREATE TABLE whistles (
    id             INTEGER PRIMARY KEY,
    request_id     INTEGER NOT NULL UNIQUE REFERENCES requests (id) ON DELETE CASCADE,
    unit_id        INTEGER NOT NULL REFERENCES org_units (id),   -- who blew it: community/street
    blown_by       INTEGER REFERENCES people (id) ON DELETE SET NULL,
    share_contact  BOOLEAN NOT NULL DEFAULT FALSE,
    note           TEXT,                          -- the whistler's notes for every department
    topic_id       INTEGER,                       -- topics (id): blown on a topic of the month
    state          TEXT    NOT NULL DEFAULT 'open'
                   CHECK (state IN ('open', 'resolved', 'closed', 'cancelled')),
    source_key     TEXT    UNIQUE,                -- the flow that blew it: Send twice, one whistle
    created_at     TIMESTAMPTZ NOT NULL,
    resolved_at    TIMESTAMPTZ,
    resolved_by    INTEGER REFERENCES people (id) ON DELETE SET NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX whistles_unit ON whistles (unit_id, created_at);

-- A department's share of a whistle. States: sent -> signed -> completed; sent -> returned
-- (退单, with a reason) -> rerouted (the whistler sent it elsewhere), disputed (to the district)
-- -> ruled (the district decided), or withdrawn. ``ruled``: assigned by the district's ruling,
-- so it cannot be returned again.
CREATE TABLE sub_orders (
    id               INTEGER PRIMARY KEY,
    whistle_id       INTEGER NOT NULL REFERENCES whistles (id) ON DELETE CASCADE,
    request_id       INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    department_id    INTEGER NOT NULL REFERENCES departments (id),
    role             TEXT    NOT NULL CHECK (role IN ('lead', 'assist')),
    ask              TEXT    NOT NULL,            -- what is asked of this department
    state            TEXT    NOT NULL DEFAULT 'sent'
                     CHECK (state IN ('sent', 'signed', 'completed', 'returned', 'rerouted',
                                      'disputed', 'ruled', 'withdrawn')),
    ruled            BOOLEAN NOT NULL DEFAULT FALSE,
    replaces_id      INTEGER REFERENCES sub_orders (id),
    sent_at          TIMESTAMPTZ NOT NULL,
    sign_due_at      TIMESTAMPTZ NOT NULL,
    signed_at        TIMESTAMPTZ,
    signed_by        INTEGER REFERENCES people (id) ON DELETE SET NULL,
    on_site_at       TIMESTAMPTZ,
    complete_due_at  TIMESTAMPTZ,
    completed_at     TIMESTAMPTZ,
    completed_by     INTEGER REFERENCES people (id) ON DELETE SET NULL,
    report           TEXT,                        -- the completion report
    returned_at      TIMESTAMPTZ,
    returned_by      INTEGER REFERENCES people (id) ON DELETE SET NULL,
    return_reason    TEXT,
    dispute          BOOLEAN NOT NULL DEFAULT FALSE,  -- returned as "not ours": whose, then?
    decided_at       TIMESTAMPTZ,                 -- what became of a returned one, and who
    decided_by       INTEGER REFERENCES people (id) ON DELETE SET NULL,
    escalation_level TEXT    CHECK (escalation_level IN ('head', 'district')),
    rating           TEXT    CHECK (rating IN ('satisfied', 'basic', 'unsatisfied')),
    rated_at         TIMESTAMPTZ,                 -- the resident's rating, credited to it
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX sub_orders_whistle ON sub_orders (whistle_id, id);
CREATE INDEX sub_orders_department ON sub_orders (department_id, state, sent_at);
CREATE INDEX sub_orders_request ON sub_orders (request_id);

-- What happened to a sub-order, who did it and when (signed, returned, on site, a note, a
-- photo, completed, a reminder, an escalation, a ruling). The request's own timeline gets a
-- plain step for the resident ("城管执法局已签收"), never a name.
CREATE TABLE sub_order_events (
    id            INTEGER PRIMARY KEY,
    sub_order_id  INTEGER NOT NULL REFERENCES sub_orders (id) ON DELETE CASCADE,
    at            TIMESTAMPTZ NOT NULL,
    actor_id      INTEGER REFERENCES people (id) ON DELETE SET NULL,
    actor_label   TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    note          TEXT,
    latitude      REAL,
    longitude     REAL
);
CREATE INDEX sub_order_events_order ON sub_order_events (sub_order_id, id);

-- A joint on-site meeting (联合现场会) proposed by a party of the whistle, and each other
-- party's answer: a department, the whistling unit, or a first secretary who joined.
CREATE TABLE joint_meetings (
    id             INTEGER PRIMARY KEY,
    whistle_id     INTEGER NOT NULL REFERENCES whistles (id) ON DELETE CASCADE,
    department_id  INTEGER REFERENCES departments (id),   -- the proposer's (NULL: the whistler)
    proposed_by    INTEGER REFERENCES people (id) ON DELETE SET NULL,
    meets_at       TIMESTAMPTZ NOT NULL,
    place          TEXT    NOT NULL,
    state          TEXT    NOT NULL DEFAULT 'proposed' CHECK (state IN ('proposed', 'cancelled')),
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX joint_meetings_whistle ON joint_meetings (whistle_id, id);

CREATE TABLE meeting_parties (
    id             INTEGER PRIMARY KEY,
    meeting_id     INTEGER NOT NULL REFERENCES joint_meetings (id) ON DELETE CASCADE,
    department_id  INTEGER REFERENCES departments (id),
    unit_id        INTEGER REFERENCES org_units (id),
    person_id      INTEGER REFERENCES people (id) ON DELETE CASCADE,
    answer         TEXT    CHECK (answer IN ('yes', 'no')),
    answered_by    INTEGER REFERENCES people (id) ON DELETE SET NULL,
    answered_at    TIMESTAMPTZ,
    CHECK (CASE WHEN department_id IS NULL THEN 0 ELSE 1 END
           + CASE WHEN unit_id IS NULL THEN 0 ELSE 1 END
           + CASE WHEN person_id IS NULL THEN 0 ELSE 1 END = 1)
);
CREATE INDEX meeting_parties_meeting ON meeting_parties (meeting_id, id);

-- First secretaries who joined a joint action (they hear of it and may answer meetings).
CREATE TABLE whistle_joiners (
    whistle_id  INTEGER NOT NULL REFERENCES whistles (id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    joined_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (whistle_id, person_id)
);

-- Cards about a whistle in people's chats, with the outbox row that sent them, so every copy
-- is edited when things move on: the whistle's board (the whistler's, a first secretary's),
-- a sub-order's card (its department's staff, a head's or the district's escalation card,
-- the whistler's card of a return, the district's card of a dispute).
CREATE TABLE whistle_cards (
    id            INTEGER PRIMARY KEY,
    whistle_id    INTEGER NOT NULL REFERENCES whistles (id) ON DELETE CASCADE,
    sub_order_id  INTEGER REFERENCES sub_orders (id) ON DELETE CASCADE,  -- NULL: the board
    person_id     INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL,
    outbox_id     INTEGER NOT NULL REFERENCES outbox (id)
);
CREATE INDEX whistle_cards_whistle ON whistle_cards (whistle_id, sub_order_id);

-- The sub-orders' clocks are timer rows of the sweep like the requests' own.
ALTER TABLE deadline_items ADD COLUMN sub_order_id INTEGER REFERENCES sub_orders (id)
    ON DELETE CASCADE;
CREATE INDEX deadline_items_sub_order ON deadline_items (sub_order_id, state)
    WHERE sub_order_id IS NOT NULL;
