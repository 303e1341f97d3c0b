-- Resident requests (群众点单): categories, requests with a gapless yearly number, photos,
-- the event timeline, supporters ("me too").

CREATE TABLE categories (
    id            INTEGER PRIMARY KEY,
    code          TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,          -- Chinese
    name_en       TEXT    NOT NULL,
    default_tier  TEXT    NOT NULL CHECK (default_tier IN ('urgent', 'important', 'difficult')),
    team_code     TEXT,                      -- service_teams.code, matched when dispatching
    is_opinion    INTEGER NOT NULL DEFAULT 0,-- 意见建议: goes to admins, counts as an opinion
    sort          INTEGER NOT NULL DEFAULT 0,
    active        INTEGER NOT NULL DEFAULT 1
);

INSERT INTO categories (code, name, name_en, default_tier, team_code, is_opinion, sort) VALUES
    ('property',    '物业维修',     'Property and repairs',           'important', NULL,         0, 10),
    ('environment', '环境卫生',     'Environment and sanitation',     'important', NULL,         0, 20),
    ('safety',      '安全隐患',     'Safety hazard',                  'important', NULL,         0, 30),
    ('dispute',     '邻里纠纷',     'Neighbour dispute',              'important', 'MEDIATION',  0, 40),
    ('legal',       '法律咨询',     'Legal help',                     'important', 'LEGAL',      0, 50),
    ('health',      '医疗健康',     'Health',                         'important', 'HEALTH',     0, 60),
    ('elderly',     '关爱老人',     'Elderly care',                   'important', 'ELDERLY',    0, 70),
    ('youth',       '关爱青少年',   'Children and youth',             'important', 'MINORS',     0, 80),
    ('psychology',  '心理疏导',     'Psychological support',          'important', 'PSYCHOLOGY', 0, 90),
    ('activities',  '文化科普活动', 'Culture and science activities', 'important', 'CULTURE',    0, 100),
    ('opinion',     '意见建议',     'Suggestion or opinion',          'important', NULL,         1, 110),
    ('other',       '其他',         'Other',                          'important', NULL,         0, 120);

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
    anonymous       INTEGER NOT NULL DEFAULT 0,-- hide name and phone from members
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
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    triaged_at      TEXT,
    dispatched_at   TEXT,
    accepted_at     TEXT,
    resolved_at     TEXT,
    closed_at       TEXT,
    rated_at        TEXT
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
    added_at    TEXT    NOT NULL
);
CREATE INDEX request_photos_request ON request_photos (request_id, id);

CREATE TABLE request_events (
    id           INTEGER PRIMARY KEY,
    request_id   INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    at           TEXT    NOT NULL,
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
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (request_id, person_id)
);
CREATE INDEX request_supporters_person ON request_supporters (person_id);
