"""Database objects: connections per thread, statement execution, transactions, introspection.

``Database`` owns a dialect (SQL generation) and a DB-API driver connection per
thread.  Driver connections run in the driver's autocommit mode; transactions
are explicit ``BEGIN`` / ``COMMIT`` / ``ROLLBACK`` statements issued by the
helpers of :mod:`orm.transactions`, so outside a transaction every statement
commits by itself on every engine.

Every statement is logged to the ``orm`` logger at DEBUG level as the tuple
``(sql, params)``.
"""
from __future__ import annotations

import datetime
import functools
import itertools
import logging
import re
import sqlite3
import threading
from collections import namedtuple
from types import TracebackType
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence

from .dialects.base import Dialect
from .dialects.postgres import PostgresDialect
from .dialects.sqlite import SqliteDialect
from .exceptions import (
    ImproperlyConfigured,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    __exception_wrapper__,
)
from .transactions import _atomic, _manual_commit, _savepoint, _transaction

__all__ = [
    'logger',
    'SENTINEL',
    'ColumnMetadata',
    'IndexMetadata',
    'ForeignKeyMetadata',
    'ViewMetadata',
    'ConnectionContext',
    'Database',
    'SqliteDatabase',
    'PostgresqlDatabase',
    'Proxy',
    'DatabaseProxy',
    'chunked',
]

logger = logging.getLogger('orm')

#: Marks "argument not given" where ``None`` is a meaningful value.
SENTINEL = object()

ColumnMetadata = namedtuple(
    'ColumnMetadata', ('name', 'data_type', 'null', 'primary_key', 'table', 'default'))
IndexMetadata = namedtuple('IndexMetadata', ('name', 'sql', 'columns', 'unique', 'table'))
ForeignKeyMetadata = namedtuple(
    'ForeignKeyMetadata', ('column', 'dest_table', 'dest_column', 'table'))
ViewMetadata = namedtuple('ViewMetadata', ('name', 'sql'))


def chunked(iterable: Iterable, n: int) -> Iterator[list]:
    """Yield lists of at most ``n`` consecutive items of ``iterable``."""
    if n < 1:
        raise ValueError('chunk size must be at least 1, got %r' % (n,))
    it = iter(iterable)
    while True:
        chunk = list(itertools.islice(it, n))
        if not chunk:
            return
        yield chunk


def _quote_ident(name: str) -> str:
    return '"%s"' % str(name).replace('"', '""')


# ---------------------------------------------------------------------------------------
# Connection state
# ---------------------------------------------------------------------------------------

class _ConnectionState:
    """Connection, transaction stack and context stack of one thread."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reset()

    def reset(self) -> None:
        self.closed = True
        self.conn: Any = None
        self.ctx: list = []
        self.transactions: list = []

    def set_connection(self, conn: Any) -> None:
        self.conn = conn
        self.closed = False
        self.ctx = []
        self.transactions = []


class _ConnectionLocal(_ConnectionState, threading.local):
    """Per-thread connection state (``thread_safe=True``)."""


class _NoopLock:
    __slots__ = ()

    def __enter__(self) -> '_NoopLock':
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


class ConnectionContext:
    """Hold a connection open for a block; also usable as a decorator.

    The connection is opened on entry when the database is closed, and closed
    on exit only if this context opened it.
    """

    __slots__ = ('db', '_opened')

    def __init__(self, db: Any) -> None:
        self.db = db
        self._opened = False

    def __enter__(self) -> Any:
        if self.db.is_closed():
            self.db.connect()
            self._opened = True
        return self.db

    def __exit__(self, exc_type: Optional[type], exc_val: Optional[BaseException],
                 exc_tb: Optional[TracebackType]) -> None:
        if self._opened:
            self._opened = False
            self.db.close()

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            with ConnectionContext(self.db):
                return fn(*args, **kwargs)
        return inner


class _BoundModelsContext:
    """Bind models to a database for the duration of a block (``bind_ctx``)."""

    def __init__(self, models: Sequence, database: Any, bind_refs: bool,
                 bind_backrefs: bool) -> None:
        self.models = models
        self.database = database
        self.bind_refs = bind_refs
        self.bind_backrefs = bind_backrefs
        self._saved: list = []

    def __enter__(self) -> Sequence:
        self._saved = [(model, model._meta.database) for model in self.models]
        for model in self.models:
            model.bind(self.database, self.bind_refs, self.bind_backrefs, _exclude=set())
        return self.models

    def __exit__(self, *exc: Any) -> None:
        for model, database in self._saved:
            model.bind(database, self.bind_refs, self.bind_backrefs, _exclude=set())
        self._saved = []


def _sort_models(models: Iterable) -> list:
    """Order models so that a model comes after the models it references."""
    from .model import sort_models   # lazily: the model layer sits above this module
    return list(sort_models(models))


def _model_base(database: Any) -> type:
    base = getattr(database, '_model_base', None)
    if base is None:
        from . import Model  # lazily: orm.__init__ exports Model once models exist

        class Meta:
            pass

        Meta.database = database
        base = type('BaseModel', (Model,), {'Meta': Meta, '__module__': __name__})
        object.__setattr__(database, '_model_base', base)
    return base


class _DialectFlag:
    """A feature flag read from the dialect (settable; falls back to a default)."""

    def __init__(self, default: Any = None) -> None:
        self.default = default
        self.name = ''

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type = None) -> Any:
        if obj is None:
            return self
        value = getattr(obj.dialect, self.name, SENTINEL)
        if value is SENTINEL:
            value = obj._flag_default(self.name, self.default)
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(obj.dialect, self.name, value)


# ---------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------

class Database:
    """A database: connections per thread, statement execution and transactions.

    :param database: database name (file name for SQLite), or ``None`` to
        defer initialisation until :meth:`init` is called.
    :param thread_safe: keep connection state per thread.
    :param autorollback: roll back automatically when a statement fails
        outside an explicit transaction.
    :param field_types: extra field-type -> column-type mappings.
    :param operations: extra operation -> SQL operator mappings.
    :param autocommit: deprecated, ignored (statements outside a transaction
        always commit by themselves).
    :param autoconnect: open a connection on first use when closed.
    :param connect_kwargs: passed to the driver's ``connect()``.
    """

    dialect_class: type = Dialect
    #: Class-level field-type / operation mappings merged with the arguments.
    field_types: dict = {}
    operations: dict = {}
    #: the server's version (``None`` until known: PostgreSQL sets it on connecting)
    server_version: Any = None
    #: turns the driver's exceptions into orm's (a database on another driver, such as
    #: ``playhouse.apsw_ext``, names its own)
    _exception_wrapper: Any = __exception_wrapper__

    commit_select = _DialectFlag(False)
    compound_select_parentheses = _DialectFlag(None)
    for_update = _DialectFlag(False)
    index_schema_prefix = _DialectFlag(False)
    limit_max = _DialectFlag(None)
    nulls_ordering = _DialectFlag(False)
    returning_clause = _DialectFlag(False)
    safe_create_index = _DialectFlag(True)
    safe_drop_index = _DialectFlag(True)
    sequences = _DialectFlag(False)
    truncate_table = _DialectFlag(True)

    def __init__(self, database: Optional[str], thread_safe: bool = True,
                 autorollback: bool = False, field_types: Optional[dict] = None,
                 operations: Optional[dict] = None, autocommit: Optional[bool] = None,
                 autoconnect: bool = True, **connect_kwargs: Any) -> None:
        merged_types = dict(type(self).field_types)
        merged_types.update(field_types or {})
        merged_ops = dict(type(self).operations)
        merged_ops.update(operations or {})
        self._field_types = merged_types
        self._operations = merged_ops
        self.dialect = self.dialect_class(field_types=merged_types, operations=merged_ops)
        self.autoconnect = autoconnect
        self.autorollback = autorollback
        self.thread_safe = thread_safe
        if thread_safe:
            self._state: _ConnectionState = _ConnectionLocal()
            self._lock: Any = threading.RLock()
        else:
            self._state = _ConnectionState()
            self._lock = _NoopLock()
        self.server_version: Any = None
        self.connect_params: dict = {}
        self.database: Optional[str] = None
        self.deferred = True
        self.init(database, **connect_kwargs)

    def __repr__(self) -> str:
        return '<%s %r>' % (type(self).__name__, self.database)

    # -- configuration -----------------------------------------------------------------
    def init(self, database: Optional[str], **kwargs: Any) -> None:
        """Set (or change) the database name and driver connection arguments."""
        if not self.is_closed():
            self.close()
        self.deferred = not bool(database)
        self.database = database
        self.connect_params.update(kwargs)

    def _flag_default(self, name: str, default: Any) -> Any:
        """Value of a feature flag the dialect does not define."""
        return default

    @property
    def param(self) -> str:
        """Parameter placeholder of the driver (``'?'`` or ``'%s'``)."""
        return self.dialect.param

    @property
    def quote(self) -> str:
        """Opening and closing identifier quote characters."""
        quote = getattr(self.dialect, 'quote', None)
        if quote is None:
            char = getattr(self.dialect, 'quote_char', '"')
            quote = char * 2 if len(char) == 1 else char
        return quote

    def quote_identifier(self, name: str) -> str:
        """Quote ``name`` as an identifier, doubling embedded quotes."""
        quote = getattr(self.dialect, 'quote_identifier', None)
        if quote is None:
            return _quote_ident(name)
        return quote(name)

    def _require_init(self) -> None:
        if self.deferred:
            raise InterfaceError(
                '%s has not been initialized: call db.init(database_name, ...) '
                '(or DatabaseProxy.initialize(db)) before using it.' % type(self).__name__)

    # -- connections -------------------------------------------------------------------
    def _connect(self) -> Any:
        """Open and return a new driver connection (implemented by subclasses)."""
        raise NotImplementedError('%s cannot open connections; use SqliteDatabase or '
                                  'PostgresqlDatabase.' % type(self).__name__)

    def _close(self, conn: Any) -> None:
        conn.close()

    def _initialize_connection(self, conn: Any) -> None:
        """Hook run on every new connection."""

    def _set_server_version(self, conn: Any) -> None:
        """Hook recording the server version after connecting."""

    def _driver_in_transaction(self, conn: Any) -> bool:
        return bool(getattr(conn, 'in_transaction', True))

    def connect(self, reuse_if_open: bool = False) -> bool:
        """Open a connection for the calling thread.

        :returns: ``True`` when a connection was opened, ``False`` when one was
            already open and ``reuse_if_open`` is true.
        :raises OperationalError: when already open and not ``reuse_if_open``.
        """
        with self._lock:
            self._require_init()
            if not self._state.closed:
                if reuse_if_open:
                    return False
                raise OperationalError('Connection already opened.')
            self._state.reset()
            with self._exception_wrapper:
                conn = self._connect()
                try:
                    self._set_server_version(conn)
                    self._initialize_connection(conn)
                except BaseException:
                    try:
                        conn.close()
                    except Exception:
                        pass
                    raise
                self._state.set_connection(conn)
        return True

    def close(self) -> bool:
        """Close the calling thread's connection.

        :returns: whether a connection was closed.
        :raises OperationalError: when a transaction is open.
        """
        with self._lock:
            if self._state.closed:
                self._state.reset()
                return False
            if self.in_transaction():
                raise OperationalError(
                    'Attempting to close database while transaction is open: '
                    'commit or roll back (leave the atomic() block) first.')
            try:
                with self._exception_wrapper:
                    self._close(self._state.conn)
            finally:
                self._state.reset()
            return True

    def is_closed(self) -> bool:
        """Whether the calling thread has no open connection."""
        return self._state.closed

    def is_connection_usable(self) -> bool:
        """Whether the calling thread's connection is open and usable."""
        return not self._state.closed

    def connection(self) -> Any:
        """The calling thread's driver connection (opened if ``autoconnect``)."""
        if self.is_closed():
            self._autoconnect()
        return self._state.conn

    def _autoconnect(self) -> None:
        if not self.autoconnect:
            self._require_init()
            raise InterfaceError(
                'Error, database connection not opened: call db.connect() first '
                '(this database was created with autoconnect=False).')
        self.connect()

    def connection_context(self) -> ConnectionContext:
        """Context manager / decorator holding a connection open for a block."""
        return ConnectionContext(self)

    def __enter__(self) -> 'Database':
        if self.is_closed():
            self.connect()
        ctx = self.atomic()
        self._state.ctx.append(ctx)
        ctx.__enter__()
        return self

    def __exit__(self, exc_type: Optional[type], exc_val: Optional[BaseException],
                 exc_tb: Optional[TracebackType]) -> None:
        ctx = self._state.ctx.pop()
        try:
            ctx.__exit__(exc_type, exc_val, exc_tb)
        finally:
            if not self._state.ctx:
                self.close()

    # -- execution ---------------------------------------------------------------------
    def cursor(self, commit: Any = None, named_cursor: Optional[str] = None) -> Any:
        """A new driver cursor on the calling thread's connection."""
        if self.is_closed():
            self._autoconnect()
        return self._state.conn.cursor()

    def execute_sql(self, sql: str, params: Optional[Sequence] = None,
                    commit: Any = SENTINEL) -> Any:
        """Execute ``sql`` with bound ``params``; return the driver cursor.

        Driver errors are raised as orm's exceptions (:mod:`orm.exceptions`).
        ``commit`` is accepted for compatibility and ignored.
        """
        logger.debug((sql, params))
        with self._exception_wrapper:
            cursor = self.cursor()
            try:
                cursor.execute(sql, params or ())
            except Exception:
                # Outside managed transactions every statement commits by itself;
                # autorollback also ends a transaction begun by hand with begin().
                if self.autorollback and not self._state.transactions:
                    self.rollback()
                raise
        return cursor

    def get_context_options(self) -> dict:
        """Default options of a SQL rendering context."""
        return {}

    def get_sql_context(self, **options: Any) -> Any:
        """A new SQL rendering context of this database's dialect."""
        merged = self.get_context_options()
        merged.update(options)
        return self.dialect.context(**merged)

    def execute(self, query: Any, commit: Any = None, **context_options: Any) -> Any:
        """Compile ``query`` with the dialect and execute it; return the cursor."""
        merged = self.get_context_options()
        merged.update(context_options)
        sql, params = self.dialect.compile(query, **merged)
        return self.execute_sql(sql, params)

    def last_insert_id(self, cursor: Any, query_type: Any = None) -> Any:
        """Primary key of the row inserted by the statement run on ``cursor``."""
        return cursor.lastrowid

    def rows_affected(self, cursor: Any) -> int:
        """Number of rows changed by the statement run on ``cursor``."""
        return cursor.rowcount

    def get_noop_select(self, ctx: Any = None) -> Any:
        """A statement returning no row (``ctx.literal``-rendered when given)."""
        sql = 'SELECT 0 WHERE 0'
        if ctx is None:
            return sql
        return ctx.literal(sql)

    # -- transactions ------------------------------------------------------------------
    def in_transaction(self) -> bool:
        """Whether a transaction (or manual-commit block) is open in this thread."""
        if self._state.transactions:
            return True
        if self._state.closed:
            return False
        return self._driver_in_transaction(self._state.conn)

    def push_transaction(self, transaction: Any) -> None:
        self._state.transactions.append(transaction)

    def pop_transaction(self) -> Any:
        return self._state.transactions.pop()

    def transaction_depth(self) -> int:
        """Number of open transaction helpers (transactions and savepoints)."""
        return len(self._state.transactions)

    def top_transaction(self) -> Any:
        """The innermost open transaction helper, or ``None``."""
        if self._state.transactions:
            return self._state.transactions[-1]
        return None

    def atomic(self, *args: Any, **kwargs: Any) -> _atomic:
        """A transaction when outermost, a savepoint when nested."""
        return _atomic(self, *args, **kwargs)

    def manual_commit(self) -> _manual_commit:
        """Disable automatic transaction management inside the block."""
        return _manual_commit(self)

    def transaction(self, *args: Any, **kwargs: Any) -> _transaction:
        """A transaction (nested calls join the outermost one)."""
        return _transaction(self, *args, **kwargs)

    def savepoint(self, sid: Optional[str] = None) -> _savepoint:
        """A savepoint inside the current transaction."""
        return _savepoint(self, sid)

    def begin(self) -> None:
        """Begin a transaction by hand (see :meth:`manual_commit`)."""
        self.execute_sql('BEGIN')

    def commit(self) -> None:
        """Commit the open transaction, if any."""
        if self._state.closed:
            return
        if self._driver_in_transaction(self._state.conn):
            self.execute_sql('COMMIT')

    def rollback(self) -> None:
        """Roll back the open transaction, if any."""
        if self._state.closed:
            return
        if self._driver_in_transaction(self._state.conn):
            self.execute_sql('ROLLBACK')

    def session_start(self) -> _transaction:
        """Begin a transaction without a ``with`` block (end it with session_commit/rollback)."""
        with self._lock:
            return self.transaction().__enter__()

    def _session_end(self, commit: bool) -> bool:
        with self._lock:
            if not self._state.transactions:
                return False
            txn = self.pop_transaction()
            still_open = bool(self._state.transactions)
            if isinstance(txn, _savepoint):
                if commit:
                    txn.commit(begin=False)
                else:
                    txn.rollback()
                    txn.commit(begin=False)
            elif isinstance(txn, _transaction):
                if commit:
                    txn.commit(begin=still_open)
                else:
                    txn.rollback(begin=still_open)
            return True

    def session_commit(self) -> bool:
        """Commit the transaction begun by :meth:`session_start`."""
        return self._session_end(True)

    def session_rollback(self) -> bool:
        """Roll back the transaction begun by :meth:`session_start`."""
        return self._session_end(False)

    def batch_commit(self, it: Iterable, n: int) -> Iterator:
        """Yield the items of ``it``, each group of ``n`` inside one ``atomic()``."""
        for group in chunked(it, n):
            with self.atomic():
                for item in group:
                    yield item

    # -- introspection -----------------------------------------------------------------
    def get_tables(self, schema: Optional[str] = None) -> list:
        """Names of the tables, sorted."""
        raise NotImplementedError

    def get_views(self, schema: Optional[str] = None) -> list:
        """:class:`ViewMetadata` of the views, sorted by name."""
        raise NotImplementedError

    def get_indexes(self, table: str, schema: Optional[str] = None) -> list:
        """:class:`IndexMetadata` of the indexes of ``table``, sorted by name."""
        raise NotImplementedError

    def get_columns(self, table: str, schema: Optional[str] = None) -> list:
        """:class:`ColumnMetadata` of the columns of ``table``, in table order."""
        raise NotImplementedError

    def get_primary_keys(self, table: str, schema: Optional[str] = None) -> list:
        """Names of the primary-key columns of ``table``, in key order."""
        raise NotImplementedError

    def get_foreign_keys(self, table: str, schema: Optional[str] = None) -> list:
        """:class:`ForeignKeyMetadata` of the foreign keys of ``table``."""
        raise NotImplementedError

    def sequence_exists(self, seq: str) -> bool:
        """Whether a sequence named ``seq`` exists."""
        raise NotImplementedError

    def table_exists(self, table_name: Any, schema: Optional[str] = None) -> bool:
        """Whether a table exists; accepts a name, a model class or a table object."""
        if not isinstance(table_name, str):
            meta = getattr(table_name, '_meta', None)
            if meta is not None:
                schema = schema or getattr(meta, 'schema', None)
                table_name = meta.table_name
            else:
                table_name = getattr(table_name, '__name__', None) or str(table_name)
        return table_name in self.get_tables(schema=schema)

    # -- models ------------------------------------------------------------------------
    def create_tables(self, models: Iterable, **options: Any) -> None:
        """Create the tables of ``models``, referenced tables first."""
        options.setdefault('safe', True)
        for model in _sort_models(models):
            model.create_table(**options)

    def drop_tables(self, models: Iterable, **options: Any) -> None:
        """Drop the tables of ``models``, referencing tables first."""
        options.setdefault('safe', True)
        for model in reversed(_sort_models(models)):
            model.drop_table(**options)

    def bind(self, models: Iterable, bind_refs: bool = True,
             bind_backrefs: bool = True) -> None:
        """Bind ``models`` (and, optionally, their related models) to this database."""
        for model in models:
            model.bind(self, bind_refs=bind_refs, bind_backrefs=bind_backrefs)

    def bind_ctx(self, models: Sequence, bind_refs: bool = True,
                 bind_backrefs: bool = True) -> _BoundModelsContext:
        """Context manager binding ``models`` to this database for a block."""
        return _BoundModelsContext(models, self, bind_refs, bind_backrefs)

    @property
    def Model(self) -> type:
        """A base model class bound to this database (``class User(db.Model): ...``)."""
        return _model_base(self)

    # -- dialect helpers (SQL expressions) ---------------------------------------------
    def _dialect_helper(self, name: str, *args: Any) -> Any:
        helper = getattr(self.dialect, name, None)
        if helper is None:
            raise NotSupportedError('%s does not provide %s()' % (type(self.dialect).__name__,
                                                                  name))
        return helper(*args)

    def extract_date(self, date_part: str, date_field: Any) -> Any:
        """SQL expression extracting ``date_part`` ('year', 'month' ...) of a date."""
        return self._dialect_helper('extract_date', date_part, date_field)

    def truncate_date(self, date_part: str, date_field: Any) -> Any:
        """SQL expression truncating a date/time to ``date_part`` resolution."""
        return self._dialect_helper('truncate_date', date_part, date_field)

    def to_timestamp(self, date_field: Any) -> Any:
        """SQL expression converting a date/time to a Unix timestamp."""
        return self._dialect_helper('to_timestamp', date_field)

    def from_timestamp(self, date_field: Any) -> Any:
        """SQL expression converting a Unix timestamp to a date/time."""
        return self._dialect_helper('from_timestamp', date_field)

    def random(self) -> Any:
        """SQL expression returning a random value."""
        return self._dialect_helper('random')


# ---------------------------------------------------------------------------------------
# SQLite
# ---------------------------------------------------------------------------------------

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
        return '%04d-%02d-01 00:00:00' % (dt.year, (dt.month - 1) // 3 * 3 + 1)
    fmt = _TRUNC_FORMATS.get(lookup)
    return None if fmt is None else dt.strftime(fmt)


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


def _pragma_property(name: str, doc: str) -> property:
    def fget(self: 'SqliteDatabase') -> Any:
        return self.pragma(name)

    def fset(self: 'SqliteDatabase', value: Any) -> None:
        self.pragma(name, value)

    return property(fget, fset, doc=doc)


class SqliteDatabase(Database):
    """SQLite through the standard library's :mod:`sqlite3` driver.

    :param database: file name, or ``':memory:'``.
    :param pragmas: dict or list of ``(name, value)`` pairs applied on every
        new connection, e.g. ``{'journal_mode': 'wal', 'foreign_keys': 1}``.
    :param timeout: busy timeout in seconds.
    :param returning_clause: override whether ``RETURNING`` is used.
    :param kwargs: :class:`Database` options and :func:`sqlite3.connect` arguments.

    User-defined functions, aggregates, collations and window functions are
    registered on the open connection and on every later one.  A ``regexp``
    function is always registered, so ``x REGEXP 'pattern'`` works, together
    with ``date_part(lookup, value)`` and ``date_trunc(lookup, value)``.
    """

    dialect_class = SqliteDialect
    server_version_info: tuple = sqlite3.sqlite_version_info

    def __init__(self, database: Optional[str], *args: Any, **kwargs: Any) -> None:
        self._pragmas: list = []
        self._timeout: float = 5
        self._functions: dict = {}
        self._aggregates: dict = {}
        self._collations: dict = {}
        self._window_functions: dict = {}
        self._extensions: set = set()
        self._attached: dict = {}
        kwargs.pop('c_extensions', None)
        kwargs.pop('rank_functions', None)
        kwargs.pop('regexp_function', None)
        kwargs.pop('bloomfilter', None)
        kwargs.pop('json_contains', None)
        super().__init__(database, *args, **kwargs)
        self.server_version = sqlite3.sqlite_version_info
        self.dialect.server_version = sqlite3.sqlite_version_info
        self.register_function(_sqlite_regexp, 'regexp', 2, deterministic=True)
        self.register_function(_sqlite_date_part, 'date_part', 2, deterministic=True)
        self.register_function(_sqlite_date_trunc, 'date_trunc', 2, deterministic=True)

    def init(self, database: Optional[str], pragmas: Any = None, timeout: Optional[float] = 5,
             returning_clause: Optional[bool] = None, **kwargs: Any) -> None:
        """Set the database file, pragmas, busy timeout and driver arguments."""
        if pragmas is not None:
            items = pragmas.items() if isinstance(pragmas, dict) else pragmas
            self._pragmas = [(self._pragma_key(k), v) for k, v in items]
        if timeout is not None:
            self._timeout = timeout
        if returning_clause is not None:
            self.returning_clause = returning_clause
        if not getattr(self, 'thread_safe', True):
            kwargs.setdefault('check_same_thread', False)
        super().init(database, **kwargs)

    # -- connections -------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if not self.database:
            raise ImproperlyConfigured('SqliteDatabase needs a file name or ":memory:".')
        conn = sqlite3.connect(self.database, timeout=self._timeout, isolation_level=None,
                               **self.connect_params)
        try:
            self._add_conn_hooks(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _set_server_version(self, conn: Any) -> None:
        self.server_version = sqlite3.sqlite_version_info
        self.dialect.server_version = sqlite3.sqlite_version_info

    def _driver_in_transaction(self, conn: Any) -> bool:
        return conn.in_transaction

    def _add_conn_hooks(self, conn: sqlite3.Connection) -> None:
        for name, filename in self._attached.items():
            conn.execute('ATTACH DATABASE ? AS %s' % self.quote_identifier(name), (filename,))
        self._set_pragmas(conn)
        for name, (fn, num_params, deterministic) in self._functions.items():
            self._create_function(conn, name, fn, num_params, deterministic)
        for name, (klass, num_params) in self._aggregates.items():
            self._create_aggregate(conn, name, klass, num_params)
        for name, fn in self._collations.items():
            conn.create_collation(name, fn)
        for name, (klass, num_params) in self._window_functions.items():
            self._create_window_function(conn, name, klass, num_params)
        if self._extensions:
            conn.enable_load_extension(True)
            for extension in self._extensions:
                conn.load_extension(extension)

    def _set_pragmas(self, conn: sqlite3.Connection) -> None:
        for key, value in self._pragmas:
            sql = 'PRAGMA %s = %s' % (key, _pragma_value(value))
            logger.debug((sql, None))
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

    @staticmethod
    def _create_function(conn: sqlite3.Connection, name: str, fn: Optional[Callable],
                         num_params: int,
                         deterministic: Optional[bool]) -> None:
        if deterministic:
            try:
                conn.create_function(name, num_params, fn, deterministic=True)
                return
            except sqlite3.NotSupportedError:
                pass
        conn.create_function(name, num_params, fn)

    # The driver calls below are the only ones a database on another SQLite driver
    # (playhouse.apsw_ext) has to override; ``None`` for the callable removes it.
    @staticmethod
    def _create_aggregate(conn: sqlite3.Connection, name: str, klass: Optional[type],
                          num_params: int) -> None:
        conn.create_aggregate(name, num_params, klass)

    @staticmethod
    def _create_window_function(conn: sqlite3.Connection, name: str, klass: Any,
                                num_params: int) -> None:
        create = getattr(conn, 'create_window_function', None)
        if create is None:
            raise NotSupportedError('Window functions need Python >= 3.11 with '
                                    'SQLite >= 3.25.0.')
        create(name, num_params, klass)

    def _current_conn(self) -> Optional[sqlite3.Connection]:
        return None if self._state.closed else self._state.conn

    # -- pragmas -----------------------------------------------------------------------
    def pragma(self, key: str, value: Any = SENTINEL, permanent: bool = False,
               schema: Optional[str] = None) -> Any:
        """Read (no ``value``) or set a PRAGMA on the current connection.

        :param permanent: also apply the pragma to every new connection.
        :returns: the first column of the first row returned, or ``None``.
        """
        name = self._pragma_key(key, schema)
        sql = 'PRAGMA %s' % name
        if value is not SENTINEL:
            sql += ' = %s' % _pragma_value(value)
            if permanent:
                pragmas = dict(self._pragmas)
                pragmas[name] = value
                self._pragmas = list(pragmas.items())
        elif permanent:
            raise ValueError('A permanent pragma needs a value.')
        row = self.execute_sql(sql).fetchone()
        if row:
            return row[0]
        return None

    cache_size = _pragma_property('cache_size', 'The cache_size pragma.')
    foreign_keys = _pragma_property('foreign_keys', 'The foreign_keys pragma.')
    journal_mode = _pragma_property('journal_mode', 'The journal_mode pragma.')
    journal_size_limit = _pragma_property('journal_size_limit', 'The journal_size_limit pragma.')
    mmap_size = _pragma_property('mmap_size', 'The mmap_size pragma.')
    page_size = _pragma_property('page_size', 'The page_size pragma.')
    read_uncommitted = _pragma_property('read_uncommitted', 'The read_uncommitted pragma.')
    synchronous = _pragma_property('synchronous', 'The synchronous pragma.')
    wal_autocheckpoint = _pragma_property('wal_autocheckpoint', 'The wal_autocheckpoint pragma.')
    application_id = _pragma_property('application_id', 'The application_id pragma.')
    user_version = _pragma_property('user_version', 'The user_version pragma.')
    data_version = _pragma_property('data_version', 'The data_version pragma.')

    @property
    def timeout(self) -> float:
        """Busy timeout in seconds (applies to the open connection and new ones)."""
        return self._timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        if self._timeout == seconds:
            return
        self._timeout = seconds
        if not self.is_closed():
            self.execute_sql('PRAGMA busy_timeout = %d' % int(seconds * 1000))

    # -- user-defined functions --------------------------------------------------------
    def register_function(self, fn: Callable, name: Optional[str] = None,
                          num_params: int = -1, deterministic: Optional[bool] = None) -> None:
        """Register a scalar SQL function implemented in Python."""
        name = name or fn.__name__
        self._functions[name] = (fn, num_params, deterministic)
        conn = self._current_conn()
        if conn is not None:
            self._create_function(conn, name, fn, num_params, deterministic)

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
        name = name or klass.__name__
        self._aggregates[name] = (klass, num_params)
        conn = self._current_conn()
        if conn is not None:
            self._create_aggregate(conn, name, klass, num_params)

    def aggregate(self, name: Optional[str] = None, num_params: int = -1) -> Callable:
        """Class-decorator form of :meth:`register_aggregate`."""
        def decorator(klass: type) -> type:
            self.register_aggregate(klass, name, num_params)
            return klass
        return decorator

    def register_collation(self, fn: Callable, name: Optional[str] = None) -> None:
        """Register a collation ``fn(a, b) -> negative | 0 | positive``."""
        name = name or fn.__name__
        self._collations[name] = fn
        conn = self._current_conn()
        if conn is not None:
            conn.create_collation(name, fn)

    def collation(self, name: Optional[str] = None) -> Callable:
        """Decorator form of :meth:`register_collation`."""
        def decorator(fn: Callable) -> Callable:
            self.register_collation(fn, name)
            return fn
        return decorator

    def register_window_function(self, klass: type, name: Optional[str] = None,
                                 num_params: int = -1) -> None:
        """Register a window function (``step``, ``inverse``, ``value``, ``finalize``)."""
        name = name or klass.__name__
        self._window_functions[name] = (klass, num_params)
        conn = self._current_conn()
        if conn is not None:
            self._create_window_function(conn, name, klass, num_params)

    def window_function(self, name: Optional[str] = None, num_params: int = -1) -> Callable:
        """Class-decorator form of :meth:`register_window_function`."""
        def decorator(klass: type) -> type:
            self.register_window_function(klass, name, num_params)
            return klass
        return decorator

    def _unregister(self, registry: dict, name: str,
                    remove: Callable[[sqlite3.Connection, Any], None]) -> bool:
        entry = registry.pop(name, None)
        conn = self._current_conn()
        if entry is not None and conn is not None:
            remove(conn, entry)
        return entry is not None

    def unregister_function(self, name: str) -> bool:
        """Remove a scalar function (new connections lack it; calls on the open one fail)."""
        return self._unregister(
            self._functions, name,
            lambda conn, e: self._create_function(conn, name, None, e[1], False))

    def unregister_aggregate(self, name: str) -> bool:
        """Remove an aggregate registered with :meth:`register_aggregate`."""
        return self._unregister(
            self._aggregates, name,
            lambda conn, e: self._create_aggregate(conn, name, None, e[1]))

    def unregister_collation(self, name: str) -> bool:
        """Remove a collation registered with :meth:`register_collation`."""
        return self._unregister(self._collations, name,
                                lambda conn, e: conn.create_collation(name, None))

    def unregister_window_function(self, name: str) -> bool:
        """Remove a window function registered with :meth:`register_window_function`."""
        return self._unregister(
            self._window_functions, name,
            lambda conn, e: self._create_window_function(conn, name, None, e[1]))

    def load_extension(self, extension: str) -> None:
        """Load a SQLite extension now (if connected) and on every new connection."""
        self._extensions.add(extension)
        conn = self._current_conn()
        if conn is not None:
            with self._exception_wrapper:
                conn.enable_load_extension(True)
                conn.load_extension(extension)

    def unload_extension(self, extension: str) -> None:
        """Stop loading ``extension`` on new connections."""
        self._extensions.discard(extension)

    # -- attached databases ------------------------------------------------------------
    def attach(self, filename: str, name: str) -> bool:
        """Attach ``filename`` as schema ``name`` now and on every new connection."""
        if name in ('main', 'temp'):
            raise ValueError('Cannot attach a database named %r (reserved).' % name)
        if name in self._attached:
            if self._attached[name] == filename:
                return False
            raise OperationalError('A database named %r is already attached.' % name)
        self._attached[name] = filename
        if not self.is_closed():
            self.execute_sql('ATTACH DATABASE %s AS %s' % (self.param,
                                                           self.quote_identifier(name)),
                             (filename,))
        return True

    def detach(self, name: str) -> bool:
        """Detach the database attached as ``name``."""
        if name not in self._attached:
            return False
        del self._attached[name]
        if not self.is_closed():
            self.execute_sql('DETACH DATABASE %s' % self.quote_identifier(name))
        return True

    # -- transactions ------------------------------------------------------------------
    def begin(self, lock_type: Optional[str] = None) -> None:
        """``BEGIN [DEFERRED | IMMEDIATE | EXCLUSIVE]``."""
        if lock_type:
            lock = str(lock_type).upper()
            if lock not in _LOCK_TYPES:
                raise ValueError('lock_type must be one of %s, got %r'
                                 % (', '.join(_LOCK_TYPES), lock_type))
            self.execute_sql('BEGIN %s' % lock)
        else:
            self.execute_sql('BEGIN')

    def atomic(self, lock_type: Optional[str] = None) -> _atomic:
        """A transaction (with ``lock_type``) when outermost, a savepoint when nested."""
        return _atomic(self, lock_type=lock_type)

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
        return [ColumnMetadata(name, data_type, not (notnull or pk), bool(pk), table, default)
                for _cid, name, data_type, notnull, default, pk
                in self._table_info(table, schema)]

    def get_primary_keys(self, table: str, schema: Optional[str] = None) -> list:
        rows = [row for row in self._table_info(table, schema) if row[5]]
        return [row[1] for row in sorted(rows, key=lambda row: row[5])]

    def get_indexes(self, table: str, schema: Optional[str] = None) -> list:
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
            _id, seq, dest_table, column, dest_column = row[:5]
            if dest_column is None:  # REFERENCES t without columns: t's primary key
                dest_pk = self.get_primary_keys(dest_table, schema)
                dest_column = dest_pk[seq] if seq < len(dest_pk) else None
            result.append(ForeignKeyMetadata(column, dest_table, dest_column, table))
        return result

    def sequence_exists(self, seq: str) -> bool:
        return False


# ---------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------

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

class _UninitializedProxyError(AttributeError, InterfaceError):
    """Raised when an uninitialised :class:`Proxy` is used."""


class Proxy:
    """A placeholder forwarding attribute access to an object given later.

    ``proxy.initialize(obj)`` sets the target and runs the callbacks added
    with :meth:`attach_callback`.
    """

    __slots__ = ('obj', '_callbacks')

    def __init__(self) -> None:
        object.__setattr__(self, '_callbacks', [])
        object.__setattr__(self, 'obj', None)

    def initialize(self, obj: Any) -> None:
        """Set the proxied object and run the attached callbacks."""
        object.__setattr__(self, 'obj', obj)
        for callback in self._callbacks:
            callback(obj)

    def attach_callback(self, callback: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Call ``callback(obj)`` whenever the proxy is initialised."""
        self._callbacks.append(callback)
        return callback

    def _target(self) -> Any:
        obj = object.__getattribute__(self, 'obj')
        if obj is None:
            raise _UninitializedProxyError(
                'Cannot use uninitialized Proxy; call initialize() with the real object first.')
        return obj

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith('__') and attr.endswith('__'):
            raise AttributeError(attr)
        return getattr(self._target(), attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        if attr in Proxy.__slots__:
            object.__setattr__(self, attr, value)
        else:
            setattr(self._target(), attr, value)

    def __enter__(self) -> Any:
        return self._target().__enter__()

    def __exit__(self, *exc: Any) -> Any:
        return self._target().__exit__(*exc)


class DatabaseProxy(Proxy):
    """A :class:`Proxy` for a database chosen at run time.

    Context managers and decorators (``atomic()``, ``transaction()``,
    ``savepoint()``, ``manual_commit()``, ``connection_context()``) can be
    created before :meth:`initialize` is called, e.g. ``@db_proxy.atomic()``
    at import time.
    """

    __slots__ = ('_model_base',)

    def __init__(self) -> None:
        super().__init__()
        object.__setattr__(self, '_model_base', None)

    @property
    def Model(self) -> type:
        """A base model class bound to this proxy."""
        return _model_base(self)

    # usable before initialize(): the helpers wrap the proxy and reach the real database
    # only when entered, so these are the Database methods themselves
    connection_context = Database.connection_context
    atomic = Database.atomic
    manual_commit = Database.manual_commit
    transaction = Database.transaction
    savepoint = Database.savepoint

    def __repr__(self) -> str:
        obj = object.__getattribute__(self, 'obj')
        return '<DatabaseProxy %s>' % ('uninitialized' if obj is None else repr(obj))

