from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("albums", "0003_float_backbone_embeddings")]

    operations = [
        migrations.AddField(model_name="embedding", name="keypoints", field=models.BinaryField(null=True)),
        migrations.AddField(model_name="embedding", name="probe", field=models.BinaryField(null=True)),
    ]
