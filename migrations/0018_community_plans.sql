-- Issue 18, part 2: community development plans (โครงการสนับสนุนการจัดทำและทบทวน
-- แผนพัฒนาชุมชน). Communities registered under the BMA's community regulation
-- (ระเบียบกรุงเทพมหานครว่าด้วยชุมชน พ.ศ. 2555; 2,068 in January 2020) draw up or
-- review a development plan each fiscal year; the district puts some of its
-- projects into its annual action plan (the BMA indicator: % of district offices
-- that did, 88 % in FY2563–2564).
--
-- * communities: the registry, per district, imported from CSV by staff;
-- * community_members: which community a resident said they live in (one at most);
-- * ideas.community_id: the community of the resident when the idea came in;
-- * community_staff: the one community a 'community' staff account works for;
-- * community_plans: one per community and fiscal year (BE), drawn up new or a
--   review of last year's, answering the district's call (a processes row of
--   kind 'community_plan');
-- * community_plan_projects (+ _ideas, _clusters): the plan's projects and the
--   ideas and clusters behind each; action_plan_year marks a project the
--   district put into its annual action plan of that fiscal year;
-- * community_plan_notices: residents told their plan was adopted (once each).

-- migrate:up
CREATE TABLE communities (
    id                 bigserial PRIMARY KEY,
    district           text NOT NULL,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- The BMA's community types: ชุมชนแออัด, ชุมชนชานเมือง, ชุมชนหมู่บ้านจัดสรร,
    -- ชุมชนเมือง, ชุมชนอาคารสูง, เคหะชุมชน.
    kind               text NOT NULL CHECK (kind IN ('crowded', 'suburban', 'housing_estate',
                                                     'urban', 'high_rise', 'housing_authority')),
    committee_contact  text NOT NULL DEFAULT '',   -- chair's name and phone, as the registry gives
    code               text,                       -- the district's registration number, if any
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (district, name)
);
-- Residents search their district's communities by typed name.
CREATE INDEX communities_district_name ON communities (district, name);

CREATE TABLE community_members (
    resident_id   bigint PRIMARY KEY REFERENCES residents (id) ON DELETE CASCADE,
    community_id  bigint NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    joined_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX community_members_community ON community_members (community_id);

ALTER TABLE ideas ADD COLUMN community_id bigint REFERENCES communities (id) ON DELETE SET NULL;
CREATE INDEX ideas_community ON ideas (community_id) WHERE community_id IS NOT NULL;

ALTER TABLE staff DROP CONSTRAINT staff_role_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check
    CHECK (role IN ('admin', 'officer', 'viewer', 'community'));

CREATE TABLE community_staff (
    staff_id      bigint PRIMARY KEY REFERENCES staff (id) ON DELETE CASCADE,
    community_id  bigint NOT NULL REFERENCES communities (id) ON DELETE CASCADE
);

CREATE TABLE community_plans (
    id               bigserial PRIMARY KEY,
    process_id       bigint NOT NULL REFERENCES processes (id),
    community_id     bigint NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    fiscal_year      integer NOT NULL CHECK (fiscal_year > 2500),        -- BE
    mode             text NOT NULL CHECK (mode IN ('new', 'review')),
    reviews_plan_id  bigint REFERENCES community_plans (id) ON DELETE SET NULL,
    state            text NOT NULL DEFAULT 'drafting'
                     CHECK (state IN ('drafting', 'submitted', 'returned', 'adopted')),
    summary          text NOT NULL DEFAULT '',
    staff_note       text NOT NULL DEFAULT '',    -- the district's word when returning it
    version          integer NOT NULL DEFAULT 1,
    submitted_at     timestamptz,
    adopted_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (community_id, fiscal_year)
);

CREATE TABLE community_plan_projects (
    id                   bigserial PRIMARY KEY,
    plan_id              bigint NOT NULL REFERENCES community_plans (id) ON DELETE CASCADE,
    title                text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    description          text NOT NULL DEFAULT '',
    priority             integer NOT NULL CHECK (priority BETWEEN 1 AND 99),
    estimated_cost_baht  bigint NOT NULL CHECK (estimated_cost_baht >= 0),
    year_be              integer NOT NULL CHECK (year_be > 2500),
    carried_from         bigint REFERENCES community_plan_projects (id) ON DELETE SET NULL,
    -- The district's annual action plan (fiscal year, BE) this project entered; NULL: not.
    action_plan_year     integer CHECK (action_plan_year > 2500),
    action_plan_marked_at timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX community_plan_projects_plan ON community_plan_projects (plan_id, priority);
CREATE INDEX community_plan_projects_action ON community_plan_projects (action_plan_year)
    WHERE action_plan_year IS NOT NULL;

CREATE TABLE community_plan_project_ideas (
    project_id  bigint NOT NULL REFERENCES community_plan_projects (id) ON DELETE CASCADE,
    idea_id     bigint NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, idea_id)
);
CREATE TABLE community_plan_project_clusters (
    project_id  bigint NOT NULL REFERENCES community_plan_projects (id) ON DELETE CASCADE,
    cluster_id  bigint NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, cluster_id)
);

CREATE TABLE community_plan_notices (
    plan_id      bigint NOT NULL REFERENCES community_plans (id) ON DELETE CASCADE,
    resident_id  bigint NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    outbox_id    bigint REFERENCES outbox (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (plan_id, resident_id)
);

-- migrate:down
DROP TABLE community_plan_notices;
DROP TABLE community_plan_project_clusters;
DROP TABLE community_plan_project_ideas;
DROP TABLE community_plan_projects;
DROP TABLE community_plans;
DROP TABLE community_staff;
UPDATE staff SET role = 'viewer', active = false WHERE role = 'community';
ALTER TABLE staff DROP CONSTRAINT staff_role_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check CHECK (role IN ('admin', 'officer', 'viewer'));
DROP INDEX ideas_community;
ALTER TABLE ideas DROP COLUMN community_id;
DROP TABLE community_members;
DROP TABLE communities;
