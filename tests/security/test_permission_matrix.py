"""Every URL pattern, websocket route and tile layer kind, asked by five personas, against expectations.py.

The patterns come from the resolver itself (includes, DRF routers with their format suffixes, the admin), so a
new URL cannot slip by: without an entry in the table it fails here.
"""

from __future__ import annotations

import json
import re

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.urls import URLResolver, get_resolver, resolve
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.security import expectations as ex
from tests.security.conftest import NETWORK_MARKERS
from tests.tiles.conftest import X0, Y0

TILE_ROUTE = ex.TILE_ROUTE
PROJECT_ROUTES = re.compile(r"^api/projects/\(\?P<slug>")
GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")
CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def resolver_routes(resolver=None, prefix: str = "") -> list[str]:
    """Every pattern's full route, spelled as ResolverMatch.route spells it."""
    out = []
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern).removeprefix("^")
        out.extend(resolver_routes(pattern, route) if isinstance(pattern, URLResolver) else [route])
    return out


def test_every_url_pattern_has_an_entry_and_every_entry_a_pattern():
    table, routes = ex.url_table(), resolver_routes()
    missing = [r for r in routes if r not in table]
    stale = [r for r in table if r not in routes]
    assert not missing, (
        "URL patterns with no entry in tests/security/expectations.py; add each to URLS with "
        "what every persona may receive:\n  " + "\n  ".join(missing)
    )
    assert not stale, "entries in tests/security/expectations.py that no URL pattern has:\n  " + "\n  ".join(stale)


def test_every_websocket_route_has_an_entry():
    from realtime.ws_routes import websocket_urlpatterns

    routes = [str(p.pattern) for p in websocket_urlpatterns]
    missing = [r for r in routes if r not in ex.WEBSOCKETS]
    assert not missing, f"websocket routes with no entry in tests/security/expectations.py WEBSOCKETS: {missing}"
    assert set(ex.WEBSOCKETS) == set(routes), "WEBSOCKETS lists a route realtime/ws_routes.py does not have"


def _parameters(route: str, case: str, city, layers) -> dict[str, str]:
    """Real values for a route's parameters, from the rows the city fixture created."""
    user = city.users[ex.CITIZEN]
    values = {
        "format": ".json" if "drf_format_suffix" in route else "json",
        "app_label": "twin",
        "url": "no-such-page/",
        "stop_id": city.stop_id,
        "id": str(user.pk),
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    if route.startswith("admin/r/"):
        values["content_type_id"] = str(ContentType.objects.get_for_model(city.segment).pk)
        values["object_id"] = str(city.segment.pk)
    elif route.startswith("admin/") and "object_id" in route:
        from django.apps import apps

        app_label, model_name = route.split("/")[1:3]
        model = apps.get_model(app_label, model_name)
        row = model._default_manager.order_by("pk").first()
        assert row is not None, f"tests/security/conftest.py creates no {model.__name__}: add one to `city`"
        values["object_id"] = str(row.pk)
    if route.startswith("api/buildings/"):
        values["pk"] = str(city.building.pk)
    elif route.startswith("api/network-segments/"):
        values["pk"] = str(city.segment.pk)
    elif route.startswith("api/pois/"):
        values["pk"] = str(city.poi.pk)
    elif PROJECT_ROUTES.match(route):
        values["slug"] = city.projects[case].slug
    elif route.startswith("reports/impact/"):
        values["variant_id"] = str(city.variants[case].pk)
    elif route == TILE_ROUTE:
        values["layer"], values["rel"] = layers[case][0], "tileset.json"
    return values


def url_for(route: str, values: dict[str, str]) -> str:
    url = GROUP.sub(lambda m: values[m.group(1)], route)
    url = CONVERTER.sub(lambda m: values[m.group(1)], url)
    url = "/" + url.replace("\\.", ".").replace("/?$", "").replace("$", "")
    assert resolve(url).route == route, f"{url} does not resolve to {route}: fix url_for"
    return url


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Encoding") == "gzip":
        import gzip

        content = gzip.decompress(content)
    return content.decode("utf-8", "replace")


def _outcome(response) -> str:
    if response.status_code in (301, 302):
        location = response["Location"]
        return ex.LOGIN if "/login/" in location else ex.REDIRECT
    return {status: name for name, status in ex.STATUS.items() if name not in (ex.LOGIN, ex.REDIRECT)}.get(
        response.status_code, f"HTTP {response.status_code}"
    )


def _leaks(markers: tuple[str, ...], body: str, asked: str = "") -> list[str]:
    """The markers in a body, but for those the client wrote in its own request (a refusal may name the URL)."""
    return [m for m in markers if m in body and m not in asked]


# What the matrix types in the search box: words of the draft's and the valve's names that are not the markers
# themselves (a marker written in the request would not count as leaked).
SEARCHES = {"draft project": "zeta confidentiel", "network node": "valve 7732"}


def _ask(client, route: str, url: str, case: str = ""):
    """GET, but for the viewshed, which only computes: a small view from a square of the synthetic terrain; and
    the search, asked for a secret row's name."""
    if route == "api/search/":
        return client.get(url, {"q": SEARCHES[case]})
    if route == "api/viewshed/":
        from twin.geoid import city_frame

        lon, lat = city_frame().to_lonlat(X0 + 500.0, Y0 + 500.0)
        body = {"observer": {"lon": float(lon), "lat": float(lat)}, "radius": 200}
        return client.post(url, body, content_type="application/json")
    return client.get(url)


@pytest.mark.django_db
def test_each_persona_receives_from_every_url_exactly_what_the_table_says(city, clients, published_layers, forbidden):
    failures, asked, rows = [], 0, 0
    markers, seen = set(NETWORK_MARKERS + city.draft_markers()), set()
    for route, entry in sorted(ex.url_table().items()):
        for case, outcomes in ex.cases(entry).items():
            rows += 1
            url = url_for(route, _parameters(route, case, city, published_layers))
            for persona in ex.PERSONAS:
                response = _ask(clients[persona], route, url, case)
                asked += 1
                got, body = _outcome(response), _body(response)
                seen |= {m for m in markers if m in body}
                if got != outcomes[persona]:
                    failures.append(f"{persona:11} GET {url} ({case or route}): {got}, expected {outcomes[persona]}")
                if leaked := _leaks(forbidden[persona], body, url):
                    failures.append(f"{persona:11} GET {url}: received {leaked}")
    assert not failures, (
        f"{len(failures)} of {asked} answers differ from tests/security/expectations.py:\n" + "\n".join(failures)
    )
    # Someone allowed does receive every marker: the leak check searches for strings that really travel.
    assert seen == markers, f"no answer carried {sorted(markers - seen)}: the leak check would miss them"
    print(
        f"\npermission matrix: {len(ex.url_table())} URL patterns ({rows} with their cases) x "
        f"{len(ex.PERSONAS)} personas = {asked} answers"
    )


@pytest.mark.django_db
def test_a_citizen_lists_no_network_segment_and_no_draft_project(city, clients):
    for persona in (ex.ANONYMOUS, ex.CITIZEN):
        client = clients[persona]
        assert client.get("/api/network-segments/").status_code == 403
        assert client.get(f"/api/network-segments/{city.segment.pk}/").status_code == 403
        projects = client.get("/api/projects/", {"limit": 500}).json()["results"]
        assert [p["slug"] for p in projects] == ["place-du-marche"]
        assert client.get("/api/projects/zeta-confidentiel/").status_code == 404
    for persona in (ex.PLANNER, ex.ADMIN):
        slugs = {p["slug"] for p in clients[persona].get("/api/projects/").json()["results"]}
        assert slugs == {"zeta-confidentiel", "place-du-marche"}
    agent = clients[ex.FIELD_AGENT]
    features = agent.get("/api/network-segments/").json()["results"]["features"]
    assert [f["properties"]["source_id"] for f in features] == ["SECRET-PIPE-7731"]
    assert {p["slug"] for p in agent.get("/api/projects/").json()["results"]} == {"place-du-marche"}


@pytest.mark.django_db
def test_the_session_offers_each_persona_only_the_layers_it_may_load(city, clients, published_layers):
    draft, public = published_layers["draft project"][0], published_layers["public project"][0]
    offered = {
        persona: {layer["name"] for layer in clients[persona].get("/api/session/").json()["layers"]}
        for persona in ex.PERSONAS
    }
    base = {"buildings", "terrain", "basemap", "pointcloud-falaise", public}
    assert offered[ex.ANONYMOUS] == offered[ex.CITIZEN] == base
    assert offered[ex.FIELD_AGENT] == base | {"networks"}
    assert offered[ex.PLANNER] == offered[ex.ADMIN] == base | {"networks", draft}


@pytest.mark.django_db
def test_every_tile_layer_kind_by_both_spellings(city, clients, published_layers):
    """tileset.json and a content file, by the current URL and by the immutable @<version>/ one."""
    failures, asked = [], 0
    for kind, outcomes in ex.TILE_LAYERS.items():
        layer, version = published_layers[kind]
        for rel in ("tileset.json", "0/0.glb", f"@{version}/tileset.json", f"@{version}/0/0.glb"):
            for persona in ex.PERSONAS:
                response = clients[persona].get(f"/tiles/{layer}/{rel}")
                asked += 1
                if (got := _outcome(response)) != outcomes[persona]:
                    failures.append(f"{persona:11} /tiles/{layer}/{rel} ({kind}): {got}, expected {outcomes[persona]}")
                elif got == ex.OK and rel.endswith(".glb") and layer not in _body(response):
                    failures.append(f"{persona:11} /tiles/{layer}/{rel}: not the layer's own file")
    assert not failures, "\n".join(failures)
    assert asked == len(ex.TILE_LAYERS) * 4 * len(ex.PERSONAS)


async def _ws_session(route: str, headers: list, stop_id: str) -> tuple[bool, list[str]]:
    from jumeau.asgi import application

    communicator = WebsocketCommunicator(application, "/" + route, headers=headers)
    connected, _ = await communicator.connect()
    frames = []
    if connected:
        if route == "ws/transit/":
            await communicator.send_to(
                text_data=json.dumps(
                    {"type": "subscribe", "stops": [stop_id], "routes": ["*"], "bbox": [6.9, 43.4, 7.3, 43.7]}
                )
            )
        while not await communicator.receive_nothing(timeout=0.5):
            frames.append(await communicator.receive_from())
        await communicator.disconnect()
    return connected, frames


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_each_websocket_route_accepts_whom_the_table_says_and_sends_no_secret(
    city, clients, forbidden, published_layers
):
    from realtime.ws_routes import websocket_urlpatterns

    failures, asked = [], 0
    for route in (str(p.pattern) for p in websocket_urlpatterns):
        for persona in ex.PERSONAS:
            headers = [(b"origin", b"http://testserver")]
            if persona != ex.ANONYMOUS:
                headers.append((b"cookie", f"sessionid={clients[persona].cookies['sessionid'].value}".encode()))
            try:
                connected, frames = await _ws_session(route, headers, city.stop_id)
            finally:
                # The consumers' ORM thread keeps its connection (CONN_MAX_AGE); PostGIS then cannot drop the
                # test database.
                await sync_to_async(connections.close_all)()
            asked += 1
            expected = ex.WEBSOCKETS[route][persona]
            if (ex.ACCEPTED if connected else "refused") != expected:
                failures.append(f"{persona:11} {route}: {'accepted' if connected else 'refused'}, expected {expected}")
            if connected and not frames:
                failures.append(f"{persona:11} {route}: accepted but sent nothing to check")
            if leaked := _leaks(forbidden[persona], "\n".join(frames)):
                failures.append(f"{persona:11} {route}: received {leaked}")
    assert not failures, "\n".join(failures)
    assert asked == len(websocket_urlpatterns) * len(ex.PERSONAS)
