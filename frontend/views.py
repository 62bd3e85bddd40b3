"""Pages of the web app; data comes through the JSON API and the tile service."""

from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie


@ensure_csrf_cookie
def index(request):
    return render(request, "frontend/index.html")


@ensure_csrf_cookie
def xr(request):
    return render(request, "frontend/xr.html")
