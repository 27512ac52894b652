-- A worker handles a resident's events in the order they happened
-- (workers.jobs.process_event): before an event it looks for the same LINE
-- user's earlier unprocessed events. This partial index keeps that lookup
-- small however many events are stored (only pending rows are in it).

-- migrate:up
CREATE INDEX webhook_events_pending_user ON webhook_events ((payload->'source'->>'userId'))
    WHERE processed_at IS NULL;

-- migrate:down
DROP INDEX webhook_events_pending_user;
