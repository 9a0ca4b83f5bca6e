"""The database layer's own bookkeeping: the per-thread connection slot, 'with db:' frames,
sessions, batch_commit and the behaviours peewee documents for them."""
from __future__ import annotations

import threading

import pytest

from orm import Database, SqliteDatabase
from orm.exceptions import InterfaceError, OperationalError


def make_table(db):
    db.execute_sql('CREATE TABLE item (k INTEGER PRIMARY KEY)')


def add(db, k):
    db.execute_sql('INSERT INTO item (k) VALUES (%s)' % db.param, (k,))


def stored(db):
    return [row[0] for row in db.execute_sql('SELECT k FROM item ORDER BY k')]


@pytest.fixture
def fdb(tmp_path):
    db = SqliteDatabase(str(tmp_path / 'slot.db'))
    make_table(db)
    yield db
    while db.transaction_depth():
        db.pop_transaction()
    db.close()


# -- the slot ------------------------------------------------------------------------------
def test_slot_closed_is_derived_from_the_connection():
    db = SqliteDatabase(':memory:')
    slot = db._state
    assert slot.closed and slot.conn is None
    conn = db.connection()
    assert not slot.closed and slot.conn is conn
    with pytest.raises(RuntimeError):
        slot.attach(object())               # a second connection is refused
    with pytest.raises(ValueError):
        SqliteDatabase(':memory:')._state.closed = False
    slot.closed = True                      # forgets (does not close) the connection
    assert db.is_closed() and slot.transactions == [] and slot.ctx == []
    conn.close()


def test_dropping_the_connection_drops_its_blocks(fdb):
    fdb.connect(reuse_if_open=True)
    fdb.atomic().__enter__()
    assert fdb.transaction_depth() == 1
    conn = fdb._state.detach()
    assert fdb.is_closed() and fdb.transaction_depth() == 0
    conn.close()


def test_thread_safe_false_shares_one_slot_without_a_lock(tmp_path):
    db = SqliteDatabase(str(tmp_path / 'shared.db'), thread_safe=False)
    seen = []
    with db._lock:                          # a no-op lock: entering it twice is fine
        with db._lock:
            db.connect()
    thread = threading.Thread(target=lambda: seen.append(db.is_closed()))
    thread.start()
    thread.join()
    assert seen == [False]
    db.close()


def test_server_version_is_learned_once():
    class Fake(Database):
        learned = 0

        def _connect(self):
            return object()

        def _close(self, conn):
            pass

        def _set_server_version(self, conn):
            type(self).learned += 1
            self.server_version = (9, 9)

    db = Fake('x')
    db.connect()
    db.close()
    db.connect()
    assert db.server_version == (9, 9) and Fake.learned == 1
    db.close()
    db.server_version = (1, 0)              # set by hand: kept
    db.connect()
    assert db.server_version == (1, 0)
    # a driver connection that cannot tell about transactions is taken to have none
    assert not db.in_transaction()
    assert db.close() is True


def test_setup_failure_closes_the_new_connection():
    closed = []

    class Conn:
        def close(self):
            closed.append(self)

    class Broken(Database):
        def _connect(self):
            return Conn()

        def _initialize_connection(self, conn):
            raise KeyError('setup')

    db = Broken('x')
    with pytest.raises(KeyError):
        db.connect()
    assert len(closed) == 1 and db.is_closed()


# -- commit / rollback / connect messages -----------------------------------------------------
def test_commit_and_rollback_need_a_connection():
    db = SqliteDatabase(':memory:')
    with pytest.raises(InterfaceError, match='commit'):
        db.commit()
    with pytest.raises(InterfaceError, match='rollback'):
        db.rollback()
    db.connect()
    db.commit()                             # nothing open: nothing sent
    db.rollback()
    with pytest.raises(OperationalError, match='reuse_if_open'):
        db.connect()
    db.close()


# -- with db: and @db ------------------------------------------------------------------------
def test_with_db_frames_and_closing(fdb):
    fdb.close()
    with fdb:
        add(fdb, 1)
        with fdb:                           # a savepoint; the frame stack grows
            assert len(fdb._state.ctx) == 2 and fdb.transaction_depth() == 2
            add(fdb, 2)
        with pytest.raises(ZeroDivisionError):
            with fdb:
                add(fdb, 3)
                1 / 0
        assert not fdb.is_closed() and len(fdb._state.ctx) == 1
    assert fdb.is_closed() and fdb._state.ctx == []
    assert stored(fdb) == [1, 2]


def test_with_db_refused_inside_manual_commit_leaves_no_frame(fdb):
    fdb.connect(reuse_if_open=True)
    with fdb.manual_commit():
        with pytest.raises(ValueError):
            with fdb:
                pass
        assert fdb._state.ctx == []
    assert not fdb.is_closed()


def test_database_as_decorator(fdb):
    fdb.close()

    @fdb
    def work(k):
        assert fdb.in_transaction() and not fdb.is_closed()
        add(fdb, k)
        return k

    assert work(7) == 7
    assert fdb.is_closed()
    assert stored(fdb) == [7]


# -- transactions ------------------------------------------------------------------------------
def test_nested_transaction_joins_and_leaves_the_outer_work_alone(fdb):
    with fdb.transaction():
        add(fdb, 1)
        with fdb.transaction():
            add(fdb, 2)
        assert fdb.in_transaction()         # the inner block did not commit
        add(fdb, 3)
    assert stored(fdb) == [1, 2, 3] and not fdb.in_transaction()


def test_sessions_end_the_innermost_block(fdb):
    assert fdb.session_commit() is False
    first = fdb.session_start()
    second = fdb.session_start()
    assert fdb.top_transaction() is second and first is not second
    add(fdb, 1)
    assert fdb.session_commit() is True     # commits, and begins again for 'first'
    assert fdb.top_transaction() is first and fdb.in_transaction()
    add(fdb, 2)
    assert fdb.session_rollback() is True
    assert fdb.transaction_depth() == 0 and not fdb.in_transaction()
    assert stored(fdb) == [1]


def test_session_savepoint_is_released(fdb):
    fdb.session_start()
    savepoint = fdb.savepoint()
    savepoint.__enter__()
    add(fdb, 1)
    assert fdb.session_rollback()           # back to the savepoint, released
    assert fdb.transaction_depth() == 1
    add(fdb, 2)
    assert fdb.session_commit()
    assert stored(fdb) == [2]


def test_transaction_begin_gets_only_the_options_given():
    class Plain(SqliteDatabase):
        begun = 0

        def begin(self):                    # knows no lock_type
            type(self).begun += 1
            super().begin()

    db = Plain(':memory:')
    with db.atomic():
        pass
    with db.transaction():
        pass
    assert Plain.begun == 2


def test_batch_commit_groups(fdb):
    commits = []
    fdb.add_query_hook(lambda e: commits.append(e.sql) if e.sql == 'COMMIT' else None)
    items = list(fdb.batch_commit(iter(range(7)), 3))
    assert items == list(range(7)) and commits == ['COMMIT'] * 3
    assert list(fdb.batch_commit([], 3)) == []
    with pytest.raises(ValueError):
        list(fdb.batch_commit([1], 0))


def test_decorated_savepoint_calls_get_their_own_names(fdb):
    names = []

    @fdb.savepoint()
    def inner():
        names.append(fdb.top_transaction().sid)

    with fdb.atomic():
        inner()
        inner()
    assert len(set(names)) == 2


# -- pragmas -----------------------------------------------------------------------------------
def test_pragmas_are_kept_as_given_and_checked_early():
    pairs = (('cache_size', -4000),)
    db = SqliteDatabase(None, pragmas=pairs)
    assert db._pragmas == pairs
    db.init(':memory:')
    assert db._pragmas == pairs
    db.init(':memory:', pragmas={'foreign_keys': 1})
    assert db._pragmas == [('foreign_keys', 1)]
    assert db.foreign_keys == 1
    db.pragma('cache_size', -2000, permanent=True)
    assert ('cache_size', -2000) in db._pragmas
    with pytest.raises(ValueError, match='PRAGMA'):
        SqliteDatabase(':memory:', pragmas=[('bad name', 1)])
    db.close()


# -- on every engine -----------------------------------------------------------------------------
def test_sessions_and_closed_commit_on_every_engine(db):
    make_table(db)
    db.session_start()
    add(db, 1)
    with db.atomic() as sp:                 # a savepoint inside the session
        add(db, 2)
        sp.rollback()
    assert db.session_commit() and not db.in_transaction()
    assert stored(db) == [1]
    db.close()
    with pytest.raises(InterfaceError):
        db.commit()
    with pytest.raises(InterfaceError):
        db.rollback()
    db.connect()
