"""playhouse.apsw_ext: APSWDatabase and its adaptation of the apsw driver.

The whole SQLite part of the suite also runs on APSW (engine id ``apsw`` in
conftest); these tests cover what is specific to the driver: the DB-API-like cursor,
exception mapping, registration of user functions and virtual tables, backups.
"""
from __future__ import annotations

import datetime
import decimal
import threading
import uuid

import pytest

apsw = pytest.importorskip('apsw', reason='the apsw driver is not installed')

from helpers import RunningSum  # noqa: E402
import orm  # noqa: E402
from orm import (BlobField, CharField, DatabaseError, IntegerField,  # noqa: E402
                 IntegrityError, Model, OperationalError, ProgrammingError, SqliteDatabase,
                 TextField, UUIDField, fn)
from playhouse import apsw_ext  # noqa: E402
from playhouse.apsw_ext import (APSWDatabase, BooleanField, DateField,  # noqa: E402
                                DateTimeField, DecimalField, TimeField, nh)
from playhouse.sqlite_ext import SqliteExtDatabase, TableFunction  # noqa: E402


@pytest.fixture(params=['memory', 'file'])
def adb(request, tmp_path):
    name = ':memory:' if request.param == 'memory' else str(tmp_path / 'apsw.db')
    db = APSWDatabase(name)
    db.connect()
    yield db
    if not db.is_closed():
        while db.transaction_depth():
            db.pop_transaction()
        db.rollback()
        db.close()


@pytest.fixture
def file_db(tmp_path):
    db = APSWDatabase(str(tmp_path / 'apsw.db'))
    yield db
    db.close()


def make_models(db):
    class Base(Model):
        class Meta:
            database = db

    class Person(Base):
        name = CharField(unique=True)
        born = DateField(null=True)
        seen = DateTimeField(null=True)
        wakes = TimeField(null=True)
        balance = DecimalField(max_digits=10, decimal_places=2, null=True)
        active = BooleanField(default=True)
        photo = BlobField(null=True)
        token = UUIDField(null=True)

    db.create_tables([Person])
    return Person


# -- the database object -------------------------------------------------------------------
def test_is_a_sqlite_ext_database(adb):
    assert isinstance(adb, SqliteExtDatabase) and isinstance(adb, SqliteDatabase)
    assert isinstance(adb.connection(), apsw.Connection)
    assert adb.dialect.name == 'sqlite'
    assert adb.server_version == tuple(int(p) for p in apsw.sqlite_lib_version().split('.'))
    assert adb.server_version_info == adb.server_version
    assert adb.execute_sql('SELECT sqlite_version()').fetchone()[0] == \
        apsw.sqlite_lib_version()


def test_star_import_gives_orm_names():
    namespace: dict = {}
    exec('from playhouse.apsw_ext import *', namespace)
    for name in ('APSWDatabase', 'Model', 'CharField', 'fn', 'BooleanField', 'nh'):
        assert name in namespace, name
    assert namespace['DateTimeField'] is DateTimeField
    import orm
    assert set(orm.__all__) <= set(namespace)       # every orm name comes along
    assert set(apsw_ext.__all__) >= {'APSWDatabase', 'BooleanField', 'DateField',
                                     'DateTimeField', 'DecimalField', 'TimeField', 'nh'}


def test_missing_database_name_is_explained():
    db = APSWDatabase(None)
    with pytest.raises(orm.InterfaceError, match='init'):
        db.connect()


# -- round trips of each type ----------------------------------------------------------------
def test_driver_errors_on_connect_and_load_extension_are_orm_errors(tmp_path):
    db = APSWDatabase(str(tmp_path / 'missing-dir' / 'app.db'))
    with pytest.raises(orm.OperationalError):
        db.connect()
    db = APSWDatabase(':memory:')
    db.connect()
    with pytest.raises(orm.DatabaseError):
        db.load_extension(str(tmp_path / 'no_such_extension'))
    db.close()
    db.connect()                   # the failed extension is not retried on new connections
    assert db.execute_sql('SELECT 1').fetchone() == (1,)
    db.close()


def test_field_conversions_round_trip(adb):
    Person = make_models(adb)
    token = uuid.uuid4()
    Person.create(name='huey', born=datetime.date(2010, 5, 1),
                  seen=datetime.datetime(2024, 1, 2, 3, 4, 5, 678000),
                  wakes=datetime.time(6, 30), balance=decimal.Decimal('12.34'),
                  active=False, photo=b'\x00\x01\xff', token=token)
    Person.create(name='mickey')
    huey = Person.get(Person.name == 'huey')
    assert huey.born == datetime.date(2010, 5, 1)
    assert huey.seen == datetime.datetime(2024, 1, 2, 3, 4, 5, 678000)
    assert huey.wakes == datetime.time(6, 30)
    assert huey.balance == decimal.Decimal('12.34')
    assert huey.active is False
    assert bytes(huey.photo) == b'\x00\x01\xff'
    assert huey.token == token
    mickey = Person.get(Person.name == 'mickey')
    assert mickey.active is True and mickey.born is None and mickey.balance is None
    # what the engine stored: SQLite's own types, as with sqlite3
    row = adb.execute_sql('SELECT born, seen, wakes, typeof(balance), active, typeof(photo) '
                          'FROM person WHERE name = ?', ('huey',)).fetchone()
    assert row == ('2010-05-01', '2024-01-02 03:04:05.678000', '06:30:00', 'real', 0, 'blob')
    assert Person.select().where(Person.born < datetime.date(2011, 1, 1)).count() == 1
    assert Person.select().where(Person.active == False).count() == 1  # noqa: E712


def test_raw_parameters_are_adapted_like_sqlite3(adb):
    adb.execute_sql('CREATE TABLE t (a, b, c, d, e, f)')
    when = datetime.datetime(2020, 1, 2, 3, 4, 5)
    adb.execute_sql('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)',
                    (when, datetime.date(2020, 1, 2), decimal.Decimal('1.50'), True,
                     bytearray(b'ab'), memoryview(b'cd')))
    assert adb.execute_sql('SELECT * FROM t').fetchone() == (
        '2020-01-02 03:04:05', '2020-01-02', '1.50', 1, b'ab', b'cd')
    adb.execute_sql('DELETE FROM t')
    adb.execute_sql('INSERT INTO t (a) VALUES (:value)', {'value': datetime.time(1, 2)})
    assert adb.execute_sql('SELECT a FROM t').fetchone() == ('01:02:00',)


def test_apsw_field_variants_convert_for_the_driver():
    assert BooleanField().db_value(True) == 1 and BooleanField().db_value(None) is None
    assert DateField().db_value(datetime.date(2020, 1, 2)) == '2020-01-02'
    assert DateTimeField().db_value(datetime.datetime(2020, 1, 2, 3, 4)) == \
        '2020-01-02 03:04:00'
    assert TimeField().db_value(datetime.time(1, 2, 3)) == '01:02:03'
    assert DecimalField().db_value(decimal.Decimal('1.5')) == '1.5'
    assert nh(str, 5) == '5' and nh(str, None) is None


# -- the cursor ------------------------------------------------------------------------------------
def test_cursor_description_rowcount_and_lastrowid(adb):
    adb.execute_sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)')
    cursor = adb.execute_sql('INSERT INTO kv (v) VALUES (?), (?)', ('a', 'b'))
    assert cursor.rowcount == 2 and cursor.lastrowid == 2 and cursor.description is None
    cursor = adb.execute_sql('SELECT k, v FROM kv WHERE k < 0')
    assert [d[0] for d in cursor.description] == ['k', 'v']   # also with no row
    assert cursor.fetchall() == [] and cursor.fetchone() is None
    cursor = adb.execute_sql('UPDATE kv SET v = ? WHERE k > ?', ('z', 0))
    assert cursor.rowcount == 2
    assert adb.execute_sql('UPDATE kv SET v = 1 WHERE k > 99').rowcount == 0
    cursor = adb.execute_sql('SELECT k FROM kv ORDER BY k')
    assert cursor.fetchone() == (1,)
    assert list(cursor) == [(2,)]
    cursor = adb.execute_sql('SELECT k FROM kv ORDER BY k')
    assert cursor.fetchmany(1) == [(1,)] and cursor.fetchmany(5) == [(2,)]
    cursor = adb.execute_sql('DELETE FROM kv WHERE k = ? RETURNING v', (1,))
    assert cursor.rowcount == 1 and cursor.fetchall() == [('z',)]
    assert adb.execute_sql('SELECT COUNT(*) FROM kv').fetchone() == (1,)


def test_fetched_statement_releases_its_lock(file_db, tmp_path):
    file_db.execute_sql('CREATE TABLE t (x)')
    file_db.execute_sql('INSERT INTO t VALUES (1)')
    other = APSWDatabase(str(tmp_path / 'apsw.db'), timeout=0.1)
    try:
        cursor = other.execute_sql('SELECT x FROM t')
        assert cursor.fetchone() == (1,)   # the last row: the statement is finished
        with file_db.atomic():
            file_db.execute_sql('INSERT INTO t VALUES (2)')
        assert other.execute_sql('SELECT COUNT(*) FROM t').fetchone() == (2,)
    finally:
        other.close()


def test_model_queries_use_the_adapted_cursor(adb):
    Person = make_models(adb)
    ids = [Person.create(name=name).id for name in ('a', 'b', 'c')]
    assert ids == [1, 2, 3]
    assert Person.update(active=False).where(Person.id > 1).execute() == 2
    assert [p.name for p in Person.select().where(Person.active == True)] == ['a']  # noqa
    assert Person.delete().where(Person.name == 'c').execute() == 1
    assert list(Person.select(Person.name).order_by(Person.name).tuples()) == [('a',), ('b',)]
    assert Person.insert_many([{'name': 'd'}, {'name': 'e'}]).execute() is not None
    assert Person.select().count() == 4


# -- exceptions ----------------------------------------------------------------------------------
def test_driver_errors_become_orm_errors(adb):
    Person = make_models(adb)
    Person.create(name='huey')
    with pytest.raises(IntegrityError) as info:
        Person.create(name='huey')
    assert isinstance(info.value.orig, apsw.ConstraintError)
    assert info.value.__cause__ is info.value.orig
    with pytest.raises(OperationalError, match='no such table'):
        adb.execute_sql('SELECT * FROM missing')
    with pytest.raises(OperationalError, match='syntax error'):
        adb.execute_sql('SELEKT 1')
    with pytest.raises(ProgrammingError):
        adb.execute_sql('SELECT ?, ?', (1,))
    with pytest.raises(DatabaseError):
        adb.execute_sql('SELECT ?', (object(),))   # not bindable
    # the connection is still usable
    assert adb.execute_sql('SELECT 1').fetchone() == (1,)


def test_error_while_reading_rows_is_wrapped(adb):
    adb.register_function(lambda x: 1 // x, 'inv', 1)
    adb.execute_sql('CREATE TABLE t (x)')
    adb.execute_sql('INSERT INTO t VALUES (1), (0)')
    with pytest.raises(ZeroDivisionError):   # APSW hands back the Python exception
        adb.execute_sql('SELECT inv(x) FROM t ORDER BY x DESC').fetchall()


def test_closed_connection_is_reported(adb):
    conn = adb.connection()
    assert adb.is_connection_usable()
    conn.close()
    assert not adb.is_connection_usable()
    adb._state.reset()   # forget the connection closed behind the database's back


# -- transactions ----------------------------------------------------------------------------------
def test_transactions_and_savepoints(adb):
    adb.execute_sql('CREATE TABLE t (x)')
    assert not adb.in_transaction()
    with adb.atomic():
        assert adb.in_transaction() and not adb.connection().get_autocommit()
        adb.execute_sql('INSERT INTO t VALUES (1)')
        with pytest.raises(ValueError):
            with adb.atomic():
                adb.execute_sql('INSERT INTO t VALUES (2)')
                raise ValueError
        with adb.atomic() as sp:
            adb.execute_sql('INSERT INTO t VALUES (3)')
            sp.rollback()
            adb.execute_sql('INSERT INTO t VALUES (4)')
    assert adb.connection().get_autocommit()
    assert adb.execute_sql('SELECT x FROM t ORDER BY x').fetchall() == [(1,), (4,)]
    with pytest.raises(RuntimeError):
        with adb.transaction('immediate'):
            adb.execute_sql('INSERT INTO t VALUES (5)')
            raise RuntimeError
    assert adb.execute_sql('SELECT COUNT(*) FROM t').fetchone() == (2,)
    with adb.manual_commit():
        adb.begin()
        adb.execute_sql('INSERT INTO t VALUES (6)')
        adb.rollback()
    assert adb.execute_sql('SELECT COUNT(*) FROM t').fetchone() == (2,)


def test_commit_visible_to_another_connection(file_db, tmp_path):
    file_db.execute_sql('CREATE TABLE t (x)')
    other = APSWDatabase(str(tmp_path / 'apsw.db'))
    try:
        with file_db.atomic():
            file_db.execute_sql('INSERT INTO t VALUES (1)')
            assert other.execute_sql('SELECT COUNT(*) FROM t').fetchone() == (0,)
        assert other.execute_sql('SELECT COUNT(*) FROM t').fetchone() == (1,)
    finally:
        other.close()


def test_connection_per_thread(file_db):
    file_db.execute_sql('CREATE TABLE t (x)')
    file_db.close()
    errors: list = []

    def work(n):
        try:
            with file_db.connection_context():
                for i in range(20):
                    with file_db.atomic():
                        file_db.execute_sql('INSERT INTO t VALUES (?)', (n * 100 + i,))
        except Exception as exc:   # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert file_db.execute_sql('SELECT COUNT(*) FROM t').fetchone() == (80,)


# -- pragmas -----------------------------------------------------------------------------------------
def test_pragmas_and_timeout(tmp_path):
    db = APSWDatabase(str(tmp_path / 'p.db'), pragmas={'journal_mode': 'wal',
                                                       'cache_size': -4000}, timeout=2)
    try:
        assert db.journal_mode == 'wal'
        assert db.cache_size == -4000
        assert db.pragma('busy_timeout') == 2000
        db.foreign_keys = 1
        assert db.foreign_keys == 1
        db.pragma('user_version', 7, permanent=True)
        db.close()
        db.connect()
        assert db.user_version == 7
        db.timeout = 0.5
        assert db.pragma('busy_timeout') == 500
    finally:
        db.close()


# -- user-defined functions ----------------------------------------------------------------------------
def test_scalar_functions(adb):
    @adb.func('title_case', num_params=1, deterministic=True)
    def title_case(s):
        return s.title() if s else ''

    assert adb.execute_sql("SELECT title_case('hello world')").fetchone() == ('Hello World',)
    adb.register_function(lambda *args: sum(args), 'add_all')
    assert adb.execute_sql('SELECT add_all(1, 2, 3)').fetchone() == (6,)
    # registered functions follow the database to new connections
    if adb.database != ':memory:':
        adb.close()
        adb.connect()
        assert adb.execute_sql("SELECT title_case('a b')").fetchone() == ('A B',)
    assert adb.unregister_function('add_all')
    with pytest.raises(OperationalError):
        adb.execute_sql('SELECT add_all(1)')
    # the built-in helpers of SqliteDatabase are there too
    assert adb.execute_sql("SELECT 'abc' REGEXP 'b'").fetchone() == (1,)
    assert adb.execute_sql("SELECT date_part('year', '2021-03-04')").fetchone() == (2021,)


def test_aggregates_collations_and_window_functions(adb):
    adb.execute_sql('CREATE TABLE t (g, x)')
    adb.execute_sql("INSERT INTO t VALUES ('a', 1), ('a', 2), ('b', 5), ('B', 7)")

    @adb.aggregate('product')
    class Product:
        def __init__(self):
            self.value = 1

        def step(self, x):
            self.value *= x

        def finalize(self):
            return self.value

    assert adb.execute_sql('SELECT g, product(x) FROM t GROUP BY g ORDER BY g').fetchall() == \
        [('B', 7), ('a', 2), ('b', 5)]

    @adb.collation('nocase_rev')
    def nocase_rev(a, b):
        a, b = a.lower(), b.lower()
        return (a < b) - (a > b)

    assert adb.execute_sql('SELECT DISTINCT g FROM t ORDER BY g COLLATE nocase_rev, g'
                           ).fetchall() == [('B',), ('b',), ('a',)]

    adb.window_function('running_sum', 1)(RunningSum)

    rows = adb.execute_sql('SELECT x, running_sum(x) OVER (ORDER BY x ROWS BETWEEN 1 '
                           'PRECEDING AND CURRENT ROW) FROM t ORDER BY x').fetchall()
    assert rows == [(1, 1), (2, 3), (5, 7), (7, 12)]
    assert adb.unregister_aggregate('product')
    assert adb.unregister_collation('nocase_rev')
    assert adb.unregister_window_function('running_sum')
    assert not adb.unregister_aggregate('product')


def test_functions_in_model_queries(adb):
    Person = make_models(adb)
    adb.register_function(lambda s: s[::-1], 'reverse', 1)
    Person.create(name='huey')
    assert Person.select(fn.reverse(Person.name)).scalar() == 'yeuh'


# -- virtual tables ----------------------------------------------------------------------------------
class _Squares:
    """A minimal APSW virtual-table module: rows (n, n * n) for n in 1..3."""

    def Create(self, connection, modulename, databasename, tablename, *args):
        return 'CREATE TABLE x(n, square)', _SquaresTable()

    Connect = Create


class _SquaresTable:
    def BestIndex(self, constraints, orderbys):
        return None

    def Open(self):
        return _SquaresCursor()

    def Disconnect(self):
        pass

    Destroy = Disconnect


class _SquaresCursor:
    def Filter(self, indexnum, indexname, constraintargs):
        self.n = 1

    def Eof(self):
        return self.n > 3

    def Rowid(self):
        return self.n

    def Column(self, col):
        return self.n if col in (-1, 0) else self.n * self.n

    def Next(self):
        self.n += 1

    def Close(self):
        pass


def test_register_module(file_db):
    file_db.register_module('squares', _Squares())
    file_db.execute_sql('CREATE VIRTUAL TABLE sq USING squares()')
    assert file_db.execute_sql('SELECT n, square FROM sq').fetchall() == [(1, 1), (2, 4),
                                                                        (3, 9)]
    file_db.close()
    file_db.connect()   # registered again on the new connection
    assert file_db.execute_sql('SELECT SUM(square) FROM sq').fetchone() == (14,)
    assert file_db.unregister_module('squares')
    assert not file_db.unregister_module('squares')


def test_table_function(adb):
    @adb.table_function('chars')
    class Chars(TableFunction):
        columns = ['ch', 'pos']
        params = ['text']

        def initialize(self, text=''):
            self.text = text

        def iterate(self, idx):
            if idx >= len(self.text):
                raise StopIteration
            return (self.text[idx], idx)

    assert adb.execute_sql("SELECT ch, pos FROM chars('abc')").fetchall() == \
        [('a', 0), ('b', 1), ('c', 2)]
    assert adb.execute_sql("SELECT text, COUNT(*) FROM chars('hello') WHERE ch = 'l'"
                           ).fetchone() == ('hello', 2)


# -- extensions and backups -----------------------------------------------------------------------------
def test_load_missing_extension_raises(adb):
    with pytest.raises(DatabaseError):
        adb.load_extension('/nonexistent/extension_xyz')
    adb.unload_extension('/nonexistent/extension_xyz')


def test_backup(adb, tmp_path):
    Person = make_models(adb)
    Person.create(name='huey')
    target = APSWDatabase(str(tmp_path / 'copy.db'))
    try:
        adb.backup(target)
        assert target.execute_sql('SELECT name FROM person').fetchall() == [('huey',)]
    finally:
        target.close()
    adb.backup_to_file(str(tmp_path / 'copy2.db'))
    copy = SqliteDatabase(str(tmp_path / 'copy2.db'))
    try:
        assert copy.execute_sql('SELECT COUNT(*) FROM person').fetchone() == (1,)
    finally:
        copy.close()


def test_interoperates_with_sqlite3_on_one_file(tmp_path):
    path = str(tmp_path / 'shared.db')
    a = APSWDatabase(path)
    b = SqliteDatabase(path)

    class Note(Model):
        text = TextField()
        n = IntegerField(default=0)

    try:
        with a.bind_ctx([Note]):
            a.create_tables([Note])
            Note.create(text='from apsw', n=1)
        with b.bind_ctx([Note]):
            Note.create(text='from sqlite3', n=2)
            assert [n.text for n in Note.select().order_by(Note.n)] == ['from apsw',
                                                                       'from sqlite3']
        with a.bind_ctx([Note]):
            assert Note.select().count() == 2
    finally:
        a.close()
        b.close()


def test_apsw_error_classes_map_like_sqlite3_errors():
    import apsw
    cases = [(apsw.InternalError, orm.InternalError), (apsw.ConstraintError, orm.IntegrityError),
             (apsw.BusyError, orm.OperationalError), (apsw.CorruptError, orm.DatabaseError)]
    for raised, expected in cases:
        with pytest.raises(expected) as info:
            with apsw_ext._wrap:
                raise raised('boom')
        assert isinstance(info.value.orig, raised)
