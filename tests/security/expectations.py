"""Who may receive what: every URL pattern, websocket route and tile layer kind, for each persona. The one table.

Keys are routes as Django's resolver spells them (ResolverMatch.route). A pattern the resolver knows that is not
here fails test_permission_matrix; so does an entry no pattern matches. A value maps each persona to an outcome,
or, where one pattern serves rows of different secrecy, each case (a draft or a public project, a tile layer kind)
to such a map.
"""

from __future__ import annotations

ANONYMOUS, CITIZEN, PLANNER, FIELD_AGENT, ADMIN = "anonymous", "citizen", "planner", "field_agent", "admin"
PERSONAS = (ANONYMOUS, CITIZEN, PLANNER, FIELD_AGENT, ADMIN)

# What a persona receives, as the status a browser sees.
OK = "ok"  # 200: the content
LOGIN = "login"  # 302 to a login page, and nothing else
REDIRECT = "redirect"  # 302 elsewhere (a page that checks again)
BAD_REQUEST = "bad request"  # 400: the view ran and wants parameters; nothing refused, nothing given
DENIED = "denied"  # 403
ABSENT = "absent"  # 404: for a citizen, a draft does not exist
NOT_ALLOWED = "not allowed"  # 405: the method (GET) is not served, to anyone
ACCEPTED = "accepted"  # a websocket opened
GRANTED = "granted"  # 204: an auth_request gate lets the request through to the tool nginx proxies
UNAUTHORIZED = "unauthorized"  # 401: an auth_request gate asks to sign in first
STATUS = {
    OK: 200,
    GRANTED: 204,
    LOGIN: 302,
    REDIRECT: 302,
    BAD_REQUEST: 400,
    UNAUTHORIZED: 401,
    DENIED: 403,
    ABSENT: 404,
    NOT_ALLOWED: 405,
}


def every(outcome: str) -> dict[str, str]:
    return dict.fromkeys(PERSONAS, outcome)


PUBLIC = every(OK)
SIGNED_IN = {**every(OK), ANONYMOUS: LOGIN}
STAFF = {**every(LOGIN), ADMIN: OK}  # the admin site: is_staff only (our admin persona is a superuser)
NETWORKS = {ANONYMOUS: DENIED, CITIZEN: DENIED, PLANNER: OK, FIELD_AGENT: OK, ADMIN: OK}
DRAFT_ROWS = {ANONYMOUS: ABSENT, CITIZEN: ABSENT, PLANNER: OK, FIELD_AGENT: ABSENT, ADMIN: OK}
DRAFT_TILES = {ANONYMOUS: DENIED, CITIZEN: DENIED, PLANNER: OK, FIELD_AGENT: DENIED, ADMIN: OK}

# Tile layer kinds; the test publishes one small build of each and asks for its tileset.json.
TILE_LAYERS = {
    "buildings": PUBLIC,
    "terrain": PUBLIC,
    "basemap": PUBLIC,
    "networks": NETWORKS,
    "draft project": DRAFT_TILES,
    "public project": PUBLIC,
    "pointcloud": PUBLIC,
}

WEBSOCKETS = {
    # Departures and vehicles: open transit data.
    "ws/transit/": every(ACCEPTED),
    # Walks and published circuits: streets and landmarks only.
    "ws/routes/": every(ACCEPTED),
    # New tile builds: everyone hears of the layers it may load, and of no other (tests/realtime/test_layer_updates.py).
    "ws/layers/": every(ACCEPTED),
}

# tiles/urls.py: every first segment reaches the view, which 404s a name that is not a layer.
TILE_ROUTE = "tiles/(?P<layer>[^/]+)/(?P<rel>.+)$"

URLS: dict[str, dict] = {
    # --- The web app.
    "": PUBLIC,
    "xr/": PUBLIC,
    # --- Accounts (django.contrib.auth.urls).
    "accounts/login/": PUBLIC,
    "accounts/logout/": every(NOT_ALLOWED),  # POST only
    "accounts/password_change/": SIGNED_IN,
    "accounts/password_change/done/": SIGNED_IN,
    "accounts/password_reset/": PUBLIC,
    "accounts/password_reset/done/": PUBLIC,
    "accounts/reset/<uidb64>/<token>/": every(REDIRECT),  # a valid link moves on to its set-password page
    "accounts/reset/done/": PUBLIC,
    # nginx's gate to Flower (/flower/): it passes admins only (tests/jobs/test_jobs_monitor_gate.py).
    "accounts/gate/jobs-monitor/": {**every(DENIED), ANONYMOUS: UNAUTHORIZED, ADMIN: GRANTED},
    # --- The JSON API.
    "api/session/": PUBLIC,  # its content (the layers offered) is checked per persona
    # Public; asked for the draft's and the network node's names: only the leak check tells who receives them.
    "api/search/": {"draft project": PUBLIC, "network node": PUBLIC},
    "api/viewshed/": PUBLIC,  # POST; drafts are refused by variant, not by persona
    "api/": PUBLIC,
    "api/<drf_format_suffix:format>": PUBLIC,
    "api/buildings/$": PUBLIC,
    "api/buildings\\.(?P<format>[a-z0-9]+)/?$": PUBLIC,
    "api/buildings/(?P<pk>[^/.]+)/$": PUBLIC,
    "api/buildings/(?P<pk>[^/.]+)\\.(?P<format>[a-z0-9]+)/?$": PUBLIC,
    "api/network-segments/$": NETWORKS,
    "api/network-segments\\.(?P<format>[a-z0-9]+)/?$": NETWORKS,
    "api/network-segments/(?P<pk>[^/.]+)/$": NETWORKS,
    "api/network-segments/(?P<pk>[^/.]+)\\.(?P<format>[a-z0-9]+)/?$": NETWORKS,
    "api/projects/$": PUBLIC,  # drafts are filtered out, checked on the content
    "api/projects\\.(?P<format>[a-z0-9]+)/?$": PUBLIC,
    "api/projects/(?P<slug>[^/.]+)/$": {"draft project": DRAFT_ROWS, "public project": PUBLIC},
    "api/projects/(?P<slug>[^/.]+)\\.(?P<format>[a-z0-9]+)/?$": {"draft project": DRAFT_ROWS, "public project": PUBLIC},
    # Comments: approved ones to anyone, pending and rejected ones to moderators; a draft's exist for planners only.
    "api/projects/(?P<slug>[^/.]+)/comments/$": {"draft project": DRAFT_ROWS, "public project": PUBLIC},
    "api/projects/(?P<slug>[^/.]+)/comments\\.(?P<format>[a-z0-9]+)/?$": {
        "draft project": DRAFT_ROWS,
        "public project": PUBLIC,
    },
    "api/pois/$": PUBLIC,
    "api/pois\\.(?P<format>[a-z0-9]+)/?$": PUBLIC,
    "api/pois/(?P<pk>[^/.]+)/$": PUBLIC,
    "api/pois/(?P<pk>[^/.]+)\\.(?P<format>[a-z0-9]+)/?$": PUBLIC,
    "api/routes/": every(BAD_REQUEST),  # public; asked without its two ends
    "api/circuits/": PUBLIC,
    "api/transit/stops/": PUBLIC,
    "api/transit/stops/<str:stop_id>/departures/": PUBLIC,
    "api/schema/": PUBLIC,
    "api/docs/": PUBLIC,
    # --- Impact reports (BR 209): a draft's report in any format exists only for planners and admins.
    "reports/impact/<int:variant_id>/": {"draft project": DRAFT_ROWS, "public project": PUBLIC},
    "reports/impact/<int:variant_id>/report.pdf": {"draft project": DRAFT_ROWS, "public project": PUBLIC},
    "reports/impact/<int:variant_id>/windows.csv": {"draft project": DRAFT_ROWS, "public project": PUBLIC},
    "reports/impact/<int:variant_id>/windows.geojson": {"draft project": DRAFT_ROWS, "public project": PUBLIC},
    # --- Tiles: one pattern, one case per layer kind.
    TILE_ROUTE: TILE_LAYERS,
    # --- The admin site's own pages.
    "admin/": STAFF,
    "admin/login/": {**every(OK), ADMIN: REDIRECT},  # a signed-in admin is sent on to the index
    "admin/logout/": {**every(REDIRECT), ADMIN: NOT_ALLOWED},  # POST only; others go to the index, then login
    "admin/password_change/": STAFF,
    "admin/password_change/done/": STAFF,
    "admin/autocomplete/": {**every(LOGIN), ADMIN: DENIED},  # asked without a field to complete
    "admin/jsi18n/": STAFF,
    "admin/r/<path:content_type_id>/<path:object_id>/": {**every(LOGIN), ADMIN: ABSENT},  # no public URL
    "admin/(?P<url>.*)$": {**every(LOGIN), ADMIN: ABSENT},
    "admin/auth/user/<id>/password/": STAFF,
    "admin/gis_sync/syncrun/add/": {**every(LOGIN), ADMIN: DENIED},  # runs are recorded by syncs, never typed
    # django-axes records sign-ins itself: its admin lists and deletes them, never adds one.
    "admin/axes/accessattempt/add/": {**every(LOGIN), ADMIN: DENIED},
    "admin/axes/accessfailurelog/add/": {**every(LOGIN), ADMIN: DENIED},
    "admin/axes/accesslog/add/": {**every(LOGIN), ADMIN: DENIED},
    "admin/twin/joblock/add/": {**every(LOGIN), ADMIN: DENIED},  # jobs take locks; the admin only frees them
    "admin/twin/change/add/": {**every(LOGIN), ADMIN: DENIED},  # syncs append to the change log, never a person
    "admin/twin/projectcomment/add/": {**every(LOGIN), ADMIN: DENIED},  # comments come from citizens, in the app
    # Trees come from their source by a sync (the shade follows them): the admin reads them, never adds or deletes.
    "admin/twin/tree/add/": {**every(LOGIN), ADMIN: DENIED},
    "admin/twin/tree/<path:object_id>/delete/": {**every(LOGIN), ADMIN: DENIED},
}

# Every ModelAdmin serves these six URLs, all behind admin_view (staff only); a ModelAdmin that adds URLs of its
# own (get_urls) adds routes this loop does not write, and the matrix fails until they are listed above.
ADMIN_MODEL_PAGES = {
    "": STAFF,
    "add/": STAFF,
    "<path:object_id>/history/": STAFF,
    "<path:object_id>/delete/": STAFF,
    "<path:object_id>/change/": STAFF,
    "<path:object_id>/": {**every(LOGIN), ADMIN: REDIRECT},
}


def admin_model_routes() -> dict[str, dict]:
    from django.contrib import admin

    routes = {
        f"admin/{model._meta.app_label}/{model._meta.model_name}/{page}": outcomes
        for model in admin.site._registry
        for page, outcomes in ADMIN_MODEL_PAGES.items()
    }
    # The app index pattern lists every app with a registered model, in registration order (AdminSite.get_urls).
    labels = list(dict.fromkeys(model._meta.app_label for model in admin.site._registry))
    routes[f"admin/(?P<app_label>{'|'.join(labels)})/$"] = STAFF
    return routes


def url_table() -> dict[str, dict]:
    return {**admin_model_routes(), **URLS}  # an entry in URLS overrides the ModelAdmin default


def cases(entry: dict) -> dict[str, dict[str, str]]:
    """An entry as {case: {persona: outcome}}; a plain persona map is the single case ''."""
    return {"": entry} if set(entry) == set(PERSONAS) else entry
