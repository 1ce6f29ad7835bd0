"""Benchmarks, run by ``make bench`` (``python -m benchmarks``).

Each benchmark module has a ``run() -> None`` that prints its rows; ``__main__`` lists the
modules, makes one scratch database on the configured ``DATABASE_URL`` (never the development
database itself) and runs them in turn. The numbers are printed, not checked: speed is for
reading, not for failing a build.
"""
