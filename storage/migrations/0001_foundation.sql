-- Foundation: org tree, stations, service teams, people, role grants, audit log, outbox.

CREATE TABLE org_units (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    name_en     TEXT,
    level       TEXT    NOT NULL CHECK (level IN ('district', 'street', 'community', 'compound')),
    parent_id   INTEGER REFERENCES org_units (id) ON DELETE RESTRICT,
    path        TEXT    NOT NULL,           -- '/DZ/CX/BY/XHHY/': ancestors' codes, for scope checks
    has_property_company BOOLEAN NOT NULL DEFAULT TRUE,
    sort        INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX org_units_parent ON org_units (parent_id, sort, code);
CREATE INDEX org_units_path ON org_units (path);

CREATE TABLE stations (
    id             INTEGER PRIMARY KEY,
    code           TEXT    NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    unit_id        INTEGER NOT NULL REFERENCES org_units (id) ON DELETE RESTRICT,
    address        TEXT    NOT NULL DEFAULT '',
    latitude       REAL,
    longitude      REAL,
    function_areas TEXT    NOT NULL DEFAULT '[]',   -- JSON list of area names
    opening_hours  TEXT    NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX stations_unit ON stations (unit_id);

CREATE TABLE service_teams (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    name_en     TEXT,
    project     TEXT    NOT NULL,
    project_en  TEXT,
    sort        INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE people (
    id            INTEGER PRIMARY KEY,
    telegram_id   INTEGER NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL DEFAULT '',
    username      TEXT,
    language      TEXT,                              -- NULL until chosen
    home_unit_id  INTEGER REFERENCES org_units (id) ON DELETE SET NULL,
    phone         TEXT,
    unreachable   BOOLEAN NOT NULL DEFAULT FALSE,        -- blocked the bot
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX people_home ON people (home_unit_id);

CREATE TABLE role_grants (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    role        TEXT    NOT NULL CHECK (role IN ('resident', 'member', 'admin')),
    unit_id     INTEGER NOT NULL REFERENCES org_units (id) ON DELETE RESTRICT,
    granted_by  INTEGER REFERENCES people (id) ON DELETE SET NULL,
    granted_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    revoked_by  INTEGER REFERENCES people (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX role_grants_live ON role_grants (person_id, role, unit_id)
    WHERE revoked_at IS NULL;
CREATE INDEX role_grants_unit ON role_grants (unit_id, role) WHERE revoked_at IS NULL;

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    actor_id    INTEGER,               -- people.id; NULL for the system or the command line
    actor_label TEXT    NOT NULL,      -- 'cli', 'system', 'tg:<telegram id>' at the time
    action      TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    unit_id     INTEGER REFERENCES org_units (id) ON DELETE SET NULL,
    before      TEXT,                  -- JSON
    after       TEXT,                  -- JSON
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_unit ON audit_log (unit_id, at);

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL,
    method      TEXT    NOT NULL,      -- Bot API method: sendMessage, editMessageText, ...
    payload     TEXT    NOT NULL,      -- JSON parameters
    status      TEXT    NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'inflight', 'sent', 'failed', 'undeliverable',
                                  'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    recovered   BOOLEAN NOT NULL DEFAULT FALSE,  -- re-queued once after a crash in flight
    dedup_key   TEXT    UNIQUE,        -- the same effect is never queued twice
    ref_id      INTEGER REFERENCES outbox (id),  -- an edit's original message
    batch       TEXT,                  -- e.g. 'broadcast:12'
    message_id  INTEGER,               -- Telegram's message id once sent
    error       TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    sent_at     TIMESTAMPTZ,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX outbox_open ON outbox (status, id) WHERE status IN ('pending', 'inflight');
CREATE INDEX outbox_batch ON outbox (batch, status) WHERE batch IS NOT NULL;
CREATE INDEX outbox_ref ON outbox (ref_id) WHERE ref_id IS NOT NULL;
