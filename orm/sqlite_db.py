"""SQLite databases on the standard library's ``sqlite3`` driver: pragmas, user functions,
aggregates, collations and window functions registered on every connection, introspection."""
from __future__ import annotations

import datetime
import functools
import re
import sqlite3
from typing import Any, Callable, Optional

from .sqlite_rank import RANK_FUNCTIONS
from .database import (SENTINEL, ColumnMetadata, Database, ForeignKeyMetadata, IndexMetadata,
                       ViewMetadata, log_statement, set_up_or_close)
from .dialects.sqlite import SqliteDialect
from .exceptions import ImproperlyConfigured, NotSupportedError, OperationalError
from .json_methods import SqliteJSONMethods
from .sql.nodes import ColumnBase, Value
from .transactions import _atomic, _transaction

__all__ = ['SqliteDatabase']

_IDENT_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
_PRAGMA_WORD_RE = re.compile(r'^-?[A-Za-z0-9_.]+$')
_LOCK_TYPES = ('DEFERRED', 'IMMEDIATE', 'EXCLUSIVE')


def _pragma_value(value: Any) -> str:
    if value is None or value is False:
        return '0'
    if value is True:
        return '1'
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if _PRAGMA_WORD_RE.match(text):
        return text
    return "'%s'" % text.replace("'", "''")


def _lock_type(value: Any, option: str) -> str:
    """``value`` as the keyword of ``BEGIN <lock type>`` (any case given), or a clear
    error naming ``option``."""
    lock = value.upper() if isinstance(value, str) else None
    if lock not in _LOCK_TYPES:
        raise ValueError('%s must be one of %s (in any case), got %r'
                         % (option, ', '.join(_LOCK_TYPES), value))
    return lock


def _parse_datetime(value: Any) -> Optional[datetime.datetime]:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day)
    if isinstance(value, datetime.time):
        return datetime.datetime.combine(datetime.date(1900, 1, 1), value)
    if isinstance(value, bytes):
        value = value.decode('utf-8', 'replace')
    text = str(value).strip()
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.datetime.combine(datetime.date(1900, 1, 1),
                                         datetime.time.fromisoformat(text))
    except ValueError:
        return None


_DATE_PARTS = ('year', 'month', 'day', 'hour', 'minute', 'second')


def _sqlite_date_part(lookup: str, value: Any) -> Any:
    """``date_part(lookup, value)``: one field of a date/time stored as text."""
    dt = _parse_datetime(value)
    if dt is None or lookup is None:
        return None
    lookup = str(lookup).lower()
    if lookup in _DATE_PARTS:
        return getattr(dt, lookup)
    if lookup in ('dow', 'weekday'):
        return (dt.weekday() + 1) % 7
    if lookup == 'doy':
        return dt.timetuple().tm_yday
    if lookup == 'week':
        return dt.isocalendar()[1]
    if lookup == 'quarter':
        return (dt.month - 1) // 3 + 1
    return None


_TRUNC_FORMATS = {
    'year': '%Y-01-01 00:00:00',
    'month': '%Y-%m-01 00:00:00',
    'day': '%Y-%m-%d 00:00:00',
    'hour': '%Y-%m-%d %H:00:00',
    'minute': '%Y-%m-%d %H:%M:00',
    'second': '%Y-%m-%d %H:%M:%S',
}


def _sqlite_date_trunc(lookup: str, value: Any) -> Any:
    """``date_trunc(lookup, value)``: a date/time truncated to ``lookup``, as text."""
    dt = _parse_datetime(value)
    if dt is None or lookup is None:
        return None
    lookup = str(lookup).lower()
    if lookup == 'quarter':
        text = '%04d-%02d-01 00:00:00' % (dt.year, (dt.month - 1) // 3 * 3 + 1)
    else:
        fmt = _TRUNC_FORMATS.get(lookup)
        if fmt is None:
            return None
        text = dt.strftime(fmt)
    if dt.tzinfo is None:
        return text
    # an aware value is cut in its own offset, and keeps it
    cut = datetime.datetime.strptime(text, '%Y-%m-%d %H:%M:%S')
    return cut.replace(tzinfo=dt.tzinfo).isoformat(' ')


@functools.lru_cache(maxsize=256)
def _compile_regex(pattern: str) -> 're.Pattern':
    return re.compile(pattern)


def _sqlite_regexp(pattern: Any, value: Any) -> Any:
    """``value REGEXP pattern`` (SQLite calls ``regexp(pattern, value)``)."""
    if pattern is None or value is None:
        return None
    if isinstance(pattern, bytes):
        pattern = pattern.decode('utf-8', 'replace')
    if isinstance(value, bytes):
        value = value.decode('utf-8', 'replace')
    elif not isinstance(value, str):
        value = str(value)
    return 1 if _compile_regex(str(pattern)).search(value) else 0


def _collated(name: str, expr: Any) -> Any:
    """``expr COLLATE name`` (a plain value is bound as a parameter)."""
    node = expr if isinstance(expr, ColumnBase) else Value(expr, unpack=False)
    return node.collate(name)


class _PragmaAttribute:
    """``db.cache_size`` and the like: reading runs ``PRAGMA name``, assigning runs
    ``PRAGMA name = value``, on the calling thread's connection."""

    def __init__(self) -> None:
        self.name = ''

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.__doc__ = 'The %s pragma of the open connection.' % name

    def __get__(self, db: Any, owner: Optional[type] = None) -> Any:
        return self if db is None else db.pragma(self.name)

    def __set__(self, db: Any, value: Any) -> None:
        db.pragma(self.name, value)


def _first_value(cursor: Any) -> Any:
    """The first column of the first row of ``cursor``; ``None`` when there is no row."""
    for row in cursor:
        return row[0]
    return None


#: the user-defined SQL objects a SqliteDatabase installs on each connection, by kind:
#: the method creating one (``None`` for the callable drops it again)
_UDF_CREATORS = {
    'function': '_create_function',
    'aggregate': '_create_aggregate',
    'collation': '_create_collation',
    'window': '_create_window_function',
}


class SqliteDatabase(Database):
    """SQLite through the standard library's :mod:`sqlite3` driver.

    :param database: file name, or ``':memory:'``.
    :param pragmas: dict or sequence of ``(name, value)`` pairs applied on every
        new connection, e.g. ``{'journal_mode': 'wal', 'foreign_keys': 1}``.
    :param timeout: busy timeout in seconds.
    :param returning_clause: ``True``: inserts read their new primary keys with
        ``RETURNING`` (SQLite 3.35+), as on PostgreSQL -- ``insert().execute()`` gives the
        key (a tuple for a composite key), ``insert_many()`` the rows of keys; ``False``:
        no ``RETURNING`` at all.  Left out, ``returning()`` works on SQLite 3.35+ and
        inserts report ``lastrowid``.
    :param kwargs: :class:`Database` options and :func:`sqlite3.connect` arguments.

    User-defined functions, aggregates, collations, window functions and table
    functions are registered on the open connection and on every later one.  A
    ``regexp`` function is always registered, so ``x REGEXP 'pattern'`` works, together
    with ``date_part(lookup, value)`` and ``date_trunc(lookup, value)``.
    """

    dialect_class = SqliteDialect
    #: the JSON vocabulary of JSONField on this engine
    json_methods_class: type = SqliteJSONMethods
    server_version_info: tuple = sqlite3.sqlite_version_info

    def __init__(self, database: Optional[str], *args: Any, **kwargs: Any) -> None:
        # what every new connection gets, in this order: attached databases, pragmas,
        # user-defined SQL objects (in registration order), extensions
        self._attached: dict[str, str] = {}
        self._pragmas: Any = ()
        #: (kind, name) -> the arguments of its creator (see _UDF_CREATORS); kind
        #: 'table' holds table-function classes, which register themselves
        self._udfs: dict[tuple[str, str], tuple] = {}
        self._extensions: dict[str, None] = {}
        self._timeout: float = 5
        #: how the transactions orm begins take their lock (see :ref:`transaction-mode`)
        self.transaction_mode: Optional[str] = None
        rank_functions = kwargs.pop('rank_functions', False)
        for option in ('c_extensions', 'regexp_function', 'bloomfilter',
                       'json_contains'):     # playhouse.sqlite_ext's; nothing to do here
            kwargs.pop(option, None)
        super().__init__(database, *args, **kwargs)
        self.server_version = sqlite3.sqlite_version_info
        self.dialect.server_version = sqlite3.sqlite_version_info
        self.register_function(_sqlite_regexp, 'regexp', 2, deterministic=True)
        self.register_function(_sqlite_date_part, 'date_part', 2, deterministic=True)
        self.register_function(_sqlite_date_trunc, 'date_trunc', 2, deterministic=True)
        if rank_functions:           # FTS3/4 relevance (FTSModel.search() and friends)
            for name, function in RANK_FUNCTIONS.items():
                self.register_function(function, name)

    def init(self, database: Optional[str], pragmas: Any = None, timeout: Optional[float] = 5,
             returning_clause: Optional[bool] = None, transaction_mode: Optional[str] = None,
             **kwargs: Any) -> None:
        """Set the database file and driver arguments; ``pragmas``, ``timeout``,
        ``returning_clause`` and ``transaction_mode`` replace the current settings when
        given."""
        if transaction_mode is not None:
            self.transaction_mode = _lock_type(transaction_mode, 'transaction_mode')
        if pragmas is not None:
            self._pragmas = self._checked_pragmas(pragmas)
        self._timeout = self._timeout if timeout is None else timeout
        if returning_clause is not None:
            # asked for by name: inserts then read their new keys with RETURNING, as on
            # PostgreSQL (peewee's meaning of the option)
            self.returning_clause = returning_clause
            self.dialect.insert_returns_pk = bool(returning_clause)
        if not getattr(self, 'thread_safe', True):
            kwargs.setdefault('check_same_thread', False)
        super().init(database, **kwargs)

    def _checked_pragmas(self, pragmas: Any) -> Any:
        """``pragmas`` as kept on the database: a dict becomes its list of pairs, a
        sequence of pairs is kept as given; every name is checked now, so that a typo
        fails here rather than on some later connection."""
        kept: Any = pragmas
        if isinstance(pragmas, dict):
            kept = list(pragmas.items())
        elif not isinstance(pragmas, (list, tuple)):
            kept = list(pragmas)
        for key, _value in kept:
            self._pragma_key(key)
        return kept

    # -- connections -------------------------------------------------------------------
    def _connect(self) -> Any:
        if not self.database:
            raise ImproperlyConfigured('%s needs a file name or ":memory:".'
                                       % type(self).__name__)
        return set_up_or_close(self._open_connection(), self._add_conn_hooks)

    def _open_connection(self) -> Any:
        """The driver's connection (a database on another SQLite driver overrides this)."""
        assert self.database is not None
        return sqlite3.connect(self.database, timeout=self._timeout, isolation_level=None,
                               **self.connect_params)

    def _set_server_version(self, conn: Any) -> None:
        self.server_version = sqlite3.sqlite_version_info
        self.dialect.server_version = sqlite3.sqlite_version_info

    def _add_conn_hooks(self, conn: Any) -> None:
        """Give a new connection everything registered on this database."""
        for name, filename in self._attached.items():
            self._attach_on(conn, name, filename)
        self._set_pragmas(conn)
        for (kind, name), spec in self._udfs.items():
            self._install_udf(conn, kind, name, spec)
        for extension in self._extensions:
            self._load_into(conn, extension)

    def _set_pragmas(self, conn: Any) -> None:
        for key, value in self._pragmas:
            sql = 'PRAGMA %s = %s' % (self._pragma_key(key), _pragma_value(value))
            log_statement(sql, None)
            conn.execute(sql).close()

    def _pragma_key(self, key: str, schema: Optional[str] = None) -> str:
        key = str(key)
        if '.' in key and schema is None:
            prefix, _, name = key.rpartition('.')
            if prefix.startswith('"') and prefix.endswith('"'):
                schema, key = prefix[1:-1].replace('""', '"'), name
            elif _IDENT_RE.match(prefix):
                schema, key = prefix, name
        if not _IDENT_RE.match(key):
            raise ValueError('Invalid PRAGMA name: %r' % key)
        if schema is not None:
            return '%s.%s' % (self.quote_identifier(schema), key)
        return key

    # The driver calls below are the only ones a database on another SQLite driver
    # (playhouse.apsw_ext) has to override; ``None`` for the callable removes it.
    @staticmethod
    def _create_function(conn: Any, name: str, fn: Optional[Callable], num_params: int,
                         deterministic: Optional[bool]) -> None:
        if deterministic and fn is not None:
            try:
                conn.create_function(name, num_params, fn, deterministic=True)
                return
            except sqlite3.NotSupportedError:
                pass
        conn.create_function(name, num_params, fn)

    @staticmethod
    def _create_aggregate(conn: Any, name: str, klass: Any, num_params: int) -> None:
        conn.create_aggregate(name, num_params, klass)

    @staticmethod
    def _create_collation(conn: Any, name: str, fn: Optional[Callable]) -> None:
        conn.create_collation(name, fn)

    @staticmethod
    def _create_window_function(conn: Any, name: str, klass: Any, num_params: int) -> None:
        create = getattr(conn, 'create_window_function', None)
        if create is None:
            raise NotSupportedError('Window functions need Python >= 3.11 with '
                                    'SQLite >= 3.25.0.')
        create(name, num_params, klass)

    def _install_udf(self, conn: Any, kind: str, name: str, spec: tuple) -> None:
        """Create one registered SQL object on ``conn`` (with ``spec[0]`` set to
        ``None``: drop it)."""
        if kind == 'table':
            if spec[0] is not None:
                spec[0].register(conn)
        else:
            getattr(self, _UDF_CREATORS[kind])(conn, name, *spec)

    def _current_conn(self) -> Any:
        return self._state.conn

    def _add_udf(self, kind: str, name: str, *spec: Any) -> None:
        self._udfs[kind, name] = spec
        conn = self._current_conn()
        if conn is not None:
            self._install_udf(conn, kind, name, spec)

    def _drop_udf(self, kind: str, name: str) -> bool:
        spec = self._udfs.pop((kind, name), None)
        if spec is None:
            return False
        conn = self._current_conn()
        if conn is not None:
            self._install_udf(conn, kind, name, (None,) + spec[1:])
        return True

    # -- pragmas -----------------------------------------------------------------------
    def pragma(self, key: str, value: Any = SENTINEL, permanent: bool = False,
               schema: Optional[str] = None) -> Any:
        """Read (no ``value``) or set a PRAGMA on the current connection.

        :param permanent: also apply the pragma to every new connection.
        :returns: the first column of the first row returned, or ``None``.
        """
        name = self._pragma_key(key, schema)
        if value is SENTINEL:
            if permanent:
                raise ValueError('A permanent pragma needs a value.')
            return _first_value(self.execute_sql('PRAGMA %s' % name))
        if permanent:
            kept = [(k, v) for k, v in self._pragmas if self._pragma_key(k) != name]
            self._pragmas = kept + [(name, value)]
        return _first_value(self.execute_sql('PRAGMA %s = %s' % (name, _pragma_value(value))))

    cache_size = _PragmaAttribute()
    foreign_keys = _PragmaAttribute()
    journal_mode = _PragmaAttribute()
    journal_size_limit = _PragmaAttribute()
    mmap_size = _PragmaAttribute()
    page_size = _PragmaAttribute()
    read_uncommitted = _PragmaAttribute()
    synchronous = _PragmaAttribute()
    wal_autocheckpoint = _PragmaAttribute()
    application_id = _PragmaAttribute()
    user_version = _PragmaAttribute()
    data_version = _PragmaAttribute()

    @property
    def timeout(self) -> float:
        """Busy timeout in seconds (applies to the open connection and new ones)."""
        return self._timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        changed, self._timeout = seconds != self._timeout, seconds
        if changed and self._current_conn() is not None:
            self.pragma('busy_timeout', int(seconds * 1000))

    # -- user-defined functions --------------------------------------------------------
    def register_function(self, fn: Callable, name: Optional[str] = None,
                          num_params: int = -1, deterministic: Optional[bool] = None) -> None:
        """Register a scalar SQL function implemented in Python."""
        self._add_udf('function', name or fn.__name__, fn, num_params, deterministic)

    def func(self, name: Optional[str] = None, num_params: int = -1,
             deterministic: Optional[bool] = None) -> Callable:
        """Decorator form of :meth:`register_function`."""
        def decorator(fn: Callable) -> Callable:
            self.register_function(fn, name, num_params, deterministic)
            return fn
        return decorator

    def register_aggregate(self, klass: type, name: Optional[str] = None,
                           num_params: int = -1) -> None:
        """Register an aggregate (a class with ``step()`` and ``finalize()``)."""
        self._add_udf('aggregate', name or klass.__name__, klass, num_params)

    def aggregate(self, name: Optional[str] = None, num_params: int = -1) -> Callable:
        """Class-decorator form of :meth:`register_aggregate`."""
        def decorator(klass: type) -> type:
            self.register_aggregate(klass, name, num_params)
            return klass
        return decorator

    def register_collation(self, fn: Callable, name: Optional[str] = None) -> None:
        """Register a collation ``fn(a, b) -> negative | 0 | positive``."""
        self._add_udf('collation', name or fn.__name__, fn)

    def collation(self, name: Optional[str] = None) -> Callable:
        """Decorator form of :meth:`register_collation`.  The decorated function also
        gets a ``collation(expr)`` attribute: ``expr COLLATE name``, for ``order_by()``
        and comparisons::

            @db.collation('ireverse')
            def ireverse(a, b): ...

            Book.select().order_by(ireverse.collation(Book.title))
        """
        def decorator(fn: Callable) -> Callable:
            collation_name = name or fn.__name__
            self.register_collation(fn, collation_name)
            setattr(fn, 'collation', functools.partial(_collated, collation_name))
            return fn
        return decorator

    def register_window_function(self, klass: type, name: Optional[str] = None,
                                 num_params: int = -1) -> None:
        """Register a window function (``step``, ``inverse``, ``value``, ``finalize``)."""
        self._add_udf('window', name or klass.__name__, klass, num_params)

    def window_function(self, name: Optional[str] = None, num_params: int = -1) -> Callable:
        """Class-decorator form of :meth:`register_window_function`."""
        def decorator(klass: type) -> type:
            self.register_window_function(klass, name, num_params)
            return klass
        return decorator

    def unregister_function(self, name: str) -> bool:
        """Remove a scalar function (new connections lack it; calls on the open one fail)."""
        return self._drop_udf('function', name)

    def unregister_aggregate(self, name: str) -> bool:
        """Remove an aggregate registered with :meth:`register_aggregate`."""
        return self._drop_udf('aggregate', name)

    def unregister_collation(self, name: str) -> bool:
        """Remove a collation registered with :meth:`register_collation`."""
        return self._drop_udf('collation', name)

    def unregister_window_function(self, name: str) -> bool:
        """Remove a window function registered with :meth:`register_window_function`."""
        return self._drop_udf('window', name)

    def register_table_function(self, klass: Any, name: Optional[str] = None) -> Any:
        """Register a table-valued function (a ``playhouse.sqlite_ext.TableFunction``
        subclass) now, if connected, and on every new connection.

        :param name: the SQL name; defaults to ``klass.name``, then the lower-cased
            class name.
        """
        if not callable(getattr(klass, 'register', None)):
            raise TypeError('register_table_function() needs a TableFunction subclass '
                            '(from playhouse.sqlite_ext), got %r' % (klass,))
        klass.name = name or getattr(klass, 'name', None) or klass.__name__.lower()
        self._add_udf('table', klass.name, klass)
        return klass

    def table_function(self, name: Optional[str] = None) -> Callable:
        """Class-decorator form of :meth:`register_table_function`."""
        def decorator(klass: type) -> type:
            return self.register_table_function(klass, name)
        return decorator

    def unregister_table_function(self, name: str) -> bool:
        """Stop registering table function ``name`` on new connections (SQLite cannot
        remove it from a connection that is already open)."""
        return self._drop_udf('table', name)

    def get_binary_type(self) -> Any:
        """``sqlite3.Binary``: the wrapper of ``bytes`` parameters."""
        return sqlite3.Binary

    # -- extensions --------------------------------------------------------------------
    @staticmethod
    def _load_into(conn: Any, extension: str) -> None:
        conn.enable_load_extension(True)
        conn.load_extension(extension)

    def load_extension(self, extension: str) -> None:
        """Load a SQLite extension now (if connected) and on every new connection.

        An extension that fails to load now is not remembered, so later connections
        do not fail on it too."""
        conn = self._current_conn()
        if conn is not None:
            with self._exception_wrapper:
                self._load_into(conn, extension)
        self._extensions[extension] = None

    def unload_extension(self, extension: str) -> None:
        """Stop loading ``extension`` on new connections."""
        self._extensions.pop(extension, None)

    # -- attached databases ------------------------------------------------------------
    def _attach_on(self, conn: Any, name: str, filename: str) -> None:
        sql = 'ATTACH DATABASE %s AS %s' % (self.param, self.quote_identifier(name))
        log_statement(sql, (filename,))
        conn.execute(sql, (filename,))

    def attach(self, filename: str, name: str) -> bool:
        """Attach the database file ``filename`` as schema ``name``, now (if connected)
        and on every new connection.

        :returns: ``False`` when it was attached under that name already.
        :raises OperationalError: ``name`` is taken by another file, or is one of
            SQLite's own schema names.
        """
        if str(name).lower() in ('main', 'temp'):
            raise OperationalError('Cannot attach a database as %r: that schema name is '
                                   'reserved by SQLite; choose another name.' % name)
        current = self._attached.get(name)
        if current is not None:
            if current != filename:
                raise OperationalError('Schema %r is taken: %r is attached under that name.'
                                       % (name, current))
            return False
        conn = self._current_conn()
        if conn is not None:
            with self._exception_wrapper:
                self._attach_on(conn, name, filename)
        self._attached[name] = filename
        return True

    def detach(self, name: str) -> bool:
        """Forget the database attached as ``name``, and detach it from the open
        connection; ``False`` when nothing is attached under that name."""
        conn = self._current_conn()
        if name in self._attached and conn is not None:
            self.execute_sql('DETACH DATABASE %s' % self.quote_identifier(name))
        return self._attached.pop(name, None) is not None

    # -- transactions ------------------------------------------------------------------
    def begin(self, lock_type: Optional[str] = None) -> None:
        """``BEGIN [DEFERRED | IMMEDIATE | EXCLUSIVE]``: ``lock_type`` when given, else
        the database's ``transaction_mode`` (plain ``BEGIN``, which is ``DEFERRED``,
        when that is not set either)."""
        if lock_type:
            self.execute_sql('BEGIN %s' % _lock_type(lock_type, 'lock_type'))
        elif self.transaction_mode:
            self.execute_sql('BEGIN %s' % self.transaction_mode)
        else:
            self.execute_sql('BEGIN')

    def atomic(self, lock_type: Optional[str] = None) -> _atomic:
        """A transaction (with ``lock_type``) when outermost, a savepoint when nested."""
        # no lock type: transaction() is called bare, so an override without it still works
        return _atomic(self, lock_type=lock_type) if lock_type else _atomic(self)

    def transaction(self, lock_type: Optional[str] = None) -> _transaction:
        """A transaction begun with ``BEGIN <lock_type>``."""
        return _transaction(self, lock_type=lock_type)

    # -- introspection -----------------------------------------------------------------
    def _master(self, schema: Optional[str]) -> str:
        if schema:
            return '%s.sqlite_master' % self.quote_identifier(schema)
        return 'sqlite_master'

    def _pragma_prefix(self, schema: Optional[str]) -> str:
        return '%s.' % self.quote_identifier(schema) if schema else ''

    def get_tables(self, schema: Optional[str] = None) -> list:
        cursor = self.execute_sql(
            "SELECT name FROM %s WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%%' "
            "ESCAPE '\\'" % self._master(schema))
        return sorted(row[0] for row in cursor.fetchall())

    def get_views(self, schema: Optional[str] = None) -> list:
        cursor = self.execute_sql(
            "SELECT name, sql FROM %s WHERE type = 'view'" % self._master(schema))
        return [ViewMetadata(name, sql) for name, sql in sorted(cursor.fetchall())]

    def _table_info(self, table: str, schema: Optional[str]) -> list:
        return self.execute_sql('PRAGMA %stable_info(%s)' % (
            self._pragma_prefix(schema), self.quote_identifier(table))).fetchall()

    def get_columns(self, table: str, schema: Optional[str] = None) -> list:
        info = self._table_info(table, schema)
        numbered = self._rowid_alias(table, schema, info)
        # SQLite keeps the type as declared, parameters included: it is both names
        return [ColumnMetadata(name, data_type, not (notnull or pk), bool(pk), table, default,
                               data_type, name == numbered)
                for _cid, name, data_type, notnull, default, pk in info]

    def _rowid_alias(self, table: str, schema: Optional[str], info: list) -> Optional[str]:
        """The column that names the rowid (so SQLite numbers it): the one primary-key
        column declared ``INTEGER`` of a table that has rowids, else ``None``."""
        keys = [row for row in info if row[5]]
        if len(keys) != 1 or str(keys[0][2]).upper() != 'INTEGER':
            return None
        # a key SQLite keeps in an index of its own (origin 'pk') is not the rowid: the
        # table is WITHOUT ROWID
        index_list = self.execute_sql('PRAGMA %sindex_list(%s)' % (
            self._pragma_prefix(schema), self.quote_identifier(table))).fetchall()
        if any(len(row) > 3 and row[3] == 'pk' for row in index_list):
            return None
        return keys[0][1]

    def get_primary_keys(self, table: str, schema: Optional[str] = None) -> list:
        rows = [row for row in self._table_info(table, schema) if row[5]]
        return [row[1] for row in sorted(rows, key=lambda row: row[5])]

    def _home_schema(self, table: str) -> Optional[str]:
        """Where a table named without a schema lives: ``'main'``, else ``'temp'`` for a
        temporary table, else ``None`` (a table only an attached database has is not
        the database's own)."""
        row = self.execute_sql(
            "SELECT 'main' FROM sqlite_master WHERE type = 'table' AND name = ? UNION ALL "
            "SELECT 'temp' FROM sqlite_temp_master WHERE type = 'table' AND name = ?",
            (table, table)).fetchone()
        return row[0] if row else None

    def get_indexes(self, table: str, schema: Optional[str] = None) -> list:
        if schema is None:
            schema = self._home_schema(table)
            if schema is None:
                return []
        prefix = self._pragma_prefix(schema)
        sql_by_name = dict(self.execute_sql(
            "SELECT name, sql FROM %s WHERE type = 'index' AND tbl_name = %s"
            % (self._master(schema), self.param), (table,)).fetchall())
        index_list = self.execute_sql('PRAGMA %sindex_list(%s)' % (
            prefix, self.quote_identifier(table))).fetchall()
        result = []
        for row in index_list:
            name, unique = row[1], row[2]
            info = self.execute_sql('PRAGMA %sindex_info(%s)' % (
                prefix, self.quote_identifier(name))).fetchall()
            columns = [col_name for _seq, _cid, col_name in sorted(info)]
            result.append(IndexMetadata(name, sql_by_name.get(name), columns, bool(unique),
                                        table))
        return sorted(result, key=lambda index: index.name)

    def get_foreign_keys(self, table: str, schema: Optional[str] = None) -> list:
        rows = self.execute_sql('PRAGMA %sforeign_key_list(%s)' % (
            self._pragma_prefix(schema), self.quote_identifier(table))).fetchall()
        result = []
        for row in sorted(rows, key=lambda r: (r[0], r[1])):
            _id, seq, dest_table, column, dest_column, on_update, on_delete = row[:7]
            if dest_column is None:  # REFERENCES t without columns: t's primary key
                dest_pk = self.get_primary_keys(dest_table, schema)
                dest_column = dest_pk[seq] if seq < len(dest_pk) else None
            # SQLite's foreign keys have no names
            result.append(ForeignKeyMetadata(column, dest_table, dest_column, table, None,
                                             on_delete, on_update))
        return result

    def sequence_exists(self, seq: str) -> bool:
        return False


# ---------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------
