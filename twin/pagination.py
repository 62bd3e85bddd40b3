"""Paging of every API list: ?limit and ?offset, with a ceiling a client cannot lift."""
from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class CappedLimitOffsetPagination(LimitOffsetPagination):
    """LimitOffsetPagination whose ?limit is cut to MAX_LIMIT: one request cannot ask for the whole city."""

    # The frontend asks for up to 500 points of interest at once (RoutesPlugin.js).
    max_limit = 500
