-- Who handles a request when it is not its category's handlers: the community's own difficult
-- matter (难事合力办, filed from a topic of the month) goes to its administrators, whatever
-- its category says. Kept on the request, so every later routing (a decline, the sweep's
-- retry for requests that found nobody) keeps it on that route. NULL: the category's.
ALTER TABLE requests ADD COLUMN handled_by TEXT
    CHECK (handled_by IN ('members', 'property_company', 'admins'));
