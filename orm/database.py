"""Database objects: a connection per thread, statement execution, transactions, introspection.

``Database`` owns a dialect (SQL generation) and, for each thread, a slot holding that
thread's DB-API driver connection and its stacks of open blocks (:class:`_ConnectionSlot`).
Driver connections run in the driver's autocommit mode; transactions are explicit
``BEGIN`` / ``COMMIT`` / ``ROLLBACK`` statements sent by the blocks of
:mod:`orm.transactions`, so outside a transaction every statement commits by itself, on
every engine.

Every statement is logged to the ``orm`` logger at DEBUG level as the tuple
``(sql, params)``.  The engine classes live beside this module: :mod:`orm.sqlite_db`
(``SqliteDatabase``) and :mod:`orm.postgres_db` (``PostgresqlDatabase``).

This module belongs to the database layer: it imports the SQL dialects below it and
reaches the model layer only through :mod:`orm.seam` (``sort_models`` for
:meth:`Database.create_tables`, ``model_base`` for :attr:`Database.Model`).
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import threading
import time
import warnings
from collections import namedtuple
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Callable, ContextManager, Iterable, Iterator, Optional, Sequence

from .dialects.base import Dialect
from .exceptions import (
    DataError,
    ImproperlyConfigured,
    InterfaceError,
    NotSupportedError,
    OperationalError,
    __exception_wrapper__,
)
from .proxy import Proxy
from .rows import CursorWrapper, DictCursorWrapper, NamedTupleCursorWrapper, ObjectCursorWrapper
from .seam import lookup as seam_lookup
from .sql.queries import ROW
from .transactions import _atomic, _manual_commit, _savepoint, _transaction

__all__ = [
    'logger', 'use_query_logger', 'query_logger', 'log_statement',
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
]

logger = logging.getLogger('orm')


def use_query_logger(name: str) -> logging.Logger:
    """Log every statement on the logger ``name`` from now on (``orm`` unless changed;
    ``orm.install_as_peewee()`` switches to ``peewee``).  Returns that logger."""
    global logger
    logger = logging.getLogger(name)
    return logger


def query_logger() -> logging.Logger:
    """The logger statements are logged on (see :func:`use_query_logger`)."""
    return logger


def log_statement(sql: str, params: Any) -> None:
    """Log one statement run outside ``execute_sql()`` (pragmas, attachments)."""
    logger.debug((sql, params))

#: Marks "argument not given" where ``None`` is a meaningful value.
SENTINEL = object()

#: a column as introspection finds it.  ``data_type`` is the engine's name of the type,
#: ``full_type`` the type with its parameters (``character varying(50)``), ``identity``
#: whether the database numbers the column by itself (serial and identity columns,
#: SQLite's ``INTEGER PRIMARY KEY``).  The last two may be left out when building one.
ColumnMetadata = namedtuple(
    'ColumnMetadata', ('name', 'data_type', 'null', 'primary_key', 'table', 'default',
                       'full_type', 'identity'), defaults=(None, False))
IndexMetadata = namedtuple('IndexMetadata', ('name', 'sql', 'columns', 'unique', 'table'))
#: a foreign key as introspection finds it: ``name`` is the constraint's name (SQLite
#: names none), ``on_delete`` / ``on_update`` its actions (an action the table did not
#: declare is reported as the engine's default, ``NO ACTION``).  The last three may be
#: left out when building one.
ForeignKeyMetadata = namedtuple(
    'ForeignKeyMetadata', ('column', 'dest_table', 'dest_column', 'table', 'name',
                           'on_delete', 'on_update'), defaults=(None, None, None))
ViewMetadata = namedtuple('ViewMetadata', ('name', 'sql'))


def _quote_ident(name: str) -> str:
    return '"%s"' % str(name).replace('"', '""')


def _close_quietly(conn: Any) -> None:
    """Close a driver connection we are giving up on; its own error would only hide the
    one that made us give up."""
    try:
        conn.close()
    except Exception:
        pass


def set_up_or_close(conn: Any, *steps: Callable[[Any], Any]) -> Any:
    """Run each ``step(conn)`` on a new driver connection and return it; when a step
    fails, close the connection (it is of no use half set up) and re-raise."""
    try:
        for step in steps:
            step(conn)
    except BaseException:
        _close_quietly(conn)
        raise
    return conn


def _run_inside(enter: Callable[[], ContextManager[Any]], fn: Callable) -> Callable:
    """``fn`` wrapped so that each call runs inside a fresh ``enter()`` block."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with enter():
            return fn(*args, **kwargs)
    return wrapper


def _unbindable(exc: OverflowError, params: Optional[Sequence]) -> DataError:
    """The driver could not bind a parameter (SQLite's integers are 64-bit): orm's
    ``DataError``, naming the value when an integer parameter is out of that range."""
    values = params.values() if isinstance(params, dict) else (params or ())
    for value in values:
        if isinstance(value, int) and not -2 ** 63 <= value < 2 ** 63:
            return DataError('%r is out of the range of a 64-bit integer (-2**63 to '
                             '2**63 - 1), the largest the engine stores: %s'
                             % (value, exc))
    return DataError('a parameter cannot be bound: %s' % (exc,))


# ---------------------------------------------------------------------------------------
# Query events
# ---------------------------------------------------------------------------------------

@dataclass(eq=False, slots=True)
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

    database: Any
    sql: str
    params: Any
    start: float
    duration: float
    error: Optional[BaseException] = None
    cursor: Any = None

    @property
    def succeeded(self) -> bool:
        """Whether the statement ran without error."""
        return self.error is None

    def __repr__(self) -> str:
        outcome = '' if self.error is None else ' error=%s' % type(self.error).__name__
        return '<QueryEvent %s %r %.6fs%s>' % (
            type(self.database).__name__, self.sql, self.duration, outcome)


# ---------------------------------------------------------------------------------------
# What a thread holds: its connection and its open blocks
# ---------------------------------------------------------------------------------------

class _ConnectionSlot:
    """One thread's hold on a database.

    * ``conn`` -- the driver connection, ``None`` while the thread has none;
    * ``transactions`` -- the open transaction blocks (``atomic()``, ``transaction()``,
      ``savepoint()``, ``manual_commit()``, sessions), innermost last;
    * ``ctx`` -- one frame per open ``with db:`` block, innermost last;
    * ``succeeded`` -- how many statements have run without error on the connection
      (PostgreSQL reads it to tell a transaction that did nothing but fail from one
      whose work a failure has undone).

    A connection is attached only to an empty slot, and dropping it empties both stacks:
    no block outlives the connection it ran on.  ``closed`` is derived from ``conn``;
    setting it to ``True`` forgets the connection without closing it.
    """

    def __init__(self) -> None:
        self.conn: Any = None
        self.transactions: list = []
        self.ctx: list = []
        self.succeeded = 0

    @property
    def closed(self) -> bool:
        return self.conn is None

    @closed.setter
    def closed(self, value: bool) -> None:
        if value:
            self.reset()
        elif self.conn is None:
            raise ValueError('a connection slot is opened by attaching a connection, not by '
                             'setting closed = False')

    def attach(self, conn: Any) -> None:
        if self.conn is not None:
            raise RuntimeError('this thread already holds a connection; detach it first')
        self.conn = conn

    def detach(self) -> Any:
        """Give up the connection (the caller closes it) and every open block."""
        conn = self.conn
        self.reset()
        return conn

    def reset(self) -> None:
        """Forget the connection, without closing it, and every open block."""
        self.conn = None
        self.transactions.clear()
        self.ctx.clear()


class _ThreadConnectionSlot(_ConnectionSlot, threading.local):
    """A slot of its own in each thread (``thread_safe=True``, the default)."""


# ---------------------------------------------------------------------------------------
# Context managers
# ---------------------------------------------------------------------------------------

class ConnectionContext:
    """Hold a connection open for a block; also usable as a decorator.

    The connection is opened on entry when the database is closed, and closed
    on exit only if this context opened it.
    """

    __slots__ = ('db', '_opened')

    def __init__(self, db: Any) -> None:
        self.db = db
        self._opened: list = []

    def __enter__(self) -> Any:
        self._opened.append(self.db.is_closed() and self.db.connect())
        return self.db

    def __exit__(self, exc_type: Optional[type], exc_val: Optional[BaseException],
                 exc_tb: Optional[TracebackType]) -> None:
        if self._opened.pop():
            self.db.close()

    def __call__(self, fn: Callable) -> Callable:
        return _run_inside(lambda: ConnectionContext(self.db), fn)


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
    """Bind models to a database for the duration of a block (``bind_ctx``); leaving the
    block binds each model back to the database it had before."""

    def __init__(self, models: Sequence, database: Any, bind_refs: bool,
                 bind_backrefs: bool) -> None:
        self.models = models
        self.database = database
        self._related = {'bind_refs': bind_refs, 'bind_backrefs': bind_backrefs}
        self._previous: list = []

    def _bind_each(self, assignments: Iterable) -> None:
        for model, database in assignments:
            model.bind(database, **self._related)

    def __enter__(self) -> Sequence:
        self._previous.append([(model, model._meta.database) for model in self.models])
        self._bind_each((model, self.database) for model in self.models)
        return self.models

    def __exit__(self, *exc: Any) -> None:
        self._bind_each(self._previous.pop())


def _bound_model_base(database: Any) -> type:
    """The ``Model`` subclass bound to ``database`` (made on first use, then kept)."""
    base = getattr(database, '_model_base', None)
    if base is None:
        meta = type('Meta', (), {'database': database})
        base = type('BaseModel', (seam_lookup('model_base'),),
                    {'Meta': meta, '__module__': __name__})
        object.__setattr__(database, '_model_base', base)
    return base


def _table_and_schema(table: Any, schema: Optional[str]) -> tuple:
    """The table name and schema of ``table``: a name, a model class or a table object."""
    if isinstance(table, str):
        return table, schema
    meta = getattr(table, '_meta', None)
    if meta is not None:
        return meta.table_name, schema or getattr(meta, 'schema', None)
    return getattr(table, '__name__', None) or str(table), schema


class _DialectFlag:
    """A feature flag read from the dialect (settable; falls back to a default)."""

    def __init__(self, default: Any = None) -> None:
        self.default = default
        self.name = ''

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: Optional[type] = None) -> Any:
        if obj is None:
            return self
        value = getattr(obj.dialect, self.name, SENTINEL)
        if value is SENTINEL:
            value = obj._flag_default(self.name, self.default)
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(obj.dialect, self.name, value)


def _flags_set_by_class(cls: type) -> list:
    """The feature flags a Database subclass set as plain class attributes
    (``class MyDatabase(SqliteDatabase): truncate_table = True``), with their values, from
    the most derived class down: a new instance hands them to its dialect, which is what
    the SQL is written by."""
    found: dict = {}
    for klass in reversed(cls.__mro__):
        found.update(vars(klass).get('_class_flags', {}))
    return list(found.items())


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
    #: the server's version (``None`` until known: PostgreSQL learns it on connecting)
    server_version: Any = None
    #: turns the driver's exceptions into orm's (a database on another driver, such as
    #: ``playhouse.apsw_ext``, names its own)
    _exception_wrapper: Any = __exception_wrapper__

    #: the feature flags this class's body gave plain values (see __init_subclass__)
    _class_flags: dict = {}
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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # a feature flag given a plain value in the class body becomes a flag again
        # (read from and written to the dialect), the value being what a new instance
        # gives its dialect
        super().__init_subclass__(**kwargs)
        given = {name: value for name, value in vars(cls).items()
                 if name in _FLAG_NAMES and not isinstance(value, _DialectFlag)}
        for name, value in given.items():
            flag = _DialectFlag(value)
            flag.__set_name__(cls, name)
            setattr(cls, name, flag)
        cls._class_flags = given

    def __init__(self, database: Optional[str], thread_safe: bool = True,
                 autorollback: bool = False, field_types: Optional[dict] = None,
                 operations: Optional[dict] = None, autocommit: Optional[bool] = None,
                 autoconnect: bool = True, **connect_kwargs: Any) -> None:
        if autocommit is not None:
            warnings.warn('The "autocommit" option of %s is deprecated and ignored: '
                          'statements outside a transaction always commit by themselves; '
                          'use atomic() or manual_commit() to group them.'
                          % type(self).__name__, DeprecationWarning, stacklevel=2)
        self._field_types = {**type(self).field_types, **(field_types or {})}
        self._operations = {**type(self).operations, **(operations or {})}
        self.dialect = self.dialect_class(field_types=self._field_types,
                                          operations=self._operations)
        for name, value in _flags_set_by_class(type(self)):
            setattr(self.dialect, name, value)
        self.autoconnect = autoconnect
        self.autorollback = autorollback
        self.thread_safe = thread_safe
        # with one slot per thread, the lock only orders connecting and closing; a slot
        # shared by every thread (thread_safe=False) is the caller's to guard
        self._state: _ConnectionSlot = (_ThreadConnectionSlot() if thread_safe
                                        else _ConnectionSlot())
        self._lock: ContextManager[Any] = (threading.RLock() if thread_safe
                                           else contextlib.nullcontext())
        self.server_version: Any = None
        self.connect_params: dict = {}
        self.database: Optional[str] = None
        self.deferred = True
        self.init(database, **connect_kwargs)

    def __repr__(self) -> str:
        return '<%s %r>' % (type(self).__name__, self.database)

    # -- configuration -----------------------------------------------------------------
    def init(self, database: Optional[str], **kwargs: Any) -> None:
        """Name the database (``None`` defers it again) and add driver connection
        arguments; the calling thread's open connection, made for the old settings, is
        closed first."""
        if 'transaction_mode' in kwargs:      # SqliteDatabase.init() takes it
            raise ImproperlyConfigured(
                'transaction_mode is an option of SQLite databases (the lock BEGIN takes); '
                '%s has none: on PostgreSQL, choose how transactions are isolated with '
                'isolation_level= (of the database, or of atomic())' % type(self).__name__)
        if self._state.conn is not None:      # (a subclass's close() may count calls)
            self.close()
        self.database = database
        self.deferred = not database
        self.connect_params = {**self.connect_params, **kwargs}

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
        """Hook recording the server version (run on connecting, until it is known)."""

    def _driver_in_transaction(self, conn: Any) -> bool:
        """Whether the driver reports a transaction open on ``conn`` (a driver that
        cannot tell is taken to have none: orm's own blocks are tracked apart)."""
        return bool(getattr(conn, 'in_transaction', False))

    def _learn_server_version(self, conn: Any) -> None:
        if self.server_version is None:
            self._set_server_version(conn)

    def _new_connection(self) -> Any:
        """A new driver connection, with every per-connection step done."""
        with self._exception_wrapper:
            return set_up_or_close(self._connect(), self._learn_server_version,
                                   self._initialize_connection)

    def _open_now(self) -> Any:
        """The calling thread's connection, opened first if it has none."""
        with self._lock:
            slot = self._state
            if slot.conn is None:
                self._require_init()
                slot.attach(self._new_connection())
            return slot.conn

    def connect(self, reuse_if_open: bool = False) -> bool:
        """Open a connection for the calling thread.

        :param reuse_if_open: when the thread already has a connection, keep it and
            return ``False`` instead of raising.
        :returns: ``True`` if this call opened one.
        :raises OperationalError: the thread already has a connection and
            ``reuse_if_open`` is false.
        """
        had_one = self._state.conn is not None
        if had_one and not reuse_if_open:
            raise OperationalError(
                'connect() called, but this thread already has an open connection to %r; '
                'close() it first, or pass reuse_if_open=True.' % (self.database,))
        self._open_now()
        return not had_one

    def close(self) -> bool:
        """Close the calling thread's connection.

        :returns: ``True`` when a connection was closed, ``False`` when the thread had
            none.
        :raises OperationalError: a transaction block is still open in this thread.
        """
        with self._lock:
            slot = self._state
            if slot.conn is None:
                return False
            if self.in_transaction():
                raise OperationalError(
                    'close() refused: a transaction is open in this thread; leave the '
                    'atomic()/transaction() block (or end the session) first.')
            conn = slot.detach()
            with self._exception_wrapper:
                self._close(conn)
            return True

    def is_closed(self) -> bool:
        """Whether the calling thread has no open connection."""
        return self._state.conn is None

    def is_connection_usable(self) -> bool:
        """Whether the calling thread's connection is open and usable."""
        return self._state.conn is not None

    def connection(self) -> Any:
        """The calling thread's driver connection, opened first when closed.

        Asking for the connection explicitly opens it even when the database was
        created with ``autoconnect=False`` (that option only concerns queries).
        """
        conn = self._state.conn
        if conn is None:
            conn = self._open_now()
        return conn

    def _autoconnect(self) -> Any:
        """Open the connection a statement needs (refused with ``autoconnect=False``);
        returns it."""
        if not self.autoconnect:
            self._require_init()
            raise InterfaceError(
                'No open connection: %s was created with autoconnect=False, so call '
                'db.connect() before running statements.' % type(self).__name__)
        return self._open_now()

    def connection_context(self) -> ConnectionContext:
        """Context manager / decorator holding a connection open for a block."""
        return ConnectionContext(self)

    # ``with db:`` -- a connection and a transaction for the block.  Each level keeps
    # an ExitStack frame on the thread's slot; the outermost frame also closes the
    # connection, after its transaction has ended.
    def __deepcopy__(self, memo: dict) -> 'Database':
        # a database is a shared resource (connections, locks): copies of models,
        # fields and queries keep referring to the same one
        return self

    def __enter__(self) -> 'Database':
        frame = contextlib.ExitStack()
        if not self._state.ctx:
            frame.callback(self._close_unless_held)
        if self._state.conn is None:
            self.connect()
        frame.enter_context(self.atomic())
        self._state.ctx.append(frame)
        return self

    def __exit__(self, exc_type: Optional[type], exc_val: Optional[BaseException],
                 exc_tb: Optional[TracebackType]) -> Optional[bool]:
        return self._state.ctx.pop().__exit__(exc_type, exc_val, exc_tb)

    def _close_unless_held(self) -> None:
        # the end of the outermost ``with db:``: the connection is closed, unless the
        # block ran inside a transaction begun before it, which still needs it
        if not self._state.transactions:
            self.close()

    def __call__(self, fn: Callable) -> Callable:
        """``@db``: each call of ``fn`` runs inside ``with db:``."""
        return _run_inside(lambda: self, fn)

    # -- execution ---------------------------------------------------------------------
    def cursor(self, commit: Any = None, named_cursor: Optional[str] = None) -> Any:
        """A new driver cursor on the calling thread's connection."""
        conn = self._state.conn
        if conn is None:
            conn = self._autoconnect()
        return conn.cursor()

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
        # the exception wrapper is consulted only when something failed: this runs for
        # every statement, and a try costs nothing until it catches
        try:
            cursor = self.cursor()
            if self.autorollback and not self._state.transactions:
                return self._execute_or_roll_back(cursor, sql, params)
            cursor.execute(sql, params or ())
        except Exception as exc:
            if type(exc) is OverflowError:
                raise _unbindable(exc, params) from exc
            self._exception_wrapper.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self._state.succeeded += 1
        return cursor

    def _execute_or_roll_back(self, cursor: Any, sql: str,
                              params: Optional[Sequence]) -> Any:
        # autorollback, outside orm's blocks: a failed statement also ends a
        # transaction that was begun by hand with begin()
        try:
            cursor.execute(sql, params or ())
        except Exception:
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

        If a hook raises, the statement's caller gets that exception.
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
        slot = self._state
        if slot.transactions:
            return True
        return slot.conn is not None and self._driver_in_transaction(slot.conn)

    def push_transaction(self, transaction: Any) -> None:
        """Put an entered transaction block on this thread's stack."""
        self._state.transactions.append(transaction)

    def pop_transaction(self) -> Any:
        """Take the innermost transaction block off this thread's stack."""
        return self._state.transactions.pop()

    def transaction_depth(self) -> int:
        """Number of open transaction blocks (transactions and savepoints)."""
        return len(self._state.transactions)

    def top_transaction(self) -> Any:
        """The innermost open transaction block, or ``None``."""
        stack = self._state.transactions
        return stack[-1] if stack else None

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

    def _open_connection_for(self, action: str) -> Any:
        conn = self._state.conn
        if conn is None:
            raise InterfaceError('%s() needs an open connection: this thread has none.'
                                 % action)
        return conn

    def begin(self) -> None:
        """Begin a transaction by hand (see :meth:`manual_commit`)."""
        self.execute_sql('BEGIN')

    def commit(self) -> None:
        """Commit the open transaction, if any.

        :raises InterfaceError: the calling thread has no open connection."""
        if self._driver_in_transaction(self._open_connection_for('commit')):
            self.execute_sql('COMMIT')

    def rollback(self) -> None:
        """Roll back the open transaction, if any.

        :raises InterfaceError: the calling thread has no open connection."""
        if self._driver_in_transaction(self._open_connection_for('rollback')):
            self.execute_sql('ROLLBACK')

    def session_start(self) -> _transaction:
        """Begin a transaction without a ``with`` block; end it with
        :meth:`session_commit` or :meth:`session_rollback`.  Returns the block."""
        block = self.transaction()
        block.__enter__()
        return block

    def _end_session(self, keep: bool) -> bool:
        stack = self._state.transactions
        if not stack:
            return False
        block = stack.pop()
        block._end_session(keep, reopen=bool(stack))
        return True

    def session_commit(self) -> bool:
        """Commit the innermost block begun by :meth:`session_start`; ``False`` when no
        block is open."""
        return self._end_session(True)

    def session_rollback(self) -> bool:
        """Roll back the innermost block begun by :meth:`session_start`; ``False`` when
        no block is open."""
        return self._end_session(False)

    def batch_commit(self, it: Iterable, n: int) -> Iterator:
        """Yield the items of ``it``; every run of ``n`` of them is yielded inside one
        ``atomic()`` block, which commits when the run is over."""
        if n < 1:
            raise ValueError('batch_commit() needs n >= 1, got %r' % (n,))
        remaining = iter(it)
        for first in remaining:
            with self.atomic():
                yield first
                yield from itertools.islice(remaining, n - 1)

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
        name, schema = _table_and_schema(table_name, schema)
        return name in self.get_tables(schema=schema)

    # -- models ------------------------------------------------------------------------
    def _each_model_table(self, models: Iterable, method: str, referenced_first: bool,
                          options: dict) -> None:
        ordered = list(seam_lookup('sort_models')(models))
        if not referenced_first:
            ordered.reverse()
        options.setdefault('safe', True)
        for model in ordered:
            getattr(model, method)(**options)

    def create_tables(self, models: Iterable, **options: Any) -> None:
        """Create the tables of ``models``, referenced tables first (``safe=True`` by
        default: existing tables are left alone)."""
        self._each_model_table(models, 'create_table', True, options)

    def drop_tables(self, models: Iterable, **options: Any) -> None:
        """Drop the tables of ``models``, referencing tables first (``safe=True`` by
        default: missing tables are skipped)."""
        self._each_model_table(models, 'drop_table', False, options)

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
        """Subclass it to get models that use this database without a ``Meta``."""
        return _bound_model_base(self)

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

    def interval(self, value: str) -> Any:
        """A span of time for date/time arithmetic, from its text (``'30 minutes'``,
        ``'1 day'``), on engines with an interval type (PostgreSQL)::

            Booking.starttime + Booking.slots * db.interval('30 minutes')
        """
        raise NotSupportedError(
            '%s has no interval type: add to dates with its own functions (on SQLite, '
            "fn.datetime(column, '+30 minutes'))" % type(self).__name__)


#: the names of the feature flags a Database reads from its dialect
_FLAG_NAMES = tuple(name for name, attr in vars(Database).items()
                    if isinstance(attr, _DialectFlag))


# ---------------------------------------------------------------------------------------
# The proxy
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
        return _bound_model_base(self)

    # usable before initialize(): the blocks hold the proxy and reach the real database
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
        uninitialised proxy raises the proxy's "not initialised" error.
        """
        return self._target().execute(*args, **kwargs)

    def __repr__(self) -> str:
        obj = object.__getattribute__(self, 'obj')
        return '<DatabaseProxy %s>' % ('uninitialized' if obj is None else repr(obj))
