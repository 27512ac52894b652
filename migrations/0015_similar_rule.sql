-- Issue 15: the similar-idea rule by place, per process; ideas marked as duplicates.

-- migrate:up
-- Located ideas of a process, for the "near you" search (a latitude band, then longitude).
CREATE INDEX ideas_process_place ON ideas (process_id, latitude, longitude)
    WHERE latitude IS NOT NULL AND status = 'active';

-- Staff settings of the similar-idea rule for one process and embedder
-- (defaults: nlp.similar_rule.RULES). topic_min NULL = no carousel without a location.
CREATE TABLE similar_rule_settings (
    process_id  bigint NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    model       text   NOT NULL,
    radius_m    double precision NOT NULL CHECK (radius_m BETWEEN 10 AND 5000),
    near_min    double precision NOT NULL CHECK (near_min BETWEEN -1 AND 1),
    topic_min   double precision CHECK (topic_min BETWEEN -1 AND 1),
    updated_by  bigint REFERENCES staff (id) ON DELETE SET NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (process_id, model)
);

-- An idea staff marked as the same as another: status 'merged', where it went,
-- and when its author was told (once).
ALTER TABLE ideas
    ADD COLUMN duplicate_of bigint REFERENCES ideas (id) ON DELETE SET NULL,
    ADD COLUMN duplicate_told_at timestamptz,
    ADD CONSTRAINT ideas_not_own_duplicate CHECK (duplicate_of IS NULL OR duplicate_of <> id);

-- migrate:down
ALTER TABLE ideas DROP CONSTRAINT ideas_not_own_duplicate,
    DROP COLUMN duplicate_told_at, DROP COLUMN duplicate_of;
DROP TABLE similar_rule_settings;
DROP INDEX ideas_process_place;
