-- Issue 18 part 3: the district city council (สภาคนเมืองประจำเขต). Each district
-- office sets up one council committee of resident groups that meets at least
-- once a month. Before a meeting, residents of the district send questions or
-- topics in LINE (grouped like ideas; others may support a question); staff
-- build the agenda from the groups, then publish the minutes and a response per
-- question group, and everyone who asked or supported is told the response.
--
-- A meeting's call for questions is a `processes` row of kind 'council'
-- (migration 0016): its opens_at/closes_at are the question window, its stage
-- draft → open → closed → published.

-- migrate:up
CREATE TABLE council_committees (
    id              bigserial PRIMARY KEY,
    district        text NOT NULL UNIQUE,          -- one council per district office
    name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    established_on  date NOT NULL,                 -- the district's order setting it up
    created_by      bigint REFERENCES staff (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- A member represents a resident group (community, traders, youth, ...) for a term.
CREATE TABLE council_members (
    id               bigserial PRIMARY KEY,
    council_id       bigint NOT NULL REFERENCES council_committees (id) ON DELETE CASCADE,
    name             text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    group_represented text NOT NULL CHECK (char_length(group_represented) BETWEEN 1 AND 200),
    term_starts_on   date NOT NULL,
    term_ends_on     date NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (term_ends_on >= term_starts_on)
);
CREATE INDEX council_members_council ON council_members (council_id);

CREATE TABLE council_meetings (
    id            bigserial PRIMARY KEY,
    council_id    bigint NOT NULL REFERENCES council_committees (id) ON DELETE CASCADE,
    process_id    bigint NOT NULL UNIQUE REFERENCES processes (id),
    meets_at      timestamptz NOT NULL,
    place         text NOT NULL CHECK (char_length(place) BETWEEN 1 AND 300),
    agenda        text NOT NULL DEFAULT '' CHECK (char_length(agenda) <= 8000),
    minutes       text NOT NULL DEFAULT '' CHECK (char_length(minutes) <= 20000),
    announcement_id bigint REFERENCES announcements (id) ON DELETE SET NULL,  -- the invitation
    published_at  timestamptz,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX council_meetings_council ON council_meetings (council_id, meets_at);

-- Questions grouped like ideas (online: nearest group centroid above the
-- embedder's threshold, else a new group); staff answer per group.
CREATE TABLE council_question_groups (
    id            bigserial PRIMARY KEY,
    process_id    bigint NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    centroid      vector(384),                    -- running mean of grouping vectors
    size          integer NOT NULL DEFAULT 0,     -- questions in the group
    on_agenda     boolean NOT NULL DEFAULT false,
    agenda_order  integer,
    response      text NOT NULL DEFAULT '' CHECK (char_length(response) <= 4000),
    response_en   text NOT NULL DEFAULT '' CHECK (char_length(response_en) <= 4000),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX council_question_groups_process ON council_question_groups (process_id);

CREATE TABLE council_questions (
    id               bigserial PRIMARY KEY,
    process_id       bigint NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    resident_id      bigint REFERENCES residents (id) ON DELETE SET NULL,
    group_id         bigint REFERENCES council_question_groups (id) ON DELETE SET NULL,
    webhook_event_id text UNIQUE,                  -- the event it came from: one question per event
    text             text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 2000),
    model            text,
    grouping         vector(384),
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX council_questions_process ON council_questions (process_id);
CREATE INDEX council_questions_resident ON council_questions (resident_id);

-- Another resident backs a question ("me too"), once each.
CREATE TABLE council_question_supports (
    question_id  bigint NOT NULL REFERENCES council_questions (id) ON DELETE CASCADE,
    resident_id  bigint REFERENCES residents (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (question_id, resident_id)
);
CREATE INDEX council_question_supports_resident ON council_question_supports (resident_id);

-- Who was told a group's response, once per (group, resident).
CREATE TABLE council_response_notices (
    group_id     bigint NOT NULL REFERENCES council_question_groups (id) ON DELETE CASCADE,
    resident_id  bigint NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    outbox_id    bigint REFERENCES outbox (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, resident_id)
);

-- migrate:down
DROP TABLE council_response_notices;
DROP TABLE council_question_supports;
DROP TABLE council_questions;
DROP TABLE council_question_groups;
DROP TABLE council_meetings;
DROP TABLE council_members;
DROP TABLE council_committees;
