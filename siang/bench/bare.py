"""A bare Flask app that answers ``POST /callback`` with 200: the webhook bench's baseline."""

from __future__ import annotations

from flask import Flask


def app_factory() -> Flask:
    app = Flask(__name__)

    @app.post("/callback")
    def callback():
        return {"status": "ok"}

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
