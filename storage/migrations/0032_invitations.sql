-- One invitation mechanism for every role a link grants: an administrator of a unit
-- (admin_invites, 0007), a department's liaison or head and a community's first secretary
-- (role_invites, 0030) — and whatever role a later feature brings in by a link. A link is used
-- once: opening it is one conditional update (unused, not expired) of its row.
--
-- ``kind`` says what opening it grants, and which table ``target_id`` names: 'admin' (an
-- org unit), 'liaison' and 'head' (a department), 'first_secretary' (a pairing); each kind is
-- registered with its grant in bot/services/invitations.py.
CREATE TABLE invitations (
    token       TEXT    PRIMARY KEY,
    kind        TEXT    NOT NULL,
    target_id   INTEGER NOT NULL,
    created_by  INTEGER REFERENCES people (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_by     INTEGER REFERENCES people (id) ON DELETE SET NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX invitations_target ON invitations (kind, target_id);

-- The links already handed out keep working (same tokens).
INSERT INTO invitations (token, kind, target_id, created_by, created_at, expires_at, used_by,
                         used_at)
    SELECT token, 'admin', unit_id, created_by, created_at, expires_at, used_by, used_at
    FROM admin_invites;
INSERT INTO invitations (token, kind, target_id, created_by, created_at, expires_at, used_by,
                         used_at)
    SELECT token, post, COALESCE(department_id, pairing_id), created_by, created_at,
           expires_at, used_by, used_at
    FROM role_invites;

DROP TABLE role_invites;
DROP TABLE admin_invites;
