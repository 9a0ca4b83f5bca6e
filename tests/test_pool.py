"""playhouse.pool: checkout / check-in, limits, waiting, stale and dead connections, and a
many-threads stress test on PostgreSQL and on a SQLite file."""
from __future__ import annotations

import random
import re
import threading
import time

import pytest

import orm
from orm import IntegerField, Model, OperationalError, TextField
from playhouse.pool import (MaxConnectionsExceeded, PoolConnection, PooledDatabase,
                            PooledMySQLDatabase, PooledPostgresqlDatabase,
                            PooledSqliteDatabase, locked, make_int)

from conftest import engine_driver, pg_connect_kwargs, require_postgres


class Note(Model):
    thread = IntegerField()
    seq = IntegerField()
    body = TextField(default='')

    class Meta:
        indexes = ((('thread', 'seq'), True),)


def sqlite_pool(tmp_path, **kwargs):
    kwargs.setdefault('pragmas', {'journal_mode': 'wal'})
    return PooledSqliteDatabase(str(tmp_path / 'pool.db'), **kwargs)


_driver = {'prefer_psycopg3': False}


@pytest.fixture
def pg_driver(pg_db):
    """Run a PostgreSQL pool test on each driver (the one of ``pg_db``); yields ``pg_db``."""
    _driver['prefer_psycopg3'] = engine_driver(pg_db) == 'psycopg3'
    yield pg_db
    _driver['prefer_psycopg3'] = False


def pg_pool(**kwargs):
    require_postgres()
    params = pg_connect_kwargs()
    params.update(kwargs)
    if _driver['prefer_psycopg3']:
        params['prefer_psycopg3'] = True
    db = PooledPostgresqlDatabase(params.pop('database'), **params)
    if _driver['prefer_psycopg3']:
        assert isinstance(db.adapter, orm.Psycopg3Adapter)
    return db


def transaction_status(conn):
    """The driver connection's transaction status (0: idle), psycopg2 or psycopg 3."""
    if hasattr(conn, 'get_transaction_status'):
        return conn.get_transaction_status()
    return int(conn.info.transaction_status)


def in_thread(fn, *args):
    """Run ``fn`` in another thread; return what it returned or raise what it raised."""
    out: dict = {}

    def run():
        try:
            out['value'] = fn(*args)
        except BaseException as exc:   # handed back to the test
            out['error'] = exc
    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), 'thread did not finish'
    if 'error' in out:
        raise out['error']
    return out.get('value')


def counts(db):
    stats = db.pool_stats()
    return stats['idle'], stats['in_use']


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------

def test_make_int_and_locked():
    assert make_int('12') == 12 and make_int(3) == 3 and make_int(None) is None
    assert make_int('1.5') == 1.5
    with pytest.raises(ValueError):
        make_int('many')

    class Thing:
        def __init__(self):
            self._pool_lock = threading.RLock()

        @locked
        def owned(self):
            return self._pool_lock._is_owned()

    assert Thing().owned()
    conn = PoolConnection(1.0, 'c', 2.0)
    assert (conn.timestamp, conn.connection, conn.checked_out) == (1.0, 'c', 2.0)


def test_options_are_checked(tmp_path):
    db = sqlite_pool(tmp_path, max_connections='4', stale_timeout='30', timeout='0')
    assert (db.max_connections, db.stale_timeout, db.timeout) == (4, 30, float('inf'))
    assert PooledSqliteDatabase(':memory:').max_connections == 20
    assert PooledSqliteDatabase(':memory:', max_connections=None).max_connections is None
    for bad in ({'max_connections': -1}, {'stale_timeout': -1}, {'timeout': -2}):
        with pytest.raises(ValueError):
            sqlite_pool(tmp_path, **bad)
    # 0 lifts the limit, as None does (a database URL cannot spell None)
    assert sqlite_pool(tmp_path, max_connections=0).max_connections is None
    assert sqlite_pool(tmp_path, max_connections='0').max_connections is None
    db.init(str(tmp_path / 'other.db'), max_connections=2)
    assert db.max_connections == 2 and db.stale_timeout == 30
    assert 'max_connections' not in db.connect_params


def test_pooled_mysql_is_a_mysql_database():
    # (the pool on a real server is tested in test_mysql.py)
    db = PooledMySQLDatabase('app', max_connections=4)
    assert isinstance(db, orm.MySQLDatabase) and db.max_connections == 4


# ---------------------------------------------------------------------------------------
# SQLite
# ---------------------------------------------------------------------------------------

def test_connections_are_reused(tmp_path):
    db = sqlite_pool(tmp_path)
    db.connect()
    first = db.connection()
    assert counts(db) == (0, 1)
    db.close()
    assert counts(db) == (1, 0)
    with db.connection_context():
        assert db.connection() is first          # the same driver connection came back
        assert db.execute_sql('SELECT 1').fetchone() == (1,)
    # another thread gets it too (connections are opened with check_same_thread=False)

    def other_thread():
        with db.connection_context():
            return db.connection() is first and db.execute_sql('SELECT 2').fetchone()
    assert in_thread(other_thread) == (2,)
    assert db.pool_stats()['opened'] == 1


def test_max_connections_without_timeout_raises_at_once(tmp_path):
    db = sqlite_pool(tmp_path, max_connections=1)
    db.connect()
    started = time.monotonic()
    with pytest.raises(MaxConnectionsExceeded, match='max_connections=1'):
        in_thread(db.connect)
    assert time.monotonic() - started < 1
    assert issubclass(MaxConnectionsExceeded, ValueError)
    db.close()
    in_thread(lambda: (db.connect(), db.close()))


def test_timeout_waits_for_a_connection_to_come_back(tmp_path):
    db = sqlite_pool(tmp_path, max_connections=1, timeout=5)
    holding = threading.Event()

    def hold_then_release():
        db.connect()
        holding.set()
        time.sleep(0.3)
        db.close()

    holder = threading.Thread(target=hold_then_release)
    holder.start()
    assert holding.wait(10)
    started = time.monotonic()
    db.connect()                                 # waits for the holder's check-in
    waited = time.monotonic() - started
    holder.join(10)
    db.close()
    assert 0.15 < waited < 4
    assert counts(db) == (1, 0)
    assert db.pool_stats()['opened'] == 1


def test_timeout_expires(tmp_path):
    db = sqlite_pool(tmp_path, max_connections=1, timeout=0.3)
    db.connect()
    started = time.monotonic()
    with pytest.raises(MaxConnectionsExceeded, match='timeout'):
        in_thread(db.connect)
    assert 0.25 < time.monotonic() - started < 3
    db.close()


def test_stale_connections_are_recycled(tmp_path):
    db = sqlite_pool(tmp_path, stale_timeout=0.1)
    db.connect()
    first = db.connection()
    db.close()
    time.sleep(0.2)
    db.connect()
    assert db.connection() is not first
    db.close()
    stats = db.pool_stats()
    assert (stats['opened'], stats['closed'], stats['idle']) == (2, 1, 1)


def test_closed_connection_is_discarded_at_check_in_and_out(tmp_path):
    db = sqlite_pool(tmp_path)
    db.connect()
    db.connection().close()                      # the driver connection died under us
    db.close()
    assert counts(db) == (0, 0)
    db.connect()
    conn = db.connection()
    db.close()
    conn.close()                                 # dies while idle in the pool
    db.connect()
    assert db.connection() is not conn
    assert db.execute_sql('SELECT 1').fetchone() == (1,)
    db.close()


def test_open_transaction_is_rolled_back_at_check_in(tmp_path):
    db = sqlite_pool(tmp_path)
    db.bind([Note])
    db.create_tables([Note])                     # connects (autoconnect)
    db.begin()                                   # a transaction begun by hand
    Note.create(thread=1, seq=1)
    db.close()                                   # not committed: rolled back
    db.connect()
    assert not db.in_transaction()
    assert Note.select().count() == 0
    with pytest.raises(OperationalError, match='transaction'):
        with db.atomic():                        # atomic() blocks must be left first
            db.close()
    db.close()


def test_manual_close_close_idle_stale_and_all(tmp_path):
    db = sqlite_pool(tmp_path)
    db.connect()
    first = db.connection()
    assert db.manual_close()
    assert counts(db) == (0, 0) and db.is_closed()
    db.connect()
    assert db.connection() is not first
    db.close()

    def hold():
        db.connect()                             # never closed: a leaked connection
    for _ in range(3):
        in_thread(hold)                          # the first takes the idle connection
    assert counts(db) == (0, 3)
    in_thread(lambda: (db.connect(), db.close()))
    assert counts(db) == (1, 3)
    assert db.close_stale(age=60) == 0
    time.sleep(0.05)
    assert db.close_stale(age=0.01) == 3         # the three leaked ones
    assert counts(db) == (1, 0)
    assert db.close_idle() == 1
    assert counts(db) == (0, 0)
    db.connect()
    in_thread(hold)
    assert counts(db) == (0, 2)
    assert db.close_all() == 2
    assert counts(db) == (0, 0) and db.is_closed()
    stats = db.pool_stats()
    assert stats['opened'] == stats['closed'] == 7


def test_mixin_on_a_custom_database(tmp_path):
    class MyPooled(PooledDatabase, orm.SqliteDatabase):
        pass

    db = MyPooled(str(tmp_path / 'mine.db'), max_connections=2,
                  check_same_thread=False)
    with db.connection_context():
        assert db.execute_sql('SELECT 2').fetchone() == (2,)
    assert counts(db) == (1, 0)


class Token:
    """A stand-in driver connection: knows nothing of transactions or closing."""

    def __init__(self, number):
        self.number = number

    def __repr__(self):
        return 'Token(%d)' % self.number


class TokenDatabase(orm.SqliteDatabase):
    """Opens numbered tokens instead of sqlite3 connections, and counts closes."""

    def __init__(self, *args, **kwargs):
        self.opened: list = []
        self.closed: list = []
        self.blocks: list = []
        super().__init__(*args, **kwargs)

    def _connect(self):
        self.opened.append(Token(len(self.opened) + 1))
        return self.opened[-1]

    def _close(self, conn):
        self.closed.append(conn.number)

    def transaction(self):                        # an override that takes no lock type
        self.blocks.append('txn')
        return super().transaction()


class PooledTokens(PooledDatabase, TokenDatabase):
    def begin(self, lock_type=None):              # tokens run no SQL
        pass

    def commit(self):
        pass

    def rollback(self):
        pass


def test_pool_of_non_driver_connections():
    """A database whose _connect() gives objects without ``in_transaction`` pools them:
    check-in, ``with db:`` (whose transaction() takes no argument) and manual_close()."""
    db = PooledTokens('tokens', max_connections=0)     # 0: no limit
    held = []
    for _ in range(30):                                # 30 threads, each with one
        held.append(in_thread(lambda: (db.connect(), db.connection())[1]))
    assert counts(db) == (0, 30) and db.max_connections is None
    db.close_all()
    assert sorted(db.closed) == list(range(1, 31))

    db = PooledTokens('tokens')
    first = db.connection()
    assert db.close() and counts(db) == (1, 0)
    db._close(first)                                   # already checked in: ignored
    assert db.closed == [] and counts(db) == (1, 0)
    with db:
        assert db.connection() is first and db.blocks == ['txn']
    assert counts(db) == (1, 0)
    db.connect()
    assert db.manual_close() and db.closed == [1] and counts(db) == (0, 0)
    assert not db.manual_close()                       # nothing open any more
    assert db.connection().number == 2
    db.close()


def test_idle_connections_leave_oldest_first():
    db = PooledTokens('tokens')
    tokens = [in_thread(lambda: (db.connect(), db.connection())[1]) for _ in range(3)]
    for token in tokens:
        db._close(token)                              # checked in by their threads
    assert counts(db) == (3, 0)
    got = [in_thread(lambda: (db.connect(), db.connection())[1]) for _ in range(3)]
    assert got == tokens


# ---------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------

def backend_pid(db):
    return db.execute_sql('SELECT pg_backend_pid()').fetchone()[0]


def test_pg_reuse_and_rollback_at_check_in(pg_driver):
    db = pg_pool(max_connections=2)
    db.bind([Note])
    db.create_tables([Note])
    db.close()
    with db.connection_context():
        pid = backend_pid(db)
    db.connect()
    assert backend_pid(db) == pid                # the same server session
    db.begin()
    Note.create(thread=1, seq=1)
    db.close()                                   # INTRANS: rolled back, then pooled
    db.connect()
    assert backend_pid(db) == pid
    assert transaction_status(db.connection()) == 0
    assert Note.select().count() == 0
    # a failed statement leaves the transaction aborted; check-in recovers it
    db.begin()
    with pytest.raises(orm.ProgrammingError):
        db.execute_sql('SELECT * FROM no_such_table')
    db.close()
    db.connect()
    assert backend_pid(db) == pid and Note.select().count() == 0
    db.close()
    db.close_all()


def test_pg_dead_connections_are_discarded(pg_driver):
    pg_db = pg_driver
    db = pg_pool(max_connections=2)
    with db.connection_context():
        pid = backend_pid(db)
    assert counts(db) == (1, 0)
    pg_db.execute_sql('SELECT pg_terminate_backend(%s)', (pid,))
    time.sleep(0.1)
    with db.connection_context():                # the killed idle one is not handed out
        new_pid = backend_pid(db)
    assert new_pid != pid
    # killed while in use: the statement fails, and check-in drops the connection
    db.connect()
    pg_db.execute_sql('SELECT pg_terminate_backend(%s)', (new_pid,))
    time.sleep(0.1)
    with pytest.raises((orm.OperationalError, orm.InterfaceError)):
        db.execute_sql('SELECT 1')
    db.close()
    assert counts(db) == (0, 0)
    with db.connection_context():
        assert db.execute_sql('SELECT 1').fetchone() == (1,)
    stats = db.pool_stats()
    assert stats['opened'] - stats['closed'] == stats['idle'] == 1
    db.close_all()


def test_pg_broken_connection_is_detected_by_the_adapter(pg_driver):
    """After the server dropped it, psycopg2 and psycopg 3 connections are both seen as
    broken (closed, or transaction status UNKNOWN), without the socket check."""
    db = pg_pool(max_connections=1)
    db.connect()
    conn = db.connection()
    assert not db.adapter.is_broken(conn) and not db._is_closed(conn)
    pg_driver.execute_sql('SELECT pg_terminate_backend(%s)', (backend_pid(db),))
    time.sleep(0.1)
    with pytest.raises((orm.OperationalError, orm.InterfaceError)):
        db.execute_sql('SELECT 1')
    assert db.adapter.is_broken(conn) and db._is_closed(conn)
    db.close()
    assert counts(db) == (0, 0)
    db.close_all()


def test_pg_backend_killed_while_idle_is_never_handed_out(pg_driver):
    """Terminate the idle connection's backend and check out at once, before the server
    has sent its goodbye: the checkout ping finds it dead and a fresh one is handed out."""
    pg_db = pg_driver
    db = pg_pool(max_connections=2)
    for _ in range(20):
        with db.connection_context():
            pid = backend_pid(db)
        pg_db.execute_sql('SELECT pg_terminate_backend(%s)', (pid,))
        with db.connection_context():
            assert backend_pid(db) != pid
    assert counts(db) == (1, 0)
    db.close_all()


def wait_until_gone(pg_db, pid):
    """Wait until backend ``pid`` has left pg_stat_activity (it exits within moments)."""
    for _ in range(2000):
        if not pg_db.execute_sql('SELECT 1 FROM pg_stat_activity WHERE pid = %s',
                                 (pid,)).fetchone():
            return
        time.sleep(0.002)
    raise AssertionError('backend %s never exited' % pid)


@pytest.mark.parametrize('ping', [True, False], ids=['ping', 'no-ping'])
def test_pg_100_checkouts_after_a_kill_all_work(pg_driver, ping):
    """Kill the idle connection's backend, wait until the server has let it go, check
    out: 100 times, and every checkout gives a working connection.  With the checkout
    ping, and without it too: by then the server's goodbye (psycopg2 files the FATAL
    message among the notices) or its end of file has reached the socket."""
    pg_db = pg_driver
    db = pg_pool(max_connections=2, ping_on_checkout=ping)
    failures = []
    for _ in range(100):
        with db.connection_context():
            pid = driver_pid(db.connection())
        pg_db.execute_sql('SELECT pg_terminate_backend(%s)', (pid,))
        wait_until_gone(pg_db, pid)
        try:
            with db.connection_context():
                assert db.execute_sql('SELECT 1').fetchone() == (1,)
                assert driver_pid(db.connection()) != pid
        except (orm.OperationalError, orm.InterfaceError) as exc:
            failures.append(exc)
    assert failures == []
    stats = db.pool_stats()
    assert (stats['idle'], stats['in_use']) == (1, 0)
    assert stats['opened'] == 101 and stats['closed'] == 100
    db.close_all()


def driver_pid(conn):
    return conn.info.backend_pid                 # psycopg2 and psycopg 3, no round trip


class Account(Model):
    balance = IntegerField()


class Transfer(Model):
    worker = IntegerField()
    seq = IntegerField()
    source = IntegerField()
    target = IntegerField()
    amount = IntegerField()

    class Meta:
        indexes = ((('worker', 'seq'), True),)


ACCOUNTS = 10
OPENING_BALANCE = 1000


def test_pg_pool_under_backend_kills(pg_driver):
    """8 threads move money between accounts for ~3 seconds through a pool of 6 while
    another thread terminates random pooled backends, idle and busy in turn.

    Every transfer is one transaction: two balance updates and a ledger row.  Checked:
    the total never changes and every balance is what the committed ledger says (all
    or nothing); no connection killed while idle in the pool is handed out; a
    connection killed while in use gives its worker a connection error (counted), and
    only such a connection does; nothing stays checked out."""
    pg_db = pg_driver
    db = pg_pool(max_connections=6, timeout=30)
    db.bind([Account, Transfer])
    db.create_tables([Account, Transfer])
    Account.insert_many([{'id': n + 1, 'balance': OPENING_BALANCE}
                         for n in range(ACCOUNTS)]).execute()
    db.close()
    killed_idle: set = set()           # pids killed while idle in the pool
    killed_busy: set = set()           # (pid, checked_out) killed while in use
    reported: set = set()              # transfers whose commit returned
    errors: list = []                  # connection errors of busy-killed connections
    problems: list = []
    stop = threading.Event()
    record = threading.Lock()

    def checkout():
        db.connect()
        conn = db.connection()
        with db._pool_lock:
            stamp = db._in_use[db.conn_key(conn)].checked_out
        pid = driver_pid(conn)
        with record:
            if pid in killed_idle:
                problems.append('backend %s was killed idle, then handed out' % pid)
        return pid, stamp

    def work(worker):
        rng = random.Random(worker)
        for seq in range(100000):
            if stop.is_set():
                return
            source, target = rng.sample(range(1, ACCOUNTS + 1), 2)
            amount = rng.randint(1, 50)
            held = None
            try:
                held = checkout()
                with db.atomic():
                    # rows locked in id order: two transfers never wait on each other
                    for account, delta in sorted([(source, -amount), (target, amount)]):
                        Account.update(balance=Account.balance + delta).where(
                            Account.id == account).execute()
                    Transfer.create(worker=worker, seq=seq, source=source,
                                    target=target, amount=amount)
                reported.add((worker, seq))
            except (orm.OperationalError, orm.InterfaceError) as exc:
                with record:
                    if held in killed_busy:
                        errors.append(exc)
                    else:
                        problems.append('connection %r failed, not killed in use: %r'
                                        % (held, exc))
            except BaseException as exc:
                problems.append('unexpected %r' % exc)
                return
            finally:
                db.close()
            time.sleep(rng.random() * 0.004)     # a pause: connections sit idle too

    def kill():
        rng = random.Random(99)
        rounds = 0
        try:
            while not stop.wait(0.02):
                rounds += 1
                with db._pool_lock:      # no checkout or check-in while choosing
                    if rounds % 2:
                        pooled = [(conn, None) for _, _, conn in db._connections]
                    else:
                        pooled = [(pc.connection, pc.checked_out)
                                  for pc in db._in_use.values()]
                    if not pooled:
                        continue
                    conn, stamp = rng.choice(pooled)
                    pid = driver_pid(conn)
                    with record:
                        if stamp is None:
                            killed_idle.add(pid)
                        else:
                            killed_busy.add((pid, stamp))
                    pg_db.execute_sql('SELECT pg_terminate_backend(%s)', (pid,))
        finally:
            pg_db.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    killer = threading.Thread(target=kill)
    for thread in threads + [killer]:
        thread.start()
    time.sleep(3)
    stop.set()
    for thread in threads + [killer]:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads + [killer])
    assert problems == []
    assert killed_idle and killed_busy and reported and errors
    assert all(re.search('terminat|closed|connection', str(exc), re.I) for exc in errors)
    with db.connection_context():
        balances = {a.id: a.balance for a in Account.select()}
        ledger = list(Transfer.select())
    assert sum(balances.values()) == ACCOUNTS * OPENING_BALANCE
    expected = {n: OPENING_BALANCE for n in balances}
    for transfer in ledger:
        expected[transfer.source] -= transfer.amount
        expected[transfer.target] += transfer.amount
    assert balances == expected                  # each transfer all or nothing
    assert reported <= {(t.worker, t.seq) for t in ledger}     # every reported commit
    stats = db.pool_stats()
    assert stats['in_use'] == 0
    assert stats['opened'] - stats['closed'] == stats['idle']
    print('pool under kills (%s): %d transfers, %d idle and %d busy kills, %d errors'
          % (engine_driver(pg_db), len(ledger), len(killed_idle), len(killed_busy),
             len(errors)))
    db.close_all()


# ---------------------------------------------------------------------------------------
# Stress: many threads, few connections
# ---------------------------------------------------------------------------------------

THREADS = 16
TRANSACTIONS = 50
MAX_CONNECTIONS = 4


def stress(db, lock_type=None):
    """16 threads x 50 transactions through a pool of 4; returns observed figures."""
    errors: list = []
    peak = {'in_use': 0, 'waits': 0}
    peak_lock = threading.Lock()

    def worker(thread_no):
        try:
            for seq in range(TRANSACTIONS):
                with db.connection_context():
                    in_use = db.pool_stats()['in_use']
                    with peak_lock:
                        peak['in_use'] = max(peak['in_use'], in_use)
                    with db.atomic(*([lock_type] if lock_type else [])):
                        Note.create(thread=thread_no, seq=seq, body='x' * 20)
                        Note.update(body=Note.body + '!').where(
                            (Note.thread == thread_no) & (Note.seq == seq)).execute()
        except BaseException as exc:
            errors.append(exc)

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), 'stress threads hung'
    assert not errors, errors[:3]
    peak['seconds'] = time.monotonic() - started
    return peak


def check_after_stress(db, peak):
    with db.connection_context():
        assert Note.select().count() == THREADS * TRANSACTIONS          # no row lost
        assert Note.select().where(~Note.body.endswith('!')).count() == 0
        seen = {(n.thread, n.seq) for n in Note.select(Note.thread, Note.seq)}
        assert seen == {(t, s) for t in range(THREADS) for s in range(TRANSACTIONS)}
    stats = db.pool_stats()
    assert stats['in_use'] == 0                                         # no leak
    assert 1 <= stats['idle'] <= MAX_CONNECTIONS
    assert stats['opened'] - stats['closed'] == stats['idle']
    assert peak['in_use'] <= MAX_CONNECTIONS
    assert stats['waits'] > 0                    # threads did queue for connections
    return stats


def test_stress_sqlite_file(tmp_path):
    db = sqlite_pool(tmp_path, max_connections=MAX_CONNECTIONS, timeout=30)
    db.bind([Note])
    db.create_tables([Note])
    db.close()
    peak = stress(db, 'IMMEDIATE')
    stats = check_after_stress(db, peak)
    print('sqlite stress: %d txns in %.2fs, peak in use %d, opened %d, idle %d, waits %d'
          % (THREADS * TRANSACTIONS, peak['seconds'], peak['in_use'], stats['opened'],
             stats['idle'], stats['waits']))
    assert db.close_all() == stats['idle']


def test_stress_postgres(pg_driver):
    pg_db = pg_driver
    db = pg_pool(max_connections=MAX_CONNECTIONS, timeout=30,
                 application_name='orm_pool_stress')
    db.bind([Note])
    db.create_tables([Note])
    db.close()
    backends = []
    sampling = threading.Event()

    def sample():
        try:
            for _ in range(2000):               # bounded: at most ~20 s
                if sampling.is_set():
                    return
                backends.append(pool_backends(pg_db))
                time.sleep(0.01)
        finally:
            pg_db.close()                        # this thread's own connection

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        peak = stress(db)
    finally:
        sampling.set()
        sampler.join(30)
    stats = check_after_stress(db, peak)
    assert backends and max(backends) <= MAX_CONNECTIONS
    print('postgres stress: %d txns in %.2fs, peak in use %d, peak backends %d, opened %d, '
          'waits %d' % (THREADS * TRANSACTIONS, peak['seconds'], peak['in_use'],
                        max(backends), stats['opened'], stats['waits']))
    assert pool_backends(pg_db) == stats['idle']
    assert db.close_all() == stats['idle']
    for _ in range(50):                          # the server notices within moments
        if pool_backends(pg_db) == 0:
            break
        time.sleep(0.05)
    assert pool_backends(pg_db) == 0


def pool_backends(pg_db):
    return pg_db.execute_sql(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name = 'orm_pool_stress'").fetchone()[0]


def test_docs_page_examples(docs_pg_dsn, tmp_path):
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run(
        [sys.executable, os.path.join(root, 'docs', 'check_examples.py'), '--require-postgres',
         os.path.join(root, 'docs', 'pool.rst')],
        cwd=str(tmp_path), capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONPATH=root, ORM_PG_DSN=docs_pg_dsn))
    assert result.returncode == 0, result.stdout + result.stderr
