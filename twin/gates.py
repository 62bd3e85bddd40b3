"""Answers for nginx's auth_request: whether the signed-in user may pass to a tool nginx proxies (Flower).

nginx asks before each request to the tool, with the browser's cookies; Django's session decides, so signing out
of the app closes the tool too. The answer has no body: nginx only reads its status.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from twin.roles import can_watch_jobs

SAFE_METHODS = ("GET", "HEAD")


@csrf_exempt  # nginx forwards the tool's own method; nothing here changes state, and unsafe methods are refused
@never_cache
def jobs_monitor(request: HttpRequest) -> HttpResponse:
    """204 for admins (twin.roles.can_watch_jobs), 401 when not signed in (nginx sends them to sign in), 403
    otherwise. Only reading passes: the monitor's buttons (revoke, shut a worker down) would be a cross-site
    request away from any page an admin opens, and jobs are managed in the admin."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    # nginx's subrequest is a GET: the method the browser used comes in a header nginx sets (nginx.conf.template).
    method = request.headers.get("X-Original-Method", request.method).upper()
    if not can_watch_jobs(request.user) or request.method not in SAFE_METHODS or method not in SAFE_METHODS:
        return HttpResponse(status=403)
    return HttpResponse(status=204)
