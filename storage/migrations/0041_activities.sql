-- 志愿服务活动: activities with sign-up, a waiting list, check-in and volunteer hours; and the
-- due items of things that are not requests (activity reminders ...), claimed by the same sweep.

CREATE TABLE activities (
    id            INTEGER PRIMARY KEY,
    title         TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    unit_id       INTEGER NOT NULL REFERENCES org_units (id),  -- the area it is for
    team_id       INTEGER REFERENCES service_teams (id),       -- the team that runs it
    station_id    INTEGER REFERENCES stations (id),            -- the venue, or an address
    address       TEXT,
    latitude      REAL,
    longitude     REAL,
    starts_at     TIMESTAMPTZ NOT NULL,
    ends_at       TIMESTAMPTZ NOT NULL,
    capacity      INTEGER NOT NULL CHECK (capacity > 0),
    audience      TEXT    NOT NULL,            -- comma list: members, volunteers, residents
    organiser_id  INTEGER REFERENCES people (id) ON DELETE SET NULL,
    state         TEXT    NOT NULL DEFAULT 'published'
                  CHECK (state IN ('published', 'cancelled', 'finished')),
    secret        TEXT    NOT NULL,            -- derives the check-in code of each minute
    source_key    TEXT    UNIQUE,              -- the publishing flow: a repeated press publishes once
    invited       INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    CHECK (ends_at > starts_at)
);
CREATE INDEX activities_unit ON activities (unit_id, starts_at);
CREATE INDEX activities_station ON activities (station_id, starts_at);
CREATE INDEX activities_finished ON activities (finished_at) WHERE state = 'finished';

-- One row per person and activity: signed up, on the waiting list (in queued_at order) or
-- cancelled; checked in (how, by whom) and the hours credited afterwards.
CREATE TABLE activity_signups (
    activity_id     INTEGER NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    person_id       INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    state           TEXT    NOT NULL CHECK (state IN ('signed', 'waiting', 'cancelled')),
    queued_at       TIMESTAMPTZ NOT NULL,
    checked_in_at   TIMESTAMPTZ,
    checkin_method  TEXT CHECK (checkin_method IN ('roll', 'code', 'location')),
    checked_in_by   INTEGER REFERENCES people (id) ON DELETE SET NULL,
    hours           REAL    NOT NULL DEFAULT 0,
    feedback        TEXT CHECK (feedback IN ('good', 'fair', 'poor')),
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (activity_id, person_id)
);
CREATE INDEX activity_signups_person ON activity_signups (person_id, state);
CREATE INDEX activity_signups_queue ON activity_signups (activity_id, state, queued_at);

-- Timers of things that are not requests, claimed by the deadline sweep with the same rules
-- (pending -> done in the claiming transaction); `kind` picks the service that acts on it.
CREATE TABLE due_items (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,           -- activity_remind, activity_close, ...
    subject_id  INTEGER NOT NULL,           -- what it is about (an activity's id ...)
    step        INTEGER NOT NULL DEFAULT 0,
    due_at      TIMESTAMPTZ NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'done', 'cancelled')),
    done_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX due_items_due ON due_items (due_at) WHERE state = 'pending';
CREATE INDEX due_items_subject ON due_items (kind, subject_id, state);
