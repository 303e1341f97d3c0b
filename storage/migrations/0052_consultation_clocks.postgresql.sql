-- 要事商议办's clocks name their subject by a foreign key each (see
-- 0052_consultation_clocks.sqlite.sql, which rebuilds the table); a row is about exactly one
-- of a request (and perhaps its sub-order), an activity, or one of these.

ALTER TABLE deadline_items
    ADD COLUMN consultation_id INTEGER REFERENCES consultations (id) ON DELETE CASCADE,
    ADD COLUMN proposal_id INTEGER REFERENCES proposals (id) ON DELETE CASCADE,
    ADD COLUMN action_item_id INTEGER REFERENCES action_items (id) ON DELETE CASCADE,
    ADD COLUMN owners_vote_id INTEGER REFERENCES owners_votes (id) ON DELETE CASCADE,
    ADD COLUMN rating_id INTEGER REFERENCES property_ratings (id) ON DELETE CASCADE;
ALTER TABLE deadline_items DROP CONSTRAINT deadline_items_subject;
ALTER TABLE deadline_items ADD CONSTRAINT deadline_items_subject CHECK (
    num_nonnulls(request_id, activity_id, consultation_id, proposal_id, action_item_id,
                 owners_vote_id, rating_id) = 1
);
CREATE INDEX deadline_items_consultation ON deadline_items (consultation_id, state)
    WHERE consultation_id IS NOT NULL;
CREATE INDEX deadline_items_proposal ON deadline_items (proposal_id, state)
    WHERE proposal_id IS NOT NULL;
CREATE INDEX deadline_items_action_item ON deadline_items (action_item_id, state)
    WHERE action_item_id IS NOT NULL;
CREATE INDEX deadline_items_owners_vote ON deadline_items (owners_vote_id, state)
    WHERE owners_vote_id IS NOT NULL;
CREATE INDEX deadline_items_rating ON deadline_items (rating_id, state)
    WHERE rating_id IS NOT NULL;
