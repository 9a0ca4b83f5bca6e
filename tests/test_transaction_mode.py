"""SQLite's ``transaction_mode``: the lock the transactions orm begins take (issue 13).

A read-then-write in a DEFERRED transaction upgrades its read lock to a write lock when
it writes; under contention that upgrade fails with "database is locked" at once (the
busy timeout cannot help, as waiting could deadlock).  BEGIN IMMEDIATE takes the write
lock first, so such transactions wait their turn instead.
"""
from __future__ import annotations

import threading

import pytest

from conftest import pg_connect_kwargs, require_postgres
from orm import (ImproperlyConfigured, IntegerField, Model, OperationalError,
                 PostgresqlDatabase, SqliteDatabase)
from playhouse.apsw_ext import APSWDatabase
from playhouse.db_url import connect


class Tally(Model):
    total = IntegerField(default=0)


def begins(db, action) -> list:
    """The BEGIN statements ``action()`` sends on ``db``."""
    seen: list = []
    hook = db.add_query_hook(lambda event: seen.append(event.sql))
    try:
        action()
    finally:
        db.remove_query_hook(hook)
    return [sql for sql in seen if sql.upper().startswith('BEGIN')]


@pytest.mark.parametrize('factory', [SqliteDatabase, APSWDatabase])
def test_the_mode_is_what_atomic_and_transaction_begin_with(tmp_path, factory):
    if factory is APSWDatabase:
        pytest.importorskip('apsw')
    db = factory(str(tmp_path / 'mode.db'), transaction_mode='immediate')
    assert db.transaction_mode == 'IMMEDIATE'
    db.bind([Tally])
    db.create_tables([Tally])

    def nested():
        with db.atomic():
            Tally.create()
            with db.atomic():             # a savepoint: no second BEGIN
                Tally.create()

    assert begins(db, nested) == ['BEGIN IMMEDIATE']
    assert begins(db, lambda: db.transaction().__enter__().__exit__(None, None, None)) \
        == ['BEGIN IMMEDIATE']
    # an explicit lock type still wins, for atomic(), transaction() and begin()
    assert begins(db, lambda: db.atomic('DEFERRED').__enter__().__exit__(None, None, None)) \
        == ['BEGIN DEFERRED']
    assert begins(db, lambda: db.transaction(lock_type='exclusive').__enter__()
                  .__exit__(None, None, None)) == ['BEGIN EXCLUSIVE']

    def by_hand():
        with db.manual_commit():
            db.begin()
            db.commit()
    assert begins(db, by_hand) == ['BEGIN IMMEDIATE']
    assert Tally.select().count() == 2
    db.close()


def test_without_a_mode_begin_stays_plain(tmp_path):
    db = SqliteDatabase(str(tmp_path / 'plain.db'))
    assert db.transaction_mode is None
    assert begins(db, lambda: db.atomic().__enter__().__exit__(None, None, None)) == ['BEGIN']
    db.init(str(tmp_path / 'plain.db'), transaction_mode='Exclusive')
    assert begins(db, lambda: db.atomic().__enter__().__exit__(None, None, None)) \
        == ['BEGIN EXCLUSIVE']
    db.close()


@pytest.mark.parametrize('bad', ['immediately', '', 'BEGIN IMMEDIATE', 1, 'deferred; --'])
def test_a_bad_mode_is_refused_when_the_database_is_made(bad):
    with pytest.raises(ValueError, match='transaction_mode must be one of DEFERRED, '
                                         'IMMEDIATE, EXCLUSIVE'):
        SqliteDatabase(':memory:', transaction_mode=bad)


def test_db_url_passes_the_mode_through(tmp_path):
    db = connect('sqlite:///%s?transaction_mode=immediate' % (tmp_path / 'url.db'))
    assert db.transaction_mode == 'IMMEDIATE'
    assert begins(db, lambda: db.atomic().__enter__().__exit__(None, None, None)) \
        == ['BEGIN IMMEDIATE']
    db.close()
    with pytest.raises(ValueError, match='transaction_mode'):
        connect('sqlite:///%s?transaction_mode=later' % (tmp_path / 'url.db'))


@pytest.mark.parametrize('prefer_psycopg3', [False, True])
def test_postgres_refuses_the_option(prefer_psycopg3):
    with pytest.raises(ImproperlyConfigured, match='transaction_mode.*isolation_level'):
        PostgresqlDatabase('app', transaction_mode='immediate',
                           prefer_psycopg3=prefer_psycopg3)
    require_postgres()
    params = pg_connect_kwargs()
    url = 'postgresql://%s@%s/%s?transaction_mode=immediate' % (
        params.get('user', 'postgres'), params.get('host', '127.0.0.1'), params['database'])
    with pytest.raises(ImproperlyConfigured, match='transaction_mode'):
        connect(url)


# -- contention -----------------------------------------------------------------------------
THREADS = 6
ROUNDS = 15


@pytest.mark.parametrize('journal_mode', ['delete', 'wal'])
def test_read_then_write_under_contention_never_fails_with_immediate(tmp_path, journal_mode):
    path = str(tmp_path / 'busy.db')
    db = SqliteDatabase(path, transaction_mode='IMMEDIATE', timeout=30,
                        pragmas={'journal_mode': journal_mode})
    db.bind([Tally])
    db.create_tables([Tally])
    Tally.create(total=0)
    assert db.execute_sql('PRAGMA journal_mode').fetchone()[0] == journal_mode
    db.close()
    failures: list = []
    start = threading.Barrier(THREADS)

    def worker():
        try:
            db.connect(reuse_if_open=True)     # pragmas set before anyone writes
            start.wait()
            for _ in range(ROUNDS):
                try:
                    with db.atomic():
                        current = Tally.get_by_id(1).total          # read ...
                        Tally.update(total=current + 1).where(      # ... then write
                            Tally.id == 1).execute()
                except OperationalError as exc:
                    failures.append(str(exc))
        finally:
            db.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert Tally.get_by_id(1).total == THREADS * ROUNDS     # no increment lost
    db.close()
