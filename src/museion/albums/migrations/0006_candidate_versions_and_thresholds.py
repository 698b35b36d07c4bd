from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("albums", "0005_embedding_keypoints_probe"),
    ]

    operations = [
        migrations.AddField(
            model_name="album",
            name="auto_publish",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="modelversion",
            name="threshold",
            field=models.FloatField(blank=True, null=True),
        ),
    ]
