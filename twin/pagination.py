"""Paging of every API list: ?limit and ?offset, with a ceiling a client cannot lift."""

from __future__ import annotations

from collections.abc import Sequence

from rest_framework.pagination import LimitOffsetPagination


class CappedLimitOffsetPagination(LimitOffsetPagination):
    """LimitOffsetPagination whose ?limit is cut to MAX_LIMIT: one request cannot ask for the whole city."""

    # The frontend asks for up to 500 points of interest at once (RoutesPlugin.js).
    max_limit = 500


class FeatureCollectionPagination(CappedLimitOffsetPagination):
    """?limit and ?offset for a GeoJSON FeatureCollection, which keeps its shape: the app reads `features`.

    Unlike the model lists, a client asks for the whole collection at once (every stop of the network, every
    circuit), so the default page is the ceiling; a network larger than that is read with `next`.
    """

    default_limit = 5000
    max_limit = 5000

    def collection(self, request, rows: Sequence, to_feature) -> dict:
        """The page of `rows` (a queryset or list, sliced before `to_feature` turns rows into features)."""
        limit, offset = self.get_limit(request), self.get_offset(request)
        count = len(rows) if isinstance(rows, list) else rows.count()
        self.request, self.limit, self.offset, self.count = request, limit, offset, count
        return {
            "type": "FeatureCollection",
            "features": [to_feature(r) for r in rows[offset : offset + limit]],
            "numberMatched": count,
            "next": self.get_next_link(),
        }
