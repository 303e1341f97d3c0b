-- Resident requests (群众点单): categories, requests with a gapless yearly number, photos,
-- the event timeline, supporters ("me too").

CREATE TABLE categories (
    id            INTEGER PRIMARY KEY,
    code          TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,          -- Chinese
    name_en       TEXT    NOT NULL,
    default_tier  TEXT    NOT NULL CHECK (default_tier IN ('urgent', 'important', 'difficult')),
    team_code     TEXT,                      -- service_teams.code, matched when dispatching
    is_opinion    BOOLEAN NOT NULL DEFAULT FALSE,-- 意见建议: goes to admins, counts as an opinion
    sort          INTEGER NOT NULL DEFAULT 0,
    active        BOOLEAN NOT NULL DEFAULT TRUE
);

INSERT INTO categories (code, name, name_en, default_tier, team_code, is_opinion, sort) VALUES
    ('property',    '物业维修',     'Property and repairs',           'important', NULL,         FALSE, 10),
    ('environment', '环境卫生',     'Environment and sanitation',     'important', NULL,         FALSE, 20),
    ('safety',      '安全隐患',     'Safety hazard',                  'important', NULL,         FALSE, 30),
    ('dispute',     '邻里纠纷',     'Neighbour dispute',              'important', 'MEDIATION',  FALSE, 40),
    ('legal',       '法律咨询',     'Legal help',                     'important', 'LEGAL',      FALSE, 50),
    ('health',      '医疗健康',     'Health',                         'important', 'HEALTH',     FALSE, 60),
    ('elderly',     '关爱老人',     'Elderly care',                   'important', 'ELDERLY',    FALSE, 70),
    ('youth',       '关爱青少年',   'Children and youth',             'important', 'MINORS',     FALSE, 80),
    ('psychology',  '心理疏导',     'Psychological support',          'important', 'PSYCHOLOGY', FALSE, 90),
    ('activities',  '文化科普活动', 'Culture and science activities', 'important', 'CULTURE',    FALSE, 100),
    ('opinion',     '意见建议',     'Suggestion or opinion',          'important', NULL,         TRUE, 110),
    ('other',       '其他',         'Other',                          'important', NULL,         FALSE, 120);

CREATE TABLE request_counters (
    year  INTEGER PRIMARY KEY,
    last  INTEGER NOT NULL
);

CREATE TABLE requests (
    id              INTEGER PRIMARY KEY,
    number          TEXT    NOT NULL UNIQUE,   -- DZ-2026-000123
    source_key      TEXT    UNIQUE,            -- the intake that filed it: a repeated Confirm files once
    resident_id     INTEGER REFERENCES people (id) ON DELETE SET NULL,
    contact_name    TEXT,                      -- as at filing; cleared by /forget
    contact_phone   TEXT,
    anonymous       BOOLEAN NOT NULL DEFAULT FALSE,-- hide name and phone from members
    compound_id     INTEGER NOT NULL REFERENCES org_units (id),
    category_id     INTEGER NOT NULL REFERENCES categories (id),
    tier            TEXT    NOT NULL CHECK (tier IN ('urgent', 'important', 'difficult')),
    status          TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    address         TEXT,
    latitude        REAL,
    longitude       REAL,
    assignee_id     INTEGER REFERENCES people (id) ON DELETE SET NULL,
    rating          TEXT CHECK (rating IN ('satisfied', 'basic', 'unsatisfied', 'not_rated')),
    rating_comment  TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    triaged_at      TIMESTAMPTZ,
    dispatched_at   TIMESTAMPTZ,
    accepted_at     TIMESTAMPTZ,
    resolved_at     TIMESTAMPTZ,
    closed_at       TIMESTAMPTZ,
    rated_at        TIMESTAMPTZ
);
CREATE INDEX requests_resident ON requests (resident_id, id);
CREATE INDEX requests_similar ON requests (compound_id, category_id, created_at);
CREATE INDEX requests_status ON requests (status);

CREATE TABLE request_photos (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    file_id     TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('intake', 'info', 'completion')),
    added_by    INTEGER REFERENCES people (id) ON DELETE SET NULL,
    added_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX request_photos_request ON request_photos (request_id, id);

CREATE TABLE request_events (
    id           INTEGER PRIMARY KEY,
    request_id   INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    at           TIMESTAMPTZ NOT NULL,
    actor_id     INTEGER REFERENCES people (id) ON DELETE SET NULL,
    actor_label  TEXT    NOT NULL,             -- 'tg:<id>', 'system', 'cli'
    kind         TEXT    NOT NULL,             -- status, info, note, supporter, rating ...
    from_status  TEXT,
    to_status    TEXT,
    note         TEXT
);
CREATE INDEX request_events_request ON request_events (request_id, id);

CREATE TABLE request_supporters (
    request_id  INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (request_id, person_id)
);
CREATE INDEX request_supporters_person ON request_supporters (person_id);
