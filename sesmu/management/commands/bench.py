"""`manage.py bench [name ...]`: run the registered benchmarks on PostgreSQL.

Results are JSON lines on stdout (see sesmu/benchmarks.py); progress goes to
stderr. The bench database is created and migrated if needed, and must be
named *bench*: the benches load a million synthetic customers and may empty
the customer tables, which nobody wants on a real database."""

from __future__ import annotations

import time
import traceback

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg import sql

from sesmu.benchmarks import Report, discover


class Command(BaseCommand):
    help = "Run the benchmarks (all, or those named) and print JSON lines."
    # The bench database may not exist yet when the command starts.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("names", nargs="*", metavar="name",
                            help="benchmarks to run (default: all)")
        parser.add_argument("--list", action="store_true", dest="show_list",
                            help="list the benchmarks and stop")

    def handle(self, *args, names: list[str], show_list: bool, **options) -> None:
        # Progress is not an error: no red on a terminal.
        self.stderr.style_func = None
        benchmarks = discover()
        if show_list:
            for benchmark in benchmarks.values():
                self.stdout.write(f"{benchmark.name}: {benchmark.description}")
            return
        unknown = [name for name in names if name not in benchmarks]
        if unknown:
            raise CommandError(
                f"Unknown benchmark {', '.join(unknown)}. Known benchmarks: "
                f"{', '.join(benchmarks)}."
            )
        database = settings.DATABASES[DEFAULT_DB_ALIAS]
        if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
            raise CommandError(
                "Benchmarks measure PostgreSQL, the production database; this run uses "
                f"{connections[DEFAULT_DB_ALIAS].vendor}. Set DATABASE_URL to a PostgreSQL "
                "database whose name contains 'bench' (make bench does)."
            )
        if "bench" not in str(database["NAME"]):
            raise CommandError(
                f"The database {database['NAME']!r} is not a bench database: benchmarks load "
                "synthetic customers and may empty the customer tables. Use a database whose "
                "name contains 'bench', e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/"
                "sesmu_bench."
            )
        self._create_database(database)
        call_command("migrate", interactive=False, verbosity=0, stdout=self.stderr,
                     stderr=self.stderr)
        call_command("check", stdout=self.stderr, stderr=self.stderr)

        failed = []
        for name in names or benchmarks:
            self.stderr.write(f"== {name}")
            started = time.perf_counter()
            report = Report(bench=name, stdout=self.stdout, stderr=self.stderr)
            try:
                benchmarks[name].run(report)
            except Exception:
                # One broken bench should not hide the results of the others.
                self.stderr.write(traceback.format_exc())
                failed.append(name)
            self.stderr.write(f"== {name} took {time.perf_counter() - started:.1f} s")
        if failed:
            raise CommandError(f"Benchmarks failed: {', '.join(failed)}.")

    def _create_database(self, database: dict) -> None:
        """CREATE DATABASE through the maintenance database when missing."""
        parameters = {
            "dbname": "postgres",
            "user": database.get("USER") or None,
            "password": database.get("PASSWORD") or None,
            "host": database.get("HOST") or None,
            "port": database.get("PORT") or None,
        }
        name = str(database["NAME"])
        with psycopg.connect(autocommit=True, **{key: value for key, value in
                                                parameters.items() if value}) as maintenance:
            exists = maintenance.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [name]
            ).fetchone()
            if not exists:
                self.stderr.write(f"Creating the database {name}.")
                maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
