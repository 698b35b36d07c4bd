from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("albums", "0004_job_created_by")]

    operations = [
        migrations.AddField(model_name="embedding", name="keypoints", field=models.BinaryField(null=True)),
        migrations.AddField(model_name="embedding", name="probe", field=models.BinaryField(null=True)),
    ]
