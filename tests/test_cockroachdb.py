"""playhouse.cockroachdb: the CockroachDB dialect, its fields and retrying transactions.

Three groups of tests:

* SQL text of every CockroachDB-specific form (no server needed);
* ``CockroachDatabase`` pointed at the local PostgreSQL at SERIALIZABLE isolation (same
  wire protocol; PostgreSQL raises real ``40001`` conflicts), each test in a schema of its
  own; commit-time failures come from deferred constraint triggers that raise a chosen
  SQLSTATE (or drop the connection) while COMMIT runs;
* tests that need a real cluster, run when ``ORM_CRDB_URL`` is set and skipped otherwise.
"""
from __future__ import annotations

import datetime
import decimal
import os
import threading
import uuid

import pytest

import orm
from conftest import ENGINE_DRIVERS, engine_driver, pg_connect_kwargs, require_postgres
from helpers import count_queries
from orm import (CharField, IntegerField, IntegrityError, Model, NotSupportedError,
                 OperationalError, PostgresqlDatabase, SqliteDatabase, TextField, fn)
from orm.dialects import CockroachDialect, PostgresDialect
from orm.dialects.cockroach import parse_cockroach_version
from playhouse.cockroachdb import (AmbiguousCommitError, ArrayField, CockroachDatabase,
                                   ExceededMaxAttempts, JSONField, NestedTransactionError,
                                   PooledCockroachDatabase, RowIDField, UUIDKeyField,
                                   run_transaction)

CRDB_URL = os.environ.get('ORM_CRDB_URL')
needs_cluster = pytest.mark.skipif(
    not CRDB_URL, reason='needs a CockroachDB cluster: set ORM_CRDB_URL (e.g. '
                         'postgresql://root@localhost:26257/defaultdb?sslmode=disable)')


# ---------------------------------------------------------------------------------------
# Models for the SQL-text tests (bound to an unconnected CockroachDatabase)
# ---------------------------------------------------------------------------------------

sql_db = CockroachDatabase(None)
Base = sql_db.Model           # the database's own base class: models bound to sql_db


class KV(Base):
    key = CharField(unique=True)
    value = IntegerField()
    tags = ArrayField(CharField, field_kwargs={'max_length': 20}, null=True)
    nums = ArrayField(IntegerField, null=True)
    data = JSONField(null=True)


class Doc(Base):
    id = UUIDKeyField()
    title = TextField()


class Event(Base):
    id = RowIDField()
    kind = TextField()


class Other(Base):
    name = TextField()


def sql(query):
    return query.sql()


def ddl(model, db=None):
    db = db or model._meta.database
    with model.bind_ctx(db) if db is not model._meta.database else _nullctx():
        return db.dialect.compile(model._schema._create_table())[0]


class _nullctx:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def pg_flavored() -> CockroachDialect:
    dialect = CockroachDialect()
    dialect.server_flavor = 'postgres'
    dialect.server_version = (15, 4)
    return dialect


# ---------------------------------------------------------------------------------------
# SQL text: UPSERT / ON CONFLICT
# ---------------------------------------------------------------------------------------

def test_on_conflict_replace_is_upsert():
    # (a model's INSERT shows the RETURNING of its key that it runs with)
    assert sql(KV.insert(key='k', value=1).on_conflict_replace()) == (
        'UPSERT INTO "kv" ("key", "value") VALUES (%s, %s) RETURNING "kv"."id"', ['k', 1])
    assert sql(KV.replace(key='k', value=1))[0].startswith('UPSERT INTO "kv"')
    assert sql(KV.insert(key='k', value=1).on_conflict('replace'))[0].startswith(
        'UPSERT INTO "kv" ("key", "value") VALUES')
    assert sql(KV.insert(key='k', value=1).on_conflict('ignore'))[0].endswith(
        'ON CONFLICT DO NOTHING RETURNING "kv"."id"')
    query = KV.replace_many([{'key': 'a', 'value': 1}, {'key': 'b', 'value': 2}])
    assert sql(query)[0].startswith('UPSERT INTO "kv" ("key", "value") VALUES (%s, %s), '
                                    '(%s, %s)')


def test_on_conflict_ignore_needs_no_target():
    assert sql(KV.insert(key='k', value=1).on_conflict_ignore()) == (
        'INSERT INTO "kv" ("key", "value") VALUES (%s, %s) ON CONFLICT DO NOTHING '
        'RETURNING "kv"."id"', ['k', 1])
    query = KV.insert(key='k', value=1).on_conflict(action='IGNORE', conflict_target=[KV.key])
    assert 'ON CONFLICT ("key") DO NOTHING' in sql(query)[0]


def test_on_conflict_update_with_target():
    query = KV.insert(key='k', value=1).on_conflict(
        conflict_target=[KV.key], preserve=[KV.value],
        update={KV.tags: ['x']}, where=(KV.value < 10))
    text, params = sql(query)
    assert text == ('INSERT INTO "kv" ("key", "value") VALUES (%s, %s) ON CONFLICT ("key") '
                    'DO UPDATE SET "value" = EXCLUDED."value", "tags" = CAST(%s AS '
                    'VARCHAR(20)[]) WHERE ("kv"."value" < %s) RETURNING "kv"."id"')
    assert params == ['k', 1, ['x'], 10]


def test_on_conflict_update_without_target_is_refused():
    with pytest.raises(ValueError, match='conflict_target'):
        sql(KV.insert(key='k', value=1).on_conflict(preserve=[KV.value]))


def test_on_conflict_on_constraint_needs_22_1():
    query = KV.insert(key='k', value=1).on_conflict(conflict_constraint='kv_key',
                                                    preserve=[KV.value])
    assert 'ON CONFLICT ON CONSTRAINT "kv_key" DO UPDATE SET' in sql(query)[0]
    old = CockroachDialect(server_version=(21, 2, 3))
    old.server_flavor = 'cockroach'
    with pytest.raises(NotSupportedError, match='22.1'):
        old.compile(query)


def test_on_conflict_expression_target_is_refused():
    query = KV.insert(key='k', value=1).on_conflict(conflict_target=[fn.lower(KV.key)],
                                                    preserve=[KV.value])
    with pytest.raises(NotSupportedError, match='expression'):
        sql(query)


def test_upsert_refused_on_a_postgresql_server():
    with pytest.raises(NotSupportedError, match='UPSERT'):
        pg_flavored().compile(KV.insert(key='k', value=1).on_conflict_replace())


# ---------------------------------------------------------------------------------------
# SQL text: AS OF SYSTEM TIME
# ---------------------------------------------------------------------------------------

def test_select_as_of_system_time_forms():
    base = KV.select(KV.key).where(KV.value > 1).order_by(KV.key)
    assert sql(base.as_of_system_time('-10s')) == (
        'SELECT "t1"."key" FROM "kv" AS "t1" AS OF SYSTEM TIME %s WHERE ("t1"."value" > %s) '
        'ORDER BY "t1"."key"', ['-10s', 1])
    assert sql(base.as_of_system_time(datetime.timedelta(seconds=5, milliseconds=250)))[1] \
        == ['-5.250000s', 1]
    assert sql(base.as_of_system_time(datetime.timedelta(seconds=-3)))[1][0] == '-3.000000s'
    moment = datetime.datetime(2024, 5, 1, 12, 0, 0, 123456)
    assert sql(base.as_of_system_time(moment))[1][0] == '2024-05-01 12:00:00.123456'
    aware = datetime.datetime(2024, 5, 1, 14, 0, tzinfo=datetime.timezone(
        datetime.timedelta(hours=2)))
    assert sql(base.as_of_system_time(aware))[1][0] == '2024-05-01 12:00:00'
    nanos = decimal.Decimal('1714564800000000000.0000000000')
    assert sql(base.as_of_system_time(nanos))[1][0] == nanos
    assert 'AS OF SYSTEM TIME follower_read_timestamp() WHERE' in \
        sql(base.as_of_system_time(fn.follower_read_timestamp()))[0]
    # cleared again, and the original query is untouched (queries are immutable)
    assert 'AS OF' not in sql(base.as_of_system_time('-1s').as_of_system_time(None))[0]
    assert 'AS OF' not in sql(base)[0]


def test_as_of_system_time_after_joins():
    query = (KV.select(KV.key, Other.name).join(Other, on=(Other.name == KV.key))
             .as_of_system_time('-1m'))
    assert sql(query)[0] == (
        'SELECT "t1"."key", "t2"."name" FROM "kv" AS "t1" INNER JOIN "other" AS "t2" '
        'ON ("t2"."name" = "t1"."key") AS OF SYSTEM TIME %s')


@pytest.mark.parametrize('value, error', [
    (datetime.timedelta(0), ValueError), ('  ', ValueError), (1.5, TypeError),
    (True, TypeError), (object(), TypeError)])
def test_as_of_system_time_rejects_bad_values(value, error):
    with pytest.raises(error):
        sql(KV.select().as_of_system_time(value))


def test_as_of_system_time_needs_cockroachdb():
    query = KV.select().as_of_system_time('-1s')
    with pytest.raises(NotSupportedError, match='AS OF SYSTEM TIME'):
        PostgresDialect().compile(query)
    with pytest.raises(NotSupportedError, match='needs CockroachDB'):
        pg_flavored().compile(query)


# ---------------------------------------------------------------------------------------
# SQL text: BEGIN with priority / system time
# ---------------------------------------------------------------------------------------

def test_begin_statements():
    dialect = CockroachDialect()
    assert dialect.begin_statement() == ('BEGIN', [])
    assert dialect.begin_statement(priority='high') == ('BEGIN PRIORITY HIGH', [])
    assert dialect.begin_statement(priority='Low') == ('BEGIN PRIORITY LOW', [])
    assert dialect.begin_statement('SERIALIZABLE', 'normal', '-5s') == (
        'BEGIN ISOLATION LEVEL SERIALIZABLE, PRIORITY NORMAL, AS OF SYSTEM TIME %s', ['-5s'])
    assert dialect.begin_statement(system_time=datetime.timedelta(minutes=1)) == (
        'BEGIN AS OF SYSTEM TIME %s', ['-60.000000s'])
    assert dialect.begin_statement(system_time=fn.follower_read_timestamp()) == (
        'BEGIN AS OF SYSTEM TIME follower_read_timestamp()', [])
    with pytest.raises(ValueError, match='low, normal, high'):
        dialect.begin_statement(priority='urgent')


def test_begin_statements_on_a_postgresql_server():
    dialect = pg_flavored()
    # PostgreSQL has no priorities: the hint is left out rather than failing
    assert dialect.begin_statement('SERIALIZABLE', 'high') == (
        'BEGIN ISOLATION LEVEL SERIALIZABLE', [])
    with pytest.raises(ValueError):
        dialect.begin_statement(priority='urgent')
    with pytest.raises(NotSupportedError, match='AS OF SYSTEM TIME'):
        dialect.begin_statement(system_time='-1s')


# ---------------------------------------------------------------------------------------
# SQL text: DDL and field types
# ---------------------------------------------------------------------------------------

def test_key_fields_ddl():
    assert ddl(Doc) == ('CREATE TABLE IF NOT EXISTS "doc" ("id" UUID NOT NULL PRIMARY KEY '
                        'DEFAULT gen_random_uuid(), "title" TEXT NOT NULL)')
    assert ddl(Event) == ('CREATE TABLE IF NOT EXISTS "event" ("id" BIGINT NOT NULL PRIMARY '
                          'KEY DEFAULT unique_rowid(), "kind" TEXT NOT NULL)')
    # server-generated keys are left out of INSERTs (and read back with RETURNING)
    assert sql(Doc.insert(title='t')) == (
        'INSERT INTO "doc" ("title") VALUES (%s) RETURNING "doc"."id"', ['t'])
    assert sql(Event.insert(kind='k'))[0] == \
        'INSERT INTO "event" ("kind") VALUES (%s) RETURNING "event"."id"'
    assert Doc._meta.auto_increment and Event._meta.auto_increment


def test_array_and_json_ddl():
    assert ddl(KV) == ('CREATE TABLE IF NOT EXISTS "kv" ("id" SERIAL NOT NULL PRIMARY KEY, '
                       '"key" VARCHAR(255) NOT NULL, "value" INTEGER NOT NULL, '
                       '"tags" VARCHAR(20)[], "nums" INTEGER[], "data" JSONB)')

    class Plain(Base):
        data = orm.JSONField()          # the core JSONField is JSONB on CockroachDB

    assert '"data" JSONB NOT NULL' in ddl(Plain)


def test_key_fields_check_the_engine():
    sqlite = SqliteDatabase(':memory:')
    with pytest.raises(NotSupportedError, match='gen_random_uuid'):
        ddl(Doc, sqlite)
    pg_db = CockroachDatabase(None)
    pg_db.dialect = pg_flavored()
    assert 'DEFAULT gen_random_uuid()' in ddl(Doc, pg_db)       # PostgreSQL 13+ has it
    with pytest.raises(NotSupportedError, match='unique_rowid.*AutoField'):
        ddl(Event, pg_db)


def test_key_fields_refuse_client_defaults():
    with pytest.raises(ValueError, match='generated by the server'):
        UUIDKeyField(default=uuid.uuid4)
    with pytest.raises(ValueError, match='always a primary key'):
        RowIDField(primary_key=False)


def test_arrays_are_one_dimensional():
    # CockroachDB has no nested arrays (peewee: "does not support multi-dimensional")
    with pytest.raises(ValueError, match='nested arrays'):
        ArrayField(IntegerField, dimensions=2)
    with pytest.raises(ValueError):
        ArrayField(IntegerField, dimensions=0)      # postgres_ext's own check
    field = ArrayField(CharField, {'max_length': 5})
    assert field.dimensions == 1 and not field.index


def test_postgres_ext_nested_arrays_are_refused_by_the_cockroach_dialect():
    # the same refusal for postgres_ext's ArrayField on a CockroachDB database, when its
    # table is defined (the field itself cannot know its engine earlier)
    from playhouse.postgres_ext import ArrayField as PgArrayField
    from playhouse.postgres_ext import PostgresqlExtDatabase

    class Grid(Model):
        cells = PgArrayField(IntegerField, dimensions=2)

        class Meta:
            database = CockroachDatabase('unused')

    with pytest.raises(ValueError, match='CockroachDB has no nested arrays.*Grid.cells'):
        Grid._schema._create_table().sql()
    with Grid.bind_ctx(PostgresqlExtDatabase('unused')):
        assert 'INTEGER[][]' in Grid._schema._create_table().sql()[0]


def test_inverted_indexes_use_gin():
    class Tagged(Base):
        tags = ArrayField(TextField, index=True)
        data = JSONField(index=True)
        plain = TextField(index=True)

    from orm.schema import fields_to_index
    statements = [sql_db.dialect.compile(index.safe(True))[0]
                  for index in fields_to_index(Tagged._meta)]
    assert statements == [
        'CREATE INDEX IF NOT EXISTS "tagged_tags" ON "tagged" USING GIN ("tags")',
        'CREATE INDEX IF NOT EXISTS "tagged_data" ON "tagged" USING GIN ("data")',
        'CREATE INDEX IF NOT EXISTS "tagged_plain" ON "tagged" ("plain")']
    assert sql_db.dialect.compile(Tagged.index(Tagged.data, using='GIN'))[0] == (
        'CREATE INDEX IF NOT EXISTS "tagged_data" ON "tagged" USING GIN ("data")')


def test_returning_sql():
    assert sql(Doc.insert(title='t').returning(Doc.id)) == (
        'INSERT INTO "doc" ("title") VALUES (%s) RETURNING "doc"."id"', ['t'])
    assert sql(Event.update(kind='k').where(Event.id == 5).returning(Event.id, Event.kind)) \
        == ('UPDATE "event" SET "kind" = %s WHERE ("event"."id" = %s) '
            'RETURNING "event"."id", "event"."kind"', ['k', 5])
    assert sql(Event.delete().where(Event.kind == 'k').returning(Event.id)) == (
        'DELETE FROM "event" WHERE ("event"."kind" = %s) RETURNING "event"."id"', ['k'])
    assert sql(KV.replace(key='k', value=1).returning(KV.id)) == (
        'UPSERT INTO "kv" ("key", "value") VALUES (%s, %s) RETURNING "kv"."id"', ['k', 1])
    query = KV.insert(key='k', value=1).on_conflict(
        conflict_target=[KV.key], update={KV.value: KV.value + 1}).returning(KV.value)
    assert sql(query) == (
        'INSERT INTO "kv" ("key", "value") VALUES (%s, %s) ON CONFLICT ("key") DO UPDATE '
        'SET "value" = ("kv"."value" + %s) RETURNING "kv"."value"', ['k', 1, 1])


@pytest.mark.parametrize('reported, standard', [
    # CockroachDB's own names (SHOW COLUMNS, crdb_sql_type, old information_schema)
    ('INT8', 'bigint'), ('INT', 'bigint'), ('INT4', 'integer'), ('INT2', 'smallint'),
    ('STRING', 'text'), ('STRING(20)', 'character varying'),
    ('VARCHAR(20)', 'character varying'), ('CHAR(3)', 'character'), ('BYTES', 'bytea'),
    ('BOOL', 'boolean'), ('FLOAT8', 'double precision'), ('FLOAT4', 'real'),
    ('DECIMAL(10,2)', 'numeric'), ('TIMESTAMP', 'timestamp without time zone'),
    ('TIMESTAMPTZ', 'timestamp with time zone'), ('JSONB', 'jsonb'), ('UUID', 'uuid'),
    ('INT8[]', 'ARRAY'), ('STRING ARRAY', 'ARRAY'), ('GEOGRAPHY', 'geography'),
    # PostgreSQL's information_schema names (what CockroachDB reports there today)
    ('bigint', 'bigint'), ('character varying', 'character varying'), ('ARRAY', 'ARRAY'),
    ('USER-DEFINED', 'USER-DEFINED'), (None, None),
])
def test_introspected_type_names(reported, standard):
    assert CockroachDialect.standard_type_name(reported) == standard


def test_unique_rowid_default_in_ddl():
    class Plain(Base):
        id = RowIDField()
        ref = orm.BigIntegerField(constraints=[orm.SQL('DEFAULT unique_rowid()')])

    assert ddl(Plain) == (
        'CREATE TABLE IF NOT EXISTS "plain" ("id" BIGINT NOT NULL PRIMARY KEY DEFAULT '
        'unique_rowid(), "ref" BIGINT NOT NULL DEFAULT unique_rowid())')


def test_set_transaction_priority_sql():
    assert CockroachDialect().set_transaction_statement('high') == \
        'SET TRANSACTION PRIORITY HIGH'
    assert CockroachDialect().set_transaction_statement(' low ') == \
        'SET TRANSACTION PRIORITY LOW'
    assert pg_flavored().set_transaction_statement('normal') is None
    with pytest.raises(ValueError, match='priority'):
        CockroachDialect().set_transaction_statement('max')


def test_db_url_schemes():
    from playhouse.db_url import connect
    db = connect('cockroachdb://h/app?sslmode=require')
    assert type(db) is CockroachDatabase and db.database == 'app'
    assert db.connect_params == {'host': 'h', 'port': 26257, 'user': 'root',
                                 'sslmode': 'require'}
    db = connect('crdb+pool://bob:pw@h:26000/app?max_connections=5')
    assert type(db) is PooledCockroachDatabase and db.max_connections == 5
    assert db.connect_params == {'host': 'h', 'port': 26000, 'user': 'bob',
                                 'password': 'pw'}


def test_array_operators_sql():
    assert sql(KV.select(KV.key).where(KV.tags.contains('a', 'b'))) == (
        'SELECT "t1"."key" FROM "kv" AS "t1" WHERE ("t1"."tags" @> CAST(%s AS '
        'VARCHAR(20)[]))', [['a', 'b']])
    assert '("t1"."tags" && CAST(%s AS VARCHAR(20)[]))' in \
        sql(KV.select().where(KV.tags.contains_any(['x', 'y'])))[0]
    assert '("t1"."tags" <@ CAST(%s AS VARCHAR(20)[]))' in \
        sql(KV.select().where(KV.tags.contained_by('x')))[0]
    assert sql(KV.select(KV.tags[0], KV.tags[1:3], KV.tags[:2], KV.nums[0]))[0] == (
        'SELECT "t1"."tags"[1], "t1"."tags"[2:3], "t1"."tags"[:2], "t1"."nums"[1] '
        'FROM "kv" AS "t1"')
    assert sql(KV.select().where(KV.tags == ['q']))[1] == [['q']]
    with pytest.raises(ValueError):
        KV.tags[::2]


def test_json_operators_sql():
    query = KV.select(KV.data['a']['b'], KV.data.path('a', 0).as_json()).where(
        KV.data.contains({'x': 1}) & KV.data.has_key('k') & KV.data.contains('j'))
    text, params = sql(query)
    assert text == (
        'SELECT ("t1"."data" -> %s ->> %s), ("t1"."data" -> %s -> %s) FROM "kv" AS "t1" '
        'WHERE ((("t1"."data" @> CAST(%s AS JSONB)) AND ("t1"."data" ? CAST(%s AS TEXT))) '
        'AND ("t1"."data" @> CAST(%s AS JSONB)))')
    assert params == ['a', 'b', 'a', 0, '{"x": 1}', 'k', '"j"']
    assert '("t1"."data" ?| CAST(%s AS TEXT[]))' in \
        sql(KV.select().where(KV.data.has_any_keys('a', 'b')))[0]
    assert '("t1"."data" ?& CAST(%s AS TEXT[]))' in \
        sql(KV.select().where(KV.data.has_all_keys('a', 'b')))[0]
    assert sql(KV.update(data=KV.data.concat({'z': 1})))[0] == \
        'UPDATE "kv" SET "data" = ("kv"."data" || CAST(%s AS JSONB))'
    assert sql(KV.update(data=KV.data.remove('a', 'b')))[0] == (
        'UPDATE "kv" SET "data" = (("kv"."data" - CAST(%s AS TEXT)) - CAST(%s AS TEXT))')


# ---------------------------------------------------------------------------------------
# Versions, configuration, pooling
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('text, expected', [
    ('CockroachDB CCL v23.1.11 (x86_64-pc-linux-gnu, built 2023/09/27 01:53:43, go1.19.10)',
     (23, 1, 11)),
    ('CockroachDB OSS v2.1.0 (x86_64-unknown-linux-gnu, built 2018/10/30)', (2, 1, 0)),
    ('CockroachDB v24.2.0-beta.1 (aarch64-apple-darwin21.2)', (24, 2, 0)),
    ('PostgreSQL 15.4 (Debian 15.4-1) on x86_64-pc-linux-gnu', None),
    ('', None),
])
def test_parse_cockroach_version(text, expected):
    assert parse_cockroach_version(text) == expected


def test_connection_defaults():
    assert CockroachDatabase('app').connect_params == {'port': 26257, 'user': 'root'}
    db = CockroachDatabase('app', host='h', port=5432, user='me', sslmode='require')
    assert db.connect_params == {'host': 'h', 'port': 5432, 'user': 'me',
                                 'sslmode': 'require'}
    # a URI or DSN carries its own port and user: nothing is added that would override them
    assert CockroachDatabase('postgresql://bob@h:26000/app').connect_params == {}
    assert CockroachDatabase('host=h dbname=app').connect_params == {}
    deferred = CockroachDatabase(None)
    assert deferred.deferred and deferred.connect_params == {}
    deferred.init('app', host='h')
    assert deferred.connect_params == {'host': 'h', 'port': 26257, 'user': 'root'}
    deferred.init('postgresql://h/app')
    assert deferred.connect_params == {'host': 'h'}


def test_retry_settings():
    db = CockroachDatabase('app', max_attempts=3, retry_base_delay=0.5, retry_max_delay=4)
    assert (db.max_attempts, db.retry_base_delay, db.retry_max_delay) == (3, 0.5, 4.0)
    assert 'max_attempts' not in db.connect_params
    assert CockroachDatabase('app').max_attempts == 10
    for bad in (0, -1, 'x', True):
        with pytest.raises(ValueError):
            CockroachDatabase('app', max_attempts=bad)


def test_pooled_cockroach_database_uses_the_pool():
    from playhouse.pool import PooledDatabase
    db = PooledCockroachDatabase('app', max_connections=3, stale_timeout=60)
    assert isinstance(db, PooledDatabase) and isinstance(db, CockroachDatabase)
    assert db.max_connections == 3 and db.stale_timeout == 60
    assert db.connect_params == {'port': 26257, 'user': 'root'}


def test_exceptions_hierarchy():
    assert issubclass(ExceededMaxAttempts, OperationalError)
    assert issubclass(AmbiguousCommitError, OperationalError)
    assert not issubclass(AmbiguousCommitError, ExceededMaxAttempts)
    assert issubclass(NestedTransactionError, orm.InterfaceError)
    # peewee documents NotImplementedError for a run_transaction() inside a transaction
    assert issubclass(NestedTransactionError, NotImplementedError)


# ---------------------------------------------------------------------------------------
# Against PostgreSQL at SERIALIZABLE isolation
# ---------------------------------------------------------------------------------------

class _Schema(str):
    """A schema name that also says which driver the test's databases use."""

    driver = 'psycopg2'


@pytest.fixture
def schema(pg_engine):
    """A schema of the test's own (other sessions may empty "public" meanwhile); the
    databases ``_make`` builds on it use each driver in turn (psycopg2, psycopg 3)."""
    require_postgres()
    if ENGINE_DRIVERS[pg_engine] == 'psycopg3':
        pytest.importorskip('psycopg', reason='psycopg 3 is not installed')
    params = pg_connect_kwargs()
    database = params.pop('database')
    name = _Schema('crdb_%s' % uuid.uuid4().hex[:10])
    name.driver = ENGINE_DRIVERS[pg_engine]
    admin = PostgresqlDatabase(database, **params)
    admin.execute_sql('CREATE SCHEMA "%s"' % name)
    try:
        yield name
    finally:
        admin.execute_sql('DROP SCHEMA "%s" CASCADE' % name)
        admin.close()


def _make(schema, cls=CockroachDatabase, **kwargs):
    params = pg_connect_kwargs()
    database = params.pop('database')
    params['options'] = '-c search_path=%s' % schema
    params.setdefault('port', 5432)      # not CockroachDB's 26257
    params['prefer_psycopg3'] = getattr(schema, 'driver', 'psycopg2') == 'psycopg3'
    params.update(kwargs)
    db = cls(database, **params)
    assert engine_driver(db) == getattr(schema, 'driver', 'psycopg2')
    return db


@pytest.fixture
def crdb(schema):
    """``CockroachDatabase`` on the local PostgreSQL, SERIALIZABLE, small backoff."""
    sleeps: list = []
    db = _make(schema, isolation_level='SERIALIZABLE', retry_base_delay=0.001,
               retry_max_delay=0.004)
    db.retry_sleep = sleeps.append          # record the backoff instead of sleeping
    db.sleeps = sleeps
    yield db
    while db.transaction_depth():
        db.pop_transaction()
    if not db.is_closed():
        db.rollback()
        db.close()


def _count(db, table='item'):
    return db.execute_sql('SELECT COUNT(*) FROM %s' % table).fetchone()[0]


def _failing_trigger(db, sqlstate='40001', times=None, at_commit=True, table='item'):
    """Make each INSERT into ``table`` fail with ``sqlstate`` -- while COMMIT runs when
    ``at_commit`` (a deferred constraint trigger), else at the INSERT itself -- the first
    ``times`` times (every time when ``None``).  The count lives in a sequence, which
    rolled-back transactions do not reset."""
    db.execute_sql('CREATE SEQUENCE %s_failures' % table)
    condition = 'TRUE' if times is None else "nextval('%s_failures') <= %d" % (table, times)
    if sqlstate == 'disconnect':
        action = 'PERFORM pg_terminate_backend(pg_backend_pid());'
    else:
        action = "RAISE EXCEPTION 'synthetic failure' USING ERRCODE = '%s';" % sqlstate
    db.execute_sql(
        'CREATE FUNCTION %s_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
        'IF %s THEN %s END IF; RETURN NEW; END $$' % (table, condition, action))
    if at_commit:
        db.execute_sql('CREATE CONSTRAINT TRIGGER %s_fail AFTER INSERT ON %s DEFERRABLE '
                       'INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION %s_fail()'
                       % (table, table, table))
    else:
        db.execute_sql('CREATE TRIGGER %s_fail BEFORE INSERT ON %s FOR EACH ROW EXECUTE '
                       'FUNCTION %s_fail()' % (table, table, table))


@pytest.fixture
def items(crdb):
    crdb.execute_sql('CREATE TABLE item (id SERIAL PRIMARY KEY, name TEXT UNIQUE)')
    return crdb


def _inserter(calls, name='x'):
    def callback(db):
        calls.append(db.last_transaction_attempts)
        db.execute_sql('INSERT INTO item (name) VALUES (%s)', (name,))
        return 'done'
    return callback


def test_server_detection_tolerates_postgresql(crdb):
    assert crdb.server_flavor is None and crdb.is_cockroach
    crdb.connect()
    raw = crdb.adapter.server_version(crdb.connection())
    assert crdb.server_flavor == 'postgres' and not crdb.is_cockroach
    assert crdb.server_version == raw
    assert crdb.server_version_info[0] == raw // 10000
    assert crdb.server_version_text.startswith('PostgreSQL')
    assert crdb.dialect.on_postgres


def test_models_on_postgresql(crdb):
    with crdb.bind_ctx([KV, Doc]):
        crdb.create_tables([KV, Doc])
        doc = Doc.create(title='hello')
        assert isinstance(doc.id, uuid.UUID)
        assert Doc.get_by_id(doc.id).title == 'hello'
        KV.create(key='a', value=1, tags=['x', 'y'], nums=[3, 4],
                  data={'a': {'b': 'c'}, 'n': [1, 2]})
        KV.create(key='b', value=2, tags=[], data={'k': True})
        keys = lambda q: sorted(kv.key for kv in q)   # noqa: E731
        assert keys(KV.select().where(KV.tags.contains('x'))) == ['a']
        assert keys(KV.select().where(KV.tags.contains_any('y', 'z'))) == ['a']
        assert keys(KV.select().where(KV.tags.contained_by('x', 'y', 'z'))) == ['a', 'b']
        assert keys(KV.select().where(KV.tags == [])) == ['b']
        assert list(KV.select(KV.tags[0], KV.tags[0:2], KV.nums[0]).where(KV.key == 'a')
                    .tuples()) == [('x', ['x', 'y'], 3)]   # as Python slices
        assert list(KV.select(KV.data['a']['b'], KV.data['n'][1], KV.data['a'].as_json())
                    .where(KV.key == 'a').tuples()) == [('c', '2', {'b': 'c'})]
        assert keys(KV.select().where(KV.data.contains({'n': [2]}))) == ['a']
        assert keys(KV.select().where(KV.data.has_key('k'))) == ['b']
        assert keys(KV.select().where(KV.data.has_any_keys('k', 'n'))) == ['a', 'b']
        KV.update(data=KV.data.concat({'z': 1})).where(KV.key == 'b').execute()
        KV.update(data=KV.data.remove('k')).where(KV.key == 'b').execute()
        assert KV.get(KV.key == 'b').data == {'z': 1}
        KV.insert(key='a', value=5).on_conflict(conflict_target=[KV.key],
                                                preserve=[KV.value]).execute()
        assert KV.get(KV.key == 'a').value == 5
        with pytest.raises(NotSupportedError, match='UPSERT'):
            KV.replace(key='a', value=6).execute()
        with pytest.raises(NotSupportedError, match='AS OF SYSTEM TIME'):
            list(KV.select().as_of_system_time('-1s'))


def test_introspection_matches_postgresql(crdb, schema):
    for statement in (
            'CREATE TABLE parent (a INT, b TEXT, note VARCHAR(20) DEFAULT \'n\', '
            'PRIMARY KEY (b, a))',
            'CREATE UNIQUE INDEX parent_note ON parent (note)',
            'CREATE INDEX parent_lower ON parent (lower(b))',
            'CREATE TABLE child (id SERIAL PRIMARY KEY, pa INT, pb TEXT, other INT, '
            'FOREIGN KEY (pb, pa) REFERENCES parent (b, a))',
            'ALTER TABLE child ADD CONSTRAINT child_self FOREIGN KEY (other) '
            'REFERENCES child (id)',
            'CREATE VIEW child_ids AS SELECT id FROM child',
            'CREATE SEQUENCE counter_seq'):
        crdb.execute_sql(statement)
    pg = _make(schema)
    pg_db = PostgresqlDatabase(pg.database, **pg.connect_params)
    try:
        assert crdb.get_tables() == pg_db.get_tables() == ['child', 'parent']
        assert crdb.get_views() == pg_db.get_views()
        assert [v.name for v in crdb.get_views()] == ['child_ids']
        for table in ('parent', 'child'):
            assert crdb.get_columns(table) == pg_db.get_columns(table)
            assert crdb.get_primary_keys(table) == pg_db.get_primary_keys(table)
            assert crdb.get_foreign_keys(table) == pg_db.get_foreign_keys(table)
            assert crdb.get_indexes(table) == pg_db.get_indexes(table)
        assert crdb.get_primary_keys('parent') == ['b', 'a']
        assert [tuple(fk[:3]) for fk in crdb.get_foreign_keys('child')] == [
            ('pb', 'parent', 'b'), ('pa', 'parent', 'a'), ('other', 'child', 'id')]
        assert crdb.get_tables(schema=schema) == ['child', 'parent']
        assert crdb.sequence_exists('counter_seq')
        assert not crdb.sequence_exists('nope_seq')
        assert crdb.table_exists('parent') and not crdb.table_exists('nope')
    finally:
        pg_db.close()
        pg.close()


def test_atomic_options_on_postgresql(crdb):
    crdb.execute_sql('CREATE TABLE item (id SERIAL PRIMARY KEY, name TEXT UNIQUE)')
    with count_queries() as counter:
        with crdb.atomic(priority='high') as txn:
            crdb.execute_sql("INSERT INTO item (name) VALUES ('a')")
            with crdb.atomic():                           # a savepoint
                crdb.execute_sql("INSERT INTO item (name) VALUES ('b')")
            with pytest.raises(ValueError, match='outermost'):
                with crdb.atomic(priority='low'):
                    pass
            with pytest.raises(ValueError, match='outermost'):
                with crdb.transaction(system_time='-1s'):
                    pass
            assert txn is crdb.top_transaction()
    statements = [q[0] for q in counter.queries]
    assert statements[0] == 'BEGIN ISOLATION LEVEL SERIALIZABLE'   # no PRIORITY on PG
    assert statements[-1] == 'COMMIT'
    assert _count(crdb) == 2
    with pytest.raises(NotSupportedError, match='AS OF SYSTEM TIME'):
        with crdb.atomic(system_time='-1s'):
            pass
    with pytest.raises(NotSupportedError, match='AS OF SYSTEM TIME'):
        with crdb.atomic('-1s'):              # peewee's order: system_time comes first
            pass
    assert not crdb.in_transaction()

    @crdb.atomic(priority='low')
    def add(name):
        crdb.execute_sql('INSERT INTO item (name) VALUES (%s)', (name,))

    add('c')
    add('d')
    assert _count(crdb) == 4


def test_run_transaction_commits_and_returns(items):
    calls: list = []
    assert items.run_transaction(_inserter(calls)) == 'done'
    assert calls == [1] and items.last_transaction_attempts == 1
    assert _count(items) == 1 and not items.in_transaction()
    assert items.sleeps == []
    # the module-level function is the same thing
    assert run_transaction(items, lambda db: _count(db)) == 1


def test_other_errors_roll_back_and_propagate_at_once(items):
    items.run_transaction(_inserter([], 'dup'))
    calls: list = []

    def callback(db):
        calls.append(1)
        db.execute_sql("INSERT INTO item (name) VALUES ('fresh')")
        db.execute_sql("INSERT INTO item (name) VALUES ('dup')")

    with pytest.raises(IntegrityError):
        items.run_transaction(callback)
    assert calls == [1] and items.last_transaction_attempts == 1
    assert _count(items) == 1                       # 'fresh' was rolled back

    with pytest.raises(KeyError):
        items.run_transaction(lambda db: {}['missing'])
    assert not items.in_transaction() and _count(items) == 1


def test_sqlstate_read_from_the_raw_driver_errors(crdb):
    """psycopg2 errors carry the SQLSTATE as ``pgcode``, psycopg 3 errors as ``sqlstate``
    (orm's wrapped errors as both): the retry logic reads either."""
    from playhouse.cockroachdb import _is_ambiguous_sqlstate, _sqlstate, is_retryable
    conn = crdb.connection()
    raw_errors = {}
    for code in ('40001', '40003', '23505'):
        cursor = conn.cursor()
        try:
            cursor.execute("DO $$ BEGIN RAISE EXCEPTION 'synthetic' USING ERRCODE = '%s'; "
                           "END $$" % code)
        except Exception as exc:           # the driver's own exception, not wrapped
            raw_errors[code] = exc
        finally:
            cursor.close()
    module = 'psycopg' if engine_driver(crdb) == 'psycopg3' else 'psycopg2'
    for code, exc in raw_errors.items():
        assert type(exc).__module__.split('.')[0] == module
        assert _sqlstate(exc) == code
    assert is_retryable(raw_errors['40001']) and not is_retryable(raw_errors['23505'])
    assert _is_ambiguous_sqlstate(raw_errors['40003'])
    assert not _is_ambiguous_sqlstate(raw_errors['40001'])
    # chained behind another exception, as when raised while handling it
    try:
        try:
            raise raw_errors['40001']
        except Exception as exc:
            raise RuntimeError('wrapper') from exc
    except RuntimeError as outer:
        assert is_retryable(outer)
    assert len(raw_errors) == 3


def test_concurrent_counter_loses_no_increment(crdb):
    """Threads read-then-write one counter; SERIALIZABLE makes PostgreSQL reject the
    lost updates with 40001, and run_transaction runs them again."""
    crdb.retry_sleep = None                      # real (tiny) sleeps between threads
    crdb.execute_sql('CREATE TABLE counter (id INT PRIMARY KEY, value INT NOT NULL)')
    crdb.execute_sql('INSERT INTO counter VALUES (1, 0)')
    threads, increments = 4, 25
    barrier = threading.Barrier(threads)
    attempts = [0] * threads
    errors: list = []

    def worker(n):
        try:
            for i in range(increments):
                def increment(db):
                    value = db.execute_sql(
                        'SELECT value FROM counter WHERE id = 1').fetchone()[0]
                    if i == 0 and db.last_transaction_attempts == 1:
                        # every thread has read the same value before anyone writes:
                        # all but one of the first transactions must conflict
                        barrier.wait(timeout=10)
                    db.execute_sql('UPDATE counter SET value = %s WHERE id = 1',
                                   (value + 1,))
                crdb.run_transaction(increment, max_attempts=200)
                attempts[n] += crdb.last_transaction_attempts
        except BaseException as exc:            # reported below
            errors.append(exc)
            barrier.abort()
        finally:
            crdb.close()

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(30)
    assert not errors, errors
    total = threads * increments
    final = crdb.execute_sql('SELECT value FROM counter WHERE id = 1').fetchone()[0]
    print('\nconcurrent counter on %s: %d increments, %d attempts (%d retries), per '
          'thread %s' % (engine_driver(crdb), total, sum(attempts), sum(attempts) - total,
                         attempts))
    assert final == total                        # nothing lost
    assert sum(attempts) >= total + threads - 1  # the barrier forced at least 3 retries


def test_conflict_at_commit_is_retried(items):
    _failing_trigger(items, '40001', times=2, at_commit=True)
    calls: list = []
    assert items.run_transaction(_inserter(calls)) == 'done'
    assert calls == [1, 2, 3] and items.last_transaction_attempts == 3
    assert _count(items) == 1
    # backoff: one sleep before each retry, within the growing, capped ceiling
    assert len(items.sleeps) == 2
    assert 0 <= items.sleeps[0] <= 0.001 and 0 <= items.sleeps[1] <= 0.002


def test_conflict_in_a_statement_is_retried(items):
    _failing_trigger(items, '40001', times=3, at_commit=False)
    calls: list = []
    assert items.run_transaction(_inserter(calls), max_attempts=4) == 'done'
    assert calls == [1, 2, 3, 4] and _count(items) == 1


def test_deadlock_is_retried(items):
    _failing_trigger(items, '40P01', times=1, at_commit=False)
    calls: list = []
    items.run_transaction(_inserter(calls))
    assert calls == [1, 2] and _count(items) == 1


def test_exceeded_max_attempts_keeps_nothing(items):
    _failing_trigger(items, '40001', times=None, at_commit=True)
    calls: list = []
    with pytest.raises(ExceededMaxAttempts) as info:
        items.run_transaction(_inserter(calls), max_attempts=3)
    error = info.value
    assert calls == [1, 2, 3]
    assert error.attempts == 3 and items.last_transaction_attempts == 3
    assert error.__cause__ is error.last_error and error.last_error.pgcode == '40001'
    assert '3 attempts' in str(error)
    assert len(items.sleeps) == 2 and all(0 <= s <= 0.004 for s in items.sleeps)
    assert not items.in_transaction()
    assert _count(items) == 0                     # every attempt was rolled back


def test_backoff_grows_and_is_capped(items):
    _failing_trigger(items, '40001', times=None, at_commit=False)
    with pytest.raises(ExceededMaxAttempts):
        items.run_transaction(_inserter([]), max_attempts=8)
    assert len(items.sleeps) == 7
    ceilings = [min(0.004, 0.001 * 2 ** n) for n in range(7)]
    assert all(0 <= s <= c for s, c in zip(items.sleeps, ceilings))


def test_ambiguous_commit_is_not_retried(items):
    _failing_trigger(items, '40003', times=None, at_commit=True)
    calls: list = []
    with pytest.raises(AmbiguousCommitError, match='may or may not') as info:
        items.run_transaction(_inserter(calls))
    assert calls == [1] and info.value.attempts == 1
    assert info.value.__cause__.pgcode == '40003'
    assert not isinstance(info.value, ExceededMaxAttempts)


def test_connection_lost_during_commit_is_ambiguous(items):
    _failing_trigger(items, 'disconnect', times=None, at_commit=True)
    calls: list = []
    with pytest.raises(AmbiguousCommitError, match='may or may not') as info:
        items.run_transaction(_inserter(calls))
    assert calls == [1] and info.value.attempts == 1
    assert items.is_closed()                      # the dead connection was dropped...
    assert _count(items) == 0                     # ...and the next statement reconnects


def test_nested_run_transaction_is_refused(items):
    with items.atomic():
        with pytest.raises(NestedTransactionError, match='inside another transaction'):
            items.run_transaction(_inserter([]))
    with items.manual_commit():
        with pytest.raises(NestedTransactionError):
            items.run_transaction(_inserter([]))
    calls: list = []

    def outer(db):
        calls.append(1)
        db.execute_sql("INSERT INTO item (name) VALUES ('outer')")
        return db.run_transaction(_inserter([]))

    with pytest.raises(NestedTransactionError):
        items.run_transaction(outer)
    assert calls == [1] and _count(items) == 0 and not items.in_transaction()


def test_nested_atomic_refused_before_savepoints(items):
    """CockroachDB before 20.1 has no savepoints: a nested atomic() says so (peewee
    raises NotImplementedError there); transaction() blocks fold into the outer one."""
    items.connect(reuse_if_open=True)
    real = items._server_info
    items._server_info = ('cockroach', 190200, (19, 2, 0), 'CockroachDB CCL v19.2.0')
    try:
        with items.atomic():
            items.execute_sql("INSERT INTO item (name) VALUES ('a')")
            with pytest.raises(NestedTransactionError, match='no savepoints') as info:
                with items.atomic():
                    pass
            assert isinstance(info.value, NotImplementedError)
            with items.transaction():           # folded into the outer transaction
                items.execute_sql("INSERT INTO item (name) VALUES ('b')")
            assert items.in_transaction()
        assert _count(items) == 2
        with pytest.raises(NotImplementedError):
            with items.atomic():
                items.run_transaction(_inserter([]))
    finally:
        items._server_info = real
    assert not items.in_transaction() and _count(items) == 2


def test_set_transaction_priority(items):
    with pytest.raises(orm.InterfaceError, match='open transaction'):
        items.set_transaction_priority('high')
    with pytest.raises(ValueError, match='priority'):
        items.set_transaction_priority('urgent')

    def callback(db):
        if db.last_transaction_attempts > 1:
            db.set_transaction_priority('high')    # escalate on retries
        return _inserter([])(db)

    _failing_trigger(items, '40001', times=1, at_commit=True)
    with count_queries() as counter:
        assert items.run_transaction(callback) == 'done'
    # on PostgreSQL (no priorities) nothing is sent for it
    assert not any('PRIORITY' in q[0] for q in counter.queries)
    assert items.last_transaction_attempts == 2 and _count(items) == 1


def test_callback_swallowing_an_error_is_not_committed(items):
    """A callback that catches a database error and carries on cannot commit: the
    transaction was aborted.  It is rolled back and reported, not silently 'done'."""
    calls: list = []

    def callback(db):
        calls.append(1)
        db.execute_sql("INSERT INTO item (name) VALUES ('kept?')")
        try:
            db.execute_sql("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; "
                           "END $$")
        except OperationalError:
            pass
        return 'done'

    with pytest.raises(orm.InternalError, match='aborted') as info:
        items.run_transaction(callback)
    assert info.value.pgcode == '25P02'
    assert calls == [1] and _count(items) == 0 and not items.in_transaction()


def test_non_retryable_errors_keep_nothing_on_either_path(items):
    """Errors other than conflicts: never retried, whatever raised them, and every
    write of the attempt is rolled back."""
    _failing_trigger(items, '23514', times=None, at_commit=True)   # check_violation
    calls: list = []
    with pytest.raises(IntegrityError):
        items.run_transaction(_inserter(calls), max_attempts=5)
    assert calls == [1] and items.last_transaction_attempts == 1 and items.sleeps == []
    assert _count(items) == 0 and not items.in_transaction()


def test_savepoints_inside_the_callback(items):
    def callback(db):
        db.execute_sql("INSERT INTO item (name) VALUES ('kept')")
        try:
            with db.atomic():
                db.execute_sql("INSERT INTO item (name) VALUES ('kept')")
        except IntegrityError:
            pass
        return _count(db)

    assert items.run_transaction(callback) == 1
    assert _count(items) == 1


def test_retry_transaction_decorator(items):
    _failing_trigger(items, '40001', times=1, at_commit=True)
    seen: list = []

    @items.retry_transaction(max_attempts=2)
    def add(db, name, suffix=''):
        seen.append(db.last_transaction_attempts)
        db.execute_sql('INSERT INTO item (name) VALUES (%s)', (name + suffix,))
        return name

    assert add.__name__ == 'add'
    assert add('a', suffix='!') == 'a'
    assert seen == [1, 2]

    @items.retry_transaction
    def count(db):
        return _count(db)

    assert count() == 1
    assert items.execute_sql('SELECT name FROM item').fetchone()[0] == 'a!'


def test_argument_checks(items):
    for bad in (0, -2, 1.5, 'x', True):
        with pytest.raises(ValueError, match='max_attempts'):
            items.run_transaction(_inserter([]), max_attempts=bad)
    with pytest.raises(TypeError, match='callable'):
        items.run_transaction('not callable')
    with pytest.raises(ValueError, match='priority'):
        items.run_transaction(_inserter([]), priority='urgent')
    assert _count(items) == 0 and not items.in_transaction()


def test_run_transaction_through_a_proxy(items):
    proxy = orm.DatabaseProxy()
    proxy.initialize(items)
    calls: list = []
    assert run_transaction(proxy, _inserter(calls), priority='low') == 'done'
    assert calls == [1] and items.last_transaction_attempts == 1 and _count(items) == 1


def test_run_transaction_on_a_plain_postgresql_database(schema):
    db = _make(schema, cls=PostgresqlDatabase, isolation_level='SERIALIZABLE')
    try:
        db.execute_sql('CREATE TABLE item (id SERIAL PRIMARY KEY, name TEXT UNIQUE)')
        _failing_trigger(db, '40001', times=1, at_commit=True)
        calls: list = []
        db.retry_sleep = lambda seconds: None

        def callback(db):
            calls.append(1)
            db.execute_sql("INSERT INTO item (name) VALUES ('x')")
            return 'done'

        assert run_transaction(db, callback, max_attempts=3) == 'done'
        assert len(calls) == 2 and _count(db) == 1
        with pytest.raises(NotSupportedError, match='CockroachDatabase'):
            run_transaction(db, _inserter([]), priority='high')
    finally:
        db.close()


# ---------------------------------------------------------------------------------------
# A real CockroachDB cluster (ORM_CRDB_URL)
# ---------------------------------------------------------------------------------------

@pytest.fixture
def cluster():
    db = CockroachDatabase(CRDB_URL, retry_base_delay=0.005, retry_max_delay=0.05)
    suffix = uuid.uuid4().hex[:8]
    created: list = []
    db.unique = lambda name: created.append('%s_%s' % (name, suffix)) or created[-1]
    yield db
    if not db.is_closed() and db.in_transaction():
        db.rollback()
    for table in reversed(created):
        db.execute_sql('DROP TABLE IF EXISTS "%s" CASCADE' % table)
    db.close()


@needs_cluster
def test_cluster_version_and_flavor(cluster):
    cluster.connect()
    assert cluster.server_flavor == 'cockroach' and cluster.is_cockroach
    major, minor, patch = cluster.server_version_info
    assert cluster.server_version == major * 10000 + minor * 100 + patch
    assert 'CockroachDB' in cluster.server_version_text


@needs_cluster
def test_cluster_models_upsert_and_keys(cluster):
    class Thing(Model):
        id = UUIDKeyField()
        name = TextField(unique=True)
        score = IntegerField(default=0)
        tags = ArrayField(TextField, null=True, index=True)     # USING GIN (inverted)
        data = JSONField(null=True, index=True)

        class Meta:
            database = cluster
            table_name = cluster.unique('thing')

    class Log(Model):
        id = RowIDField()
        thing = orm.ForeignKeyField(Thing, backref='logs')

        class Meta:
            database = cluster
            table_name = cluster.unique('log')

    cluster.create_tables([Thing, Log])
    thing = Thing.create(name='a', tags=['x'], data={'k': 1})
    assert isinstance(thing.id, uuid.UUID)
    log = Log.create(thing=thing)
    assert isinstance(log.id, int) and log.id > 0
    Thing.replace(id=thing.id, name='a', score=7).execute()            # UPSERT
    assert Thing.get_by_id(thing.id).score == 7
    Thing.insert(name='a', score=9).on_conflict(conflict_target=[Thing.name],
                                                preserve=[Thing.score]).execute()
    Thing.insert(name='a').on_conflict_ignore().execute()
    assert [(t.name, t.score) for t in Thing.select()] == [('a', 9)]
    assert Thing.select().where(Thing.tags.contains('x')).count() == 1
    assert Thing.select().where(Thing.data['k'] == '1').count() == 1
    # introspection
    table = Thing._meta.table_name
    assert table in cluster.get_tables()
    assert [c.name for c in cluster.get_columns(table)] == ['id', 'name', 'score', 'tags',
                                                            'data']
    assert cluster.get_primary_keys(table) == ['id']
    assert [tuple(fk[:3]) for fk in cluster.get_foreign_keys(Log._meta.table_name)] == [
        ('thing_id', table, 'id')]
    assert any(ix.columns == ['name'] and ix.unique for ix in cluster.get_indexes(table))


@needs_cluster
def test_cluster_as_of_system_time_and_priority(cluster):
    name = cluster.unique('hist')
    cluster.execute_sql('CREATE TABLE "%s" (id INT PRIMARY KEY)' % name)
    cluster.execute_sql('INSERT INTO "%s" VALUES (1)' % name)
    moment = cluster.execute_sql('SELECT cluster_logical_timestamp()').fetchone()[0]
    cluster.execute_sql('INSERT INTO "%s" VALUES (2)' % name)
    table = orm.Table(name, ('id',)).bind(cluster)
    assert [r['id'] for r in table.select(table.id).as_of_system_time(moment)] == [1]
    with cluster.atomic(system_time=moment):
        assert cluster.execute_sql('SELECT count(*) FROM "%s"' % name).fetchone()[0] == 1
    with cluster.atomic(priority='high'):
        priority = cluster.execute_sql('SHOW transaction_priority').fetchone()[0]
    assert priority == 'high'
    with cluster.atomic():
        cluster.set_transaction_priority('low')
        priority = cluster.execute_sql('SHOW transaction_priority').fetchone()[0]
    assert priority == 'low'
    assert cluster.run_transaction(
        lambda db: db.execute_sql('SELECT count(*) FROM "%s"' % name).fetchone()[0],
        priority='low') == 2


@needs_cluster
def test_cluster_introspection_types_and_inverted_indexes(cluster):
    name = cluster.unique('typed')
    cluster.execute_sql('CREATE TABLE "%s" (a INT8 PRIMARY KEY, b STRING, c STRING(20), '
                        'd INT4, e JSONB, f INT8[], g INT DEFAULT unique_rowid())' % name)
    cluster.execute_sql('CREATE INVERTED INDEX "%s_e" ON "%s" (e)' % (name, name))
    cluster.execute_sql('CREATE INDEX "%s_f" ON "%s" USING GIN (f)' % (name, name))
    expected = {'a': 'bigint', 'b': 'text', 'c': 'character varying', 'd': 'integer',
                'e': 'jsonb', 'f': 'ARRAY', 'g': 'bigint'}
    columns = cluster.get_columns(name)
    assert {c.name: c.data_type for c in columns} == expected
    assert 'unique_rowid()' in [c.default for c in columns if c.name == 'g'][0]
    # CockroachDB's own names (INT8, STRING ...) read the same way
    native = cluster.execute_sql(
        'SELECT column_name, crdb_sql_type FROM information_schema.columns '
        'WHERE table_name = %s', (name,)).fetchall()
    assert {column: CockroachDialect.standard_type_name(kind)
            for column, kind in native if column in expected} == expected
    indexes = {ix.name: ix.columns for ix in cluster.get_indexes(name)}
    assert indexes['%s_e' % name] == ['e'] and indexes['%s_f' % name] == ['f']
    # a table without a primary key: the hidden rowid column is left out
    bare = cluster.unique('bare')
    cluster.execute_sql('CREATE TABLE "%s" (x INT)' % bare)
    assert [c.name for c in cluster.get_columns(bare)] == ['x']
    assert cluster.get_primary_keys(bare) == []


@needs_cluster
def test_cluster_concurrent_counter(cluster):
    name = cluster.unique('counter')
    cluster.execute_sql('CREATE TABLE "%s" (id INT PRIMARY KEY, value INT)' % name)
    cluster.execute_sql('INSERT INTO "%s" VALUES (1, 0)' % name)
    threads, increments = 4, 10
    barrier = threading.Barrier(threads)
    attempts = [0] * threads
    errors: list = []

    def worker(n):
        try:
            for i in range(increments):
                def increment(db):
                    value = db.execute_sql('SELECT value FROM "%s" WHERE id = 1'
                                           % name).fetchone()[0]
                    if i == 0 and db.last_transaction_attempts == 1:
                        barrier.wait(timeout=10)
                    db.execute_sql('UPDATE "%s" SET value = %%s WHERE id = 1' % name,
                                   (value + 1,))
                cluster.run_transaction(increment, max_attempts=100)
                attempts[n] += cluster.last_transaction_attempts
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
        finally:
            cluster.close()

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(60)
    assert not errors, errors
    final = cluster.execute_sql('SELECT value FROM "%s" WHERE id = 1' % name).fetchone()[0]
    assert final == threads * increments
    assert sum(attempts) > threads * increments
