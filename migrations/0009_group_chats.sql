-- Group and room chats the LINE Official Account was added to (issue 14).
-- Siang never stores what is said in a group: ideas are private and need
-- consent, given 1:1. It only remembers that it has invited a group to chat
-- 1:1, so the invitation is posted once on join and once on the first
-- mention, never again. A group or room id is not a person's data.

-- migrate:up
CREATE TABLE group_chats (
    chat_id      text PRIMARY KEY,          -- LINE groupId or roomId
    kind         text NOT NULL CHECK (kind IN ('group', 'room')),
    joined_at    timestamptz,
    left_at      timestamptz,
    invited_on_mention_at timestamptz
);

-- migrate:down
DROP TABLE group_chats;
