"""Project layers were project-<project slug>-<variant slug>; they are project-<variant pk> now.

Areas waiting for a rebuild under an old name would make every `build_tiles --stale` fail on an unknown layer:
they move to the new name, to every variant that old name could mean. Build records move when the old name
meant one variant. Folders published under old names are no longer served; `build_tiles` builds the new ones.
"""
from django.db import migrations


def to_variant_keys(apps, schema_editor) -> None:
    ProjectVariant = apps.get_model("twin", "ProjectVariant")
    DirtyArea = apps.get_model("tiles", "DirtyArea")
    TileBuild = apps.get_model("tiles", "TileBuild")
    meanings: dict[str, list[str]] = {}
    for variant in ProjectVariant.objects.select_related("project").order_by("pk"):
        meanings.setdefault(f"project-{variant.project.slug}-{variant.slug}", []).append(f"project-{variant.pk}")
    for old, new_names in meanings.items():
        for area in DirtyArea.objects.filter(layer=old):
            for new in new_names:
                DirtyArea.objects.create(layer=new, area=area.area, source_ids=area.source_ids,
                                         created_at=area.created_at)
            area.delete()
        if len(new_names) == 1:
            TileBuild.objects.filter(layer=old).update(layer=new_names[0])


class Migration(migrations.Migration):

    dependencies = [
        ("tiles", "0001_initial"),
        ("twin", "0005_poi_circuit_source_ids"),
    ]

    operations = [
        migrations.RunPython(to_variant_keys, migrations.RunPython.noop),
    ]
