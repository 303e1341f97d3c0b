-- 难事合力办: functional departments (职能部门) with their liaisons and heads, the city's
-- first secretaries paired with communities (第一书记, 结对共建), and the invitation links that
-- bring them into the bot.

-- A district department (住建局, 公安分局, 城管执法局 ...) or its local branch (派出所, 城管中队),
-- serving an area: the district, or a street for a local branch. Imported from the org file.
CREATE TABLE departments (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,                 -- full name: 肇庆市端州区城市管理和综合执法局
    short_name  TEXT    NOT NULL,                 -- what residents read: 城管执法局
    name_en     TEXT,
    unit_id     INTEGER NOT NULL REFERENCES org_units (id),   -- the area it serves
    parent_id   INTEGER REFERENCES departments (id),          -- a branch's district department
    sort        INTEGER NOT NULL DEFAULT 0,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX departments_unit ON departments (unit_id, sort, code);

-- Who answers for a department in the bot: liaisons (联络员) act on its sub-orders; its head
-- (负责人) also gets the escalations of its late ones. A department-scoped role.
CREATE TABLE department_staff (
    id             INTEGER PRIMARY KEY,
    department_id  INTEGER NOT NULL REFERENCES departments (id),
    person_id      INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    post           TEXT    NOT NULL CHECK (post IN ('liaison', 'head')),
    granted_by     INTEGER REFERENCES people (id) ON DELETE SET NULL,
    granted_at     TIMESTAMPTZ NOT NULL,
    revoked_at     TIMESTAMPTZ,
    revoked_by     INTEGER REFERENCES people (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX department_staff_live ON department_staff (department_id, person_id)
    WHERE revoked_at IS NULL;
CREATE INDEX department_staff_person ON department_staff (person_id) WHERE revoked_at IS NULL;

-- 结对共建: a city unit paired with a community, which seconds a first secretary to it. The
-- pairing comes from the org file; the person joins through an invitation link.
CREATE TABLE pairings (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES org_units (id),
    partner       TEXT    NOT NULL,               -- the city unit: 肇庆市财政局
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (community_id, partner)
);

-- 第一书记: a role attached to a community (through its pairing).
CREATE TABLE first_secretaries (
    id           INTEGER PRIMARY KEY,
    pairing_id   INTEGER NOT NULL REFERENCES pairings (id),
    person_id    INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    granted_by   INTEGER REFERENCES people (id) ON DELETE SET NULL,
    granted_at   TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ,
    revoked_by   INTEGER REFERENCES people (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX first_secretaries_live ON first_secretaries (pairing_id, person_id)
    WHERE revoked_at IS NULL;
CREATE INDEX first_secretaries_person ON first_secretaries (person_id) WHERE revoked_at IS NULL;

-- A single-use link that makes whoever opens it a department's liaison or head, or a
-- community's first secretary (like the administrators' links of admin_invites).
CREATE TABLE role_invites (
    token          TEXT    PRIMARY KEY,
    post           TEXT    NOT NULL CHECK (post IN ('liaison', 'head', 'first_secretary')),
    department_id  INTEGER REFERENCES departments (id),
    pairing_id     INTEGER REFERENCES pairings (id),
    created_by     INTEGER REFERENCES people (id) ON DELETE SET NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    used_by        INTEGER REFERENCES people (id) ON DELETE SET NULL,
    used_at        TIMESTAMPTZ,
    CHECK ((department_id IS NULL) <> (pairing_id IS NULL))
);
