-- 物业服务评议: each month the residents of a compound with a property company rate its
-- service (满意 / 基本满意 / 不满意, with a comment); the result goes to the party branch and the
-- owners' committee when the round closes.

CREATE TABLE property_ratings (
    id           INTEGER PRIMARY KEY,
    compound_id  INTEGER NOT NULL REFERENCES org_units (id) ON DELETE CASCADE,
    party_id     INTEGER REFERENCES parties (id) ON DELETE SET NULL,  -- the company rated
    month        TEXT    NOT NULL,                 -- 'YYYY-MM'
    state        TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    asked        INTEGER NOT NULL DEFAULT 0,       -- residents asked
    opened_at    TIMESTAMPTZ NOT NULL,
    closes_at    TIMESTAMPTZ NOT NULL,
    closed_at    TIMESTAMPTZ,
    UNIQUE (compound_id, month)
);

-- One answer per resident and round (changeable until it closes); it stays, unlinked, when
-- its resident asks to be forgotten.
CREATE TABLE property_rating_answers (
    id           INTEGER PRIMARY KEY,
    rating_id    INTEGER NOT NULL REFERENCES property_ratings (id) ON DELETE CASCADE,
    person_id    INTEGER REFERENCES people (id) ON DELETE SET NULL,
    answer       TEXT    NOT NULL CHECK (answer IN ('satisfied', 'basic', 'unsatisfied')),
    comment      TEXT,
    answered_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (rating_id, person_id)
);
