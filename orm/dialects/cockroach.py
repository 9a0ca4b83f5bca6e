"""CockroachDB dialect: PostgreSQL's wire protocol and SQL, with a few differences.

What differs from :class:`PostgresDialect`:

* ``insert(...).on_conflict_replace()`` (``Model.replace()``) becomes CockroachDB's
  ``UPSERT INTO ...``; ``ON CONFLICT`` targets must be plain columns, and
  ``ON CONFLICT ON CONSTRAINT`` needs CockroachDB 22.1 or later;
* ``JSON`` columns are ``JSONB`` (CockroachDB stores all JSON as JSONB);
* ``AS OF SYSTEM TIME`` on SELECT and on BEGIN (historical, read-only reads);
* transaction priorities (``BEGIN PRIORITY HIGH``, ``SET TRANSACTION PRIORITY HIGH``);
* introspection: CockroachDB's own type names (``INT8``, ``STRING``) read as
  PostgreSQL's (``bigint``, ``text``).

A :class:`CockroachDialect` may also be attached to a plain PostgreSQL server (same wire
protocol), which is handy for development and tests.  ``server_flavor`` then reads
``'postgres'`` and the CockroachDB-only forms raise :class:`NotSupportedError` -- except
transaction priorities, which PostgreSQL does not have and which are simply left out.
"""
from __future__ import annotations

import datetime
import decimal
import re
from typing import Any

from ..exceptions import NotSupportedError
from ..sql.context import Context
from ..sql.nodes import Column, Entity, Node
from .postgres import PostgresDialect

__all__ = ['CockroachDialect', 'parse_cockroach_version']

_PRIORITIES = ('LOW', 'NORMAL', 'HIGH')
_VERSION_RE = re.compile(r'CockroachDB\s+(?:CCL\s+|OSS\s+)?v(\d+)\.(\d+)(?:\.(\d+))?')


#: CockroachDB's own type names (``SHOW COLUMNS``, ``crdb_sql_type``, and
#: ``information_schema.columns.data_type`` on old versions) -> the names PostgreSQL's
#: ``information_schema`` uses, which CockroachDB reports there today.  ``INT`` is
#: 64-bit on CockroachDB.
_STANDARD_TYPE_NAMES = {
    'INT': 'bigint', 'INT8': 'bigint', 'INT64': 'bigint', 'BIGINT': 'bigint',
    'INT4': 'integer', 'INTEGER': 'integer', 'INT2': 'smallint', 'SMALLINT': 'smallint',
    'FLOAT': 'double precision', 'FLOAT8': 'double precision',
    'DOUBLE PRECISION': 'double precision', 'FLOAT4': 'real', 'REAL': 'real',
    'DECIMAL': 'numeric', 'NUMERIC': 'numeric', 'DEC': 'numeric',
    'STRING': 'text', 'TEXT': 'text', 'VARCHAR': 'character varying',
    'CHARACTER VARYING': 'character varying', 'CHAR': 'character', 'CHARACTER': 'character',
    'BYTES': 'bytea', 'BYTEA': 'bytea', 'BLOB': 'bytea', 'BOOL': 'boolean',
    'BOOLEAN': 'boolean', 'DATE': 'date', 'TIME': 'time without time zone',
    'TIMETZ': 'time with time zone', 'TIMESTAMP': 'timestamp without time zone',
    'TIMESTAMPTZ': 'timestamp with time zone', 'INTERVAL': 'interval', 'JSONB': 'jsonb',
    'JSON': 'jsonb', 'UUID': 'uuid', 'INET': 'inet', 'OID': 'oid',
}


def _identity(value: Any) -> Any:
    return value


def parse_cockroach_version(text: str) -> tuple | None:
    """``(23, 1, 11)`` from the text of CockroachDB's ``SELECT version()``; ``None`` when
    the text is not CockroachDB's (e.g. ``'PostgreSQL 15.4 on x86_64 ...'``)."""
    match = _VERSION_RE.search(text or '')
    if match is None:
        return None
    major, minor, patch = match.groups()
    return (int(major), int(minor), int(patch or 0))


class CockroachDialect(PostgresDialect):
    name = 'cockroach'
    field_types = dict(PostgresDialect.field_types, JSON='JSONB')
    nested_arrays = False

    #: ``'cockroach'`` or ``'postgres'`` once connected; ``None`` (CockroachDB assumed)
    #: before the server has been asked.
    server_flavor: str | None = None

    @property
    def on_postgres(self) -> bool:
        """Whether the connected server turned out to be plain PostgreSQL."""
        return self.server_flavor == 'postgres'

    def _require_cockroach(self, feature: str) -> None:
        if self.on_postgres:
            raise NotSupportedError(
                '%s needs CockroachDB; this database is connected to a PostgreSQL server'
                % feature)

    # -- introspection -------------------------------------------------------------------
    @staticmethod
    def standard_type_name(name: Any) -> Any:
        """A column type as PostgreSQL's ``information_schema`` names it.

        CockroachDB's own names become the standard ones (``INT8`` -> ``bigint``,
        ``STRING`` -> ``text``, ``STRING(20)`` -> ``character varying``, ``INT8[]`` ->
        ``ARRAY``); names already in that form (lower case, ``ARRAY``, ``USER-DEFINED``)
        are returned unchanged.
        """
        if not isinstance(name, str) or name in ('ARRAY', 'USER-DEFINED') or \
                name == name.lower():
            return name
        text = ' '.join(name.strip().split())
        if text.endswith(']') or text.upper().endswith(' ARRAY'):
            return 'ARRAY'
        base = text.split('(', 1)[0].strip().upper()
        if base in ('STRING', 'TEXT') and '(' in text:
            return 'character varying'          # STRING(n) is VARCHAR(n)
        return _STANDARD_TYPE_NAMES.get(base, text.lower())

    # -- UPSERT / ON CONFLICT ------------------------------------------------------------
    @staticmethod
    def _is_replace(on_conflict: Any) -> bool:
        return (on_conflict is not None and on_conflict._action == 'REPLACE'
                and not on_conflict.is_update())

    def insert_verb(self, on_conflict: Any) -> str:
        if self._is_replace(on_conflict):
            if self.on_postgres:
                    raise NotSupportedError(
                    'on_conflict_replace() / replace() becomes UPSERT, which needs '
                    'CockroachDB; this database is connected to a PostgreSQL server. Use '
                    'on_conflict(conflict_target=[...], preserve=[...]) instead')
            return 'UPSERT'
        return 'INSERT'

    def render_on_conflict(self, ctx: Context, on_conflict: Any, query: Any) -> None:
        if self._is_replace(on_conflict):
            return       # the statement already reads UPSERT INTO ...
        if on_conflict._conflict_constraint:
            version = self.server_version
            if not self.on_postgres and version is not None and tuple(version[:2]) < (22, 1):
                raise self.not_supported('ON CONFLICT ON CONSTRAINT before CockroachDB 22.1 '
                                         '(use conflict_target=[columns])')
        for target in on_conflict._conflict_target or ():
            # a column name, a column or a model field (which carries its column_name)
            if not isinstance(target, (str, Column, Entity)) and \
                    'column_name' not in getattr(target, '__dict__', ()):
                raise self.not_supported(
                    'an expression as ON CONFLICT target (%r); name the columns of a '
                    'unique index instead' % (target,))
        if on_conflict.is_update() and not (on_conflict._conflict_target or
                                            on_conflict._conflict_constraint):
            raise ValueError(
                'ON CONFLICT ... DO UPDATE needs conflict_target=[columns] (or '
                'conflict_constraint=name) on %s; to replace whole rows by primary key '
                'use on_conflict_replace(), which becomes UPSERT' % self.display_name)
        super().render_on_conflict(ctx, on_conflict, query)

    # -- AS OF SYSTEM TIME ---------------------------------------------------------------
    @staticmethod
    def system_time_value(value: Any) -> Any:
        """Normalise an ``AS OF SYSTEM TIME`` argument to a value to bind (or a node).

        * ``datetime`` -- that moment (an aware value is converted to UTC);
        * ``timedelta`` -- that long ago (the sign is ignored: the past is meant);
        * ``str`` -- passed as written: ``'-10s'``, ``'2024-05-01 10:00:00'``;
        * ``int`` / ``Decimal`` -- nanoseconds since the Unix epoch;
        * an SQL node -- rendered as is, e.g. ``fn.follower_read_timestamp()``.
        """
        if isinstance(value, Node):
            return value
        if isinstance(value, datetime.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
            return value.isoformat(' ')
        if isinstance(value, datetime.timedelta):
            micros = abs(value) // datetime.timedelta(microseconds=1)
            if not micros:
                raise ValueError('AS OF SYSTEM TIME needs a moment in the past, got %r'
                                 % (value,))
            seconds, micros = divmod(micros, 1000000)
            return '-%d.%06ds' % (seconds, micros)
        if isinstance(value, bool) or not isinstance(value, (str, int, decimal.Decimal)):
            raise TypeError('AS OF SYSTEM TIME takes a datetime, a timedelta, a string such '
                            "as '-10s', nanoseconds as int/Decimal or an SQL expression; "
                            'got %r' % (value,))
        if isinstance(value, str) and not value.strip():
            raise ValueError('AS OF SYSTEM TIME got an empty string')
        return value

    def render_as_of_system_time(self, ctx: Context, value: Any) -> None:
        """`` AS OF SYSTEM TIME <value>`` after a SELECT's FROM list."""
        self._require_cockroach('AS OF SYSTEM TIME')
        value = self.system_time_value(value)
        ctx.literal(' AS OF SYSTEM TIME ')
        if isinstance(value, Node):
            ctx.sql(value)
        else:
            ctx.value(value, _identity)

    # -- transactions --------------------------------------------------------------------
    @staticmethod
    def transaction_priority(priority: Any) -> str:
        text = str(priority).strip().upper()
        if text not in _PRIORITIES:
            raise ValueError('transaction priority must be one of %s, got %r'
                             % (', '.join(p.lower() for p in _PRIORITIES), priority))
        return text

    def set_transaction_statement(self, priority: Any) -> str | None:
        """``SET TRANSACTION PRIORITY <level>`` -- ``None`` on a PostgreSQL server, which
        has no priorities (as in :meth:`begin_statement`, the hint is left out)."""
        level = self.transaction_priority(priority)
        if self.on_postgres:
            return None
        return 'SET TRANSACTION PRIORITY %s' % level

    def begin_statement(self, isolation_level: str | None = None, priority: Any = None,
                        system_time: Any = None) -> tuple[str, list]:
        """``(sql, params)`` of the BEGIN statement with its transaction modes."""
        modes: list[str] = []
        params: list = []
        if isolation_level:
            modes.append('ISOLATION LEVEL %s' % isolation_level)
        if priority is not None:
            level = self.transaction_priority(priority)
            if not self.on_postgres:          # PostgreSQL has no priorities: leave it out
                modes.append('PRIORITY %s' % level)
        if system_time is not None:
            self._require_cockroach('AS OF SYSTEM TIME')
            value = self.system_time_value(system_time)
            if isinstance(value, Node):
                sql, node_params = self.compile(value)
                modes.append('AS OF SYSTEM TIME %s' % sql)
                params.extend(node_params)
            else:
                modes.append('AS OF SYSTEM TIME %s' % self.param)
                params.append(value)
        if not modes:
            return 'BEGIN', params
        return 'BEGIN ' + ', '.join(modes), params
