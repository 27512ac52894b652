"""Odd input answered helpfully instead of stored: empty, very long, very short,
emoji-only messages and stickers. (The rate limit and the abusive-word flag
are domain rules in :mod:`pb.abuse`, applied by :mod:`bot.handlers.idea`.)
"""

from __future__ import annotations

import unicodedata

from bot import messages as m
from bot.context import Context
from pb import ideas

MAX_CHARS = ideas.MAX_IDEA_CHARS
MIN_CHARS = 6  # non-space characters: "ไฟดับ" alone says too little to act on
# Whole messages that are small talk, not ideas (compared without spaces, lower case).
GREETINGS = frozenset({"สวัสดี", "สวัสดีค่ะ", "สวัสดีครับ", "สวัสดีคะ", "หวัดดี", "ดีค่ะ", "ดีครับ",
                       "hello", "hi", "hey", "goodmorning"})
THANKS = frozenset({"ขอบคุณ", "ขอบคุณค่ะ", "ขอบคุณครับ", "ขอบคุณมาก", "ขอบคุณมากค่ะ",
                    "ขอบคุณมากครับ", "ขอบใจ", "thanks", "thankyou", "thx", "ok", "โอเค", "ครับ", "ค่ะ"})


def text_problem(body: str) -> str | None:
    """Why a normalised text cannot be an idea, or None if it can.

    Returns one of "empty", "too_long", "emoji_only" (no letter or digit in
    any script: emoji, symbols, punctuation), "greeting", "thanks",
    "too_short".
    """
    if not body:
        return "empty"
    key = "".join(body.split()).lower().rstrip("!.~ๆ")
    if key in GREETINGS:
        return "greeting"
    if key in THANKS:
        return "thanks"
    if len(body) > MAX_CHARS:
        return "too_long"
    if not any(unicodedata.category(ch)[0] in "LN" for ch in body):
        return "emoji_only"
    if len(body.replace(" ", "")) < MIN_CHARS:
        return "too_short"
    return None


def problem_message(ctx: Context, problem: str, body: str) -> dict:
    """The friendly answer to :func:`text_problem`'s verdict."""
    if problem == "empty":
        return m.text(ctx.t("idea_empty"))
    if problem == "too_long":
        return m.text(ctx.tn("idea_too_long", MAX_CHARS, n=f"{MAX_CHARS:,}",
                             length=f"{len(body):,}"))
    if problem == "emoji_only":
        return m.text(ctx.t("emoji_only"))
    if problem == "greeting":
        return m.text(ctx.t("greeting"))
    if problem == "thanks":
        return m.text(ctx.t("thanks_reply"))
    return m.text(ctx.t("idea_too_short"))
