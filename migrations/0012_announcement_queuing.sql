-- migrate:up
-- Big audiences (issue 19): resolving an announcement's audience and writing its
-- batches is a job on the upkeep queue, not the staff member's web request. The
-- request composes the messages (per language) and marks the announcement
-- 'queuing' with the audience size it counted; the job writes the batches in
-- chunks of residents in id order, each chunk one transaction that also moves
-- the cursor (queued_through) and the progress (queued_count), so a job that is
-- killed resumes where the last commit left it and nobody is queued twice.
ALTER TABLE announcements DROP CONSTRAINT announcements_state_check;
ALTER TABLE announcements ADD CONSTRAINT announcements_state_check
    CHECK (state IN ('draft', 'queuing', 'queued', 'cancelled'));
ALTER TABLE announcements
    ADD COLUMN messages       jsonb,                       -- language → LINE messages, at send
    ADD COLUMN audience_size  integer NOT NULL DEFAULT 0,  -- N counted when staff pressed Send
    ADD COLUMN queued_count   integer NOT NULL DEFAULT 0,  -- residents written into batches so far
    ADD COLUMN queued_through bigint NOT NULL DEFAULT 0;   -- the last resident id the job passed

-- migrate:down
UPDATE announcements SET state = 'queued' WHERE state = 'queuing';
ALTER TABLE announcements DROP COLUMN queued_through, DROP COLUMN queued_count,
    DROP COLUMN audience_size, DROP COLUMN messages;
ALTER TABLE announcements DROP CONSTRAINT announcements_state_check;
ALTER TABLE announcements ADD CONSTRAINT announcements_state_check
    CHECK (state IN ('draft', 'queued', 'cancelled'));
