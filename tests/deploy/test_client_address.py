"""The client address the app sees is the one nginx saw, whatever X-Forwarded-For the client wrote."""

from __future__ import annotations

import json


def test_a_client_cannot_dodge_the_viewshed_throttle_by_writing_its_own_forwarded_for(stack):
    # The test app allows 3 views a minute per client (VIEWSHED_THROTTLE=3/min in conftest).
    client = stack.client()
    statuses, responses = [], []
    for n in range(4):
        response = client.request(
            "POST",
            "/api/viewshed/",
            {
                "Content-Type": "application/json",
                "X-Forwarded-For": f"203.0.113.{n + 1}",
                "X-Real-IP": f"198.51.100.{n + 1}",
            },
            json.dumps({}).encode(),
        )
        statuses.append(response.status)
        responses.append(response)
    assert statuses[:3] == [400, 400, 400], statuses  # counted, then refused for the empty request
    assert statuses[3] == 429, statuses
    # nginx did receive the forged headers: it overwrote them rather than passing them on.
    assert [stack.logged(r)["xff"] for r in responses] == [f"203.0.113.{n + 1}" for n in range(4)]
