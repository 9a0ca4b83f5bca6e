"""PostgreSQL databases on psycopg2: isolation levels, server version, sequences, introspection."""
from __future__ import annotations

from typing import Any, Optional

from .database import ColumnMetadata, Database, ForeignKeyMetadata, IndexMetadata, ViewMetadata
from .dialects.postgres import PostgresDialect
from .exceptions import ImproperlyConfigured, InternalError
from .transactions import _atomic, _transaction

__all__ = ['PostgresqlDatabase', 'isolation_level_sql']

_ISOLATION_LEVELS = {
    1: 'READ COMMITTED',
    2: 'REPEATABLE READ',
    3: 'SERIALIZABLE',
    4: 'READ UNCOMMITTED',
}
_ISOLATION_NAMES = frozenset(_ISOLATION_LEVELS.values())


def isolation_level_sql(level: Any) -> Optional[str]:
    """Normalise a psycopg2 ISOLATION_LEVEL_* constant or a name; ``None`` = default."""
    if level is None or level == 0:   # ISOLATION_LEVEL_DEFAULT / _AUTOCOMMIT
        return None
    if isinstance(level, int):
        try:
            return _ISOLATION_LEVELS[level]
        except KeyError:
            raise ValueError('Unknown isolation level constant: %r' % level) from None
    name = ' '.join(str(level).replace('_', ' ').upper().split())
    if name not in _ISOLATION_NAMES:
        raise ValueError('Unknown isolation level %r: use one of %s' % (
            level, ', '.join(sorted(_ISOLATION_NAMES))))
    return name


def _import_psycopg2() -> Any:
    try:
        import psycopg2
        import psycopg2.extensions
    except ImportError:
        raise ImproperlyConfigured(
            'PostgresqlDatabase needs the psycopg2 driver: pip install "orm[postgres]" '
            '(or pip install psycopg2-binary).') from None
    return psycopg2


class PostgresqlDatabase(Database):
    """PostgreSQL through the :mod:`psycopg2` driver.

    :param database: database name (or a libpq DSN / URI).
    :param register_unicode: register psycopg2's unicode adapters.
    :param encoding: client encoding to set on each connection.
    :param isolation_level: default isolation level of transactions: a
        ``psycopg2.extensions.ISOLATION_LEVEL_*`` constant or a name such as
        ``'SERIALIZABLE'`` or ``'repeatable read'``.
    :param kwargs: :class:`Database` options and ``psycopg2.connect`` arguments.

    ``server_version`` is the server's integer version (``150004``);
    ``server_version_info`` the tuple ``(15, 4)``.
    """

    dialect_class = PostgresDialect

    def __init__(self, database: Optional[str], *args: Any, **kwargs: Any) -> None:
        self._register_unicode = True
        self._encoding: Optional[str] = None
        self._isolation_level: Optional[str] = None
        super().__init__(database, *args, **kwargs)

    def init(self, database: Optional[str], register_unicode: bool = True,
             encoding: Optional[str] = None, isolation_level: Any = None,
             **kwargs: Any) -> None:
        """Set the database name, connection options and driver arguments."""
        self._register_unicode = register_unicode
        self._encoding = encoding
        self._isolation_level = isolation_level_sql(isolation_level)
        super().init(database, **kwargs)

    @property
    def isolation_level(self) -> Optional[str]:
        """Default isolation level of transactions (``None`` = server default)."""
        return self._isolation_level

    @property
    def server_version_info(self) -> Optional[tuple]:
        """Server version as a tuple, e.g. ``(15, 4)``; ``None`` before connecting."""
        return _pg_version_tuple(self.server_version)

    # -- connections -------------------------------------------------------------------
    def _connect(self) -> Any:
        psycopg2 = _import_psycopg2()
        params = dict(self.connect_params)
        database = self.database or ''
        if '=' in database or database.startswith(('postgres://', 'postgresql://')):
            conn = psycopg2.connect(database, **params)
        else:
            conn = psycopg2.connect(database=database, **params)
        try:
            conn.autocommit = True
            if self._register_unicode:
                psycopg2.extensions.register_type(psycopg2.extensions.UNICODE, conn)
                psycopg2.extensions.register_type(psycopg2.extensions.UNICODEARRAY, conn)
            if self._encoding:
                conn.set_client_encoding(self._encoding)
        except BaseException:
            conn.close()
            raise
        return conn

    def _set_server_version(self, conn: Any) -> None:
        self.server_version = conn.server_version
        self.dialect.server_version = _pg_version_tuple(conn.server_version)

    def _driver_in_transaction(self, conn: Any) -> bool:
        # 1 ACTIVE, 2 INTRANS, 3 INERROR (psycopg2.extensions.TRANSACTION_STATUS_*)
        return conn.get_transaction_status() in (1, 2, 3)

    def is_connection_usable(self) -> bool:
        if self._state.closed:
            return False
        conn = self._state.conn
        if conn.closed:
            return False
        # IDLE 0, ACTIVE 1, INTRANS 2 are usable; INERROR 3 and UNKNOWN 4 are not.
        return conn.get_transaction_status() < 3

    def cursor(self, commit: Any = None, named_cursor: Optional[str] = None) -> Any:
        if self.is_closed():
            self._autoconnect()
        if named_cursor:
            # A server-side cursor; WITH HOLD so that it also works outside BEGIN/COMMIT
            # (the driver connection is in autocommit mode).
            return self._state.conn.cursor(name=named_cursor, withhold=True)
        return self._state.conn.cursor()

    def last_insert_id(self, cursor: Any, query_type: Any = None) -> Any:
        """First column of the first row returned (``INSERT ... RETURNING``)."""
        if cursor.description:
            row = cursor.fetchone()
            if row:
                return row[0]
        return None

    def get_noop_select(self, ctx: Any = None) -> Any:
        sql = 'SELECT 0 WHERE false'
        if ctx is None:
            return sql
        return ctx.literal(sql)

    def set_time_zone(self, timezone: str) -> None:
        """Set the session time zone of the current connection."""
        self.execute_sql('SET TIME ZONE %s', (timezone,))

    # -- transactions ------------------------------------------------------------------
    def begin(self, isolation_level: Any = None) -> None:
        """``BEGIN [ISOLATION LEVEL ...]`` (default: the database's isolation_level)."""
        level = isolation_level_sql(isolation_level) or self._isolation_level
        if level:
            self.execute_sql('BEGIN ISOLATION LEVEL %s' % level)
        else:
            self.execute_sql('BEGIN')

    def commit(self) -> None:
        """Commit the open transaction.

        :raises InternalError: (SQLSTATE 25P02) when an earlier statement failed and
            aborted the transaction: PostgreSQL would silently roll back instead of
            committing.  The transaction is rolled back; wrap statements that may fail
            in a nested ``atomic()`` (a savepoint) to recover from them.
        """
        if self._state.closed:
            return
        status = self._state.conn.get_transaction_status()
        if status == 3:   # TRANSACTION_STATUS_INERROR
            self.execute_sql('ROLLBACK')
            error = InternalError(
                'Cannot commit: an earlier statement failed and aborted the transaction, '
                'which has been rolled back. Run statements that may fail inside a nested '
                'atomic() (a savepoint) to recover from their errors.')
            error.pgcode = '25P02'
            raise error
        if status in (1, 2):
            self.execute_sql('COMMIT')

    def atomic(self, isolation_level: Any = None) -> _atomic:
        """A transaction (at ``isolation_level``) when outermost, a savepoint when nested."""
        return _atomic(self, isolation_level=isolation_level)

    def transaction(self, isolation_level: Any = None) -> _transaction:
        """A transaction begun at ``isolation_level``."""
        return _transaction(self, isolation_level=isolation_level)

    # -- introspection -----------------------------------------------------------------
    def get_tables(self, schema: Optional[str] = None) -> list:
        cursor = self.execute_sql(
            "SELECT c.relname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname = COALESCE(%s, current_schema())",
            (schema,))
        return sorted(row[0] for row in cursor.fetchall())

    def get_views(self, schema: Optional[str] = None) -> list:
        cursor = self.execute_sql(
            "SELECT viewname, definition FROM pg_catalog.pg_views "
            "WHERE schemaname = COALESCE(%s, current_schema())", (schema,))
        return [ViewMetadata(name, 'CREATE VIEW %s AS %s' % (
                    self.quote_identifier(name), definition.strip().rstrip(';').strip()))
                for name, definition in sorted(cursor.fetchall())]

    def get_columns(self, table: str, schema: Optional[str] = None) -> list:
        cursor = self.execute_sql(
            "SELECT column_name, is_nullable, data_type, column_default "
            "FROM information_schema.columns "
            "WHERE table_name = %s AND table_schema = COALESCE(%s, current_schema()) "
            "ORDER BY ordinal_position", (table, schema))
        primary_keys = set(self.get_primary_keys(table, schema))
        return [ColumnMetadata(name, data_type, is_nullable == 'YES', name in primary_keys,
                               table, default)
                for name, is_nullable, data_type, default in cursor.fetchall()]

    def get_primary_keys(self, table: str, schema: Optional[str] = None) -> list:
        cursor = self.execute_sql(
            "SELECT a.attname FROM pg_catalog.pg_index i "
            "JOIN pg_catalog.pg_class c ON c.oid = i.indrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, pos) "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum "
            "WHERE i.indisprimary AND c.relname = %s "
            "AND n.nspname = COALESCE(%s, current_schema()) ORDER BY k.pos", (table, schema))
        return [row[0] for row in cursor.fetchall()]

    def get_indexes(self, table: str, schema: Optional[str] = None) -> list:
        cursor = self.execute_sql(
            "SELECT ic.relname, pg_catalog.pg_get_indexdef(i.indexrelid), i.indisunique, "
            "ARRAY(SELECT COALESCE(a.attname, "
            "      pg_catalog.pg_get_indexdef(i.indexrelid, k.pos::int, true)) "
            "      FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, pos) "
            "      LEFT JOIN pg_catalog.pg_attribute a "
            "        ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum <> 0 "
            "      ORDER BY k.pos) "
            "FROM pg_catalog.pg_index i "
            "JOIN pg_catalog.pg_class c ON c.oid = i.indrelid "
            "JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = %s AND n.nspname = COALESCE(%s, current_schema())",
            (table, schema))
        return sorted((IndexMetadata(name, sql, list(columns), bool(unique), table)
                       for name, sql, unique, columns in cursor.fetchall()),
                      key=lambda index: index.name)

    def get_foreign_keys(self, table: str, schema: Optional[str] = None) -> list:
        cursor = self.execute_sql(
            "SELECT a.attname, fc.relname, fa.attname "
            "FROM pg_catalog.pg_constraint con "
            "JOIN pg_catalog.pg_class c ON c.oid = con.conrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid "
            "CROSS JOIN LATERAL unnest(con.conkey, con.confkey) "
            "     WITH ORDINALITY AS k(attnum, fattnum, pos) "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum "
            "JOIN pg_catalog.pg_attribute fa ON fa.attrelid = fc.oid AND fa.attnum = k.fattnum "
            "WHERE con.contype = 'f' AND c.relname = %s "
            "AND n.nspname = COALESCE(%s, current_schema()) "
            "ORDER BY con.conname, k.pos", (table, schema))
        return [ForeignKeyMetadata(column, dest_table, dest_column, table)
                for column, dest_table, dest_column in cursor.fetchall()]

    def sequence_exists(self, seq: str, schema: Optional[str] = None) -> bool:
        cursor = self.execute_sql(
            "SELECT COUNT(*) FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'S' AND c.relname = %s "
            "AND n.nspname = COALESCE(%s, current_schema())", (seq, schema))
        return bool(cursor.fetchone()[0])


def _pg_version_tuple(version: Optional[int]) -> Optional[tuple]:
    if not version:
        return None
    if version >= 100000:
        return (version // 10000, version % 10000)
    return (version // 10000, version // 100 % 100, version % 100)


# ---------------------------------------------------------------------------------------
# Proxies
# ---------------------------------------------------------------------------------------
