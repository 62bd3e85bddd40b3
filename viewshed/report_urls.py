"""Routes of the impact reports, mounted at /reports/impact/: one variant's report in four formats."""

from django.urls import path

from viewshed import report_views

urlpatterns = [
    path("<int:variant_id>/", report_views.report_html, name="impact-report"),
    path("<int:variant_id>/report.pdf", report_views.report_pdf, name="impact-report-pdf"),
    path("<int:variant_id>/windows.csv", report_views.report_csv, name="impact-report-csv"),
    path("<int:variant_id>/windows.geojson", report_views.report_geojson, name="impact-report-geojson"),
]
