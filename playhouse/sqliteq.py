"""SQLite with one writer thread: writes from any number of threads, without lock errors.

SQLite lets one connection write at a time.  :class:`SqliteQueueDatabase` sends every
statement that writes through a queue to a single writer thread with its own
connection, which runs them one after another; reads (``SELECT``) run directly on the
calling thread's connection.  The database runs in WAL mode so that readers and the
writer do not block each other::

    from playhouse.sqliteq import SqliteQueueDatabase

    db = SqliteQueueDatabase('app.db')       # the writer thread starts at once
    ...                                       # use it from as many threads as needed
    db.stop()                                 # finish the queued writes, stop the thread

A write returns when the writer has run it, with its result in an :class:`AsyncCursor`
(rows, ``lastrowid``, ``rowcount``); an error is raised in the thread that issued the
statement.  Each write commits by itself: ``atomic()`` and ``transaction()`` are not
available, since statements of different threads interleave in the one connection.

``pause()`` waits for the queued writes, then has the writer close its connection (so
that something else can write to the file); writes issued while paused raise
:class:`WriterPaused`.  ``unpause()`` resumes.  ``stop()`` / ``start()`` stop and
restart the writer; writes after ``stop()`` raise :class:`ShutdownException`.
"""
from __future__ import annotations

import itertools
import logging
import queue
import threading
from typing import Any, Callable, Iterator, Optional

from orm import ImproperlyConfigured, NotSupportedError

from .sqlite_ext import SqliteExtDatabase

# gevent is optional and ships no type information
try:
    import gevent  # type: ignore[import-untyped,import-not-found,unused-ignore]
    from gevent.event import Event as _GEvent  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: E501
    from gevent.queue import Queue as _GQueue  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: E501
except ImportError:
    gevent = _GEvent = _GQueue = None

__all__ = ['AsyncCursor', 'GreenletHelper', 'ResultTimeout', 'ShutdownException',
           'SqliteQueueDatabase', 'ThreadHelper', 'Writer', 'WriterPaused']

logger = logging.getLogger('orm.sqliteq')


class ResultTimeout(Exception):
    """The writer did not run the statement within ``results_timeout`` seconds."""


class WriterPaused(Exception):
    """A write was issued while the writer is paused (see ``pause()``)."""


class ShutdownException(Exception):
    """A write was issued after the writer was stopped (see ``stop()`` / ``start()``)."""


class _Outcome:
    """What the writer learned from running one statement."""

    __slots__ = ('rows', 'lastrowid', 'rowcount', 'description')

    def __init__(self, cursor: Any) -> None:
        self.description = cursor.description
        # rows are read in the writer thread: the driver cursor belongs to it
        self.rows: Iterator[tuple] = iter(cursor.fetchall() if self.description else ())
        self.lastrowid = cursor.lastrowid
        self.rowcount = cursor.rowcount


_NOTHING = _Outcome(type('_NoCursor', (), {'description': None, 'lastrowid': None,
                                           'rowcount': -1})())


class AsyncCursor:
    """The result of a statement run by the writer thread.

    Reading anything from it (rows, ``lastrowid``, ``rowcount``, ``description``)
    waits until the writer has run the statement, at most ``timeout`` seconds
    (:class:`ResultTimeout`), and raises the statement's error if it failed.  An error
    that nobody read is logged (on the ``orm.sqliteq`` logger, at ERROR level)
    when the cursor is discarded, so a failed write never passes unseen.
    """

    __slots__ = ('sql', 'params', 'timeout', '_event', '_outcome', '_error', '_reported')

    def __init__(self, event: Any, sql: str, params: Any, timeout: Optional[float]) -> None:
        self._event = event
        self.sql = sql
        self.params = params
        self.timeout = timeout
        self._outcome: Optional[_Outcome] = None
        self._error: Optional[BaseException] = None
        self._reported = False

    def __del__(self) -> None:
        if self._error is not None and not self._reported:
            logger.error('a write run by the queue writer failed and its cursor was never '
                         'read: %r: %s: %s', self.sql, type(self._error).__name__,
                         self._error)

    def set_result(self, cursor: Any, exc: Optional[BaseException] = None) -> 'AsyncCursor':
        """Store the outcome (called by the writer) and wake the waiting thread."""
        try:
            if exc is None:
                self._outcome = _NOTHING if cursor is None else _Outcome(cursor)
        except Exception as failure:        # the rows could not be read: that is the error
            exc = failure
        self._error = exc
        self._event.set()
        return self

    def _settled(self, timeout: Optional[float] = None) -> _Outcome:
        """The outcome, once the writer has produced it (or the statement's error)."""
        if self._outcome is None and self._error is None:
            limit = self.timeout if timeout is None else timeout
            if not self._event.wait(timeout=limit):
                raise ResultTimeout('no result from the writer thread after %s seconds'
                                    % limit)
        if self._error is not None:
            self._reported = True
            raise self._error
        assert self._outcome is not None
        return self._outcome

    def wait(self, timeout: Optional[float] = None) -> 'AsyncCursor':
        """Wait for the statement to run; raise its error if it failed."""
        self._settled(timeout)
        return self

    def _finished(self) -> 'AsyncCursor':
        """Wait for the statement to run, keeping a failure for whoever reads the
        cursor (:class:`ResultTimeout` is raised at once)."""
        if self._outcome is None and self._error is None and \
                not self._event.wait(timeout=self.timeout):
            raise ResultTimeout('no result from the writer thread after %s seconds'
                                % self.timeout)
        return self

    def __iter__(self) -> Iterator[tuple]:
        return self._settled().rows

    def __next__(self) -> tuple:
        return next(self._settled().rows)

    @property
    def lastrowid(self) -> Any:
        return self._settled().lastrowid

    @property
    def rowcount(self) -> int:
        return self._settled().rowcount

    @property
    def description(self) -> Any:
        return self._settled().description

    def close(self) -> None:
        pass

    def fetchone(self) -> Optional[tuple]:
        return next(self._settled().rows, None)

    def fetchmany(self, size: int = 1) -> list:
        return list(itertools.islice(self._settled().rows, size))

    def fetchall(self) -> list:
        return list(self._settled().rows)


# -- concurrency primitives -------------------------------------------------------------------
class ThreadHelper:
    """Events, queues and the writer as standard-library threads."""

    __slots__ = ('queue_max_size',)

    def __init__(self, queue_max_size: Optional[int] = None) -> None:
        self.queue_max_size = queue_max_size

    def event(self) -> Any:
        return threading.Event()

    def queue(self, max_size: Optional[int] = None) -> Any:
        max_size = max_size if max_size is not None else self.queue_max_size
        return queue.Queue(maxsize=max_size or 0)

    def thread(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        thread = threading.Thread(target=fn, args=args, kwargs=kwargs,
                                  name='orm-sqliteq-writer')
        thread.daemon = True
        return thread


class GreenletHelper(ThreadHelper):
    """Events, queues and the writer as gevent greenlets (``use_gevent=True``)."""

    __slots__ = ()

    def __init__(self, queue_max_size: Optional[int] = None) -> None:
        if gevent is None:
            raise ImproperlyConfigured('SqliteQueueDatabase(use_gevent=True) needs gevent: '
                                       'pip install gevent (or use threads: '
                                       'use_gevent=False).')
        super().__init__(queue_max_size)

    def event(self) -> Any:
        return _GEvent()

    def queue(self, max_size: Optional[int] = None) -> Any:
        max_size = max_size if max_size is not None else self.queue_max_size
        return _GQueue(maxsize=max_size or None)

    def thread(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        def run() -> Any:
            return fn(*args, **kwargs)
        return gevent.Greenlet(run)


# -- the writer ---------------------------------------------------------------------------------
class _Control:
    """A message for the writer (pause / unpause / shutdown) with an event to wait on."""

    __slots__ = ('kind', 'event')

    def __init__(self, kind: str, event: Any) -> None:
        self.kind = kind
        self.event = event


class Writer:
    """The loop of the writer thread: run queued statements one at a time."""

    __slots__ = ('database', 'queue')

    def __init__(self, database: 'SqliteQueueDatabase', queue: Any) -> None:
        self.database = database
        self.queue = queue

    def run(self) -> None:
        paused = False
        try:
            while True:
                item = self.queue.get()
                if isinstance(item, _Control):
                    if item.kind == 'shutdown':
                        item.event.set()
                        break
                    if item.kind == 'pause':
                        self.database._close_writer_connection()
                        paused = True
                    elif item.kind == 'unpause':
                        paused = False
                    item.event.set()
                elif paused:
                    item.set_result(None, WriterPaused(
                        'The writer is paused: call unpause() before writing.'))
                else:
                    self.execute(item)
                item = None     # the waiting thread now holds the only reference
        finally:
            self.database._close_writer_connection()
            self._drain()

    def execute(self, item: AsyncCursor) -> None:
        logger.debug('writer runs %r', item.sql)
        try:
            cursor = self.database._execute_now(item.sql, item.params)
        except Exception as exc:
            item.set_result(None, exc)
        else:
            item.set_result(cursor)

    def _drain(self) -> None:
        """Fail whatever is still queued (nothing should be, after shutdown)."""
        while True:
            try:
                item = self.queue.get_nowait()
            except Exception:
                return
            if isinstance(item, _Control):
                item.event.set()
            else:
                item.set_result(None, ShutdownException('The writer has stopped.'))


# -- the database -------------------------------------------------------------------------------
_READ_PREFIXES = ('SELECT', 'EXPLAIN', 'VALUES')
_WRITE_WORDS = ('INSERT', 'UPDATE', 'DELETE', 'REPLACE')


class SqliteQueueDatabase(SqliteExtDatabase):
    """A :class:`playhouse.sqlite_ext.SqliteExtDatabase` whose writes all go through one
    writer thread.

    :param database: the database file (an in-memory database cannot be shared between
        the writer's connection and the readers').
    :param use_gevent: use gevent greenlets, events and queues instead of threads.
    :param autostart: start the writer now (else call :meth:`start`).
    :param queue_max_size: bound of the write queue (``None``: unbounded); a full queue
        makes writers wait.
    :param results_timeout: seconds to wait for the writer before :class:`ResultTimeout`
        (``None``: no limit).
    :param kwargs: :class:`SqliteExtDatabase` options.  The journal mode is WAL; asking
        for another raises ``ValueError``.
    """

    WAL_MODE_ERROR_MESSAGE = ('SqliteQueueDatabase needs the WAL journal mode, which lets '
                              'readers go on while the writer thread writes; do not set '
                              'another journal_mode.')

    def __init__(self, database: Optional[str], use_gevent: bool = False,
                 autostart: bool = True, queue_max_size: Optional[int] = None,
                 results_timeout: Optional[float] = None, *args: Any, **kwargs: Any) -> None:
        if database == ':memory:' or (database or '').startswith('file::memory:'):
            raise ValueError('SqliteQueueDatabase needs a database file: an in-memory '
                             'database is private to one connection, so the writer '
                             "thread's writes would be invisible to every reader.")
        kwargs['pragmas'] = self._wal_pragmas(kwargs.pop('pragmas', None))
        if not kwargs.get('thread_safe', True):
            raise ValueError('SqliteQueueDatabase keeps a connection per thread '
                             '(thread_safe=False is not supported).')
        self._results_timeout = results_timeout
        self._is_stopped = True
        self._qlock = threading.Lock()
        self._writer_thread: Any = None
        self._write_queue: Any = None
        self._thread_helper = self.get_thread_impl(use_gevent)(queue_max_size)
        super().__init__(database, *args, **kwargs)
        if autostart:
            self.start()

    def _wal_pragmas(self, pragmas: Any) -> list:
        items = list(pragmas.items() if isinstance(pragmas, dict) else pragmas or ())
        for key, value in items:
            if str(key).lower() == 'journal_mode' and str(value).lower() != 'wal':
                raise ValueError(self.WAL_MODE_ERROR_MESSAGE)
        if not any(str(key).lower() == 'journal_mode' for key, _ in items):
            items.append(('journal_mode', 'wal'))
        return items

    @staticmethod
    def get_thread_impl(use_gevent: bool) -> type:
        return GreenletHelper if use_gevent else ThreadHelper

    # -- the writer ----------------------------------------------------------------------
    def start(self) -> bool:
        """Start the writer thread; ``False`` when it is already running."""
        with self._qlock:
            if not self._is_stopped:
                return False
            helper = self._thread_helper
            self._write_queue = helper.queue()
            writer = Writer(self, self._write_queue)
            self._writer_thread = helper.thread(writer.run)
            self._writer_thread.start()
            self._is_stopped = False
            return True

    def stop(self) -> bool:
        """Run the writes already queued, then stop the writer thread.

        :returns: ``False`` when it was not running.
        """
        with self._qlock:
            if self._is_stopped:
                return False
            self._is_stopped = True
            control = _Control('shutdown', self._thread_helper.event())
            self._write_queue.put(control)
            thread = self._writer_thread
        control.event.wait()
        thread.join()
        return True

    def queue_size(self) -> int:
        """How many writes (and control messages) wait in the queue right now."""
        pending = self._write_queue
        return 0 if pending is None else pending.qsize()

    def is_stopped(self) -> bool:
        """Whether the writer thread is stopped."""
        return self._is_stopped

    def _control(self, kind: str) -> None:
        with self._qlock:
            if self._is_stopped:
                raise ShutdownException('The writer is stopped: call start() first.')
            control = _Control(kind, self._thread_helper.event())
            self._write_queue.put(control)
        control.event.wait()

    def pause(self) -> None:
        """Wait for the queued writes, then have the writer close its connection."""
        self._control('pause')

    def unpause(self) -> None:
        """Let the writer reconnect and run writes again."""
        self._control('unpause')

    def _close_writer_connection(self) -> None:
        # runs in the writer thread: closes that thread's connection
        try:
            super().close()
        except Exception:   # pragma: no cover - closing is best effort
            logger.exception('the writer could not close its connection')

    def _execute_now(self, sql: str, params: Any) -> Any:
        return super().execute_sql(sql, params)

    # -- statements ----------------------------------------------------------------------
    @staticmethod
    def _is_read(sql: str) -> bool:
        # judged from the very first character: a statement that starts with anything
        # else (a space, a comment) goes to the writer, which is how to send it there
        head = sql.upper()
        if head.startswith(_READ_PREFIXES):
            return True
        if head.startswith('WITH'):
            return not any(word in head for word in _WRITE_WORDS)
        if head.startswith('PRAGMA'):
            return '=' not in head
        return False

    def execute_sql(self, sql: str, params: Any = None, commit: Any = None) -> Any:
        """Run a read now; queue a write for the writer and wait until it has run.

        A write returns its :class:`AsyncCursor` once the writer has run it, so the
        calling thread sees its own write at once; if the write failed, reading the
        cursor raises the error (an error nobody reads is logged).  Statements orm
        builds (:meth:`execute`, model methods) raise it at once."""
        if self._is_read(sql) or threading.current_thread() is self._writer_thread:
            return super().execute_sql(sql, params)
        cursor = AsyncCursor(self._thread_helper.event(), sql, params, self._results_timeout)
        with self._qlock:
            if self._is_stopped:
                raise ShutdownException('The writer is stopped: call start() before '
                                        'writing.')
            self._write_queue.put(cursor)
        return cursor._finished()

    def execute(self, query: Any, commit: Any = None, **context_options: Any) -> Any:
        """Run a query orm built; a failed write raises here (DDL included)."""
        cursor = super().execute(query, **context_options)
        if isinstance(cursor, AsyncCursor):
            cursor.wait()
        return cursor

    # -- transactions are not available ------------------------------------------------------
    def _no_transactions(self, *args: Any, **kwargs: Any) -> Any:
        raise NotSupportedError(
            'Transactions are not supported by SqliteQueueDatabase: statements of all '
            'threads run interleaved on the writer connection, so each write commits by '
            'itself. Use pause() and a separate SqliteDatabase for multi-statement '
            'transactions.')

    atomic = transaction = savepoint = manual_commit = _no_transactions
    session_start = _no_transactions
