"""SQLite dialect: ``?`` placeholders, GLOB for case-sensitive LIKE, INSERT OR IGNORE/REPLACE."""
from __future__ import annotations

import sqlite3
from typing import Any

from ..sql.context import Context
from ..sql.nodes import SQL, NodeList, Value, fn
from .base import Dialect, _adapt_for_sqlite

__all__ = ['SqliteDialect']

_VERSION = sqlite3.sqlite_version_info


class SqliteDialect(Dialect):
    name = 'sqlite'
    param = '?'
    limit_max = -1
    # SQLite locks the whole database for a write transaction: a row lock has nothing
    # to add, so FOR UPDATE is left out and the query runs as usual
    for_update_ignored = True
    nulls_ordering = _VERSION >= (3, 30, 0)
    returning_clause = _VERSION >= (3, 35, 0)
    supports_update_from = _VERSION >= (3, 33, 0)
    supports_materialized_cte = _VERSION >= (3, 35, 0)
    index_schema_prefix = True
    nulls_distinct_clause = False         # NULLs in a unique index are always distinct
    references_schema_prefix = False
    upsert_select_needs_where = True
    conflict_constraint_supported = False
    conflict_where_literals = True
    # LIKE is case-insensitive in SQLite, so `%` (LIKE) uses GLOB and `**` (ILIKE) uses LIKE
    operations = {'LIKE': 'GLOB', 'ILIKE': 'LIKE', 'IREGEXP': 'REGEXP'}
    # SQLite's integers are all 64-bit: every integer field declares INTEGER, as in peewee
    field_types = dict(Dialect.field_types, BOOL='INTEGER', DECIMAL='DECIMAL',
                       DOUBLE='REAL', FLOAT='REAL', BIGAUTO='INTEGER', UUIDB='BLOB',
                       JSON='JSON', BIGINT='INTEGER', SMALLINT='INTEGER')

    adapt_param = staticmethod(_adapt_for_sqlite)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.server_version is None:
            self.server_version = _VERSION

    def boolean_literal(self, value: bool) -> str:
        return '1' if value else '0'

    def rewrite_operand(self, op: str, rhs: Any) -> Any:
        if op == 'IREGEXP':   # Python's re: an inline flag makes the match case-insensitive
            return NodeList((Value('(?i)'), SQL('||'), rhs if hasattr(rhs, '__sql__')
                             else Value(rhs)), parens=True)
        return rhs

    def to_timestamp(self, date_field: Any) -> Any:
        return fn.strftime('%s', date_field).cast('integer')

    def from_timestamp(self, date_field: Any) -> Any:
        return fn.datetime(date_field, 'unixepoch')
