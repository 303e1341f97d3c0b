-- 四位一体: the parties of a compound and their seats (席位). The community party organisation
-- (the fourth party, which guides) is the community's administrators; a compound with none of
-- these parties (三无小区) is run by the community itself.

CREATE TABLE parties (
    id           INTEGER PRIMARY KEY,
    compound_id  INTEGER NOT NULL REFERENCES org_units (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('branch', 'owners_committee',
                                                  'property_company', 'self_management_group')),
    name         TEXT    NOT NULL,          -- 星荷豪苑小区党支部, 某某物业服务有限公司
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (compound_id, kind)
);

-- A seat in a party: its role, who holds it (as the org file or the community names them),
-- and the person in the bot once linked (from the org file's Telegram id, or by an invitation
-- link). A vacant seat has no holder.
CREATE TABLE seats (
    id           INTEGER PRIMARY KEY,
    code         TEXT    NOT NULL UNIQUE,   -- stable, from the org file: XHHY-BR-1
    party_id     INTEGER NOT NULL REFERENCES parties (id) ON DELETE CASCADE,
    role         TEXT    NOT NULL,          -- bot.models.SeatRole, fitting the party's kind
    holder_name  TEXT,                      -- the real name; NULL: vacant
    person_id    INTEGER REFERENCES people (id) ON DELETE SET NULL,
    sort         INTEGER NOT NULL DEFAULT 0,
    linked_at    TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX seats_party ON seats (party_id, sort, id);
CREATE INDEX seats_person ON seats (person_id) WHERE person_id IS NOT NULL;

-- A seat is filled through an invitation link: a row of invitations (kind 'seat'), the one
-- invitation mechanism (0032, bot/services/invitations.py).

-- Which route took a request: 'pool' (the members nearby), 'admins', 'property_company',
-- 'self_management_group', 'community' (a 三无 compound) ... (bot/services/dispatch.py). The
-- sweep offers again only what waits for the pool. NULL: filed before routes were recorded.
ALTER TABLE requests ADD COLUMN route TEXT;
