-- The erasure ledger (PDPA section 33, issue 19): an erased resident stays
-- erased after a restore. One row per erasure: a keyed hash of the LINE user
-- id (HMAC-SHA256, the key is never in the database), the time and the ideas
-- mode; no personal data. It lives in its own schema, `ledger`, which
-- `siang backup` leaves out of every dump and `siang restore` never touches,
-- so a restore of last week's backup cannot roll it back: `siang restore`
-- re-applies every erasure recorded after the backup was taken.
--
-- `backups` (in the dumped data) notes when each `siang backup` started, so a
-- restored database knows its own age.

-- migrate:up
CREATE SCHEMA IF NOT EXISTS ledger;
CREATE TABLE IF NOT EXISTS ledger.erasures (
    id          bigserial PRIMARY KEY,
    subject     text NOT NULL CHECK (subject ~ '^[0-9a-f]{64}$'),  -- HMAC-SHA256, hex
    ideas_mode  text NOT NULL CHECK (ideas_mode IN ('delete', 'anonymise')),
    erased_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subject, erased_at)
);
CREATE INDEX IF NOT EXISTS ledger_erasures_erased_at ON ledger.erasures (erased_at);
CREATE TABLE IF NOT EXISTS backups (
    id        bigserial PRIMARY KEY,
    taken_at  timestamptz NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE backups;
DROP TABLE ledger.erasures;
DROP SCHEMA ledger;
