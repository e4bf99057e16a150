import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tenants import fastmigrate, provisioning


class Command(BaseCommand):
    help = (
        "Migrate the public schema, the template schema new municipalities are cloned from, "
        "and every municipality."
    )

    def add_arguments(self, parser):
        # --slow: django-tenants for every schema (Django's 1.4 s each), in parallel.
        parser.add_argument("--slow", action="store_true")
        parser.add_argument(
            "--executor", default="multiprocessing", choices=["standard", "multiprocessing"]
        )
        parser.add_argument("--no-verify", action="store_true")

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        t0 = time.perf_counter()
        provisioning.ensure_template(verbosity=verbosity)
        template_seconds = time.perf_counter() - t0
        if options["slow"]:
            call_command(
                "migrate_schemas",
                tenant=True,
                interactive=False,
                verbosity=verbosity,
                executor=options["executor"],
            )
            return
        # The template is the reference, migrated by Django; the others follow it by SQL.
        report = fastmigrate.migrate_tenants(
            verify=not options["no_verify"],
            verbosity=verbosity,
            log=(lambda line: self.stdout.write(line)) if verbosity > 1 else (lambda _: None),
        )
        if verbosity or report.failed or report.different:
            self.stdout.write(
                f"template {template_seconds:.1f} s; {len(report.fast)} by SQL, "
                f"{len(report.slow)} by Django in {report.seconds:.1f} s; "
                f"verified in {report.verify_seconds:.1f} s"
            )
        for schema, error in report.failed.items():
            self.stderr.write(f"{schema}: {error}")
        for schema, lines in report.different.items():
            self.stderr.write(f"{schema} differs from the template: " + "; ".join(lines[:5]))
        if not report.ok:
            raise CommandError(
                f"{len(report.failed)} municipalities failed, "
                f"{len(report.different)} differ from the template"
            )
