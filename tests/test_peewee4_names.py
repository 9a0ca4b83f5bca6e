"""peewee 4 names: driver adapters (psycopg2 and psycopg 3), the core JSONField's per-engine
JSON methods and JSONPath, FieldDatabaseHook, QueryEvent hooks, BaseModelCursorWrapper and
eager loading with Load / with_related.

Every engine test reads its results back from the database.  The ``jdb`` fixture runs a
test on SQLite (sqlite3 and APSW) and on PostgreSQL through each driver; ``pgdb`` on
PostgreSQL through each driver.
"""
from __future__ import annotations

import datetime
import decimal
import json
import uuid

import pytest

import orm
from conftest import clean_database, make_database
from orm import (BlobField, BooleanField, CharField, DateTimeField, DecimalField,
                 ForeignKeyField, IntegerField, JSONField, Load, Model, TextField, UUIDField)

PG_DRIVERS = ['psycopg2', 'psycopg3']


def _open_pg(driver: str, tmp_path) -> orm.PostgresqlDatabase:
    if driver == 'psycopg3':
        pytest.importorskip('psycopg', reason='psycopg 3 is not installed')
    else:
        pytest.importorskip('psycopg2', reason='psycopg2 is not installed')
    db = make_database('postgres', tmp_path, prefer_psycopg3=(driver == 'psycopg3'))
    db.connect()
    clean_database(db)
    return db


def _close(db) -> None:
    while db.transaction_depth():
        db.pop_transaction()
    if not db.is_closed():
        db.rollback()
        db.close()


@pytest.fixture(params=PG_DRIVERS)
def pgdb(request, tmp_path):
    """A connected, empty PostgreSQL database through each driver."""
    db = _open_pg(request.param, tmp_path)
    yield db
    _close(db)


@pytest.fixture(params=['sqlite', 'apsw'] + PG_DRIVERS)
def jdb(request, tmp_path):
    """SQLite (sqlite3, APSW) and PostgreSQL (psycopg2, psycopg 3)."""
    if request.param in PG_DRIVERS:
        db = _open_pg(request.param, tmp_path)
    else:
        engine = 'sqlite-file' if request.param == 'sqlite' else 'apsw'
        db = make_database(engine, tmp_path)
        db.connect()
    yield db
    _close(db)


def is_pg(db) -> bool:
    return isinstance(db, orm.PostgresqlDatabase)


# -- exports ------------------------------------------------------------------------------
PEEWEE4_STAR = ['Load', 'QueryEvent']
PEEWEE4_BY_NAME = ['BaseJSONMethods', 'SqliteJSONMethods', 'PostgresqlJSONMethods',
                   'MySQLJSONMethods', 'JSONPath', 'BaseModelCursorWrapper',
                   'FieldDatabaseHook', 'Psycopg2Adapter', 'Psycopg3Adapter']


def test_names_are_exported():
    for name in PEEWEE4_STAR + PEEWEE4_BY_NAME:
        assert hasattr(orm, name), name
    for name in PEEWEE4_STAR:
        assert name in orm.__all__
    namespace: dict = {}
    exec('from orm import *', namespace)
    assert namespace['Load'] is orm.Load and namespace['QueryEvent'] is orm.QueryEvent
    assert issubclass(orm.JSONField, orm.FieldDatabaseHook)
    for name in ('SqliteJSONMethods', 'PostgresqlJSONMethods', 'MySQLJSONMethods'):
        assert issubclass(getattr(orm, name), orm.BaseJSONMethods)
    assert issubclass(orm.BaseModelCursorWrapper, orm.DictCursorWrapper)
    for name in ('ModelDictCursorWrapper', 'ModelTupleCursorWrapper', 'ModelCursorWrapper',
                 'ModelNamedTupleCursorWrapper', 'ModelObjectCursorWrapper'):
        assert issubclass(getattr(orm, name), orm.BaseModelCursorWrapper)


# -- driver adapters ----------------------------------------------------------------------
def test_adapter_selection():
    assert isinstance(orm.PostgresqlDatabase('x').adapter, orm.Psycopg2Adapter)
    db = orm.PostgresqlDatabase('x', prefer_psycopg3=True)
    assert isinstance(db.adapter, orm.Psycopg3Adapter) and db._adapter is db.adapter
    db.init('y', prefer_psycopg3=False)
    assert isinstance(db.adapter, orm.Psycopg2Adapter)

    class Mine(orm.Psycopg3Adapter):
        pass

    class MyDatabase(orm.PostgresqlDatabase):
        psycopg3_adapter = Mine
        prefer_psycopg3 = True

    assert type(MyDatabase('x').adapter) is Mine


def test_isolation_levels_from_either_driver():
    import psycopg
    from psycopg2 import extensions
    assert orm.isolation_level_sql(extensions.ISOLATION_LEVEL_SERIALIZABLE) == 'SERIALIZABLE'
    assert orm.isolation_level_sql(psycopg.IsolationLevel.REPEATABLE_READ) == \
        'REPEATABLE READ'
    assert orm.isolation_level_sql(psycopg.IsolationLevel.READ_COMMITTED) == 'READ COMMITTED'
    assert orm.isolation_level_sql('read_uncommitted') == 'READ UNCOMMITTED'
    with pytest.raises(ValueError, match='Unknown isolation level'):
        orm.isolation_level_sql('sometimes')


class Account(Model):
    name = CharField(unique=True)
    balance = DecimalField(max_digits=10, decimal_places=2, default=0)
    active = BooleanField(default=True)
    created = DateTimeField(default=datetime.datetime(2024, 1, 2, 3, 4, 5))
    token = UUIDField(null=True)
    blob = BlobField(null=True)


class Entry(Model):
    account = ForeignKeyField(Account, backref='entries')
    amount = IntegerField()


def test_pg_driver_connects_and_runs_crud(pgdb):
    driver = 'psycopg' if isinstance(pgdb.adapter, orm.Psycopg3Adapter) else 'psycopg2'
    assert type(pgdb.connection()).__module__.split('.')[0] == driver
    assert pgdb.server_version >= 100000 and pgdb.server_version_info[0] >= 10
    pgdb.bind([Account, Entry])
    pgdb.create_tables([Account, Entry])
    token = uuid.uuid4()
    alice = Account.create(name='alice', balance=decimal.Decimal('10.50'), token=token,
                           blob=b'\x00\x01\xff')
    Entry.insert_many([{'account': alice, 'amount': n} for n in (5, 7)]).execute()
    got = Account.get(Account.name == 'alice')
    assert got.balance == decimal.Decimal('10.50') and got.active is True
    assert got.created == datetime.datetime(2024, 1, 2, 3, 4, 5)
    assert got.token == token and bytes(got.blob) == b'\x00\x01\xff'
    assert [e.amount for e in got.entries.order_by(Entry.amount)] == [5, 7]
    assert Account.update(balance=Account.balance + 1).where(Account.id == alice.id) \
        .execute() == 1
    assert Account.get_by_id(alice.id).balance == decimal.Decimal('11.50')
    assert Entry.delete().where(Entry.amount == 5).execute() == 1
    assert pgdb.execute_sql('SELECT %s || %s', ('a', 'b')).fetchone()[0] == 'ab'
    assert pgdb.execute_sql("SELECT 'x%%'").fetchone()[0] == 'x%'


def test_pg_transactions_and_savepoints(pgdb):
    pgdb.bind([Account, Entry])
    pgdb.create_tables([Account, Entry])
    with pgdb.atomic():
        Account.create(name='kept')
        with pgdb.atomic() as sp:
            Account.create(name='undone')
            sp.rollback()
        assert pgdb.in_transaction()
    assert [a.name for a in Account.select()] == ['kept']
    with pytest.raises(RuntimeError):
        with pgdb.atomic():
            Account.create(name='lost')
            raise RuntimeError('boom')
    assert Account.select().count() == 1 and not pgdb.in_transaction()
    # a failed statement aborts the transaction: commit refuses and rolls back
    with pytest.raises(orm.InternalError):
        with pgdb.atomic():
            Account.create(name='aborted')
            with pytest.raises(orm.IntegrityError):
                Account.create(name='kept')
    assert pgdb.is_connection_usable()
    assert [a.name for a in Account.select()] == ['kept']
    with pgdb.atomic(isolation_level='SERIALIZABLE'):
        level = pgdb.execute_sql('SHOW transaction_isolation').fetchone()[0]
    assert level == 'serializable'


def test_pg_errors_are_wrapped(pgdb):
    pgdb.bind([Account, Entry])
    pgdb.create_tables([Account, Entry])
    Account.create(name='a')
    with pytest.raises(orm.IntegrityError) as info:
        Account.create(name='a')
    assert info.value.pgcode == info.value.sqlstate == '23505'
    assert info.value.orig is info.value.__cause__
    assert type(info.value.orig).__module__.split('.')[0] in ('psycopg2', 'psycopg')
    with pytest.raises(orm.IntegrityError) as info:
        Entry.create(account=12345, amount=1)
    assert info.value.pgcode == '23503'
    with pytest.raises(orm.ProgrammingError) as prog:
        pgdb.execute_sql('SELECT * FROM no_such_table')
    assert prog.value.pgcode == '42P01'
    with pytest.raises(orm.DataError):
        pgdb.execute_sql('SELECT 1 / 0')


def test_pg_introspection(pgdb):
    pgdb.bind([Account, Entry])
    pgdb.create_tables([Account, Entry])
    assert {'account', 'entry'} <= set(pgdb.get_tables())
    columns = {c.name: c for c in pgdb.get_columns('account')}
    assert columns['id'].primary_key and not columns['token'].primary_key
    assert columns['token'].data_type == 'uuid' and columns['blob'].null
    assert pgdb.get_primary_keys('entry') == ['id']
    fks = pgdb.get_foreign_keys('entry')
    assert [(f.column, f.dest_table, f.dest_column) for f in fks] == \
        [('account_id', 'account', 'id')]
    indexes = {i.name: i for i in pgdb.get_indexes('account')}
    assert any(i.unique and i.columns == ['name'] for i in indexes.values())
    assert pgdb.table_exists(Account) and not pgdb.table_exists('nope')


def test_pg_server_side_cursor_and_session(pgdb):
    cursor = pgdb.cursor(named_cursor=True)
    cursor.execute('SELECT generate_series(1, 5)')
    assert [row[0] for row in cursor.fetchmany(2)] == [1, 2]
    assert [row[0] for row in cursor.fetchall()] == [3, 4, 5]
    cursor.close()
    pgdb.set_time_zone('UTC')
    assert pgdb.execute_sql('SHOW TIME ZONE').fetchone()[0] == 'UTC'


def test_pg_isolation_level_from_psycopg3_enum(pgdb):
    import psycopg
    pgdb.set_isolation_level(psycopg.IsolationLevel.REPEATABLE_READ)
    with pgdb.atomic():
        level = pgdb.execute_sql('SHOW transaction_isolation').fetchone()[0]
    assert level == 'repeatable read'
    pgdb.set_isolation_level(None)
    with pgdb.atomic():
        assert pgdb.execute_sql('SHOW transaction_isolation').fetchone()[0] == \
            'read committed'


# -- JSONField, JSON methods and JSONPath -------------------------------------------------
class Doc(Model):
    name = CharField()
    data = JSONField(null=True)


DOCS = {
    'a': {'title': 'first', 'n': 10, 'tags': ['x', 'y'], 'meta': {'ok': True, 'k': 'v'}},
    'b': {'title': 'second', 'n': 5, 'tags': ['y'], 'meta': {'ok': False}, 's': '1'},
    'c': [1, 2, {'deep': 'z'}],
    'd': 'just a string',
    'e': None,
}


@pytest.fixture
def docs(jdb):
    jdb.bind([Doc])
    jdb.create_tables([Doc])
    for name, data in DOCS.items():
        Doc.create(name=name, data=data)
    return jdb


def names(query) -> list:
    return sorted(doc.name for doc in query)


def test_json_methods_follow_the_database(docs):
    methods = Doc.data.json_methods
    if is_pg(docs):
        assert isinstance(methods, orm.PostgresqlJSONMethods)
        assert Doc.data.field_type == 'JSONB'
    else:
        assert isinstance(methods, orm.SqliteJSONMethods)
        assert Doc.data.field_type == 'TEXT'
    assert methods.database is docs
    column = {c.name: c.data_type.lower() for c in docs.get_columns('doc')}['data']
    assert column == ('jsonb' if is_pg(docs) else 'text')


def test_json_round_trip(docs):
    assert {d.name: d.data for d in Doc.select()} == DOCS
    for text in ('123', 'true', '{"a": 1}'):   # strings that look like JSON stay strings
        assert Doc.get_by_id(Doc.create(name='t', data=text).id).data == text


def test_json_paths_select(docs):
    rows = (Doc.select(Doc.name, Doc.data['meta']['k'].alias('k'),
                       Doc.data['tags'][0].alias('first_tag'),
                       Doc.data['tags'].alias('tags'),
                       Doc.data['n'].as_text().alias('n_text'),
                       Doc.data.path('meta', 'ok').alias('ok'))
            .where(Doc.name.in_(['a', 'b'])).order_by(Doc.name).dicts())
    rows = list(rows)
    # as_text() reads an SQL scalar: text on PostgreSQL, the SQL type on SQLite
    for row in rows:
        assert row['n_text'] == (str(row['n_text']) if is_pg(docs) else int(row['n_text']))
        row['n_text'] = str(row['n_text'])
    assert rows == [
        {'name': 'a', 'k': 'v', 'first_tag': 'x', 'tags': ['x', 'y'], 'n_text': '10',
         'ok': True},
        {'name': 'b', 'k': None, 'first_tag': 'y', 'tags': ['y'], 'n_text': '5',
         'ok': False}]
    assert Doc.select(Doc.data[2]['deep']).where(Doc.name == 'c').scalar() == 'z'
    assert Doc.select(Doc.data[-1]['deep']).where(Doc.name == 'c').scalar() == 'z'
    total = Doc.select(orm.fn.SUM(Doc.data['n'].as_int())).scalar()
    assert total == 15
    assert Doc.select(Doc.data['n'].as_float()).where(Doc.name == 'a').scalar() == 10.0


def test_json_path_comparisons(docs):
    assert names(Doc.select().where(Doc.data['title'] == 'first')) == ['a']
    assert names(Doc.select().where(Doc.data['n'] > 6)) == ['a']
    assert names(Doc.select().where(Doc.data['n'] <= 10)) == ['a', 'b']
    assert names(Doc.select().where(Doc.data['n'].between(4, 6))) == ['b']
    assert names(Doc.select().where(Doc.data['s'] == '1')) == ['b']
    assert names(Doc.select().where(Doc.data['s'] == 1)) == []     # a string is not 1
    assert names(Doc.select().where(Doc.data['meta']['ok'] == True)) == ['a']  # noqa: E712
    assert names(Doc.select().where(Doc.data['tags'] == ['y'])) == ['b']
    assert names(Doc.select().where(Doc.data['meta'] == {'ok': False})) == ['b']
    assert names(Doc.select().where(Doc.data['title'].in_(['first', 'second']))) == \
        ['a', 'b']
    assert names(Doc.select().where(Doc.data['title'] != 'first')) == ['b']
    # IS NULL: missing key, JSON null and SQL NULL alike
    assert names(Doc.select().where(Doc.data['s'].is_null())) == ['a', 'c', 'd', 'e']
    assert names(Doc.select().where(Doc.data['s'] == None)) == ['a', 'c', 'd', 'e']  # noqa
    assert names(Doc.select().where(Doc.data['title'].startswith('fir'))) == ['a']
    assert names(Doc.select().where(Doc.data['title'].as_text() == 'second')) == ['b']


def test_json_path_in_a_subquery(docs):
    titles = Doc.select(Doc.data['title'].as_text()).where(Doc.data['n'] == 5)
    assert names(Doc.select().where(Doc.data['title'].as_text().in_(titles))) == ['b']
    assert names(Doc.select().where(Doc.data['title'].as_text().not_in(titles))) == ['a']
    as_json = Doc.select(Doc.data['tags']).where(Doc.data['n'] == 10)
    assert names(Doc.select().where(Doc.data['tags'].in_(as_json))) == ['a']


def test_a_database_is_not_copied_with_what_refers_to_it(docs):
    import copy
    assert copy.deepcopy(docs) is docs
    query = copy.deepcopy(Doc.select().where(Doc.data['n'] == 5))
    assert [d.name for d in query] == ['b']


def test_json_field_comparisons(docs):
    assert names(Doc.select().where(Doc.data == DOCS['b'])) == ['b']
    assert names(Doc.select().where(Doc.data == 'just a string')) == ['d']
    assert names(Doc.select().where(Doc.data == [1, 2, {'deep': 'z'}])) == ['c']
    assert names(Doc.select().where(Doc.data.is_null())) == ['e']
    assert names(Doc.select().where(Doc.data != DOCS['a'])) == ['b', 'c', 'd']


def test_json_containment_and_keys(docs):
    assert names(Doc.select().where(Doc.data.contains({'tags': ['y']}))) == ['a', 'b']
    assert names(Doc.select().where(Doc.data.contains({'meta': {'ok': True}}))) == ['a']
    assert names(Doc.select().where(Doc.data.contains([{'deep': 'z'}]))) == ['c']
    assert names(Doc.select().where(Doc.data.contains([2]))) == ['c']
    assert names(Doc.select().where(Doc.data['tags'].contains('x'))) == ['a']
    assert names(Doc.select().where(Doc.data.has_key('s'))) == ['b']
    assert names(Doc.select().where(Doc.data['meta'].has_key('k'))) == ['a']
    assert names(Doc.select().where(Doc.data.has_keys(['title', 's']))) == ['b']
    assert names(Doc.select().where(Doc.data.has_any_keys(['s', 'missing']))) == ['b']
    # text mode: a substring test
    assert names(Doc.select().where(Doc.data['title'].as_text().contains('eco'))) == ['b']


@pytest.mark.parametrize('path, bigger, expected', [
    ((), DOCS['a'], ['a']),
    ((), dict(DOCS['a'], extra=[1], tags=['x', 'y', 'z']), ['a']),
    ((), {'title': 'first', 'n': 10, 'tags': ['x', 'y'], 'meta': {'ok': True}}, []),
    ((), [1, 2, 3, {'deep': 'z', 'more': 0}], ['c']),
    ((), [1, {'deep': 'z'}], []),                 # 2 is not in it
    ((), ['just a string', 'other'], ['d']),      # a scalar in an array of scalars
    ((), 'just a string', ['d']),
    (('meta',), {'ok': True, 'k': 'v', 'more': 1}, ['a']),
    (('meta',), {'ok': False, 'k': 'v'}, ['b']),
    (('meta',), {'ok': 1, 'k': 'v'}, []),         # true is not 1
    (('tags',), ['x', 'y', 'y'], ['a', 'b']),
    (('tags',), ['y'], ['b']),
    (('n',), [5, 10], ['a', 'b']),                # a number in an array
    (('n',), 10, ['a']),
    (('s',), '1', ['b']),
    (('s',), 1, []),                              # the string '1' is not 1
])
def test_json_contained_by(docs, path, bigger, expected):
    """contained_by() is the mirror of contains() (jsonb's <@), the same on SQLite
    (written out with json_each()) as on PostgreSQL."""
    where = Doc.data.path(*path) if path else Doc.data
    assert names(Doc.select().where(where.contained_by(bigger))) == expected


def test_json_insert_replace_append(docs):
    def data(name):
        return Doc.get(Doc.name == name).data

    a = Doc.name == 'a'
    Doc.update(data=Doc.data['n'].insert(99)).where(a).execute()          # present
    Doc.update(data=Doc.data['fresh'].insert({'x': [1]})).where(a).execute()
    Doc.update(data=Doc.data['title'].replace('FIRST')).where(a).execute()
    Doc.update(data=Doc.data['absent'].replace(1)).where(a).execute()     # missing
    Doc.update(data=Doc.data['tags'].append('z')).where(a).execute()
    Doc.update(data=Doc.data['tags'].append({'k': None})).where(a).execute()
    Doc.update(data=Doc.data['meta']['ok'].replace(None)).where(a).execute()
    assert data('a') == {'title': 'FIRST', 'n': 10, 'tags': ['x', 'y', 'z', {'k': None}],
                         'meta': {'ok': None, 'k': 'v'}, 'fresh': {'x': [1]}}
    Doc.update(data=Doc.data['meta']['ok'].insert(True)).where(a).execute()
    assert data('a')['meta'] == {'ok': None, 'k': 'v'}   # a JSON null is present
    c = Doc.name == 'c'
    Doc.update(data=Doc.data.append(3)).where(c).execute()
    Doc.update(data=Doc.data[2]['deep'].replace(False)).where(c).execute()
    assert data('c') == [1, 2, {'deep': False}, 3]
    # a scalar is not an array: appending to it changes nothing, on either engine
    Doc.update(data=Doc.data['n'].append(1)).where(a).execute()
    assert data('a')['n'] == 10
    # a missing array: created on SQLite, left missing on PostgreSQL
    Doc.update(data=Doc.data['list'].append('x')).where(a).execute()
    assert data('a').get('list') == (None if is_pg(docs) else ['x'])


def test_json_updates(docs):
    Doc.update(data=Doc.data['meta']['k'].set('new')).where(Doc.name == 'a').execute()
    Doc.update(data=Doc.data['extra'].set([1, {'x': None}])).where(Doc.name == 'a').execute()
    Doc.update(data=Doc.data['tags'].remove()).where(Doc.name == 'b').execute()
    Doc.update(data=Doc.data.update({'n': 6, 'added': True})).where(Doc.name == 'b') \
        .execute()
    a, b = Doc.get(Doc.name == 'a').data, Doc.get(Doc.name == 'b').data
    assert a['meta'] == {'ok': True, 'k': 'new'} and a['extra'] == [1, {'x': None}]
    assert b == {'title': 'second', 'n': 6, 'meta': {'ok': False}, 's': '1', 'added': True}
    assert Doc.select(Doc.data['tags'].length()).where(Doc.name == 'a').scalar() == 2
    assert Doc.select(Doc.data.length()).where(Doc.name == 'c').scalar() == 3
    # update(): a deep merge (RFC 7396) on SQLite, a top-level one on PostgreSQL
    Doc.update(data=Doc.data.update({'meta': {'new': 1}})).where(Doc.name == 'a').execute()
    meta = Doc.get(Doc.name == 'a').data['meta']
    assert meta == ({'new': 1} if is_pg(docs) else {'ok': True, 'k': 'new', 'new': 1})


def test_on_conflict_update_by_field_name_converts_the_value(docs):
    """``update={'data': {...}}`` (a name, not the field) still writes the value through
    the field, as ``update={Doc.data: {...}}`` does."""
    a = Doc.get(Doc.name == 'a')
    for key in ('data', Doc.data):
        (Doc.insert(id=a.id, name='a', data={'x': 0})
         .on_conflict('update', conflict_target=[Doc.id], update={key: {'by': str(key)}})
         .execute())
        assert Doc.get_by_id(a.id).data == {'by': str(key)}
    assert Doc.select().count() == len(DOCS)


def test_json_bulk_update(docs):
    objs = list(Doc.select().where(Doc.name.in_(['a', 'd'])).order_by(Doc.name))
    objs[0].data = {'replaced': [1]}
    objs[1].data = ['now', 'a', 'list']
    Doc.bulk_update(objs, fields=[Doc.data])
    assert Doc.get(Doc.name == 'a').data == {'replaced': [1]}
    assert Doc.get(Doc.name == 'd').data == ['now', 'a', 'list']


def test_json_path_sql_per_dialect():
    sqlite_db = orm.SqliteDatabase(None)
    with sqlite_db.bind_ctx([Doc]):
        sql, params = Doc.select(Doc.data['a'][0]).sql()
    assert sql == 'SELECT ("t1"."data" -> ?) FROM "doc" AS "t1"'
    assert params == ['$."a"[0]']
    pg = orm.PostgresqlDatabase(None)
    with pg.bind_ctx([Doc]):
        sql, params = Doc.select(Doc.data['a'][0].as_text()).where(
            Doc.data.has_key('k')).sql()
    assert sql == ('SELECT ("t1"."data" #>> %s) FROM "doc" AS "t1" '
                   'WHERE ("t1"."data" ? %s)')
    assert params == [['a', '0'], 'k']
    assert orm.BaseJSONMethods.json_path(['a"b', 1, -2]) == '$."a\\"b"[1][#-2]'


def test_mysql_json_methods_sql():
    mysql = orm.MySQLJSONMethods(None)
    ctx = orm.SqliteDatabase(None).get_sql_context()
    sql, params = ctx.sql(mysql.extract_text(Doc.data, ('a', 0))).query()
    assert sql == 'JSON_UNQUOTE(JSON_EXTRACT("t1"."data", ?))' and params == ['$."a"[0]']
    ctx = orm.SqliteDatabase(None).get_sql_context()
    sql, params = ctx.sql(mysql.has_keys(Doc.data, (), ['x', 'y'])).query()
    assert sql == '(JSON_CONTAINS_PATH("t1"."data", ?, ?, ?) = 1)'
    assert params == ['all', '$."x"', '$."y"']
    ctx = orm.SqliteDatabase(None).get_sql_context()
    sql, params = ctx.sql(mysql.set(Doc.data, ('k',), {'v': 1})).query()
    assert sql == 'JSON_SET("t1"."data", ?, JSON_COMPACT(?))'
    assert params == ['$."k"', '{"v": 1}']


def test_json_field_custom_dumps(jdb):
    class Sorted(Model):
        data = JSONField(dumps=lambda v: json.dumps(v, sort_keys=True))

    jdb.bind([Sorted])
    jdb.create_tables([Sorted])
    Sorted.create(data={'b': 1, 'a': 2})
    raw = jdb.execute_sql('SELECT data FROM sorted').fetchone()[0]
    if is_pg(jdb):
        assert raw == {'a': 2, 'b': 1}          # jsonb, decoded by the driver
    else:
        assert raw == '{"a": 2, "b": 1}'
    assert Sorted.get().data == {'a': 2, 'b': 1}


# -- FieldDatabaseHook --------------------------------------------------------------------
class EngineNameField(orm.FieldDatabaseHook, TextField):
    """Stores values prefixed with the engine of the model's database."""

    def __init__(self, *args, **kwargs):
        self.hooked: list = []
        self.prefix = '?'
        super().__init__(*args, **kwargs)

    def _db_hook(self, database):
        self.hooked.append(database)
        self.prefix = type(database).__name__ if database is not None else '-'

    def db_value(self, value):
        self._check_db_hook()
        return None if value is None else '%s:%s' % (self.prefix, value)


class Tagged(Model):
    label = EngineNameField()


def test_field_database_hook(jdb, tmp_path):
    field = Tagged.label
    jdb.bind([Tagged])
    jdb.create_tables([Tagged])
    Tagged.create(label='x')
    assert jdb.execute_sql('SELECT label FROM tagged').fetchone()[0] == \
        '%s:x' % type(jdb).__name__
    assert field.hooked[-1] is jdb
    calls = len(field.hooked)
    Tagged.create(label='y')
    assert len(field.hooked) == calls          # same database: no new call
    other = orm.SqliteDatabase(str(tmp_path / 'other.db'))
    with other.bind_ctx([Tagged]):
        other.create_tables([Tagged])
        Tagged.create(label='z')
        assert field.hooked[-1] is other
        assert other.execute_sql('SELECT label FROM tagged').fetchone()[0] == \
            'SqliteDatabase:z'
    other.close()
    proxy = orm.DatabaseProxy()
    proxy.initialize(jdb)
    Tagged.bind(proxy)
    Tagged.create(label='p')
    assert field.hooked[-1] is jdb               # a proxy is seen through


# -- QueryEvent ---------------------------------------------------------------------------
def test_query_events(jdb):
    jdb.bind([Account, Entry])
    jdb.create_tables([Account, Entry])
    events: list = []
    hook = jdb.add_query_hook(events.append)
    assert hook == events.append
    Account.create(name='q')
    assert Account.select().where(Account.name == 'q').count() == 1
    with pytest.raises(orm.IntegrityError):
        Account.create(name='q')
    assert jdb.remove_query_hook(events.append) and not jdb.remove_query_hook(events.append)
    Account.select().count()
    assert len(events) == 3
    insert, select, failed = events
    assert all(isinstance(e, orm.QueryEvent) for e in events)
    assert insert.sql.startswith('INSERT INTO') and 'q' in insert.params
    assert insert.succeeded and insert.error is None and insert.cursor is not None
    assert insert.database is jdb and insert.duration >= 0 and insert.start > 0
    assert select.sql.startswith('SELECT COUNT')
    assert isinstance(failed.error, orm.IntegrityError) and not failed.succeeded
    assert failed.cursor is None
    if is_pg(jdb):
        assert failed.error.pgcode == '23505'
    seen: list = []
    with jdb.query_hook(lambda event: seen.append(event.sql)):
        jdb.execute_sql('SELECT 1')
    jdb.execute_sql('SELECT 2')
    assert seen == ['SELECT 1']


def test_query_hook_errors_propagate_and_hooks_need_callables():
    db = orm.SqliteDatabase(':memory:')

    @db.add_query_hook
    def fail(event):
        raise LookupError('from the hook')

    with pytest.raises(LookupError):
        db.execute_sql('SELECT 1')
    db.remove_query_hook(fail)
    assert db.execute_sql('SELECT 1').fetchone() == (1,)
    with pytest.raises(TypeError, match='callable'):
        db.add_query_hook('nope')


# -- BaseModelCursorWrapper ---------------------------------------------------------------
def test_base_model_cursor_wrapper(jdb):
    jdb.bind([Account, Entry])
    jdb.create_tables([Account, Entry])
    Account.create(name='w', balance=decimal.Decimal('2.50'))
    query = Account.select(Account.name, Account.balance.alias('b'),
                           orm.fn.UPPER(Account.name).alias('upper'))
    wrapper = query.execute()
    assert isinstance(wrapper, orm.BaseModelCursorWrapper)
    rows = list(wrapper)
    assert wrapper.ncols == 3 and wrapper.keys == ['name', 'b', 'upper']
    assert wrapper.fields == [Account.name, Account.balance, None]
    assert rows[0].name == 'w' and rows[0].b == decimal.Decimal('2.50')

    class Pairs(orm.BaseModelCursorWrapper):
        def process_row(self, row):
            data = super().process_row(row)
            return sorted(data.items())

    cursor = jdb.execute(query)
    pairs = Pairs(cursor, Account, query._returning)
    pairs.dialect = jdb.dialect
    assert list(pairs) == [[('b', decimal.Decimal('2.50')), ('name', 'w'),
                            ('upper', 'W')]]


# -- Load / with_related ------------------------------------------------------------------
class Author(Model):
    name = CharField()


class Post(Model):
    author = ForeignKeyField(Author, backref='posts')
    title = CharField()


class Like(Model):
    post = ForeignKeyField(Post, backref='likes')
    who = CharField()


@pytest.fixture
def blog(jdb):
    models = [Author, Post, Like]
    jdb.bind(models)
    jdb.create_tables(models)
    for name, count in (('huey', 3), ('mickey', 1), ('zaizee', 0)):
        author = Author.create(name=name)
        for i in range(count):
            post = Post.create(author=author, title='%s-%d' % (name, i))
            for j in range(i + 1):
                Like.create(post=post, who='%s-like%d' % (name, j))
    return jdb


def test_load_backrefs_in_one_query_per_relation(blog):
    events: list = []
    with blog.query_hook(events.append):
        query = (Author.select().order_by(Author.name)
                 .with_related(Load(Author.posts).then(Load(Post.likes))))
        result = [(a.name, [(p.title, p.author.name, len(p.likes)) for p in a.posts])
                  for a in query]
    assert result == [('huey', [('huey-0', 'huey', 1), ('huey-1', 'huey', 2),
                                ('huey-2', 'huey', 3)]),
                      ('mickey', [('mickey-0', 'mickey', 1)]),
                      ('zaizee', [])]
    assert len(events) == 3          # authors, posts, likes
    assert isinstance(query[0].posts, list)


def test_load_per_parent_with_a_query(blog):
    recent = Post.select().where(Post.title != 'huey-0').order_by(Post.id.desc())
    query = (Author.select().order_by(Author.id)
             .with_related(Load(Author.posts, query=recent, per_parent=1)))
    assert [(a.name, [p.title for p in a.posts]) for a in query] == [
        ('huey', ['huey-2']), ('mickey', ['mickey-0']), ('zaizee', [])]
    # chaining after with_related() keeps the loads
    narrowed = query.where(Author.name == 'mickey')
    assert [[p.title for p in a.posts] for a in narrowed] == [['mickey-0']]


def test_load_foreign_keys(blog):
    events: list = []
    with blog.query_hook(events.append):
        likes = list(Like.select().order_by(Like.id)
                     .with_related(Load(Like.post).then(Load(Post.author))))
        owners = {(like.post.title, like.post.author.name) for like in likes}
    assert owners == {('huey-0', 'huey'), ('huey-1', 'huey'), ('huey-2', 'huey'),
                      ('mickey-0', 'mickey')}
    assert len(events) == 3


def test_load_errors():
    with pytest.raises(ValueError, match='back-reference'):
        Load(Author.name)
    with pytest.raises(ValueError, match='per_parent'):
        Load(Post.author, per_parent=2)
    with pytest.raises(ValueError, match='per_parent'):
        Load(Author.posts, per_parent=0)
    with pytest.raises(ValueError, match='must select from Post'):
        Load(Author.posts, query=Author.select())
    with pytest.raises(ValueError, match='does not start from'):
        Post.select().with_related(Load(Author.posts))
    assert repr(Load(Author.posts, per_parent=2).then(Load(Post.likes))) == \
        'Load(Author.posts, per_parent=2).then(Load(Post.likes))'
