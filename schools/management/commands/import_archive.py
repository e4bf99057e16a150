"""``manage.py import_archive FILE --into CODE``: load a municipality's archive (the
"全データの書き出し" zip, or its archive/ folder zipped) into an empty municipality.

All or nothing, in one transaction; a foreign or damaged file, another Ai version's archive
or a municipality that already has schools is refused with the reason. People come without
passwords: the operator or the board's administrator sets them afterwards.
"""

from __future__ import annotations

import time

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from schools.leaving import archive
from schools.permissions import Actor


class Command(BaseCommand):
    help = "Import a municipality's archive (datapackage.json + CSV) into an empty municipality."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the downloaded zip")
        parser.add_argument("--into", required=True, help="the municipality's code (団体コード)")

    def handle(self, *args, **options) -> None:
        model = apps.get_model(settings.TENANT_MODEL)
        municipality = model.objects.filter(code=options["into"]).first()
        if municipality is None:
            raise CommandError(f"団体コード {options['into']} の自治体がありません。")
        started = time.monotonic()
        try:
            with open(options["file"], "rb") as source, schema_context(municipality.schema_name):
                counts = archive.import_archive(source, by=Actor.system("import_archive"))
        except FileNotFoundError as exc:
            raise CommandError(f"ファイル {options['file']} がありません。") from exc
        except archive.ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{municipality.name} に {len(counts)} 表、{sum(counts.values())} 行を取り込みました"
            f" ({time.monotonic() - started:.1f} 秒)。パスワードは取り込まれていません。"
        )
