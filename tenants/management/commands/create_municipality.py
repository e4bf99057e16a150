import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants import provisioning


class Command(BaseCommand):
    help = "Create a municipality: schema, domain <subdomain>.<base domain> and its first BoE administrator."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="例: 富士吉田市")
        parser.add_argument("--kana", default="")
        parser.add_argument(
            "--code", required=True, help="6-digit local government code, e.g. 192023"
        )
        parser.add_argument("--subdomain", required=True, help="e.g. fujiyoshida")
        parser.add_argument("--admin-username", required=True)
        parser.add_argument("--admin-name", required=True)
        parser.add_argument("--admin-password", help="prompted for when omitted")

    def handle(self, *args, **o):
        password = o["admin_password"] or getpass.getpass("BoE administrator's password: ")
        data = provisioning.NewMunicipality(
            name=o["name"],
            kana=o["kana"],
            code=o["code"],
            subdomain=o["subdomain"],
            admin_username=o["admin_username"],
            admin_name=o["admin_name"],
            admin_password=password,
        )
        try:
            municipality = provisioning.provision(data, actor="manage.py")
        except ValidationError as exc:
            raise CommandError(
                "\n".join(f"{field}: {m}" for field, ms in exc.message_dict.items() for m in ms)
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{municipality.name}: schema {municipality.schema_name}, "
                f"http://{provisioning.host_for(o['subdomain'])}/"
            )
        )
