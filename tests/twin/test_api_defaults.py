"""The API's defaults: closed unless a view opens it, no HTTP Basic, and a ceiling on every page."""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

pytestmark = pytest.mark.django_db


class Forgetful(APIView):
    """A view whose author forgot permission_classes."""

    def get(self, request):
        return Response({"secret": "network data"})


def test_a_view_that_declares_no_permission_is_closed_even_to_a_superuser():
    root = User.objects.create_superuser("root", "root@antibes.example", "correct horse battery")
    factory = APIRequestFactory()
    anonymous = Forgetful.as_view()(factory.get("/forgetful/"))
    signed_in = factory.get("/forgetful/")
    force_authenticate(signed_in, root)
    superuser = Forgetful.as_view()(signed_in)
    assert anonymous.status_code == 403 and "secret" not in anonymous.data
    assert superuser.status_code == 403 and "secret" not in superuser.data
    assert "permission_classes" in str(superuser.data["detail"])  # the author learns what to add


def test_http_basic_credentials_sign_nobody_in(bob, citizen):
    """Bob's correct password in an Authorization header is ignored: only the app's session signs in."""
    token = base64.b64encode(b"bob:correct horse battery").decode()
    response = citizen.get("/api/network-segments/", HTTP_AUTHORIZATION=f"Basic {token}")
    assert response.status_code == 403
    assert "WWW-Authenticate" not in response  # no Basic challenge for a browser to answer
    assert citizen.login(username="bob", password="correct horse battery")
    assert citizen.get("/api/network-segments/").status_code == 200


def test_a_list_gives_at_most_500_rows_however_many_are_asked(citizen):
    from twin.models import PointOfInterest

    PointOfInterest.objects.bulk_create(
        PointOfInterest(name=f"Lieu {i}", slug=f"lieu-{i}", geom=Point(1031000.0 + i, 6280000.0, 5.0, srid=2154))
        for i in range(501)
    )
    body = citizen.get("/api/pois/", {"limit": 100000}).json()
    assert body["count"] == 501
    assert len(body["results"]["features"]) == 500
    assert body["next"] is not None  # the 501st is one page away
    following = citizen.get(body["next"]).json()
    assert len(following["results"]["features"]) == 1
