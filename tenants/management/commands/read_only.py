"""manage.py read_only CODE|--all on|off [--reason 理由]: the operators' read-only switch."""

from django.core.management.base import BaseCommand, CommandError

from tenants import readonly
from tenants.models import Municipality


class Command(BaseCommand):
    help = (
        "Put one municipality (by its code) or all of them (--all) in read-only mode, or take "
        "them out of it. Pages keep showing; every write is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", nargs="?", help="団体コード (or --all)")
        parser.add_argument("state", choices=["on", "off"])
        parser.add_argument("--all", action="store_true", help="every municipality")
        parser.add_argument("--reason", default="", help="shown to users (Japanese)")

    def handle(self, *args, **o):
        if o["all"] == bool(o["code"]):
            raise CommandError("団体コードか --all のどちらか一方を指定してください。")
        found = Municipality.objects.exclude(schema_name="public")
        if not o["all"]:
            found = found.filter(code=o["code"])
            if not found.exists():
                raise CommandError(f"団体コード {o['code']} の自治体はありません。")
        try:
            changed = readonly.set_read_only(
                found, o["state"] == "on", reason=o["reason"], actor="manage.py"
            )
        except readonly.ReadOnlyRefused as exc:
            raise CommandError(str(exc)) from None
        state = "読み取り専用" if o["state"] == "on" else "通常 (書き込み可)"
        for municipality in changed:
            self.stdout.write(f"{municipality.name}: {state}")
