from django.core.management.base import BaseCommand

from tenants import demo


class Command(BaseCommand):
    help = "Print the demo sites and their logins."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, **options):
        self.stdout.write("\n=== Ai demo logins ===")
        for site, url, username, password in demo.logins(options["port"]):
            self.stdout.write(f"  {site:<24} {url:<40} {username} / {password}")
        self.stdout.write(
            f"\nThe development server listens on 127.0.0.1:{options['port']} only (this machine)."
            "\nBrowsers resolve *.localhost to 127.0.0.1 by themselves; for curl use"
            f" --resolve fujiyoshida.localhost:{options['port']}:127.0.0.1\n"
        )
