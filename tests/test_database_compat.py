"""Database API details checked against peewee's documented behaviour, on every engine."""
from __future__ import annotations

import warnings

import pytest

from conftest import engine_name, make_database
from orm import (BlobField, DatabaseProxy, IntegerField, Model, SqliteDatabase,
                 TextField)
from orm.exceptions import (DatabaseError, IntegrityError, InterfaceError, OperationalError,
                            PeeweeException, ProgrammingError)


def _blob_type(db) -> str:
    return 'BYTEA' if engine_name(db) == 'postgres' else 'BLOB'


# -- connections --------------------------------------------------------------------------

def test_connection_opens_even_with_autoconnect_off(engine, tmp_path):
    # peewee: "connection(): return the open connection. If a connection is not open,
    # one will be opened" -- autoconnect only governs queries run on a closed database
    db = make_database(engine, tmp_path, autoconnect=False)
    with pytest.raises(InterfaceError, match='connect'):
        db.execute_sql('SELECT 1')
    conn = db.connection()
    try:
        assert conn is not None and not db.is_closed()
        assert db.connection() is conn
        assert db.execute_sql('SELECT 1').fetchone() == (1,)
    finally:
        assert db.close() is True
    assert db.close() is False


def test_autocommit_option_is_deprecated(engine, tmp_path):
    with pytest.warns(DeprecationWarning, match='autocommit'):
        db = make_database(engine, tmp_path, autocommit=False)
    try:
        # ignored: outside a transaction statements still commit by themselves
        assert db.execute_sql('SELECT 1').fetchone() == (1,)
        assert not db.in_transaction()
    finally:
        db.close()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        make_database(engine, tmp_path).close()


# -- DatabaseProxy ------------------------------------------------------------------------

def test_query_through_uninitialised_proxy_says_so(db):
    proxy = DatabaseProxy()

    class Note(Model):
        text = TextField()

        class Meta:
            database = proxy
            table_name = 'compat_note'

    for action in (lambda: list(Note.select()), lambda: Note.create(text='x'),
                   Note.create_table, lambda: Note.select().count()):
        with pytest.raises(InterfaceError, match='before initialize') as info:
            action()
        assert isinstance(info.value, AttributeError)   # peewee raises AttributeError
    proxy.initialize(db)
    Note.create_table()
    Note.create(text='hello')
    assert [n.text for n in Note.select()] == ['hello']
    assert Note.select().count() == 1


# -- binary values ------------------------------------------------------------------------

def test_binary_type_round_trips_bytes(db):
    binary = db.get_binary_type()
    assert callable(binary)
    db.execute_sql('CREATE TABLE compat_blob (id INTEGER PRIMARY KEY, data %s)'
                   % _blob_type(db))
    payload = bytes(range(256))
    db.execute_sql('INSERT INTO compat_blob (id, data) VALUES (1, %s)' % db.param,
                   (binary(payload),))
    value = db.execute_sql('SELECT data FROM compat_blob').fetchone()[0]
    assert bytes(value) == payload


def test_blob_field_with_binary_type(db):
    # the driver's binary wrapper (bytes, memoryview, psycopg2.Binary ...) is stored
    # by a BlobField and read back as the same bytes
    class Snapshot(Model):
        pixels = BlobField()
        width = IntegerField(default=16)

    payload = bytes(range(16)) * 16
    with Snapshot.bind_ctx(db):
        db.create_tables([Snapshot])
        saved = Snapshot.create(pixels=db.get_binary_type()(payload))
        loaded = Snapshot.select().where(Snapshot.id == saved.id).get()
        assert (bytes(loaded.pixels), loaded.width) == (payload, 16)


# -- table functions (SQLite) -------------------------------------------------------------

@pytest.mark.engines('sqlite')
def test_table_function_registration(db):
    from playhouse.sqlite_ext import TableFunction

    @db.table_function('compat_chars')
    class Chars(TableFunction):
        params = ['text']
        columns = ['ch', 'code']

        def initialize(self, text=''):
            self.pending = list(text)

        def iterate(self, idx):
            if not self.pending:
                raise StopIteration
            ch = self.pending.pop(0)
            return (ch, ord(ch))

    assert Chars.name == 'compat_chars'
    assert db.execute_sql("SELECT ch FROM compat_chars('abc')").fetchall() == [
        ('a',), ('b',), ('c',)]
    db.close()   # registered again on the next connection
    assert db.execute_sql("SELECT SUM(code) FROM compat_chars('AB')").fetchone() == (131,)
    assert db.unregister_table_function('compat_chars') is True
    assert db.unregister_table_function('compat_chars') is False


def test_register_table_function_rejects_non_table_functions(tmp_path):
    db = SqliteDatabase(':memory:')
    with pytest.raises(TypeError, match='TableFunction'):
        db.register_table_function(object)


# -- transactions -------------------------------------------------------------------------

def test_explicit_commit_and_rollback_inside_atomic(db):
    # peewee: txn.commit() / txn.rollback() inside the block end the work done so far
    # and a new transaction begins; db.commit() just commits (later statements of the
    # block then commit by themselves)
    db.execute_sql('CREATE TABLE compat_t (x INTEGER)')
    insert = 'INSERT INTO compat_t (x) VALUES (%s)' % db.param

    def values():
        return [r[0] for r in db.execute_sql('SELECT x FROM compat_t ORDER BY x')]

    with db.atomic() as txn:
        db.execute_sql(insert, (1,))
        txn.commit()
        assert db.in_transaction()
        db.execute_sql(insert, (2,))
        txn.rollback()
        assert db.in_transaction()
        db.execute_sql(insert, (3,))
        with db.atomic() as sp:
            db.execute_sql(insert, (4,))
            sp.rollback()
            db.execute_sql(insert, (5,))
    assert values() == [1, 3, 5]
    assert not db.in_transaction()

    with db.atomic():
        db.execute_sql(insert, (6,))
        db.commit()
        db.execute_sql(insert, (7,))
        db.rollback()      # nothing open: a no-op, 7 was committed by itself
    assert values() == [1, 3, 5, 6, 7]
    assert not db.in_transaction()


def test_close_inside_atomic_refused_then_allowed(db):
    with db.atomic():
        with pytest.raises(OperationalError, match='transaction is open'):
            db.close()
        assert not db.is_closed()
    assert db.close() is True
    assert db.is_closed()


# -- exceptions ---------------------------------------------------------------------------

def _create_parent_child(db):
    db.execute_sql('CREATE TABLE compat_parent (id INTEGER PRIMARY KEY, '
                   'u INTEGER UNIQUE, nn INTEGER NOT NULL DEFAULT 0, ck INTEGER CHECK (ck > 0))')
    db.execute_sql('CREATE TABLE compat_child (id INTEGER PRIMARY KEY, '
                   'parent_id INTEGER REFERENCES compat_parent (id))')
    if engine_name(db) == 'sqlite':
        db.pragma('foreign_keys', 1)
    db.execute_sql('INSERT INTO compat_parent (id, u, ck) VALUES (1, 1, 1)')


@pytest.mark.parametrize('sql', [
    'INSERT INTO compat_parent (id, u, ck) VALUES (2, 1, 1)',        # unique
    'INSERT INTO compat_parent (id, nn, ck) VALUES (3, NULL, 1)',    # not null
    'INSERT INTO compat_parent (id, ck) VALUES (4, -1)',             # check
    'INSERT INTO compat_child (id, parent_id) VALUES (1, 99)',       # foreign key
    'INSERT INTO compat_parent (id, ck) VALUES (1, 1)',              # primary key
], ids=['unique', 'not-null', 'check', 'foreign-key', 'primary-key'])
def test_constraint_violations_are_integrity_errors(db, sql):
    _create_parent_child(db)
    with pytest.raises(IntegrityError) as info:
        db.execute_sql(sql)
    error = info.value
    assert error.orig is not None and error.__cause__ is error.orig
    assert not isinstance(error.orig, PeeweeException)
    assert str(error) == str(error.orig)
    # the connection stays usable outside a transaction
    assert db.execute_sql('SELECT COUNT(*) FROM compat_parent').fetchone() == (1,)


def test_statement_errors_keep_driver_exception(db):
    expected = ProgrammingError if engine_name(db) in ('postgres', 'mysql') else OperationalError
    for sql in ('SELECT * FROM compat_missing_table', 'SELEC 1'):
        with pytest.raises(expected) as info:
            db.execute_sql(sql)
        assert isinstance(info.value, DatabaseError)
        assert info.value.orig is info.value.__cause__
        assert type(info.value.orig).__module__.split('.')[0] in (
            'sqlite3', 'apsw', 'psycopg2', 'psycopg', 'pymysql')


# -- PostgreSQL ---------------------------------------------------------------------------

@pytest.mark.engines('postgres')
def test_pg_sequence_exists_takes_peewees_argument_name(db):
    db.execute_sql('CREATE SEQUENCE compat_seq')
    assert db.sequence_exists(sequence='compat_seq') is True
    assert db.sequence_exists('compat_missing_seq') is False
    assert db.sequences is True


@pytest.mark.engines('postgres')
def test_pg_binary_type_is_the_drivers(db):
    assert db.get_binary_type() is db.adapter.module.Binary
