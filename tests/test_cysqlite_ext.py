"""playhouse.cysqlite_ext: orm on the cysqlite driver, with its hooks, table functions,
backups and BLOB I/O.  Every test runs on real SQLite files; what a test writes is read
back through the engine (and, where it matters, through the standard library's sqlite3).
"""
from __future__ import annotations

import datetime
import decimal
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import uuid

import pytest

cysqlite = pytest.importorskip('cysqlite', reason='cysqlite is not installed '
                               '(pip install cysqlite)')

from helpers import RunningSum  # noqa: E402
from orm import (BlobField, BooleanField, CharField, DateField,  # noqa: E402
                 DateTimeField, DecimalField, ForeignKeyField, ImproperlyConfigured,
                 IntegerField, IntegrityError, InterfaceError, Model, NotSupportedError,
                 OperationalError, SqliteDatabase, TextField, UUIDField, fn)
from playhouse.cysqlite_ext import CySqliteDatabase, PooledCySqliteDatabase  # noqa: E402
from playhouse.sqlite_ext import TableFunction as OrmTableFunction  # noqa: E402


class Author(Model):
    name = CharField(unique=True)


class Book(Model):
    author = ForeignKeyField(Author, backref='books')
    title = TextField()
    price = DecimalField(decimal_places=2)
    published = DateField()
    added = DateTimeField()
    in_print = BooleanField(default=True)
    ref = UUIDField()
    cover = BlobField(null=True)


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / 'cy.db')


@pytest.fixture
def cy(path):
    db = CySqliteDatabase(path)
    db.connect()
    yield db
    if not db.is_closed():
        while db.in_transaction():
            db.pop_transaction()
        db.rollback()
        db.close()


def values(db, sql, *params):
    return [row[0] for row in db.execute_sql(sql, params).fetchall()]


def stdlib_rows(path, sql):
    """Read a file with the standard library's sqlite3, not through orm."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# -- the database itself ------------------------------------------------------------------

def test_connections_come_from_cysqlite(cy):
    assert isinstance(cy.connection(), cysqlite.Connection)
    assert cy.server_version == tuple(cysqlite.sqlite_version_info)
    assert values(cy, 'SELECT sqlite_version()') == [cysqlite.sqlite_version]


def test_models_round_trip_through_the_file(cy, path):
    with cy.bind_ctx([Author, Book]):
        cy.create_tables([Author, Book])
        ref = uuid.uuid4()
        added = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456)
        with cy.atomic():
            ursula = Author.create(name='Ursula')
            Book.create(author=ursula, title='The Dispossessed', price=decimal.Decimal('9.99'),
                        published=datetime.date(1974, 5, 1), added=added, in_print=False,
                        ref=ref, cover=b'\x00\xffcover')
        cy.close()

        book = Book.select(Book, Author).join(Author).get()
        assert (book.title, book.author.name) == ('The Dispossessed', 'Ursula')
        assert book.price == decimal.Decimal('9.99')
        assert book.published == datetime.date(1974, 5, 1)
        assert book.added == added
        assert book.in_print is False
        assert book.ref == ref
        assert bytes(book.cover) == b'\x00\xffcover'
        assert [a.name for a in Author.select().where(fn.lower(Author.name) == 'ursula')] \
            == ['Ursula']
        assert Book.update(price=Book.price + 1).execute() == 1
        assert Book.delete().where(Book.in_print == True).execute() == 0  # noqa: E712
    # the file is plain SQLite: the standard library reads what cysqlite wrote
    assert stdlib_rows(path, 'SELECT title, price FROM book') == [('The Dispossessed', 10.99)]


def test_driver_errors_become_orm_errors(cy):
    with cy.bind_ctx([Author]):
        cy.create_tables([Author])
        Author.create(name='once')
        with pytest.raises(IntegrityError):
            Author.create(name='once')
    with pytest.raises(OperationalError):
        cy.execute_sql('SELEC 1')
    assert values(cy, 'SELECT count(*) FROM author') == [1]


def test_pragmas_and_timeout_reach_every_connection(path):
    db = CySqliteDatabase(path, pragmas={'journal_mode': 'wal', 'cache_size': -4000},
                          timeout=7)
    assert values(db, 'PRAGMA journal_mode') == ['wal']
    assert values(db, 'PRAGMA cache_size') == [-4000]
    assert values(db, 'PRAGMA busy_timeout') == [7000]
    db.close()
    assert stdlib_rows(path, 'PRAGMA journal_mode') == [('wal',)]


def test_transactions_autocommit_and_savepoints(cy):
    cy.execute_sql('CREATE TABLE t (v INTEGER)')
    assert cy.autocommit is True
    with cy.atomic():
        assert cy.autocommit is False
        cy.execute_sql('INSERT INTO t VALUES (1)')
        with cy.atomic() as savepoint:
            cy.execute_sql('INSERT INTO t VALUES (2)')
            savepoint.rollback()
    assert cy.autocommit is True
    cy.begin('immediate')
    cy.execute_sql('INSERT INTO t VALUES (3)')
    assert cy.changes() == 1
    cy.rollback()
    assert values(cy, 'SELECT v FROM t') == [1]
    cy.close()
    with pytest.raises(InterfaceError):
        cy.commit()
    with pytest.raises(InterfaceError):
        cy.rollback()


def test_user_defined_sql_objects(cy):
    cy.execute_sql('CREATE TABLE n (v INTEGER, s TEXT)')
    cy.execute_sql("INSERT INTO n VALUES (1, 'b'), (2, 'a'), (3, 'C')")

    @cy.func('triple', 1, deterministic=True)
    def triple(x):
        return x * 3

    @cy.aggregate('product', 1)
    class Product:
        def __init__(self):
            self.value = 1

        def step(self, x):
            self.value *= x

        def finalize(self):
            return self.value

    cy.window_function('running', 1)(RunningSum)

    @cy.collation('backwards')
    def backwards(a, b):
        return (a < b) - (a > b)

    assert values(cy, 'SELECT triple(v) FROM n ORDER BY v') == [3, 6, 9]
    assert values(cy, 'SELECT product(v) FROM n') == [6]
    assert values(cy, 'SELECT running(v) OVER (ORDER BY v ROWS 1 PRECEDING) FROM n') \
        == [1, 3, 5]
    assert values(cy, 'SELECT s FROM n ORDER BY s COLLATE backwards') == ['b', 'a', 'C']
    # all of them come back on a new connection; an unregistered one does not
    assert cy.unregister_function('triple')
    cy.close()
    assert values(cy, 'SELECT product(v) FROM n') == [6]
    with pytest.raises(OperationalError, match='no such function'):
        cy.execute_sql('SELECT triple(1)')


def test_regexp_and_rank_functions_are_registered(cy):
    assert values(cy, "SELECT 'cysqlite' REGEXP '^cy'") == [1]
    cy.execute_sql('CREATE VIRTUAL TABLE doc USING fts4(body)')
    cy.execute_sql("INSERT INTO doc VALUES ('a quick fox'), ('a slow fox fox')")
    scores = values(cy, "SELECT fts_rank(matchinfo(doc, 'pcx')) FROM doc "
                        "WHERE doc MATCH 'fox' ORDER BY rowid")
    assert len(scores) == 2 and all(score < 0 for score in scores)


# -- table functions ----------------------------------------------------------------------

def test_table_function_from_a_generator_with_a_default(cy):
    def countdown(start, step=1):
        while start > 0:
            yield (start, start % 2 == 0)
            start -= step

    assert cy.register_table_function(countdown, columns=['n', 'even']) is countdown
    assert cy.execute_sql('SELECT n, even FROM countdown(4)').fetchall() \
        == [(4, 1), (3, 0), (2, 1), (1, 0)]
    assert values(cy, 'SELECT n FROM countdown(9, 4)') == [9, 5, 1]
    # used in a join like a table
    cy.execute_sql('CREATE TABLE word (n INTEGER, w TEXT)')
    cy.execute_sql("INSERT INTO word VALUES (1, 'one'), (2, 'two'), (5, 'five')")
    assert values(cy, 'SELECT w FROM countdown(3) AS c JOIN word ON word.n = c.n '
                      'ORDER BY c.n') == ['one', 'two']


def test_table_function_is_replayed_and_can_be_unregistered(cy):
    @cy.table_function(name='squares', columns=['x', 'square'])
    def make_squares(limit):
        return [(i, i * i) for i in range(limit)]

    assert make_squares(2) == [(0, 0), (1, 1)]       # the decorator hands it back
    cy.close()
    cy.connect()
    assert values(cy, 'SELECT square FROM squares(4)') == [0, 1, 4, 9]
    assert cy.unregister_table_function('squares') is True
    assert cy.unregister_table_function('squares') is False
    cy.close()
    with pytest.raises(OperationalError, match='no such table'):
        cy.execute_sql('SELECT square FROM squares(4)')


def test_table_function_classes(cy):
    class Letters(cysqlite.TableFunction):
        columns = ['letter']
        params = ['word']

        def initialize(self, word=None):
            self.word = word or ''

        def iterate(self, idx):
            if idx >= len(self.word):
                raise StopIteration
            return (self.word[idx],)

    class Pairs(OrmTableFunction):     # the sqlite_ext flavour is adapted
        columns = ['a', 'b']
        params = ['n']
        name = 'pairs'

        def initialize(self, n=0):
            self.n = n

        def iterate(self, idx):
            if idx >= self.n:
                raise StopIteration
            return (idx, -idx)

    cy.register_table_function(Letters, 'letters')
    cy.register_table_function(Pairs)
    assert values(cy, "SELECT letter FROM letters('cy')") == ['c', 'y']
    assert cy.execute_sql('SELECT a, b FROM pairs(2)').fetchall() == [(0, 0), (1, -1)]


def test_table_function_needs_columns(cy):
    with pytest.raises(ImproperlyConfigured, match='columns'):
        cy.register_table_function(lambda: [], name='nothing')
    with pytest.raises(TypeError):
        cy.register_table_function(42, name='answer')


# -- hooks --------------------------------------------------------------------------------

def test_commit_rollback_and_update_hooks_survive_reconnecting(path):
    db = CySqliteDatabase(path)
    seen = []
    db.on_commit(lambda: seen.append('commit'))     # set before any connection exists
    db.on_rollback(lambda: seen.append('rollback'))

    @db.on_update
    def changed(kind, schema, table, rowid):
        seen.append((kind, schema, table, rowid))

    db.execute_sql('CREATE TABLE t (v TEXT)')
    db.close()
    with db.atomic():
        db.execute_sql("INSERT INTO t VALUES ('a'), ('b')")
    db.close()
    with db.atomic() as txn:
        db.execute_sql("UPDATE t SET v = 'c' WHERE rowid = 2")
        db.execute_sql('DELETE FROM t WHERE rowid = 1')
        txn.rollback()
    assert seen == ['commit',
                    ('INSERT', 'main', 't', 1), ('INSERT', 'main', 't', 2), 'commit',
                    ('UPDATE', 'main', 't', 2), ('DELETE', 'main', 't', 1), 'rollback']
    db.on_update(None)
    db.on_commit(None)
    db.execute_sql("INSERT INTO t VALUES ('d')")
    assert seen[-1] == 'rollback'
    assert values(db, 'SELECT v FROM t ORDER BY rowid') == ['a', 'b', 'd']
    db.close()


def test_a_failing_commit_hook_rolls_the_transaction_back(cy):
    cy.execute_sql('CREATE TABLE t (v INTEGER)')

    @cy.on_commit
    def veto():
        raise ValueError('not today')

    with pytest.raises(IntegrityError):
        with cy.atomic():
            cy.execute_sql('INSERT INTO t VALUES (1)')
    cy.on_commit(lambda: 'a true value is ignored')
    with cy.atomic():
        cy.execute_sql('INSERT INTO t VALUES (2)')
    assert values(cy, 'SELECT v FROM t') == [2]


def test_authorizer_denies_and_ignores(cy):
    cy.execute_sql('CREATE TABLE secret (id INTEGER, pin TEXT)')
    cy.execute_sql("INSERT INTO secret VALUES (1, '1234')")
    asked = []

    def guard(op, p1, p2, schema, trigger):
        asked.append((op, p1, p2))
        if op == cysqlite.SQLITE_READ and p2 == 'pin':
            return cysqlite.SQLITE_IGNORE          # the column reads as NULL
        if op == cysqlite.SQLITE_DELETE:
            return cysqlite.SQLITE_DENY
        return cysqlite.SQLITE_OK

    cy.authorizer(guard)
    assert cy.execute_sql('SELECT id, pin FROM secret').fetchall() == [(1, None)]
    assert (cysqlite.SQLITE_READ, 'secret', 'id') in asked
    with pytest.raises(OperationalError, match='not authorized'):
        cy.execute_sql('DELETE FROM secret')
    cy.close()                                     # kept for the next connection
    with pytest.raises(OperationalError):
        cy.execute_sql('DELETE FROM secret')
    cy.authorizer(None)
    assert values(cy, 'SELECT pin FROM secret') == ['1234']


def test_trace_and_slow_query_log(cy, caplog):
    events = []
    cy.trace(lambda event, sid, sql, ns: events.append((event, sql, ns)))
    cy.execute_sql('SELECT ?, ?', (42, 'x')).fetchall()
    profiled = [e for e in events if e[1] == "SELECT 42, 'x'"]
    assert profiled and profiled[0][0] == cysqlite.SQLITE_TRACE_PROFILE
    assert profiled[0][2] >= 0
    cy.trace(lambda *args: events.append(args), cysqlite.SQLITE_TRACE_STMT, expand_sql=False)
    del events[:]
    cy.execute_sql('SELECT ?', (7,)).fetchall()
    assert [(e[0], e[2]) for e in events] == [(cysqlite.SQLITE_TRACE_STMT, 'SELECT ?')]
    cy.trace(None)
    del events[:]
    cy.execute_sql('SELECT 1').fetchall()
    assert events == []

    cy.slow_query_log(threshold_ms=0, logger='cytest.slow', level=logging.INFO)
    cy.close()                                     # re-installed on the new connection
    with caplog.at_level(logging.INFO, logger='cytest.slow'):
        cy.execute_sql('SELECT ?', ('slow?',)).fetchall()
    assert any("SELECT 'slow?'" in record.getMessage() for record in caplog.records
               if record.name == 'cytest.slow')


def test_progress_handler_can_interrupt(cy):
    calls = []

    def tick():
        calls.append(1)
        return 0

    cy.progress(tick, 10)
    assert values(cy, 'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c '
                      'WHERE i < 500) SELECT count(*) FROM c') == [500]
    assert calls
    cy.progress(lambda: 1, 10)
    with pytest.raises(OperationalError, match='interrupt'):
        cy.execute_sql('WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c '
                       'WHERE i < 500) SELECT count(*) FROM c').fetchall()
    cy.progress(None)
    assert values(cy, 'SELECT 1') == [1]


# -- backups, BLOBs, statistics -----------------------------------------------------------

def _fill(db, rows=300):
    db.execute_sql('CREATE TABLE r (id INTEGER PRIMARY KEY, payload TEXT)')
    with db.atomic():
        for i in range(rows):
            db.execute_sql('INSERT INTO r (payload) VALUES (?)', ('x' * 200 + str(i),))


def test_backup_with_progress_into_another_database(cy, tmp_path):
    _fill(cy)
    copy_path = str(tmp_path / 'copy.db')
    copy = CySqliteDatabase(copy_path)
    steps = []
    cy.backup(copy, pages=2, progress=lambda remaining, total, done:
              steps.append((remaining, total, done)))
    assert len(steps) > 1 and steps[-1][0] == 0 and steps[-1][2] is True
    assert all(total == steps[0][1] for _, total, _ in steps)
    copy.close()
    assert stdlib_rows(copy_path, 'SELECT count(*), max(id) FROM r') == [(300, 300)]


def test_backup_to_file_and_to_memory(cy, tmp_path):
    _fill(cy, 20)
    target = str(tmp_path / 'nightly.db')
    cy.backup_to_file(target)
    assert stdlib_rows(target, 'SELECT count(*) FROM r') == [(20,)]
    memory = CySqliteDatabase(':memory:')
    cy.backup(memory)
    assert values(memory, 'SELECT count(*) FROM r') == [20]
    memory.close()


def test_backup_refuses_another_driver_and_reports_progress_errors(cy, tmp_path):
    _fill(cy, 20)
    plain = SqliteDatabase(str(tmp_path / 'plain.db'))
    with pytest.raises(NotSupportedError, match='cysqlite'):
        cy.backup(plain)

    def broken(remaining, total, done):
        raise ValueError('disk on fire')

    other = CySqliteDatabase(':memory:')
    with pytest.raises(ValueError, match='disk on fire'):
        cy.backup(other, pages=1, progress=broken)
    other.close()


def test_blob_io(cy):
    cy.execute_sql('CREATE TABLE img (id INTEGER PRIMARY KEY, data BLOB)')
    rowid = cy.execute_sql('INSERT INTO img (data) VALUES (zeroblob(16))').lastrowid
    blob = cy.blob_open('img', 'data', rowid)
    assert len(blob) == 16
    blob.write(b'PNG-ish')
    blob.seek(0)
    assert blob.read(3) == b'PNG'
    blob.close()
    assert values(cy, 'SELECT data FROM img') == [b'PNG-ish' + b'\x00' * 9]
    reader = cy.blob_open('img', 'data', rowid, read_only=True)
    with pytest.raises(Exception):
        reader.write(b'no')
    reader.close()
    with pytest.raises(OperationalError):
        cy.blob_open('img', 'data', 999)


def test_cache_and_memory_statistics(cy):
    _fill(cy, 50)
    cy.close()
    assert cy.cache_used >= 0
    values(cy, 'SELECT count(*) FROM r')
    values(cy, 'SELECT count(*) FROM r')
    assert cy.cache_used > 0
    assert cy.cache_hit > 0
    assert cy.cache_miss > 0          # the first read of a fresh connection hits the file
    assert isinstance(cy.cache_write, int)
    current, highwater = cy.memory_used
    assert highwater >= current >= 0


# -- pool, threads, import ----------------------------------------------------------------

def test_pooled_database_reuses_connections_with_their_hooks(path):
    db = PooledCySqliteDatabase(path, max_connections=2)
    updates = []
    db.on_update(lambda *args: updates.append(args[0]))
    db.execute_sql('CREATE TABLE t (v INTEGER)')
    first = db.connection()
    db.close()
    db.connect()
    assert db.connection() is first
    db.execute_sql('INSERT INTO t VALUES (1)')
    assert updates == ['INSERT']

    results = []

    def worker():
        db.connect()
        results.append(db.connection() is first)
        results.append(values(db, 'SELECT count(*) FROM t'))
        db.close()

    db.close()
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert results == [True, [1]]
    assert db.close_all() >= 1


def test_importing_without_cysqlite_says_what_to_install(tmp_path):
    code = ('import sys; sys.modules["cysqlite"] = None\n'
            'try:\n'
            '    import playhouse.cysqlite_ext\n'
            'except ImportError as exc:\n'
            '    print(exc)\n')
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run([sys.executable, '-c', code], cwd=str(tmp_path),
                            env=dict(os.environ, PYTHONPATH=root),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert 'pip install "orm[cysqlite]"' in result.stdout


def test_integer_field_filters_and_aggregates(cy):
    class Score(Model):
        points = IntegerField()

    with cy.bind_ctx([Score]):
        cy.create_tables([Score])
        Score.insert_many([{'points': p} for p in (3, 1, 4, 1, 5)]).execute()
        assert Score.select(fn.SUM(Score.points)).scalar() == 14
        assert [s.points for s in Score.select().where(Score.points > 2)
                .order_by(Score.points)] == [3, 4, 5]
