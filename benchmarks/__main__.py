"""``python -m benchmarks``: every benchmark module in turn, on a scratch database."""

from __future__ import annotations

import importlib
import os
import sys

# One module a line, each with run() -> None printing its table.
BENCHMARKS = [
    "benchmarks.oms_api",
    "benchmarks.screen",
]


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sellercenter.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import (
        setup_databases,
        setup_test_environment,
        teardown_databases,
        teardown_test_environment,
    )

    setup_test_environment()
    # A scratch database next to the configured one (test_<name>), made and dropped here.
    old_config = setup_databases(verbosity=0, interactive=False, keepdb=False)
    try:
        print(f"database: {connection.vendor} {connection.settings_dict['NAME']} (scratch)")
        for name in BENCHMARKS:
            importlib.import_module(name).run()
    finally:
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()
    return 0


if __name__ == "__main__":
    sys.exit(main())
