-- Stages 1–2 for staff (issue 5): staff accounts and their districts, an
-- append-only audit log, cluster review marks, and projects promoted from
-- clusters (BMA PB stage 2, "พัฒนาโครงการ"; DESIGN.md "Data model").

-- migrate:up

-- A district officer, BMA planner or viewer. Never deleted: deactivated, so
-- the audit log keeps pointing at who did what.
CREATE TABLE staff (
    id              bigserial PRIMARY KEY,
    username        text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._@-]{2,63}$'),
    display_name    text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 120),
    password_hash   text NOT NULL,            -- argon2id (argon2-cffi), never logged
    role            text NOT NULL CHECK (role IN ('admin', 'officer', 'viewer')),
    active          boolean NOT NULL DEFAULT true,
    language        text NOT NULL DEFAULT 'th' CHECK (language IN ('th', 'en')),
    -- Part of the login cookie: a new nonce (password change) ends every other session.
    session_nonce   text NOT NULL DEFAULT md5(random()::text || clock_timestamp()::text),
    last_login_at   timestamptz,
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- The districts a district officer (or a scoped viewer) works in. An admin
-- needs none: admins see every district.
CREATE TABLE staff_districts (
    staff_id   bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    district   text NOT NULL,
    PRIMARY KEY (staff_id, district)
);

-- Every staff action: who, what, when, the state before and after. Append
-- only: a trigger refuses UPDATE and DELETE for every role (REVOKE alone
-- would not bind the table's owner, which is the role the app runs as).
-- Before/after never hold a resident's text or LINE id (PDPA erasure must
-- not be blocked by the audit log).
CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    staff_id     bigint REFERENCES staff (id),     -- NULL: the system (CLI, demo)
    staff_name   text NOT NULL,                    -- as it was at the time
    action       text NOT NULL,                    -- e.g. cluster.merge, project.transition
    target_type  text,                             -- cluster, idea, project, staff
    target_id    bigint,
    district     text,
    before       jsonb,
    after        jsonb
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id);
CREATE INDEX audit_log_staff ON audit_log (staff_id, at DESC);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
REVOKE UPDATE, DELETE ON audit_log FROM PUBLIC;

-- Cluster review. review_version is the optimistic-concurrency counter of
-- staff edits (the model's online assignment does not bump it, so a new
-- idea arriving never makes a staff member reload). A cluster with
-- reviewed_at set has been acted on by staff: a recluster keeps it as is.
-- last_idea_at: when its newest idea arrived (pb.clusters.add_member keeps it,
-- staff actions recompute it), so "newest first" is an index scan, not an
-- aggregate over every idea (measured: 630 ms → a few ms at 60,000 ideas).
ALTER TABLE clusters
    ADD COLUMN review_version integer NOT NULL DEFAULT 1,
    ADD COLUMN reviewed_at    timestamptz,
    ADD COLUMN reviewed_by    bigint REFERENCES staff (id),
    ADD COLUMN merged_into_id bigint REFERENCES clusters (id) ON DELETE SET NULL,
    ADD COLUMN last_idea_at   timestamptz;
UPDATE clusters c SET last_idea_at = newest.at
  FROM (SELECT m.cluster_id, max(i.created_at) AS at FROM cluster_members m
          JOIN ideas i ON i.id = m.idea_id GROUP BY m.cluster_id) newest
 WHERE newest.cluster_id = c.id;
CREATE INDEX clusters_size ON clusters (size DESC, id) WHERE size > 0;
CREATE INDEX clusters_newest ON clusters (last_idea_at DESC NULLS LAST, id DESC) WHERE size > 0;

-- Moderation of a single idea (status hidden or spam) and its reason.
-- (The map of located ideas uses ideas.latitude/longitude from 0002.)
-- Thai keyword search is a substring scan (strpos over normalised_text, 70 ms
-- at 60,000 ideas here; ILIKE took 280 ms). pg_trgm is not in the embedded
-- PostgreSQL, so no trigram index is made.
ALTER TABLE ideas
    ADD COLUMN moderation_reason text CHECK (char_length(moderation_reason) <= 500),
    ADD COLUMN moderated_by      bigint REFERENCES staff (id),
    ADD COLUMN moderated_at      timestamptz;

-- A project of BMA PB stage 2, promoted from one or more clusters. Fields
-- follow the BMA project and progress-report forms: cost in integer baht,
-- duration, KPI, responsible unit, fiscal year (Buddhist Era).
CREATE TABLE projects (
    id                  bigserial PRIMARY KEY,
    process_id          bigint NOT NULL REFERENCES processes (id),
    title               text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description         text NOT NULL DEFAULT '' CHECK (char_length(description) <= 5000),
    district            text NOT NULL,
    location            text NOT NULL DEFAULT '' CHECK (char_length(location) <= 300),
    estimated_cost_baht bigint CHECK (estimated_cost_baht >= 0),
    starts_on           date,
    ends_on             date,
    kpi_indicator       text NOT NULL DEFAULT '' CHECK (char_length(kpi_indicator) <= 300),
    kpi_target          text NOT NULL DEFAULT '' CHECK (char_length(kpi_target) <= 300),
    responsible_unit    text NOT NULL DEFAULT '' CHECK (char_length(responsible_unit) <= 200),
    fiscal_year         integer NOT NULL CHECK (fiscal_year > 2500),   -- BE
    state               text NOT NULL DEFAULT 'draft'
                        CHECK (state IN ('draft', 'ready_for_vote', 'selected', 'not_selected',
                                         'in_progress', 'done')),
    version             integer NOT NULL DEFAULT 1,
    created_by          bigint REFERENCES staff (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX projects_district ON projects (district, state);

-- The clusters a project came from (they are locked on promotion, so a
-- recluster keeps them) and the ideas it carries, so their authors and
-- supporters can be told about the project later.
CREATE TABLE project_clusters (
    project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    cluster_id  bigint NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, cluster_id)
);
CREATE INDEX project_clusters_cluster ON project_clusters (cluster_id);

CREATE TABLE project_ideas (
    project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    idea_id     bigint NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, idea_id)
);
CREATE INDEX project_ideas_idea ON project_ideas (idea_id);

-- "Your idea became part of project X" is sent once per resident and
-- project: the primary key dedupes a repeated promotion.
CREATE TABLE project_notices (
    project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    resident_id bigint NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    outbox_id   bigint REFERENCES outbox (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, resident_id)
);

-- migrate:down
DROP TABLE project_notices;
DROP TABLE project_ideas;
DROP TABLE project_clusters;
DROP TABLE projects;
ALTER TABLE ideas
    DROP COLUMN moderation_reason,
    DROP COLUMN moderated_by,
    DROP COLUMN moderated_at;
DROP INDEX clusters_newest;
DROP INDEX clusters_size;
ALTER TABLE clusters
    DROP COLUMN last_idea_at,
    DROP COLUMN review_version,
    DROP COLUMN reviewed_at,
    DROP COLUMN reviewed_by,
    DROP COLUMN merged_into_id;
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE staff_districts;
DROP TABLE staff;
