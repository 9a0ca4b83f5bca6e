"""playhouse.db_url: URLs to database objects, for every scheme, read back from the engine."""
from __future__ import annotations

import importlib.util
from urllib.parse import quote

import pytest

import orm
from orm import PostgresqlDatabase, SqliteDatabase
from playhouse.cockroachdb import CockroachDatabase, PooledCockroachDatabase
from playhouse.db_url import (DatabaseURLError, UnknownSchemeError, connect, parse,
                              parseresult_to_dict, register_database, schemes)
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase
from playhouse.postgres_ext import (PooledPostgresqlExtDatabase, PostgresqlExtDatabase,
                                    Psycopg3Database)

from conftest import engine_driver, pg_connect_kwargs, require_postgres


def pg_url(scheme='postgresql', query=''):
    require_postgres()
    params = pg_connect_kwargs()
    user = params.get('user', '')
    host = params.get('host', 'localhost')
    port = ':%s' % params.get('port', 5432)
    return '%s://%s@%s%s/%s%s' % (scheme, user, host, port, params['database'], query)


# ---------------------------------------------------------------------------------------
# parse
# ---------------------------------------------------------------------------------------

def test_parse_postgres_url():
    assert parse('postgresql://bob:s3cret@db.example.com:6432/app') == {
        'database': 'app', 'user': 'bob', 'password': 's3cret',
        'host': 'db.example.com', 'port': 6432}
    assert parse('postgres://localhost/app') == {'database': 'app', 'host': 'localhost'}
    assert parse('postgres:///app') == {'database': 'app'}


def test_query_string_options_are_converted():
    params = parse('postgresql+pool://h/app?max_connections=8&stale_timeout=1.5'
                   '&autorollback=true&register_unicode=False&sslmode=require'
                   '&application_name=web1&timeout=none&empty=')
    assert params == {'database': 'app', 'host': 'h', 'max_connections': 8,
                      'stale_timeout': 1.5, 'autorollback': True, 'register_unicode': False,
                      'sslmode': 'require', 'application_name': 'web1', 'timeout': None,
                      'empty': ''}
    assert isinstance(params['max_connections'], int)


def test_sqlite_paths():
    assert parse('sqlite:///app.db') == {'database': 'app.db'}               # relative
    assert parse('sqlite:////var/data/app.db') == {'database': '/var/data/app.db'}
    assert parse('sqlite:///:memory:') == {'database': ':memory:'}
    assert parse('sqlite://') == {'database': ':memory:'}
    assert parse('sqlite:///my%20app.db?timeout=10') == {'database': 'my app.db',
                                                          'timeout': 10}


def test_quoted_credentials():
    password = 'p@ss:w/rd?'
    url = 'postgresql://user%40corp:' + quote(password, safe='') + '@h/app'
    assert parse(url)['password'] == quote(password, safe='')
    assert parse(url, unquote_password=True)['password'] == password
    assert parse(url, unquote_user=True)['user'] == 'user@corp'


def test_numbers_are_read_from_ascii_digits_only():
    params = parse('postgresql://h/app?a=%C2%B2&b=%D9%A3%D9%A4&c=12&d=0.5&e=3.4.5&f=1e3')
    assert params['a'] == '\u00b2' and params['b'] == '\u0663\u0664'       # text
    assert (params['c'], params['d'], params['e'], params['f']) == (12, 0.5, '3.4.5', '1e3')


def test_mysql_urls_name_the_password_passwd():
    # the keyword MySQL drivers take; every other scheme (mysql+pool too) has password
    assert parse('mysql://u:pw@h:3306/app') == {'database': 'app', 'user': 'u',
                                                 'passwd': 'pw', 'host': 'h', 'port': 3306}
    assert parse('mysql+pool://u:pw@h/app')['password'] == 'pw'
    assert parse('mysql://u:p%23@h/app', unquote_password=True)['passwd'] == 'p#'


@pytest.mark.parametrize('url', ['postgresql://app', 'postgres://h:5432', 'postgres:///',
                                 'crdb://root@h:26257', 'mysql://app'])
def test_a_url_without_a_database_name_is_refused(url):
    with pytest.raises(ValueError, match='has no database name'):
        connect(url)
    assert connect('postgresql://h', database='app').database == 'app'


def test_parseresult_to_dict():
    from urllib.parse import urlparse
    assert parseresult_to_dict(urlparse('postgres://u@h:1/d?x=1')) == {
        'database': 'd', 'user': 'u', 'host': 'h', 'port': 1, 'x': 1}


@pytest.mark.parametrize('url, message', [
    ('app.db', 'Malformed database URL'),
    ('postgresql:/app', 'Malformed database URL'),
    ('', 'Malformed database URL'),
    ('postgresql://h:port/app', 'Invalid port'),
    ('postgresql://h:99999/app', 'Invalid port'),
    ('sqlite://relative.db', 'names a file, not a host'),
])
def test_malformed_urls(url, message):
    with pytest.raises(DatabaseURLError, match=message):
        connect(url)
    assert issubclass(DatabaseURLError, (ValueError, orm.ImproperlyConfigured))


def test_not_a_string():
    with pytest.raises(DatabaseURLError, match='as a str'):
        parse(None)


def test_unknown_scheme():
    with pytest.raises(UnknownSchemeError, match="Unknown database URL scheme 'oracle'.*"
                                                 "register_database"):
        connect('oracle://h/app')
    assert issubclass(UnknownSchemeError, RuntimeError)


# ---------------------------------------------------------------------------------------
# connect: the class and its arguments
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('scheme, cls', [
    ('postgres', PostgresqlDatabase),
    ('postgresql', PostgresqlDatabase),
    ('postgres+pool', PooledPostgresqlDatabase),
    ('postgresql+pool', PooledPostgresqlDatabase),
    ('postgresext', PostgresqlExtDatabase),
    ('postgresqlext', PostgresqlExtDatabase),
    ('postgresext+pool', PooledPostgresqlExtDatabase),
    ('postgresqlext+pool', PooledPostgresqlExtDatabase),
    ('psycopg3', Psycopg3Database),
    ('cockroachdb', CockroachDatabase),
    ('crdb', CockroachDatabase),
    ('cockroachdb+pool', PooledCockroachDatabase),
    ('crdb+pool', PooledCockroachDatabase),
])
def test_server_schemes(scheme, cls):
    db = connect('%s://bob:pw@h:7000/app?sslmode=require' % scheme)
    assert type(db) is cls
    assert db.database == 'app'
    assert db.connect_params == {'user': 'bob', 'password': 'pw', 'host': 'h',
                                 'port': 7000, 'sslmode': 'require'}
    assert db.is_closed()


def test_pool_options_from_the_url():
    db = connect('postgresql+pool://h/app?max_connections=3&stale_timeout=60&timeout=5')
    assert (db.max_connections, db.stale_timeout, db.timeout) == (3, 60, 5)
    assert 'max_connections' not in db.connect_params
    db = connect('crdb+pool://root@h:26257/app?max_connections=2')
    assert db.max_connections == 2 and db.connect_params['port'] == 26257


def test_keyword_arguments_override_the_url():
    db = connect('postgresql://h/app?sslmode=require', sslmode='disable', port=5433)
    assert db.connect_params == {'host': 'h', 'sslmode': 'disable', 'port': 5433}
    db = connect('postgresext://h/app?register_hstore=true&server_side_cursors=true')
    assert db.server_side_cursors and 'register_hstore' not in db.connect_params


def test_mysql_and_mariadb_urls_make_mysql_databases():
    from playhouse.mysql_ext import MySQLConnectorDatabase
    from playhouse.pool import PooledMySQLDatabase
    db = connect('mysql://u:pw@h:3307/app')
    assert type(db) is orm.MySQLDatabase and db.database == 'app'
    assert db.connect_params == {'user': 'u', 'passwd': 'pw', 'host': 'h', 'port': 3307,
                                 'charset': 'utf8mb4'}
    assert type(connect('mariadb://u@h/app')) is orm.MySQLDatabase
    pooled = connect('mysql+pool://u@h/app?max_connections=3')
    assert type(pooled) is PooledMySQLDatabase and pooled.max_connections == 3
    assert type(connect('mysqlconnector://u@h/app')) is MySQLConnectorDatabase


def test_register_database():
    class MyDatabase(SqliteDatabase):
        pass

    register_database(MyDatabase, 'mydb', 'MyDB+pool')
    try:
        assert type(connect('mydb:///:memory:')) is MyDatabase
        assert type(connect('mydb+pool:///x.db')) is MyDatabase
    finally:
        schemes.pop('mydb', None)
        schemes.pop('mydb+pool', None)
    with pytest.raises(TypeError):
        register_database('not a class', 'x')
    with pytest.raises(ValueError):
        register_database(MyDatabase)


def test_apsw_scheme():
    if importlib.util.find_spec('playhouse.apsw_ext') is None or \
            importlib.util.find_spec('apsw') is None:
        with pytest.raises(orm.ImproperlyConfigured, match='apsw'):
            connect('apsw:///:memory:')
        return
    db = connect('apsw:///:memory:')
    assert type(db).__name__ == 'APSWDatabase'
    assert db.execute_sql('SELECT 1 + 1').fetchone()[0] == 2
    db.close()


def test_sqliteext_scheme():
    if importlib.util.find_spec('playhouse.sqlite_ext') is None:
        with pytest.raises(orm.ImproperlyConfigured, match='sqlite_ext'):
            connect('sqliteext:///:memory:')
        return
    db = connect('sqliteext:///:memory:')
    assert type(db).__name__ == 'SqliteExtDatabase'
    assert db.execute_sql('SELECT 3').fetchone()[0] == 3
    db.close()


# ---------------------------------------------------------------------------------------
# connect: real engines
# ---------------------------------------------------------------------------------------

def test_sqlite_file_url_reaches_the_file(tmp_path):
    path = tmp_path / 'from_url.db'
    db = connect('sqlite:///%s?timeout=7' % path)     # absolute path: four slashes
    assert type(db) is SqliteDatabase and db.database == str(path)
    assert db.timeout == 7
    db.execute_sql('CREATE TABLE t (x INTEGER)')
    db.execute_sql('INSERT INTO t VALUES (42)')
    db.close()
    again = connect('sqlite:///' + str(path))
    assert again.execute_sql('SELECT x FROM t').fetchall() == [(42,)]
    again.close()


def test_sqlite_memory_and_pool_urls(tmp_path):
    db = connect('sqlite:///:memory:')
    assert db.execute_sql('SELECT 5').fetchone() == (5,)
    db.close()
    pooled = connect('sqlite+pool:///%s?max_connections=2' % (tmp_path / 'p.db'))
    assert type(pooled) is PooledSqliteDatabase and pooled.max_connections == 2
    with pooled.connection_context():
        assert pooled.execute_sql('SELECT 6').fetchone() == (6,)
    assert pooled.pool_stats()['idle'] == 1
    pooled.close_all()


@pytest.mark.parametrize('scheme', ['postgresql', 'postgres+pool', 'postgresext',
                                    'postgresqlext+pool'])
def test_postgres_urls_connect(pg_db, scheme):
    psycopg3 = engine_driver(pg_db) == 'psycopg3'
    db = connect(pg_url(scheme, '?application_name=orm_db_url&prefer_psycopg3=%s'
                        % str(psycopg3).lower()))
    try:
        assert type(db.connection()).__module__.split('.')[0] == (
            'psycopg' if psycopg3 else 'psycopg2')
        assert db.execute_sql('SELECT current_database(), current_setting(%s)',
                              ('application_name',)).fetchone() == (
            pg_connect_kwargs()['database'], 'orm_db_url')
    finally:
        db.close()
        if hasattr(db, 'close_all'):
            db.close_all()


@pytest.mark.parametrize('scheme, query', [
    ('psycopg3', ''), ('psycopg3+pool', '?max_connections=2'),
    ('postgresext', '?prefer_psycopg3=true'), ('postgresql', '?prefer_psycopg3=true')])
@pytest.mark.engines('psycopg3')    # URLs that choose psycopg 3 (pg_db: the test database)
def test_psycopg3_urls_connect(pg_db, scheme, query):
    db = connect(pg_url(scheme, query))
    try:
        assert db.execute_sql('SELECT current_database()').fetchone() == (
            pg_connect_kwargs()['database'],)
        assert type(db.connection()).__module__.split('.')[0] == 'psycopg'
    finally:
        db.close()
        if hasattr(db, 'close_all'):
            db.close_all()


def test_cockroachdb_url_against_postgres(pg_db):
    # CockroachDatabase accepts a PostgreSQL server too (server_flavor 'postgres')
    psycopg3 = engine_driver(pg_db) == 'psycopg3'
    db = connect(pg_url('cockroachdb', '?prefer_psycopg3=%s' % str(psycopg3).lower()))
    try:
        assert engine_driver(db) == engine_driver(pg_db)
        assert db.execute_sql('SELECT 1').fetchone() == (1,)
        assert db.server_flavor == 'postgres'
    finally:
        db.close()


def test_optional_driver_schemes_load_their_module_when_used(tmp_path):
    pytest.importorskip('cysqlite')
    from playhouse.cysqlite_ext import CySqliteDatabase, PooledCySqliteDatabase
    db = connect('cysqlite:///%s' % (tmp_path / 'c.db'))
    assert type(db) is CySqliteDatabase
    db.execute_sql('CREATE TABLE t (x)')
    db.execute_sql('INSERT INTO t VALUES (5)')
    assert db.execute_sql('SELECT x FROM t').fetchone() == (5,)
    db.close()
    pooled = connect('cysqlite+pool:///%s?max_connections=2' % (tmp_path / 'c.db'))
    assert type(pooled) is PooledCySqliteDatabase
    assert pooled.execute_sql('SELECT x FROM t').fetchone() == (5,)
    pooled.close_all()


def test_sqlcipher_url_opens_an_encrypted_file(tmp_path):
    pytest.importorskip('sqlcipher3')
    path = tmp_path / 'secret.db'
    db = connect('sqlcipher:///%s?passphrase=correct-horse' % path)
    db.execute_sql('CREATE TABLE t (x)')
    db.execute_sql("INSERT INTO t VALUES ('hidden')")
    db.close()
    assert b'hidden' not in path.read_bytes()
    again = connect('sqlcipher:///%s?passphrase=correct-horse' % path)
    assert again.execute_sql('SELECT x FROM t').fetchone() == ('hidden',)
    again.close()
