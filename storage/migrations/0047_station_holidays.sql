-- Stations and the working calendar ([calendar]): a station is closed on public holidays and
-- open on make-up working days (调休上班) as on a weekday, unless it stays open on holidays
-- (an elderly canteen, say): then its week is the same whatever the calendar says.
ALTER TABLE stations ADD COLUMN open_on_holidays BOOLEAN NOT NULL DEFAULT FALSE;
