"""Database objects: connections per thread, statement execution, transactions, introspection.

``Database`` owns a dialect (SQL generation) and a DB-API driver connection per
thread.  Driver connections run in the driver's autocommit mode; transactions
are explicit ``BEGIN`` / ``COMMIT`` / ``ROLLBACK`` statements issued by the
helpers of :mod:`orm.transactions`, so outside a transaction every statement
commits by itself on every engine.

Every statement is logged to the ``orm`` logger at DEBUG level as the tuple
``(sql, params)``.  The engine classes live beside this module:
:mod:`orm.sqlite_db` (``SqliteDatabase``) and :mod:`orm.postgres_db`
(``PostgresqlDatabase``).
"""
from __future__ import annotations

import functools
import itertools
import logging
import threading
import time
import warnings
from collections import namedtuple
from types import TracebackType
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence

from .dialects.base import Dialect
from .exceptions import (
    InterfaceError,
    NotSupportedError,
    OperationalError,
    __exception_wrapper__,
)
from .proxy import Proxy
from .rows import CursorWrapper, DictCursorWrapper, NamedTupleCursorWrapper, ObjectCursorWrapper
from .sql.queries import ROW
from .transactions import _atomic, _manual_commit, _savepoint, _transaction

__all__ = [
    'logger',
    'SENTINEL',
    'ColumnMetadata',
    'IndexMetadata',
    'ForeignKeyMetadata',
    'ViewMetadata',
    'ConnectionContext',
    'QueryEvent',
    'Database',
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
# Query events
# ---------------------------------------------------------------------------------------

class QueryEvent:
    """What one statement did: passed to each query hook of the database.

    * ``database`` -- the database that ran it;
    * ``sql``, ``params`` -- the statement and its parameters, as sent to the driver;
    * ``start`` -- when it started (:func:`time.perf_counter` seconds);
    * ``duration`` -- how long the driver took, in seconds;
    * ``error`` -- the exception it raised (orm's class, the driver's as ``__cause__``),
      or ``None``;
    * ``cursor`` -- the driver cursor (``None`` when the statement failed).

    Hooks run in the thread that ran the statement, after the driver returned
    (rows of a ``SELECT`` are read later, while the result is iterated).
    """

    __slots__ = ('database', 'sql', 'params', 'start', 'duration', 'error', 'cursor')

    def __init__(self, database: Any, sql: str, params: Any, start: float,
                 duration: float, error: Optional[BaseException] = None,
                 cursor: Any = None) -> None:
        self.database = database
        self.sql = sql
        self.params = params
        self.start = start
        self.duration = duration
        self.error = error
        self.cursor = cursor

    @property
    def succeeded(self) -> bool:
        """Whether the statement ran without error."""
        return self.error is None

    def __repr__(self) -> str:
        return '<QueryEvent %s %r %.6fs%s>' % (
            type(self.database).__name__, self.sql, self.duration,
            ' error=%s' % type(self.error).__name__ if self.error is not None else '')


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


class _QueryHookContext:
    """``with db.query_hook(fn):`` -- ``fn`` is a query hook for the block."""

    def __init__(self, db: Any, hook: Callable) -> None:
        self.db = db
        self.hook = hook

    def __enter__(self) -> Callable:
        self.db.add_query_hook(self.hook)
        return self.hook

    def __exit__(self, *exc: Any) -> None:
        self.db.remove_query_hook(self.hook)


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
    :param autocommit: deprecated, ignored with a :class:`DeprecationWarning`
        (statements outside a transaction always commit by themselves).
    :param autoconnect: open a connection on first use when closed.
    :param connect_kwargs: passed to the driver's ``connect()``.
    """

    dialect_class: type = Dialect
    #: the JSON vocabulary of :class:`~orm.JSONField` on this engine (``None``: the
    #: field stores JSON text and has no JSON operations)
    json_methods_class: Optional[type] = None
    #: Class-level field-type / operation mappings merged with the arguments.
    field_types: dict = {}
    operations: dict = {}
    #: the server's version (``None`` until known: PostgreSQL sets it on connecting)
    server_version: Any = None
    #: turns the driver's exceptions into orm's (a database on another driver, such as
    #: ``playhouse.apsw_ext``, names its own)
    _exception_wrapper: Any = __exception_wrapper__

    #: callables run with a :class:`QueryEvent` after each statement (see
    #: :meth:`add_query_hook`); empty unless hooks were added
    _query_hooks: tuple = ()

    #: the row adapter for each row type a plain query asks for: a query gets its adapter
    #: here (``BaseQuery._get_cursor_wrapper(cursor, database)``); ROW.CONSTRUCTOR's is
    #: called with the constructor as well
    row_adapters: dict = {ROW.TUPLE: CursorWrapper, ROW.DICT: DictCursorWrapper,
                          ROW.NAMEDTUPLE: NamedTupleCursorWrapper,
                          ROW.CONSTRUCTOR: ObjectCursorWrapper}

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
        if autocommit is not None:
            warnings.warn('The "autocommit" option of %s is deprecated and ignored: '
                          'statements outside a transaction always commit by themselves; '
                          'use atomic() or manual_commit() to group them.'
                          % type(self).__name__, DeprecationWarning, stacklevel=2)
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
        """The calling thread's driver connection, opened first when closed.

        Asking for the connection explicitly opens it even when the database was
        created with ``autoconnect=False`` (that option only concerns queries).
        """
        if self.is_closed():
            self.connect()
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
        if self._query_hooks:
            return self._execute_sql_with_hooks(sql, params)
        return self._run_sql(sql, params)

    def _run_sql(self, sql: str, params: Optional[Sequence]) -> Any:
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

    def _execute_sql_with_hooks(self, sql: str, params: Optional[Sequence]) -> Any:
        start = time.perf_counter()
        try:
            cursor = self._run_sql(sql, params)
        except Exception as exc:
            self._run_query_hooks(QueryEvent(self, sql, params, start,
                                             time.perf_counter() - start, error=exc))
            raise
        self._run_query_hooks(QueryEvent(self, sql, params, start,
                                         time.perf_counter() - start, cursor=cursor))
        return cursor

    def _run_query_hooks(self, event: QueryEvent) -> None:
        for hook in tuple(self._query_hooks):
            hook(event)

    # -- query hooks -------------------------------------------------------------------
    def add_query_hook(self, hook: Callable[[QueryEvent], Any]) -> Callable[[QueryEvent], Any]:
        """Call ``hook(event)`` with a :class:`QueryEvent` after every statement this
        database runs (in every thread).  Returns ``hook``, so it works as a decorator.

        An exception raised by a hook propagates to the code that ran the statement.
        """
        if not callable(hook):
            raise TypeError('add_query_hook() needs a callable taking a QueryEvent, got %r'
                            % (hook,))
        self._query_hooks = tuple(self._query_hooks) + (hook,)
        return hook

    def remove_query_hook(self, hook: Callable[[QueryEvent], Any]) -> bool:
        """Stop calling ``hook``; returns whether it was registered."""
        hooks = list(self._query_hooks)
        if hook not in hooks:
            return False
        hooks.remove(hook)
        self._query_hooks = tuple(hooks)
        return True

    def query_hook(self, hook: Callable[[QueryEvent], Any]) -> '_QueryHookContext':
        """Context manager running ``hook`` for the statements of a block::

            events = []
            with db.query_hook(events.append):
                User.create(username='huey')
        """
        return _QueryHookContext(self, hook)

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

    def get_binary_type(self) -> Any:
        """The callable wrapping ``bytes`` for the driver (``BlobField`` values)."""
        return bytes

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

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        """Run a query on the proxied database.

        Defined here (not just forwarded) so that code asking whether an object can
        run queries sees a database in the proxy, and running a query through an
        uninitialised proxy raises the "uninitialized Proxy" error.
        """
        return self._target().execute(*args, **kwargs)

    def __repr__(self) -> str:
        obj = object.__getattribute__(self, 'obj')
        return '<DatabaseProxy %s>' % ('uninitialized' if obj is None else repr(obj))

