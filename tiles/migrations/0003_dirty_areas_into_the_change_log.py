"""The areas waiting for a tile rebuild move into twin's change log, where tiles and the viewshed each keep a position."""
from django.db import migrations


def move_to_the_log(apps, schema_editor):
    DirtyArea = apps.get_model("tiles", "DirtyArea")
    Change = apps.get_model("twin", "Change")
    # Tiles' cursors start at 0: every moved entry still waits for its layer's rebuild, as the rows did.
    Change.objects.bulk_create([Change(layer=d.layer, area=d.area, source_ids=d.source_ids, created_at=d.created_at)
                                for d in DirtyArea.objects.order_by("created_at", "id")])


def back_from_the_log(apps, schema_editor):
    DirtyArea = apps.get_model("tiles", "DirtyArea")
    Change = apps.get_model("twin", "Change")
    ChangeCursor = apps.get_model("twin", "ChangeCursor")
    read = dict(ChangeCursor.objects.filter(consumer="tiles").values_list("layer", "position"))
    DirtyArea.objects.bulk_create([DirtyArea(layer=c.layer, area=c.area, source_ids=c.source_ids,
                                             created_at=c.created_at)
                                   for c in Change.objects.order_by("id") if c.id > read.get(c.layer, 0)])


class Migration(migrations.Migration):
    dependencies = [
        ("tiles", "0002_project_layers_named_by_variant_key"),
        ("twin", "0007_change_log"),
    ]

    operations = [
        migrations.RunPython(move_to_the_log, back_from_the_log),
        migrations.DeleteModel(name="DirtyArea"),
    ]
