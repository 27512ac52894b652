-- Issue 18: the residents' messages of the new participation processes are listed in
-- "Messages sent" (/admin/sent, pb.sent_messages) like the voting round notices:
--   'hearing_invite'          residents of a hearing's area invited to answer it;
--   'hearing_summary'         everyone who answered told the summary was published;
--   'council_response'        who asked or supported a council question told its response;
--   'community_plan_adopted'  a community's residents told its plan was adopted.
-- A row's group is then a process (the hearing, the council meeting's call for
-- questions, the community plan call) and, for a community plan, the community.

-- migrate:up
ALTER TABLE sent_messages DROP CONSTRAINT sent_messages_topic_check;
ALTER TABLE sent_messages ADD CONSTRAINT sent_messages_topic_check CHECK (topic IN (
    'project_promoted', 'round_open', 'round_result', 'project_outcome',
    'hearing_invite', 'hearing_summary', 'council_response', 'community_plan_adopted'));
ALTER TABLE sent_messages
    ADD COLUMN process_id   bigint REFERENCES processes (id) ON DELETE CASCADE,
    ADD COLUMN community_id bigint REFERENCES communities (id) ON DELETE CASCADE;

-- migrate:down
DELETE FROM sent_messages WHERE topic IN ('hearing_invite', 'hearing_summary',
                                          'council_response', 'community_plan_adopted');
ALTER TABLE sent_messages DROP COLUMN community_id, DROP COLUMN process_id;
ALTER TABLE sent_messages DROP CONSTRAINT sent_messages_topic_check;
ALTER TABLE sent_messages ADD CONSTRAINT sent_messages_topic_check CHECK (topic IN (
    'project_promoted', 'round_open', 'round_result', 'project_outcome'));
