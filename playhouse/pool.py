"""Pooled databases: ``connect()`` takes a driver connection out of a pool, ``close()``
puts it back for the next thread, so connections are reused rather than reopened.

One connection per thread at a time still holds, so code that connects when a request
starts and closes when it ends works unchanged::

    from playhouse.pool import PooledSqliteDatabase

    db = PooledSqliteDatabase('app.db', max_connections=4, timeout=5)

    with db.connection_context():      # taken from the pool here ...
        ...                            # ... given back here

Every pooled class takes three options:

* ``max_connections`` -- the most connections open at once, idle and busy together
  (20 by default; ``None`` lifts the limit).
* ``stale_timeout`` -- a connection older than this many seconds is closed rather than
  handed out again (looked at when it goes in or out of the pool; ``None``: never).
* ``timeout`` -- when all connections are busy, how long ``connect()`` waits for one to
  come back before it raises :class:`MaxConnectionsExceeded`; ``None`` (the default)
  does not wait, ``0`` waits without limit.

A connection given back inside an open transaction (a ``db.begin()`` never finished, or
an error state) is rolled back first; one that is closed, broken or was killed by the
server is dropped and never handed out again.

Here: the mixin :class:`PooledDatabase` (defined in :mod:`playhouse._pooling`),
:class:`PooledSqliteDatabase`, :class:`PooledSqliteExtDatabase`,
:class:`PooledPostgresqlDatabase` and, as in peewee 3,
:class:`~playhouse.postgres_ext.PooledPostgresqlExtDatabase`. The CockroachDB pool is
``playhouse.cockroachdb.PooledCockroachDatabase``.
"""
from __future__ import annotations

from typing import Any, Optional

from orm import MySQLDatabase, PostgresqlDatabase, SqliteDatabase

from playhouse._pooling import (MaxConnectionsExceeded, PoolConnection, PooledDatabase,
                                _socket_readable, locked, make_int)
# peewee 3 also offers the extension databases' pooled classes here
from playhouse.postgres_ext import PooledPostgresqlExtDatabase
from playhouse.sqlite_ext import SqliteExtDatabase

__all__ = ['MaxConnectionsExceeded', 'PoolConnection', 'PooledCSqliteExtDatabase',
           'PooledDatabase', 'PooledMySQLDatabase', 'PooledPostgresqlDatabase',
           'PooledPostgresqlExtDatabase', 'PooledSqliteDatabase', 'PooledSqliteExtDatabase',
           'locked', 'make_int']


class _ConnectionsChangeThreads:
    """A pooled SQLite connection is checked in by one thread and out by another, so
    it is opened with ``check_same_thread=False`` (one thread at a time still uses it)."""

    def init(self, database: Optional[str], *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault('check_same_thread', False)
        super().init(database, *args, **kwargs)  # type: ignore[misc]


class PooledSqliteDatabase(_ConnectionsChangeThreads, PooledDatabase, SqliteDatabase):
    """:class:`orm.SqliteDatabase` with a pool of connections (opened with
    ``check_same_thread=False``: each moves between threads, used by one at a time)."""


class PooledPostgresqlDatabase(PooledDatabase, PostgresqlDatabase):
    """:class:`orm.PostgresqlDatabase` with a pool of connections."""


class PooledMySQLDatabase(PooledDatabase, MySQLDatabase):
    """:class:`orm.MySQLDatabase` with a pool of connections.  A connection the server
    has dropped (killed, timed out: its socket reads end-of-file) is discarded instead
    of being handed out."""

    def _is_closed(self, conn: Any) -> bool:
        if not self._connection_open(conn):
            return True
        sock = getattr(conn, '_sock', None)          # pymysql
        if sock is None:
            return super()._is_closed(conn)
        try:
            return _socket_readable(sock.fileno())
        except (OSError, ValueError):
            return True


class PooledSqliteExtDatabase(_ConnectionsChangeThreads, PooledDatabase, SqliteExtDatabase):
    """:class:`playhouse.sqlite_ext.SqliteExtDatabase` with a pool of connections
    (opened with ``check_same_thread=False``, as :class:`PooledSqliteDatabase`'s)."""


#: peewee's name for the pooled database of its C SQLite extension
PooledCSqliteExtDatabase = PooledSqliteExtDatabase
