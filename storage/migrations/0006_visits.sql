-- Household visits (走访) logged by members: the "residents visited and contacted" figure.

CREATE TABLE visits (
    id            INTEGER PRIMARY KEY,
    person_id     INTEGER REFERENCES people (id) ON DELETE SET NULL,   -- the member
    compound_id   INTEGER NOT NULL REFERENCES org_units (id),
    households    INTEGER NOT NULL CHECK (households >= 1),
    people        INTEGER NOT NULL CHECK (people >= 1),                 -- residents contacted
    note          TEXT,
    opinion_request_id INTEGER REFERENCES requests (id) ON DELETE SET NULL,
    visited_at    TIMESTAMPTZ NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX visits_compound ON visits (compound_id, visited_at);
CREATE INDEX visits_person ON visits (person_id, visited_at);
