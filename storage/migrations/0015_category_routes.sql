-- Categories come from the org file ([[categories]]); each says who handles its requests:
-- the members nearby (dispatched to the pool), the property company, or the community's
-- administrators. The categories of 0002 stay as the defaults of a store no file has set.

ALTER TABLE categories ADD COLUMN handled_by TEXT NOT NULL DEFAULT 'members'
    CHECK (handled_by IN ('members', 'property_company', 'admins'));

UPDATE categories SET handled_by = 'admins' WHERE is_opinion;
