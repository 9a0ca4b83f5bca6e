"""MySQL and MariaDB databases on ``pymysql`` (or ``mysqlclient``'s ``MySQLdb``).

Connections run in the driver's autocommit mode, like every orm engine: transactions
are explicit ``BEGIN`` / ``COMMIT`` statements sent by ``atomic()`` and friends.  The
session keeps the server's ``sql_mode`` unless ``sql_mode=`` is given: text is
concatenated with ``CONCAT()``, which needs no mode.  Introspection reads
``information_schema``.
"""
from __future__ import annotations

import importlib
from typing import Any, Optional, Sequence

from .database import (ColumnMetadata, Database, ForeignKeyMetadata, IndexMetadata,
                       ViewMetadata)
from .dialects.mysql import MySQLDialect, parse_mysql_version
from .exceptions import (DataError, ExceptionWrapper, ImproperlyConfigured, IntegrityError,
                         NotSupportedError, OperationalError, PeeweeException)
from .json_methods import MySQLJSONMethods
from .postgres_adapters import isolation_level_sql
from .transactions import IsolationLevelBlocks

__all__ = ['MySQLDatabase', 'MYSQL_DRIVERS']

#: the DB-API modules MySQLDatabase can run on, in the order they are tried
MYSQL_DRIVERS = ('pymysql', 'MySQLdb')

#: the server-status bit a MySQL server sets while a transaction is open
_SERVER_STATUS_IN_TRANS = 1



#: MySQL / MariaDB error numbers whose meaning the drivers' classes get wrong or leave
#: vague, and orm's class for each
MYSQL_ERROR_CLASSES: dict = {
    1048: IntegrityError,    # column cannot be null
    1364: IntegrityError,    # a NOT NULL column without a default left out of an INSERT
    1062: IntegrityError,    # duplicate entry
    1216: IntegrityError, 1217: IntegrityError,   # foreign key (old numbers)
    1451: IntegrityError, 1452: IntegrityError,   # foreign key: parent / child row
    1557: IntegrityError,    # duplicate key in foreign key cascade
    3819: IntegrityError,    # MySQL: check constraint violated
    4025: IntegrityError,    # MariaDB: check constraint violated
    1264: DataError, 1265: DataError, 1366: DataError, 1406: DataError,  # value out of
    1292: DataError,         # range / truncated / incorrect / too long / bad date
    1205: OperationalError, 1213: OperationalError,   # lock wait timeout, deadlock
    2006: OperationalError, 2013: OperationalError,   # server gone away, connection lost
}


class MySQLExceptionWrapper(ExceptionWrapper):
    """orm's exception for a driver's, by class name and then by MySQL error number
    (``exc.args[0]``; also kept as ``exc.errno``)."""

    __slots__ = ()

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> Optional[bool]:
        if exc_value is None or isinstance(exc_value, PeeweeException):
            return None
        args = getattr(exc_value, 'args', ())
        code = args[0] if args and isinstance(args[0], int) else \
            getattr(exc_value, 'errno', None)
        ours = MYSQL_ERROR_CLASSES.get(code) if isinstance(code, int) else None
        if ours is None:
            try:
                super().__exit__(exc_type, exc_value, traceback)
            except PeeweeException as translated:
                translated.errno = code  # type: ignore[attr-defined]
                raise
            return None
        new = ours(*args)
        new.orig = exc_value
        new.errno = code                 # type: ignore[attr-defined]
        raise new.with_traceback(traceback) from exc_value


def _list_rows_cursor(driver: Any) -> Any:
    """A cursor class of ``driver`` whose ``fetchall()`` / ``fetchmany()`` give lists,
    as the other engines' drivers do (``None`` when the driver has no cursor classes)."""
    base = getattr(getattr(driver, 'cursors', None), 'Cursor', None)
    if base is None:
        return None

    class ListRowsCursor(base):  # type: ignore[misc, valid-type]
        def fetchall(self) -> list:
            return list(super().fetchall())

        def fetchmany(self, size: Optional[int] = None) -> list:
            return list(super().fetchmany(size))

    return ListRowsCursor


def import_driver(names: Sequence[str]) -> Any:
    """The first of the modules ``names`` that imports."""
    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImproperlyConfigured(
        'MySQLDatabase needs a MySQL driver: pip install "orm[mysql]" (or pip install '
        'pymysql; mysqlclient also works)')


class MySQLDatabase(IsolationLevelBlocks, Database):
    """MySQL or MariaDB through ``pymysql`` (``MySQLdb`` of ``mysqlclient`` when pymysql
    is not installed).

    :param database: the database (schema) name.
    :param mariadb: whether the server is MariaDB; by default the server's version
        string says so once connected.
    :param sql_mode: the session's ``sql_mode``, as given; by default the server's.
    :param charset: the connection's character set (``utf8mb4``).
    :param isolation_level: default isolation level of transactions (``'SERIALIZABLE'``,
        ``'READ COMMITTED'`` ...; ``None``: the server's).
    :param kwargs: :class:`Database` options and the driver's ``connect()`` arguments
        (``host``, ``port``, ``user``, ``password`` ...).

    ``server_version`` is the server's version as a tuple, ``(10, 11, 6)``, once
    connected.
    """

    dialect_class = MySQLDialect
    json_methods_class: type = MySQLJSONMethods
    _exception_wrapper = MySQLExceptionWrapper()
    #: the driver modules tried, in order (a subclass names its own)
    driver_names: tuple = MYSQL_DRIVERS
    #: the keyword naming the database in the driver's ``connect()``
    database_keyword = 'database'

    def __init__(self, database: Optional[str], *args: Any, **kwargs: Any) -> None:
        self._mariadb: Optional[bool] = None
        self._sql_mode: Optional[str] = None
        self._isolation_level: Optional[str] = None
        self._driver: Any = None
        self._cursor_class: Any = None
        super().__init__(database, *args, **kwargs)

    def init(self, database: Optional[str], mariadb: Optional[bool] = None,
             sql_mode: Optional[str] = None, isolation_level: Any = None,
             **kwargs: Any) -> None:
        """Set the database name, connection options and driver arguments."""
        self._mariadb = mariadb
        self._sql_mode = sql_mode
        self._isolation_level = isolation_level_sql(isolation_level)
        kwargs.setdefault('charset', 'utf8mb4')
        super().init(database, **kwargs)
        self.dialect.set_server_version(self.server_version, mariadb)

    # -- the server --------------------------------------------------------------------
    @property
    def server_version(self) -> Optional[tuple]:   # type: ignore[override]
        """The server's version, ``(10, 11, 6)``; ``None`` before connecting."""
        return self.__dict__.get('_server_version')

    @server_version.setter
    def server_version(self, version: Any) -> None:
        if isinstance(version, str):
            version = parse_mysql_version(version)
        self.__dict__['_server_version'] = version
        dialect = self.__dict__.get('dialect')
        if dialect is not None:
            dialect.set_server_version(version, self.__dict__.get('_mariadb'))

    @property
    def mariadb(self) -> Optional[bool]:
        """Whether the server is MariaDB (``None`` while unknown)."""
        return self.dialect.mariadb

    @mariadb.setter
    def mariadb(self, value: Optional[bool]) -> None:
        self._mariadb = value
        self.dialect.set_server_version(self.server_version, value)

    @property
    def driver(self) -> Any:
        """The DB-API module in use (imported on first use)."""
        if self._driver is None:
            self._driver = import_driver(self.driver_names)
            self._cursor_class = _list_rows_cursor(self._driver)
        return self._driver

    # -- connections -------------------------------------------------------------------
    def _driver_connect(self, database: str, params: dict) -> Any:
        driver = self.driver
        keyword = 'db' if driver.__name__ == 'MySQLdb' else self.database_keyword
        params = dict(params)
        if 'passwd' in params and driver.__name__ == 'pymysql':
            params.setdefault('password', params.pop('passwd'))
        params[keyword] = database
        params['autocommit'] = True
        if self._cursor_class is not None:
            params.setdefault('cursorclass', self._cursor_class)
        if self._sql_mode is not None:
            params['sql_mode'] = self._sql_mode
        return driver.connect(**params)

    def _connect(self) -> Any:
        return self._driver_connect(self.database or '', self.connect_params)

    def _set_server_version(self, conn: Any) -> None:
        text = conn.get_server_info()
        if isinstance(text, bytes):
            text = text.decode('utf-8', 'replace')
        if self._mariadb is None and 'mariadb' in text.lower():
            self._mariadb = True
        elif self._mariadb is None:
            self._mariadb = False
        self.server_version = parse_mysql_version(text)

    def _driver_in_transaction(self, conn: Any) -> bool:
        if not self._connection_open(conn):
            return False      # a dropped connection's transaction is gone with it
        status = getattr(conn, 'server_status', None)
        if isinstance(status, int):
            return bool(status & _SERVER_STATUS_IN_TRANS)
        return bool(getattr(conn, 'in_transaction', False))

    def is_connection_usable(self) -> bool:
        conn = self._state.conn
        return conn is not None and self._connection_open(conn)

    def _close(self, conn: Any) -> None:
        if self._connection_open(conn):
            conn.close()

    @staticmethod
    def _connection_open(conn: Any) -> bool:
        is_open = getattr(conn, 'open', None)
        if is_open is None:
            is_connected = getattr(conn, 'is_connected', None)
            return bool(is_connected()) if callable(is_connected) else True
        return bool(is_open() if callable(is_open) else is_open)

    def rollback(self) -> None:
        """Roll back the open transaction, if any.  On a connection the server has
        dropped (killed, timed out) there is nothing left to roll back: the server
        discarded the transaction with it, and the error that revealed the loss stands."""
        conn = self._open_connection_for('rollback')
        if self._connection_open(conn):
            super().rollback()

    def get_binary_type(self) -> Any:
        return getattr(self.driver, 'Binary', bytes)

    def get_noop_select(self, ctx: Any = None) -> Any:
        sql = 'SELECT 0 FROM DUAL WHERE 0'
        if ctx is None:
            return sql
        return ctx.literal(sql)

    # -- transactions ------------------------------------------------------------------
    @property
    def isolation_level(self) -> Optional[str]:
        """Default isolation level of transactions (``None`` = the server's)."""
        return self._isolation_level

    def begin(self, isolation_level: Any = None) -> None:
        """``BEGIN``, after ``SET TRANSACTION ISOLATION LEVEL ...`` when a level is
        given (or set on the database)."""
        level = isolation_level_sql(isolation_level) or self._isolation_level
        if level:
            self.execute_sql('SET TRANSACTION ISOLATION LEVEL %s' % level)
        self.execute_sql('BEGIN')

    # -- introspection -----------------------------------------------------------------
    def get_tables(self, schema: Optional[str] = None) -> list:
        cursor = self.execute_sql(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = COALESCE(%s, DATABASE()) AND table_type = 'BASE TABLE' "
            "ORDER BY table_name", (schema,))
        return [row[0] for row in cursor.fetchall()]

    def get_views(self, schema: Optional[str] = None) -> list:
        cursor = self.execute_sql(
            "SELECT table_name, view_definition FROM information_schema.views "
            "WHERE table_schema = COALESCE(%s, DATABASE()) ORDER BY table_name", (schema,))
        return [ViewMetadata(name, 'CREATE VIEW %s AS %s' % (self.quote_identifier(name),
                                                            definition))
                for name, definition in cursor.fetchall()]

    def get_columns(self, table: str, schema: Optional[str] = None) -> list:
        cursor = self.execute_sql(
            "SELECT column_name, is_nullable, data_type, column_default, column_type, "
            "column_key, extra FROM information_schema.columns "
            "WHERE table_name = %s AND table_schema = COALESCE(%s, DATABASE()) "
            "ORDER BY ordinal_position", (table, schema))
        return [ColumnMetadata(name, data_type, nullable == 'YES', key == 'PRI', table,
                               _column_default(default), full_type,
                               'auto_increment' in (extra or '').lower())
                for name, nullable, data_type, default, full_type, key, extra
                in cursor.fetchall()]

    def get_primary_keys(self, table: str, schema: Optional[str] = None) -> list:
        cursor = self.execute_sql(
            "SELECT column_name FROM information_schema.key_column_usage "
            "WHERE table_name = %s AND table_schema = COALESCE(%s, DATABASE()) "
            "AND constraint_name = 'PRIMARY' ORDER BY ordinal_position", (table, schema))
        return [row[0] for row in cursor.fetchall()]

    def get_indexes(self, table: str, schema: Optional[str] = None) -> list:
        cursor = self.execute_sql(
            "SELECT index_name, non_unique, column_name, sub_part, index_type "
            "FROM information_schema.statistics "
            "WHERE table_name = %s AND table_schema = COALESCE(%s, DATABASE()) "
            "ORDER BY index_name, seq_in_index", (table, schema))
        found: dict = {}
        for name, non_unique, column, sub_part, index_type in cursor.fetchall():
            entry = found.setdefault(name, {'unique': not int(non_unique), 'columns': [],
                                            'parts': [], 'type': index_type})
            entry['columns'].append(column)
            entry['parts'].append(self.quote_identifier(column) +
                                  ('(%d)' % sub_part if sub_part else ''))
        indexes = []
        for name, entry in sorted(found.items()):
            sql = 'CREATE %sINDEX %s ON %s (%s)' % (
                'UNIQUE ' if entry['unique'] else '', self.quote_identifier(name),
                self.quote_identifier(table), ', '.join(entry['parts']))
            indexes.append(IndexMetadata(name, sql, entry['columns'], entry['unique'], table))
        return indexes

    def get_foreign_keys(self, table: str, schema: Optional[str] = None) -> list:
        cursor = self.execute_sql(
            "SELECT k.column_name, k.referenced_table_name, k.referenced_column_name, "
            "k.constraint_name, r.delete_rule, r.update_rule "
            "FROM information_schema.key_column_usage k "
            "JOIN information_schema.referential_constraints r "
            "  ON r.constraint_schema = k.table_schema "
            "  AND r.constraint_name = k.constraint_name AND r.table_name = k.table_name "
            "WHERE k.table_name = %s AND k.table_schema = COALESCE(%s, DATABASE()) "
            "AND k.referenced_table_name IS NOT NULL "
            "ORDER BY k.constraint_name, k.ordinal_position", (table, schema))
        return [ForeignKeyMetadata(column, dest_table, dest_column, table, name,
                                   on_delete, on_update)
                for column, dest_table, dest_column, name, on_delete, on_update
                in cursor.fetchall()]

    def sequence_exists(self, seq: str) -> bool:
        raise NotSupportedError('sequences are not supported on MySQL / MariaDB in orm')

    def set_time_zone(self, timezone: str) -> None:
        """Set the session time zone of the current connection (``'+00:00'``,
        ``'UTC'`` where the server has its time-zone tables)."""
        self.execute_sql('SET time_zone = %s', (timezone,))


def _column_default(default: Any) -> Any:
    """A column default as MariaDB reports it (``NULL`` for none, literals quoted) in
    the form MySQL does: ``None`` for no default, literals bare."""
    if default is None or default == 'NULL':
        return None
    if isinstance(default, str) and len(default) >= 2 and default[0] == default[-1] == "'":
        return default[1:-1].replace("''", "'")
    return default
