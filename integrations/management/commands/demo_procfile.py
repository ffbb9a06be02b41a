"""Print the Procfile of the demo: the web server, one simulator per
external system of the demo registry, and the outbox sweeper."""

import sys

from django.core.management.base import BaseCommand

from integrations.demo import DEMO_SYSTEMS, demo_secret, demo_token


class Command(BaseCommand):
    help = "Print the Procfile that `make run` starts with honcho."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, port: int, **options):
        python = sys.executable
        sesmu = f"http://127.0.0.1:{port}"
        lines = [f"web: {python} manage.py runserver 127.0.0.1:{port} --noreload"]
        for code, _name, _kind, _service, simulator, sim_port in DEMO_SYSTEMS:
            command = ("simulate_printing_house" if simulator == "printing"
                       else f"simulate_element_manager --kind {simulator}")
            lines.append(
                f"sim-{code}: {python} manage.py {command} --port {sim_port} "
                f"--sesmu-url {sesmu} --inbound-token {demo_token(code)} "
                f"--hmac-secret {demo_secret(code)}"
            )
        lines.append(f"sweeper: {python} manage.py sweep_outbox --loop --interval 2")
        self.stdout.write("\n".join(lines))
