-- 热点发现、每月一题、未诉先办: problems that keep coming back, proposed to community admins.

-- A topic proposed to a community's admins: the month's topic (每月一题), or a pre-emptive task
-- (未诉先办) for a problem that came back in the same month last year. Its state moves from
-- proposed to dismissed (with a reason) or converted (into a task now; a consultation or a
-- whistle once those exist), with who decided and when.
CREATE TABLE topics (
    id              INTEGER PRIMARY KEY,
    unit_id         INTEGER NOT NULL REFERENCES org_units (id),  -- the community proposed to
    scope_id        INTEGER NOT NULL REFERENCES org_units (id),  -- where: a compound, or it
    kind            TEXT    NOT NULL CHECK (kind IN ('monthly', 'preemptive')),
    month           TEXT    NOT NULL,          -- 'YYYY-MM': the month it is the topic of
    signature       TEXT    NOT NULL,          -- what: 'c:<category code>' or 't:<term>+<term>'
    label           TEXT    NOT NULL,
    category_id     INTEGER REFERENCES categories (id),  -- the category most of it came in
    evidence        TEXT    NOT NULL,          -- JSON: counts, trend, examples, where
    score           REAL    NOT NULL,
    rank            INTEGER NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'proposed'
                    CHECK (state IN ('proposed', 'dismissed', 'converted')),
    reason          TEXT,                      -- why it was dismissed
    converted_kind  TEXT,                      -- task; later consultation, whistle
    converted_ref   TEXT,                      -- what it became, e.g. 'request:12'
    decided_by      INTEGER REFERENCES people (id) ON DELETE SET NULL,
    decided_at      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (unit_id, kind, month, signature)
);
CREATE INDEX topics_month ON topics (month, unit_id);

-- The card of a topic in each admin's chat, so every copy is edited when its state moves on.
CREATE TABLE topic_cards (
    topic_id   INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    outbox_id  INTEGER REFERENCES outbox (id),
    PRIMARY KEY (topic_id, person_id)
);

-- One row per community and month once its proposals went out: the job runs every hour and
-- does each month's work once, whenever the bot was up.
CREATE TABLE hotspot_runs (
    unit_id  INTEGER NOT NULL REFERENCES org_units (id),
    month    TEXT    NOT NULL,
    topics   INTEGER NOT NULL,
    ran_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (unit_id, month)
);
