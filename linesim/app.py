"""The emulator's Flask app: one factory, explicit wiring, state owned in memory.

``create_app`` wires the Messaging API (:mod:`linesim.api`,
:mod:`linesim.richmenu`), the control
surface (:mod:`linesim.control`) and the chat page (:mod:`linesim.chat`) to
one :class:`linesim.state.Platform`. ``serve`` runs it in a threaded werkzeug
server (threaded because the bot calls back into the emulator, to reply,
while the emulator is still waiting for the bot's webhook answer).
"""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from linesim import api, chat, control, richmenu
from linesim.state import DEFAULT_BOT_USER_ID, Platform, SimConfig

log = logging.getLogger(__name__)


def create_app(channel_secret: str, channel_access_token: str, webhook_url: str, *,
               bot_user_id: str = DEFAULT_BOT_USER_ID, reply_token_ttl_s: float = 60.0,
               rate_limits: dict[str, float] | None = None,
               webhook_timeout_s: float = 10.0, redeliver: bool = False) -> Flask:
    """Build the LINE platform emulator for one channel and one bot.

    Args:
        channel_secret: signs webhook bodies (``X-Line-Signature``).
        channel_access_token: the Bearer token the Messaging API accepts;
            anything else gets 401 with LINE's body.
        webhook_url: the bot's webhook (e.g. ``http://127.0.0.1:8000/callback``).
        bot_user_id: the ``destination`` of webhook bodies (``U`` + 32 hex).
        reply_token_ttl_s: seconds a reply token stays valid (LINE: ~60).
        rate_limits: requests per second per path prefix; None = unlimited.
        webhook_timeout_s: how long each webhook POST may take, seconds.
        redeliver: redeliver events the bot did not answer 2xx (LINE's webhook redelivery).

    Returns:
        The Flask app; its state is ``app.extensions["linesim"]["platform"]``.
    """
    app = Flask(__name__)
    app.json.ensure_ascii = False  # Thai stays readable in JSON answers
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
    app.extensions["linesim"] = {
        "platform": Platform(reply_token_ttl_s=reply_token_ttl_s, rate_limits=rate_limits),
        "config": SimConfig(channel_secret=channel_secret, channel_access_token=channel_access_token,
                            webhook_url=webhook_url, bot_user_id=bot_user_id,
                            webhook_timeout_s=webhook_timeout_s, redeliver=redeliver),
    }
    app.register_blueprint(api.bp)
    app.register_blueprint(richmenu.bp)
    app.register_blueprint(control.bp)
    app.register_blueprint(chat.bp)
    return app


class _QuietPollingHandler(WSGIRequestHandler):
    """Logs requests, except the chat page's once-a-second successful GET polls."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.command == "GET" and self.path.startswith("/_sim/users/") and str(code) == "200":
            return
        super().log_request(code, size)


def serve(host: str, port: int, channel_secret: str, channel_access_token: str, webhook_url: str,
          **options: object) -> None:
    """Run the emulator in this process until interrupted (threaded werkzeug server).

    ``options`` are passed to :func:`create_app` (``bot_user_id``,
    ``reply_token_ttl_s``, ``rate_limits``, ``webhook_timeout_s``).
    """
    app = create_app(channel_secret, channel_access_token, webhook_url, **options)  # type: ignore[arg-type]
    server = make_server(host, port, app, threaded=True, request_handler=_QuietPollingHandler)
    log.info("linesim on http://%s:%d (chat page /chat), webhook → %s",
             host, server.server_port, webhook_url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
