"""The 通知表 layout becomes structured (issue 10): the old template body is never executed again.

A body equal to the old standard layout (whitespace aside) converts to the standard settings;
any other body keeps the sections it mentions, and stays stored in ``legacy_body`` for the board
to read (the editor says it is no longer used). Self-contained: no application code imported.
"""

from django.db import migrations, models

OLD_STANDARD_BODY = '<header class="rc-head">\n  <h1 class="rc-title">{{ card.school_year }} 通知表 <span class="rc-term">{{ card.term }}</span></h1>\n  <table class="rc-id"><tr><th>学校</th><td>{{ card.school }}</td><th>学級</th><td>{{ card.classroom }}</td><th>番号</th><td>{{ card.roll_number }}</td></tr>\n  <tr><th>氏名</th><td colspan="5"><span class="rc-kana">{{ card.kana }}</span>{{ card.name }}</td></tr></table>\n</header>\n<section class="rc-block">\n  <h2>学習の記録</h2>\n  <table class="rc-grades">\n    <thead><tr><th>教科</th>{% for label in card.viewpoint_labels %}<th>{{ label }}</th>{% endfor %}{% if card.has_ratings %}<th>評定</th>{% endif %}</tr></thead>\n    <tbody>{% for s in card.subjects %}<tr><th>{{ s.name }}</th>{% for level in s.levels %}<td>{{ level }}</td>{% endfor %}{% if card.has_ratings %}<td class="rc-rating">{% if s.has_rating %}{{ s.rating }}{% else %}／{% endif %}</td>{% endif %}</tr>{% endfor %}</tbody>\n  </table>\n  <p class="rc-note">観点の評価: A 十分満足できる\u3000B おおむね満足できる\u3000C 努力を要する{% if card.has_ratings %}\u3000評定: {{ card.subjects.0.scale|default:"" }}段階{% endif %}</p>\n</section>\n{% if card.attendance %}<section class="rc-block">\n  <h2>出欠の記録</h2>\n  <table class="rc-attendance"><tr>{% for a in card.attendance %}<th>{{ a.label }}</th>{% endfor %}</tr><tr>{% for a in card.attendance %}<td>{{ a.value }}</td>{% endfor %}</tr></table>\n</section>{% endif %}\n<section class="rc-block">\n  <h2>所見</h2>\n  <div class="rc-remark">{{ card.remark|linebreaksbr }}</div>\n</section>\n<footer class="rc-foot"><div>校長印</div><div>担任印</div><div>保護者印</div></footer>\n'

VIEWPOINTS = ["knowledge", "thinking", "attitude"]


def _squeeze(text):
    return " ".join(text.split())


def convert(apps, schema_editor):
    ReportCardLayout = apps.get_model("gradebook", "ReportCardLayout")
    for row in ReportCardLayout.objects.all():
        body = row.legacy_body or ""
        if _squeeze(body) == _squeeze(OLD_STANDARD_BODY):
            row.config, row.legacy_body = {}, ""
        else:
            sections = ["header"]
            for key, marker in (
                ("grades", "card.subjects"),
                ("attendance", "card.attendance"),
                ("remark", "card.remark"),
                ("seals", "印"),
            ):
                if marker in body:
                    sections.append(key)
            row.config = {"sections": sections}
        row.save(update_fields=["config", "legacy_body"])


class Migration(migrations.Migration):
    dependencies = [
        ("gradebook", "0003_custom_rating_tables"),
    ]

    operations = [
        migrations.RenameField("reportcardlayout", "body", "legacy_body"),
        migrations.AlterField(
            model_name="reportcardlayout",
            name="legacy_body",
            field=models.TextField(
                blank=True, default="", verbose_name="以前のレイアウト (使われません)"
            ),
        ),
        migrations.AddField(
            model_name="reportcardlayout",
            name="config",
            field=models.JSONField(blank=True, default=dict, verbose_name="レイアウトの設定"),
        ),
        migrations.RunPython(convert, migrations.RunPython.noop),
    ]
