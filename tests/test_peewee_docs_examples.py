"""What a new user trying the examples of peewee's own documentation ran into (issue 12),
each written here as our own test, on every engine it concerns:

1. ``from playhouse.<module> import *`` gives orm's core names too;
2. ``PooledSqliteExtDatabase`` and ``sqliteext+pool://`` URLs;
3. ``@db.collation(name)`` gives the function a ``collation(expr)`` shorthand;
4. ``field.asc(collation=...)`` writes ``COLLATE`` before the direction;
5. values inside index expressions are written inline (SQLite takes no parameters there);
6. ``JSONPath.insert()``, ``replace()`` and ``append()`` (and ``JSONField.append()``);
7. ``Database.interval()``.
"""
from __future__ import annotations

import datetime
import importlib

import pytest

from conftest import engine_name
from orm import (Cast, CharField, DateTimeField, IntegerField, JSONField, Model,
                 NotSupportedError, SqliteDatabase, TextField, TimestampField, fn)


# -- 1. star imports -------------------------------------------------------------------------
@pytest.mark.parametrize('module, own', [
    ('playhouse.sqlite_ext', ['SqliteExtDatabase', 'FTSModel', 'JSONField']),
    ('playhouse.postgres_ext', ['PostgresqlExtDatabase', 'ArrayField', 'BinaryJSONField',
                                'JSONField']),
    ('playhouse.migrate', ['SchemaMigrator', 'migrate', 'SqliteMigrator']),
    ('playhouse.cockroachdb', ['CockroachDatabase', 'run_transaction', 'JSONField']),
])
def test_star_import_gives_the_core_names(module, own):
    names: dict = {}
    exec('from %s import *' % module, names)
    for core in ('Model', 'CharField', 'TextField', 'ForeignKeyField', 'SqliteDatabase',
                 'PostgresqlDatabase', 'IntegrityError', 'fn', 'JOIN', 'Check', 'SQL'):
        assert core in names, '%s does not give %s' % (module, core)
    imported = importlib.import_module(module)
    for name in own:
        # a name the module defines itself wins over orm's of the same name
        assert names[name] is getattr(imported, name)
    assert all(not name.startswith('_') for name in imported.__all__)


def test_postgres_ext_star_import_runs_a_model(pg_db):
    names: dict = {}
    exec('from playhouse.postgres_ext import *', names)

    class Post(names['Model']):
        title = names['CharField']()
        tags = names['ArrayField'](names['CharField'])

        class Meta:
            database = pg_db

    pg_db.create_tables([Post])
    Post.create(title='hello', tags=['a', 'b'])
    assert Post.get(Post.tags.contains('b')).title == 'hello'


def test_migrate_star_import_runs_a_migration(db):
    names: dict = {}
    exec('from playhouse.migrate import *', names)

    class Thing(names['Model']):
        name = names['CharField']()

        class Meta:
            database = db

    db.create_tables([Thing])
    migrator = names['SchemaMigrator'].from_database(db)
    names['migrate'](migrator.add_column('thing', 'size', names['IntegerField'](null=True)))
    assert [c.name for c in db.get_columns('thing')] == ['id', 'name', 'size']


# -- 2. the pooled SQLite extension database -------------------------------------------------
def test_pooled_sqlite_ext_database(tmp_path):
    from playhouse.pool import PooledSqliteExtDatabase
    from playhouse.sqlite_ext import SqliteExtDatabase

    memory = PooledSqliteExtDatabase(':memory:')
    assert memory.execute_sql('SELECT 1').fetchone() == (1,)
    memory.close()

    db = PooledSqliteExtDatabase(str(tmp_path / 'pooled.db'), max_connections=2)
    assert isinstance(db, SqliteExtDatabase)
    with db.connection_context():
        first = db.connection()
        db.execute_sql('CREATE TABLE t (x)')
    with db.connection_context():
        assert db.connection() is first          # handed back to the pool, then reused
    db.close_all()


def test_sqliteext_pool_url(tmp_path):
    from playhouse.db_url import connect
    from playhouse.pool import PooledSqliteExtDatabase

    db = connect('sqliteext+pool:///%s' % (tmp_path / 'url.db'), max_connections=3)
    assert type(db) is PooledSqliteExtDatabase
    assert db.execute_sql('SELECT 2').fetchone() == (2,)
    db.close_all()


# -- 3 and 4. collations ----------------------------------------------------------------------
def _book_model(db):
    class Book(Model):
        title = CharField()

        class Meta:
            database = db
    db.create_tables([Book])
    for title in ('b', 'A', 'c'):
        Book.create(title=title)
    return Book


def test_collation_decorator_gives_a_collation_shorthand(sqlite_db):
    @sqlite_db.collation('ireverse')
    def collate_reverse(s1, s2):
        s1, s2 = s1.lower(), s2.lower()
        return (s1 < s2) - (s1 > s2)

    assert collate_reverse('a', 'b') == 1         # still the function itself
    Book = _book_model(sqlite_db)
    query = Book.select().order_by(collate_reverse.collation(Book.title))
    assert query.sql()[0].endswith('ORDER BY "t1"."title" COLLATE ireverse')
    assert [b.title for b in query] == ['c', 'b', 'A']
    same = Book.select().order_by(Book.title.asc(collation='ireverse'))
    assert [b.title for b in same] == ['c', 'b', 'A']
    # usable in a comparison too; a plain value is bound as a parameter
    assert Book.select().where(collate_reverse.collation(Book.title) == 'a').count() == 1
    assert Book.select().where(Book.title == collate_reverse.collation('a')).count() == 1


def test_collation_name_defaults_to_the_function_name(sqlite_db):
    @sqlite_db.collation()
    def backwards(a, b):
        return (a < b) - (a > b)

    Book = _book_model(sqlite_db)
    assert [b.title for b in Book.select().order_by(backwards.collation(Book.title))] == \
        ['c', 'b', 'A']


def test_ordering_with_a_collation_runs(db):
    Book = _book_model(db)
    # by code point (capitals first): SQLite's BINARY, PostgreSQL's ucs_basic, MySQL's
    # utf8mb4_bin
    collation = {'sqlite': 'BINARY', 'mysql': 'utf8mb4_bin'}.get(engine_name(db), 'ucs_basic')
    query = Book.select().order_by(Book.title.desc(collation=collation))
    sql = query.sql()[0].replace('`', '"')
    assert sql.endswith('ORDER BY "t1"."title" COLLATE %s DESC' % collation)
    assert [b.title for b in query] == ['c', 'b', 'A']
    query = Book.select().order_by(Book.title.asc(collation=collation))
    assert [b.title for b in query] == ['A', 'b', 'c']


# -- 5. literals inline in index expressions --------------------------------------------------
def test_expression_indexes_with_literals(db):
    class Article(Model):
        name = TextField()
        timestamp = TimestampField()
        status = IntegerField()

        class Meta:
            database = db

    Article.add_index(Article.index(Article.timestamp.desc(), Article.status.bin_and(4),
                                    unique=True))
    Article.add_index(fn.SUBSTR(Article.name, 1, 3), name='article_name_prefix')
    if engine_name(db) == 'mysql':      # a partial index is refused there when compiled
        with pytest.raises(NotSupportedError, match='partial'):
            db.get_sql_context().sql(Article.index(Article.name).where(Article.status == 1))
    else:
        Article.add_index(Article.index(Article.name).where(Article.status == 1))
    statements = [s.query() for s in Article._schema._create_indexes()]
    statements = [(sql.replace('`', '"'), params) for sql, params in statements]
    assert all(params == [] for _, params in statements)
    assert statements[0][0] == (
        'CREATE UNIQUE INDEX IF NOT EXISTS "article_timestamp" ON "article" '
        '("timestamp" DESC, ("status" & 4))')         # named after the fields, as in peewee
    if engine_name(db) == 'mysql':
        # the rest is an index on SUBSTR() (MySQL 8 has them, MariaDB not) and the
        # partial one
        return
    assert statements[1][0].endswith('"article_name_prefix" ON "article" '
                                     '(SUBSTR("name", 1, 3))')
    assert statements[2][0].endswith('ON "article" ("name") WHERE ("status" = 1)')

    db.create_tables([Article])
    indexes = {i.name: i for i in db.get_indexes('article')}
    assert {'article_timestamp', 'article_name_prefix', 'article_name'} <= set(indexes)
    assert indexes['article_timestamp'].unique is True
    Article.create(name='alpha', timestamp=datetime.datetime(2024, 1, 1), status=5)
    assert Article.select().where(fn.SUBSTR(Article.name, 1, 3) == 'alp').count() == 1


# -- 6. JSONPath.insert() / replace() / append() ----------------------------------------------
def _docs(db):
    class Doc(Model):
        data = JSONField(null=True)

        class Meta:
            database = db
    db.create_tables([Doc])
    return Doc


def _contents(Doc):
    return [d.data for d in Doc.select().order_by(Doc.id)]


def test_json_path_insert_writes_only_where_absent(db):
    Doc = _docs(db)
    Doc.create(data={'count': 1})
    Doc.create(data={'other': True})
    Doc.create(data={'count': None})            # a stored JSON null counts as present
    Doc.update(data=Doc.data['count'].insert(0)).execute()
    assert _contents(Doc) == [{'count': 1}, {'other': True, 'count': 0}, {'count': None}]
    Doc.update(data=Doc.data['meta'].insert({'env': 'prod'})).execute()
    assert all(d['meta'] == {'env': 'prod'} for d in _contents(Doc))


def test_json_path_replace_writes_only_where_present(db):
    Doc = _docs(db)
    Doc.create(data={'count': 1, 'tags': ['a']})
    Doc.create(data={'other': True})
    Doc.update(data=Doc.data['count'].replace(99)).execute()
    Doc.update(data=Doc.data['tags'][0].replace('z')).execute()
    assert _contents(Doc) == [{'count': 99, 'tags': ['z']}, {'other': True}]
    Doc.update(data=Doc.data['other'].replace(['x', 1])).execute()
    assert _contents(Doc)[1] == {'other': ['x', 1]}


def test_json_path_append_adds_to_the_array(db):
    Doc = _docs(db)
    Doc.create(data={'tags': ['a']})
    Doc.create(data={'tags': []})
    Doc.update(data=Doc.data['tags'].append('python')).execute()
    Doc.update(data=Doc.data['tags'].append({'k': [1, None]})).execute()
    assert _contents(Doc) == [{'tags': ['a', 'python', {'k': [1, None]}]},
                              {'tags': ['python', {'k': [1, None]}]}]


def test_json_path_append_where_nothing_is_yet(db):
    Doc = _docs(db)
    Doc.create(data={'a': 1})
    Doc.update(data=Doc.data['tags'].append('x')).execute()
    Doc.update(data=Doc.data['a'].append('y')).execute()       # not an array: left alone
    if engine_name(db) == 'mysql':
        # JSON_ARRAY_APPEND as the server has it, as in peewee: MariaDB returns NULL
        # for the missing path (the document is lost), MySQL ignores it and wraps 1
        assert _contents(Doc) == ([None] if db.mariadb else [{'a': [1, 'y']}])
    elif engine_name(db) == 'sqlite':
        assert _contents(Doc) == [{'a': 1, 'tags': ['x']}]      # a new array
    else:
        assert _contents(Doc) == [{'a': 1}]                     # PostgreSQL ignores it


def test_json_path_as_text_contains_and_subquery_membership(db):
    Doc = _docs(db)
    for name, n in (('cherry', 5), ('apple', 6), ('errand', 7)):
        Doc.create(data={'name': name, 'n': n})
    # read as text, contains() is a substring test (JSON containment otherwise)
    found = Doc.select().where(Doc.data['name'].as_text().contains('err'))
    assert sorted(d.data['name'] for d in found) == ['cherry', 'errand']
    names = Doc.select(Doc.data['name'].as_text()).where(Doc.data['n'] == 5)
    assert [d.data['n'] for d in Doc.select().where(
        Doc.data['name'].as_text().in_(names))] == [5]
    assert sorted(d.data['n'] for d in Doc.select().where(
        Doc.data['name'].as_text().not_in(names))) == [6, 7]


def test_json_field_append_to_the_root_array(db):
    Doc = _docs(db)
    Doc.create(data=[1])
    Doc.update(data=Doc.data.append(2)).execute()
    Doc.update(data=Doc.data.append('three')).execute()
    assert _contents(Doc) == [[1, 2, 'three']]


# -- 7. Database.interval() -------------------------------------------------------------------
def test_interval_in_date_arithmetic(pg_db):
    class Booking(Model):
        starttime = DateTimeField()
        slots = IntegerField()

        class Meta:
            database = pg_db

    pg_db.create_tables([Booking])
    Booking.create(starttime=datetime.datetime(2024, 1, 31, 10), slots=3)
    endtime = Booking.starttime + (Booking.slots * pg_db.interval('30 minutes'))
    row = Booking.select(Booking.starttime, endtime.alias('endtime')).tuples().get()
    assert row[1].replace(tzinfo=None) == datetime.datetime(2024, 1, 31, 11, 30)
    month = pg_db.truncate_date('month', Booking.starttime)
    next_month = Cast(month + pg_db.interval('1 month'), 'date')
    assert Booking.select(next_month).scalar() == datetime.date(2024, 2, 1)
    with pytest.raises(TypeError, match='30 minutes'):
        pg_db.interval(30)


def test_interval_is_refused_where_there_is_no_interval_type(sqlite_db):
    with pytest.raises(NotSupportedError, match='no interval type'):
        sqlite_db.interval('30 minutes')
    assert isinstance(sqlite_db, SqliteDatabase)
