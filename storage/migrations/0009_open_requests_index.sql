-- "Me too" (open requests like a new one, same compound and category, newest first) walks
-- only open requests of that compound and category, newest first, and stops at its limit:
-- with years of closed requests stored it still reads a handful of rows, where
-- requests_similar would read every request of the last 72 hours and sort them.
-- The condition is repeated word for word in storage/repos/requests.py (OPEN_SQL): SQLite
-- uses a partial index only for queries that state its condition.

CREATE INDEX requests_open ON requests (compound_id, category_id)
    WHERE status NOT IN ('resolved', 'closed', 'cancelled');
