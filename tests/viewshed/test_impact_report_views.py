"""/reports/impact/<variant>/ in four formats, asked by a citizen, a signed-in citizen, a field agent and a planner."""

from __future__ import annotations

import csv
import io
import json

import pytest

from viewshed.impact import Parameters

FORMATS = ("", "report.pdf", "windows.csv", "windows.geojson")
DRAFT_NAME, DRAFT_SLUG, DRAFT_VARIANT = "Tour Oméga secrète", "omega-secrete", "omega-haute"


@pytest.fixture
def reports(city):
    """Two stored reports: the public project's tower, and the same tower as a draft project."""
    from twin.models import PlanningProject, ProjectVariant
    from viewshed.models import ImpactReport

    draft = PlanningProject.objects.create(name=DRAFT_NAME, slug=DRAFT_SLUG, status="draft")
    hidden = ProjectVariant.objects.create(
        project=draft,
        name="Haute",
        slug=DRAFT_VARIANT,
        model_file="none.glb",
        model_format="glb",
        footprint=city.tower.footprint,
        min_z=city.tower.min_z,
        max_z=city.tower.max_z,
    )
    public, _ = ImpactReport.refresh(city.tower, Parameters(radius_m=150.0))
    secret, _ = ImpactReport.refresh(hidden, Parameters(radius_m=150.0))
    return public, secret


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.django_db
def test_a_citizen_gets_not_a_byte_of_a_drafts_report_in_any_format(reports, citizen, charlie, field_agent):
    from django.test import Client

    signed_in = Client()
    signed_in.force_login(charlie)
    _, secret = reports
    for client in (citizen, signed_in, field_agent):
        for fmt in FORMATS:
            response = client.get(f"/reports/impact/{secret.pk}/{fmt}")
            # The same answer, byte for byte, as for a variant that never existed.
            nothing = client.get(f"/reports/impact/987654/{fmt}")
            assert response.status_code == 404 == nothing.status_code
            assert _body(response) == _body(nothing)
            body = _body(response)
            assert not body.startswith(b"%PDF")
            for marker in (DRAFT_NAME, DRAFT_SLUG, DRAFT_VARIANT, secret.fingerprint):
                assert marker.encode() not in body
            assert "attachment" not in response.get("Content-Disposition", "")


@pytest.mark.django_db
def test_a_planner_gets_the_drafts_report_in_all_four_formats(reports, planner):
    _, secret = reports
    page = planner.get(f"/reports/impact/{secret.pk}/")
    assert page.status_code == 200 and DRAFT_NAME in page.content.decode()
    assert "private" in page["Cache-Control"]
    pdf = planner.get(f"/reports/impact/{secret.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    rows = list(csv.DictReader(io.StringIO(planner.get(f"/reports/impact/{secret.pk}/windows.csv").content.decode())))
    assert len(rows) == len(secret.windows) and {r["project"] for r in rows} == {DRAFT_SLUG}
    assert sum(r["vsc_fails"] == "True" for r in rows) == secret.summary["vsc_fails"] > 0
    geo = json.loads(planner.get(f"/reports/impact/{secret.pk}/windows.geojson").content)
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == len(secret.windows)
    assert geo["report"]["variant"] == DRAFT_VARIANT and geo["report"]["current"] is True
    lon, lat, _h = geo["features"][0]["geometry"]["coordinates"]
    assert 7.0 < lon < 7.2 and 43.4 < lat < 43.7  # near Antibes: the storage CRS was turned into WGS84


@pytest.mark.django_db
def test_a_citizen_reads_a_published_projects_report_with_its_map_and_method(reports, citizen):
    public, _ = reports
    page = citizen.get(f"/reports/impact/{public.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "BR 209" in html and "CIE standard overcast sky" in html
    assert "Windows failing the vertical sky component test" in html
    for fmt in FORMATS[1:]:
        assert citizen.get(f"/reports/impact/{public.pk}/{fmt}").status_code == 200


@pytest.mark.django_db
def test_a_variant_with_no_report_yet_is_a_404(city, planner):
    assert planner.get(f"/reports/impact/{city.tower.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_report_out_of_date_says_so(reports, planner, city):
    public, _ = reports
    city.tower.max_z += 5.0
    city.tower.save()
    html = planner.get(f"/reports/impact/{public.pk}/").content.decode()
    assert "its numbers are out of date" in html
    geo = json.loads(planner.get(f"/reports/impact/{public.pk}/windows.geojson").content)
    assert geo["report"]["current"] is False
