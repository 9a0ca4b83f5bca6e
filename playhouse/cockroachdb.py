"""CockroachDB support: :class:`CockroachDatabase`, its fields and retrying transactions.

CockroachDB speaks PostgreSQL's wire protocol, so :class:`CockroachDatabase` runs on the
``psycopg2`` or the ``psycopg`` (version 3) driver like :class:`orm.PostgresqlDatabase`
(``prefer_psycopg3=True`` picks psycopg 3); it adds what differs:

* defaults for a local cluster (port 26257, user ``root``);
* server version detection from ``SELECT version()`` (a PostgreSQL server is accepted too,
  which is handy for development: the CockroachDB-only options then fail clearly);
* ``atomic()`` / ``transaction()`` with ``system_time=`` (``AS OF SYSTEM TIME``) and
  ``priority=`` (``low`` / ``normal`` / ``high``), and ``set_transaction_priority()``
  (``SET TRANSACTION PRIORITY``) inside an open transaction;
* :func:`run_transaction`, ``db.run_transaction()`` and ``@db.retry_transaction()``, which
  run a callback in a transaction and run it again in a fresh one when the server reports
  a serialization conflict (SQLSTATE ``40001``), with exponential backoff and jitter;
* the fields :class:`UUIDKeyField` (``gen_random_uuid()``), :class:`RowIDField`
  (``unique_rowid()``), :class:`ArrayField` and :class:`JSONField` (JSONB);
* introspection built on ``information_schema`` and plain ``pg_catalog`` joins, with
  CockroachDB's type names (``INT8``, ``STRING``) read as PostgreSQL's (``bigint``,
  ``text``).

Example::

    from playhouse.cockroachdb import CockroachDatabase

    db = CockroachDatabase('my_app', host='10.1.0.8')

    def transfer(db):
        src = Account.get(Account.id == 1)
        ...

    db.run_transaction(transfer, max_attempts=5)
"""
from __future__ import annotations

import functools
import logging
import random
import threading
import time
from typing import Any, Callable, Iterable, Optional

from orm import (BigIntegerField, Field, ForeignKeyMetadata, IndexMetadata,
                 IntegerField, InterfaceError, Node, NotSupportedError, OperationalError,
                 OutcomeUnknownError, PostgresqlDatabase, UUIDField, ViewMetadata)
# Hooks orm exports for extension databases (see the API page):
from orm import (CockroachDialect, _atomic, _transaction, isolation_level_sql,
                 parse_cockroach_version)
from playhouse._pooling import PooledDatabase as _PooledDatabase
from playhouse.postgres_ext import ArrayField as _PgArrayField
from playhouse.postgres_ext import BinaryJSONField
# Every other public name of orm, so that ``from playhouse.cockroachdb import *`` gives
# orm's API too (as peewee's module does).
from orm import (  # noqa: E402,F401
    AnyField, AsIs, AutoField, BareField, BigAutoField, BigBitField, BinaryUUIDField,
    BitField, BlobField, BooleanField, Case, Cast, CharField, Check, chunked, Column,
    CompositeKey, Context, Database, DatabaseError, DatabaseProxy, DataError, DateField,
    DateTimeField, DecimalField, Default, DeferredForeignKey, DeferredThroughModel,
    DJANGO_MAP, DoesNotExist, DoubleField, DQ, Entity, EXCLUDED, FixedCharField,
    FloatField, fn, ForeignKeyField, IdentityField, ImproperlyConfigured, Index,
    IntegrityError, InternalError, IPField, JOIN, Load, ManyToManyField, Model,
    ModelIndex, OP, prefetch, PREFETCH_TYPE, PrimaryKeyField, ProgrammingError, Proxy,
    QualifiedNames, QueryEvent, SchemaManager, Select, SmallIntegerField, SQL,
    SqliteDatabase, Table, TextField, TimeField, TimestampField, Tuple, Value,
    ValuesList, Window)
from orm import MySQLDatabase  # noqa: E402,F401
import orm as _orm  # noqa: E402

# orm's names (those imported above) and this module's own
__all__ = sorted({_name for _name in _orm.__all__ if _name in globals()} | {
    'CockroachDatabase', 'PooledCockroachDatabase', 'CockroachDialect',
    'run_transaction', 'retry_delay', 'ExceededMaxAttempts', 'AmbiguousCommitError',
    'NestedTransactionError', 'RETRYABLE_SQLSTATES',
    'UUIDKeyField', 'RowIDField', 'ArrayField', 'JSONField'})

logger = logging.getLogger('orm.cockroachdb')

#: SQLSTATEs after which the whole transaction is known to have been rolled back and may
#: simply be run again: serialization failure (CockroachDB's "restart transaction" errors
#: included) and PostgreSQL's deadlock detection.
RETRYABLE_SQLSTATES = frozenset({'40001', '40P01'})
#: CockroachDB's "statement completion unknown": the outcome is ambiguous.
AMBIGUOUS_SQLSTATE = '40003'
#: Savepoints (and so nested atomic() blocks) arrived in CockroachDB 20.1.
NESTED_TRANSACTION_MIN_VERSION = (20, 1)
#: the same version as ``db.server_version`` counts it (major * 10000 + minor * 100);
#: peewee's name
NESTED_TX_MIN_VERSION = (NESTED_TRANSACTION_MIN_VERSION[0] * 10000
                         + NESTED_TRANSACTION_MIN_VERSION[1] * 100)


# ---------------------------------------------------------------------------------------
# Exceptions
# ---------------------------------------------------------------------------------------

class ExceededMaxAttempts(OperationalError):
    """:func:`run_transaction` gave up: every attempt hit a retryable conflict.

    The last attempt was rolled back, so nothing the callback did was kept.  ``attempts``
    is the number of attempts made; ``last_error`` (also ``__cause__``) the last conflict.
    """

    def __init__(self, message: str, attempts: int = 0,
                 last_error: Optional[BaseException] = None) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.last_error = last_error


class AmbiguousCommitError(OutcomeUnknownError):
    """The transaction may or may not have been committed (result unknown); an
    :class:`orm.OutcomeUnknownError`, so one ``except`` catches every unknown outcome.

    Raised when the connection was lost while ``COMMIT`` was running, or when CockroachDB
    reports SQLSTATE ``40003`` (statement completion unknown).  It is never retried
    automatically: running the callback again could apply it twice.  Check the data (or
    make the callback idempotent) before deciding what to do.
    """

    def __init__(self, message: str, attempts: int = 0) -> None:
        super().__init__(message)
        self.attempts = attempts


class NestedTransactionError(InterfaceError, NotImplementedError):
    """Transactions nested in a way CockroachDB cannot run.

    Raised by :func:`run_transaction` when a transaction is already open on the thread,
    and by a nested ``atomic()`` on CockroachDB before 20.1 (no savepoints).  It is also
    a :class:`NotImplementedError`, which is what peewee raises there.
    """


# ---------------------------------------------------------------------------------------
# Fields
# ---------------------------------------------------------------------------------------

class _ServerDefault(Node):
    """``DEFAULT <function>()`` in a column definition, checked against the engine."""

    def __init__(self, function: str, engines: tuple, hint: str) -> None:
        self.function = function
        self.engines = engines
        self.hint = hint

    def __sql__(self, ctx: Any) -> Any:
        dialect = ctx.dialect
        engine = 'postgres' if getattr(dialect, 'on_postgres', False) else dialect.name
        if engine not in self.engines:
            raise NotSupportedError('DEFAULT %s() is not available on %s; %s'
                                    % (self.function, dialect.display_name, self.hint))
        return ctx.literal('DEFAULT %s()' % self.function)


def _server_generated_key(field_name: str, kwargs: dict, default: _ServerDefault) -> dict:
    if kwargs.get('default') is not None:
        raise ValueError('%s values are generated by the server (%s()); drop default=, '
                         'or use a plain field with primary_key=True and your own default'
                         % (field_name, default.function))
    if kwargs.get('primary_key') is False:
        raise ValueError('%s is always a primary key' % field_name)
    kwargs['primary_key'] = True
    kwargs['constraints'] = [default] + list(kwargs.get('constraints') or ())
    return kwargs


class UUIDKeyField(UUIDField):
    """A UUID primary key filled in by the server with ``gen_random_uuid()``.

    Like an auto-incrementing key, it is left out of INSERTs when unset and read back
    with ``RETURNING``.  Works on CockroachDB and PostgreSQL 13+.
    """

    auto_increment = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        default = _ServerDefault('gen_random_uuid', ('cockroach', 'postgres'),
                                 'use UUIDField(primary_key=True, default=uuid.uuid4)')
        super().__init__(*args, **_server_generated_key('UUIDKeyField', kwargs, default))


class RowIDField(BigIntegerField):
    """CockroachDB's 64-bit row id as primary key (``DEFAULT unique_rowid()``).

    Values are unique and roughly ordered by insertion time, but not consecutive.
    """

    auto_increment = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        default = _ServerDefault('unique_rowid', ('cockroach',),
                                 'use AutoField or BigAutoField there')
        super().__init__(*args, **_server_generated_key('RowIDField', kwargs, default))


class ArrayField(_PgArrayField):
    """A one-dimensional array column of ``field_class`` values (``INT[]``, ``TEXT[]``
    ...): the :class:`playhouse.postgres_ext.ArrayField`, without an index unless
    ``index=True`` (then a GIN, i.e. inverted, index).  CockroachDB has no nested
    arrays, so ``dimensions`` must be 1.

    Python lists go in and come out.  ``field[i]`` / ``field[a:b]`` index the array with
    Python's 0-based positions (``field[0]`` is the first item); ``contains(*items)``
    (``@>``), ``contained_by(*items)`` (``<@``) and ``contains_any(*items)`` /
    ``overlap`` (``&&``) test membership.
    """

    __hash__ = Field.__hash__

    def __init__(self, field_class: Any = IntegerField, field_kwargs: Optional[dict] = None,
                 dimensions: int = 1, *args: Any, **kwargs: Any) -> None:
        if isinstance(dimensions, int) and not isinstance(dimensions, bool) and \
                dimensions > 1:
            raise ValueError(
                'CockroachDB does not support nested arrays (dimensions=%d); store nested '
                'lists in a JSONField, or use playhouse.postgres_ext.ArrayField on '
                'PostgreSQL' % dimensions)
        kwargs.setdefault('index', False)
        super().__init__(field_class, field_kwargs, dimensions, *args, **kwargs)


class JSONField(BinaryJSONField):
    """JSON stored as ``JSONB`` (:class:`playhouse.postgres_ext.BinaryJSONField`, without
    an index unless ``index=True``): ``field['key']`` lookups, containment and key tests."""

    __hash__ = Field.__hash__

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault('index', False)
        super().__init__(*args, **kwargs)


# ---------------------------------------------------------------------------------------
# Retrying transactions
# ---------------------------------------------------------------------------------------

def _errors(exc: BaseException) -> Iterable[BaseException]:
    """``exc`` and the exceptions it was raised from or while handling."""
    seen: set = set()
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen and len(seen) < 16:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _error_sqlstate(error: BaseException) -> Optional[str]:
    """The SQLSTATE one error carries: ``pgcode`` (psycopg2, orm's errors) or
    ``sqlstate`` (psycopg 3)."""
    for attr in ('pgcode', 'sqlstate'):
        code = getattr(error, attr, None)
        if isinstance(code, str) and code:
            return code
    return None


def _sqlstates(exc: BaseException) -> Iterable[str]:
    """The SQLSTATEs of ``exc`` and of the errors it came from, outermost first."""
    for error in _errors(exc):
        code = _error_sqlstate(error)
        if code is not None:
            yield code


def _sqlstate(exc: BaseException) -> Optional[str]:
    return next(iter(_sqlstates(exc)), None)


def is_retryable(exc: BaseException) -> bool:
    """Whether ``exc`` (or an error it came from) is a serialization conflict to retry."""
    return any(code in RETRYABLE_SQLSTATES for code in _sqlstates(exc))


def _is_ambiguous_sqlstate(exc: BaseException) -> bool:
    return any(code == AMBIGUOUS_SQLSTATE for code in _sqlstates(exc))


def _commit_outcome_unknown(db: Any, exc: BaseException) -> bool:
    """A COMMIT failed: could it have been applied all the same?

    The server answers a COMMIT it refused with an error that carries an SQLSTATE and
    leaves the connection usable.  Without an answer (connection lost: no SQLSTATE, or
    class 08 / 57 / 58) nobody knows whether it was applied.
    """
    if _is_ambiguous_sqlstate(exc):
        return True
    code = _sqlstate(exc)
    if code is None or code[:2] in ('08', '57', '58'):
        return True
    try:
        return not db.is_connection_usable()
    except Exception:
        return True


def _drop_broken_connection(db: Any) -> None:
    """Close the calling thread's connection if it is unusable, so the next use reconnects."""
    try:
        if db.is_closed() or db.is_connection_usable():
            return
    except Exception:
        pass
    for _ in range(2):
        try:
            db.close()
            return
        except Exception:
            try:
                db.connection().close()   # the driver connection; the server rolls back
            except Exception:
                pass


def retry_delay(db: Any, retry: int) -> float:
    """The wait before retry number ``retry`` of ``db``'s transaction: full-jitter
    exponential backoff, uniform(0, min(max_delay, base * 2**(retry-1))) seconds (the
    async databases of ``playhouse.pwasyncio`` wait the same)."""
    base = getattr(db, 'retry_base_delay', CockroachDatabase.retry_base_delay)
    cap = getattr(db, 'retry_max_delay', CockroachDatabase.retry_max_delay)
    ceiling = min(cap, base * (2 ** min(retry - 1, 32)))
    return random.uniform(0, ceiling) if ceiling > 0 else 0.0


def _record_attempts(db: Any, attempts: int) -> None:
    record = getattr(db, '_record_transaction_attempts', None)
    if record is not None:
        record(attempts)


def run_transaction(db: Any, callback: Callable[[Any], Any], max_attempts: Optional[int] = None,
                    system_time: Any = None, priority: Any = None,
                    isolation_level: Any = None) -> Any:
    """Run ``callback(db)`` in a transaction; run it again in a fresh one on conflicts.

    When a statement -- or the COMMIT itself -- fails with a serialization conflict
    (SQLSTATE ``40001``, or ``40P01`` deadlock on PostgreSQL), the transaction is rolled
    back, the thread sleeps a random delay growing exponentially with each attempt
    (``db.retry_base_delay`` .. ``db.retry_max_delay`` seconds) and ``callback`` runs
    again from the start.  Any other exception rolls back and propagates at once.

    :param max_attempts: attempts before giving up with :class:`ExceededMaxAttempts`
        (default: ``db.max_attempts``, 10 unless configured).
    :param system_time: run as of a past moment (CockroachDB ``AS OF SYSTEM TIME``;
        read-only).
    :param priority: ``'low'``, ``'normal'`` or ``'high'`` (CockroachDB).
    :param isolation_level: isolation level of each attempt's transaction.
    :returns: what the successful attempt of ``callback`` returned.
    :raises NestedTransactionError: when a transaction is already open on this thread.
    :raises AmbiguousCommitError: when the COMMIT's outcome is unknown (not retried).

    ``callback`` may run several times, so it must be safe to repeat: do the database
    work inside it and keep side effects outside (or make them idempotent).  The number
    of attempts of the last call is ``db.last_transaction_attempts``.
    """
    if max_attempts is None:
        max_attempts = getattr(db, 'max_attempts', CockroachDatabase.max_attempts)
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or \
            max_attempts < 1:
        raise ValueError('max_attempts must be a positive integer, got %r' % (max_attempts,))
    if not callable(callback):
        raise TypeError('run_transaction() needs a callable taking the database, got %r'
                        % (callback,))
    if db.in_transaction():
        raise NestedTransactionError(
            'run_transaction() cannot run inside another transaction (or manual_commit() '
            'block): it must own the whole transaction to roll it back and run it again. '
            'Call it outside atomic()/transaction(); inside the callback, use atomic() for '
            'savepoints.')
    options: dict = {}
    if isolation_level is not None:
        options['isolation_level'] = isolation_level
    if system_time is not None:
        options['system_time'] = system_time
    if priority is not None:
        options['priority'] = priority
    if (system_time is not None or priority is not None) and \
            not isinstance(getattr(db, 'dialect', None), CockroachDialect):
        raise NotSupportedError('system_time= and priority= need a CockroachDatabase, got %r'
                                % (db,))
    sleep = getattr(db, 'retry_sleep', None) or time.sleep

    last_error: Optional[BaseException] = None
    for attempt in range(1, max_attempts + 1):
        _record_attempts(db, attempt)
        if attempt > 1:
            delay = retry_delay(db, attempt - 1)
            logger.debug('run_transaction: attempt %d after %s; retrying in %.4fs',
                         attempt, last_error.__class__.__name__, delay)
            if delay:
                sleep(delay)
        txn = db.transaction(**options)
        try:
            txn.__enter__()                               # BEGIN
        except BaseException:
            _drop_broken_connection(db)
            raise
        try:
            result = callback(db)
        except BaseException as exc:
            try:
                txn.__exit__(type(exc), exc, exc.__traceback__)   # ROLLBACK
            except Exception:
                pass                           # could not roll back: the connection is gone
            _drop_broken_connection(db)
            if isinstance(exc, Exception) and is_retryable(exc):
                last_error = exc
                continue
            if isinstance(exc, Exception) and _is_ambiguous_sqlstate(exc):
                raise AmbiguousCommitError(
                    'The outcome of the transaction is unknown (SQLSTATE 40003, statement '
                    'completion unknown) on attempt %d; it was not retried. Check whether '
                    'its changes were applied.' % attempt, attempts=attempt) from exc
            raise
        try:
            txn.__exit__(None, None, None)                # COMMIT (rolls back on failure)
        except Exception as exc:
            if is_retryable(exc):
                last_error = exc
                continue
            if _commit_outcome_unknown(db, exc):
                _drop_broken_connection(db)
                raise AmbiguousCommitError(
                    'COMMIT failed without a definite answer (%s: %s) on attempt %d: the '
                    'transaction may or may not have been applied, so it was not retried. '
                    'Check whether its changes are there before running it again.'
                    % (type(exc).__name__, str(exc).strip() or 'no message', attempt),
                    attempts=attempt) from exc
            raise
        return result
    raise ExceededMaxAttempts(
        'run_transaction() gave up after %d attempt%s: each ended in a serialization '
        'conflict and was rolled back (last error: %s). Raise max_attempts, lower '
        'contention, or use priority="high".'
        % (max_attempts, '' if max_attempts == 1 else 's', str(last_error).strip()),
        attempts=max_attempts, last_error=last_error) from last_error


# ---------------------------------------------------------------------------------------
# Transactions with CockroachDB options
# ---------------------------------------------------------------------------------------

def _check_outermost(db: Any, kwargs: dict, what: str) -> None:
    if db.transaction_depth() > 0 and (kwargs.get('system_time') is not None or
                                       kwargs.get('priority') is not None):
        raise ValueError(
            '%s(system_time=..., priority=...) is nested inside an open transaction; these '
            'options apply to a whole transaction, so give them to the outermost block'
            % what)


class _cockroach_atomic(_atomic):
    def __enter__(self) -> Any:
        _check_outermost(self.db, self._kwargs, 'atomic')
        return super().__enter__()


class _cockroach_transaction(_transaction):
    def __enter__(self) -> Any:
        _check_outermost(self.db, self._kwargs, 'transaction')
        return super().__enter__()


# ---------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------

def _is_dsn(database: Optional[str]) -> bool:
    if not database:
        return False
    return '=' in database or database.startswith(('postgres://', 'postgresql://',
                                                   'cockroachdb://'))


def _yes(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ('yes', 'true', 't', '1')
    return bool(value)


class CockroachDatabase(PostgresqlDatabase):
    """A CockroachDB cluster, through the ``psycopg2`` or ``psycopg`` (version 3) driver.

    :param database: database name (or a ``postgresql://`` URI / libpq DSN).
    :param max_attempts: default attempts of :meth:`run_transaction` (10).
    :param retry_base_delay: first backoff ceiling, in seconds (0.02); doubled on each
        further retry.
    :param retry_max_delay: largest backoff ceiling, in seconds (2.0).
    :param kwargs: :class:`~orm.PostgresqlDatabase` options (``prefer_psycopg3`` ...) and
        the driver's ``connect()`` arguments; ``port`` defaults to 26257 and ``user`` to
        ``root``.

    ``server_version`` is ``major * 10000 + minor * 100 + patch`` (``230111`` for v23.1.11)
    and ``server_version_info`` the tuple; ``server_flavor`` is ``'cockroach'``, or
    ``'postgres'`` when pointed at a PostgreSQL server (then PostgreSQL's own version).
    """

    dialect_class = CockroachDialect
    default_port = 26257
    default_user = 'root'

    max_attempts = 10
    retry_base_delay = 0.02
    retry_max_delay = 2.0
    #: called with the backoff delay in seconds (tests may replace it)
    retry_sleep: Optional[Callable[[float], Any]] = None

    def __init__(self, database: Optional[str], *args: Any, **kwargs: Any) -> None:
        self._attempts_local = threading.local()
        self._server_info: Optional[tuple] = None
        self._injected_defaults: set = set()
        super().__init__(database, *args, **kwargs)

    def init(self, database: Optional[str], *args: Any, max_attempts: Optional[int] = None,
             retry_base_delay: Optional[float] = None, retry_max_delay: Optional[float] = None,
             **kwargs: Any) -> None:
        """Set the database name, retry settings and connection arguments."""
        if max_attempts is not None:
            if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or \
                    max_attempts < 1:
                raise ValueError('max_attempts must be a positive integer, got %r'
                                 % (max_attempts,))
            self.max_attempts = max_attempts
        if retry_base_delay is not None:
            self.retry_base_delay = float(retry_base_delay)
        if retry_max_delay is not None:
            self.retry_max_delay = float(retry_max_delay)
        self._server_info = None
        super().init(database, **kwargs)
        for name in self._injected_defaults:
            self.connect_params.pop(name, None)
        self._injected_defaults = set()
        if database and not _is_dsn(database):
            for name, value in (('port', self.default_port), ('user', self.default_user)):
                if name not in self.connect_params:
                    self.connect_params[name] = value
                    self._injected_defaults.add(name)
        for name in kwargs:
            self._injected_defaults.discard(name)

    def _connect(self) -> Any:
        database = self.database or ''
        if database.startswith('cockroachdb://'):   # libpq knows only postgres[ql]://
            self.database = 'postgresql://' + database[len('cockroachdb://'):]
            try:
                return super()._connect()
            finally:
                self.database = database
        return super()._connect()

    # -- server version ----------------------------------------------------------------
    def _set_server_version(self, conn: Any) -> None:
        if self._server_info is None:
            with conn.cursor() as cursor:
                cursor.execute('SELECT version()')
                text = cursor.fetchone()[0]
            version = parse_cockroach_version(text)
            if version is not None:
                number = version[0] * 10000 + version[1] * 100 + version[2]
                self._server_info = ('cockroach', number, version, text)
            else:
                number = self.adapter.server_version(conn)
                info: tuple
                if number >= 100000:
                    info = (number // 10000, number % 10000)
                else:
                    info = (number // 10000, number // 100 % 100, number % 100)
                self._server_info = ('postgres', number, info, text)
        flavor, number, info, _text = self._server_info
        self.server_version = number
        self.dialect.server_flavor = flavor
        self.dialect.server_version = info

    def _initialize_connection(self, conn: Any) -> None:
        super()._initialize_connection(conn)
        # UUID columns (UUIDKeyField values read back with RETURNING) as uuid.UUID
        self.adapter.register_uuid(conn)

    @property
    def server_version_info(self) -> Optional[tuple]:
        """``(23, 1, 11)`` on CockroachDB, ``(15, 4)`` on PostgreSQL; ``None`` before
        connecting."""
        return self._server_info[2] if self._server_info else None

    @property
    def server_flavor(self) -> Optional[str]:
        """``'cockroach'`` or ``'postgres'`` once connected, else ``None``."""
        return self._server_info[0] if self._server_info else None

    @property
    def server_version_text(self) -> Optional[str]:
        """What ``SELECT version()`` said."""
        return self._server_info[3] if self._server_info else None

    @property
    def is_cockroach(self) -> bool:
        """Whether the server is CockroachDB (``True`` before connecting)."""
        return self.server_flavor != 'postgres'

    # -- transactions ------------------------------------------------------------------
    # peewee's signatures: system_time and priority come first, before the isolation
    # level PostgresqlDatabase takes, hence the overrides
    def begin(self, system_time: Any = None, priority: Any = None,  # type: ignore[override]
              isolation_level: Any = None) -> None:
        """``BEGIN`` with ``AS OF SYSTEM TIME``, ``PRIORITY`` and an isolation level."""
        level = isolation_level_sql(isolation_level) or self.isolation_level
        self.connection()        # (auto)connect first: the server flavor shapes the BEGIN
        sql, params = self.dialect.begin_statement(level, priority, system_time)
        self.execute_sql(sql, params)
        self._state.succeeded = 0       # read by commit(), as on PostgreSQL

    def atomic(self, system_time: Any = None, priority: Any = None,  # type: ignore[override]
               isolation_level: Any = None) -> _atomic:
        """A transaction when outermost (``AS OF SYSTEM TIME system_time``, with
        ``priority``), a savepoint when nested."""
        return _cockroach_atomic(self, system_time=system_time, priority=priority,
                                 isolation_level=isolation_level)

    def transaction(self, system_time: Any = None,  # type: ignore[override]
                    priority: Any = None, isolation_level: Any = None) -> _transaction:
        """A transaction begun with the given system time, priority and isolation level."""
        return _cockroach_transaction(self, system_time=system_time, priority=priority,
                                      isolation_level=isolation_level)

    def savepoint(self, sid: Optional[str] = None) -> Any:
        version = self.server_version_info
        if self.server_flavor == 'cockroach' and version is not None and \
                tuple(version[:2]) < NESTED_TRANSACTION_MIN_VERSION:
            raise NestedTransactionError(
                'CockroachDB %s has no savepoints, so atomic() blocks cannot nest; upgrade '
                'to 20.1+, or use run_transaction() / transaction(), which wrap only the '
                'outermost block.' % '.'.join(map(str, version)))
        return super().savepoint(sid)

    def set_transaction_priority(self, priority: Any) -> None:
        """``SET TRANSACTION PRIORITY LOW|NORMAL|HIGH`` in the open transaction.

        For a priority decided after ``BEGIN`` -- e.g. raised on later attempts of a
        :meth:`run_transaction` callback (``if db.last_transaction_attempts > 2: ...``).
        CockroachDB takes it only before the transaction's first read or write.  On a
        PostgreSQL server, which has no priorities, nothing is sent.
        """
        sql = self.dialect.set_transaction_statement(priority)
        if not self.in_transaction():
            raise InterfaceError('set_transaction_priority() needs an open transaction; '
                                 'to begin one with a priority use atomic(priority=...)')
        if sql:
            self.execute_sql(sql)

    # -- retries -----------------------------------------------------------------------
    def run_transaction(self, callback: Callable[[Any], Any],
                        max_attempts: Optional[int] = None, system_time: Any = None,
                        priority: Any = None, isolation_level: Any = None) -> Any:
        """Run ``callback(db)`` in a transaction, retried on conflicts
        (see :func:`run_transaction`)."""
        return run_transaction(self, callback, max_attempts, system_time, priority,
                               isolation_level)

    def retry_transaction(self, max_attempts: Any = None, system_time: Any = None,
                          priority: Any = None, isolation_level: Any = None) -> Callable:
        """Decorator: each call of the function runs through :meth:`run_transaction`.

        The function receives the database first, then the call's own arguments::

            @db.retry_transaction(max_attempts=5)
            def add_points(db, user_id, points): ...

            add_points(42, 10)
        """
        if callable(max_attempts):              # used bare: @db.retry_transaction
            return self.retry_transaction()(max_attempts)

        def decorator(fn: Callable) -> Callable:
            @functools.wraps(fn)
            def inner(*args: Any, **kwargs: Any) -> Any:
                return run_transaction(self, lambda db: fn(db, *args, **kwargs),
                                       max_attempts, system_time, priority, isolation_level)
            return inner
        return decorator

    @property
    def last_transaction_attempts(self) -> Optional[int]:
        """Attempts made by this thread's last :meth:`run_transaction` (``None``: none yet)."""
        return getattr(self._attempts_local, 'attempts', None)

    def _record_transaction_attempts(self, attempts: int) -> None:
        self._attempts_local.attempts = attempts

    # -- introspection -----------------------------------------------------------------
    def _hidden_filter(self, alias: str) -> str:
        # CockroachDB lists hidden columns (the implicit "rowid" key) in information_schema;
        # its is_hidden column arrived in 2.1
        version = self.server_version_info
        if self.server_flavor != 'cockroach' or (version is not None and
                                                 tuple(version[:2]) < (2, 1)):
            return ''
        return ' AND NOT %s.is_hidden::BOOL' % alias

    def get_tables(self, schema: Optional[str] = None) -> list:
        cursor = self.execute_sql(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = COALESCE(%s, current_schema()) "
            "AND table_type = 'BASE TABLE' ORDER BY table_name", (schema,))
        return [row[0] for row in cursor.fetchall()]

    def get_views(self, schema: Optional[str] = None) -> list:
        cursor = self.execute_sql(
            "SELECT table_name, view_definition FROM information_schema.views "
            "WHERE table_schema = COALESCE(%s, current_schema()) ORDER BY table_name",
            (schema,))
        return [ViewMetadata(name, 'CREATE VIEW %s AS %s' % (
                    self.quote_identifier(name), (definition or '').strip().rstrip(';').strip()))
                for name, definition in cursor.fetchall()]

    def get_primary_keys(self, table: str, schema: Optional[str] = None) -> list:
        cursor = self.execute_sql(
            "SELECT k.column_name FROM information_schema.table_constraints t "
            "JOIN information_schema.key_column_usage k "
            "  ON k.constraint_schema = t.constraint_schema "
            " AND k.constraint_name = t.constraint_name "
            " AND k.table_schema = t.table_schema AND k.table_name = t.table_name "
            "JOIN information_schema.columns c "
            "  ON c.table_schema = k.table_schema AND c.table_name = k.table_name "
            " AND c.column_name = k.column_name "
            "WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_name = %s "
            "AND t.table_schema = COALESCE(%s, current_schema())"
            + self._hidden_filter('c') + " ORDER BY k.ordinal_position", (table, schema))
        return [row[0] for row in cursor.fetchall()]

    def get_foreign_keys(self, table: str, schema: Optional[str] = None) -> list:
        # plain joins only, paired up in Python: no LATERAL / multi-argument unnest
        cursor = self.execute_sql(
            "SELECT con.conname, con.conrelid, con.conkey, fc.relname, con.confrelid, "
            "con.confkey, con.confdeltype, con.confupdtype FROM pg_catalog.pg_constraint con "
            "JOIN pg_catalog.pg_class c ON c.oid = con.conrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid "
            "WHERE con.contype = 'f' AND c.relname = %s "
            "AND n.nspname = COALESCE(%s, current_schema()) ORDER BY con.conname",
            (table, schema))
        constraints = cursor.fetchall()
        if not constraints:
            return []
        relids = sorted({row[1] for row in constraints} | {row[4] for row in constraints})
        cursor = self.execute_sql(
            'SELECT attrelid, attnum, attname FROM pg_catalog.pg_attribute '
            'WHERE attrelid IN (%s)' % ', '.join(['%s'] * len(relids)), relids)
        names = {(relid, num): name for relid, num, name in cursor.fetchall()}
        result = []
        for (name, relid, keys, dest_table, dest_relid, dest_keys, on_delete,
             on_update) in constraints:
            for key, dest_key in zip(_int_list(keys), _int_list(dest_keys)):
                result.append(ForeignKeyMetadata(
                    names.get((relid, key)), dest_table, names.get((dest_relid, dest_key)),
                    table, name, _REFERENTIAL_ACTIONS.get(on_delete),
                    _REFERENTIAL_ACTIONS.get(on_update)))
        return result

    def get_indexes(self, table: str, schema: Optional[str] = None) -> list:
        if self.server_flavor != 'cockroach':
            return super().get_indexes(table, schema)
        definitions = dict(self.execute_sql(
            "SELECT indexname, indexdef FROM pg_catalog.pg_indexes "
            "WHERE tablename = %s AND schemaname = COALESCE(%s, current_schema())",
            (table, schema)).fetchall())
        cursor = self.execute_sql(
            "SELECT index_name, non_unique, column_name, storing, implicit "
            "FROM information_schema.statistics "
            "WHERE table_name = %s AND table_schema = COALESCE(%s, current_schema()) "
            "ORDER BY index_name, seq_in_index", (table, schema))
        indexes: dict = {}
        for name, non_unique, column, storing, implicit in cursor.fetchall():
            columns, _ = indexes.setdefault(name, ([], not _yes(non_unique)))
            if not _yes(storing) and not _yes(implicit):
                columns.append(column)
        return [IndexMetadata(name, definitions.get(name), columns, unique, table)
                for name, (columns, unique) in sorted(indexes.items())]

    def sequence_exists(self, sequence: str, schema: Optional[str] = None) -> bool:
        cursor = self.execute_sql(
            "SELECT COUNT(*) FROM information_schema.sequences "
            "WHERE sequence_name = %s AND sequence_schema = COALESCE(%s, current_schema())",
            (sequence, schema))
        return bool(cursor.fetchone()[0])


#: the referential actions as pg_constraint codes them (confdeltype, confupdtype)
_REFERENTIAL_ACTIONS = {'a': 'NO ACTION', 'r': 'RESTRICT', 'c': 'CASCADE', 'n': 'SET NULL',
                        'd': 'SET DEFAULT'}


def _int_list(value: Any) -> list:
    """An ``int2[]`` / ``int2vector`` value as a list of ints (drivers differ)."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.strip('{}').replace(',', ' ').split()
    return [int(v) for v in value]


# ---------------------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------------------

class PooledCockroachDatabase(_PooledDatabase, CockroachDatabase):
    """:class:`CockroachDatabase` with a connection pool (see ``playhouse.pool``)."""
