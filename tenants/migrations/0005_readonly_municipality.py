from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0004_backup_backups"),
    ]

    operations = [
        migrations.AddField(
            model_name="municipality",
            name="read_only",
            field=models.BooleanField(default=False, verbose_name="読み取り専用"),
        ),
        migrations.AddField(
            model_name="municipality",
            name="read_only_reason",
            field=models.CharField(blank=True, max_length=200, verbose_name="読み取り専用の理由"),
        ),
        migrations.AddField(
            model_name="municipality",
            name="read_only_since",
            field=models.DateTimeField(blank=True, null=True, verbose_name="読み取り専用の開始"),
        ),
    ]
