-- Party members and volunteers (党员报到), their service teams, and the task cards sent to them.

CREATE TABLE members (
    person_id      INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    real_name      TEXT    NOT NULL,
    work_unit      TEXT,                       -- NULL: none (retired, unemployed)
    compound_id    INTEGER NOT NULL REFERENCES org_units (id),
    phone          TEXT    NOT NULL,
    member_type    TEXT    NOT NULL
                   CHECK (member_type IN ('in_service', 'unemployed_or_retired', 'volunteer')),
    skills         TEXT    NOT NULL DEFAULT '[]',   -- JSON list of free tags
    availability   TEXT    NOT NULL DEFAULT '[]',   -- JSON list: weekday_day, weekday_evening, weekend
    share_phone    BOOLEAN NOT NULL DEFAULT FALSE,      -- residents may see the phone
    status         TEXT    NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'approved', 'rejected')),
    reject_reason  TEXT,
    decided_by     INTEGER REFERENCES people (id) ON DELETE SET NULL,
    decided_at     TIMESTAMPTZ,
    paused_until   TIMESTAMPTZ,  -- on leave until then (exclusive)
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX members_pool ON members (compound_id, status);

CREATE TABLE member_teams (
    person_id  INTEGER NOT NULL REFERENCES members (person_id) ON DELETE CASCADE,
    team_id    INTEGER NOT NULL REFERENCES service_teams (id) ON DELETE CASCADE,
    PRIMARY KEY (person_id, team_id)
);
CREATE INDEX member_teams_team ON member_teams (team_id);

-- One card per (request, member, kind): where it went, so it can be edited later.
CREATE TABLE task_cards (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('pool', 'assign')),
    outbox_id   INTEGER REFERENCES outbox (id),
    state       TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (request_id, person_id, kind)
);
CREATE INDEX task_cards_open ON task_cards (request_id, state);
CREATE INDEX task_cards_person ON task_cards (person_id, state);
