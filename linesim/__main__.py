"""Run the emulator as its own process: ``python -m linesim --webhook-url ...``.

Secrets come from the command line or, when not given, from the
``LINE_CHANNEL_SECRET`` / ``LINE_CHANNEL_ACCESS_TOKEN`` environment
variables (read here, in the entry point, never at import).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from linesim.app import serve
from linesim.state import DEFAULT_BOT_USER_ID


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and serve until interrupted; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m linesim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--webhook-url", default=os.environ.get("LINESIM_WEBHOOK_URL",
                                                                "http://127.0.0.1:8000/callback"))
    parser.add_argument("--channel-secret", default=os.environ.get("LINE_CHANNEL_SECRET"))
    parser.add_argument("--channel-access-token", default=os.environ.get("LINE_CHANNEL_ACCESS_TOKEN"))
    parser.add_argument("--bot-user-id", default=DEFAULT_BOT_USER_ID)
    parser.add_argument("--reply-token-ttl", type=float, default=60.0, help="seconds")
    parser.add_argument("--webhook-timeout", type=float, default=10.0, help="seconds")
    parser.add_argument("--rate-limits", default="",
                        help='JSON object path prefix → requests/s, e.g. \'{"/v2/bot/message/push": 5}\'')
    parser.add_argument("--redeliver", action="store_true",
                        help="redeliver events the bot did not answer 2xx, as LINE can")
    args = parser.parse_args(argv)
    if not args.channel_secret or not args.channel_access_token:
        parser.error("channel secret and access token are required "
                     "(flags or LINE_CHANNEL_SECRET / LINE_CHANNEL_ACCESS_TOKEN)")
    rate_limits = json.loads(args.rate_limits) if args.rate_limits else None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s linesim %(message)s")
    serve(args.host, args.port, args.channel_secret, args.channel_access_token, args.webhook_url,
          bot_user_id=args.bot_user_id, reply_token_ttl_s=args.reply_token_ttl,
          rate_limits=rate_limits, webhook_timeout_s=args.webhook_timeout,
          redeliver=args.redeliver)
    return 0


if __name__ == "__main__":
    sys.exit(main())
