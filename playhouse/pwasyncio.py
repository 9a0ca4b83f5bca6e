"""asyncio databases for orm: :class:`AsyncSqliteDatabase` (``aiosqlite``) and
:class:`AsyncPostgresqlDatabase` (``asyncpg``).

How it works
------------
orm's query building, statement execution and row shaping are synchronous.  Here they run
unchanged inside a *greenlet* started from a coroutine (:func:`greenlet_spawn`).  The only
thing that changes is the driver connection the synchronous code talks to: a task's
connection is an :class:`AsyncConnectionWrapper`, whose ``cursor()`` gives a
:class:`CursorAdapter`.  When the synchronous code calls ``cursor.execute()``, the adapter
hands the driver's coroutine to the greenlet's parent (:func:`await_`), which awaits it on
the event loop like any other coroutine and switches back with the result.  The greenlet
costs two stack switches per statement; the synchronous databases of orm are untouched.

State
-----
Each asyncio task has its own connection (taken from a pool) and its own stack of open
transactions (:class:`_ConnectionState`).  A task that ends while holding a connection
gives it back: a callback rolls back anything left open and returns it to the pool.

Only names that ``import orm`` exports are used.
"""
from __future__ import annotations

import asyncio
import builtins
import contextvars
import functools
import json
import re
from typing import Any, AsyncIterator, Awaitable, Callable, Iterable, Iterator, Optional, TypeVar

import orm
from orm import *  # noqa: F401,F403  (``from playhouse.pwasyncio import *`` gives orm's names)
from orm import (ExceptionWrapper, ForeignKeyField, InterfaceError, Model,
                 OperationalError, PostgresAdapter, PostgresqlDatabase, Proxy, SqliteDatabase,
                 prefetch)
from playhouse.cockroachdb import (CockroachDatabase, ExceededMaxAttempts,
                                  NestedTransactionError, is_retryable, retry_delay)
from orm import (DatabaseError, DataError, IntegrityError, InternalError, NotSupportedError,
                 ProgrammingError)

_greenlet_module: Any
aiosqlite: Any
asyncpg: Any
try:
    import greenlet as _greenlet_module  # type: ignore[import-untyped,no-redef,unused-ignore]
    from greenlet import getcurrent as _getcurrent  # type: ignore[import-untyped,unused-ignore]
except ImportError:                       # pragma: no cover - greenlet is required
    _greenlet_module = None
    _getcurrent = None

try:
    import aiosqlite  # type: ignore[no-redef,unused-ignore]
except ImportError:                       # pragma: no cover - optional driver
    aiosqlite = None

try:
    import asyncpg  # type: ignore[import-untyped,no-redef,unused-ignore]
except ImportError:                       # pragma: no cover - optional driver
    asyncpg = None

_T = TypeVar('_T')

__all__ = list(orm.__all__) + [
    'AsyncCockroachDatabase', 'AsyncConnectionWrapper', 'AsyncDatabaseMixin', 'AsyncModel', 'AsyncModelMixin',
    'AsyncPostgresqlConnection', 'AsyncPostgresqlDatabase', 'AsyncSqliteConnection',
    'AsyncSqliteDatabase', 'AsyncMySQLDatabase', 'CursorAdapter', 'MissingGreenletBridge', 'await_',
    'greenlet_spawn',
]

# ---------------------------------------------------------------------------------------
# The greenlet bridge
# ---------------------------------------------------------------------------------------

_HINT = ('Run synchronous orm code through "await db.run(fn, ...)", execute queries with '
         '"await query.aexecute()" or the database helpers (db.list(), db.get(), '
         'db.scalar() ...), and load a lazy foreign key with "await obj.afetch(Model.fk)".')


class MissingGreenletBridge(RuntimeError):
    """Synchronous orm code tried to do I/O on an async database outside the bridge
    (outside ``db.run()``, ``aexecute()`` or one of the async helpers)."""


def _require_greenlet() -> None:
    if _greenlet_module is None:
        raise ImportError('playhouse.pwasyncio needs greenlet: pip install greenlet')


if _greenlet_module is not None:
    class _Bridge(_greenlet_module.greenlet):  # type: ignore[misc,name-defined]
        """A greenlet running synchronous code on behalf of a coroutine."""
else:                                      # pragma: no cover
    _Bridge = None  # type: ignore[assignment,misc]


def in_bridge() -> bool:
    """Whether the calling code runs inside :func:`greenlet_spawn` (so it may
    :func:`await_`)."""
    return _getcurrent is not None and isinstance(_getcurrent(), _Bridge)


def await_(awaitable: Awaitable[_T]) -> _T:
    """From synchronous code running in :func:`greenlet_spawn`, wait for ``awaitable`` on
    the event loop and return its result (or raise its exception).

    :raises MissingGreenletBridge: when called outside :func:`greenlet_spawn`; a coroutine
        passed in is closed, so it does not warn about never being awaited.
    """
    current = _getcurrent() if _getcurrent is not None else None
    if not isinstance(current, _Bridge):
        close = getattr(awaitable, 'close', None)
        if close is not None and asyncio.iscoroutine(awaitable):
            close()
        raise MissingGreenletBridge('Synchronous code tried to wait for I/O outside the '
                                    'greenlet bridge. ' + _HINT)
    parent = current.parent
    assert parent is not None
    return parent.switch(awaitable)  # type: ignore[no-any-return]


async def greenlet_spawn(fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Run ``fn(*args, **kwargs)`` in a new greenlet and return its result.

    Whenever ``fn`` calls :func:`await_`, the awaitable it passes is awaited here, in the
    calling task, and ``fn`` resumes with the outcome.  ``fn`` sees the caller's context
    variables (a copy of the context).
    """
    _require_greenlet()
    bridge = _Bridge(fn, _getcurrent())
    bridge.gr_context = contextvars.copy_context()
    step = bridge.switch(*args, **kwargs)
    while not bridge.dead:
        try:
            value = await step
        except BaseException as exc:           # (cancellation too: the sync code unwinds)
            step = bridge.throw(exc)
        else:
            step = bridge.switch(value)
    return step  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------
# Cursors
# ---------------------------------------------------------------------------------------

class CursorAdapter:
    """A DB-API-style cursor over rows an async driver produced.

    Eager (``CursorAdapter(rows, ...)``): every row is already here.  Lazy (given
    ``fetch_many``, an ``async`` callable returning up to ``n`` more rows): rows are fetched
    ``buffer_size`` at a time, each fetch awaited through the bridge; ``cleanup`` (async)
    runs once, from :meth:`aclose` (or :meth:`close` inside the bridge).

    The cursor a task's connection gives synchronous code (``conn.cursor()``) starts empty
    and fills itself on :meth:`execute`.
    """

    def __init__(self, rows: Optional[list] = None, lastrowid: Any = None,
                 rowcount: Optional[int] = None, description: Any = None,
                 fetch_many: Optional[Callable[[int], Awaitable[list]]] = None,
                 cleanup: Optional[Callable[[], Awaitable[Any]]] = None,
                 buffer_size: int = 100, connection: Any = None) -> None:
        self._rows: list = rows if rows is not None else []
        self._pos = 0
        self.lastrowid = lastrowid
        self.rowcount = rowcount if rowcount is not None else (
            len(self._rows) if fetch_many is None else -1)
        self.description = description if description is not None else []
        self._fetch_many = fetch_many
        self._cleanup = cleanup
        self._buffer_size = buffer_size
        self._exhausted = False
        self._connection = connection

    # -- filling (the cursor synchronous code gets from conn.cursor()) -----------------
    def execute(self, sql: str, params: Any = None) -> 'CursorAdapter':
        conn = self._connection
        if conn is None:
            raise InterfaceError('this cursor holds rows; it is not bound to a connection')
        if not in_bridge():
            raise MissingGreenletBridge('Query outside the async bridge: %s\n%s'
                                        % (sql, _HINT))
        stream = conn._stream_next
        if stream is not None:
            conn._stream_next = None
            other = await_(conn.execute_iter(sql, params, stream))
        else:
            other = await_(conn.execute(sql, params))
        self._take(other)
        return self

    def _take(self, other: 'CursorAdapter') -> None:
        self._rows, self._pos = other._rows, 0
        self.lastrowid, self.rowcount = other.lastrowid, other.rowcount
        self.description = other.description
        self._fetch_many, self._cleanup = other._fetch_many, other._cleanup
        self._buffer_size, self._exhausted = other._buffer_size, False

    # -- reading -----------------------------------------------------------------------
    def _refill(self) -> bool:
        """Whether another batch of a lazy cursor arrived (it then replaces the buffer)."""
        fetch = None if self._exhausted else self._fetch_many
        rows = await_(fetch(self._buffer_size)) if fetch is not None else None
        if fetch is not None and not rows:
            self._exhausted = True
        if rows:
            self._rows, self._pos = list(rows), 0
        return bool(rows)

    def fetchone(self) -> Any:
        if self._pos >= len(self._rows) and not self._refill():
            return None
        row = self._rows[self._pos]
        self._pos += 1
        return row

    def fetchmany(self, size: Optional[int] = None) -> list:
        size = size or self._buffer_size
        out: list = []
        while len(out) < size:
            if self._pos >= len(self._rows) and not self._refill():
                break
            take = self._rows[self._pos:self._pos + size - len(out)]
            self._pos += len(take)
            out.extend(take)
        return out

    def fetchall(self) -> list:
        if self._fetch_many is None and self._pos == 0:
            self._pos = len(self._rows)
            return self._rows
        out = self._rows[self._pos:]
        self._pos = len(self._rows)
        while self._refill():
            out.extend(self._rows)
            self._pos = len(self._rows)
        return out

    def __iter__(self) -> Iterator:
        return iter(self.fetchone, None)

    def close(self) -> None:
        if self._cleanup is not None and in_bridge():
            await_(self.aclose())

    async def aclose(self) -> None:
        """End a lazy cursor: run its cleanup once (release the connection's lock, end
        the server-side cursor)."""
        cleanup, self._cleanup, self._fetch_many = self._cleanup, None, None
        if cleanup is not None:
            await cleanup()


def _lazy_cursor_iter(cursor: CursorAdapter) -> Iterator:
    """The rows of ``cursor``, one at a time (run inside the bridge)."""
    while True:
        row = cursor.fetchone()
        if row is None:
            return
        yield row


# ---------------------------------------------------------------------------------------
# Connections
# ---------------------------------------------------------------------------------------

class AsyncConnectionWrapper:
    """A pooled async driver connection as orm's synchronous code sees it.

    ``conn`` is the driver's connection (``None`` once closed).  Statements on one
    connection run one at a time (``_lock``).  While :meth:`execute_iter` streams rows the
    lock stays taken; another statement waits up to ``streaming_timeout`` seconds for the
    stream to end, then raises :class:`InterfaceError`.
    """

    #: seconds a statement waits for a streaming result on the same connection to end
    streaming_timeout: float = 5.0

    def __init__(self, conn: Any, pool: Any = None) -> None:
        self.conn = conn
        self.pool = pool
        self._lock = asyncio.Lock()
        self._streaming = False
        self._stream_next: Optional[int] = None

    def __repr__(self) -> str:
        return '<%s %r>' % (type(self).__name__, self.conn)

    # -- what synchronous code uses ----------------------------------------------------
    def cursor(self) -> CursorAdapter:
        return CursorAdapter(connection=self)

    @property
    def in_transaction(self) -> bool:
        return False

    def stale(self) -> bool:
        """Whether this connection can no longer be used (closed, or its pool is)."""
        return self.conn is None or (self.pool is not None and self.pool.closed)

    # -- locking -----------------------------------------------------------------------
    async def _acquire_lock(self) -> None:
        # a streaming result keeps the lock until its iteration ends: wait for it a while
        limit = self.streaming_timeout if self._streaming else None
        try:
            await asyncio.wait_for(self._lock.acquire(), limit)
        except asyncio.TimeoutError:
            raise InterfaceError(
                'Another statement was run on this connection while db.iterate() was '
                'still streaming rows from it. Finish (or aclose()) the iteration first, '
                'or collect the rows with db.list().') from None

    def _begin_stream(self) -> None:
        self._streaming = True

    def _end_stream(self) -> None:
        self._streaming = False
        if self._lock.locked():
            self._lock.release()

    # -- driver operations (per driver) ------------------------------------------------
    async def execute(self, sql: str, params: Any = None) -> CursorAdapter:
        raise NotImplementedError

    async def execute_iter(self, sql: str, params: Any = None,
                           buffer_size: Optional[int] = None) -> CursorAdapter:
        raise NotImplementedError

    async def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            await conn.close()


class AsyncSqliteConnection(AsyncConnectionWrapper):
    """An ``aiosqlite`` connection."""

    @property
    def in_transaction(self) -> bool:
        conn = self.conn
        return bool(conn is not None and conn.in_transaction)

    async def execute(self, sql: str, params: Any = None) -> CursorAdapter:
        await self._acquire_lock()
        try:
            cursor = await self.conn.execute(sql, params or ())
            try:
                rows = await cursor.fetchall()
                return CursorAdapter(rows, lastrowid=cursor.lastrowid,
                                     rowcount=cursor.rowcount,
                                     description=cursor.description)
            finally:
                await cursor.close()
        finally:
            self._lock.release()

    async def execute_iter(self, sql: str, params: Any = None,
                           buffer_size: Optional[int] = None) -> CursorAdapter:
        await self._acquire_lock()
        try:
            cursor = await self.conn.execute(sql, params or ())
        except BaseException:
            self._lock.release()
            raise
        self._begin_stream()

        async def cleanup() -> None:
            try:
                await cursor.close()
            finally:
                self._end_stream()

        return CursorAdapter(description=cursor.description, fetch_many=cursor.fetchmany,
                             cleanup=cleanup, buffer_size=buffer_size or 100)


_PLACEHOLDER = re.compile(r'%%|%s')
_STATUS_COUNT = re.compile(r'(\d+)\s*$')
#: statements that give rows (read with fetch(); the others with execute(), which gives
#: the command status and so the row count)
_RETURNS_ROWS = re.compile(r'^\s*\(*\s*(SELECT|WITH|VALUES|SHOW|EXPLAIN|TABLE|FETCH)\b|'
                           r'\bRETURNING\b', re.IGNORECASE)


@functools.lru_cache(maxsize=1024)
def _translated_sql(sql: str) -> str:
    return AsyncPostgresqlConnection._translate_placeholders(sql)


class AsyncPostgresqlConnection(AsyncConnectionWrapper):
    """An ``asyncpg`` connection (from the pool)."""

    def __init__(self, conn: Any, pool: Any = None) -> None:
        super().__init__(conn, pool)
        # connections of our own pool run statements through asyncpg's statement cache
        # (one round trip each); any other asyncpg connection prepares each statement
        self._cached = getattr(conn, 'orm_pooled', None) is True
        self._failed_in_transaction = False

    @staticmethod
    def _translate_placeholders(sql: str) -> str:
        """``%s`` placeholders (the DB-API ``format`` style orm writes) as ``$1``, ``$2``
        ...; ``%%`` as ``%``.  Like psycopg, a ``%s`` inside quotes counts too."""
        counter = iter(range(1, 1 << 30))
        return _PLACEHOLDER.sub(
            lambda m: '%' if m.group(0) == '%%' else '$%d' % next(counter), sql)

    def is_in_transaction(self) -> bool:
        conn = self.conn
        try:
            return conn is not None and conn.is_in_transaction() is True
        except Exception:            # (asyncpg refuses once the connection is lost)
            return False

    @property
    def in_transaction(self) -> bool:
        return self.is_in_transaction()

    def stale(self) -> bool:
        if super().stale():
            return True
        try:
            return self.conn.is_closed() is True
        except Exception:
            return True

    async def _run(self, sql: str, params: Any) -> CursorAdapter:
        params = params or ()
        if self._cached:
            text = _translated_sql(sql)
            if _RETURNS_ROWS.search(sql):
                rows = await self.conn.fetch(text, *params)
                rowcount = len(rows)
            else:
                rows, status = [], await self.conn.execute(text, *params)
                match = _STATUS_COUNT.search(status) if isinstance(status, str) else None
                rowcount = int(match.group(1)) if match else 0
        else:
            stmt = await self.conn.prepare(self._translate_placeholders(sql))
            rows = await stmt.fetch(*params)
            status = stmt.get_statusmsg()
            match = _STATUS_COUNT.search(status) if isinstance(status, str) else None
            rowcount = int(match.group(1)) if match else 0
        description = [(name,) for name in rows[0].keys()] if rows else []
        return CursorAdapter(rows, rowcount=rowcount, description=description)

    async def execute(self, sql: str, params: Any = None) -> CursorAdapter:
        await self._acquire_lock()
        try:
            if self._failed_in_transaction and not self.is_in_transaction():
                self._failed_in_transaction = False       # that transaction has ended
            try:
                return await self._run(sql, params)
            except Exception as exc:
                raise self._translated(exc) from exc
        finally:
            self._lock.release()

    def _translated(self, exc: BaseException) -> BaseException:
        if self.is_in_transaction():
            self._failed_in_transaction = True
        return _pg_error(exc, self)

    async def execute_iter(self, sql: str, params: Any = None,
                           buffer_size: Optional[int] = None) -> CursorAdapter:
        await self._acquire_lock()
        transaction = None
        try:
            if not self.is_in_transaction():
                # a server-side cursor lives in a transaction: open one for the stream
                transaction = self.conn.transaction()
                await transaction.start()
            stmt = await self.conn.prepare(self._translate_placeholders(sql))
            cursor = await stmt.cursor(*(params or ()))
            description = [(attr.name,) for attr in stmt.get_attributes()]
        except BaseException as exc:
            try:
                if transaction is not None:
                    await transaction.rollback()
            except Exception:
                pass
            finally:
                self._lock.release()
            if isinstance(exc, Exception):
                raise self._translated(exc) from exc
            raise
        self._begin_stream()

        async def fetch_many(n: int) -> list:
            try:
                return await cursor.fetch(n)  # type: ignore[no-any-return]
            except Exception as exc:
                raise self._translated(exc) from exc

        async def cleanup() -> None:
            try:
                if transaction is not None and not self.stale():
                    await transaction.rollback()
            finally:
                self._end_stream()

        return CursorAdapter(description=description, fetch_many=fetch_many,
                             cleanup=cleanup, buffer_size=buffer_size or 100)

    async def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                await asyncio.wait_for(conn.close(), 5)
            except Exception:
                conn.terminate()


#: the first two characters of a SQLSTATE (its class) -> orm's exception
_PG_CLASSES: dict = {
    '08': OperationalError, '53': OperationalError, '54': OperationalError,
    '55': OperationalError, '57': OperationalError, '58': OperationalError,
    '40': OperationalError, '22': DataError, '23': IntegrityError, '42': ProgrammingError,
    '0A': NotSupportedError, '25': InternalError, '2D': InternalError,
    '3B': InternalError, 'XX': InternalError, 'P0': InternalError, 'F0': InternalError,
}


def _pg_error(exc: BaseException, conn: Optional[AsyncConnectionWrapper] = None
              ) -> BaseException:
    """orm's exception for an asyncpg (or socket) error; the original is ``orig``."""
    if isinstance(exc, orm.PeeweeException):
        return exc
    code = getattr(exc, 'sqlstate', None)
    lost = isinstance(exc, (ConnectionError, OSError)) or (
        asyncpg is not None and isinstance(exc, asyncpg.exceptions.ConnectionDoesNotExistError))
    if lost or (code is not None and code[:2] in ('08', '57')):
        new: BaseException = OperationalError(
            'The connection to the PostgreSQL server was lost (%s: %s). The statement did '
            'not complete; the next statement of this task, or the next task, connects '
            'again.' % (type(exc).__name__, str(exc).strip() or 'no message'))
        if conn is not None and conn.conn is not None:
            try:
                if conn.conn.is_closed():
                    pass
            except Exception:
                pass
    elif code is not None:
        new = _PG_CLASSES.get(code[:2], DatabaseError)(*exc.args)
    elif asyncpg is not None and isinstance(exc, asyncpg.exceptions.InterfaceError):
        new = InterfaceError(*exc.args)
    elif asyncpg is not None and isinstance(exc, asyncpg.exceptions.DataError):
        new = DataError(*exc.args)
    else:
        return exc
    new.orig = exc  # type: ignore[attr-defined]
    if code is not None:
        new.pgcode = code  # type: ignore[attr-defined]
        new.pgerror = str(exc)  # type: ignore[attr-defined]
    return new


# ---------------------------------------------------------------------------------------
# Pools
# ---------------------------------------------------------------------------------------

class _SqlitePool:
    """Up to ``size`` aiosqlite connections, opened on demand and handed out one task at a
    time.  Closing the pool closes the idle connections; one still checked out keeps
    working and is closed when it comes back."""

    def __init__(self, db: 'AsyncSqliteDatabase', size: int, timeout: float) -> None:
        self.db = db
        self.size = max(1, size)
        self.timeout = timeout
        self.closed = False
        self._idle: list = []
        self._count = 0
        self._available = asyncio.Condition()

    async def _open(self) -> AsyncSqliteConnection:
        assert aiosqlite is not None
        db = self.db
        # the connector runs in aiosqlite's thread: the database's own _connect(), so
        # pragmas, attached databases and registered functions are all applied
        raw = aiosqlite.Connection(db._connect, 64)
        try:
            await raw
        except Exception as exc:
            raise _sqlite_error(exc) from exc
        return AsyncSqliteConnection(raw, self)

    async def acquire(self) -> AsyncSqliteConnection:
        async with self._available:
            deadline = asyncio.get_running_loop().time() + self.timeout
            while True:
                if self.closed:
                    raise InterfaceError('the connection pool is closed')
                if self._idle:
                    return self._idle.pop()  # type: ignore[no-any-return]
                if self._count < self.size:
                    self._count += 1
                    break
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    raise OperationalError(
                        'No connection became free within acquire_timeout (%ss): all %d '
                        'are in use.' % (self.timeout, self.size))
                try:
                    await asyncio.wait_for(self._available.wait(), remaining)
                except asyncio.TimeoutError:
                    pass
        try:
            return await self._open()
        except BaseException:
            async with self._available:
                self._count -= 1
                self._available.notify()
            raise

    async def release(self, conn: AsyncConnectionWrapper) -> None:
        if self.closed or conn.conn is None:
            await conn.close()
            async with self._available:
                self._count -= 1
                self._available.notify()
            return
        async with self._available:
            self._idle.append(conn)
            self._available.notify()

    async def close(self) -> None:
        self.closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            self._count -= 1
            try:
                await conn.close()
            except Exception:
                pass
        async with self._available:
            self._available.notify_all()


class _OrmPgConnection(asyncpg.Connection if asyncpg is not None else object):  # type: ignore
    """asyncpg's connection, as the pools of :class:`AsyncPostgresqlDatabase` make them."""

    #: marks the connections of an AsyncPostgresqlDatabase pool
    orm_pooled = True


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


async def _setup_pg_connection(conn: Any) -> None:
    # orm writes JSON as text and reads it decoded (as psycopg does)
    for name in ('json', 'jsonb'):
        await conn.set_type_codec(name, encoder=_json_text, decoder=json.loads,
                                  schema='pg_catalog')


class _AsyncpgPool:
    """asyncpg's pool, handing out :class:`AsyncPostgresqlConnection` wrappers."""

    def __init__(self, pool: Any, timeout: float) -> None:
        self.pool = pool
        self.timeout = timeout
        self.closed = False
        self.out = 0

    async def acquire(self) -> AsyncPostgresqlConnection:
        if self.closed:
            raise InterfaceError('the connection pool is closed')
        try:
            raw = await self.pool.acquire(timeout=self.timeout)
        except asyncio.TimeoutError:
            raise OperationalError('No connection became free within acquire_timeout '
                                   '(%ss).' % self.timeout) from None
        except Exception as exc:
            raise _pg_error(exc) from exc
        self.out += 1
        return AsyncPostgresqlConnection(raw, self)

    async def release(self, conn: AsyncConnectionWrapper) -> None:
        raw, conn.conn = conn.conn, None
        self.out -= 1
        if raw is not None:
            try:
                await self.pool.release(raw)
            except Exception:
                pass
        if self.closed and self.out <= 0:
            await self.pool.close()

    async def close(self) -> None:
        self.closed = True
        if self.out <= 0:
            await self.pool.close()


def _sqlite_error(exc: BaseException) -> BaseException:
    try:
        with ExceptionWrapper():
            raise exc
    except BaseException as translated:
        return translated


# ---------------------------------------------------------------------------------------
# Per-task state
# ---------------------------------------------------------------------------------------

class _State:
    """One task's hold on a database: its connection and its open blocks."""

    __slots__ = ('conn', 'transactions', 'ctx', 'succeeded', 'opened', 'attempts',
                 '__weakref__')

    def __init__(self) -> None:
        self.conn: Any = None
        self.transactions: list = []
        self.ctx: list = []
        self.succeeded = 0
        self.opened: list = []          # one flag per open ``async with db`` block
        self.attempts: Optional[int] = None   # of the last run_transaction()

    @property
    def closed(self) -> bool:
        return self.conn is None

    def reset(self) -> None:
        self.conn = None
        self.transactions.clear()
        self.ctx.clear()


def _task_key() -> Any:
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None


class _ConnectionState:
    """The connection slot of an async database: one :class:`_State` per asyncio task
    (the calling task's is :meth:`_current`).  When a task ends still holding a
    connection, the connection goes to ``_orphaned_conns`` and ``on_orphan`` is called
    with it (the database rolls it back and returns it to the pool)."""

    def __init__(self, on_orphan: Optional[Callable[[Any], None]] = None) -> None:
        self._states: dict = {}
        self._orphaned_conns: list = []
        self._release_tasks: set = set()
        self._on_orphan = on_orphan
        self._outside = _State()

    def _current(self) -> _State:
        task = _task_key()
        if task is None:
            return self._outside
        state = self._states.get(id(task))
        if state is None:
            state = self._states[id(task)] = _State()
            task.add_done_callback(self._task_done)
        return state  # type: ignore[no-any-return]

    def _task_done(self, task: Any) -> None:
        state = self._states.pop(id(task), None)
        if state is None or state.conn is None:
            return
        conn = state.conn
        state.reset()
        self._orphaned_conns.append(conn)
        if self._on_orphan is not None:
            self._on_orphan(conn)

    # the attributes orm's synchronous code reads and writes, for the calling task
    @property
    def conn(self) -> Any:
        return self._current().conn

    @property
    def transactions(self) -> list:
        return self._current().transactions

    @property
    def ctx(self) -> list:
        return self._current().ctx

    @property
    def succeeded(self) -> int:
        return self._current().succeeded

    @succeeded.setter
    def succeeded(self, value: int) -> None:
        self._current().succeeded = value

    @property
    def closed(self) -> bool:
        return self._current().conn is None

    @closed.setter
    def closed(self, value: bool) -> None:
        if value:
            self.reset()

    def set_connection(self, conn: Any) -> None:
        state = self._current()
        state.conn = conn

    def attach(self, conn: Any) -> None:
        self.set_connection(conn)

    def detach(self) -> Any:
        state = self._current()
        conn = state.conn
        state.reset()
        return conn

    def reset(self) -> None:
        self._current().reset()


# ---------------------------------------------------------------------------------------
# Transactions
# ---------------------------------------------------------------------------------------

class _AsyncBlock:
    """An orm transaction block (``atomic()``, ``transaction()``, ``savepoint()``) usable
    with ``with`` (inside ``db.run()``) and with ``async with``."""

    def __init__(self, db: 'AsyncDatabaseMixin', block: Any) -> None:
        self.db = db
        self.block = block
        self._entered: list = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.block, name)

    def __enter__(self) -> Any:
        return self.block.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        return self.block.__exit__(*exc)

    def __call__(self, fn: Callable) -> Callable:
        return self.block(fn)  # type: ignore[no-any-return]

    async def __aenter__(self) -> '_AsyncBlock':
        self._entered.append(await self.db.run(self.block.__enter__))
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        self._entered.pop()
        return await self.db.run(self.block.__exit__, exc_type, exc, tb)

    def _open_block(self) -> Any:
        return self._entered[-1] if self._entered else self.block

    async def acommit(self, *args: Any) -> Any:
        """Commit what the block did so far (a new transaction begins)."""
        return await self.db.run(self._open_block().commit, *args)

    async def arollback(self, *args: Any) -> Any:
        """Roll back what the block did so far."""
        return await self.db.run(self._open_block().rollback, *args)


# ---------------------------------------------------------------------------------------
# The databases
# ---------------------------------------------------------------------------------------

class AsyncDatabaseMixin:
    """asyncio execution for an orm database (mixed in before the database class).

    :param pool_size: most connections open at once.
    :param pool_min_size: connections opened with the pool (PostgreSQL).
    :param acquire_timeout: seconds to wait for a free connection.
    """

    _state: Any
    _pool: Any = None

    def __init__(self, database: Optional[str], *args: Any, pool_size: int = 10,
                 pool_min_size: int = 1, acquire_timeout: float = 10, **kwargs: Any) -> None:
        self.pool_size = pool_size
        self.pool_min_size = pool_min_size
        self.acquire_timeout = acquire_timeout
        self._pool = None
        self._pool_lock: Optional[asyncio.Lock] = None
        self._closing = False
        self._async_model_base: Optional[type] = None
        super().__init__(database, *args, **kwargs)  # type: ignore[call-arg]
        self._state = _ConnectionState(self._schedule_orphan_release)

    # -- the bridge --------------------------------------------------------------------
    async def run(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """Run synchronous ``fn(*args, **kwargs)`` (any orm code) in the bridge, with
        this task's connection; return its result."""
        return await greenlet_spawn(fn, *args, **kwargs)

    def execute_sql(self, sql: str, params: Any = None, commit: Any = None) -> Any:
        if not in_bridge():
            raise MissingGreenletBridge('Query outside the async bridge: %s\n%s'
                                        % (sql, _HINT))
        return super().execute_sql(sql, params)  # type: ignore[misc]

    # -- pool and connections ----------------------------------------------------------
    async def _create_pool(self) -> Any:
        raise NotImplementedError

    async def _get_pool(self) -> Any:
        if self._pool is None or self._pool.closed:
            if self._pool_lock is None:
                self._pool_lock = asyncio.Lock()
            async with self._pool_lock:
                if self._pool is None or self._pool.closed:
                    self._pool = await self._create_pool()
        return self._pool

    async def _new_wrapper(self) -> AsyncConnectionWrapper:
        pool = await self._get_pool()
        conn = await pool.acquire()
        self._learned(conn)
        return conn  # type: ignore[no-any-return]

    def _learned(self, conn: AsyncConnectionWrapper) -> None:
        """Hook run on each connection taken from the pool."""

    async def aconnect(self) -> AsyncConnectionWrapper:
        """Take a connection from the pool for the calling task (the one it holds, if
        any) and return it."""
        if self._closing:
            raise InterfaceError('%s is closing its connection pool; no new connection '
                                 'can be opened.' % type(self).__name__)
        self._require_init()  # type: ignore[attr-defined]
        state = self._state._current()
        conn = state.conn
        if conn is not None and not conn.stale():
            return conn  # type: ignore[no-any-return]
        if conn is not None:
            state.conn = None
            await self._discard(conn)
        state.conn = await self._new_wrapper()
        return state.conn  # type: ignore[no-any-return]

    async def aclose(self) -> bool:
        """Give the calling task's connection back to the pool.

        :raises OperationalError: a transaction is open in this task.
        """
        state = self._state._current()
        conn = state.conn
        if conn is None:
            return False
        if state.transactions:
            raise OperationalError('aclose() refused: a transaction is open in this task; '
                                   'leave the atomic()/transaction() block first.')
        state.reset()
        await self._release_conn(conn)
        return True

    async def _release_conn(self, conn: AsyncConnectionWrapper) -> None:
        pool = conn.pool
        if pool is None or pool is not self._pool or pool.closed:
            if pool is not None and not isinstance(pool, _SqlitePool):
                await pool.release(conn)
            else:
                await conn.close()
            return
        try:
            if not conn.stale() and conn.in_transaction:
                await conn.execute('ROLLBACK')
        except Exception:
            await self._discard(conn)
            return
        await pool.release(conn)

    async def _discard(self, conn: AsyncConnectionWrapper) -> None:
        """Give up on a broken connection (the pool forgets it)."""
        pool = conn.pool
        try:
            if pool is not None:
                if conn.conn is not None and isinstance(conn, AsyncSqliteConnection):
                    await conn.close()
                await pool.release(conn)
            else:
                await conn.close()
        except Exception:
            pass

    def _schedule_orphan_release(self, conn: AsyncConnectionWrapper) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if loop.is_closed():
            return
        release = loop.create_task(self._release_orphan(conn))
        self._state._release_tasks.add(release)
        release.add_done_callback(self._state._release_tasks.discard)

    async def _release_orphan(self, conn: AsyncConnectionWrapper) -> None:
        try:
            await self._release_conn(conn)
        except Exception:
            pass
        finally:
            try:
                self._state._orphaned_conns.remove(conn)
            except ValueError:
                pass

    async def close_pool(self) -> None:
        """Close the pool: the calling task's connection and connections left behind by
        ended tasks are closed (open transactions rolled back); call at shutdown."""
        self._closing = True
        try:
            state = self._state._current()
            conn = state.conn
            state.reset()
            if conn is not None:
                await self._release_conn(conn)
            tasks = list(self._state._release_tasks)
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            for orphan in list(self._state._orphaned_conns):
                await self._release_orphan(orphan)
            pool, self._pool = self._pool, None
            if pool is not None:
                await pool.close()
            if conn is not None and conn.conn is not None and conn.pool is pool:
                await conn.close()
        finally:
            self._closing = False

    async def __aenter__(self) -> 'AsyncDatabaseMixin':
        state = self._state._current()
        opened = state.conn is None or state.conn.stale()
        await self.aconnect()
        state.opened.append(opened)
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        state = self._state._current()
        opened = state.opened.pop() if state.opened else True
        if opened and state.conn is not None:
            if state.transactions:
                return                  # a transaction begun before the block still runs
            await self.aclose()

    # -- what orm's synchronous code calls (inside the bridge) -------------------------
    def _open_now(self) -> Any:
        return await_(self.aconnect())

    def cursor(self, commit: Any = None, named_cursor: Any = None) -> Any:
        conn = self._state.conn
        if conn is None or conn.stale():
            state = self._state._current()
            if conn is not None and state.transactions:
                raise OperationalError('The connection of this task was lost inside a '
                                       'transaction; the transaction is gone.')
            if conn is None and not self.autoconnect:  # type: ignore[attr-defined]
                raise InterfaceError('No open connection: call "await db.aconnect()" (or '
                                     'use "async with db") first; autoconnect is off.')
            conn = await_(self.aconnect())
        return conn.cursor()

    def _close(self, conn: Any) -> None:
        await_(self._release_conn(conn))

    def is_closed(self) -> bool:
        return self._state._current().conn is None  # type: ignore[no-any-return]

    def is_connection_usable(self) -> bool:
        conn = self._state._current().conn
        return conn is not None and not conn.stale()

    # -- async helpers -----------------------------------------------------------------
    async def aexecute(self, query: Any) -> Any:
        """Execute any query on this database; its usual result (rows for a select or a
        statement with RETURNING, the new key for an insert, a row count otherwise)."""
        return await self.run(_execute_buffered, query, self)

    async def aexecute_sql(self, sql: str, params: Any = None) -> Any:
        """Execute ``sql``; a cursor with every row already fetched."""
        return await self.run(self.execute_sql, sql, params)

    async def get(self, query: Any) -> Any:
        """The one row of a select (``DoesNotExist`` when none)."""
        return await self.run(query.get)

    async def first(self, query: Any, n: int = 1) -> Any:
        """The first row (``None`` if none), or a list of the first ``n``."""
        return await self.run(query.first, n=n)

    async def list(self, query: Any) -> 'builtins.list':
        """The rows of a select (or of a statement with RETURNING) as a list."""
        return await self.run(lambda: list(query.execute(self)))

    async def scalar(self, query: Any) -> Any:
        """The first column of the first row."""
        return await self.run(query.scalar)

    async def count(self, query: Any) -> int:
        """How many rows the select returns."""
        return await self.run(query.count)

    async def exists(self, query: Any) -> bool:
        """Whether the select returns any row."""
        return await self.run(query.exists)

    async def aprefetch(self, query: Any, *subqueries: Any) -> 'builtins.list':
        """:func:`orm.prefetch` in the bridge: the rows of ``query`` with the related
        rows of each subquery attached."""
        return await self.run(lambda: list(prefetch(query, *subqueries)))

    async def acreate_tables(self, models: Iterable, **options: Any) -> None:
        await self.run(self.create_tables, models, **options)  # type: ignore[attr-defined]

    async def adrop_tables(self, models: Iterable, **options: Any) -> None:
        await self.run(self.drop_tables, models, **options)  # type: ignore[attr-defined]

    async def iterate(self, query: Any, buffer_size: Optional[int] = None
                      ) -> AsyncIterator[Any]:
        """Stream the rows of a select, ``buffer_size`` (100) fetched at a time (a
        server-side cursor on PostgreSQL).  The task's connection is busy until the
        iteration ends."""
        conn = await self.aconnect()
        query = query.clone()
        step = buffer_size or 100

        def start() -> Iterator:
            conn._stream_next = step
            try:
                return iter(query.iterator(self))
            finally:
                conn._stream_next = None

        rows = await self.run(start)
        try:
            # each row is shaped in the bridge only when asked for, so the stream (and
            # the connection) stays open until the consumer has read the last one
            async for row in _RowStream(rows):
                yield row
        finally:
            await self._end_iteration(conn, rows, query)

    async def _end_iteration(self, conn: AsyncConnectionWrapper, rows: Any,
                             query: Any) -> None:
        """A stream is over (read to its end, or left): free the task's connection."""
        if hasattr(rows, 'close'):
            await greenlet_spawn(rows.close)
        cursor = getattr(query._cursor_wrapper, 'cursor', None) \
            if getattr(query, '_cursor_wrapper', None) is not None else None
        if isinstance(cursor, CursorAdapter):
            await cursor.aclose()
        if conn._streaming:
            conn._end_stream()

    # -- transactions ------------------------------------------------------------------
    def atomic(self, *args: Any, **kwargs: Any) -> Any:
        return _AsyncBlock(self, super().atomic(*args, **kwargs))  # type: ignore[misc]

    def transaction(self, *args: Any, **kwargs: Any) -> Any:
        return _AsyncBlock(self, super().transaction(*args, **kwargs))  # type: ignore[misc]

    def savepoint(self, *args: Any, **kwargs: Any) -> Any:
        return _AsyncBlock(self, super().savepoint(*args, **kwargs))  # type: ignore[misc]

    # -- models ------------------------------------------------------------------------
    @property
    def Model(self) -> type:
        """A base class for models of this database, with the ``a``-prefixed methods."""
        base = self._async_model_base
        if base is None:
            meta = type('Meta', (), {'database': self})
            base = type('BaseModel', (AsyncModel,), {'Meta': meta, '__module__': __name__})
            self._async_model_base = base
        return base


class _RowStream:
    """An async iterator over a synchronous iterator whose steps may do I/O: each step
    runs in the bridge."""

    _END = object()

    def __init__(self, rows: Iterator) -> None:
        self.rows = rows

    def __aiter__(self) -> '_RowStream':
        return self

    async def __anext__(self) -> Any:
        row = await greenlet_spawn(next, self.rows, self._END)
        if row is self._END:
            raise StopAsyncIteration
        return row


def _execute_buffered(query: Any, database: Any) -> Any:
    """Run ``query`` on ``database``; a result set is read to its end (inside the
    bridge), so iterating it later needs no I/O."""
    result = query.execute(database)
    fill = getattr(result, 'fill_cache', None)
    if fill is not None:
        fill()
    return result


class AsyncSqliteDatabase(AsyncDatabaseMixin, SqliteDatabase):
    """SQLite on ``aiosqlite`` with a pool of ``pool_size`` connections (one for an
    in-memory database, each in-memory connection being a database of its own)."""

    def __init__(self, database: Optional[str], *args: Any, **kwargs: Any) -> None:
        if aiosqlite is None:
            raise ImportError('AsyncSqliteDatabase needs aiosqlite: pip install aiosqlite')
        super().__init__(database, *args, **kwargs)
        # each connection is made (and used) in aiosqlite's own thread
        self.connect_params.setdefault('check_same_thread', False)

    def _current_conn(self) -> Any:
        # functions registered later reach new connections only (the pool's open ones
        # live in aiosqlite's threads)
        return None

    async def _create_pool(self) -> Any:
        memory = self.database == ':memory:' or 'mode=memory' in str(self.database)
        return _SqlitePool(self, 1 if memory else self.pool_size, self.acquire_timeout)


class AsyncpgAdapter(PostgresAdapter):
    """What :class:`~orm.PostgresqlDatabase` needs from a driver, for asyncpg connections
    (:class:`AsyncPostgresqlConnection`)."""

    driver = 'asyncpg'
    package = 'asyncpg'

    def connect(self, database: str, **params: Any) -> Any:
        raise InterfaceError('asyncpg connections come from the pool: use "await '
                             'db.aconnect()"')

    def server_version(self, conn: Any) -> int:
        info = conn.conn.get_server_version()
        return int(info.major * 10000 + (info.minor if info.major < 10 else 0))

    def transaction_status(self, conn: Any) -> int:
        if conn.stale():
            return 4                    # unknown: the link is gone
        if conn.is_in_transaction():
            return 3 if conn._failed_in_transaction else 2
        conn._failed_in_transaction = False
        return 0

    def is_closed(self, conn: Any) -> bool:
        return bool(conn.stale())

    @property
    def json_type(self) -> type:
        return str


class AsyncPostgresqlDatabase(AsyncDatabaseMixin, PostgresqlDatabase):
    """PostgreSQL on ``asyncpg`` and its connection pool.

    ``database`` may be a name or a ``postgresql://`` URL; the other connection
    arguments (``host``, ``port``, ``user``, ``password`` ...) go to asyncpg.
    ``isolation_level`` sets the level every transaction begins with.
    """

    psycopg2_adapter = AsyncpgAdapter
    psycopg3_adapter = AsyncpgAdapter

    def __init__(self, database: Optional[str], *args: Any, **kwargs: Any) -> None:
        if asyncpg is None:
            raise ImportError('AsyncPostgresqlDatabase needs asyncpg: pip install asyncpg')
        super().__init__(database, *args, **kwargs)

    def _learned(self, conn: AsyncConnectionWrapper) -> None:
        if self.server_version is None and conn.conn is not None:
            version = self.adapter.server_version(conn)
            self.server_version = version
            self.dialect.server_version = (version // 10000, version % 10000)

    async def _create_pool(self) -> Any:
        assert asyncpg is not None
        params = dict(self.connect_params)
        database = self.database or ''
        if database.startswith(('postgres://', 'postgresql://')):
            params['dsn'] = database
        else:
            params['database'] = database
        if 'dbname' in params:
            params['database'] = params.pop('dbname')
        if 'passwd' in params:
            params['password'] = params.pop('passwd')
        try:
            pool = await asyncpg.create_pool(
                min_size=min(self.pool_min_size, self.pool_size), max_size=self.pool_size,
                connection_class=_OrmPgConnection, init=_setup_pg_connection, **params)
        except Exception as exc:
            raise _pg_error(exc) from exc
        return _AsyncpgPool(pool, self.acquire_timeout)


class AsyncCockroachDatabase(AsyncPostgresqlDatabase, CockroachDatabase):
    """CockroachDB on ``asyncpg``, with :meth:`run_transaction` for async callbacks.

    The retry settings are :class:`~playhouse.cockroachdb.CockroachDatabase`'s
    (``max_attempts``, ``retry_base_delay``, ``retry_max_delay``); ``port`` defaults to
    26257 and ``user`` to ``root``.
    """

    async def run_transaction(self, callback: Callable[[Any], Awaitable[_T]],  # type: ignore[override]
                              max_attempts: Optional[int] = None, system_time: Any = None,
                              priority: Any = None, isolation_level: Any = None) -> _T:
        """Run ``await callback(db)`` in a transaction; when it (or its COMMIT) fails with
        a serialization conflict (SQLSTATE ``40001``, or ``40P01``), roll back, wait a
        random delay growing exponentially with each attempt, and run it again in a fresh
        transaction.  Other errors roll back and propagate at once.

        :raises ExceededMaxAttempts: every one of ``max_attempts`` attempts conflicted.
        :raises NestedTransactionError: the task already has a transaction open.
        """
        if max_attempts is None:
            max_attempts = self.max_attempts
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or \
                max_attempts < 1:
            raise ValueError('max_attempts must be a positive integer, got %r'
                             % (max_attempts,))
        if self.in_transaction():
            raise NestedTransactionError(
                'run_transaction() cannot run inside another transaction of this task: '
                'it must own the whole transaction to roll it back and run it again.')
        options = {name: value for name, value in (('system_time', system_time),
                                                   ('priority', priority),
                                                   ('isolation_level', isolation_level))
                   if value is not None}
        last_error: Optional[BaseException] = None
        for attempt in range(1, max_attempts + 1):
            self._state._current().attempts = attempt
            if attempt > 1:
                await asyncio.sleep(retry_delay(self, attempt - 1))
            try:
                async with self.transaction(**options):
                    result = await callback(self)
            except Exception as exc:
                if is_retryable(exc):
                    last_error = exc
                    continue
                raise
            return result
        raise ExceededMaxAttempts(
            'run_transaction() gave up after %d attempt%s: each ended in a serialization '
            'conflict and was rolled back (last error: %s).'
            % (max_attempts, '' if max_attempts == 1 else 's', str(last_error).strip()),
            attempts=max_attempts, last_error=last_error) from last_error

    @property
    def last_transaction_attempts(self) -> Optional[int]:
        """Attempts made by this task's last :meth:`run_transaction`."""
        return self._state._current().attempts  # type: ignore[no-any-return]


class AsyncMySQLDatabase(AsyncDatabaseMixin):
    """Named for peewee compatibility only: orm has no MySQL engine, so creating one
    raises :class:`~orm.NotSupportedError`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotSupportedError('orm has no MySQL engine, so there is no async MySQL '
                                'database either; use AsyncPostgresqlDatabase or '
                                'AsyncSqliteDatabase.')


# ---------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------

def _async_database(model: Any) -> AsyncDatabaseMixin:
    db = model._meta.database
    if db is None:
        raise InterfaceError('%s is not bound to a database: give it Meta.database (an '
                             'Async database such as AsyncSqliteDatabase).' % model.__name__)
    if isinstance(db, Proxy):
        target = object.__getattribute__(db, 'obj')
        if target is None:
            raise InterfaceError('%s is bound to a DatabaseProxy that has not been '
                                 'initialized.' % model.__name__)
        db = target
    if not isinstance(db, AsyncDatabaseMixin):
        raise InterfaceError('%s.a...() methods need an Async database '
                             '(AsyncSqliteDatabase, AsyncPostgresqlDatabase); the model is '
                             'bound to %r.' % (model.__name__, db))
    return db


def _foreign_key(instance: Any, given: Any) -> Any:
    """The ForeignKeyField ``given`` names (a field, or its name or column name)."""
    found = instance._meta.combined[given] if isinstance(given, str) else given
    if isinstance(found, ForeignKeyField):
        return found
    raise ValueError('afetch() takes a ForeignKeyField of %s, not %r'
                     % (type(instance).__name__, found))


class AsyncModelMixin:
    """``a``-prefixed coroutine versions of the model methods that read or write rows;
    each runs the synchronous method in the bridge of the model's async database."""

    _meta: Any
    __rel__: dict

    @classmethod
    async def acreate(cls, **query: Any) -> Any:
        return await _async_database(cls).run(cls.create, **query)  # type: ignore[attr-defined]

    @classmethod
    async def aget(cls, *query: Any, **filters: Any) -> Any:
        return await _async_database(cls).run(cls.get, *query,  # type: ignore[attr-defined]
                                              **filters)

    @classmethod
    async def aget_or_none(cls, *query: Any, **filters: Any) -> Any:
        return await _async_database(cls).run(cls.get_or_none,  # type: ignore[attr-defined]
                                              *query, **filters)

    @classmethod
    async def aget_by_id(cls, pk: Any) -> Any:
        return await _async_database(cls).run(cls.get_by_id, pk)  # type: ignore[attr-defined]

    @classmethod
    async def aget_or_create(cls, **kwargs: Any) -> Any:
        return await _async_database(cls).run(cls.get_or_create,  # type: ignore[attr-defined]
                                              **kwargs)

    @classmethod
    async def adelete_by_id(cls, pk: Any) -> Any:
        return await _async_database(cls).run(cls.delete_by_id,  # type: ignore[attr-defined]
                                              pk)

    @classmethod
    async def aset_by_id(cls, key: Any, value: Any) -> Any:
        return await _async_database(cls).run(cls.set_by_id,  # type: ignore[attr-defined]
                                              key, value)

    @classmethod
    async def abulk_create(cls, model_list: Iterable, batch_size: Optional[int] = None
                           ) -> Any:
        return await _async_database(cls).run(cls.bulk_create,  # type: ignore[attr-defined]
                                              model_list, batch_size)

    @classmethod
    async def abulk_update(cls, model_list: Iterable, fields: Iterable,
                           batch_size: Optional[int] = None) -> Any:
        return await _async_database(cls).run(cls.bulk_update,  # type: ignore[attr-defined]
                                              model_list, fields, batch_size)

    async def asave(self, force_insert: bool = False, only: Any = None) -> Any:
        return await _async_database(self).run(self.save,  # type: ignore[attr-defined]
                                               force_insert=force_insert, only=only)

    async def adelete_instance(self, recursive: bool = False,
                               delete_nullable: bool = False) -> Any:
        return await _async_database(self).run(
            self.delete_instance, recursive=recursive,  # type: ignore[attr-defined]
            delete_nullable=delete_nullable)

    async def afetch(self, field: Any) -> Any:
        """The object a foreign key points to, loaded on the event loop when it is not
        loaded yet, then kept on the instance (plain attribute access is free after)."""
        field = _foreign_key(self, field)
        if not field.lazy_load:
            raise ValueError('%s was declared with lazy_load=False: it gives the key value '
                             'only; fetch the row explicitly (e.g. await '
                             'Rel.aget_by_id(obj.%s)).' % (field.name, field.name))
        loaded = self.__dict__.get('__rel__', {})
        if field.name in loaded:
            return loaded[field.name]
        if getattr(self, field.object_id_name or field.name, None) is None:
            return None
        return await _async_database(self).run(getattr, self, field.name)


class AsyncModel(AsyncModelMixin, Model):
    """:class:`orm.Model` with the async methods of :class:`AsyncModelMixin`."""

