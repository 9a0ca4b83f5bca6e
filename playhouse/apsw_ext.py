"""SQLite through the `APSW <https://rogerbinns.github.io/apsw/>`_ driver.

:class:`APSWDatabase` is a :class:`playhouse.sqlite_ext.SqliteExtDatabase` whose
connections are ``apsw.Connection`` objects.  APSW is not a DB-API module, so this
module adapts it: cursors gain ``description`` (also for queries returning no row),
``rowcount``, ``lastrowid`` and ``fetchmany``; APSW's exceptions become orm's
(``ConstraintError`` -> :class:`orm.IntegrityError` ...); user functions,
aggregates, window functions and collations are registered through APSW's API.

APSW runs in autocommit mode; orm issues explicit ``BEGIN`` / ``COMMIT`` /
``SAVEPOINT`` statements, exactly as it does on the ``sqlite3`` module::

    from playhouse.apsw_ext import APSWDatabase

    db = APSWDatabase('app.db', pragmas={'journal_mode': 'wal'})

Values are converted as on ``sqlite3``: dates, times and datetimes are stored as ISO
text, decimals as text, booleans as integers, bytes as BLOBs.  The field classes
exported here (:class:`DateTimeField` ...) are the core fields, kept under the names
peewee's ``apsw_ext`` exports.
"""
from __future__ import annotations

import datetime
import decimal
import uuid
import weakref
from typing import Any, Callable, Iterator, Optional, Sequence, cast

from orm import (BooleanField as _BooleanField, DatabaseError, DateField as _DateField,
                 DateTimeField as _DateTimeField, DecimalField as _DecimalField,
                 ExceptionWrapper, ImproperlyConfigured, IntegrityError, InterfaceError,
                 InternalError,
                 Node, OperationalError, ProgrammingError,
                 TimeField as _TimeField)

from .sqlite_ext import SqliteExtDatabase

try:
    import apsw
except ImportError:   # pragma: no cover - exercised only without apsw
    apsw = None  # type: ignore[assignment]

# Every other public name of orm, so that ``from playhouse.apsw_ext import *`` gives
# orm's API too (as peewee's module does).
from orm import (  # noqa: E402,F401
    AnyField, AsIs, AutoField, BareField, BigAutoField, BigBitField, BigIntegerField,
    BinaryUUIDField, BitField, BlobField, Case, Cast, CharField, Check, chunked, Column,
    CompositeKey, Context, Database, DatabaseProxy, DataError, Default,
    DeferredForeignKey, DeferredThroughModel, DJANGO_MAP, DoesNotExist, DoubleField, DQ,
    Entity, EXCLUDED, Field, FixedCharField, FloatField, fn, ForeignKeyField,
    IdentityField, Index, IntegerField, IPField, JOIN, JSONField, Load, ManyToManyField,
    Model, ModelIndex, MySQLDatabase, NotSupportedError, OP, OutcomeUnknownError,
    PostgresqlDatabase, prefetch,
    PREFETCH_TYPE, PrimaryKeyField, Proxy, QualifiedNames, QueryEvent, SchemaManager,
    Select, SmallIntegerField, SQL, SqliteDatabase, Table, TextField, TimestampField,
    Tuple, UUIDField, Value, ValuesList, Window)
import orm as _orm  # noqa: E402

# orm's names (those imported above) and this module's own
__all__ = sorted({_name for _name in _orm.__all__ if _name in globals()} | {
    'APSWDatabase', 'BooleanField', 'DateField', 'DateTimeField', 'DecimalField', 'TimeField',
    'nh'})


def nh(s: Callable, v: Any) -> Any:
    """Apply the conversion ``s`` to ``v``, letting ``None`` through untouched."""
    return None if v is None else s(v)


# -- exceptions -------------------------------------------------------------------------------
#: APSW's exception names -> orm's classes (on top of the default mapping, which already
#: knows ConstraintError, BusyError ...).  ``Error`` is APSW's base class: anything more
#: specific that is not listed is still a DatabaseError.
_APSW_EXCEPTIONS = dict(ExceptionWrapper().exceptions)
_APSW_EXCEPTIONS.update({
    'BindingsError': ProgrammingError,
    'ExecutionCompleteError': ProgrammingError,
    'IncompleteExecutionError': ProgrammingError,
    'ThreadingViolationError': ProgrammingError,
    'MisuseError': InterfaceError,
    'AbortError': OperationalError,
    'InterruptError': OperationalError,
    'IOError': OperationalError,
    'FullError': OperationalError,
    'ProtocolError': OperationalError,
    'PermissionsError': OperationalError,
    'AuthError': OperationalError,
    'NotFoundError': OperationalError,
    'NoLFSError': OperationalError,
    'FormatError': DatabaseError,
    'CorruptError': DatabaseError,
    'NotADBError': DatabaseError,
    'EmptyError': DatabaseError,
    'InternalError': InternalError,   # as sqlite3's InternalError maps
    'ConstraintError': IntegrityError,
    'Error': DatabaseError,
})
_wrap = ExceptionWrapper(_APSW_EXCEPTIONS)


# -- parameters ---------------------------------------------------------------------------------
_ADAPTERS: dict = {
    datetime.datetime: lambda d: d.isoformat(' '),
    datetime.date: lambda d: d.isoformat(),
    datetime.time: lambda t: t.isoformat(),
    decimal.Decimal: str,
    uuid.UUID: lambda u: u.hex,
    bytearray: bytes,
    memoryview: bytes,
}


def _adapt(value: Any) -> Any:
    """Convert a parameter to a type APSW binds (as the ``sqlite3`` module would)."""
    adapter = _ADAPTERS.get(type(value))
    if adapter is not None:
        return adapter(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (datetime.date, datetime.time, decimal.Decimal)):
        for klass, func in _ADAPTERS.items():
            if isinstance(value, klass):
                return func(value)
    return value


def _adapt_params(params: Any) -> Any:
    if not params:
        return ()
    if isinstance(params, dict):
        return {key: _adapt(value) for key, value in params.items()}
    return [_adapt(value) for value in params]


# -- the cursor ---------------------------------------------------------------------------------
class APSWCursor:
    """A DB-API-like cursor over an ``apsw.Cursor``.

    ``description`` is captured when the statement is prepared (APSW only reports it
    while rows are pending).  Rows are read one ahead, as the ``sqlite3`` module does, so
    a statement is finished -- and its locks released -- as soon as its last row has been
    fetched.  Statements that change data are run to completion at once, so that
    ``rowcount`` and ``lastrowid`` are final (also with ``RETURNING``).
    """

    __slots__ = ('connection', '_cursor', 'description', 'rowcount', 'lastrowid', '_rows',
                 '_ahead', 'arraysize', '_readonly', '__weakref__')

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self._cursor = connection.cursor()
        # a weak reference: apsw cursor -> trace -> this object must not be a cycle, or
        # cursors (and the locks of their statements) would wait for the garbage collector
        self._cursor.exec_trace = _tracer(weakref.ref(self))
        self.description: Optional[tuple] = None
        self.rowcount = -1
        self.lastrowid: Optional[int] = None
        self._rows: Optional[Iterator] = None
        self._ahead: Optional[tuple] = None
        self.arraysize = 1
        self._readonly = True

    def execute(self, sql: str, params: Any = None) -> 'APSWCursor':
        conn = self.connection
        self.description = None
        self.rowcount = -1
        self._readonly = True
        self._ahead = self._rows = None
        with _wrap:
            before = conn.total_changes()
            try:
                rows = self._cursor.execute(sql, _adapt_params(params))
            except TypeError as exc:
                if 'binding' not in str(exc):
                    raise
                # sqlite3 reports an unsupported parameter type as ProgrammingError
                raise ProgrammingError(*exc.args) from exc
            if self.description is None or not self._readonly:
                # no result set, or a write with RETURNING: finish it now
                if self.description is not None:
                    self._rows = iter(list(rows))
                if not self._readonly:
                    self.rowcount = conn.changes() if conn.total_changes() != before else 0
                self.lastrowid = conn.last_insert_rowid()
            else:
                self._rows = rows
            self._read_ahead()
        return self

    def _read_ahead(self) -> None:
        rows = self._rows
        if rows is None:
            self._ahead = None
            return
        try:
            self._ahead = next(rows)
        except StopIteration:
            self._ahead = self._rows = None

    def executemany(self, sql: str, seq_of_params: Sequence) -> 'APSWCursor':
        total = 0
        for params in seq_of_params:
            self.execute(sql, params)
            total += max(self.rowcount, 0)
        self.rowcount = total
        return self

    def fetchone(self) -> Optional[tuple]:
        row = self._ahead
        if row is not None:
            with _wrap:
                self._read_ahead()
        return row

    def fetchmany(self, size: Optional[int] = None) -> list:
        size = size or self.arraysize
        out: list = []
        while len(out) < size:
            row = self.fetchone()
            if row is None:
                break
            out.append(row)
        return out

    def fetchall(self) -> list:
        row, rows = self._ahead, self._rows
        if row is None:
            return []
        self._ahead = self._rows = None
        if rows is None:
            return [row]
        with _wrap:
            return [row] + list(rows)

    def __iter__(self) -> Iterator:
        return self

    def __next__(self) -> tuple:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def close(self) -> None:
        self._ahead = self._rows = None
        try:
            self._cursor.close(True)
        except apsw.Error:   # pragma: no cover - closing is best effort
            pass


def _tracer(ref: Any) -> Callable:
    def trace(cursor: Any, sql: str, bindings: Any) -> bool:
        owner = ref()
        if owner is not None:
            try:
                description = cursor.description
            except apsw.ExecutionCompleteError:   # pragma: no cover - defensive
                description = ()
            owner.description = tuple(description) or None
            owner._readonly = cursor.is_readonly
        return True
    return trace


# -- the database -------------------------------------------------------------------------------
class APSWDatabase(SqliteExtDatabase):
    """SQLite on the ``apsw`` driver, with everything :class:`SqliteExtDatabase` has.

    :param database: file name, or ``':memory:'``.
    :param timeout: busy timeout in seconds.
    :param kwargs: :class:`SqliteExtDatabase` options (``pragmas``, ``rank_functions`` ...)
        and ``apsw.Connection`` arguments (``flags``, ``vfs``, ``statementcachesize``).
    """

    _exception_wrapper = _wrap

    def __init__(self, database: Optional[str], **kwargs: Any) -> None:
        if apsw is None:
            raise ImproperlyConfigured('APSWDatabase needs the apsw driver: pip install apsw')
        self._modules: dict = {}
        super().__init__(database, **kwargs)
        version = apsw.sqlite_lib_version()
        self.server_version = _version_tuple(version)
        self.dialect.server_version = self.server_version

    @property
    def server_version_info(self) -> tuple:   # type: ignore[override]
        return _version_tuple(apsw.sqlite_lib_version())

    def init(self, database: Optional[str], *args: Any, **kwargs: Any) -> None:
        kwargs.pop('check_same_thread', None)   # an sqlite3 option; apsw is thread-safe
        super().init(database, *args, **kwargs)
        self.connect_params.pop('check_same_thread', None)

    # -- connections ---------------------------------------------------------------------
    def _open_connection(self) -> Any:
        # connect() refuses a database that was never given a name, so it is a str here
        return apsw.Connection(cast(str, self.database), **self.connect_params)

    def _set_server_version(self, conn: Any) -> None:
        self.server_version = _version_tuple(apsw.sqlite_lib_version())
        self.dialect.server_version = self.server_version

    def _driver_in_transaction(self, conn: Any) -> bool:
        return not conn.get_autocommit()

    def _close(self, conn: Any) -> None:
        conn.close(True)   # also finalizes statements of cursors still open

    def is_connection_usable(self) -> bool:
        if self._state.closed:
            return False
        try:
            self._state.conn.get_autocommit()
        except apsw.ConnectionClosedError:
            return False
        return True

    def _add_conn_hooks(self, conn: Any) -> None:
        if self._timeout is not None:
            conn.set_busy_timeout(int(self._timeout * 1000))
        super()._add_conn_hooks(conn)
        for name, module in self._modules.items():
            conn.create_module(name, module)

    def cursor(self, commit: Any = None, named_cursor: Optional[str] = None) -> APSWCursor:
        if self.is_closed():
            self._autoconnect()
        return APSWCursor(self._state.conn)

    # -- user-defined functions ------------------------------------------------------------
    @staticmethod
    def _create_function(conn: Any, name: str, fn: Optional[Callable], num_params: int,
                         deterministic: Optional[bool]) -> None:
        conn.create_scalar_function(name, fn, num_params, deterministic=bool(deterministic))

    @staticmethod
    def _create_aggregate(conn: Any, name: str, klass: Optional[type], num_params: int) -> None:
        if klass is None:
            conn.create_aggregate_function(name, None, num_params)
            return

        def factory() -> tuple:
            instance = klass()
            return (instance, lambda ctx, *args: instance.step(*args),
                    lambda ctx: instance.finalize())
        conn.create_aggregate_function(name, factory, num_params)

    @staticmethod
    def _create_window_function(conn: Any, name: str, klass: Any, num_params: int) -> None:
        if klass is None:
            conn.create_window_function(name, None, num_params)
            return

        def factory() -> tuple:
            instance = klass()
            return (instance,
                    lambda ctx, *args: instance.step(*args),
                    lambda ctx: instance.finalize(),
                    lambda ctx: instance.value(),
                    lambda ctx, *args: instance.inverse(*args))
        conn.create_window_function(name, factory, num_params)

    # -- virtual tables --------------------------------------------------------------------
    def register_module(self, mod_name: str, mod_inst: Any) -> None:
        """Register an APSW virtual-table module now and on every new connection."""
        self._modules[mod_name] = mod_inst
        conn: Any = self._current_conn()
        if conn is not None:
            conn.create_module(mod_name, mod_inst)

    def unregister_module(self, mod_name: str) -> bool:
        """Stop registering ``mod_name`` on new connections (and drop it from the open one)."""
        found = self._modules.pop(mod_name, None) is not None
        conn: Any = self._current_conn()
        if found and conn is not None:
            conn.create_module(mod_name, None)
        return found

    # backup(), backup_to_file(), blob_open() and the commit / rollback / update hooks
    # come from SqliteExtDatabase (playhouse._sqlite_hooks) and use APSW's own API.


def _version_tuple(version: str) -> tuple:
    return tuple(int(part) for part in version.split('.')[:3])


# -- fields -------------------------------------------------------------------------------------
# Parameters are converted by the dialect and by APSWCursor (as sqlite3 would), so the core
# fields already store the right types; these subclasses keep peewee's apsw_ext names and
# convert explicitly for values bound outside orm's queries.

class BooleanField(_BooleanField):
    def db_value(self, v: Any) -> Any:
        v = super().db_value(v)
        if v is None or isinstance(v, Node):
            return v
        return 1 if v else 0


class DateField(_DateField):
    def db_value(self, v: Any) -> Any:
        v = super().db_value(v)
        if isinstance(v, (datetime.date, datetime.datetime)):
            return v.isoformat() if not isinstance(v, datetime.datetime) \
                else v.date().isoformat()
        return v


class DateTimeField(_DateTimeField):
    def db_value(self, v: Any) -> Any:
        v = super().db_value(v)
        if isinstance(v, datetime.datetime):
            return v.isoformat(' ')
        if isinstance(v, datetime.date):
            return v.isoformat()
        return v


class TimeField(_TimeField):
    def db_value(self, v: Any) -> Any:
        v = super().db_value(v)
        if isinstance(v, datetime.time):
            return v.isoformat()
        return v


class DecimalField(_DecimalField):
    def db_value(self, v: Any) -> Any:
        v = super().db_value(v)
        if isinstance(v, decimal.Decimal):
            return str(v)
        return v

