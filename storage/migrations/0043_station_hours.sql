-- Stations residents can find: structured opening hours (JSON list of
-- {"days": [0-6, Monday = 0], "open": "09:00", "close": "12:00"}), read with the configured
-- time zone to say whether a station is open now. opening_hours stays as a note (e.g. 节假日闭馆).
ALTER TABLE stations ADD COLUMN hours TEXT NOT NULL DEFAULT '[]';
