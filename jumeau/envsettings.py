"""Typed readers for settings that come from the environment; a bad value fails loudly."""

from __future__ import annotations

import os
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: str) -> bool:
    value = os.getenv(name, default).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean: use 1/0, true/false, yes/no or on/off.")


def envint(name: str, default: str) -> int:
    value = os.getenv(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None


def envfloat(name: str, default: str) -> float:
    value = os.getenv(name, default)
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number.") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


def envextent(name: str, default: str) -> tuple[float, float, float, float]:
    """An extent 'xmin,ymin,xmax,ymax' in the storage CRS, metres."""
    parts = envlist(name, default)
    try:
        xmin, ymin, xmax, ymax = (float(p) for p in parts)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be 'xmin,ymin,xmax,ymax' in metres, got {os.getenv(name, default)!r}."
        ) from None
    if xmin >= xmax or ymin >= ymax:
        raise ImproperlyConfigured(f"{name}: xmin must be below xmax and ymin below ymax.")
    return (xmin, ymin, xmax, ymax)


def redis_db_after(url: str) -> str:
    """The same Redis server on the next database number (redis://host:6379/0 -> /1): the Celery broker's
    queues then never mix with the channel layer's keys, and flushing one leaves the other alone."""
    parts = urlparse(url)
    current = parts.path.strip("/") or "0"
    if not current.isdigit():
        raise ImproperlyConfigured(f"REDIS_URL={url!r} must end in a database number, e.g. redis://redis:6379/0.")
    return parts._replace(path=f"/{int(current) + 1}").geturl()
