-- Issue 18 part 1: district public hearings (โครงการรับฟังความคิดเห็นของประชาชนเพื่อกำหนด
-- นโยบายการพัฒนาเชิงพื้นที่ของสำนักงานเขต). One hearing = one `processes` row of kind
-- 'hearing' (migration 0016: stage draft → open → closed → published, scope in
-- processes.district / processes.scope_districts, window opens_at/closes_at).
-- pb/hearings.py reads and writes these tables.

-- migrate:up

-- What a hearing has beyond the process row: an introduction for residents, and the
-- claims of its one-time notices (invitation when opened, "results published").
CREATE TABLE hearing_info (
    process_id          bigint PRIMARY KEY REFERENCES processes (id) ON DELETE CASCADE,
    title_en            text NOT NULL DEFAULT '',
    intro               text NOT NULL DEFAULT '' CHECK (length(intro) <= 2000),
    summary             text NOT NULL DEFAULT '' CHECK (length(summary) <= 20000),
    invited_at          timestamptz,            -- invitations written to the outbox
    invited             integer NOT NULL DEFAULT 0,
    published_at        timestamptz,
    published_by        bigint REFERENCES staff (id) ON DELETE SET NULL,
    result_notice_at    timestamptz,            -- answerers told of the published summary
    version             integer NOT NULL DEFAULT 1
);

-- The questions, in order: open text, single choice, multiple choice, rating 1–5.
CREATE TABLE hearing_questions (
    id          bigserial PRIMARY KEY,
    process_id  bigint NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    position    integer NOT NULL CHECK (position >= 1),
    kind        text NOT NULL CHECK (kind IN ('open', 'single', 'multi', 'rating')),
    prompt      text NOT NULL CHECK (length(prompt) BETWEEN 1 AND 500),
    options     text[] NOT NULL DEFAULT '{}',
    UNIQUE (process_id, position),
    CHECK ((kind IN ('single', 'multi') AND cardinality(options) BETWEEN 2 AND 10)
           OR (kind IN ('open', 'rating') AND cardinality(options) = 0))
);

-- One answer per resident and question; a later answer replaces it until the close.
-- resident_id is NULL once the resident erased their data in "anonymise" mode.
CREATE TABLE hearing_answers (
    id           bigserial PRIMARY KEY,
    process_id   bigint NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    question_id  bigint NOT NULL REFERENCES hearing_questions (id) ON DELETE CASCADE,
    resident_id  bigint REFERENCES residents (id) ON DELETE SET NULL,
    district     text,                                  -- the resident's district then
    text_answer  text CHECK (length(text_answer) <= 2000),
    choices      integer[],                             -- option indexes, 0-based
    rating       smallint CHECK (rating BETWEEN 1 AND 5),
    grouping     real[],                                -- grouping vector (nlp.represent)
    model_name   text,
    changes      integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (question_id, resident_id)
);
CREATE INDEX hearing_answers_process ON hearing_answers (process_id, question_id);
CREATE INDEX hearing_answers_resident ON hearing_answers (resident_id);

-- The optional in-person session, with a capacity.
CREATE TABLE hearing_sessions (
    id          bigserial PRIMARY KEY,
    process_id  bigint NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    place       text NOT NULL CHECK (length(place) BETWEEN 1 AND 300),
    starts_at   timestamptz NOT NULL,
    capacity    integer NOT NULL CHECK (capacity BETWEEN 1 AND 100000)
);
CREATE INDEX hearing_sessions_process ON hearing_sessions (process_id);

-- A resident registered from LINE; the reminder is a push row in the outbox due the
-- day before the session (cancelled with the registration).
CREATE TABLE hearing_registrations (
    id                  bigserial PRIMARY KEY,
    session_id          bigint NOT NULL REFERENCES hearing_sessions (id) ON DELETE CASCADE,
    resident_id         bigint NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    reminder_outbox_id  bigint REFERENCES outbox (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, resident_id)
);
CREATE INDEX hearing_registrations_resident ON hearing_registrations (resident_id);

-- migrate:down
DROP TABLE hearing_registrations;
DROP TABLE hearing_sessions;
DROP TABLE hearing_answers;
DROP TABLE hearing_questions;
DROP TABLE hearing_info;
