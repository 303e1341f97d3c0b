-- Granting administrators from the bot: a single-use invitation link for one unit.

CREATE TABLE admin_invites (
    token       TEXT    PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES org_units (id) ON DELETE CASCADE,
    created_by  INTEGER REFERENCES people (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_by     INTEGER REFERENCES people (id) ON DELETE SET NULL,
    used_at     TIMESTAMPTZ
);
