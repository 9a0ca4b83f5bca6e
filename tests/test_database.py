"""Database objects on real engines: connections, execution, errors, SQLite/PG specifics."""
from __future__ import annotations

import logging
import sqlite3
import sys
import threading

import pytest

from conftest import clean_database, engine_driver, engine_name, make_database, pg_connect_kwargs
from orm import (
    ConnectionContext,
    Database,
    DatabaseProxy,
    PostgresqlDatabase,
    Proxy,
    SqliteDatabase,
    chunked,
)
from orm.exceptions import (
    DatabaseError,
    DataError,
    ImproperlyConfigured,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    PeeweeException,
    ProgrammingError,
    __exception_wrapper__,
)

HOSTILE_VALUES = [
    "'; DROP TABLE kv; --",
    'Robert"); DROP TABLE kv;--',
    "O'Reilly \\ back\\slash \\' \\\" ",
    '%s %d %(name)s %% ? ?1 :name $1 @p',
    'line1\nline2\r\n\ttab',
    'ünïcødé ✓ 𝄞 😀 中文',
    '',
    ' ' * 3,
    "' OR '1'='1",
    '/* comment */ -- tail',
]

HOSTILE_TABLE = 'we"ird; DROP TABLE x;--'
HOSTILE_COLUMN = 'co"l %s ? \'q\''


def create_kv(db, name='kv'):
    db.execute_sql('CREATE TABLE %s (k INTEGER PRIMARY KEY, v TEXT)' % db.quote_identifier(name))


def insert_kv(db, k, v=None, name='kv'):
    db.execute_sql('INSERT INTO %s (k, v) VALUES (%s, %s)'
                   % (db.quote_identifier(name), db.param, db.param), (k, v))


def count(db, name='kv'):
    return db.execute_sql('SELECT COUNT(*) FROM %s' % db.quote_identifier(name)).fetchone()[0]


# ---------------------------------------------------------------------------------------
# Connections
# ---------------------------------------------------------------------------------------

def test_connect_close_is_closed(db):
    assert not db.is_closed()
    assert db.is_connection_usable()
    with pytest.raises(OperationalError, match='already has an open connection'):
        db.connect()
    assert db.connect(reuse_if_open=True) is False
    assert db.close() is True
    assert db.is_closed()
    assert not db.is_connection_usable()
    assert db.close() is False
    assert db.connect() is True
    assert db.execute_sql('SELECT 1').fetchone()[0] == 1


def test_autoconnect_reopens(db):
    db.close()
    assert db.execute_sql('SELECT 2').fetchone() == (2,)
    assert not db.is_closed()
    db.close()
    assert db.connection() is not None
    assert not db.is_closed()


def test_autoconnect_off(engine, tmp_path):
    db = make_database(engine, tmp_path, autoconnect=False)
    assert db.is_closed()
    with pytest.raises(InterfaceError, match='connect'):
        db.execute_sql('SELECT 1')
    with pytest.raises(InterfaceError):
        db.cursor()
    assert db.is_closed()
    # peewee: connection() opens the connection when closed, autoconnect or not
    conn = db.connection()
    try:
        assert not db.is_closed()
        assert db.connection() is conn
        assert db.execute_sql('SELECT 1').fetchone() == (1,)
    finally:
        db.close()
    db.connect()
    try:
        assert db.execute_sql('SELECT 1').fetchone() == (1,)
    finally:
        db.close()


def test_deferred_initialisation(engine, tmp_path):
    cls = PostgresqlDatabase if engine == 'postgres' else SqliteDatabase
    db = cls(None)
    assert db.deferred
    assert db.is_closed()
    assert db.close() is False
    with pytest.raises(InterfaceError, match=r'init\('):
        db.execute_sql('SELECT 1')
    with pytest.raises(InterfaceError, match=r'init\('):
        db.connect()
    if engine == 'postgres':
        params = pg_connect_kwargs()
        make_database(engine, tmp_path)  # skips when PostgreSQL is unreachable
        db.init(params.pop('database'), **params)
    else:
        db.init(':memory:' if engine == 'sqlite-memory' else str(tmp_path / 'd.db'))
    assert not db.deferred
    assert db.execute_sql('SELECT 1').fetchone() == (1,)
    db.close()


def test_init_closes_open_connection(sqlite_db, tmp_path):
    sqlite_db.init(str(tmp_path / 'other.db'))
    assert sqlite_db.is_closed()
    assert sqlite_db.database == str(tmp_path / 'other.db')


def test_connection_context(db):
    db.close()
    with db.connection_context():
        assert not db.is_closed()
        assert db.execute_sql('SELECT 1').fetchone() == (1,)
    assert db.is_closed()

    @db.connection_context()
    def work():
        assert not db.is_closed()
        return db.execute_sql('SELECT 3').fetchone()[0]

    assert work() == 3
    assert db.is_closed()
    # An already-open connection is left open.
    db.connect()
    with ConnectionContext(db):
        pass
    assert not db.is_closed()


def test_thread_local_connections(db):
    seen = {}

    def worker():
        seen['conn'] = db.connection()
        seen['closed_before'] = db.is_closed()
        seen['value'] = db.execute_sql('SELECT 5').fetchone()[0]
        db.close()

    db.close()
    db.connect()
    main_conn = db.connection()
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen['value'] == 5
    assert seen['conn'] is not main_conn
    assert not db.is_closed()          # the worker's close() did not touch ours
    assert db.connection() is main_conn


def test_thread_safe_false_shares_connection(engine, tmp_path):
    db = make_database(engine, tmp_path, thread_safe=False)
    db.connect()
    try:
        conn = db.connection()
        seen = {}

        def worker():
            seen['conn'] = db.connection()
            seen['value'] = db.execute_sql('SELECT 7').fetchone()[0]

        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert seen['conn'] is conn
        assert seen['value'] == 7
    finally:
        db.close()


def test_database_as_context_manager(db):
    if db.database == ':memory:':
        pytest.skip('closing an in-memory database discards it')
    create_kv(db)
    db.close()
    with db as same:
        assert same is db
        assert db.in_transaction()
        insert_kv(db, 1, 'a')
    assert db.is_closed()
    assert count(db) == 1
    db.close()
    with pytest.raises(ZeroDivisionError):
        with db:
            insert_kv(db, 2, 'b')
            1 / 0
    assert db.is_closed()
    assert count(db) == 1


def test_repr_and_params(db):
    assert type(db).__name__ in repr(db)
    if engine_name(db) == 'mysql':
        assert db.param == '%s'
        assert db.quote == '``'
        assert db.quote_identifier('a`b') == '`a``b`'
        return
    assert db.param == ('%s' if engine_name(db) == 'postgres' else '?')
    assert db.quote == '""'
    assert db.quote_identifier('a"b') == '"a""b"'


# ---------------------------------------------------------------------------------------
# Proxies
# ---------------------------------------------------------------------------------------

def test_proxy_uninitialised_errors():
    proxy = DatabaseProxy()
    with pytest.raises(AttributeError, match=r'initialize\(\)'):
        proxy.execute_sql('SELECT 1')
    with pytest.raises(InterfaceError, match='before initialize'):
        proxy.connect()
    with pytest.raises(InterfaceError):
        with proxy:
            pass
    assert not hasattr(proxy, 'anything')
    with pytest.raises(InterfaceError):
        proxy.autoconnect = False
    assert 'uninitialized' in repr(proxy)


def test_proxy_forwards_and_callbacks(db):
    proxy = Proxy()
    seen = []
    proxy.attach_callback(seen.append)
    proxy.initialize(db)
    assert seen == [db]
    assert proxy.execute_sql('SELECT 11').fetchone() == (11,)
    proxy.initialize(None)
    with pytest.raises(AttributeError):
        proxy.execute_sql


def test_database_proxy_decorators_before_initialize(db):
    proxy = DatabaseProxy()
    create_kv(db)

    @proxy.atomic()
    def add(k):
        insert_kv(proxy, k, 'x')
        assert proxy.in_transaction()

    @proxy.atomic()
    def fail(k):
        insert_kv(proxy, k, 'x')
        raise RuntimeError('boom')

    @proxy.connection_context()
    def read():
        return count(proxy)

    txn = proxy.transaction()
    sp = proxy.savepoint()
    mc = proxy.manual_commit()
    proxy.initialize(db)
    add(1)
    with pytest.raises(RuntimeError):
        fail(2)
    assert read() == 1
    with txn:
        insert_kv(proxy, 3)
        with sp:
            insert_kv(proxy, 4)
    assert count(db) == 3
    with mc:
        assert db.top_transaction() is mc
    with proxy:
        insert_kv(proxy, 5)
        assert proxy.in_transaction()
        assert count(proxy) == 4
    assert db.is_closed()


# ---------------------------------------------------------------------------------------
# Execution, logging, errors
# ---------------------------------------------------------------------------------------

def test_execute_sql_logs_sql_and_params(db, caplog):
    create_kv(db)
    caplog.set_level(logging.DEBUG, logger='orm')
    sql = 'INSERT INTO kv (k, v) VALUES (%s, %s)' % (db.param, db.param)
    db.execute_sql(sql, (1, 'one'))
    db.execute_sql('SELECT v FROM kv')
    messages = [r.msg for r in caplog.records if r.name == 'orm']
    assert (sql, (1, 'one')) in messages
    assert ('SELECT v FROM kv', None) in messages
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.name == 'orm')


def test_execute_sql_returns_cursor_and_counts(db):
    create_kv(db)
    cursor = db.execute_sql('INSERT INTO kv (k, v) VALUES (%s, %s)' % (db.param, db.param),
                            [10, 'ten'], commit=True)
    assert db.rows_affected(cursor) == 1
    cursor = db.execute_sql('UPDATE kv SET v = %s' % db.param, ['TEN'])
    assert db.rows_affected(cursor) == 1
    assert db.execute_sql('SELECT k, v FROM kv').fetchall() == [(10, 'TEN')]


def test_last_insert_id(db):
    if engine_name(db) == 'postgres':
        db.execute_sql('CREATE TABLE auto (id SERIAL PRIMARY KEY, v TEXT)')
        cursor = db.execute_sql('INSERT INTO auto (v) VALUES (%s) RETURNING id', ('a',))
        assert db.last_insert_id(cursor) == 1
        cursor = db.execute_sql('INSERT INTO auto (v) VALUES (%s) RETURNING id', ('b',))
        assert db.last_insert_id(cursor) == 2
        cursor = db.execute_sql('INSERT INTO auto (v) VALUES (%s)', ('c',))
        assert db.last_insert_id(cursor) is None
    else:
        auto = 'AUTO_INCREMENT' if engine_name(db) == 'mysql' else ''
        db.execute_sql('CREATE TABLE auto (id INTEGER %s PRIMARY KEY, v TEXT)' % auto)
        insert = 'INSERT INTO auto (v) VALUES (%s)' % db.param
        cursor = db.execute_sql(insert, ('a',))
        assert db.last_insert_id(cursor) == 1
        cursor = db.execute_sql(insert, ('b',))
        assert db.last_insert_id(cursor) == 2


def test_execute_compiles_query_with_dialect(db):
    from orm.sql.nodes import SQL
    cursor = db.execute(SQL('SELECT 40 + 2'))
    assert cursor.fetchone()[0] == 42
    ctx = db.get_sql_context()
    assert ctx.dialect is db.dialect


def test_noop_select_returns_nothing(db):
    assert db.execute_sql(db.get_noop_select()).fetchall() == []


def test_integrity_error_wraps_driver_error(db):
    create_kv(db)
    insert_kv(db, 1, 'a')
    with pytest.raises(IntegrityError) as info:
        insert_kv(db, 1, 'b')
    exc = info.value
    assert isinstance(exc, DatabaseError) and isinstance(exc, PeeweeException)
    cause = exc.__cause__
    assert cause is exc.orig
    assert type(cause).__name__ in ('IntegrityError', 'UniqueViolation', 'ConstraintError')
    assert type(cause).__module__.split('.')[0] in ('sqlite3', 'psycopg2', 'psycopg', 'apsw',
                                                    'pymysql')
    assert exc.args == cause.args
    if engine_name(db) == 'postgres':
        assert exc.pgcode == '23505'
        assert exc.sqlstate == '23505'
    elif engine_name(db) == 'mysql':
        assert exc.errno == 1062   # ER_DUP_ENTRY
    else:
        assert exc.pgcode is None
        assert exc.sqlite_errorname is None or 'CONSTRAINT' in exc.sqlite_errorname
    # The connection is still usable: outside a transaction nothing is left aborted.
    assert db.is_connection_usable()
    insert_kv(db, 2, 'c')
    assert count(db) == 2


def test_not_null_violation_is_integrity_error(db):
    db.execute_sql('CREATE TABLE nn (k INTEGER NOT NULL)')
    with pytest.raises(IntegrityError) as info:
        db.execute_sql('INSERT INTO nn (k) VALUES (%s)' % db.param, (None,))
    if engine_name(db) == 'postgres':
        assert info.value.pgcode == '23502'


def test_bad_sql_errors(db):
    # PostgreSQL and MySQL call syntax errors and unknown tables programming errors,
    # SQLite operational ones
    pg = engine_name(db) in ('postgres', 'mysql')
    with pytest.raises(ProgrammingError if pg else OperationalError) as info:
        db.execute_sql('SELEC 1')
    assert 'syntax' in str(info.value).lower()
    assert info.value.__cause__ is not None
    with pytest.raises(ProgrammingError if pg else OperationalError) as info:
        db.execute_sql('SELECT * FROM no_such_table')
    if engine_name(db) == 'postgres':
        assert info.value.pgcode == '42P01'
    elif engine_name(db) == 'mysql':
        assert info.value.errno == 1146   # ER_NO_SUCH_TABLE
    assert db.execute_sql('SELECT 1').fetchone() == (1,)


def test_data_error_on_postgres(pg_db):
    with pytest.raises(DataError) as info:
        pg_db.execute_sql("SELECT 'abc'::integer")
    assert info.value.pgcode == '22P02'


def test_exception_wrapper_passes_other_errors_through():
    with pytest.raises(KeyError):
        with __exception_wrapper__:
            raise KeyError('x')
    with pytest.raises(OperationalError) as info:
        with __exception_wrapper__:
            raise sqlite3.OperationalError('driver says no')
    assert info.value.args == ('driver says no',)
    ours = IntegrityError('already ours')
    with pytest.raises(IntegrityError) as info:
        with __exception_wrapper__:
            raise ours
    assert info.value is ours


def test_exception_wrapper_maps_apsw_errors():
    apsw = pytest.importorskip('apsw')
    conn = apsw.Connection(':memory:')
    conn.execute('CREATE TABLE t (k INTEGER PRIMARY KEY)')
    conn.execute('INSERT INTO t VALUES (1)')
    with pytest.raises(IntegrityError) as info:
        with __exception_wrapper__:
            conn.execute('INSERT INTO t VALUES (1)')
    assert isinstance(info.value.__cause__, apsw.ConstraintError)
    with pytest.raises(OperationalError):
        with __exception_wrapper__:
            conn.execute('SELEC 1')


def test_autorollback_ends_hand_begun_transaction(engine, tmp_path):
    db = make_database(engine, tmp_path, autorollback=True)
    db.connect()
    clean_database(db)
    try:
        create_kv(db)
        db.begin()
        insert_kv(db, 1)
        with pytest.raises(DatabaseError):
            db.execute_sql('SELECT * FROM missing_table')
        assert not db.in_transaction()
        assert db.is_connection_usable()
        assert count(db) == 0
    finally:
        db.close()


# ---------------------------------------------------------------------------------------
# Hostile input
# ---------------------------------------------------------------------------------------

def test_hostile_values_round_trip(db):
    create_kv(db)
    for i, value in enumerate(HOSTILE_VALUES):
        insert_kv(db, i, value)
    rows = db.execute_sql('SELECT k, v FROM kv ORDER BY k').fetchall()
    assert [v for _k, v in rows] == HOSTILE_VALUES
    # MySQL's collations ignore trailing spaces in '=' ('' = '   '): compare bytes there
    column = 'BINARY v' if engine_name(db) == 'mysql' else 'v'
    for i, value in enumerate(HOSTILE_VALUES):
        found = db.execute_sql('SELECT k FROM kv WHERE %s = %s' % (column, db.param),
                               (value,)).fetchall()
        assert found == [(i,)]
    assert db.get_tables() == ['kv']


def test_hostile_identifiers(db):
    q = db.quote_identifier
    table, column = HOSTILE_TABLE, HOSTILE_COLUMN
    child = 'child "of"; weird'
    index = 'idx "%s" ?; DROP'
    db.execute_sql('CREATE TABLE %s (id INTEGER PRIMARY KEY, %s TEXT NOT NULL)'
                   % (q(table), q(column)))
    db.execute_sql('CREATE TABLE %s (id INTEGER PRIMARY KEY, %s INTEGER REFERENCES %s (id))'
                   % (q(child), q('parent %s"id'), q(table)))
    db.execute_sql('CREATE UNIQUE INDEX %s ON %s (%s)' % (q(index), q(table), q(column)))
    db.execute_sql('INSERT INTO %s (id, %s) VALUES (%s, %s)'
                   % (q(table), q(column), db.param, db.param), (1, "x'; --"))
    db.execute_sql('INSERT INTO %s (id, %s) VALUES (%s, %s)'
                   % (q(child), q('parent %s"id'), db.param, db.param), (7, 1))
    rows = db.execute_sql('SELECT id, %s FROM %s' % (q(column), q(table))).fetchall()
    assert rows == [(1, "x'; --")]
    assert db.get_tables() == sorted([table, child])
    assert db.table_exists(table)
    assert [c.name for c in db.get_columns(table)] == ['id', column]
    assert db.get_primary_keys(table) == ['id']
    named = [i for i in db.get_indexes(table) if i.name == index]
    assert len(named) == 1
    assert named[0].columns == [column]
    assert named[0].unique is True
    fks = db.get_foreign_keys(child)
    assert [tuple(fk[:4]) for fk in fks] == [('parent %s"id', table, 'id', child)]
    # the would-be injected statement never ran
    assert count(db, table) == 1


# ---------------------------------------------------------------------------------------
# Misc API
# ---------------------------------------------------------------------------------------

def test_table_exists_accepts_objects(db):
    create_kv(db)

    class Meta:
        table_name = 'kv'
        schema = None

    class FakeModel:
        _meta = Meta

    class NamedTable:
        __name__ = 'kv'

    assert db.table_exists('kv')
    assert not db.table_exists('nope')
    assert db.table_exists(FakeModel)
    assert db.table_exists(NamedTable())


def test_sequence_exists(db):
    if engine_name(db) == 'postgres':
        assert not db.sequence_exists('my_seq')
        db.execute_sql('CREATE SEQUENCE my_seq')
        assert db.sequence_exists('my_seq')
    elif engine_name(db) == 'mysql':
        # orm has no sequences on MySQL (docs/mysql.rst): asking is an error, not "no"
        with pytest.raises(NotSupportedError):
            db.sequence_exists('my_seq')
    else:
        assert db.sequence_exists('my_seq') is False


def test_feature_flags(db):
    if engine_name(db) == 'postgres':
        assert db.returning_clause and db.for_update and db.sequences
        assert db.nulls_ordering and db.truncate_table
        assert db.limit_max is None
    elif engine_name(db) == 'mysql':
        assert db.limit_max == 18446744073709551615   # the largest LIMIT MySQL takes
        assert db.sequences is False and db.for_update is True
        assert db.returning_clause == (db.mariadb and db.server_version >= (10, 5))
    else:
        assert db.limit_max == -1
        assert db.sequences is False
        assert db.for_update is False
        assert db.returning_clause == (sqlite3.sqlite_version_info >= (3, 35, 0))
    for name in ('commit_select', 'safe_create_index', 'safe_drop_index'):
        assert isinstance(getattr(db, name), bool)
    original = db.returning_clause
    db.returning_clause = not original
    assert db.returning_clause is (not original)
    assert db.dialect.returning_clause is (not original)
    db.returning_clause = original


def test_server_version(db):
    if engine_name(db) == 'postgres':
        assert isinstance(db.server_version, int) and db.server_version >= 90600
        info = db.server_version_info
        assert info[0] == db.server_version // 10000
        assert db.dialect.server_version == info
        major = int(db.execute_sql('SHOW server_version_num').fetchone()[0]) // 10000
        assert info[0] == major
    elif engine_name(db) == 'mysql':
        text = db.execute_sql('SELECT VERSION()').fetchone()[0]
        assert db.server_version == tuple(int(p) for p in text.split('-')[0].split('.')[:3])
        assert db.mariadb == ('mariadb' in text.lower())
    else:
        expected = sqlite3.sqlite_version_info
        if engine_driver(db) == 'apsw':   # APSW ships its own SQLite
            import apsw
            expected = tuple(int(p) for p in apsw.sqlite_lib_version().split('.')[:3])
        assert db.server_version == expected
        assert db.dialect.server_version == expected


def test_bind_and_create_tables_delegate_to_models(db):
    calls = []

    class ForeignKey:
        deferred = False

    class Meta:
        def __init__(self, name, refs=()):
            self.name = self.table_name = name
            self.database = None
            self.depends_on = None
            self.refs = {ForeignKey(): r for r in refs}

    def model(name, refs=()):
        cls = type(name, (), {})
        cls._meta = Meta(name, refs)

        def bind(database, bind_refs=True, bind_backrefs=True, _exclude=None):
            cls._meta.database = database
            calls.append(('bind', name, database, bind_refs, bind_backrefs))

        def create_table(safe=True, **options):
            calls.append(('create', name, safe))

        def drop_table(safe=True, **options):
            calls.append(('drop', name, safe))

        cls.bind = staticmethod(bind)
        cls.create_table = staticmethod(create_table)
        cls.drop_table = staticmethod(drop_table)
        return cls

    a = model('a')
    b = model('b', refs=[a])
    c = model('c', refs=[b])
    db.bind([a, b], bind_refs=False)
    assert a._meta.database is db and b._meta.database is db
    assert ('bind', 'a', db, False, True) in calls
    calls.clear()
    db.create_tables([c, b, a])
    created = [name for kind, name, _ in calls if kind == 'create']
    assert created.index('a') < created.index('b') < created.index('c')
    calls.clear()
    db.drop_tables([a, c, b])
    dropped = [name for kind, name, _ in calls if kind == 'drop']
    assert dropped.index('c') < dropped.index('b') < dropped.index('a')
    other = SqliteDatabase(':memory:')
    with other.bind_ctx([a]) as bound:
        assert bound == [a]
        assert a._meta.database is other
    assert a._meta.database is db


def test_chunked():
    assert list(chunked(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(chunked([], 3)) == []
    with pytest.raises(ValueError):
        list(chunked([1], 0))


def test_generic_database_cannot_connect():
    db = Database('x')
    with pytest.raises(NotImplementedError):
        db.connect()


# ---------------------------------------------------------------------------------------
# SQLite specifics
# ---------------------------------------------------------------------------------------

def test_sqlite_pragmas_applied_on_every_connection(tmp_path):
    db = SqliteDatabase(str(tmp_path / 'p.db'), pragmas={
        'foreign_keys': 1, 'journal_mode': 'wal', 'cache_size': -4000})
    try:
        assert db.foreign_keys == 1
        assert db.journal_mode == 'wal'
        assert db.cache_size == -4000
        db.close()
        db.connect()
        assert db.foreign_keys == 1
        assert db.cache_size == -4000
        db.execute_sql('CREATE TABLE p (id INTEGER PRIMARY KEY)')
        db.execute_sql('CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id))')
        with pytest.raises(IntegrityError):
            db.execute_sql('INSERT INTO c (id, p_id) VALUES (1, 99)')
    finally:
        db.close()


def test_sqlite_pragmas_as_pairs_and_property_setters(tmp_path):
    db = SqliteDatabase(str(tmp_path / 'q.db'), pragmas=[('cache_size', 1234),
                                                           ('synchronous', 'OFF')])
    try:
        assert db.cache_size == 1234
        assert db.synchronous == 0
        db.cache_size = 999
        assert db.cache_size == 999
        db.user_version = 42
        assert db.pragma('user_version') == 42
        db.close()
        assert db.cache_size == 1234          # not permanent: back to the configured value
        assert db.user_version == 42          # stored in the file
        db.pragma('cache_size', 777, permanent=True)
        db.close()
        assert db.cache_size == 777
        with pytest.raises(ValueError):
            db.pragma('cache_size', permanent=True)
        with pytest.raises(ValueError):
            db.pragma('cache_size; DROP TABLE x')
    finally:
        db.close()


def test_sqlite_memory_pragma_and_timeout(sqlite_db):
    assert sqlite_db.foreign_keys == 0
    sqlite_db.foreign_keys = 'on'
    assert sqlite_db.foreign_keys == 1
    assert sqlite_db.timeout == 5
    sqlite_db.timeout = 2.5
    assert sqlite_db.pragma('busy_timeout') == 2500


def test_sqlite_init_accepts_peewee_options(tmp_path):
    db = SqliteDatabase(None, c_extensions=False, rank_functions=True)
    db.init(str(tmp_path / 'i.db'), pragmas={'cache_size': 111}, timeout=3)
    try:
        assert db.cache_size == 111
        assert db.timeout == 3
    finally:
        db.close()


def test_sqlite_user_function(sqlite_db):
    db = sqlite_db

    @db.func('title_case')
    def title_case(s):
        return s.title() if s else ''

    assert db.execute_sql("SELECT title_case('hello world')").fetchone()[0] == 'Hello World'
    db.register_function(lambda a, b: a * b, 'mul', 2, deterministic=True)
    assert db.execute_sql('SELECT mul(6, 7)').fetchone()[0] == 42
    db.close()  # registered functions come back on new connections
    assert db.execute_sql("SELECT title_case('abc'), mul(2, 3)").fetchone() == ('Abc', 6)
    assert db.unregister_function('mul') is True
    assert db.unregister_function('mul') is False
    with pytest.raises(OperationalError):   # the open connection can no longer call it
        db.execute_sql('SELECT mul(1, 2)')
    db.close()
    with pytest.raises(OperationalError, match='no such function: mul'):
        db.execute_sql('SELECT mul(1, 2)')


def test_sqlite_aggregate(sqlite_db):
    db = sqlite_db

    @db.aggregate('product')
    class Product:
        def __init__(self):
            self.value = 1

        def step(self, v):
            self.value *= v

        def finalize(self):
            return self.value

    db.execute_sql('CREATE TABLE n (v INTEGER)')
    for v in (2, 3, 7):
        db.execute_sql('INSERT INTO n (v) VALUES (?)', (v,))
    assert db.execute_sql('SELECT product(v) FROM n').fetchone()[0] == 42
    db.unregister_aggregate('product')
    with pytest.raises(OperationalError):
        db.execute_sql('SELECT product(v) FROM n')


def test_sqlite_collation(sqlite_db):
    db = sqlite_db
    db.close()

    @db.collation('reverse')
    def collate_reverse(a, b):
        return -((a > b) - (a < b))

    db.execute_sql('CREATE TABLE w (s TEXT)')
    for s in ('b', 'a', 'c'):
        db.execute_sql('INSERT INTO w (s) VALUES (?)', (s,))
    rows = db.execute_sql('SELECT s FROM w ORDER BY s COLLATE reverse').fetchall()
    assert [r[0] for r in rows] == ['c', 'b', 'a']
    assert db.unregister_collation('reverse')
    with pytest.raises(OperationalError):
        db.execute_sql('SELECT s FROM w ORDER BY s COLLATE reverse')


@pytest.mark.skipif(sqlite3.sqlite_version_info < (3, 25, 0) or sys.version_info < (3, 11),
                    reason='window functions need SQLite >= 3.25 and Python >= 3.11')
def test_sqlite_window_function(sqlite_db):
    db = sqlite_db

    @db.window_function('my_sum', 1)
    class MySum:
        def __init__(self):
            self.total = 0

        def step(self, v):
            self.total += v

        def inverse(self, v):
            self.total -= v

        def value(self):
            return self.total

        def finalize(self):
            return self.total

    db.execute_sql('CREATE TABLE n (v INTEGER)')
    for v in (1, 2, 3, 4):
        db.execute_sql('INSERT INTO n (v) VALUES (?)', (v,))
    rows = db.execute_sql(
        'SELECT v, my_sum(v) OVER (ORDER BY v ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) '
        'FROM n ORDER BY v').fetchall()
    assert rows == [(1, 1), (2, 3), (3, 5), (4, 7)]
    db.close()
    assert db.execute_sql('SELECT my_sum(x) OVER () FROM (SELECT 4 AS x UNION ALL SELECT 6) '
                          'LIMIT 1').fetchone() == (10,)
    assert db.unregister_window_function('my_sum')


def test_sqlite_regexp(sqlite_db):
    db = sqlite_db
    db.execute_sql('CREATE TABLE r (s TEXT)')
    for s in ('apple', 'banana', None, 'Cherry'):
        db.execute_sql('INSERT INTO r (s) VALUES (?)', (s,))
    rows = db.execute_sql("SELECT s FROM r WHERE s REGEXP '^[ab]' ORDER BY s").fetchall()
    assert rows == [('apple',), ('banana',)]
    assert db.execute_sql("SELECT NULL REGEXP 'a', 'a' REGEXP NULL").fetchone() == (None, None)
    assert db.execute_sql("SELECT 123 REGEXP '^1'").fetchone() == (1,)
    assert db.execute_sql('SELECT s FROM r WHERE s REGEXP ?', ('(?i)^c',)).fetchall() == [
        ('Cherry',)]


def test_sqlite_date_helpers(sqlite_db):
    row = sqlite_db.execute_sql(
        "SELECT date_part('year', '2021-03-04 05:06:07'), date_part('minute', "
        "'2021-03-04 05:06:07'), date_trunc('month', '2021-03-04 05:06:07'), "
        "date_part('year', NULL)").fetchone()
    assert row == (2021, 6, '2021-03-01 00:00:00', None)


def test_sqlite_attach_detach(sqlite_db, tmp_path):
    db = sqlite_db
    other = str(tmp_path / 'other.db')
    assert db.attach(other, 'other') is True
    assert db.attach(other, 'other') is False
    db.execute_sql('CREATE TABLE other.t (k INTEGER PRIMARY KEY, v TEXT)')
    db.execute_sql("INSERT INTO other.t (k, v) VALUES (1, 'x')")
    assert db.get_tables(schema='other') == ['t']
    assert db.get_tables() == []
    db.close()  # re-attached on the next connection
    assert db.execute_sql('SELECT v FROM other.t').fetchall() == [('x',)]
    assert db.table_exists('t', schema='other')
    assert db.detach('other') is True
    assert db.detach('other') is False
    with pytest.raises(OperationalError):
        db.execute_sql('SELECT v FROM other.t')
    # peewee surfaces SQLite's OperationalError here; orm refuses up front, same class
    with pytest.raises(OperationalError, match='reserved'):
        db.attach(other, 'main')
    with pytest.raises(OperationalError, match='reserved'):
        db.attach(other, 'TEMP')
    assert db.detach('main') is False


def test_sqlite_load_extension_missing_raises(sqlite_db):
    if not hasattr(sqlite3.Connection, 'enable_load_extension'):
        pytest.skip('sqlite3 built without extension loading')
    with pytest.raises(OperationalError):
        sqlite_db.load_extension('/nonexistent/extension_xyz')
    sqlite_db.unload_extension('/nonexistent/extension_xyz')


# ---------------------------------------------------------------------------------------
# PostgreSQL specifics
# ---------------------------------------------------------------------------------------

def test_pg_isolation_level_setting_validated():
    with pytest.raises(ValueError, match='isolation level'):
        PostgresqlDatabase('x', isolation_level='SOMETIMES')
    assert PostgresqlDatabase('x', isolation_level='repeatable_read').isolation_level == \
        'REPEATABLE READ'
    assert PostgresqlDatabase('x', isolation_level=3).isolation_level == 'SERIALIZABLE'
    assert PostgresqlDatabase('x').isolation_level is None


def test_pg_connection_usable_after_failure_in_transaction(pg_db):
    db = pg_db
    db.begin()
    with pytest.raises(ProgrammingError):
        db.execute_sql('SELECT * FROM missing')
    assert not db.is_connection_usable()
    with pytest.raises(InternalError) as info:
        db.execute_sql('SELECT 1')
    assert info.value.pgcode == '25P02'
    db.rollback()
    assert db.is_connection_usable()
    assert db.execute_sql('SELECT 1').fetchone() == (1,)


def test_pg_set_time_zone(pg_db):
    pg_db.set_time_zone('America/Chicago')
    assert pg_db.execute_sql('SHOW TIME ZONE').fetchone()[0] == 'America/Chicago'
    with pytest.raises(DatabaseError):
        pg_db.set_time_zone("UTC'; SET TIME ZONE 'Asia/Tokyo'; --")
    assert pg_db.execute_sql('SHOW TIME ZONE').fetchone()[0] == 'America/Chicago'


def test_pg_dsn_as_database_name(pg_engine, tmp_path):
    driver = engine_driver(make_database(pg_engine, tmp_path))  # skip when unreachable
    from conftest import PG_DSN
    db = PostgresqlDatabase(PG_DSN, prefer_psycopg3=(driver == 'psycopg3'))
    try:
        assert db.execute_sql('SELECT current_database()').fetchone()[0] == \
            pg_connect_kwargs()['database']
        assert engine_driver(db) == driver
    finally:
        db.close()


def test_pg_named_cursor(pg_db):
    with pg_db.atomic():
        cursor = pg_db.cursor(named_cursor='big_scan')
        cursor.execute('SELECT generate_series(1, 5)')
        assert [r[0] for r in cursor.fetchmany(3)] == [1, 2, 3]
        cursor.close()
    cursor = pg_db.cursor(named_cursor='outside_tx')
    cursor.execute('SELECT generate_series(1, 3)')
    assert cursor.fetchall() == [(1,), (2,), (3,)]
    cursor.close()


def test_pg_missing_driver_is_improperly_configured(monkeypatch):
    monkeypatch.setitem(sys.modules, 'psycopg2', None)
    monkeypatch.setitem(sys.modules, 'psycopg', None)
    db = PostgresqlDatabase('whatever')
    with pytest.raises(ImproperlyConfigured, match='orm\\[postgres\\]'):
        db.connect()


def test_pg_falls_back_to_the_installed_driver(monkeypatch):
    import orm
    psycopg2 = pytest.importorskip('psycopg2')
    pytest.importorskip('psycopg')
    monkeypatch.setitem(sys.modules, 'psycopg2', None)
    assert isinstance(PostgresqlDatabase('whatever').adapter, orm.Psycopg3Adapter)
    monkeypatch.setitem(sys.modules, 'psycopg2', psycopg2)
    monkeypatch.setitem(sys.modules, 'psycopg', None)
    assert isinstance(PostgresqlDatabase('x', prefer_psycopg3=True).adapter,
                      orm.Psycopg2Adapter)


def test_pg_register_unicode_and_encoding(pg_engine, tmp_path):
    db = make_database(pg_engine, tmp_path, encoding='UTF8', register_unicode=True)
    try:
        assert db.execute_sql('SHOW client_encoding').fetchone()[0] == 'UTF8'
        assert db.execute_sql('SELECT %s', ('ünï',)).fetchone()[0] == 'ünï'
    finally:
        db.close()
