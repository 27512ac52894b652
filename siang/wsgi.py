"""The WSGI entry point for gunicorn: ``gunicorn "siang.wsgi:app_from_env()"``.

gunicorn calls the factory in each worker after it forks, so connections are
opened per worker process; settings come from the environment, once.
"""

from __future__ import annotations

import logging

from flask import Flask

from bot.app import create_app
from bot.settings import Settings


def app_from_env() -> Flask:
    """Build the app from the environment (``DATABASE_URL`` and ``REDIS_URL`` must be set)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return create_app(Settings.from_env())
