"""What Siang does with each LINE webhook event: event type × source type × mode.

The table is the truth; :func:`bot.handlers.dispatch.dispatch` reads it
before any step runs, and ``tests/test_event_policy.py`` walks it (every row
that says "answer" gets exactly one reply, every other row none). Every event
is stored in ``webhook_events`` by the webhook before this table is read.

Actions:

* ``answer``: the conversation step runs and replies (with the reply token).
* ``record``: the step runs and changes state (a block, leaving a group) but
  never replies: LINE gives no reply token for these events.
* ``store``: stored and marked processed; no reply, with the reason given.

Sources (LINE Messaging API, "Webhook event objects"): ``user`` is a 1:1
chat; ``group`` and ``room`` are group chats, where Siang never stores an idea
or a vote (they are private and need consent, given 1:1): it posts one short
invitation to chat 1:1 when added (``join``) and on the first mention, and
nothing else. ``mode: standby`` means another channel holds the chat (LINE's
module channels, "Chat control"): store, never answer.
"""

from __future__ import annotations

import dataclasses

ANSWER = "answer"
RECORD = "record"
STORE = "store"


@dataclasses.dataclass(frozen=True)
class Row:
    event: str          # webhook event type ("message", "postback", ...), or "*" for any
    source: str         # "user", "group", "room", or "*"
    mode: str           # "active", "standby", or "*"
    action: str         # ANSWER, RECORD or STORE
    what: str           # what Siang does, as a resident or operator would read it


#: First match wins. Event types from ``webhook.yml`` (LINE's OpenAPI), in its order.
EVENT_TABLE: tuple[Row, ...] = (
    Row("*", "*", "standby", STORE, "another channel holds the chat: stored, never answered"),
    Row("message", "user", "active", ANSWER, "the conversation: idea, command, district, photo, location"),
    Row("postback", "user", "active", ANSWER, "a button: consent, district, similar idea, vote, privacy; "
        "an old button from a user Siang has no row for starts again with the consent question"),
    Row("follow", "user", "active", ANSWER, "welcome, privacy notice and the consent question"),
    Row("unfollow", "user", "active", RECORD, "blocked: the resident is marked blocked and "
        "pushes stop; no reply token"),
    Row("join", "group", "active", ANSWER, "one invitation to chat 1:1"),
    Row("join", "room", "active", ANSWER, "one invitation to chat 1:1"),
    Row("message", "group", "active", ANSWER, "first mention of the account only: one invitation "
        "to chat 1:1; any other group message is stored, never read as an idea"),
    Row("message", "room", "active", ANSWER, "as in a group"),
    Row("leave", "*", "active", RECORD, "removed from the group: remembered; no reply token"),
    Row("postback", "group", "active", STORE, "Siang posts no buttons in groups"),
    Row("postback", "room", "active", STORE, "Siang posts no buttons in rooms"),
    Row("unsend", "*", "active", STORE, "LINE removes the message; an idea it became stays "
        "until the resident withdraws it in \"my ideas\" (it may already be grouped)"),
    Row("memberJoined", "*", "active", STORE, "group membership: nothing to say in a group"),
    Row("memberLeft", "*", "active", STORE, "group membership: no reply token"),
    Row("videoPlayComplete", "*", "active", STORE, "Siang sends no videos with a tracking id"),
    Row("beacon", "*", "active", STORE, "no LINE Beacon is registered"),
    Row("accountLink", "*", "active", STORE, "no account linking"),
    Row("membership", "*", "active", STORE, "no LINE membership plans"),
    Row("module", "*", "active", STORE, "no module channels attached"),
    Row("activated", "*", "active", STORE, "chat control: not used"),
    Row("deactivated", "*", "active", STORE, "chat control: not used"),
    Row("botSuspended", "*", "active", STORE, "module channel state: not used"),
    Row("botResumed", "*", "active", STORE, "module channel state: not used"),
    Row("delivery", "*", "active", STORE, "LINE notification messages: not used"),
    Row("*", "user", "active", ANSWER, "an event type Siang does not know: help, if LINE "
        "gave a reply token"),
    Row("*", "*", "*", STORE, "anything else in a group or room: never answered"),
)


def decide(event_type: str, source: str, mode: str) -> Row:
    """The first row of :data:`EVENT_TABLE` that matches (the last row matches anything)."""
    for row in EVENT_TABLE:
        if row.event in ("*", event_type) and row.source in ("*", source) \
                and row.mode in ("*", mode):
            return row
    raise AssertionError("EVENT_TABLE ends with a catch-all row")


def markdown_table() -> str:
    """The table as Markdown, for the README's conversation section."""
    lines = ["| event | source | mode | Siang | what |", "|---|---|---|---|---|"]
    for row in EVENT_TABLE:
        lines.append(f"| {row.event} | {row.source} | {row.mode} | {row.action} | {row.what} |")
    return "\n".join(lines)
