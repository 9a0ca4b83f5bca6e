"""The connection-pool mixin shared by every pooled database class.

:mod:`playhouse.pool` (SQLite and PostgreSQL), :mod:`playhouse.postgres_ext` and
:mod:`playhouse.cockroachdb` each combine :class:`PooledDatabase` with their own
database class; they all import it from here, so none of them has to import another
to get it. Applications import it from :mod:`playhouse.pool`.
"""
from __future__ import annotations

import functools
import heapq
import logging
import select
import threading
import time
from collections import namedtuple
from typing import Any, Callable, Optional

from orm import OperationalError, PostgresAdapter

__all__ = ['MaxConnectionsExceeded', 'PoolConnection', 'PooledDatabase', 'locked',
           'make_int']

logger = logging.getLogger('orm.pool')


class MaxConnectionsExceeded(ValueError, OperationalError):
    """Every connection of the pool is in use (and none came back within ``timeout``)."""


#: A connection the pool tracks: when it was opened, the driver connection, and when it
#: was last checked out (``None`` while idle).
PoolConnection = namedtuple('PoolConnection', ('timestamp', 'connection', 'checked_out'))

_UNSET: Any = object()


def make_int(val: Any) -> Any:
    """``val`` as an ``int`` when it is a string of digits (URL options), else unchanged."""
    if val is not None and not isinstance(val, (int, float)):
        try:
            return int(val)
        except (TypeError, ValueError):
            try:
                return float(val)
            except (TypeError, ValueError):
                raise ValueError('expected a number, got %r' % (val,)) from None
    return val


def locked(fn: Callable) -> Callable:
    """Method decorator: the method runs holding its object's ``_pool_lock``."""
    def holding_the_lock(self: Any, *args: Any, **kwargs: Any) -> Any:
        lock = self._pool_lock
        lock.acquire()
        try:
            return fn(self, *args, **kwargs)
        finally:
            lock.release()
    return functools.update_wrapper(holding_the_lock, fn)


def _check_limit(name: str, value: Any, allow_zero: bool) -> Any:
    value = make_int(value)
    if value is None:
        return None
    if isinstance(value, bool) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError('%s must be a %s number, got %r'
                         % (name, 'non-negative' if allow_zero else 'positive', value))
    return value


def _flag(value: Any) -> bool:
    # URL options arrive as text: '0', 'false', 'no' and 'off' turn a flag off
    if isinstance(value, str):
        return value.strip().lower() not in ('', '0', 'false', 'no', 'off')
    return bool(value)


def _connection_limit(value: Any) -> Optional[int]:
    # 0, like None, lifts the limit (a URL can only spell "no limit" as 0)
    return _check_limit('max_connections', value, True) or None


class PooledDatabase:
    """Mixin giving a :class:`orm.Database` subclass a pool of connections.

    Put it first among the bases: ``class MyPooled(PooledDatabase, SqliteDatabase)``.

    :param max_connections: connections open at once (``None`` or ``0``: unlimited).
    :param stale_timeout: seconds a connection may live before it is recycled.
    :param timeout: seconds to wait for a free connection (``None``: do not wait,
        ``0``: wait forever).
    :param ping_on_checkout: on PostgreSQL and CockroachDB, run ``SELECT 1`` on an idle
        connection before handing it out, and replace it when that fails (a backend the
        server just terminated is otherwise only found out by the next statement).

    ``db.pool_stats()`` tells how many connections are idle and in use.
    """

    def __init__(self, database: Optional[str], max_connections: Optional[int] = 20,
                 stale_timeout: Optional[float] = None, timeout: Optional[float] = None,
                 ping_on_checkout: bool = True, **kwargs: Any) -> None:
        self._pool_lock = threading.RLock()
        self._pool_changed = threading.Condition(self._pool_lock)
        self._connections: list = []     # heap of (opened at, tie-breaker, connection)
        self._in_use: dict = {}          # conn_key(connection) -> PoolConnection
        self._opening = 0                # slots reserved by connects in progress
        self._checkins = 0               # bumped whenever a slot may have freed up
        self._heap_counter = 0           # the last tie-breaker handed out (see _park)
        self._opened_count = 0
        self._closed_count = 0
        self._wait_count = 0
        self._pool_local = threading.local()
        self.conn_key: Callable[[Any], Any] = id
        self._max_connections = _connection_limit(max_connections)
        self._stale_timeout = _check_limit('stale_timeout', stale_timeout, False)
        self._wait_timeout = self._wait_timeout_value(timeout)
        self._ping_on_checkout = _flag(ping_on_checkout)
        super().__init__(database, **kwargs)  # type: ignore[call-arg]

    @staticmethod
    def _wait_timeout_value(timeout: Any) -> Optional[float]:
        timeout = _check_limit('timeout', timeout, True)
        if timeout == 0:
            return float('inf')
        return timeout

    def init(self, database: Optional[str], *args: Any, max_connections: Any = _UNSET,
             stale_timeout: Any = _UNSET, timeout: Any = _UNSET,
             ping_on_checkout: Any = _UNSET, **kwargs: Any) -> None:
        """Change the database and connection arguments, and the pool settings given
        (by keyword; positional arguments go to the database class)."""
        super().init(database, *args, **kwargs)  # type: ignore[misc]
        if max_connections is not _UNSET:
            self._max_connections = _connection_limit(max_connections)
        if stale_timeout is not _UNSET:
            self._stale_timeout = _check_limit('stale_timeout', stale_timeout, False)
        if timeout is not _UNSET:
            self._wait_timeout = self._wait_timeout_value(timeout)
        if ping_on_checkout is not _UNSET:
            self._ping_on_checkout = _flag(ping_on_checkout)

    @property
    def max_connections(self) -> Optional[int]:
        return self._max_connections

    @property
    def stale_timeout(self) -> Optional[float]:
        return self._stale_timeout

    @property
    def timeout(self) -> Any:
        """Seconds to wait for a free connection (``inf``: forever, ``None``: no wait);
        assigning it takes the values the ``timeout`` argument takes."""
        return self._wait_timeout

    @timeout.setter
    def timeout(self, seconds: Any) -> None:
        self._wait_timeout = self._wait_timeout_value(seconds)

    # -- checking out --------------------------------------------------------------------
    def connect(self, reuse_if_open: bool = False) -> bool:
        """Check a connection out of the pool for the calling thread.

        :raises MaxConnectionsExceeded: when ``max_connections`` are in use and none was
            checked in within ``timeout`` seconds.
        """
        patience = self._wait_timeout
        deadline = time.monotonic() + patience if patience else None
        while True:
            with self._pool_lock:
                seen = self._checkins
            self._pool_local.pending = None
            try:
                return super().connect(reuse_if_open)  # type: ignore[misc]
            except MaxConnectionsExceeded:
                if deadline is None:
                    raise
                with self._pool_lock:
                    self._wait_count += 1
                    while self._checkins == seen:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            raise MaxConnectionsExceeded(
                                'Max connections exceeded: all %s connections stayed in '
                                'use for %ss (timeout). Close connections when done with '
                                'them, raise max_connections or timeout.'
                                % (self._max_connections, patience)) from None
                        self._pool_changed.wait(min(remaining, 3600))
            except BaseException:
                # checked out, but setting the connection up failed: the core closed it
                key = self._pool_local.pending
                if key is not None:
                    with self._pool_lock:
                        if self._in_use.pop(key, None) is not None:
                            self._closed_count += 1
                        self._checkins += 1
                        self._pool_changed.notify_all()
                raise
            finally:
                self._pool_local.pending = None

    def _connect(self) -> Any:
        while True:
            conn, timestamp = self._reserve()
            if conn is None:
                return self._open_reserved()
            # a round trip, when one is due, runs outside the lock: the slot is reserved
            healthy = self._answers(conn)
            with self._pool_lock:
                self._opening -= 1
                if healthy:
                    self._register(conn, timestamp)
                else:
                    self._closed_count += 1
                    self._checkins += 1
                    self._pool_changed.notify_all()
            if healthy:
                logger.debug('pool: reusing connection %x', id(conn))
                return conn
            logger.debug('pool: connection %x did not answer, dropped', id(conn))
            self._close_quietly([conn])

    def _reserve(self) -> tuple:
        """Reserve a slot: with the oldest usable idle connection and when it was opened,
        or ``(None, None)`` when a new connection is to be opened."""
        now = time.time()
        discard = []
        found: tuple = (None, None)
        try:
            with self._pool_lock:
                while self._connections:
                    timestamp, _, candidate = heapq.heappop(self._connections)
                    if self._is_stale(timestamp, now):
                        logger.debug('pool: closing stale connection %x', id(candidate))
                        discard.append(candidate)
                    elif self._is_closed(candidate):
                        logger.debug('pool: dropping closed connection %x', id(candidate))
                        discard.append(candidate)
                    else:
                        found = (candidate, timestamp)
                        break
                self._closed_count += len(discard)
                limit = self._max_connections
                if found[0] is None and limit is not None and \
                        len(self._in_use) + self._opening >= limit:
                    raise MaxConnectionsExceeded(
                        'Max connections exceeded: %d connections are in use '
                        '(max_connections=%d).' % (len(self._in_use), limit))
                self._opening += 1
        finally:
            self._close_quietly(discard)
        return found

    def _open_reserved(self) -> Any:
        try:
            conn = super()._connect()  # type: ignore[misc]
        except BaseException:
            with self._pool_lock:
                self._opening -= 1
                self._checkins += 1
                self._pool_changed.notify_all()
            raise
        with self._pool_lock:
            self._opening -= 1
            self._opened_count += 1
            self._register(conn, time.time())
        logger.debug('pool: opened connection %x', id(conn))
        return conn

    def _register(self, conn: Any, timestamp: float) -> None:
        key = self.conn_key(conn)
        self._in_use[key] = PoolConnection(timestamp, conn, time.time())
        self._pool_local.pending = key

    # -- checking in ---------------------------------------------------------------------
    def close(self) -> bool:
        """Check the calling thread's connection back into the pool.

        A transaction begun by hand and still open is rolled back first (the
        transaction helpers -- ``atomic()`` and friends -- must still be left before).
        """
        state = self._state  # type: ignore[attr-defined]
        if not state.closed and not state.transactions:
            conn = state.conn
            if self._is_closed(conn):
                return self._discard_current(conn)
            try:
                open_txn = self._driver_in_transaction(conn)  # type: ignore[attr-defined]
            except Exception:
                open_txn = False
            if open_txn:
                logger.warning('pool: rolling back a transaction left open at check-in')
                if not self._rollback_raw(conn):
                    return self._discard_current(conn)   # broken: close it for good
        return super().close()  # type: ignore[misc]

    def _discard_current(self, conn: Any) -> bool:
        """Close the calling thread's (broken) connection for good."""
        with self._lock:  # type: ignore[attr-defined]
            try:
                self._close(conn, close_conn=True)
            finally:
                self._state.reset()  # type: ignore[attr-defined]
        return True

    def _close(self, conn: Any, close_conn: bool = False) -> None:
        key = self.conn_key(conn)
        with self._pool_lock:
            pool_conn = self._in_use.pop(key, None)
            if pool_conn is None and not close_conn:
                # not checked out: close_all() or close_stale() already closed it, or it
                # was checked in before (and may sit idle in the pool): leave it be
                return
            if pool_conn is not None and not close_conn:
                if self._is_stale(pool_conn.timestamp, time.time()):
                    logger.debug('pool: connection %x is stale, closing', id(conn))
                    close_conn = True
                elif self._is_closed(conn) or not self._can_reuse(conn):
                    logger.debug('pool: connection %x is not reusable, closing', id(conn))
                    close_conn = True
                else:
                    self._park(conn, pool_conn.timestamp)
            if close_conn and pool_conn is not None:
                self._closed_count += 1
            self._checkins += 1
            self._pool_changed.notify_all()
        if close_conn:
            self._close_quietly([conn])

    def _park(self, conn: Any, opened_at: float) -> None:
        """Put ``conn`` among the idle connections (the caller holds the pool lock)."""
        ticket = self._heap_counter + 1     # equal opening times leave in FIFO order
        self._heap_counter = ticket
        heapq.heappush(self._connections, (opened_at, ticket, conn))

    def _close_quietly(self, conns: list) -> None:
        for conn in conns:
            try:
                super()._close(conn)  # type: ignore[misc]
            except Exception as exc:   # already closed or broken: nothing to release
                logger.debug('pool: error closing connection %x: %s', id(conn), exc)

    # -- health checks (override per driver as needed) ---------------------------------
    def _is_stale(self, timestamp: float, now: float) -> bool:
        return bool(self._stale_timeout) and now - timestamp > self._stale_timeout

    def _is_closed(self, conn: Any) -> bool:
        """Whether ``conn`` is closed, or its server has hung up."""
        adapter = getattr(self, 'adapter', None)
        try:
            if isinstance(adapter, PostgresAdapter):    # psycopg2 or psycopg 3
                # closed, or transaction status UNKNOWN: the link to the server is lost
                if adapter.is_broken(conn):
                    return True
            elif getattr(conn, 'closed', False):
                return True
            elif hasattr(conn, 'total_changes'):                 # sqlite3
                conn.total_changes                               # raises once closed
                return False
            fileno = getattr(conn, 'fileno', None)
            if fileno is not None and _socket_readable(fileno()):
                # an idle connection only has something to read when the server sent a
                # notification or hung up (a FATAL termination message / EOF)
                poll = getattr(conn, 'poll', None)
                if poll is not None:
                    poll()
                    # psycopg2 files the server's FATAL goodbye among the notices, and
                    # the socket may read quiet once poll() has taken it in
                    if any(str(note).startswith('FATAL')
                           for note in getattr(conn, 'notices', ())):
                        return True
                return _socket_readable(fileno())
        except Exception:
            return True
        return False

    def _answers(self, conn: Any) -> bool:
        """Whether an idle server connection about to be handed out answers a round trip.

        A backend killed moments ago may not have said so yet, and nothing but a round
        trip tells; off with ``ping_on_checkout=False``, and never done for SQLite."""
        adapter = getattr(self, 'adapter', None)
        if not self._ping_on_checkout or not isinstance(adapter, PostgresAdapter):
            return True
        if adapter.answers(conn):
            return True
        logger.debug('pool: ping failed on %x', id(conn))
        return False

    def _can_reuse(self, conn: Any) -> bool:
        """Whether a checked-in connection may go back to the pool (rolls back if needed)."""
        try:
            if self._driver_in_transaction(conn):  # type: ignore[attr-defined]
                return self._rollback_raw(conn)
        except Exception:
            return False
        return True

    def _rollback_raw(self, conn: Any) -> bool:
        """``ROLLBACK`` on the driver connection; ``False`` when that failed."""
        try:
            cursor = conn.cursor()
            try:
                cursor.execute('ROLLBACK')
            finally:
                cursor.close()
            return not self._driver_in_transaction(conn)  # type: ignore[attr-defined]
        except Exception as exc:
            logger.debug('pool: rollback failed on %x: %s', id(conn), exc)
            return False

    # -- management ----------------------------------------------------------------------
    def manual_close(self) -> bool:
        """Close the calling thread's connection for good instead of returning it."""
        if self.is_closed():  # type: ignore[attr-defined]
            return False
        if self._state.transactions:  # type: ignore[attr-defined]
            raise OperationalError('manual_close() while a transaction is open: leave the '
                                   'atomic()/transaction() block first.')
        return self._discard_current(self._state.conn)  # type: ignore[attr-defined]

    def close_idle(self) -> int:
        """Close the idle connections (in-use ones are left alone); return how many."""
        with self._pool_lock:
            conns = [conn for _, _, conn in self._connections]
            self._connections = []
            self._closed_count += len(conns)
            self._checkins += 1
            self._pool_changed.notify_all()
        self._close_quietly(conns)
        return len(conns)

    def close_stale(self, age: float = 600) -> int:
        """Close connections *in use* that were checked out more than ``age`` seconds ago.

        Meant for connections a thread forgot to close; their owners get an error on
        their next statement.  Returns how many were closed.
        """
        cutoff = time.time() - age
        with self._pool_lock:
            stale = [(key, pc) for key, pc in self._in_use.items()
                     if pc.checked_out is not None and pc.checked_out < cutoff]
            for key, _ in stale:
                del self._in_use[key]
            self._closed_count += len(stale)
            self._checkins += 1
            self._pool_changed.notify_all()
        self._close_quietly([pc.connection for _, pc in stale])
        return len(stale)

    def close_all(self) -> int:
        """Close every connection, idle or in use (use with care); return how many."""
        state = self._state  # type: ignore[attr-defined]
        if not state.closed and not state.transactions:
            try:
                self.close()
            except Exception:
                pass
        with self._pool_lock:
            conns = [conn for _, _, conn in self._connections]
            conns.extend(pc.connection for pc in self._in_use.values())
            self._connections = []
            self._in_use = {}
            self._closed_count += len(conns)
            self._checkins += 1
            self._pool_changed.notify_all()
        self._close_quietly(conns)
        return len(conns)

    def pool_stats(self) -> dict:
        """Counts: ``idle``, ``in_use``, ``opened`` / ``closed`` so far, ``waits`` (times a
        connect found every connection in use and waited) and ``max_connections``."""
        with self._pool_lock:
            return {'idle': len(self._connections), 'in_use': len(self._in_use),
                    'opened': self._opened_count, 'closed': self._closed_count,
                    'waits': self._wait_count, 'max_connections': self._max_connections}


def _socket_readable(fd: int) -> bool:
    readable, _, _ = select.select([fd], [], [], 0)
    return bool(readable)
