"""PostgreSQL dialect: ``%s`` placeholders, RETURNING, DISTINCT ON, row locks, LATERAL."""
from __future__ import annotations

from typing import Any

from ..sql.nodes import SQL, NodeList, fn
from .base import Dialect, UnsupportedFeature

__all__ = ['PostgresDialect']


class PostgresDialect(Dialect):
    name = 'postgres'
    param = '%s'
    limit_max = None
    for_update = True
    returning_clause = True
    returning_qualified = True
    insert_returns_pk = True
    supports_distinct_on = True
    supports_lateral = True
    compound_select_parentheses = True
    subquery_alias_required = True
    supports_update_from = True
    supports_materialized_cte = True
    supports_writable_cte = True
    table_storage_options = True
    values_alias_columns = True
    sequences = True
    truncate_table = True
    commit_select = True
    json_decoded_by_driver = True
    # NAMEDATALEN - 1; generated names keep to it on CockroachDB too, so that one schema
    # gets the same names on both
    max_identifier_bytes = 63
    # psycopg2 reads % as a placeholder marker, so a literal % is written %%
    operations = {'REGEXP': '~', 'IREGEXP': '~*', '%': '%%', 'ILIKE': 'ILIKE'}
    field_types = dict(Dialect.field_types, AUTO='SERIAL', BIGAUTO='BIGSERIAL',
                       BLOB='BYTEA', BOOL='BOOLEAN', DATETIME='TIMESTAMP',
                       DECIMAL='NUMERIC', DOUBLE='DOUBLE PRECISION', FLOAT='REAL',
                       UUID='UUID', UUIDB='BYTEA', JSON='JSON', TIME='TIME')

    conflict_where_literals = True

    def insert_verb(self, on_conflict: Any) -> str:
        if on_conflict is not None and on_conflict._action == 'REPLACE' and \
                not on_conflict.is_update():
            raise UnsupportedFeature(
                '%s has no INSERT OR REPLACE (on_conflict_replace(), replace()); use '
                'on_conflict(conflict_target=[...], preserve=[...]) to update the existing '
                'row instead' % self.display_name)
        return 'INSERT'

    def escape_identifier(self, text: str) -> str:
        return text.replace('%', '%%')

    def bytes_literal(self, value: bytes) -> str:
        return "'\\x%s'::bytea" % value.hex()

    def to_timestamp(self, date_field: Any) -> Any:
        return fn.EXTRACT(NodeList((SQL('EPOCH FROM'), date_field))).cast('bigint')

    def from_timestamp(self, date_field: Any) -> Any:
        return fn.to_timestamp(date_field)
