"""The WSGI entry point for gunicorn: ``gunicorn "siang.wsgi:app_from_env()"``.

gunicorn calls the factory in each worker after it forks, so connections are
opened per worker process; settings come from the environment, once. Every
worker must get the same ``SIANG_SECRET_KEY``: it signs staff sessions and
CSRF tokens, and a request may reach either worker.
"""

from __future__ import annotations

import logging

from flask import Flask

from bot.settings import Settings, SettingsError
from siang.app import check_web_settings, create_app


def app_from_env() -> Flask:
    """Build the app from the environment (``DATABASE_URL`` and ``REDIS_URL`` must be set).

    Raises:
        gunicorn.errors.AppImportError: a variable is missing or malformed, e.g.
            ``SIANG_SECRET_KEY``; gunicorn prints its one-line message and stops
            instead of restarting workers that cannot start.
    """
    from siang.logs import configure
    from bot import metrics

    configure("web", logging.INFO)
    try:
        settings = Settings.from_env()
        check_web_settings(settings)         # a missing key is one line, before anything starts
        metrics.setup(settings.data_dir)    # before any metric: gunicorn's workers share one folder
        return create_app(settings)
    except SettingsError as exc:
        from gunicorn.errors import AppImportError

        raise AppImportError(f"siang: {exc}") from None
