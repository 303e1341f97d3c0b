-- 菜单式服务: the service menu of the eight teams (一队一项目), orders of a team's project, and
-- the teams' leaders (队长).

-- What a team's project offers, when and where, in both languages, and the category its
-- orders are filed in (a category code, like categories.team_code matches a team by code).
ALTER TABLE service_teams ADD COLUMN offers TEXT NOT NULL DEFAULT '';
ALTER TABLE service_teams ADD COLUMN offers_en TEXT;
ALTER TABLE service_teams ADD COLUMN schedule TEXT NOT NULL DEFAULT '';
ALTER TABLE service_teams ADD COLUMN schedule_en TEXT;
ALTER TABLE service_teams ADD COLUMN venue TEXT NOT NULL DEFAULT '';
ALTER TABLE service_teams ADD COLUMN venue_en TEXT;
ALTER TABLE service_teams ADD COLUMN order_category TEXT;

-- A service order (点单) is a request of the team's project: the same number, state machine,
-- cards, deadlines and rating; routed to that team's members. The resident's preferred time
-- slots go with it (JSON list).
ALTER TABLE requests ADD COLUMN service_team_id INTEGER REFERENCES service_teams (id);
ALTER TABLE requests ADD COLUMN preferred_slots TEXT;
CREATE INDEX requests_service_team ON requests (service_team_id, created_at)
    WHERE service_team_id IS NOT NULL;

-- 队长: a person leading one team within a unit (usually the district): they see the team's
-- orders there and assign them within the team.
CREATE TABLE team_leaders (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    team_id     INTEGER NOT NULL REFERENCES service_teams (id),
    unit_id     INTEGER NOT NULL REFERENCES org_units (id),
    granted_by  INTEGER REFERENCES people (id) ON DELETE SET NULL,
    granted_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    revoked_by  INTEGER REFERENCES people (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX team_leaders_live ON team_leaders (person_id, team_id, unit_id)
    WHERE revoked_at IS NULL;
CREATE INDEX team_leaders_team ON team_leaders (team_id) WHERE revoked_at IS NULL;
