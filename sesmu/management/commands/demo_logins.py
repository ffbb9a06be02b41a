from django.core.management.base import BaseCommand

from sesmu.demo import DEMO_PASSWORD, DEMO_STAFF


class Command(BaseCommand):
    help = "Print the demo logins created by seed_demo."

    def handle(self, *args, **options):
        self.stdout.write(f"  Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, *_rest in DEMO_STAFF:
            self.stdout.write(f"    {username:<12} {role}")
        self.stdout.write("    alice        portal customer (API read-only, her own data)")
