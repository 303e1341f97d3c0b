-- 积分 and 积分超市: a ledger that never goes negative, the items each station offers, and
-- redemptions confirmed at the station with a one-time code.

-- The balance of a person, kept with the ledger in the same transaction. The CHECK is the
-- store's own guarantee: no update, however concurrent, leaves a negative balance.
CREATE TABLE points_balances (
    person_id   INTEGER NOT NULL PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    balance     INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    updated_at  TIMESTAMPTZ NOT NULL
);

-- Every change of a balance: how much, why (hours of an activity, a task done, a
-- redemption, an administrator's correction with its reason), by whom, and the balance after.
CREATE TABLE points_ledger (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    delta        INTEGER NOT NULL CHECK (delta <> 0),
    balance      INTEGER NOT NULL CHECK (balance >= 0),
    kind         TEXT    NOT NULL CHECK (kind IN ('hours', 'task', 'redeem', 'correct')),
    ref          TEXT,                     -- activity:3, request:12, redemption:5
    note         TEXT,                     -- a correction's reason
    actor_id     INTEGER REFERENCES people (id) ON DELETE SET NULL,
    actor_label  TEXT    NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
-- What earns or spends points does so once.
CREATE UNIQUE INDEX points_ledger_once ON points_ledger (person_id, kind, ref)
    WHERE kind IN ('hours', 'task', 'redeem');
CREATE INDEX points_ledger_person ON points_ledger (person_id, id);

CREATE TABLE shop_items (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    station_id  INTEGER NOT NULL REFERENCES stations (id),
    name        TEXT    NOT NULL,
    name_en     TEXT,
    price       INTEGER NOT NULL CHECK (price > 0),
    stock       INTEGER CHECK (stock >= 0),   -- NULL: no limit
    sort        INTEGER NOT NULL DEFAULT 0,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX shop_items_station ON shop_items (station_id, sort);

-- A person asked for an item: a code to show the station's staff, who confirm it; only then
-- are the points taken. A pending code is unique; it expires.
CREATE TABLE redemptions (
    id            INTEGER PRIMARY KEY,
    person_id     INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    item_id       INTEGER NOT NULL REFERENCES shop_items (id),
    station_id    INTEGER NOT NULL REFERENCES stations (id),
    price         INTEGER NOT NULL CHECK (price > 0),
    code          TEXT    NOT NULL,
    state         TEXT    NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'confirmed', 'cancelled', 'expired')),
    expires_at    TIMESTAMPTZ NOT NULL,
    decided_by    INTEGER REFERENCES people (id) ON DELETE SET NULL,
    decided_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX redemptions_pending_code ON redemptions (code) WHERE state = 'pending';
CREATE INDEX redemptions_person ON redemptions (person_id, id);
