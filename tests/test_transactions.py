"""Transactions on real engines: atomic, transaction, savepoint, manual_commit, by hand."""
from __future__ import annotations

import threading

import pytest

from conftest import engine_name
from orm import SqliteDatabase
from orm.exceptions import IntegrityError, InternalError, OperationalError
from orm.transactions import _atomic, _manual_commit, _savepoint, _transaction


def setup_table(db):
    db.execute_sql('CREATE TABLE acct (k INTEGER PRIMARY KEY, v TEXT)')


def add(db, k, v='x'):
    db.execute_sql('INSERT INTO acct (k, v) VALUES (%s, %s)' % (db.param, db.param), (k, v))


def keys(db):
    return [r[0] for r in db.execute_sql('SELECT k FROM acct ORDER BY k').fetchall()]


@pytest.fixture
def tdb(db):
    setup_table(db)
    return db


# ---------------------------------------------------------------------------------------
# atomic
# ---------------------------------------------------------------------------------------

def test_atomic_commits(tdb):
    with tdb.atomic() as txn:
        assert isinstance(txn, _transaction)
        assert tdb.in_transaction()
        assert tdb.transaction_depth() == 1
        add(tdb, 1)
        add(tdb, 2)
    assert not tdb.in_transaction()
    assert tdb.transaction_depth() == 0
    assert keys(tdb) == [1, 2]


def test_atomic_commit_visible_to_other_connection(tdb, make_db):
    other = make_db()
    with tdb.atomic():
        add(tdb, 1)
        assert other.execute_sql('SELECT COUNT(*) FROM acct').fetchone()[0] == 0
    assert other.execute_sql('SELECT COUNT(*) FROM acct').fetchone()[0] == 1


def test_atomic_rolls_back_on_exception(tdb):
    add(tdb, 1)
    with pytest.raises(RuntimeError, match='boom'):
        with tdb.atomic():
            add(tdb, 2)
            raise RuntimeError('boom')
    assert keys(tdb) == [1]
    assert not tdb.in_transaction()


def test_nested_atomic_partial_rollback(tdb):
    with tdb.atomic():
        add(tdb, 1)
        with pytest.raises(ValueError):
            with tdb.atomic() as sp:
                assert isinstance(sp, _savepoint)
                assert tdb.transaction_depth() == 2
                add(tdb, 2)
                raise ValueError
        with tdb.atomic():
            add(tdb, 3)
            with tdb.atomic():
                add(tdb, 4)
        add(tdb, 5)
    assert keys(tdb) == [1, 3, 4, 5]


def test_nested_explicit_savepoint_rollback_and_commit(tdb):
    with tdb.atomic():
        add(tdb, 1)
        with tdb.atomic() as sp:
            add(tdb, 2)
            sp.rollback()
            add(tdb, 3)
        with tdb.atomic() as sp:
            add(tdb, 4)
            sp.commit()          # released and set again
            add(tdb, 5)
            sp.rollback()        # back to just after 4
    assert keys(tdb) == [1, 3, 4]


def test_savepoint_after_failed_statement_keeps_outer_transaction(tdb):
    with tdb.atomic():
        add(tdb, 1)
        with pytest.raises(IntegrityError):
            with tdb.atomic():
                add(tdb, 1)          # duplicate key: aborts on PostgreSQL
        add(tdb, 2)                  # outer transaction still usable
        assert tdb.is_connection_usable()
    assert keys(tdb) == [1, 2]


def test_failed_statement_without_savepoint_rolls_back_whole_transaction(tdb):
    add(tdb, 1)
    with pytest.raises(IntegrityError):
        with tdb.atomic():
            add(tdb, 2)
            add(tdb, 1)
    assert keys(tdb) == [1]
    assert tdb.is_connection_usable()
    if engine_name(tdb) == 'postgres':
        with pytest.raises(InternalError):   # in-failed-transaction: later statements refused
            with tdb.atomic():
                try:
                    add(tdb, 1)
                except IntegrityError:
                    pass
                add(tdb, 3)
        assert keys(tdb) == [1]


def test_pg_commit_of_aborted_transaction_raises(pg_db):
    setup_table(pg_db)
    add(pg_db, 1)
    with pytest.raises(InternalError, match='savepoint') as info:
        with pg_db.atomic():
            add(pg_db, 2)
            try:
                add(pg_db, 1)        # fails and aborts the transaction
            except IntegrityError:
                pass                 # ... and exiting normally cannot commit 2
    assert info.value.pgcode == '25P02'
    assert keys(pg_db) == [1]
    assert pg_db.is_connection_usable()
    assert not pg_db.in_transaction()


def test_block_whose_only_statement_failed_ends_quietly(tdb):
    """Nothing succeeded inside the block, so nothing is lost when PostgreSQL turns its
    COMMIT into a rollback: the block ends without an error, on every engine."""
    add(tdb, 1)
    with tdb.atomic():
        with pytest.raises(IntegrityError):
            add(tdb, 1)
    assert keys(tdb) == [1]
    assert not tdb.in_transaction()
    with tdb.atomic():                   # the connection is ready for more work
        add(tdb, 2)
    assert keys(tdb) == [1, 2]


def test_pg_read_then_failure_in_block_still_raises(pg_db):
    # a successful statement before the failure counts as work, even a read: orm
    # cannot tell what the application concluded from it
    setup_table(pg_db)
    add(pg_db, 1)
    with pytest.raises(InternalError):
        with pg_db.atomic():
            keys(pg_db)
            with pytest.raises(IntegrityError):
                add(pg_db, 1)
    assert not pg_db.in_transaction()


def test_atomic_decorator(tdb):
    @tdb.atomic()
    def good(k):
        assert tdb.in_transaction()
        add(tdb, k)
        return k

    @tdb.atomic()
    def bad(k):
        add(tdb, k)
        raise KeyError(k)

    assert good(1) == 1
    with pytest.raises(KeyError):
        bad(2)
    assert keys(tdb) == [1]
    assert good.__name__ == 'good'


def test_recursive_atomic_decorator_nests_savepoints(tdb):
    depths = []

    @tdb.atomic()
    def recurse(n):
        depths.append(tdb.transaction_depth())
        add(tdb, n)
        if n == 3:
            raise ValueError('deepest fails')
        try:
            recurse(n + 1)
        except ValueError:
            pass

    recurse(1)
    assert depths == [1, 2, 3]
    assert keys(tdb) == [1, 2]


def test_atomic_from_worker_threads_is_independent(tdb, make_db):
    db = make_db()
    errors = []

    def worker(base):
        try:
            for i in range(5):
                with db.atomic():
                    add(db, base + i)
            db.close()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n * 100,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(keys(tdb)) == 15


# ---------------------------------------------------------------------------------------
# transaction / savepoint objects
# ---------------------------------------------------------------------------------------

def test_transaction_explicit_commit_and_rollback(tdb):
    with tdb.transaction() as txn:
        add(tdb, 1)
        txn.commit()             # 1 is saved, a new transaction begins
        assert tdb.in_transaction()
        add(tdb, 2)
        txn.rollback()           # 2 is discarded
        add(tdb, 3)
    assert keys(tdb) == [1, 3]


def test_transaction_commit_without_begin(tdb):
    with tdb.transaction() as txn:
        add(tdb, 1)
        txn.commit(begin=False)
        add(tdb, 2)              # autocommits: no transaction open at driver level
    assert keys(tdb) == [1, 2]


def test_nested_transaction_joins_outer(tdb):
    with pytest.raises(RuntimeError):
        with tdb.transaction():
            add(tdb, 1)
            with tdb.transaction():
                add(tdb, 2)
            assert tdb.transaction_depth() == 1
            raise RuntimeError
    assert keys(tdb) == []


def test_savepoint_direct_use_and_decorator(tdb):
    with tdb.transaction():
        add(tdb, 1)
        with tdb.savepoint() as sp:
            add(tdb, 2)
            sp.rollback()
        with tdb.savepoint('named "sp"; --'):
            add(tdb, 3)

        @tdb.savepoint()
        def inner():
            add(tdb, 4)
            raise ValueError

        with pytest.raises(ValueError):
            inner()
    assert keys(tdb) == [1, 3]


def test_transaction_decorator(tdb):
    @tdb.transaction()
    def work():
        add(tdb, 9)
        assert tdb.in_transaction()

    work()
    assert keys(tdb) == [9]


# ---------------------------------------------------------------------------------------
# manual commit / by hand / sessions
# ---------------------------------------------------------------------------------------

def test_manual_commit(tdb):
    with tdb.manual_commit() as mc:
        assert isinstance(mc, _manual_commit)
        tdb.begin()
        add(tdb, 1)
        tdb.rollback()
        tdb.begin()
        add(tdb, 2)
        tdb.commit()
        add(tdb, 3)              # autocommits
    assert keys(tdb) == [2, 3]


def test_manual_commit_refuses_atomic_and_vice_versa(tdb):
    with tdb.manual_commit():
        with pytest.raises(ValueError, match='manual_commit'):
            with tdb.atomic():
                pass
        with tdb.manual_commit():       # nesting manual_commit is fine
            pass
    with tdb.atomic():
        with pytest.raises(ValueError, match='transaction is active'):
            with tdb.manual_commit():
                pass
    assert tdb.transaction_depth() == 0


def test_manual_commit_decorator(tdb):
    @tdb.manual_commit()
    def work():
        tdb.begin()
        add(tdb, 5)
        tdb.commit()

    work()
    assert keys(tdb) == [5]
    assert tdb.transaction_depth() == 0


def test_begin_commit_rollback_by_hand(tdb):
    assert not tdb.in_transaction()
    tdb.begin()
    assert tdb.in_transaction()
    add(tdb, 1)
    tdb.rollback()
    assert not tdb.in_transaction()
    tdb.begin()
    add(tdb, 2)
    tdb.commit()
    assert keys(tdb) == [2]
    tdb.commit()                 # nothing open: no-op
    tdb.rollback()


def test_close_inside_transaction_refused(tdb):
    with tdb.atomic():
        with pytest.raises(OperationalError, match='transaction'):
            tdb.close()
    assert tdb.close() is True


def test_session_start_commit_rollback(tdb):
    tdb.session_start()
    assert tdb.in_transaction()
    add(tdb, 1)
    assert tdb.session_commit() is True
    assert not tdb.in_transaction()
    tdb.session_start()
    add(tdb, 2)
    assert tdb.session_rollback() is True
    assert tdb.session_commit() is False
    assert keys(tdb) == [1]


def test_batch_commit(tdb):
    seen_depth = []
    for k in tdb.batch_commit(range(7), 3):
        seen_depth.append(tdb.transaction_depth())
        add(tdb, k)
    assert seen_depth == [1] * 7
    assert keys(tdb) == list(range(7))
    assert not tdb.in_transaction()


def test_batch_commit_abandoned_mid_batch(tdb):
    gen = tdb.batch_commit(range(10, 17), 3)
    for k in gen:
        add(tdb, k)
        if k == 13:
            break
    gen.close()                  # the unfinished batch (13) is rolled back
    assert keys(tdb) == [10, 11, 12]
    assert tdb.transaction_depth() == 0


def test_atomic_objects_are_context_manager_classes(tdb):
    assert isinstance(tdb.atomic(), _atomic)
    assert isinstance(tdb.transaction(), _transaction)
    assert isinstance(tdb.savepoint(), _savepoint)


# ---------------------------------------------------------------------------------------
# Engine-specific options
# ---------------------------------------------------------------------------------------

def test_sqlite_lock_types(sqlite_db):
    db = sqlite_db
    setup_table(db)
    for lock in ('deferred', 'IMMEDIATE', 'Exclusive', None):
        with db.atomic(lock_type=lock):
            add(db, len(keys(db)))
        with db.transaction(lock):
            pass
    assert keys(db) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match='lock_type'):
        with db.atomic('SOMETIMES'):
            pass
    assert db.transaction_depth() == 0


def test_sqlite_immediate_lock_blocks_other_writer(sqlite_file_db):
    db = sqlite_file_db
    setup_table(db)
    other = SqliteDatabase(db.database, timeout=0.05)
    try:
        with db.atomic('IMMEDIATE'):
            with pytest.raises(OperationalError, match='locked'):
                other.begin('IMMEDIATE')
        other.begin('IMMEDIATE')
        other.rollback()
    finally:
        other.close()


@pytest.mark.parametrize('level, expected', [
    ('SERIALIZABLE', 'serializable'),
    ('repeatable read', 'repeatable read'),
    (1, 'read committed'),
])
def test_pg_isolation_level_database_default(level, expected, pg_engine, tmp_path):
    from conftest import make_database
    db = make_database(pg_engine, tmp_path, isolation_level=level)
    try:
        with db.atomic():
            assert db.execute_sql('SHOW transaction_isolation').fetchone()[0] == expected
            with db.atomic():    # savepoints keep the outer level
                assert db.execute_sql('SHOW transaction_isolation').fetchone()[0] == expected
        with db.atomic(isolation_level='READ COMMITTED'):
            assert db.execute_sql('SHOW transaction_isolation').fetchone()[0] == \
                'read committed'
    finally:
        db.close()


def test_pg_isolation_level_per_transaction(pg_db):
    from conftest import engine_driver
    if engine_driver(pg_db) == 'psycopg3':        # each driver's own constant
        import psycopg
        repeatable_read = psycopg.IsolationLevel.REPEATABLE_READ
    else:
        import psycopg2.extensions as ext
        repeatable_read = ext.ISOLATION_LEVEL_REPEATABLE_READ
    with pg_db.atomic(isolation_level='SERIALIZABLE'):
        assert pg_db.execute_sql('SHOW transaction_isolation').fetchone()[0] == 'serializable'
    with pg_db.transaction(isolation_level=repeatable_read):
        assert pg_db.execute_sql('SHOW transaction_isolation').fetchone()[0] == \
            'repeatable read'
    with pg_db.atomic():
        assert pg_db.execute_sql('SHOW transaction_isolation').fetchone()[0] == \
            'read committed'
    pg_db.begin('repeatable_read')
    assert pg_db.execute_sql('SHOW transaction_isolation').fetchone()[0] == 'repeatable read'
    pg_db.rollback()


def test_pg_serialization_failure_has_sqlstate(pg_db, tmp_path):
    from conftest import make_database
    setup_table(pg_db)
    add(pg_db, 1, 'a')
    other = make_database(pg_db.test_engine_id, tmp_path)      # the same driver
    try:
        with pytest.raises(OperationalError) as info:
            with pg_db.atomic(isolation_level='SERIALIZABLE'):
                pg_db.execute_sql('SELECT v FROM acct WHERE k = 1').fetchall()
                other.execute_sql("UPDATE acct SET v = 'b' WHERE k = 1")
                pg_db.execute_sql("UPDATE acct SET v = 'c' WHERE k = 1")
        assert info.value.pgcode == '40001'
        assert info.value.sqlstate == '40001'
        assert pg_db.is_connection_usable()
    finally:
        other.close()
