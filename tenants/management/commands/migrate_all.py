from django.core.management import call_command
from django.core.management.base import BaseCommand

from tenants import provisioning


class Command(BaseCommand):
    help = (
        "Migrate the public schema, the template schema new municipalities are cloned from, "
        "and every municipality."
    )

    def add_arguments(self, parser):
        # Parallel by default: one new migration across hundreds of schemas is the common case
        # (bench/provisioning.py measures both executors).
        parser.add_argument(
            "--executor", default="multiprocessing", choices=["standard", "multiprocessing"]
        )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        provisioning.ensure_template(verbosity=verbosity)
        call_command(
            "migrate_schemas",
            tenant=True,
            interactive=False,
            verbosity=verbosity,
            executor=options["executor"],
        )
