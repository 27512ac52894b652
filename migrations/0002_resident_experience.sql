-- The resident's LINE experience (issue 4): supports from the similar-idea
-- check, photos and locations with ideas, conversation state, announcement
-- opt-out, PDPA erasure records, and abusive ideas flagged for staff review.

-- migrate:up

-- Where a resident is in a multi-step exchange (a typed idea waiting for
-- "support or send as new", an idea being edited, a confirmation). Kept in
-- Postgres so it survives worker restarts; only for consenting residents.
ALTER TABLE residents
    ADD COLUMN state jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN announcements_opt_out boolean NOT NULL DEFAULT false;

-- 'flagged': an abusive word was found; staff review it before it is
-- clustered or shown to anyone.
ALTER TABLE ideas DROP CONSTRAINT ideas_status_check;
ALTER TABLE ideas ADD CONSTRAINT ideas_status_check
    CHECK (status IN ('active', 'hidden', 'spam', 'merged', 'withdrawn', 'flagged'));
ALTER TABLE ideas
    ADD COLUMN latitude  double precision CHECK (latitude BETWEEN -90 AND 90),
    ADD COLUMN longitude double precision CHECK (longitude BETWEEN -180 AND 180),
    ADD COLUMN edited_at timestamptz,
    ADD CONSTRAINT ideas_location_pair CHECK ((latitude IS NULL) = (longitude IS NULL));
-- The rate limit counts a resident's ideas of the last hour.
CREATE INDEX ideas_resident_created ON ideas (resident_id, created_at);

-- A resident backs an existing idea ("me too" from the similar-idea check)
-- or a cluster staff keep. Idea supports survive reclustering; cluster
-- supports go with their cluster. resident_id is NULL once anonymised.
CREATE TABLE supports (
    id               bigserial PRIMARY KEY,
    process_id       bigint NOT NULL REFERENCES processes (id),
    resident_id      bigint REFERENCES residents (id) ON DELETE CASCADE,
    idea_id          bigint REFERENCES ideas (id) ON DELETE CASCADE,
    cluster_id       bigint REFERENCES clusters (id) ON DELETE CASCADE,
    webhook_event_id text UNIQUE,               -- the tap it came from
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((idea_id IS NULL) <> (cluster_id IS NULL))
);
CREATE UNIQUE INDEX supports_resident_idea ON supports (resident_id, idea_id)
    WHERE idea_id IS NOT NULL;
CREATE UNIQUE INDEX supports_resident_cluster ON supports (resident_id, cluster_id)
    WHERE cluster_id IS NOT NULL;
CREATE INDEX supports_idea ON supports (idea_id);
CREATE INDEX supports_cluster ON supports (cluster_id);

-- Photos residents send with an idea, fetched once from LINE's content
-- endpoint. idea_id is NULL while a photo waits for the resident's next idea.
CREATE TABLE idea_photos (
    id               bigserial PRIMARY KEY,
    idea_id          bigint REFERENCES ideas (id) ON DELETE CASCADE,
    resident_id      bigint REFERENCES residents (id) ON DELETE CASCADE,
    line_message_id  text NOT NULL UNIQUE,
    content_type     text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    size_bytes       integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 10485760),
    sha256           text NOT NULL,
    data             bytea NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idea_photos_idea ON idea_photos (idea_id);
CREATE INDEX idea_photos_resident ON idea_photos (resident_id);

-- Why an idea was flagged for staff review (matched words from the list).
CREATE TABLE idea_flags (
    idea_id     bigint PRIMARY KEY REFERENCES ideas (id) ON DELETE CASCADE,
    reason      text NOT NULL,
    words       text[] NOT NULL DEFAULT '{}',
    flagged_at  timestamptz NOT NULL DEFAULT now(),
    reviewed_at timestamptz
);

-- A record that an erasure happened, without personal data: no resident
-- id, no LINE user id, no text; only what was done and how much.
CREATE TABLE erasures (
    id                bigserial PRIMARY KEY,
    erased_at         timestamptz NOT NULL DEFAULT now(),
    ideas_mode        text NOT NULL CHECK (ideas_mode IN ('delete', 'anonymise')),
    ideas             integer NOT NULL DEFAULT 0,
    supports          integer NOT NULL DEFAULT 0,
    photos            integer NOT NULL DEFAULT 0,
    ballots_unlinked  integer NOT NULL DEFAULT 0
);

-- migrate:down
DROP TABLE erasures;
DROP TABLE idea_flags;
DROP TABLE idea_photos;
DROP TABLE supports;
DROP INDEX ideas_resident_created;
ALTER TABLE ideas DROP CONSTRAINT ideas_location_pair;
ALTER TABLE ideas DROP COLUMN edited_at, DROP COLUMN longitude, DROP COLUMN latitude;
UPDATE ideas SET status = 'hidden' WHERE status = 'flagged';
ALTER TABLE ideas DROP CONSTRAINT ideas_status_check;
ALTER TABLE ideas ADD CONSTRAINT ideas_status_check
    CHECK (status IN ('active', 'hidden', 'spam', 'merged', 'withdrawn'));
ALTER TABLE residents DROP COLUMN announcements_opt_out, DROP COLUMN state;
