"""playhouse.sqliteq: one writer thread serialising the writes of many threads."""
from __future__ import annotations

import gc
import logging
import threading
import time

import pytest

from orm import (IntegerField, IntegrityError, Model, NotSupportedError, OperationalError,
                 SqliteDatabase, TextField, fn)
from playhouse.sqlite_ext import SqliteExtDatabase
from playhouse.sqliteq import (AsyncCursor, GreenletHelper, ResultTimeout, ShutdownException,
                               SqliteQueueDatabase, ThreadHelper, Writer, WriterPaused)


class Item(Model):
    thread = IntegerField()
    n = IntegerField()
    note = TextField(default='')

    class Meta:
        indexes = ((('thread', 'n'), True),)


@pytest.fixture
def qdb(tmp_path):
    db = SqliteQueueDatabase(str(tmp_path / 'queue.db'), results_timeout=30)
    Item.bind(db)
    db.create_tables([Item])
    yield db
    db.stop()
    db.close()


def count(path):
    """Rows in the item table, read through a separate plain connection."""
    check = SqliteDatabase(str(path))
    try:
        return check.execute_sql('SELECT COUNT(*) FROM item').fetchone()[0]
    finally:
        check.close()


def test_is_a_sqlite_ext_database_in_wal_mode(qdb):
    assert isinstance(qdb, SqliteExtDatabase)
    assert qdb.journal_mode == 'wal'
    assert not qdb.is_stopped()
    assert qdb.table_exists('item')


def test_many_threads_insert_concurrently(qdb, tmp_path):
    n_threads, per_thread = 12, 40
    errors: list = []
    start = threading.Barrier(n_threads)

    def work(t):
        try:
            start.wait()
            for i in range(per_thread):
                Item.create(thread=t, n=i)
                if i % 10 == 0:     # reads run directly, alongside the writer
                    assert Item.select().where(Item.thread == t).count() == i + 1
        except Exception as exc:   # pragma: no cover - reported below
            errors.append(exc)
        finally:
            qdb.close()

    threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Item.select().count() == n_threads * per_thread
    per = dict(Item.select(Item.thread, fn.COUNT(Item.n)).group_by(Item.thread).tuples())
    assert per == {t: per_thread for t in range(n_threads)}
    assert qdb.stop() is True
    assert qdb.is_stopped()
    assert count(tmp_path / 'queue.db') == n_threads * per_thread


def test_write_results_and_errors_reach_the_caller(qdb):
    item = Item.create(thread=1, n=1)
    assert item.id == 1
    assert Item.update(note='x').where(Item.thread == 1).execute() == 1
    assert Item.insert_many([{'thread': 2, 'n': i} for i in range(3)]).execute() is not None
    assert Item.delete().where(Item.thread == 2).execute() == 3
    with pytest.raises(IntegrityError):
        Item.create(thread=1, n=1)
    # raw SQL: the cursor comes back once the writer has run it, and reading it
    # raises the write's error (peewee's AsyncCursor)
    failed = qdb.execute_sql('INSERT INTO missing VALUES (1)')
    with pytest.raises(OperationalError, match='no such table'):
        failed.fetchone()
    # statements orm builds raise at once, DDL included
    with pytest.raises(OperationalError, match='already exists'):
        qdb.create_tables([Item], safe=False)
    cursor = qdb.execute_sql("INSERT INTO item (thread, n, note) VALUES (?, ?, ''), "
                             "(?, ?, '')", (5, 1, 5, 2))
    assert isinstance(cursor, AsyncCursor)
    assert cursor.rowcount == 2 and cursor.lastrowid == 3 and cursor.fetchall() == []
    if qdb.returning_clause:
        cursor = qdb.execute_sql('DELETE FROM item WHERE thread = 5 RETURNING n')
        assert sorted(cursor) == [(1,), (2,)]
        assert cursor.fetchone() is None
    assert [i.n for i in Item.select()] == [1]


def test_reads_do_not_go_through_the_queue(qdb):
    Item.create(thread=1, n=1)
    qdb.pause()
    try:
        # the writer is paused; reads still work on this thread's connection
        assert Item.select().count() == 1
        assert qdb.execute_sql('WITH x AS (SELECT 1) SELECT * FROM x').fetchall() == [(1,)]
        assert qdb.pragma('journal_mode') == 'wal'
        # a leading space sends a SELECT to the (paused) writer instead
        with pytest.raises(WriterPaused):
            qdb.execute_sql(' SELECT 1').fetchall()
    finally:
        qdb.unpause()
    assert qdb.execute_sql(' SELECT 2').fetchall() == [(2,)]


def test_pause_and_unpause(qdb, tmp_path):
    Item.create(thread=1, n=1)
    qdb.pause()
    with pytest.raises(WriterPaused):
        Item.create(thread=1, n=2)
    # while paused the writer has no connection: another one can write
    other = SqliteDatabase(str(tmp_path / 'queue.db'))
    try:
        with other.atomic():
            other.execute_sql('INSERT INTO item (thread, n, note) VALUES (9, 9, ?)', ('o',))
    finally:
        other.close()
    qdb.unpause()
    Item.create(thread=1, n=2)
    assert sorted(Item.select(Item.thread, Item.n).tuples()) == [(1, 1), (1, 2), (9, 9)]


def test_stop_finishes_queued_writes_and_start_restarts(tmp_path):
    db = SqliteQueueDatabase(str(tmp_path / 'q.db'), autostart=False)
    assert db.is_stopped() and db.queue_size() == 0
    with pytest.raises(ShutdownException):
        db.execute_sql('CREATE TABLE t (x)')
    assert db.start() is True and db.start() is False
    db.execute_sql('CREATE TABLE t (x)')
    done = threading.Event()

    def writer():
        for i in range(50):
            db.execute_sql('INSERT INTO t VALUES (?)', (i,))
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    thread.join()
    assert done.is_set() and db.queue_size() == 0     # every write has run
    assert db.stop() is True and db.stop() is False
    with pytest.raises(ShutdownException):
        db.execute_sql('INSERT INTO t VALUES (1)')
    assert db.execute_sql('SELECT COUNT(*) FROM t').fetchone() == (50,)   # reads work
    assert db.start() is True
    db.execute_sql('INSERT INTO t VALUES (99)')
    assert db.execute_sql('SELECT MAX(x) FROM t').fetchone() == (99,)
    assert db.stop()
    db.close()


def test_stop_while_threads_write(tmp_path):
    db = SqliteQueueDatabase(str(tmp_path / 'q.db'))
    db.execute_sql('CREATE TABLE t (x)')
    results: list = []

    def writer(t):
        written = 0
        try:
            for i in range(200):
                db.execute_sql('INSERT INTO t VALUES (?)', (t * 1000 + i,))
                written += 1
        except ShutdownException:
            pass
        results.append(written)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.02)
    assert db.stop()
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive()
    # every write that returned normally is in the file; none was lost or half-done
    assert db.execute_sql('SELECT COUNT(*) FROM t').fetchone() == (sum(results),)
    db.close()


def test_result_timeout(tmp_path):
    db = SqliteQueueDatabase(str(tmp_path / 'q.db'), results_timeout=0.05)
    try:
        db.register_function(lambda seconds: time.sleep(seconds) or 1, 'nap', 1)
        db.execute_sql('CREATE TABLE t (x)')
        with pytest.raises(ResultTimeout):
            db.execute_sql('INSERT INTO t SELECT nap(0.3)')
        # the write still happens; the queue keeps going
        db._results_timeout = 30
        db.execute_sql('INSERT INTO t VALUES (2)')
        assert db.execute_sql('SELECT x FROM t ORDER BY x').fetchall() == [(1,), (2,)]
    finally:
        db.stop()
        db.close()


def test_transactions_are_refused(qdb):
    for method in (qdb.atomic, qdb.transaction, qdb.savepoint, qdb.manual_commit):
        with pytest.raises(NotSupportedError, match='Transactions are not supported'):
            method()


def test_configuration_errors(tmp_path):
    with pytest.raises(ValueError, match='in-memory'):
        SqliteQueueDatabase(':memory:')
    with pytest.raises(ValueError, match='WAL'):
        SqliteQueueDatabase(str(tmp_path / 'x.db'), pragmas={'journal_mode': 'delete'},
                            autostart=False)
    db = SqliteQueueDatabase(str(tmp_path / 'x.db'), pragmas=[('cache_size', -1000)],
                             autostart=False)
    assert ('journal_mode', 'wal') in db._pragmas
    try:
        import gevent  # noqa: F401
    except ImportError:
        from orm import ImproperlyConfigured
        with pytest.raises(ImproperlyConfigured, match='gevent'):
            SqliteQueueDatabase(str(tmp_path / 'y.db'), use_gevent=True)
        with pytest.raises(ImproperlyConfigured):
            GreenletHelper()
    assert SqliteQueueDatabase.get_thread_impl(False) is ThreadHelper


def test_thread_helper_and_writer_objects(tmp_path):
    helper = ThreadHelper(queue_max_size=5)
    assert helper.queue().maxsize == 5
    event = helper.event()
    cursor = AsyncCursor(event, 'SELECT 1', None, timeout=0.01)
    with pytest.raises(ResultTimeout):
        cursor.fetchall()
    cursor.set_result(None, ValueError('failed'))
    with pytest.raises(ValueError, match='failed'):
        cursor.fetchone()
    db = SqliteQueueDatabase(str(tmp_path / 'w.db'), autostart=False)
    queue = helper.queue()
    writer = Writer(db, queue)
    job = AsyncCursor(helper.event(), 'CREATE TABLE t (x)', None, 5)
    queue.put(job)
    from playhouse.sqliteq import _Control
    stop = _Control('shutdown', helper.event())
    queue.put(stop)
    thread = helper.thread(writer.run)
    thread.start()
    thread.join(5)
    assert stop.event.is_set() and job.fetchall() == []
    assert db.table_exists('t')
    db.close()


def test_bounded_queue_with_failing_writes_loses_nothing(tmp_path):
    """queue_max_size=2 makes writers wait for room; every other thread also sends
    writes that fail (duplicates): each caller gets its own error, the writer goes on,
    and every good row is there."""
    db = SqliteQueueDatabase(str(tmp_path / 'bounded.db'), queue_max_size=2,
                             results_timeout=60)
    Item.bind(db)
    db.create_tables([Item])
    n_threads, per_thread = 10, 25
    outcomes: dict = {}
    start = threading.Barrier(n_threads)

    def work(t):
        duplicates = 0
        try:
            start.wait()
            for i in range(per_thread):
                Item.create(thread=t, n=i)
                if t % 2:
                    try:
                        Item.create(thread=t, n=i)
                    except IntegrityError:
                        duplicates += 1
            outcomes[t] = duplicates
        except Exception as exc:   # pragma: no cover - reported below
            outcomes[t] = exc
        finally:
            db.close()

    threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert outcomes == {t: per_thread if t % 2 else 0 for t in range(n_threads)}
        assert db.stop() is True
        assert count(tmp_path / 'bounded.db') == n_threads * per_thread
    finally:
        db.stop()
        db.close()


def test_a_failed_write_nobody_reads_is_logged(qdb, caplog):
    caplog.set_level(logging.ERROR, logger='orm.sqliteq')
    qdb.execute_sql('UPDATE missing SET x = 1')        # the cursor is dropped unread
    gc.collect()
    assert any('never read' in r.getMessage() and 'no such table: missing' in r.getMessage()
               for r in caplog.records)
    caplog.clear()
    cursor = qdb.execute_sql('UPDATE missing SET x = 2')
    with pytest.raises(OperationalError):
        cursor.rowcount
    del cursor
    gc.collect()
    assert not caplog.records                       # read, so not reported twice
