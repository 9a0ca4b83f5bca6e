"""playhouse.postgres_ext on PostgreSQL: arrays, JSON/JSONB, hstore, intervals, time zones,
full-text search and server-side cursors, each read back from the server."""
from __future__ import annotations

import datetime
import decimal
import importlib.util
import tracemalloc
import uuid

import pytest

import orm
from orm import (SQL, CharField, DecimalField, IntegerField, Model, ProgrammingError,
                 TextField, UUIDField, fn)
from playhouse import cockroachdb
from playhouse.postgres_ext import (ArrayField, ArrayValue, BinaryJSONField,
                                    DateTimeTZField, FetchManyCursor, HStoreField,
                                    IndexedFieldMixin, IntervalField, Json, JSONField,
                                    JsonLookup, JsonPath, Match, ObjectSlice,
                                    PooledPostgresqlExtDatabase, PooledPsycopg3Database,
                                    PostgresqlExtDatabase, Psycopg2ExtAdapter,
                                    Psycopg3Database, Psycopg3ExtAdapter, ServerSide,
                                    ServerSideQuery, TSVectorField, register_hstore_pg3)

from conftest import engine_driver, pg_connect_kwargs, require_postgres

#: psycopg 3 is installed (the tests run on both drivers)
PSYCOPG3_USABLE = importlib.util.find_spec('psycopg') is not None
_driver = {'prefer_psycopg3': False}


def ext_database(cls=PostgresqlExtDatabase, **kwargs):
    require_postgres()
    params = pg_connect_kwargs()
    params.update(kwargs)
    if cls is not Psycopg3Database and cls is not PooledPsycopg3Database:
        params.setdefault('prefer_psycopg3', _driver['prefer_psycopg3'])
    return cls(params.pop('database'), **params)


@pytest.fixture
def driver(pg_db):
    """The driver the test's PostgresqlExtDatabase objects use: the one of ``pg_db``
    (psycopg2 or psycopg3)."""
    name = engine_driver(pg_db)
    _driver['prefer_psycopg3'] = name == 'psycopg3'
    yield name
    _driver['prefer_psycopg3'] = False


@pytest.fixture
def db(pg_db, driver):
    """A PostgresqlExtDatabase on the (emptied) test database, hstore installed, on
    each driver."""
    pg_db.execute_sql('CREATE EXTENSION IF NOT EXISTS hstore')
    database = ext_database()
    assert type(database.adapter).__name__ == (
        'Psycopg3ExtAdapter' if driver == 'psycopg3' else 'Psycopg2ExtAdapter')
    yield database
    while database.transaction_depth():
        database.pop_transaction()
    if not database.is_closed():
        database.rollback()
        database.close()


class Post(Model):
    title = CharField()
    tags = ArrayField(CharField, field_kwargs={'max_length': 20}, default=list)
    grid = ArrayField(IntegerField, dimensions=2, null=True)
    ids = ArrayField(UUIDField, convert_values=True, null=True, index=False)


class Event(Model):
    data = BinaryJSONField(null=True)
    raw = JSONField(null=True)


class Item(Model):
    attrs = HStoreField(null=True)


class Task(Model):
    duration = IntervalField(null=True)
    due = DateTimeTZField(null=True)


class Doc(Model):
    body = TextField()
    search = TSVectorField(null=True)


def setup(db, *models):
    db.bind(models)
    db.create_tables(models)


def ddl(model, db):
    ctx = db.get_sql_context()
    return ctx.sql(model._schema._create_table()).query()[0]


# ---------------------------------------------------------------------------------------
# Schema
# ---------------------------------------------------------------------------------------

def test_column_types_and_gin_indexes(db):
    setup(db, Post, Event, Item, Task, Doc)
    assert ddl(Post, db) == (
        'CREATE TABLE IF NOT EXISTS "post" ("id" SERIAL NOT NULL PRIMARY KEY, '
        '"title" VARCHAR(255) NOT NULL, "tags" VARCHAR(20)[] NOT NULL, '
        '"grid" INTEGER[][], "ids" UUID[])')
    assert '"data" JSONB, "raw" JSON' in ddl(Event, db)
    assert '"attrs" HSTORE' in ddl(Item, db)
    assert '"duration" INTERVAL, "due" TIMESTAMPTZ' in ddl(Task, db)
    assert '"search" TSVECTOR' in ddl(Doc, db)
    gin = {(ix.table, ix.columns[0]) for table in ('post', 'event', 'item', 'doc')
           for ix in db.get_indexes(table) if 'USING gin' in ix.sql}
    assert gin == {('post', 'tags'), ('post', 'grid'), ('event', 'data'),
                   ('item', 'attrs'), ('doc', 'search')}     # JSON (text) and index=False: none
    assert issubclass(ArrayField, IndexedFieldMixin)
    assert ArrayField(index=False).index is False
    assert BinaryJSONField(index_type='GIST').index_type == 'GIST'


def test_cockroachdb_fields_are_the_postgres_ext_ones():
    assert issubclass(cockroachdb.ArrayField, ArrayField)
    assert issubclass(cockroachdb.JSONField, BinaryJSONField)
    assert cockroachdb.ArrayField().index is False and cockroachdb.JSONField().index is False


# ---------------------------------------------------------------------------------------
# Arrays
# ---------------------------------------------------------------------------------------

def test_array_values_round_trip(db):
    setup(db, Post)
    u1, u2 = uuid.uuid4(), uuid.uuid4()
    Post.create(title='a', tags=['python', 'orm', 'postgres'], grid=[[1, 2], [3, 4]],
                ids=[u1, u2])
    Post.create(title='b', tags=['python', 'sqlite'])
    Post.create(title='c')
    a = Post.get(Post.title == 'a')
    assert a.tags == ['python', 'orm', 'postgres'] and a.grid == [[1, 2], [3, 4]]
    assert a.ids == [u1, u2]                      # convert_values: UUID elements
    assert Post.get(Post.title == 'c').tags == []
    assert Post.ids.element_field.__class__ is UUIDField
    # the server agrees on what was stored
    assert db.execute_sql('SELECT array_length(tags, 1), grid[2][1] FROM post '
                          "WHERE title = 'a'").fetchone() == (3, 3)


def test_array_indexes_and_slices(db):
    setup(db, Post)
    Post.create(title='a', tags=['t0', 't1', 't2', 't3'], grid=[[1, 2], [3, 4]])
    row = (Post.select(Post.tags[0], Post.tags[3], Post.tags[1:3], Post.tags[:2],
                       Post.tags[2:], Post.tags['1:2'], Post.grid[1][0], Post.grid[0],
                       Post.tags.length())
           .tuples().get())
    # As in peewee 4, slices read as Python's (0-based, the end left out).
    assert row == ('t0', 't3', ['t1', 't2'], ['t0', 't1'], ['t2', 't3'],
                   ['t1'], 3, None, 4)
    assert Post.select(Post.grid[0:2][0]).scalar() == [[1], [3]]
    first = Post.select(Post.tags[0].alias('first')).get()
    assert first.first == 't0'
    assert isinstance(Post.tags[0], ObjectSlice)
    assert Post.select(Post.tags[fn.array_length(Post.tags, 1)]).scalar() == 't3'
    text = Post.select(Post.tags[0], Post.tags[1:3], Post.grid[0][1]).sql()[0]
    assert '"t1"."tags"[1], "t1"."tags"[2:3], "t1"."grid"[1][2]' in text
    for bad in (slice(0, 4, 2), -1, 1.5):
        with pytest.raises((ValueError, TypeError)):
            Post.tags[bad]


def test_array_membership(db):
    setup(db, Post)
    Post.create(title='a', tags=['python', 'orm', 'postgres'])
    Post.create(title='b', tags=['python', 'sqlite'])
    Post.create(title='c', tags=[])

    def titles(where):
        return sorted(p.title for p in Post.select().where(where))

    assert titles(Post.tags.contains('python')) == ['a', 'b']
    assert titles(Post.tags.contains('python', 'orm')) == ['a']
    assert titles(Post.tags.contains(['sqlite'])) == ['b']
    assert titles(Post.tags.contains_any('orm', 'sqlite')) == ['a', 'b']
    assert titles(Post.tags.overlap('sqlite', 'nope')) == ['b']
    assert titles(Post.tags.contained_by('python', 'sqlite', 'x')) == ['b', 'c']
    assert titles(Post.tags == []) == ['c']
    assert titles(Post.tags == ['python', 'sqlite']) == ['b']
    assert titles(Post.tags.contains(ArrayValue(Post.tags, ['orm']))) == ['a']
    text, params = Post.select().where(Post.tags.contains('x')).sql()
    assert '("t1"."tags" @> CAST(%s AS VARCHAR(20)[]))' in text and params == [['x']]


class Ids(Model):
    native = ArrayField(UUIDField, index=False)


def test_array_of_native_uuids(db):
    """UUIDs go into a uuid[] column on both drivers (psycopg2 adapts none by itself)."""
    setup(db, Ids)
    first, second = uuid.uuid4(), uuid.uuid4()
    Ids.create(native=[first, second])
    Ids.insert(native=[second]).execute()
    stored = db.execute_sql('SELECT native::text[] FROM ids ORDER BY id').fetchall()
    assert stored == [([str(first), str(second)],), ([str(second)],)]
    assert Ids.select().where(Ids.native.contains(second)).count() == 2


def test_array_element_as_update_target(db):
    setup(db, Post)
    Post.create(title='a', tags=[], grid=[[0, 1], [2, 3]])
    Post.create(title='b', tags=[], grid=[[4, 5], [6, 7]])
    assert Post.update({Post.grid[0][0]: Post.grid[0][0] + 1}).execute() == 2
    assert [p.grid for p in Post.select().order_by(Post.title)] == \
        [[[1, 1], [2, 3]], [[5, 5], [6, 7]]]


def test_array_updates_and_errors(db):
    setup(db, Post)
    post = Post.create(title='a', tags=['x'])
    post.tags = post.tags + ['y']
    post.save()
    Post.update(tags=fn.array_append(Post.tags, 'z')).execute()
    assert Post.get().tags == ['x', 'y', 'z']
    with pytest.raises(ValueError, match='expects a list'):
        Post.create(title='b', tags='not a list')
    with pytest.raises(ValueError):
        ArrayField(IntegerField, dimensions=0)
    with pytest.raises(TypeError):
        ArrayField(int)
    value = uuid.uuid4()
    assert ArrayField(UUIDField, convert_values=True).db_value([[value]][0]) == [value.hex]
    assert ArrayField(DecimalField, convert_values=True).db_value(['1.5']) == \
        [decimal.Decimal('1.5')]


# ---------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------

EVENTS = [
    {'type': 'login', 'user': {'id': 42, 'name': 'ann'}, 'ok': True, 'tags': ['a', 'b'],
     'score': 1.5},
    {'type': 'rename', 'user': {'id': 7, 'name': 'bob'}, 'ok': False, 'tags': ['b', 'c'],
     'meta': {'old': 'x'}},
    {'type': 'logout', 'user': {'id': 42}, 'tags': []},
]


@pytest.fixture
def events(db):
    setup(db, Event)
    for data in EVENTS:
        Event.create(data=data, raw=data)
    return Event


def types(query):
    return sorted(e.data['type'] for e in query)


@pytest.mark.parametrize('column', ['data', 'raw'])
def test_json_path_access(events, column):
    field = getattr(Event, column)
    assert types(Event.select().where(field['user']['name'] == 'ann')) == ['login']
    assert types(Event.select().where(field['user']['id'] == 42)) == ['login', 'logout']
    assert types(Event.select().where(field['ok'] == True)) == ['login']  # noqa: E712
    assert types(Event.select().where(field['score'] == 1.5)) == ['login']
    assert types(Event.select().where(field.path('user', 'id') == 7)) == ['rename']
    assert types(Event.select().where(field['tags'][0] == 'b')) == ['rename']
    assert types(Event.select().where(field['meta'].is_null(False))) == ['rename']
    rows = (Event.select(field['user']['id'], field['user'].as_json(),
                         field.path('tags').as_json().alias('tags'), field['tags'][1])
            .order_by(Event.id).tuples())
    assert list(rows) == [('42', {'id': 42, 'name': 'ann'}, ['a', 'b'], 'b'),
                          ('7', {'id': 7, 'name': 'bob'}, ['b', 'c'], 'c'),
                          ('42', {'id': 42}, [], None)]
    assert types(Event.select().where(field['user'].as_json() == {'id': 42})) == ['logout']
    grouped = (Event.select(field['user']['id'].alias('uid'), fn.COUNT(Event.id))
               .group_by(field['user']['id']).order_by(field['user']['id']).tuples())
    assert list(grouped) == [('42', 2), ('7', 1)]
    assert isinstance(field.path('a', 'b'), JsonPath) and isinstance(field['a'], JsonLookup)


@pytest.mark.parametrize('column', ['data', 'raw'])
def test_json_containment_and_keys(events, column):
    field = getattr(Event, column)
    where = lambda cond: types(Event.select().where(cond))   # noqa: E731
    assert where(field.contains({'type': 'login'})) == ['login']
    assert where(field.contains({'user': {'id': 42}})) == ['login', 'logout']
    assert where(field.contains({'tags': ['c', 'b']})) == ['rename']
    assert where(field['tags'].contains(['b'])) == ['login', 'rename']
    assert where(field['tags'].contains('a')) == ['login']          # array element
    assert where(field.contains('meta')) == []                      # a string, not a key
    assert where(field.has_key('meta')) == ['rename']
    assert where(field.has_key('ok')) == ['login', 'rename']
    assert where(field['user'].has_key('name')) == ['login', 'rename']
    assert where(field.has_any_keys('meta', 'score')) == ['login', 'rename']
    assert where(field.contains_any('meta', 'nope')) == ['rename']
    assert where(field.has_all_keys('ok', 'score')) == ['login']
    assert where(field.contains_all('ok', 'type')) == ['login', 'rename']
    assert where(field['user'].contained_by({'id': 42, 'name': 'ann', 'x': 1})) == \
        ['login', 'logout']
    assert where(field['tags'].length() == 0) == ['logout']
    assert where(field.contains(Json({'ok': False}))) == ['rename']


def test_json_paths_read_as_json_and_sql_json_paths(events):
    field = Event.data
    login = Event.select().where(field['type'] == 'login')
    assert login.select(field.path('user')).scalar() == {'id': 42, 'name': 'ann'}
    assert login.select(field.extract('user', 'name')).scalar() == 'ann'
    assert login.select(field['user'].extract('id')).scalar() == 42
    assert login.select(field['user'].path('name').as_json(False)).scalar() == 'ann'
    assert types(Event.select().where(field.path_exists('$.tags[*] ? (@ == "c")'))) == \
        ['rename']
    assert types(Event.select().where(field['user'].path_match('$.id > 10'))) == \
        ['login', 'logout']
    assert login.select(field.path_query_array('$.tags[*]')).scalar() == ['a', 'b']
    assert login.select(field.path_query_first('$.user.id')).scalar() == 42
    assert sorted(login.select(field.path_query('$.tags[*]')).tuples()) == [('a',), ('b',)]
    with pytest.raises(ProgrammingError, match='strings'):
        field.has_any_keys(1, 2)


def test_jsonb_path_updates(events):
    def after(expr):
        return Event.select(expr).where(Event.data['type'] == 'login').scalar()

    assert after(Event.data['ok'].replace(False))['ok'] is False
    assert 'nope' not in after(Event.data['nope'].replace(1))
    assert after(Event.data['ok'].insert(False))['ok'] is True        # already there
    assert after(Event.data['new'].insert([1]))['new'] == [1]
    assert after(Event.data['tags'].append({'x': 1}))['tags'] == ['a', 'b', {'x': 1}]
    assert after(Event.data['user'].update({'id': 1, 'age': 9}))['user'] == \
        {'id': 1, 'name': 'ann', 'age': 9}
    Event.update(data=Event.data['tags'].append('z')).where(
        Event.data['type'] == 'logout').execute()
    assert Event.get(Event.data['type'] == 'logout').data['tags'] == ['z']


class XY:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return (self.x, self.y) == (other.x, other.y)


class XYField(BinaryJSONField):
    """A JSON field converting its own values: compared in its own terms."""

    def db_value(self, value):
        if isinstance(value, XY):
            value = [value.x, value.y]
        return super().db_value(value)

    def python_value(self, value):
        return None if value is None else XY(*value)


class Spot(Model):
    at = XYField()


def test_json_field_subclass_compares_through_db_value(db):
    setup(db, Spot)
    Spot.create(at=XY(1, 2))
    Spot.insert(at=XY(3, 4)).execute()
    assert Spot.get(Spot.at == XY(3, 4)).at == XY(3, 4)
    assert Spot.update(at=XY(5, 6)).where(Spot.at != XY(3, 4)).execute() == 1
    assert sorted((s.at.x, s.at.y) for s in Spot.select()) == [(3, 4), (5, 6)]


def test_jsonb_updates(events):
    Event.update(data=Event.data.concat({'seen': True})).where(
        Event.data['type'] == 'login').execute()
    Event.update(data=Event.data.remove('tags', 'ok')).where(
        Event.data['type'] == 'rename').execute()
    Event.update(data=Event.data['user']['name'].set('zed')).where(
        Event.data['type'] == 'logout').execute()
    Event.update(data=Event.data['meta'].remove()).where(
        Event.data['type'] == 'rename').execute()
    Event.update(raw=Event.raw['user'].remove('name')).where(
        Event.raw['type'] == 'login').execute()
    rows = {e.data['type']: e for e in Event.select().order_by(Event.id)}
    assert rows['login'].data['seen'] is True
    assert rows['rename'].data == {'type': 'rename', 'user': {'id': 7, 'name': 'bob'}}
    assert rows['logout'].data['user'] == {'id': 42, 'name': 'zed'}
    assert rows['login'].raw['user'] == {'id': 42}               # a json column too
    merged = Event.select(Event.data['user'].concat({'x': 1})).where(
        Event.data['type'] == 'rename').scalar()
    assert merged == {'id': 7, 'name': 'bob', 'x': 1}


def test_json_values_and_sql(db):
    setup(db, Event)
    event = Event.create(data=Json({'a': [1, 2]}), raw=[1, 'two', None])
    assert Event.get_by_id(event.id).data == {'a': [1, 2]}
    assert Event.get_by_id(event.id).raw == [1, 'two', None]
    Event.create(data='just a string', raw=3)
    assert Event.select().where(Event.data == 'just a string').count() == 1
    assert Event.select().where(Event.raw.contains(3)).count() == 1
    text, params = Event.select(Event.data['a']['b']).where(
        Event.data.contains({'x': 1})).sql()
    assert text == ('SELECT ("t1"."data" -> %s ->> %s) FROM "event" AS "t1" '
                    'WHERE ("t1"."data" @> CAST(%s AS JSONB))')
    assert params == ['a', 'b', '{"x": 1}']
    assert '(CAST("t1"."raw" AS JSONB) ? CAST(%s AS TEXT))' in \
        Event.select().where(Event.raw.has_key('k')).sql()[0]
    with pytest.raises(ValueError):
        Event.data.path()


# ---------------------------------------------------------------------------------------
# hstore
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('register', [False, True], ids=['text', 'registered'])
def test_hstore(db, register):
    if register:
        db = ext_database(register_hstore=True)
    setup(db, Item)
    Item.create(attrs={'color': 'red', 'size': 'L', 'note': None, 'q"uote': 'a\\b, c=>d'})
    Item.create(attrs={'color': 'blue', 'weight': '2'})
    Item.create(attrs={})
    first = Item.get_by_id(1)
    assert first.attrs == {'color': 'red', 'size': 'L', 'note': None, 'q"uote': 'a\\b, c=>d'}
    assert Item.get_by_id(3).attrs == {}

    def ids(where):
        return sorted(i.id for i in Item.select().where(where))

    assert ids(Item.attrs['color'] == 'red') == [1]
    assert ids(Item.attrs.contains({'color': 'blue'})) == [2]
    assert ids(Item.attrs.contains(['color', 'size'])) == [1]
    assert ids(Item.attrs.contains('weight')) == [2]
    assert ids(Item.attrs.contains_any('size', 'weight')) == [1, 2]
    assert ids(Item.attrs.exists('note')) == [1]
    assert ids(Item.attrs.defined('note')) == []
    assert ids(Item.attrs.defined('size')) == [1]
    row = (Item.select(Item.attrs.keys().alias('k'), Item.attrs.values().alias('v'),
                       Item.attrs.items().alias('kv'), Item.attrs.slice('color', 'x')
                       .alias('s'))
           .where(Item.id == 2).get())
    assert sorted(row.k) == ['color', 'weight'] and sorted(row.v) == ['2', 'blue']
    assert sorted(row.kv) == [['color', 'blue'], ['weight', '2']]
    assert row.s == {'color': 'blue'}
    Item.update(attrs=Item.attrs.update({'size': 'M'}, fresh='yes')).where(
        Item.id == 2).execute()
    Item.update(attrs=Item.attrs.delete('size', 'note')).where(Item.id == 1).execute()
    assert Item.get_by_id(2).attrs == {'color': 'blue', 'weight': '2', 'size': 'M',
                                       'fresh': 'yes'}
    assert Item.get_by_id(1).attrs == {'color': 'red', 'q"uote': 'a\\b, c=>d'}
    assert Item.select(Item.attrs.delete('color')).where(Item.id == 1).scalar() == \
        {'q"uote': 'a\\b, c=>d'}
    with pytest.raises(ValueError, match='dict'):
        Item.create(attrs=['x'])
    db.close()


def test_register_hstore_without_the_extension(pg_db, driver):
    pg_db.execute_sql('DROP EXTENSION IF EXISTS hstore')
    db = ext_database(register_hstore=True)
    with pytest.raises(orm.ImproperlyConfigured, match='CREATE EXTENSION hstore'):
        db.connect()
    assert db.is_closed()


# ---------------------------------------------------------------------------------------
# Intervals, time zones, full-text search
# ---------------------------------------------------------------------------------------

def test_interval_and_datetimetz(db):
    setup(db, Task)
    utc = datetime.timezone.utc
    due = datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.timezone(
        datetime.timedelta(hours=2)))
    Task.create(duration=datetime.timedelta(days=30, seconds=5), due=due)
    Task.create(duration=3600, due=datetime.datetime(2024, 1, 1, tzinfo=utc))
    db.set_time_zone('UTC')
    tasks = list(Task.select().order_by(Task.id))
    assert tasks[0].duration == datetime.timedelta(days=30, seconds=5)
    assert tasks[1].duration == datetime.timedelta(hours=1)
    assert tasks[0].due == due and tasks[0].due.utcoffset() == datetime.timedelta(0)
    assert Task.select().where(Task.duration > datetime.timedelta(days=1)).count() == 1
    assert Task.select().where(Task.due < datetime.datetime(2024, 3, 1, tzinfo=utc)) \
        .count() == 1
    later = Task.select(Task.due + Task.duration).where(Task.id == 2).scalar()
    assert later == datetime.datetime(2024, 1, 1, 1, tzinfo=utc)
    with pytest.raises(ValueError, match='timedelta'):
        Task.create(duration='soon')


def test_full_text_search(db):
    setup(db, Doc)
    texts = ['The quick brown fox jumps', 'A lazy dog sleeps all day',
             'Foxes and dogs are not friends']
    for text in texts:
        Doc.create(body=text, search=fn.to_tsvector('english', text))

    def bodies(where):
        return [d.body for d in Doc.select().where(where).order_by(Doc.id)]

    assert bodies(Doc.search.match('fox')) == [texts[0], texts[2]]      # stemmed: foxes
    assert bodies(Doc.search.match('fox & !jump')) == [texts[2]]
    assert bodies(Doc.search.match('lazy dog', plain=True)) == [texts[1]]
    assert bodies(Doc.search.match('dogs', language='english')) == [texts[1], texts[2]]
    assert bodies(Match(Doc.body, 'sleep', language='english')) == [texts[1]]
    assert bodies(Match(Doc.body, 'quick & brown')) == [texts[0]]
    assert bodies(Match(Doc.body, 'not friends', plain=True)) == [texts[2]]
    assert "'fox'" in Doc.get_by_id(1).search


# ---------------------------------------------------------------------------------------
# Server-side cursors
# ---------------------------------------------------------------------------------------

class Row(Model):
    n = IntegerField()
    pad = TextField()


@pytest.fixture
def big(db):
    setup(db, Row)
    db.execute_sql("INSERT INTO row (n, pad) SELECT g, repeat('x', 40) "
                   "FROM generate_series(1, 100000) AS g")
    return db


def open_cursors(db):
    return db.execute_sql('SELECT count(*) FROM pg_cursors').fetchone()[0]


def test_server_side_streams_100k_rows(big):
    db = big
    query = Row.select(Row.n, Row.pad).order_by(Row.n).tuples()
    stream = ServerSide(query, array_size=1000)
    tracemalloc.start()
    try:
        first = next(stream)
        assert first == (1, 'x' * 40)
        assert db.in_transaction() and open_cursors(db) == 1
        total, checksum = 1, 1
        ssq_cursor = None
        for n, _pad in stream:
            total += 1
            checksum += n
            if total % 10000 == 0:
                ssq_cursor = ssq_cursor or db.execute_sql(
                    'SELECT count(*) FROM pg_cursors').fetchone()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 100000 and checksum == 100000 * 100001 // 2
    assert ssq_cursor == (1,)
    assert peak < 3 * 1024 * 1024, peak          # all rows at once take ~15 MB
    assert not db.in_transaction() and open_cursors(db) == 0


def test_server_side_query_fetches_in_batches(big):
    db = big
    with db.atomic():
        query = ServerSideQuery(Row.select().order_by(Row.n), array_size=500)
        seen = []
        for row in query:
            seen.append(row.n)
            cursor = query.cursor
            assert isinstance(cursor, FetchManyCursor)
            # never more than one batch ahead of what was consumed
            assert cursor.rows_fetched - len(seen) < 500
            if len(seen) == 2750:
                break
        assert seen == list(range(1, 2751))
        assert (cursor.fetches, cursor.rows_fetched) == (6, 3000)
        assert query._cursor_wrapper.row_cache == []    # rows are not cached
        assert open_cursors(db) == 1
        assert query.close() is True
        assert open_cursors(db) == 0
        assert db.in_transaction()                      # the caller's transaction
    assert ServerSideQuery(Row.select()).close() is False     # never ran


def test_server_side_generator_closed_early_ends_its_transaction(big):
    db = big
    stream = ServerSide(Row.select().order_by(Row.n), array_size=100)
    assert [next(stream).n for _ in range(150)] == list(range(1, 151))
    assert db.in_transaction()
    Row.create(n=-1, pad='written while streaming')
    stream.close()
    # as in peewee: leaving the loop early rolls ServerSide's own transaction back
    assert not db.in_transaction() and open_cursors(db) == 0
    assert Row.select().where(Row.n == -1).count() == 0


def test_server_side_own_transaction_commits_a_full_loop_and_rolls_back_errors(big):
    db = big
    query = Row.select(Row.n).where(Row.n <= 300).order_by(Row.n).tuples()
    for (n,) in ServerSide(query, array_size=100):
        if n == 300:
            Row.create(n=-1, pad='kept')                     # loop runs to the end
    assert not db.in_transaction() and open_cursors(db) == 0
    assert Row.select().where(Row.n == -1).count() == 1

    with pytest.raises(ZeroDivisionError):
        for (n,) in ServerSide(query, array_size=100):
            Row.create(n=-2, pad='discarded')
            if n == 150:
                1 / 0                                        # error in the loop body
    assert not db.in_transaction() and open_cursors(db) == 0
    assert Row.select().where(Row.n == -2).count() == 0      # nothing half-written

    with pytest.raises(orm.ProgrammingError):                # error running the query
        list(ServerSide(Row.select().where(SQL('no_such_column = 1'))))
    assert not db.in_transaction() and open_cursors(db) == 0


def test_server_side_inside_the_callers_transaction(big):
    db = big
    with db.atomic():
        rows = list(ServerSide(Row.select(Row.n).where(Row.n <= 2500).order_by(Row.n)
                               .dicts(), array_size=1000))
        assert rows[0] == {'n': 1} and len(rows) == 2500
        # the cursor is released at the end of the loop; the transaction stays open
        assert db.in_transaction() and open_cursors(db) == 0
        for row in ServerSide(Row.select().order_by(Row.n), array_size=10):
            Row.create(n=-3, pad='kept: the caller owns the transaction')
            break
        assert db.in_transaction() and open_cursors(db) == 0
        last = list(ServerSide(Row.select(Row.n).order_by(Row.n.desc()).limit(1)
                               .namedtuples()))
        assert last[0].n == 100000
    assert Row.select().where(Row.n == -3).count() == 1


def test_server_side_cursors_option(big):
    db = ext_database(server_side_cursors=True)
    try:
        with db.bind_ctx([Row]):
            cursor = db.execute(Row.select().where(Row.n <= 5))
            assert isinstance(cursor, FetchManyCursor)
            assert [r[1] for r in cursor.fetchall()] == [1, 2, 3, 4, 5]
            cursor.close()
            assert Row.select().count() == 100000
            assert [r.n for r in Row.select().where(Row.n > 99997).order_by(Row.n)] == \
                [99998, 99999, 100000]
            assert Row.select().where(Row.n == 10).get().pad == 'x' * 40
            with db.atomic():
                assert len(list(Row.select(Row.n).limit(2500).tuples())) == 2500
            assert not isinstance(db.execute(Row.update(pad='y').where(Row.n == 1)),
                                  FetchManyCursor)
    finally:
        db.close()


def test_server_side_needs_the_ext_database(pg_db):
    class Plain(Model):
        x = IntegerField()

        class Meta:
            database = pg_db

    with pytest.raises(orm.NotSupportedError, match='PostgresqlExtDatabase'):
        list(ServerSide(Plain.select()))
    assert not pg_db.in_transaction()


def test_server_side_errors_are_wrapped(db):
    with pytest.raises(orm.ProgrammingError):
        db.execute_sql('SELECT * FROM missing_table', named_cursor=True)
    db.rollback()


# ---------------------------------------------------------------------------------------
# Pooling and drivers
# ---------------------------------------------------------------------------------------

def test_pooled_ext_database(db):
    pooled = ext_database(PooledPostgresqlExtDatabase, max_connections=2,
                          register_hstore=True)
    setup(pooled, Item)
    pooled.close()
    for _ in range(3):
        with pooled.connection_context():
            Item.create(attrs={'k': 'v'})
            assert Item.select().where(Item.attrs['k'] == 'v').count() >= 1
    assert pooled.pool_stats()['opened'] == 1
    with pooled.atomic():
        assert [i.id for i in ServerSide(Item.select().order_by(Item.id))] == [1, 2, 3]
    pooled.close()
    assert pooled.close_all() == 1


def test_psycopg3_names():
    assert Psycopg2ExtAdapter.available()
    assert issubclass(Psycopg2ExtAdapter, orm.Psycopg2Adapter)
    assert issubclass(Psycopg3ExtAdapter, orm.Psycopg3Adapter)
    assert PostgresqlExtDatabase.psycopg2_adapter is Psycopg2ExtAdapter
    assert PostgresqlExtDatabase.psycopg3_adapter is Psycopg3ExtAdapter
    db = Psycopg3Database('app')
    assert isinstance(db, PostgresqlExtDatabase) and isinstance(db.adapter, Psycopg3ExtAdapter)
    assert db._adapter is db.adapter
    pooled = PooledPsycopg3Database('app', max_connections=2)
    ext = PostgresqlExtDatabase('app', prefer_psycopg3=True)
    assert 'prefer_psycopg3' not in ext.connect_params
    assert isinstance(PostgresqlExtDatabase('app').adapter, Psycopg2ExtAdapter)
    if not PSYCOPG3_USABLE:
        # psycopg 3 missing: a clear error, psycopg2 is kept
        for database in (db, pooled):
            with pytest.raises(orm.ImproperlyConfigured, match='psycopg'):
                database.connect()
        assert isinstance(ext.adapter, Psycopg2ExtAdapter)
    else:
        assert isinstance(ext.adapter, Psycopg3ExtAdapter)
        for database in (db, pooled):
            with pytest.raises(orm.OperationalError):      # psycopg 3 tries: no db 'app'
                database.connect()
        explicit = Psycopg3Database('app', prefer_psycopg3=False)
        with pytest.raises(orm.ImproperlyConfigured, match='prefer_psycopg3=False'):
            explicit.connect()
    if importlib.util.find_spec('psycopg') is None:
        with pytest.raises(orm.ImproperlyConfigured, match='psycopg'):
            register_hstore_pg3(None)


@pytest.mark.engines('psycopg3')   # about psycopg 3; pg_db only prepares the database
def test_psycopg3_database_on_the_server(pg_db):
    if not PSYCOPG3_USABLE:
        pytest.skip('psycopg 3 is not installed')
    pg_db.execute_sql('CREATE EXTENSION IF NOT EXISTS hstore')
    for cls in (Psycopg3Database, PooledPsycopg3Database):
        database = ext_database(cls, register_hstore=True)
        try:
            setup(database, Item)
            Item.create(attrs={'k': 'v', 'none': None})
            assert Item.get().attrs == {'k': 'v', 'none': None}
            assert type(database.connection()).__module__.split('.')[0] == 'psycopg'
            assert [i.attrs['k'] for i in ServerSide(Item.select())] == ['v']
            database.drop_tables([Item])
        finally:
            database.close()


def test_docs_page_examples(docs_pg_dsn, tmp_path):
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run(
        [sys.executable, os.path.join(root, 'docs', 'check_examples.py'), '--require-postgres',
         os.path.join(root, 'docs', 'postgres_ext.rst')],
        cwd=str(tmp_path), capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONPATH=root, ORM_PG_DSN=docs_pg_dsn))
    assert result.returncode == 0, result.stdout + result.stderr
