"""PostgreSQL databases (psycopg2 or psycopg 3): isolation levels, server version, sequences,
introspection.  Driver specifics live in :mod:`orm.postgres_adapters`."""
from __future__ import annotations

from typing import Any, Optional

from .database import (ColumnMetadata, Database, ForeignKeyMetadata, IndexMetadata, ViewMetadata,
                       set_up_or_close)
from .dialects.postgres import PostgresDialect
from .exceptions import (DataError, ExceptionWrapper, InterfaceError, InternalError,
                         OperationalError, OutcomeUnknownError)
from .json_methods import PostgresqlJSONMethods
from .sql.nodes import Cast, Value
from .postgres_adapters import (TRANSACTION_ACTIVE, TRANSACTION_INERROR, TRANSACTION_INTRANS,
                                PostgresAdapter, Psycopg2Adapter, Psycopg3Adapter,
                                choose_adapter, isolation_level_sql)
from .transactions import IsolationLevelBlocks

__all__ = ['PostgresqlDatabase', 'Psycopg2Adapter', 'Psycopg3Adapter', 'isolation_level_sql']

class _PostgresExceptionWrapper(ExceptionWrapper):
    """orm's exception wrapper, plus one psycopg2 error that is not a DB-API class:
    a NUL character in a text value.  psycopg2 raises a bare ``ValueError`` while
    quoting it, psycopg 3 a ``DataError``; both become orm's :class:`DataError`."""

    __slots__ = ()

    def __exit__(self, exc_type: Optional[type], exc_value: Optional[BaseException],
                 traceback: Any) -> Optional[bool]:
        if type(exc_value) is ValueError and 'NUL (0x00)' in str(exc_value):
            error = DataError('%s PostgreSQL text values cannot hold the NUL character '
                              '(\\x00): remove it, or store the value as bytes (BlobField).'
                              % str(exc_value).rstrip())
            error.orig = exc_value
            raise error.with_traceback(traceback) from exc_value
        return super().__exit__(exc_type, exc_value, traceback)


#: the wrapper every PostgreSQL database uses
_postgres_exception_wrapper = _PostgresExceptionWrapper()


class PostgresqlDatabase(IsolationLevelBlocks, Database):
    """PostgreSQL through the ``psycopg2`` or the ``psycopg`` (version 3) driver.

    :param database: database name (or a libpq DSN / URI).
    :param register_unicode: register psycopg2's unicode adapters (psycopg 3 always
        decodes text).
    :param encoding: client encoding to set on each connection.
    :param isolation_level: default isolation level of transactions: a
        ``psycopg2.extensions.ISOLATION_LEVEL_*`` constant, a ``psycopg.IsolationLevel``
        member or a name such as ``'SERIALIZABLE'`` or ``'repeatable read'``.
    :param prefer_psycopg3: use psycopg 3 when both drivers are installed (by default
        psycopg2 is used when installed, psycopg 3 otherwise).
    :param kwargs: :class:`Database` options and the driver's ``connect()`` arguments.

    ``server_version`` is the server's integer version (``150004``);
    ``server_version_info`` the tuple ``(15, 4)``.  The driver adapter in use is
    ``db.adapter`` (a :class:`~orm.Psycopg2Adapter` or :class:`~orm.Psycopg3Adapter`).
    """

    dialect_class = PostgresDialect
    _exception_wrapper = _postgres_exception_wrapper
    #: the JSON vocabulary of JSONField on this engine
    json_methods_class: type = PostgresqlJSONMethods
    #: adapter classes for each driver (a subclass may plug in its own)
    psycopg2_adapter: type = Psycopg2Adapter
    psycopg3_adapter: type = Psycopg3Adapter
    #: default of the ``prefer_psycopg3`` argument
    prefer_psycopg3 = False

    def __init__(self, database: Optional[str], *args: Any, **kwargs: Any) -> None:
        self._register_unicode = True
        self._encoding: Optional[str] = None
        self._isolation_level: Optional[str] = None
        self._driver_adapter: Any = None
        super().__init__(database, *args, **kwargs)

    def init(self, database: Optional[str], register_unicode: bool = True,
             encoding: Optional[str] = None, isolation_level: Any = None,
             prefer_psycopg3: Optional[bool] = None, **kwargs: Any) -> None:
        """Set the database name, connection options and driver arguments."""
        self._register_unicode = register_unicode
        self._encoding = encoding
        self._isolation_level = isolation_level_sql(isolation_level)
        if prefer_psycopg3 is None:
            prefer_psycopg3 = self.prefer_psycopg3
        super().init(database, **kwargs)
        # chosen after super().init(), which closes a connection opened by the old adapter
        self._driver_adapter = choose_adapter(self.psycopg2_adapter, self.psycopg3_adapter,
                                              bool(prefer_psycopg3))

    @property
    def adapter(self) -> PostgresAdapter:
        """The driver adapter in use."""
        return self._driver_adapter

    # ``db._adapter`` (peewee's name) is the driver adapter, unless a subclass assigns an
    # adapter object of its own to it (the connection always goes through the driver
    # adapter chosen by ``init()``)
    @property
    def _adapter(self) -> Any:
        if '_adapter_override' in self.__dict__:
            return self.__dict__['_adapter_override']
        return self._driver_adapter

    @_adapter.setter
    def _adapter(self, value: Any) -> None:
        self.__dict__['_adapter_override'] = value

    @property
    def isolation_level(self) -> Optional[str]:
        """Default isolation level of transactions (``None`` = server default)."""
        return self._isolation_level

    def set_isolation_level(self, isolation_level: Any) -> None:
        """Change the default isolation level of the transactions begun from now on
        (``None``: the server default)."""
        self._isolation_level = isolation_level_sql(isolation_level)

    @property
    def server_version_info(self) -> Optional[tuple]:
        """Server version as a tuple, e.g. ``(15, 4)``; ``None`` before connecting."""
        return _pg_version_tuple(self.server_version)

    # -- connections -------------------------------------------------------------------
    def _connect(self) -> Any:
        adapter = self._driver_adapter
        return set_up_or_close(
            adapter.connect(self.database or '', **self.connect_params),
            lambda conn: adapter.setup_connection(conn, self._register_unicode,
                                                  self._encoding))

    def _set_server_version(self, conn: Any) -> None:
        version = self._driver_adapter.server_version(conn)
        self.server_version = version
        self.dialect.server_version = _pg_version_tuple(version)

    def _driver_in_transaction(self, conn: Any) -> bool:
        return self._driver_adapter.transaction_status(conn) in (
            TRANSACTION_ACTIVE, TRANSACTION_INTRANS, TRANSACTION_INERROR)

    def is_connection_usable(self) -> bool:
        conn = self._state.conn
        if conn is None or self._driver_adapter.is_closed(conn):
            return False
        # IDLE, ACTIVE and INTRANS are usable; INERROR and UNKNOWN are not.
        return self._driver_adapter.transaction_status(conn) < TRANSACTION_INERROR

    def cursor(self, commit: Any = None, named_cursor: Optional[str] = None) -> Any:
        conn = self._state.conn
        if conn is None:
            conn = self._autoconnect()
        if named_cursor:
            name = named_cursor if isinstance(named_cursor, str) else None
            return self._driver_adapter.server_side_cursor(conn, name)
        return conn.cursor()

    def last_insert_id(self, cursor: Any, query_type: Any = None) -> Any:
        """First column of the first row returned (``INSERT ... RETURNING``)."""
        if cursor.description:
            row = cursor.fetchone()
            if row:
                return row[0]
        return None

    def get_binary_type(self) -> Any:
        """The driver's DB-API ``Binary`` constructor (``bytes`` when it has none)."""
        return getattr(self._driver_adapter.module, 'Binary', bytes)

    def get_noop_select(self, ctx: Any = None) -> Any:
        sql = 'SELECT 0 WHERE false'
        if ctx is None:
            return sql
        return ctx.literal(sql)

    def interval(self, value: str) -> Any:
        """``CAST(value AS INTERVAL)``: a span of time (``'30 minutes'``) to add to,
        subtract from or multiply with dates and times in SQL."""
        if not isinstance(value, str):
            raise TypeError('interval() takes the text of an interval, such as '
                            "'30 minutes', got %r" % (value,))
        # bound as given: the converter of the column it meets must not touch it
        return Cast(Value(value, converter=False), 'INTERVAL')

    def set_time_zone(self, timezone: str) -> None:
        """Set the session time zone of the current connection."""
        self.execute_sql('SET TIME ZONE %s', (timezone,))

    # -- transactions ------------------------------------------------------------------
    def begin(self, isolation_level: Any = None) -> None:
        """``BEGIN [ISOLATION LEVEL ...]`` (default: the database's isolation_level)."""
        level = isolation_level_sql(isolation_level) or self._isolation_level
        self.execute_sql('BEGIN ISOLATION LEVEL %s' % level if level else 'BEGIN')
        self._state.succeeded = 0       # commit() asks whether the transaction did work

    def commit(self) -> None:
        """Commit the open transaction.

        A transaction that a failed statement aborted cannot commit: PostgreSQL rolls
        it back instead.  When nothing but failed statements ran in it (since ``BEGIN``)
        there is nothing to lose and it simply ends, as on PostgreSQL.

        :raises InternalError: (SQLSTATE 25P02) when statements that had succeeded in
            the transaction are undone because a later one failed and aborted it.  The
            transaction is rolled back; wrap statements that may fail in a nested
            ``atomic()`` (a savepoint) to keep the work done around them.
        :raises OutcomeUnknownError: the connection was lost while ``COMMIT`` ran, so
            whether it committed is unknown.
        :raises InterfaceError: the calling thread has no open connection.
        """
        conn = self._open_connection_for('commit')
        status = self._driver_adapter.transaction_status(conn)
        if status == TRANSACTION_INERROR:
            work_lost = self._state.succeeded > 0
            self.execute_sql('ROLLBACK')
            if not work_lost:
                return
            error = InternalError(
                'Cannot commit: an earlier statement failed and aborted the transaction, '
                'which has been rolled back. Run statements that may fail inside a nested '
                'atomic() (a savepoint) to recover from their errors.')
            error.pgcode = '25P02'
            raise error
        if status in (TRANSACTION_ACTIVE, TRANSACTION_INTRANS):
            try:
                self.execute_sql('COMMIT')
            except (OperationalError, InterfaceError) as exc:
                # the link was sound when COMMIT left: lost now, nobody knows the answer
                if isinstance(exc, OutcomeUnknownError) or \
                        not self._driver_adapter.is_broken(conn):
                    raise
                raise OutcomeUnknownError.replacing(
                    exc, 'The connection was lost while COMMIT ran: the transaction may '
                         'or may not have been committed. Read the data back to find '
                         'out') from exc

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
        # format_type() spells the type with its parameters; a column the database
        # numbers is an identity column or one whose default draws on a sequence
        cursor = self.execute_sql(
            "SELECT c.column_name, c.is_nullable, c.data_type, c.column_default, "
            "pg_catalog.format_type(a.atttypid, a.atttypmod), "
            "(c.is_identity = 'YES' OR COALESCE(c.column_default, '') LIKE 'nextval(%%') "
            "FROM information_schema.columns c "
            "JOIN pg_catalog.pg_namespace n ON n.nspname = c.table_schema "
            "JOIN pg_catalog.pg_class t ON t.relnamespace = n.oid AND t.relname = c.table_name "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid "
            "     AND a.attname = c.column_name "
            "WHERE c.table_name = %s AND c.table_schema = COALESCE(%s, current_schema())"
            + self._hidden_filter('c') + " ORDER BY c.ordinal_position", (table, schema))
        primary_keys = set(self.get_primary_keys(table, schema))
        standard = self.dialect.standard_type_name
        return [ColumnMetadata(name, standard(data_type), is_nullable == 'YES',
                               name in primary_keys, table, default, full_type,
                               bool(numbered))
                for name, is_nullable, data_type, default, full_type, numbered
                in cursor.fetchall()]

    def _hidden_filter(self, alias: str) -> str:
        """Extra condition on ``information_schema.columns`` (as ``alias``) leaving out
        columns the engine adds by itself (none on PostgreSQL)."""
        return ''

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
            "SELECT a.attname, fc.relname, fa.attname, con.conname, con.confdeltype, "
            "con.confupdtype "
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
        return [ForeignKeyMetadata(column, dest_table, dest_column, table, name,
                                   _FK_ACTIONS.get(on_delete), _FK_ACTIONS.get(on_update))
                for column, dest_table, dest_column, name, on_delete, on_update
                in cursor.fetchall()]

    def sequence_exists(self, sequence: str, schema: Optional[str] = None) -> bool:
        """Whether a sequence named ``sequence`` exists in ``schema`` (default: the
        current schema)."""
        cursor = self.execute_sql(
            "SELECT COUNT(*) FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'S' AND c.relname = %s "
            "AND n.nspname = COALESCE(%s, current_schema())", (sequence, schema))
        return bool(cursor.fetchone()[0])


#: pg_constraint's one-letter codes of the referential actions
_FK_ACTIONS = {'a': 'NO ACTION', 'r': 'RESTRICT', 'c': 'CASCADE', 'n': 'SET NULL',
               'd': 'SET DEFAULT'}


def _pg_version_tuple(version: Optional[int]) -> Optional[tuple]:
    if not version:
        return None
    if version >= 100000:
        return (version // 10000, version % 10000)
    return (version // 10000, version // 100 % 100, version % 100)


# ---------------------------------------------------------------------------------------
# Proxies
# ---------------------------------------------------------------------------------------
