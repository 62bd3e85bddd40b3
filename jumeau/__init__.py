"""The project package: settings, URLs, ASGI, the Celery app, the session API, the demo city and its commands.

It alone wires the apps together; the Celery app is created with it so that the apps' shared tasks bind to it."""

from jumeau.celery import app as celery_app

__all__ = ("celery_app",)
