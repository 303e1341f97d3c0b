-- Guided conversations that ended with an effect (storage/repos/flows.py): the form's nonce,
-- recorded in the transaction of the effect. A copy of that form left behind by a crash is
-- dropped at start-up, and a repeated final press finds what the form made.

CREATE TABLE finished_flows (
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    flow        TEXT    NOT NULL,      -- the conversation's name: intake, join, visit, broadcast
    nonce       TEXT    NOT NULL,      -- the form's nonce
    subject     TEXT,                  -- what it made: 'request:12', 'visit:3', 'broadcast:4'
    finished_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (person_id, flow, nonce)
);
CREATE INDEX finished_flows_at ON finished_flows (finished_at);

-- Intakes filed before this table: the nonce is the tail of the request's source key
-- ('intake:<person id>:<nonce>').
INSERT INTO finished_flows (person_id, flow, nonce, subject, finished_at)
SELECT resident_id,
       'intake',
       substr(source_key, length('intake:' || resident_id || ':') + 1),
       'request:' || id,
       created_at
FROM requests
WHERE resident_id IS NOT NULL AND source_key LIKE 'intake:' || resident_id || ':%'
ON CONFLICT DO NOTHING;
