"""MySQL and MariaDB on other drivers, MySQL's JSON column and full-text ``MATCH``.

* :class:`MySQLConnectorDatabase` -- :class:`orm.MySQLDatabase` on Oracle's
  ``mysql-connector-python`` (``pip install mysql-connector-python``);
* :class:`MariaDBConnectorDatabase` -- on MariaDB's ``mariadb`` connector (``pip install
  mariadb``, which builds against MariaDB Connector/C); without it, connecting raises an
  ``ImportError`` that says what to install;
* the pooled variants of both;
* :class:`JSONField` -- a ``JSON`` column (the core :class:`orm.JSONField` already
  speaks MySQL's ``JSON_*`` functions on a MySQL database);
* :func:`Match` -- ``MATCH (columns) AGAINST (text [modifier])`` for ``FULLTEXT``
  indexes.
"""
from __future__ import annotations

from typing import Any, Optional

from orm import SQL, ImproperlyConfigured, MySQLDatabase, NodeList, Value
from orm import JSONField as _CoreJSONField

from playhouse.pool import PooledMySQLDatabase

__all__ = ['MySQLConnectorDatabase', 'MariaDBConnectorDatabase',
           'PooledMySQLConnectorDatabase', 'PooledMariaDBConnectorDatabase', 'JSONField',
           'Match', 'DriverNotInstalled']


class DriverNotInstalled(ImproperlyConfigured, ImportError):
    """The database's driver package is not installed."""


class _PercentUnescaped:
    """A driver cursor that reads ``%%`` as ``%`` in statements run without parameters
    (orm writes a literal ``%`` as ``%%``; these drivers substitute only when given
    parameters)."""

    __slots__ = ('_cursor',)

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Any = None) -> Any:
        if not params:
            return self._cursor.execute(sql.replace('%%', '%'))
        return self._cursor.execute(sql, tuple(params))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def __iter__(self) -> Any:
        return iter(self._cursor)


class _OtherDriver(MySQLDatabase):
    """A MySQL database on a driver whose cursors need :class:`_PercentUnescaped`."""

    #: what to ``pip install`` for the driver
    package = ''

    @property
    def driver(self) -> Any:
        try:
            return super().driver
        except ImproperlyConfigured:
            raise DriverNotInstalled(
                '%s needs the %r module: pip install %s' % (
                    type(self).__name__, self.driver_names[0], self.package)) from None

    def _driver_in_transaction(self, conn: Any) -> bool:
        return bool(getattr(conn, 'in_transaction', False))

    @staticmethod
    def _connection_open(conn: Any) -> bool:
        return getattr(conn, '_orm_closed', False) is False

    def _close(self, conn: Any) -> None:
        conn._orm_closed = True
        conn.close()

    def cursor(self, commit: Any = None, named_cursor: Optional[str] = None) -> Any:
        return _PercentUnescaped(super().cursor())

    def _set_server_version(self, conn: Any) -> None:
        info = getattr(conn, 'server_info', None)
        if not isinstance(info, str):
            info = conn.get_server_info()
        if self._mariadb is None:
            self._mariadb = 'mariadb' in info.lower()
        self.server_version = info


class MySQLConnectorDatabase(_OtherDriver):
    """:class:`orm.MySQLDatabase` on ``mysql-connector-python``."""

    driver_names = ('mysql.connector',)
    package = 'mysql-connector-python'

    def _driver_connect(self, database: str, params: dict) -> Any:
        params = dict(params)
        if 'passwd' in params:
            params.setdefault('password', params.pop('passwd'))
        params.update(database=database, autocommit=True)
        if self._sql_mode is not None:
            params['sql_mode'] = self._sql_mode
        return self.driver.connect(**params)


class MariaDBConnectorDatabase(_OtherDriver):
    """:class:`orm.MySQLDatabase` on MariaDB's ``mariadb`` connector.  The connector
    always talks ``utf8mb4`` and takes no ``charset``, ``sql_mode`` or ``use_unicode``
    argument (they are left out)."""

    driver_names = ('mariadb',)
    package = 'mariadb'

    def _driver_connect(self, database: str, params: dict) -> Any:
        params = {key: value for key, value in params.items()
                  if key not in ('charset', 'sql_mode', 'use_unicode')}
        if 'passwd' in params:
            params.setdefault('password', params.pop('passwd'))
        params.update(database=database, autocommit=True)
        return self.driver.connect(**params)


class PooledMySQLConnectorDatabase(PooledMySQLDatabase, MySQLConnectorDatabase):
    """:class:`MySQLConnectorDatabase` with a pool of connections."""


class PooledMariaDBConnectorDatabase(PooledMySQLDatabase, MariaDBConnectorDatabase):
    """:class:`MariaDBConnectorDatabase` with a pool of connections."""


class JSONField(_CoreJSONField):
    """A ``JSON`` column (on MariaDB a ``LONGTEXT`` checked to hold valid JSON)."""

    field_type = 'JSON'


def Match(columns: Any, expr: str, modifier: Optional[str] = None) -> NodeList:
    """``MATCH (columns) AGAINST (expr [modifier])``: full-text search over the columns
    of a ``FULLTEXT`` index, e.g. ``modifier='IN BOOLEAN MODE'``."""
    if isinstance(columns, (list, tuple)):
        targets = NodeList(columns, ', ', parens=True)
    else:
        targets = NodeList((columns,), parens=True)
    against: list = [Value(expr, converter=False)]
    if modifier:
        against.append(SQL(modifier))
    return NodeList((SQL('MATCH'), targets, SQL('AGAINST'),
                     NodeList(against, parens=True)))
