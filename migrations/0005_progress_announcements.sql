-- BMA PB stage 4, implementation (issue 7): the BMA progress-report form of
-- each selected project (its header and numbered reports), and staff
-- announcements to residents sent through the outbox in batches.

-- migrate:up

-- The header of a project's BMA progress-report form: what the project
-- table (0003) does not already hold. Budget used is not stored: it is the
-- sum of the reports' disbursements, so it never disagrees with them.
CREATE TABLE progress_forms (
    project_id           bigint PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    project_code         text NOT NULL DEFAULT '' CHECK (char_length(project_code) <= 50),
    budget_received_baht bigint CHECK (budget_received_baht BETWEEN 0 AND 100000000000),
    rationale            text NOT NULL DEFAULT '' CHECK (char_length(rationale) <= 5000),
    objectives           text NOT NULL DEFAULT '' CHECK (char_length(objectives) <= 5000),
    goals                text NOT NULL DEFAULT '' CHECK (char_length(goals) <= 5000),
    strategy             text NOT NULL DEFAULT '' CHECK (char_length(strategy) <= 2000),
    version              integer NOT NULL DEFAULT 1,
    updated_by           bigint REFERENCES staff (id),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- One numbered report (ครั้งที่ 1, 2, ...) on the form. Reports are not
-- edited: a correction is the next report (with a reason when the percent
-- goes down), so what was published stays on record.
CREATE TABLE progress_reports (
    id               bigserial PRIMARY KEY,
    project_id       bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number           integer NOT NULL CHECK (number >= 1),
    report_date      date NOT NULL,
    narrative        text NOT NULL CHECK (char_length(narrative) BETWEEN 1 AND 5000),
    percent          smallint NOT NULL CHECK (percent BETWEEN 0 AND 100),
    disbursed_baht   bigint NOT NULL DEFAULT 0 CHECK (disbursed_baht >= 0),
    on_plan          boolean NOT NULL,
    on_target        boolean NOT NULL,
    decrease_reason  text NOT NULL DEFAULT '' CHECK (char_length(decrease_reason) <= 1000),
    created_by       bigint REFERENCES staff (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, number)
);

-- An optional photo with a report (JPEG or PNG, checked by its magic bytes).
CREATE TABLE progress_photos (
    report_id     bigint PRIMARY KEY REFERENCES progress_reports (id) ON DELETE CASCADE,
    content_type  text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    size_bytes    integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 5242880),
    sha256        text NOT NULL,
    data          bytea NOT NULL
);

-- An announcement staff compose: Thai text (English optional), an optional
-- Flex card about a project, an audience. Queuing it resolves the audience
-- once (announcement_recipients) and writes its outbox batches.
CREATE TABLE announcements (
    id          bigserial PRIMARY KEY,
    project_id  bigint REFERENCES projects (id) ON DELETE SET NULL,
    audience    text NOT NULL CHECK (audience IN ('supporters', 'voters', 'district', 'all')),
    district    text,                     -- audience 'district'
    round_id    bigint REFERENCES voting_rounds (id) ON DELETE SET NULL,   -- audience 'voters'
    text_th     text NOT NULL CHECK (char_length(text_th) BETWEEN 1 AND 4000),
    text_en     text NOT NULL DEFAULT '' CHECK (char_length(text_en) <= 4000),
    with_card   boolean NOT NULL DEFAULT false,
    urgent      boolean NOT NULL DEFAULT false,   -- may be pushed in quiet hours
    send_at     timestamptz,              -- staff's chosen time; NULL = as soon as allowed
    state       text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'queued', 'cancelled')),
    method      text CHECK (method IN ('multicast', 'broadcast')),
    recipients  integer NOT NULL DEFAULT 0,
    batches     integer NOT NULL DEFAULT 0,
    not_before  timestamptz,              -- when its batches may first go (quiet hours applied)
    version     integer NOT NULL DEFAULT 1,
    created_by  bigint REFERENCES staff (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    queued_by   bigint REFERENCES staff (id),
    queued_at   timestamptz,
    CHECK ((audience = 'district') = (district IS NOT NULL)),
    CHECK (audience <> 'voters' OR round_id IS NOT NULL OR state <> 'draft')
);
CREATE INDEX announcements_created ON announcements (created_at DESC, id DESC);

-- Who an announcement goes to, one row per resident: the primary key makes
-- a resident part of one batch only. dropped_at: they unfollowed, opted
-- out or erased their data between queuing and their batch's first call.
-- No foreign keys on resident_id and outbox_id: both come from the same
-- transaction that writes these rows (100k in one statement), where
-- per-row foreign-key triggers would take three quarters of the time, and
-- residents and multicast batches are never deleted (erasure anonymises).
CREATE TABLE announcement_recipients (
    announcement_id bigint NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    resident_id     bigint NOT NULL,
    language        text NOT NULL DEFAULT 'th',
    outbox_id       bigint,
    dropped_at      timestamptz,
    PRIMARY KEY (announcement_id, resident_id)
);
CREATE INDEX announcement_recipients_outbox ON announcement_recipients (outbox_id);

-- Each batch of an announcement is an outbox row with its own retry key.
ALTER TABLE outbox ADD COLUMN announcement_id bigint
    REFERENCES announcements (id) ON DELETE CASCADE;
CREATE INDEX outbox_announcement ON outbox (announcement_id) WHERE announcement_id IS NOT NULL;

-- migrate:down
DROP INDEX outbox_announcement;
ALTER TABLE outbox DROP COLUMN announcement_id;
DROP TABLE announcement_recipients;
DROP TABLE announcements;
DROP TABLE progress_photos;
DROP TABLE progress_reports;
DROP TABLE progress_forms;
