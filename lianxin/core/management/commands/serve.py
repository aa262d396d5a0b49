"""``lianxin serve``: the web server (waitress) and the task queue's consumer (huey) together."""

import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from lianxin.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Run the web server and the task queue consumer in one process group."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-worker", action="store_true", help="do not start the task queue consumer")

    def handle(self, *args: Any, host: str, port: int, threads: int, no_worker: bool, **options: Any) -> None:
        from waitress import serve

        from lianxin.wsgi import application

        worker = None
        if not no_worker:
            worker = subprocess.Popen([sys.executable, "-m", "lianxin.cli", "run_huey"])  # noqa: S603

        def stop(*_args: Any) -> None:
            if worker is not None and worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=10)
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, stop)
        address = f"http://{host}:{port}/"
        self.stdout.write(self.style.SUCCESS(_("Lianxin is running at %(address)s") % {"address": address}))
        self.stdout.write(_("Staff console: %(address)sstaff/   API docs: %(address)sapi/v1/docs") % {"address": address})
        self.stdout.write(_("Demo log-ins (password %(password)s):") % {"password": DEMO_PASSWORD})
        for role, username, scope in DEMO_ACCOUNTS:
            self.stdout.write(f"  {role:<15} {username:<16} {scope}")
        self.stdout.write(_("Database: %(engine)s") % {"engine": settings.DATABASES["default"]["ENGINE"]})
        try:
            serve(application, host=host, port=port, threads=threads, _quiet=True)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
