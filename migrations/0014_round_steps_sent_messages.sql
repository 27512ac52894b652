-- Issue 16 (H-C2): opening and closing a voting round run as upkeep jobs, and
-- the admin can see what residents were told automatically.
--
-- * voting_rounds.step_*: a staff member asked to open or close the round; the
--   upkeep job (workers.voting.open_round / close_round) carries it out as that
--   staff member (audited as them) and clears the request, or leaves its error.
-- * sent_messages: one row per outbox row Siang wrote on its own (promotion
--   pushes, round notices, results, outcomes), with the resident group it went
--   to, so /admin/sent can say what, when, to how many and how many were delivered.
-- * project_outcome_notices: a resident whose idea went into a project that was
--   not selected hears it once per project (primary key), like project_notices.

-- migrate:up
ALTER TABLE voting_rounds
    ADD COLUMN step_requested    text CHECK (step_requested IN ('open', 'close')),
    ADD COLUMN step_requested_by bigint REFERENCES staff (id) ON DELETE SET NULL,
    ADD COLUMN step_requested_at timestamptz,
    ADD COLUMN step_error        text;

CREATE TABLE sent_messages (
    outbox_id   bigint PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
    topic       text NOT NULL CHECK (topic IN ('project_promoted', 'round_open',
                                               'round_result', 'project_outcome')),
    district    text,                      -- NULL: city-wide
    round_id    bigint REFERENCES voting_rounds (id) ON DELETE CASCADE,
    project_id  bigint REFERENCES projects (id) ON DELETE CASCADE,
    recipients  integer NOT NULL,          -- residents the row was written for
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sent_messages_by_time ON sent_messages (created_at DESC);

CREATE TABLE project_outcome_notices (
    project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    resident_id bigint NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    round_id    bigint REFERENCES voting_rounds (id) ON DELETE SET NULL,
    outbox_id   bigint REFERENCES outbox (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, resident_id)
);

-- migrate:down
DROP TABLE project_outcome_notices;
DROP TABLE sent_messages;
ALTER TABLE voting_rounds
    DROP COLUMN step_error,
    DROP COLUMN step_requested_at,
    DROP COLUMN step_requested_by,
    DROP COLUMN step_requested;
