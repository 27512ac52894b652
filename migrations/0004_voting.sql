-- BMA PB stage 3, voting (ลงความคิดเห็น; issue 6): voting rounds with a
-- budget envelope and a quorum, the projects on each round's ballot, one
-- ballot per resident (or paper voter) per round, the picks a resident is
-- still making in LINE, and the stored results of each tally rule.

-- migrate:up

-- One vote: a district's or the city's projects, a budget envelope (whole
-- units of ``currency``: baht for Siang's own rounds), a ballot type, a
-- quorum, a voting window and a tally rule (pb.tally, pabutools).
-- origin 'pabulib': created from a .pb file (tests, re-running real
-- instances); such a round has no process and never reaches residents.
CREATE TABLE voting_rounds (
    id                  bigserial PRIMARY KEY,
    process_id          bigint REFERENCES processes (id),
    origin              text NOT NULL DEFAULT 'siang' CHECK (origin IN ('siang', 'pabulib')),
    title               text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    district            text,                          -- NULL = city-wide
    budget_baht         bigint NOT NULL CHECK (budget_baht BETWEEN 1 AND 1000000000000),
    currency            text NOT NULL DEFAULT 'THB' CHECK (char_length(currency) BETWEEN 1 AND 10),
    -- approval: pick at most max_picks projects (NULL: no limit, pabulib imports only);
    -- knapsack: any set whose total cost fits the envelope (Goel et al. 2019);
    -- cumulative: points per project (pabulib imports only, never offered in LINE).
    ballot_type         text NOT NULL CHECK (ballot_type IN ('approval', 'knapsack', 'cumulative')),
    max_picks           integer CHECK (max_picks BETWEEN 1 AND 1000),
    -- Results count only when turnout (ballots of every source) reaches the quorum:
    -- a number of ballots, or a percentage of consenting residents in scope.
    quorum_kind         text NOT NULL DEFAULT 'ballots' CHECK (quorum_kind IN ('ballots', 'percent')),
    quorum_ballots      integer CHECK (quorum_ballots >= 0),
    quorum_percent      numeric(5, 2) CHECK (quorum_percent BETWEEN 0 AND 100),
    opens_at            timestamptz NOT NULL,
    closes_at           timestamptz NOT NULL,
    rule                text NOT NULL DEFAULT 'greedy' CHECK (rule IN ('greedy', 'mes')),
    -- MES completion (pb.tally): per-voter budget raised by this many baht per
    -- step; NULL = 1% of the initial share (pb.tally's default), 1 = Add1.
    mes_increment       integer CHECK (mes_increment >= 1),
    state               text NOT NULL DEFAULT 'draft'
                        CHECK (state IN ('draft', 'open', 'closed', 'tallied', 'published')),
    meta                jsonb NOT NULL DEFAULT '{}'::jsonb,   -- pabulib META of an import
    version             integer NOT NULL DEFAULT 1,
    created_by          bigint REFERENCES staff (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    open_notice_at      timestamptz,     -- residents in scope told (outbox rows written)
    closed_at           timestamptz,
    published_at        timestamptz,
    result_notice_at    timestamptz,     -- voters told the result
    CHECK (closes_at > opens_at),
    CHECK (origin = 'pabulib' OR process_id IS NOT NULL),
    CHECK ((ballot_type = 'approval') OR max_picks IS NULL),
    CHECK ((quorum_kind = 'ballots') = (quorum_ballots IS NOT NULL)),
    CHECK ((quorum_kind = 'percent') = (quorum_percent IS NOT NULL))
);
CREATE INDEX voting_rounds_state ON voting_rounds (state, closes_at);
CREATE INDEX voting_rounds_district ON voting_rounds (district, state);

-- The projects on a round's ballot, frozen when the round is made: title,
-- description and cost as residents see them. ``code`` is the project id
-- used on paper ballots, in .pb files and by the tally (ties go to the
-- code that sorts first as a string); for Siang projects it is the
-- project id. project_id is NULL for a pabulib import.
CREATE TABLE round_projects (
    id           bigserial PRIMARY KEY,
    round_id     bigint NOT NULL REFERENCES voting_rounds (id) ON DELETE CASCADE,
    project_id   bigint REFERENCES projects (id),
    code         text NOT NULL CHECK (char_length(code) BETWEEN 1 AND 100 AND position(',' IN code) = 0),
    title        text NOT NULL CHECK (char_length(title) <= 500),
    description  text NOT NULL DEFAULT '' CHECK (char_length(description) <= 5000),
    cost_baht    bigint NOT NULL CHECK (cost_baht >= 0),
    position     integer NOT NULL,
    extra        jsonb NOT NULL DEFAULT '{}'::jsonb,       -- other pabulib columns
    UNIQUE (round_id, code),
    UNIQUE (round_id, position)
);
CREATE UNIQUE INDEX round_projects_project ON round_projects (round_id, project_id)
    WHERE project_id IS NOT NULL;
CREATE INDEX round_projects_project_id ON round_projects (project_id);

-- One ballot per resident per round (unique key; a change replaces the
-- choices, version counts the changes) and one per paper voter reference.
-- A resident who erases their data or withdraws consent is unlinked
-- (resident_id NULL): the vote still counts. source: chat (LINE), paper
-- (imported CSV of paper and in-person ballots), pabulib (a .pb import).
CREATE TABLE ballots (
    id           bigserial PRIMARY KEY,
    round_id     bigint NOT NULL REFERENCES voting_rounds (id) ON DELETE CASCADE,
    resident_id  bigint REFERENCES residents (id) ON DELETE SET NULL,
    voter_ref    text CHECK (char_length(voter_ref) BETWEEN 1 AND 200),
    source       text NOT NULL CHECK (source IN ('chat', 'paper', 'pabulib')),
    version      integer NOT NULL DEFAULT 1,
    cast_at      timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (source = 'chat' OR voter_ref IS NOT NULL),
    CHECK (source <> 'chat' OR voter_ref IS NULL),
    UNIQUE (round_id, resident_id),
    UNIQUE (round_id, voter_ref)
);
CREATE INDEX ballots_resident ON ballots (resident_id);

-- The projects a ballot picks (points: 1 for approval and knapsack; the
-- points given for a cumulative pabulib ballot).
CREATE TABLE ballot_choices (
    ballot_id         bigint NOT NULL REFERENCES ballots (id) ON DELETE CASCADE,
    round_project_id  bigint NOT NULL REFERENCES round_projects (id) ON DELETE CASCADE,
    points            integer NOT NULL DEFAULT 1 CHECK (points >= 0),
    PRIMARY KEY (ballot_id, round_project_id)
);
CREATE INDEX ballot_choices_project ON ballot_choices (round_project_id);

-- The picks a resident is making in LINE before confirming: changed by
-- add/remove postbacks, copied into the ballot on confirm. version counts
-- changes (a confirm carries the version its summary showed); saved_version
-- is the version last confirmed (a second tap on the same confirm is a no-op).
-- Deleted when the round closes, or the resident erases their data.
CREATE TABLE ballot_drafts (
    round_id       bigint NOT NULL REFERENCES voting_rounds (id) ON DELETE CASCADE,
    resident_id    bigint NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    picks          bigint[] NOT NULL DEFAULT '{}',        -- round_projects.id, in pick order
    version        integer NOT NULL DEFAULT 1,
    saved_version  integer,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (round_id, resident_id)
);
CREATE INDEX ballot_drafts_resident ON ballot_drafts (resident_id);

-- The outcome of one tally rule for a round: the chosen rule and, for
-- comparison, the other one. Recomputed (replaced) on demand until published.
CREATE TABLE round_results (
    round_id        bigint NOT NULL REFERENCES voting_rounds (id) ON DELETE CASCADE,
    rule            text NOT NULL CHECK (rule IN ('greedy', 'mes')),
    chosen          boolean NOT NULL,                -- the round's own rule
    params          jsonb NOT NULL,                  -- pb.tally parameters (pabutools version, ...)
    winners         text[] NOT NULL,                 -- round_projects.code, in selection order
    votes           jsonb NOT NULL,                  -- code -> ballots supporting it
    points          jsonb,                           -- code -> points (cumulative)
    budget_used     bigint NOT NULL,
    ballots         integer NOT NULL,                -- turnout: ballots of every source
    ballots_chat    integer NOT NULL DEFAULT 0,
    ballots_paper   integer NOT NULL DEFAULT 0,
    electorate      integer,                         -- consenting residents in scope (percent quorum)
    quorum_required integer NOT NULL,                -- ballots needed
    quorum_met      boolean NOT NULL,
    seconds         double precision NOT NULL,       -- tally wall time
    computed_at     timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz,
    PRIMARY KEY (round_id, rule)
);

-- migrate:down
DROP TABLE round_results;
DROP TABLE ballot_drafts;
DROP TABLE ballot_choices;
DROP TABLE ballots;
DROP TABLE round_projects;
DROP TABLE voting_rounds;
