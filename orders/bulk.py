"""Set-based SQL: many rows as one ``FROM`` source, the same on PostgreSQL and SQLite.

PostgreSQL gets one array parameter per column (``unnest``); SQLite gets one JSON parameter for
all rows (``json_each``). Either way the statement's size does not grow with the rows, so a
4000-item batch is one statement and never hits a parameter limit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import psycopg
from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


def rows_source(columns: Sequence[tuple[str, str]], rows: list[tuple]) -> tuple[str, list]:
    """A ``FROM`` source of ``rows`` named ``u`` with one parameter per column (PostgreSQL:
    ``unnest`` of arrays) or one for all (SQLite: ``json_each``); constant statement size."""
    names = [name for name, _ in columns]
    if connection.vendor == "postgresql":
        arrays = [list(column) for column in zip(*rows, strict=True)]
        # %b: binary arrays, which psycopg writes without escaping every element.
        casts = ", ".join(f"%b::{kind}[]" for _, kind in columns)
        return f"unnest({casts}) AS u({', '.join(names)})", arrays
    adapt = connection.ops.adapt_datetimefield_value
    encoded = [
        [adapt(value) if isinstance(value, datetime) else value for value in row] for row in rows
    ]
    picks = ", ".join(
        f"json_extract(value, '$[{index}]') AS {name}" for index, name in enumerate(names)
    )
    return f"(SELECT {picks} FROM json_each(%s)) AS u", [json.dumps(encoded)]


def bulk_cursor() -> CursorWrapper:
    """A cursor for the statements ``rows_source`` builds.

    Django's psycopg cursors bind parameters on the client, which writes every array element
    as escaped text; on PostgreSQL this cursor binds on the server, so the ``%b`` arrays travel
    in binary. It runs in the connection's transaction, and Django's query log still sees it.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    wrapper = CursorDebugWrapper if connection.queries_logged else CursorWrapper
    return wrapper(raw, connection)
