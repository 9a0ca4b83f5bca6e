"""SQLite through the `cysqlite <https://cysqlite.readthedocs.io>`_ driver.

:class:`CySqliteDatabase` is a :class:`orm.SqliteDatabase` whose connections are
``cysqlite.Connection`` objects instead of the standard library's ``sqlite3`` ones.
Everything :class:`~orm.SqliteDatabase` does works unchanged (pragmas, user-defined
functions, aggregates, window functions, collations, attached databases); on top of it
the driver's C API gives:

* table functions written as a plain callable or generator
  (:meth:`CySqliteDatabase.table_function`), or as a ``cysqlite.TableFunction``
  subclass;
* commit, rollback and update hooks, an authorizer, a statement trace (and a
  slow-query log built on it) and a progress handler -- set once on the database, they
  are installed on the open connection and on every later one;
* online backups (with a progress callback), incremental BLOB I/O and the page-cache
  counters of the connection.

:class:`PooledCySqliteDatabase` is the same with a pool of connections
(:mod:`playhouse.pool`).

The driver is an optional extra: ``pip install "orm[cysqlite]"``.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Optional, Sequence

from orm import ImproperlyConfigured, NotSupportedError, SqliteDatabase

from ._pooling import PooledDatabase
from .sqlite_ext import TableFunction as _OrmTableFunction

try:
    import cysqlite  # type: ignore[import-untyped,import-not-found,unused-ignore]
except ImportError as _error:     # pragma: no cover - exercised only without the driver
    raise ImportError(
        'playhouse.cysqlite_ext needs the cysqlite driver: pip install "orm[cysqlite]" '
        '(or pip install cysqlite)') from _error

__all__ = ['CySqliteDatabase', 'PooledCySqliteDatabase']

# the driver's SQLITE_* constants are not in its type stubs
_constants: Any = cysqlite
#: ``trace()``'s default mask: one event per finished statement, with its run time
TRACE_PROFILE: int = _constants.SQLITE_TRACE_PROFILE
_MEMORY_USED: int = _constants.SQLITE_STATUS_MEMORY_USED
_CACHE_USED: int = _constants.SQLITE_DBSTATUS_CACHE_USED
_CACHE_HIT: int = _constants.SQLITE_DBSTATUS_CACHE_HIT
_CACHE_MISS: int = _constants.SQLITE_DBSTATUS_CACHE_MISS
_CACHE_WRITE: int = _constants.SQLITE_DBSTATUS_CACHE_WRITE


def _table_function_class(source: Any, name: Optional[str], columns: Optional[Sequence],
                          params: Optional[Sequence]) -> Any:
    """The ``cysqlite.TableFunction`` subclass registered for ``source``: the class itself,
    a class adapted from ``playhouse.sqlite_ext.TableFunction``, or one generated from a
    plain callable (its SQL parameters are the callable's)."""
    if isinstance(source, type) and issubclass(source, cysqlite.TableFunction):
        klass = source
        if columns is not None:
            klass.columns = list(columns)
        if params is not None:
            klass.params = list(params)
    elif isinstance(source, type) and issubclass(source, _OrmTableFunction):
        klass = _from_orm_table_function(source)
    elif callable(source):
        if not columns:
            raise ImproperlyConfigured(
                'a table function made from the callable %r needs columns=[...], the '
                'names of the values in each row it yields' % (source,))
        generated = cysqlite.TableFunction.from_function(
            source, name=name or source.__name__,
            columns=list(columns), params=list(params) if params is not None else None)
        klass = type(generated.__name__, (generated,), {
            'get_table_columns_declaration': classmethod(_quoted_declaration),
            '__module__': generated.__module__})
    else:
        raise TypeError('register_table_function() takes a callable or a TableFunction '
                        'subclass, not %r' % (source,))
    klass.name = name or getattr(klass, 'name', None) or klass.__name__.lower()
    if not klass.columns:
        raise ImproperlyConfigured('table function %r declares no columns' % klass.name)
    return klass


def _quoted_declaration(klass: Any) -> str:
    """The columns of a table function's virtual table, names quoted (the driver leaves
    them bare, so a parameter called ``limit`` or ``order`` would not parse), its
    parameters as HIDDEN columns."""
    def quoted(name: str) -> str:
        return '"%s"' % name.replace('"', '""')
    parts = []
    for column in klass.columns:
        if isinstance(column, (tuple, list)):
            parts.append('%s %s' % (quoted(column[0]), column[1]))
        else:
            parts.append(quoted(column))
    parts.extend('%s HIDDEN' % quoted(param) for param in klass.params or ())
    return ', '.join(parts)


def _from_orm_table_function(source: type) -> Any:
    """A ``cysqlite.TableFunction`` that runs a ``playhouse.sqlite_ext.TableFunction``:
    one instance of ``source`` per query, fed the query's arguments."""
    wrapped: Any = source

    def initialize(self: Any, **arguments: Any) -> None:
        self.inner = wrapped()
        self.inner.initialize(**arguments)

    def iterate(self: Any, idx: int) -> Any:
        return self.inner.iterate(idx)

    return type(source.__name__, (cysqlite.TableFunction,), {
        'columns': list(wrapped.columns or ()), 'params': list(wrapped.params or ()),
        'name': wrapped.name, 'initialize': initialize, 'iterate': iterate,
        'get_table_columns_declaration': classmethod(_quoted_declaration),
        '__module__': source.__module__, '__doc__': source.__doc__})


class CySqliteDatabase(SqliteDatabase):
    """A SQLite database on the ``cysqlite`` driver.

    :param database: file name, or ``':memory:'``.
    :param pragmas: applied on every new connection, as on :class:`orm.SqliteDatabase`.
    :param timeout: busy timeout in seconds.
    :param rank_functions: register the FTS3/4 relevance functions (``fts_rank`` ...);
        on by default here.
    :param kwargs: :class:`orm.SqliteDatabase` options, and ``cysqlite.connect()``
        arguments (``flags``, ``vfs``, ``uri``, ``cached_statements``, ``extensions``).
    """

    server_version_info: tuple = tuple(cysqlite.sqlite_version_info)

    def __init__(self, database: Optional[str], *args: Any, **kwargs: Any) -> None:
        #: what is set again on every new connection: kind -> the driver call's arguments
        self._connection_hooks: dict[str, tuple] = {}
        kwargs.setdefault('rank_functions', True)
        super().__init__(database, *args, **kwargs)
        self._set_server_version(None)

    def init(self, database: Optional[str], *args: Any, **kwargs: Any) -> None:
        # a sqlite3 option (set by the pools); a cysqlite connection has no such check
        kwargs.pop('check_same_thread', None)
        super().init(database, *args, **kwargs)
        self.connect_params.pop('check_same_thread', None)

    # -- connections ---------------------------------------------------------------------
    def _open_connection(self) -> Any:
        assert self.database is not None
        return cysqlite.connect(self.database, timeout=self._timeout, **self.connect_params)

    def _set_server_version(self, conn: Any) -> None:
        self.server_version = tuple(cysqlite.sqlite_version_info)
        self.dialect.server_version = self.server_version

    def _add_conn_hooks(self, conn: Any) -> None:
        super()._add_conn_hooks(conn)
        for kind, arguments in self._connection_hooks.items():
            self._install_hook(conn, kind, arguments)

    def is_connection_usable(self) -> bool:
        conn = self._state.conn
        return conn is not None and not conn.is_closed()

    def get_binary_type(self) -> Any:
        return cysqlite.Binary

    # -- the driver calls SqliteDatabase registers its SQL objects with -------------------
    @staticmethod
    def _create_function(conn: Any, name: str, fn: Optional[Callable], num_params: int,
                         deterministic: Optional[bool]) -> None:
        conn.create_function(fn, name, num_params, bool(deterministic and fn is not None))

    @staticmethod
    def _create_aggregate(conn: Any, name: str, klass: Any, num_params: int) -> None:
        conn.create_aggregate(klass, name, num_params)

    @staticmethod
    def _create_collation(conn: Any, name: str, fn: Optional[Callable]) -> None:
        conn.create_collation(fn, name)

    @staticmethod
    def _create_window_function(conn: Any, name: str, klass: Any, num_params: int) -> None:
        conn.create_window_function(klass, name, num_params)

    # -- table functions -----------------------------------------------------------------
    def register_table_function(self, klass: Any, name: Optional[str] = None,
                                columns: Optional[Sequence] = None,
                                params: Optional[Sequence] = None) -> Any:
        """Register a table function now (if connected) and on every new connection.

        :param klass: a plain callable or generator function, called once per query
            with the SQL arguments and returning (or yielding) row tuples; or a
            ``cysqlite.TableFunction`` subclass (a ``playhouse.sqlite_ext.TableFunction``
            subclass is adapted to one).
        :param name: the SQL name; defaults to the function's or class's name (a class's
            ``name`` attribute first).
        :param columns: the names of the output columns (needed for a callable).
        :param params: the SQL parameters; for a callable they default to its own.
        :returns: ``klass``, unchanged.
        """
        registered = _table_function_class(klass, name, columns, params)
        self._add_udf('table', registered.name, registered)
        return klass

    def table_function(self, name: Optional[str] = None, columns: Optional[Sequence] = None,
                       params: Optional[Sequence] = None) -> Callable:
        """Decorator form of :meth:`register_table_function`; it returns what it
        decorates, so a decorated function can still be called from Python."""
        def decorator(klass: Any) -> Any:
            return self.register_table_function(klass, name, columns, params)
        return decorator

    # -- hooks ---------------------------------------------------------------------------
    @staticmethod
    def _install_hook(conn: Any, kind: str, arguments: tuple) -> None:
        getattr(conn, kind)(*arguments)

    def _set_hook(self, kind: str, fn: Optional[Callable], *options: Any) -> None:
        """Keep ``conn.<kind>(fn, *options)`` for new connections and run it on the open
        one; ``fn=None`` removes the hook from both."""
        arguments = (fn,) + options
        if fn is None:
            self._connection_hooks.pop(kind, None)
        else:
            self._connection_hooks[kind] = arguments
        conn = self._current_conn()
        if conn is not None:
            with self._exception_wrapper:
                self._install_hook(conn, kind, arguments)

    def on_commit(self, fn: Optional[Callable]) -> Optional[Callable]:
        """Call ``fn()`` whenever a transaction commits; if it raises, the commit fails
        (:class:`orm.IntegrityError`) and the transaction is rolled back.  What it
        returns is ignored.  ``None`` removes the hook.  Usable as a decorator."""
        hook: Optional[Callable] = None
        if fn is not None:
            callback = fn

            def hook() -> int:
                callback()
                return 0     # a true value would turn the commit into a rollback
        self._set_hook('commit_hook', hook)
        return fn

    def on_rollback(self, fn: Optional[Callable]) -> Optional[Callable]:
        """Call ``fn()`` whenever a transaction rolls back (``None`` removes it)."""
        self._set_hook('rollback_hook', fn)
        return fn

    def on_update(self, fn: Optional[Callable]) -> Optional[Callable]:
        """Call ``fn(query_type, db_name, table, rowid)`` for every row an INSERT, UPDATE
        or DELETE changes; ``query_type`` is ``'INSERT'``, ``'UPDATE'`` or ``'DELETE'``
        (tables WITHOUT ROWID are not reported).  ``None`` removes it."""
        self._set_hook('update_hook', fn)
        return fn

    def authorizer(self, fn: Optional[Callable]) -> Optional[Callable]:
        """Have SQLite ask ``fn(op, p1, p2, db_name, trigger_or_view)`` about each action
        of a statement being compiled; it answers ``cysqlite.SQLITE_OK``,
        ``SQLITE_IGNORE`` (the action reads NULL / does nothing) or ``SQLITE_DENY`` (the
        statement fails to compile).  ``None`` removes it."""
        self._set_hook('authorizer', fn)
        return fn

    def trace(self, fn: Optional[Callable], mask: int = TRACE_PROFILE,
              expand_sql: bool = True) -> Optional[Callable]:
        """Call ``fn(event, statement_id, sql, nanoseconds)`` on the events of ``mask``
        (``cysqlite.SQLITE_TRACE_*``; by default ``SQLITE_TRACE_PROFILE``, once per
        finished statement with its estimated run time).  ``expand_sql`` gives the SQL
        with its parameters written in.  Replaces the previous trace (and the
        slow-query log); ``None`` removes it."""
        self._set_hook('trace', fn, mask, expand_sql)
        return fn

    def slow_query_log(self, threshold_ms: float = 50, logger: Optional[str] = None,
                       level: int = logging.WARNING, expand_sql: bool = True) -> bool:
        """Log each statement that ran for ``threshold_ms`` milliseconds or more, on the
        logger named ``logger`` (``'orm.cysqlite_ext'`` by default) at ``level``.  It is
        a :meth:`trace` hook, so it replaces the trace (and is replaced by the next)."""
        log = logging.getLogger(logger or 'orm.cysqlite_ext')

        def log_slow(event: int, statement_id: int, sql: Optional[str], ns: int) -> None:
            milliseconds = ns / 1e6
            if sql and milliseconds >= threshold_ms:
                log.log(level, 'slow query (%.1f ms): %s', milliseconds, sql)
        self.trace(log_slow, TRACE_PROFILE, expand_sql)
        return True

    def progress(self, fn: Optional[Callable], n: int = 1) -> Optional[Callable]:
        """Call ``fn()`` about every ``n`` virtual-machine instructions of a running
        statement; a true return value interrupts it (:class:`orm.OperationalError`,
        ``interrupted``).  ``None`` removes it."""
        self._set_hook('progress', fn, n)
        return fn

    # -- state ---------------------------------------------------------------------------
    @property
    def autocommit(self) -> bool:
        """``True`` unless the connection is inside a transaction."""
        return bool(self.connection().autocommit())

    def changes(self) -> int:
        """Rows changed by the most recent INSERT, UPDATE or DELETE on this connection."""
        return int(self.connection().changes())

    def _db_status(self, flag: int) -> int:
        return int(self.connection().status(flag)[0])

    @property
    def memory_used(self) -> tuple:
        """``(current, highwater)`` bytes of memory in use by the SQLite library."""
        return tuple(cysqlite.status(_MEMORY_USED))

    @property
    def cache_used(self) -> int:
        """Bytes of heap used by the page cache of this thread's connection."""
        return self._db_status(_CACHE_USED)

    @property
    def cache_hit(self) -> int:
        """Page-cache hits on this thread's connection."""
        return self._db_status(_CACHE_HIT)

    @property
    def cache_miss(self) -> int:
        """Page-cache misses on this thread's connection."""
        return self._db_status(_CACHE_MISS)

    @property
    def cache_write(self) -> int:
        """Dirty pages written from the cache to the file on this thread's connection."""
        return self._db_status(_CACHE_WRITE)

    # -- backups and BLOBs ---------------------------------------------------------------
    def backup(self, destination: Any, pages: Optional[int] = None,
               name: Optional[str] = None, progress: Optional[Callable] = None) -> None:
        """Copy this database (schema ``name``, ``'main'`` by default) over
        ``destination``, another :class:`CySqliteDatabase` (or a ``cysqlite``
        connection), ``pages`` pages per step (all at once by default).
        ``progress(remaining, page_count, is_done)`` is called after each step; what it
        raises stops the backup and is raised here."""
        target = destination
        if not isinstance(destination, cysqlite.Connection):
            if not isinstance(destination, CySqliteDatabase):
                raise NotSupportedError(
                    'backup() copies into another CySqliteDatabase (both ends need the '
                    'cysqlite driver), not %r' % (destination,))
            target = destination.connection()
        with self._exception_wrapper:
            self.connection().backup(target, pages=pages, name=name, progress=progress)

    def backup_to_file(self, filename: str, pages: Optional[int] = None,
                       name: Optional[str] = None, progress: Optional[Callable] = None
                       ) -> None:
        """Copy this database into the SQLite file ``filename`` (created or replaced);
        the other arguments are :meth:`backup`'s."""
        with self._exception_wrapper:
            self.connection().backup_to_file(filename, pages=pages, name=name,
                                             progress=progress)

    def blob_open(self, table: str, column: str, rowid: int, read_only: bool = False,
                  dbname: Optional[str] = None) -> Any:
        """A ``cysqlite.Blob``: file-like, incremental I/O on the BLOB in ``column`` of
        row ``rowid`` of ``table`` (of the attached schema ``dbname``, if given).
        Writes cannot change its size; reserve it with ``zeroblob(n)``."""
        with self._exception_wrapper:
            return self.connection().blob_open(table, column, rowid, read_only, dbname)


class PooledCySqliteDatabase(PooledDatabase, CySqliteDatabase):
    """:class:`CySqliteDatabase` with a pool of connections (see :mod:`playhouse.pool`
    for ``max_connections``, ``stale_timeout`` and ``timeout``)."""

    def _is_closed(self, conn: Any) -> bool:
        try:
            return bool(conn.is_closed())
        except Exception:   # pragma: no cover - a broken handle counts as closed
            return True
