-- Open311 GeoReport v2: API keys of the city's systems, the requests they submitted, where a
-- request came in (channel), and what the API and the heat map need of compounds.

-- Compounds: households (requests per 100 households on the heat map) and a centre point
-- (to place a request the API gives only coordinates for). Both optional, from the org file.
ALTER TABLE org_units ADD COLUMN households INTEGER CHECK (households IS NULL OR households > 0);
ALTER TABLE org_units ADD COLUMN latitude REAL;
ALTER TABLE org_units ADD COLUMN longitude REAL;

-- Where a request came in: the bot, a city system through the API, or the community itself
-- (a pre-emptive task). Only 'telegram' requests have a resident in the bot.
ALTER TABLE requests ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram'
    CHECK (channel IN ('telegram', 'api', 'community'));

-- One key per client system (12345 hotline, the urban-management platform ...). Only the
-- SHA-256 of the key is kept; the key itself is shown once, when it is created.
CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    key_hash    TEXT    NOT NULL UNIQUE,
    prefix      TEXT    NOT NULL,             -- the first characters, to tell keys apart
    created_at  TIMESTAMPTZ NOT NULL,
    created_by  TEXT    NOT NULL,             -- 'cli'
    revoked_at  TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ
);

-- The units a key may submit requests to (each with everything below it).
CREATE TABLE api_key_units (
    key_id   INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    unit_id  INTEGER NOT NULL REFERENCES org_units (id) ON DELETE CASCADE,
    PRIMARY KEY (key_id, unit_id)
);

-- A request submitted through the API: which key, the token for GET tokens/{token}, and the
-- client's own account id (echoed back, as the spec asks).
CREATE TABLE api_requests (
    request_id  INTEGER PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
    key_id      INTEGER NOT NULL REFERENCES api_keys (id),
    token       TEXT    NOT NULL UNIQUE,
    account_id  TEXT,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX api_requests_key ON api_requests (key_id, request_id);
CREATE INDEX requests_created ON requests (created_at);
