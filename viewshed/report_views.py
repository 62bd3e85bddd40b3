"""/reports/impact/<variant>/: a variant's impact report as HTML, PDF, CSV and GeoJSON.

A draft's report exists only for planners and admins: for anyone else every format answers the same
404 as a variant with no report, so not even its existence leaks.
"""

from __future__ import annotations

import json

from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from twin.geoid import city_frame
from viewshed import br209
from viewshed.daylight import UNOBSTRUCTED_VSC
from viewshed.models import ImpactReport
from viewshed.report_exports import windows_csv, windows_geojson

# The HTML and the PDF list this many failing windows; the CSV and the GeoJSON list them all.
LISTED_WINDOWS = 200
LISTED_BUILDINGS = 60


def _report(request, variant_id: int) -> ImpactReport:
    report = (
        ImpactReport.objects.visible_to(request.user).select_related("variant__project").filter(pk=variant_id).first()
    )
    if report is None:
        raise Http404("No impact report for this variant.")
    return report


def _private(response: HttpResponse) -> HttpResponse:
    # A draft's report must never sit in a shared cache; a public one is cheap to serve again.
    patch_cache_control(response, private=True, no_cache=True)
    return response


def _filename(report: ImpactReport, ext: str) -> str:
    v = report.variant
    return f"impact-{v.project.slug}-{v.slug}.{ext}"


def _context(report: ImpactReport, pdf: bool) -> dict:
    failing = report.failing("vsc_fails")
    failing.sort(key=lambda w: (not w["residential"], w["vsc_after"] - w["vsc_before"]))
    apsh_failing = report.failing("apsh_fails")
    return {
        "report": report,
        "variant": report.variant,
        "project": report.variant.project,
        "summary": report.summary,
        "parameters": report.parameters,
        "current": report.is_current(),
        "pdf": pdf,
        "buildings": report.buildings[:LISTED_BUILDINGS],
        "buildings_more": max(0, len(report.buildings) - LISTED_BUILDINGS),
        "vsc_failing": failing[:LISTED_WINDOWS],
        "vsc_failing_more": max(0, len(failing) - LISTED_WINDOWS),
        "apsh_failing": apsh_failing[:LISTED_WINDOWS],
        "balcony": report.balcony,
        "map_svg": mark_safe(report.map_svg),  # drawn by report_map from numbers, every text in it escaped
        "br209": br209,
        "unobstructed_vsc": UNOBSTRUCTED_VSC,
    }


@require_safe
def report_html(request, variant_id: int) -> HttpResponse:
    report = _report(request, variant_id)
    return _private(HttpResponse(render_to_string("viewshed/impact_report.html", _context(report, False), request)))


@require_safe
def report_pdf(request, variant_id: int) -> HttpResponse:
    from weasyprint import HTML  # on call: about 1 s to import, for the PDF alone; the URLconf loads this module

    report = _report(request, variant_id)
    html = render_to_string("viewshed/impact_report.html", _context(report, True), request)
    # No base URL: the page links to nothing WeasyPrint would fetch, and it must fetch nothing.
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(report, "pdf")}"'
    return _private(response)


@require_safe
def report_csv(request, variant_id: int) -> HttpResponse:
    report = _report(request, variant_id)
    v = report.variant
    response = HttpResponse(windows_csv(v.project.slug, v.slug, report.windows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, "csv")}"'
    return _private(response)


@require_safe
def report_geojson(request, variant_id: int) -> HttpResponse:
    report = _report(request, variant_id)
    v = report.variant
    meta = {
        "project": v.project.slug,
        "project_name": v.project.name,
        "variant": v.slug,
        "variant_id": v.pk,
        "computed_at": report.computed_at.isoformat(),
        "fingerprint": report.fingerprint,
        # False once the variant, the buildings around it or the terrain changed: the app's heat map says so.
        "current": report.is_current(),
        "parameters": report.parameters,
        "summary": {
            k: report.summary.get(k) for k in ("buildings", "windows", "vsc_fails", "vsc_fails_residential", "apsh")
        },
        "heights": "ellipsoidal (WGS84), metres",
    }
    body = windows_geojson(meta, report.windows, city_frame().to_geographic)
    response = HttpResponse(json.dumps(body), content_type="application/geo+json")
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, "geojson")}"'
    return _private(response)
