-- The area an invitation link is for (the unit its audit rows are filed under). A kind whose
-- target alone does not say where the role is held reads it: a team leader's link targets the
-- team (service_teams) and makes its opener the team's leader in this unit. NULL for the
-- links made before it was recorded (their targets say where).
ALTER TABLE invitations ADD COLUMN unit_id INTEGER REFERENCES org_units (id);
