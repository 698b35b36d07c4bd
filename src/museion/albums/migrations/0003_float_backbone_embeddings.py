"""`imagenet-mobilenetv2` is now the float32 model derived from the int8 file.

Embeddings cached under that name came from the int8 model, whose values differ by CPU (and
from the float model's by a cosine of about 0.98). They are dropped, so the next training
computes them again with the model that predictions use; uploads and versions are untouched.
"""

from django.db import migrations


def drop_int8_embeddings(apps, schema_editor):
    apps.get_model("albums", "Embedding").objects.filter(backbone="imagenet-mobilenetv2").delete()


class Migration(migrations.Migration):
    dependencies = [("albums", "0002_sizes")]

    operations = [migrations.RunPython(drop_int8_embeddings, migrations.RunPython.noop)]
