-- Cards about a request in administrators' chats (a flag with "Assign a member", an escalation
-- card): where each went, so it is edited when the request moves on instead of offering what
-- no longer fits.

CREATE TABLE admin_cards (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    outbox_id   INTEGER NOT NULL REFERENCES outbox (id),
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX admin_cards_request ON admin_cards (request_id);
