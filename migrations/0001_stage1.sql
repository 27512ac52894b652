-- Stage 1 of BMA participatory budgeting: residents send ideas in LINE,
-- Siang groups similar ideas into clusters (DESIGN.md, "Data model").

-- migrate:up
CREATE EXTENSION IF NOT EXISTS vector;

-- One participatory exercise (Decidim's "participatory process"): a PB cycle
-- for a district or the city and a fiscal year (Buddhist Era).
CREATE TABLE processes (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL DEFAULT 'pb' CHECK (kind IN ('pb')),
    title        text NOT NULL,
    district     text,                      -- NULL = city-wide
    fiscal_year  integer NOT NULL CHECK (fiscal_year > 2500),   -- BE
    stage        text NOT NULL DEFAULT 'ideas'
                 CHECK (stage IN ('ideas', 'projects', 'voting', 'implementation', 'closed')),
    opens_at     timestamptz,
    closes_at    timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- A LINE user who followed the Official Account. Before consent only the
-- follow itself is kept (PDPA: ideas can reveal political opinions).
CREATE TABLE residents (
    id              bigserial PRIMARY KEY,
    line_user_id    text UNIQUE,               -- NULL once erased
    district        text,
    language        text NOT NULL DEFAULT 'th' CHECK (language IN ('th', 'en')),
    consent_at      timestamptz,
    followed        boolean NOT NULL DEFAULT true,
    blocked_at      timestamptz,
    erased_at       timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Every webhook event LINE delivered, keyed by webhookEventId so that a
-- redelivery is a no-op. Postgres is the truth; Redis only carries ids.
CREATE TABLE webhook_events (
    id                bigserial PRIMARY KEY,
    webhook_event_id  text NOT NULL UNIQUE,
    event_type        text NOT NULL,
    payload           jsonb NOT NULL,
    is_redelivery     boolean NOT NULL DEFAULT false,
    received_at       timestamptz NOT NULL DEFAULT now(),
    processed_at      timestamptz,
    attempts          integer NOT NULL DEFAULT 0,
    error             text                    -- set when the event is malformed or failed
);
CREATE INDEX webhook_events_pending ON webhook_events (received_at) WHERE processed_at IS NULL;

CREATE TABLE ideas (
    id               bigserial PRIMARY KEY,
    process_id       bigint NOT NULL REFERENCES processes (id),
    resident_id      bigint REFERENCES residents (id) ON DELETE SET NULL,
    webhook_event_id text UNIQUE,              -- the event it came from: one idea per event
    district         text NOT NULL,
    text             text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 2000),
    normalised_text  text NOT NULL,
    status           text NOT NULL DEFAULT 'active'
                     CHECK (status IN ('active', 'hidden', 'spam', 'merged', 'withdrawn')),
    source           text NOT NULL DEFAULT 'line' CHECK (source IN ('line', 'import')),
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ideas_process_district ON ideas (process_id, district);
CREATE INDEX ideas_resident ON ideas (resident_id);

CREATE TABLE idea_embeddings (
    idea_id     bigint PRIMARY KEY REFERENCES ideas (id) ON DELETE CASCADE,
    model       text NOT NULL,
    embedding   vector(384) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idea_embeddings_hnsw ON idea_embeddings USING hnsw (embedding vector_cosine_ops);

CREATE TABLE clusters (
    id           bigserial PRIMARY KEY,
    process_id   bigint NOT NULL REFERENCES processes (id),
    district     text NOT NULL,
    label        text,                        -- set by staff; NULL shows keywords
    keywords     text[] NOT NULL DEFAULT '{}',
    centroid     vector(384),                 -- mean of member vectors, centred space
    size         integer NOT NULL DEFAULT 0,
    locked       boolean NOT NULL DEFAULT false,   -- staff decision: recluster keeps it
    medoid_idea_id bigint REFERENCES ideas (id) ON DELETE SET NULL,
    keywords_at  timestamptz,                 -- keywords older than updated_at are refreshed
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clusters_process_district ON clusters (process_id, district);

CREATE TABLE cluster_members (
    idea_id      bigint PRIMARY KEY REFERENCES ideas (id) ON DELETE CASCADE,
    cluster_id   bigint NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    assigned_by  text NOT NULL DEFAULT 'model' CHECK (assigned_by IN ('model', 'staff')),
    similarity   real,
    assigned_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cluster_members_cluster ON cluster_members (cluster_id);

-- Every message Siang sends is a row before the call: a reply (reply token),
-- a push, a multicast batch or a broadcast. The retry key is stored before
-- the call so a retry after a crash is answered 409 by LINE, not sent twice.
CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('reply', 'push', 'multicast', 'broadcast')),
    resident_id     bigint REFERENCES residents (id) ON DELETE CASCADE,
    reply_token     text,
    recipients      text[] NOT NULL DEFAULT '{}',
    messages        jsonb NOT NULL,
    retry_key       uuid NOT NULL DEFAULT gen_random_uuid(),
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    not_before      timestamptz NOT NULL DEFAULT now(),   -- back-off after 429 / 5xx
    lease_until     timestamptz,              -- a sender holds the row until then
    webhook_event_id text,                    -- the event it answers, if any
    line_request_id text,
    error           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX outbox_pending ON outbox (not_before) WHERE state IN ('pending', 'sending');

-- migrate:down
DROP TABLE outbox;
DROP TABLE cluster_members;
DROP TABLE clusters;
DROP TABLE idea_embeddings;
DROP TABLE ideas;
DROP TABLE webhook_events;
DROP TABLE residents;
DROP TABLE processes;
