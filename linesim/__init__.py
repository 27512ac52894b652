"""linesim: a local LINE platform emulator for Siang's demo and tests.

The bot reaches it only by pointing line-bot-sdk v3 at it
(``Configuration(host=sim_url)`` for both ``MessagingApi`` and
``MessagingApiBlob``); nothing in ``bot/`` knows it is there. Shapes follow
LINE's OpenAPI files (``messaging-api.yml``, ``webhook.yml``); all state is in
memory behind one lock, so it runs as a thread in tests or as its own process.

Modules:
    app      ``create_app(channel_secret, channel_access_token, webhook_url, *,
             bot_user_id, reply_token_ttl_s=60, rate_limits=None,
             webhook_timeout_s=10) -> Flask`` and ``serve(host, port, ...)``.
    api      Messaging API ``/v2/bot/...`` (Bearer token, faults, rate limits,
             request ids, call record).
    richmenu rich menus: create/validate/list/delete, image upload (≤1 MB
             PNG/JPEG of the menu's size), default menu, per-user links.
    rules    LINE's message / rich menu limits as pure validation functions.
    webhook  building, signing (HMAC-SHA256, base64) and POSTing webhook events.
    state    ``Platform``: users, transcripts, reply tokens, retry keys, faults.
    control  ``/_sim/...``: simulated users, transcripts, calls, faults, limits.
    chat     ``GET /chat?user=U...``: the chat page (``templates/``, ``static/``).
    client   ``SimClient(base_url)``: follow, unfollow, say, tap, send_sticker,
             send_image, send_location, redeliver, messages, texts, calls,
             reset_calls, deliveries, set_faults, set_rate_limits,
             set_profile, user, reset.

Run it as a process::

    LINE_CHANNEL_SECRET=... LINE_CHANNEL_ACCESS_TOKEN=... \\
        python -m linesim --port 8090 --webhook-url http://127.0.0.1:8000/callback

then open http://127.0.0.1:8090/chat to talk to the bot as a resident.
"""
