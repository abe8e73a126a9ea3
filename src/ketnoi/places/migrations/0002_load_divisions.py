from django.db import migrations


def load(apps, schema_editor):
    from ketnoi.places.divisions import divisions_sync

    divisions_sync(apps.get_model("places", "Province"), apps.get_model("places", "Commune"))


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
