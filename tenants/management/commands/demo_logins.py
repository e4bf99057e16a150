from django.core.management.base import BaseCommand

from tenants import demo


class Command(BaseCommand):
    help = "Print the demo sites and their logins."

    def handle(self, *args, **options):
        self.stdout.write("\n=== Ai demo logins ===")
        for site, url, username, password in demo.logins():
            self.stdout.write(f"  {site:<24} {url:<40} {username} / {password}")
        self.stdout.write("")
