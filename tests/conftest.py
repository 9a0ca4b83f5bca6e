"""Shared fixtures: every test that takes ``db`` runs on each real engine.

Engines (fixture ids):

* ``sqlite-memory`` -- ``SqliteDatabase(':memory:')``
* ``sqlite-file``   -- ``SqliteDatabase(<tmp_path>/test.db)``
* ``apsw``          -- ``playhouse.apsw_ext.APSWDatabase(<tmp_path>/test-apsw.db)``
  (skipped when the ``apsw`` package is not installed)
* ``postgres``      -- ``PostgresqlDatabase`` on ``$ORM_PG_DSN`` through psycopg2
  (default: a database ``orm_test_<pid>``, or ``$ORM_TEST_DB``, on ``host=127.0.0.1
  user=postgres``, created for the session and dropped at its end); the database is
  created when missing and its ``public`` schema is emptied before each test.
* ``postgres-psycopg3`` -- the same database through psycopg 3
  (``PostgresqlDatabase(..., prefer_psycopg3=True)``; skipped when ``psycopg`` is not
  installed).

When PostgreSQL is unreachable its tests are skipped, except under ``CI=true``
where they fail with instructions to start the server.

To add an engine (e.g. ``apsw``): write a factory ``_make_<name>(tmp_path)``
returning an unconnected database object, register it in ``ENGINE_FACTORIES``
and add its id to ``ENGINES`` (and to ``ENGINE_KINDS`` for ``engine_name``).

Restrict a test to some engines with ``@pytest.mark.engines(...)``.  Its arguments
may be engine kinds (``sqlite``, ``postgres``), drivers (``sqlite3``, ``apsw``,
``psycopg2``, ``psycopg3``) or engine ids (``sqlite-file`` ...): the test runs on an
engine that matches any of them.  APSW *is* SQLite, so its kind is ``sqlite`` and
``engines('sqlite')`` tests run on it too; a test about the ``sqlite3`` module itself
says ``engines('sqlite3')``.  Likewise both PostgreSQL engines are of kind
``postgres``; a test about one driver says ``engines('psycopg2')`` (with a reason).

The ``pg_db`` fixture is a connected PostgreSQL database on each driver (it honours
the ``engines`` marker too).

* ``mysql`` -- ``MySQLDatabase`` (pymysql) on the MariaDB/MySQL server at
  ``127.0.0.1:3306`` (``$ORM_MYSQL_HOST`` / ``$ORM_MYSQL_PORT`` / ``$ORM_MYSQL_USER`` /
  ``$ORM_MYSQL_PASSWORD``), in a database ``orm_test_<pid>`` (or ``$ORM_TEST_DB``) created
  for the session and dropped at its end; its tables are dropped before each test.  As
  for PostgreSQL, an unreachable server skips these tests, and fails them under
  ``CI=true``.  Every ``db`` test runs on it; a test that cannot apply to MySQL says so
  with ``engines(...)`` leaving ``mysql`` out, and a comment naming what MySQL lacks.
  The ``mysql_db`` fixture is a connected MySQL database for MySQL-only tests.
"""
from __future__ import annotations

import os
import uuid
from typing import Any, Callable, Optional

import pytest

from orm import (Database, DatabaseError, MySQLDatabase, OperationalError,
                 PostgresqlDatabase, Psycopg2Adapter, Psycopg3Adapter, SqliteDatabase)

#: Without ORM_PG_DSN each pytest process gets a database of its own (dropped when the
#: session ends), so concurrent runs on one server never empty each other's tables. It is
#: named orm_test_<pid>, or ORM_TEST_DB when set (.ci/run gives a name never used before).
_PRIVATE_PG_DB = 'ORM_PG_DSN' not in os.environ
PG_DSN = os.environ.get('ORM_PG_DSN') or (
    'dbname=%s host=127.0.0.1 user=postgres'
    % (os.environ.get('ORM_TEST_DB') or 'orm_test_%d' % os.getpid()))
IN_CI = os.environ.get('CI', '').lower() == 'true'
PG_START_HINT = ('start it with:  pg_ctlcluster --skip-systemctl-redirect '
                 '$(ls /etc/postgresql) main start')

#: Engine ids the ``db`` fixture is parametrized with, in order.
ENGINES = ['sqlite-memory', 'sqlite-file', 'apsw', 'postgres', 'postgres-psycopg3', 'mysql']
#: The PostgreSQL engine ids (``pg_db`` is parametrized with them).
PG_ENGINES = ['postgres', 'postgres-psycopg3']
#: Engine id -> engine kind (what ``engine_name(db)`` returns for it).
ENGINE_KINDS = {'sqlite-memory': 'sqlite', 'sqlite-file': 'sqlite', 'apsw': 'sqlite',
                'cysqlite': 'sqlite',
                'postgres': 'postgres', 'postgres-psycopg3': 'postgres', 'mysql': 'mysql'}
#: Engine id -> driver (``engine_driver(db)``; also accepted by ``engines(...)``).
#: ``psycopg3`` is the ``psycopg`` (version 3) module.
ENGINE_DRIVERS = {'sqlite-memory': 'sqlite3', 'sqlite-file': 'sqlite3', 'apsw': 'apsw',
                  'cysqlite': 'cysqlite',
                  'postgres': 'psycopg2', 'postgres-psycopg3': 'psycopg3', 'mysql': 'pymysql'}


# ---------------------------------------------------------------------------------------
# PostgreSQL availability
# ---------------------------------------------------------------------------------------

def pg_connect_kwargs(dsn: str = PG_DSN) -> dict:
    """``PG_DSN`` parsed into keyword arguments for ``PostgresqlDatabase``."""
    try:
        from psycopg2.extensions import parse_dsn
    except ImportError:
        from psycopg.conninfo import conninfo_to_dict as parse_dsn
    params = dict(parse_dsn(dsn))
    params['database'] = params.pop('dbname', None) or 'orm_test'
    return params


_pg_status: dict = {}


def _admin_execute(params: dict, *statements: str) -> None:
    """Run ``statements`` on their own connection (whichever driver is installed)."""
    params = dict(params)
    admin = PostgresqlDatabase(params.pop('database'), **params)
    try:
        for sql in statements:
            admin.execute_sql(sql)
    finally:
        admin.close()


def _check_postgres() -> Optional[str]:
    """``None`` when the test database is reachable (created if missing), else why not."""
    if 'error' in _pg_status:
        return _pg_status['error']
    error: Optional[str] = None
    if not (Psycopg2Adapter.available() or Psycopg3Adapter.available()):
        error = ('no PostgreSQL driver is installed (pip install psycopg2-binary '
                 '"psycopg[binary]")')
    else:
        params = pg_connect_kwargs()
        try:
            _admin_execute(params, 'SELECT 1')
        except OperationalError as exc:
            if 'does not exist' in str(exc):
                error = _create_database(params)
            else:
                error = 'PostgreSQL unreachable at %r: %s' % (PG_DSN, str(exc).strip())
    _pg_status['error'] = error
    return error


def _quoted_name(params: dict) -> str:
    return '"%s"' % params['database'].replace('"', '""')


def _create_database(params: dict) -> Optional[str]:
    try:
        _admin_execute(dict(params, database='postgres'),
                       'CREATE DATABASE %s' % _quoted_name(params))
        _admin_execute(params, 'SELECT 1')
    except DatabaseError as exc:
        return 'could not create test database %r: %s' % (params['database'], exc)
    return None


def _drop_database(params: dict) -> None:
    try:
        _admin_execute(dict(params, database='postgres'),
                       'DROP DATABASE IF EXISTS %s WITH (FORCE)' % _quoted_name(params))
    except DatabaseError:
        pass   # leaving a test database behind is harmless


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """Drop the per-process test databases created for this session."""
    if _mysql_status.get('error', 'unchecked') is None:
        _drop_mysql_database()
    if not _PRIVATE_PG_DB or _pg_status.get('error', 'unchecked') is not None:
        return
    _drop_database(pg_connect_kwargs())


def require_postgres() -> None:
    """Skip (or under ``CI=true`` fail) the current test when PostgreSQL is unreachable."""
    error = _check_postgres()
    if error is None:
        return
    if IN_CI:
        pytest.fail('%s -- PostgreSQL is required in CI; %s' % (error, PG_START_HINT),
                    pytrace=False)
    pytest.skip('%s (%s)' % (error, PG_START_HINT))


# ---------------------------------------------------------------------------------------
# MySQL / MariaDB availability
# ---------------------------------------------------------------------------------------

MYSQL_PARAMS = {'host': os.environ.get('ORM_MYSQL_HOST', '127.0.0.1'),
                'port': int(os.environ.get('ORM_MYSQL_PORT', '3306')),
                'user': os.environ.get('ORM_MYSQL_USER', 'root'),
                'password': os.environ.get('ORM_MYSQL_PASSWORD', '')}
#: this session's MySQL database (dropped when the session ends)
MYSQL_DB = (os.environ.get('ORM_TEST_DB') or 'orm_test_%d' % os.getpid())[:60]
MYSQL_START_HINT = 'start it with:  service mariadb start  (or mysqld_safe &)'

_mysql_status: dict = {}


def _mysql_admin(*statements: str) -> None:
    admin = MySQLDatabase('mysql', **MYSQL_PARAMS)
    try:
        for sql in statements:
            admin.execute_sql(sql)
    finally:
        admin.close()


def _check_mysql() -> Optional[str]:
    """``None`` when the MySQL server answers (the test database is created), else why
    not."""
    if 'error' in _mysql_status:
        return _mysql_status['error']
    error: Optional[str] = None
    try:
        import pymysql  # noqa: F401  (the driver the engine runs on)
    except ImportError:
        error = 'pymysql is not installed (pip install pymysql)'
    else:
        try:
            _mysql_admin('DROP DATABASE IF EXISTS `%s`' % MYSQL_DB,
                         'CREATE DATABASE `%s` CHARACTER SET utf8mb4' % MYSQL_DB)
        except DatabaseError as exc:
            error = 'MySQL unreachable at %s:%s: %s' % (MYSQL_PARAMS['host'],
                                                       MYSQL_PARAMS['port'], exc)
    _mysql_status['error'] = error
    return error


def _drop_mysql_database() -> None:
    try:
        _mysql_admin('DROP DATABASE IF EXISTS `%s`' % MYSQL_DB)
    except DatabaseError:
        pass   # leaving a test database behind is harmless


def require_mysql() -> None:
    """Skip (or under ``CI=true`` fail) the current test when MySQL is unreachable."""
    error = _check_mysql()
    if error is None:
        return
    if IN_CI:
        pytest.fail('%s -- MySQL/MariaDB is required in CI; %s' % (error, MYSQL_START_HINT),
                    pytrace=False)
    pytest.skip('%s (%s)' % (error, MYSQL_START_HINT))


# ---------------------------------------------------------------------------------------
# Engine factories
# ---------------------------------------------------------------------------------------

def _make_sqlite_memory(tmp_path: Any, **kwargs: Any) -> Database:
    return SqliteDatabase(':memory:', **kwargs)


def _make_sqlite_file(tmp_path: Any, **kwargs: Any) -> Database:
    return SqliteDatabase(str(tmp_path / 'test.db'), **kwargs)


def _make_apsw(tmp_path: Any, **kwargs: Any) -> Database:
    pytest.importorskip('apsw', reason='the apsw driver is not installed (pip install apsw)')
    from playhouse.apsw_ext import APSWDatabase
    return APSWDatabase(str(tmp_path / 'test-apsw.db'), **kwargs)


def _make_cysqlite(tmp_path: Any, **kwargs: Any) -> Database:
    pytest.importorskip('cysqlite', reason='cysqlite is not installed (pip install cysqlite)')
    from playhouse.cysqlite_ext import CySqliteDatabase
    return CySqliteDatabase(str(tmp_path / 'test-cysqlite.db'), **kwargs)


def _make_postgres(tmp_path: Any, **kwargs: Any) -> Database:
    require_postgres()
    params = pg_connect_kwargs()
    params.update(kwargs)
    database = params.pop('database')
    return PostgresqlDatabase(database, **params)


def _make_postgres_psycopg3(tmp_path: Any, **kwargs: Any) -> Database:
    pytest.importorskip('psycopg', reason='psycopg 3 is not installed '
                                          '(pip install "psycopg[binary]")')
    kwargs.setdefault('prefer_psycopg3', True)
    db = _make_postgres(tmp_path, **kwargs)
    if kwargs['prefer_psycopg3']:
        assert isinstance(db.adapter, Psycopg3Adapter), db.adapter
    return db


def _make_mysql(tmp_path: Any, **kwargs: Any) -> Database:
    require_mysql()
    params = dict(MYSQL_PARAMS)
    params.update(kwargs)
    return MySQLDatabase(params.pop('database', MYSQL_DB), **params)


ENGINE_FACTORIES: dict[str, Callable[..., Database]] = {
    'mysql': _make_mysql,
    'sqlite-memory': _make_sqlite_memory,
    'sqlite-file': _make_sqlite_file,
    'apsw': _make_apsw,
    'cysqlite': _make_cysqlite,
    'postgres': _make_postgres,
    'postgres-psycopg3': _make_postgres_psycopg3,
}


def make_database(engine: str, tmp_path: Any, **kwargs: Any) -> Database:
    """A new, unconnected database object for engine id ``engine``."""
    db = ENGINE_FACTORIES[engine](tmp_path, **kwargs)
    db.test_engine_id = engine  # type: ignore[attr-defined]
    return db


def engine_name(db: Any) -> str:
    """The engine kind of ``db``: ``'sqlite'`` (also for APSW) or ``'postgres'``."""
    engine_id = getattr(db, 'test_engine_id', None)
    if engine_id in ENGINE_KINDS:
        return ENGINE_KINDS[engine_id]
    if isinstance(db, PostgresqlDatabase):
        return 'postgres'
    if isinstance(db, MySQLDatabase):
        return 'mysql'
    if isinstance(db, SqliteDatabase):
        return 'sqlite'
    return type(db).__name__


def engine_driver(db: Any) -> str:
    """The driver of ``db``: ``'sqlite3'``, ``'apsw'``, ``'psycopg2'`` or ``'psycopg3'``."""
    if isinstance(db, PostgresqlDatabase):
        return 'psycopg3' if isinstance(db.adapter, Psycopg3Adapter) else 'psycopg2'
    if isinstance(db, MySQLDatabase):
        return db.driver.__name__.lower()
    engine_id = getattr(db, 'test_engine_id', None)
    if engine_id in ENGINE_DRIVERS:
        return ENGINE_DRIVERS[engine_id]
    if type(db).__name__ == 'APSWDatabase':
        return 'apsw'
    return 'sqlite3'


def clean_database(db: Database) -> None:
    """Drop everything the tests may have created (SQLite test files start empty)."""
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql('DROP SCHEMA IF EXISTS public CASCADE')
        db.execute_sql('CREATE SCHEMA public')
    elif isinstance(db, MySQLDatabase):
        clean_mysql(db)


def clean_mysql(db: Database) -> None:
    """Drop every table and view of ``db``'s MySQL database."""
    cursor = db.execute_sql(
        'SELECT table_name, table_type FROM information_schema.tables '
        'WHERE table_schema = DATABASE()')
    found = cursor.fetchall()
    views = [db.quote_identifier(name) for name, kind in found if kind == 'VIEW']
    tables = [db.quote_identifier(name) for name, kind in found if kind != 'VIEW']
    if views:
        db.execute_sql('DROP VIEW IF EXISTS %s' % ', '.join(views))
    if tables:
        db.execute_sql('SET FOREIGN_KEY_CHECKS = 0')
        db.execute_sql('DROP TABLE IF EXISTS %s' % ', '.join(tables))
        db.execute_sql('SET FOREIGN_KEY_CHECKS = 1')


def _close_all(db: Database) -> None:
    try:
        while db.transaction_depth():
            db.pop_transaction()
        if not db.is_closed():
            db.rollback()
        db.close()
    except Exception:
        pass


# ---------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------

def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        'markers', 'engines(*names): run the test only on engines matching one of these '
                   'kinds (sqlite, postgres, mysql), drivers (sqlite3, apsw, psycopg2, '
                   'psycopg3, pymysql) or ids')


def _check_marker(request: Any, engine: str) -> None:
    marker = request.node.get_closest_marker('engines')
    tags = {engine, ENGINE_KINDS[engine], ENGINE_DRIVERS[engine]}
    if marker is not None and not tags.intersection(marker.args):
        pytest.skip('test applies to %s only' % ', '.join(marker.args))


def _open(engine: str, tmp_path: Any) -> Database:
    db = make_database(engine, tmp_path)
    db.connect()
    clean_database(db)
    return db


@pytest.fixture(params=ENGINES)
def engine(request: Any) -> str:
    """The engine id of the current ``db`` parametrization."""
    _check_marker(request, request.param)
    return request.param


@pytest.fixture
def db(engine: str, tmp_path: Any) -> Any:
    """A connected, empty database on each engine; closed afterwards."""
    database = _open(engine, tmp_path)
    yield database
    _close_all(database)


@pytest.fixture
def make_db(engine: str, tmp_path: Any) -> Any:
    """Factory for more database objects on the same target as ``db`` (for concurrency).

    ``make_db(**kwargs)`` returns an unconnected database object; extra keyword
    arguments go to the database class.  On ``sqlite-memory`` there is nothing
    to share, so tests using it are skipped.
    """
    made: list = []

    def factory(**kwargs: Any) -> Database:
        if engine == 'sqlite-memory':
            pytest.skip('an in-memory SQLite database cannot be shared between connections')
        database = make_database(engine, tmp_path, **kwargs)
        made.append(database)
        return database

    yield factory
    for database in made:
        _close_all(database)


@pytest.fixture(params=['sqlite-memory', 'sqlite-file', 'apsw', 'cysqlite'])
def sqlite_db(request: Any, tmp_path: Any) -> Any:
    """A connected SQLite database (sqlite3 memory and file, APSW and cysqlite)."""
    database = _open(request.param, tmp_path)
    yield database
    _close_all(database)


@pytest.fixture
def sqlite_file_db(tmp_path: Any) -> Any:
    """A connected SQLite database in a file."""
    database = _open('sqlite-file', tmp_path)
    yield database
    _close_all(database)


@pytest.fixture(params=PG_ENGINES)
def pg_engine(request: Any) -> str:
    """The engine id of the current ``pg_db`` parametrization (one per driver)."""
    _check_marker(request, request.param)
    return request.param


@pytest.fixture
def pg_db(pg_engine: str, tmp_path: Any) -> Any:
    """A connected, empty PostgreSQL database, on each driver (psycopg2, psycopg 3)."""
    database = _open(pg_engine, tmp_path)
    yield database
    _close_all(database)


@pytest.fixture
def mysql_db(tmp_path: Any) -> Any:
    """A connected, empty MySQL / MariaDB database (pymysql)."""
    database = _open('mysql', tmp_path)
    yield database
    _close_all(database)


@pytest.fixture(scope='session')
def docs_pg_dsn() -> Any:
    """DSN of a PostgreSQL database for the documentation's examples (and the README's).

    The pages name their database ``orm_test``; ``docs/check_examples.py`` runs their
    code on the database ``ORM_PG_DSN`` names instead.  This fixture makes that database
    for the session, ``<test database>_docs`` (``orm_test_<pid>_docs`` by default), and
    drops it when the session ends, so the suite needs no database of its own on the
    server and leaves none behind (``orm_test`` itself is never touched).
    """
    require_postgres()
    params = pg_connect_kwargs()
    params['database'] = '%s_docs' % params['database']
    created = False
    try:
        _admin_execute(params, 'SELECT 1')
    except OperationalError as exc:
        if 'does not exist' not in str(exc):
            raise
        error = _create_database(params)
        if error is not None:
            pytest.fail(error, pytrace=False)
        created = True
    dsn = ' '.join('%s=%s' % ('dbname' if key == 'database' else key, value)
                   for key, value in params.items() if value is not None)
    yield dsn
    if created:
        _drop_database(params)


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """``unique_name('t')`` -> a fresh identifier such as ``t_1a2b3c4d``."""
    return lambda prefix='t': '%s_%s' % (prefix, uuid.uuid4().hex[:8])


@pytest.fixture
def setup(db: Any) -> Any:
    """``setup(*models)``: bind the models to ``db`` and create their tables; gives ``db``."""
    def _setup(*models: Any) -> Any:
        db.bind(models)
        db.create_tables(models)
        return db
    return _setup
