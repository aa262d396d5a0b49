"""The ``lianxin`` console script: Django's management commands under the project's name.

``lianxin demo``, ``lianxin stats --json``, ``lianxin serve``, ``lianxin migrate`` …
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianxin.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["lianxin", *sys.argv[1:]])


if __name__ == "__main__":
    main()
