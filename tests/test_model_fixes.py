"""Regression tests for model-layer fixes, each run on every engine and checked against
what the engine returns."""
from __future__ import annotations

import datetime

import pytest

from conftest import engine_name
from orm import (JOIN, SQL, CharField, DateField, DateTimeField, Database, ForeignKeyField,
                 IntegerField, ManyToManyField, Model, ModelIndex, NotSupportedError,
                 OperationalError, PostgresqlDatabase, Select, SqliteDatabase, TextField,
                 TimestampField, fn, prefetch)


def index_names(db, table):
    # (PostgreSQL also lists the primary key's own index, "<table>_pkey", MySQL "PRIMARY")
    return sorted(ix.name for ix in db.get_indexes(table)
                  if not ix.name.endswith('_pkey') and ix.name != 'PRIMARY')


# =========================================================================================
# 1. save(only=...) clears the dirty flags of the saved fields only
# =========================================================================================

class Page(Model):
    title = CharField(default='')
    body = TextField(default='')
    views = IntegerField(default=0)


def test_save_only_keeps_other_fields_dirty(setup):
    setup(Page)
    page = Page.create(title='t0', body='b0')
    assert not page.is_dirty()

    page.title = 'x'
    page.body = 'b'
    assert page.save(only=[Page.title]) == 1
    assert page.is_dirty()
    assert page.dirty_fields == [Page.body]
    stored = Page.get_by_id(page.id)
    assert (stored.title, stored.body) == ('x', 'b0')

    # the remaining change is still pending and is written by the next save
    page.save()
    assert not page.is_dirty()
    stored = Page.get_by_id(page.id)
    assert (stored.title, stored.body) == ('x', 'b')


def test_save_only_by_name_and_on_insert(setup):
    setup(Page)
    page = Page(title='new', body='unsaved', views=3)
    page.save(only=['title', 'views'])
    assert page.id is not None
    assert page.dirty_fields == [Page.body]
    stored = Page.get_by_id(page.id)
    assert (stored.title, stored.body, stored.views) == ('new', '', 3)


def test_only_save_dirty_still_clears_everything(setup):
    class Draft(Model):
        title = CharField(default='')
        body = TextField(default='')

        class Meta:
            only_save_dirty = True

    setup(Draft)
    draft = Draft.create(title='a', body='b')
    draft.body = 'c'
    draft.save()
    assert not draft.is_dirty()
    assert Draft.get_by_id(draft.id).body == 'c'


# =========================================================================================
# 2. DateTimeField / DateField .truncate() read back as datetime / date
# =========================================================================================

class Event(Model):
    name = CharField()
    at = DateTimeField()
    on = DateField()


@pytest.fixture
def events(setup):
    setup(Event)
    Event.create(name='a', at=datetime.datetime(2024, 5, 6, 7, 8, 9),
                 on=datetime.date(2024, 5, 6))
    Event.create(name='b', at=datetime.datetime(2024, 5, 6, 23, 0, 0),
                 on=datetime.date(2024, 5, 20))
    Event.create(name='c', at=datetime.datetime(2024, 7, 1, 0, 30, 0),
                 on=datetime.date(2024, 7, 1))


def test_datetime_truncate_returns_datetime(events):
    query = (Event.select(Event.name, Event.at.truncate('day').alias('day'),
                          Event.at.truncate('hour').alias('hour'),
                          Event.at.truncate('month').alias('month'))
             .order_by(Event.name))
    rows = list(query.tuples())
    assert rows == [
        ('a', datetime.datetime(2024, 5, 6), datetime.datetime(2024, 5, 6, 7),
         datetime.datetime(2024, 5, 1)),
        ('b', datetime.datetime(2024, 5, 6), datetime.datetime(2024, 5, 6, 23),
         datetime.datetime(2024, 5, 1)),
        ('c', datetime.datetime(2024, 7, 1), datetime.datetime(2024, 7, 1, 0),
         datetime.datetime(2024, 7, 1)),
    ]
    for row in rows:
        assert all(type(v) is datetime.datetime for v in row[1:])
    # model rows and dicts convert the same way
    first = query.first()
    assert first.day == datetime.datetime(2024, 5, 6)
    assert query.dicts()[0]['month'] == datetime.datetime(2024, 5, 1)


def test_date_truncate_returns_date(events):
    rows = list(Event.select(Event.on.truncate('month'), Event.on.truncate('year'))
                .order_by(Event.name).tuples())
    assert rows == [(datetime.date(2024, 5, 1), datetime.date(2024, 1, 1)),
                    (datetime.date(2024, 5, 1), datetime.date(2024, 1, 1)),
                    (datetime.date(2024, 7, 1), datetime.date(2024, 1, 1))]
    assert all(type(v) is datetime.date for row in rows for v in row)


def test_truncate_in_group_by_and_where(events):
    day = Event.at.truncate('day')
    rows = list(Event.select(day.alias('day'), fn.COUNT(Event.id).alias('n'))
                .group_by(day).order_by(day).tuples())
    assert rows == [(datetime.datetime(2024, 5, 6), 2), (datetime.datetime(2024, 7, 1), 1)]
    names = [e.name for e in Event.select().where(day == datetime.datetime(2024, 5, 6))
             .order_by(Event.name)]
    assert names == ['a', 'b']


# =========================================================================================
# 3. Model.add_index() with expressions, names, strings and options
# =========================================================================================

# not on MySQL: MariaDB indexes no expressions (MySQL 8.0.13 does, as "functional
# key parts"), and the suite runs on MariaDB
@pytest.mark.engines('sqlite', 'postgres')
def test_add_index_on_an_expression(db, setup):
    class Article(Model):
        title = CharField()
        status = CharField(default='draft')

    Article.add_index(fn.LOWER(Article.title), name='article_title_lower', unique=True)
    setup(Article)
    assert 'article_title_lower' in index_names(db, 'article')
    Article.create(title='Hello')
    with pytest.raises(Exception) as exc_info:
        with db.atomic():
            Article.create(title='HELLO')       # same lower-cased title
    assert 'unique' in str(exc_info.value).lower()
    assert Article.select().count() == 1


# not on MySQL: it has no partial indexes (CREATE INDEX ... WHERE)
@pytest.mark.engines('sqlite', 'postgres')
def test_add_index_fields_strings_and_options(db, setup):
    class Post(Model):
        slug = CharField()
        status = CharField(default='draft')
        rank = IntegerField(default=0)

    Post.add_index(Post.slug, unique=True, where=(Post.status == 'published'),
                   name='post_published_slug')
    Post.add_index('status', 'rank')
    Post.add_index(Post.index(Post.rank.desc(), name='post_rank_desc'))
    Post.add_index(SQL('CREATE INDEX post_raw ON post (slug, rank)'))
    setup(Post)
    assert index_names(db, 'post') == ['post_published_slug', 'post_rank_desc', 'post_raw',
                                       'post_status_rank']
    # the partial unique index: drafts may share a slug, published posts may not
    Post.create(slug='s')
    Post.create(slug='s')
    Post.create(slug='s', status='published')
    with pytest.raises(Exception):
        with db.atomic():
            Post.create(slug='s', status='published')
    assert Post.select().where(Post.status == 'published').count() == 1


def test_add_index_rejects_options_for_a_finished_index():
    class Note(Model):
        text = CharField()

    with pytest.raises(ValueError, match='finished index'):
        Note.add_index(ModelIndex(Note, (Note.text,)), unique=True)


# =========================================================================================
# 4. INNER joins build the joined object (unless its columns are all NULL and the selected
#    foreign key can load it: see test_row_building.py); OUTER joins give None when
#    nothing matched
# =========================================================================================

class Author(Model):
    nickname = CharField(null=True)


class Entry(Model):
    author = ForeignKeyField(Author, null=True, backref='entries')
    text = CharField()


@pytest.fixture
def entries(setup):
    setup(Author, Entry)
    anon = Author.create(nickname=None)
    Entry.create(author=anon, text='by anon')
    Entry.create(author=None, text='orphan')
    return anon


def test_inner_join_builds_object_with_all_null_columns(entries):
    rows = list(Entry.select(Entry.text, Author.nickname).join(Author))
    assert len(rows) == 1
    author = rows[0].author
    assert isinstance(author, Author)
    assert author.nickname is None


def test_outer_join_without_match_gives_none(entries):
    rows = {e.text: e for e in Entry.select(Entry, Author).join(Author, JOIN.LEFT_OUTER)}
    assert rows['orphan'].author is None
    assert isinstance(rows['by anon'].author, Author)
    assert rows['by anon'].author.id == entries.id


def test_inner_join_with_attr_and_dict_rows(entries):
    rows = list(Author.select(Author.nickname, Entry.text)
                .join(Entry, on=(Entry.author == Author.id), attr='entry'))
    assert len(rows) == 1 and isinstance(rows[0].entry, Entry)
    assert rows[0].entry.text == 'by anon'


# =========================================================================================
# 5. Generated index names start with the model's name (peewee's rule)
# =========================================================================================

def test_index_names_use_the_model_name(db, setup):
    class BlogPost(Model):
        title = CharField(index=True)

        class Meta:
            table_name = 'custom_posts'

    class SnakePost(Model):
        title = CharField(index=True)
        body = TextField()

        class Meta:
            legacy_table_names = False
            indexes = ((('title', 'body'), True),)

    class NamedSnake(Model):
        title = CharField(index=True)

        class Meta:
            legacy_table_names = False
            table_name = 'xx_named'

    setup(BlogPost, SnakePost, NamedSnake)
    # legacy_table_names (the default): the lower-cased model name, not the table name
    assert index_names(db, 'custom_posts') == ['blogpost_title']
    # legacy_table_names = False: the table name
    assert index_names(db, 'snake_post') == ['snake_post_title', 'snake_post_title_body']
    assert index_names(db, 'xx_named') == ['xx_named_title']
    BlogPost.create(title='x')
    assert BlogPost.select().where(BlogPost.title == 'x').count() == 1


def test_foreign_key_index_and_long_names(db, setup):
    class Owner(Model):
        name = CharField()

    class Thing(Model):
        owner = ForeignKeyField(Owner)
        a_very_long_field_name_number_one = CharField()
        a_very_long_field_name_number_two = CharField()

        class Meta:
            table_name = 'things'
            indexes = ((('a_very_long_field_name_number_one',
                         'a_very_long_field_name_number_two'), True),)

    setup(Owner, Thing)
    # 64 characters at most, as in peewee; fitted to PostgreSQL's 63 bytes there
    long_name = 'thing_a_very_long_field_name_number_one_a_very_long_fiel_05acc33'
    if engine_name(db) == 'postgres':
        long_name = db.dialect.fit_generated_name(long_name)
        assert len(long_name) == 63 and long_name.startswith(
            'thing_a_very_long_field_name_number_one_a_very_long_')
    assert index_names(db, 'things') == [long_name, 'thing_owner_id']
    if engine_name(db) == 'mysql':
        # InnoDB keeps an index for every foreign key: dropping the last one is refused
        with pytest.raises(OperationalError, match='foreign key'):
            db.execute_sql('DROP INDEX thing_owner_id ON things')
        db.execute_sql('ALTER TABLE things DROP FOREIGN KEY %s'
                       % db.get_foreign_keys('things')[0].name)
    Thing._schema.drop_indexes()
    assert index_names(db, 'things') == []


# =========================================================================================
# 6. ManyToManyField('self')
# =========================================================================================

class Station(Model):
    name = CharField()
    trains_to = ManyToManyField('self', backref='trains_from')


Service = Station.trains_to.get_through_model()


def names(query):
    return sorted(s.name for s in query)


def test_self_referential_through_model():
    assert Service._meta.sorted_field_names == ['id', 'from_station', 'to_station']
    assert Service.from_station.rel_model is Station
    assert Service.to_station.rel_model is Station
    assert Service._meta.table_name == 'station_station_through'


def test_self_referential_many_to_many(setup, db):
    setup(Station, Service)
    hub, port, mill, dale = (Station.create(name=n) for n in ('hub', 'port', 'mill', 'dale'))
    hub.trains_to.add([port, mill, dale])
    mill.trains_to.add(hub)
    port.trains_from.add(mill)                   # through the backref: mill -> port

    assert names(hub.trains_to) == ['dale', 'mill', 'port']
    assert names(mill.trains_to) == ['hub', 'port']
    assert names(dale.trains_to) == []
    assert names(port.trains_from) == ['hub', 'mill']
    assert names(hub.trains_from) == ['mill']
    links = sorted(Service.select(Service.from_station, Service.to_station).tuples())
    assert links == sorted([(hub.id, port.id), (hub.id, mill.id), (hub.id, dale.id),
                            (mill.id, hub.id), (mill.id, port.id)])

    assert hub.trains_to.remove([port, dale]) == 2
    assert names(hub.trains_to) == ['mill']
    assert names(port.trains_from) == ['mill']
    dale.trains_to = [hub, port]                 # assignment replaces dale's links
    assert names(dale.trains_to) == ['hub', 'port']
    assert port.trains_from.clear() == 2
    assert names(dale.trains_to) == ['hub'] and names(mill.trains_to) == ['hub']

    # one link per ordered pair
    with pytest.raises(Exception):
        with db.atomic():
            mill.trains_to.add(hub)

    # filtering on the generated keys directly
    into_hub = (Station.select()
                .join(Service, on=(Service.from_station == Station.id))
                .where(Service.to_station == hub))
    assert names(into_hub) == ['dale', 'mill']
    hub.delete_instance(recursive=True)
    assert [(s.from_station_id, s.to_station_id) for s in Service.select()] == []


# =========================================================================================
# 8. peewee API: get_or_none(), selected_columns, like()/ilike(), write CTEs,
#    execute_returning(), Database.server_version
# =========================================================================================

class Item(Model):
    name = CharField()
    qty = IntegerField(default=0)


class Archive(Model):
    name = CharField()


@pytest.fixture
def items(setup):
    setup(Item, Archive)
    for name, qty in (('Apple', 3), ('banana', 5), ('old pear', 1), ('old plum', 2)):
        Item.create(name=name, qty=qty)


def test_model_select_get_or_none(items, db):
    assert Item.select().where(Item.name == 'Apple').get_or_none().qty == 3
    assert Item.select().where(Item.name == 'nothing').get_or_none() is None
    assert Item.select().where(Item.qty > 100).get_or_none(db) is None
    compound = (Item.select().where(Item.qty == 5) | Item.select().where(Item.qty == 50))
    assert compound.get_or_none().name == 'banana'


def test_selected_columns(items):
    query = Item.select(Item.name).where(Item.qty > 2).order_by(Item.name)
    assert query.selected_columns == (Item.name,)
    query.selected_columns = [Item.name, Item.qty]
    assert query.selected_columns == (Item.name, Item.qty)
    assert list(query.tuples()) == [('Apple', 3), ('banana', 5)]
    query.selected_columns = [Item]             # a model stands for its fields
    assert [i.qty for i in query] == [3, 5]
    plain = Select([Item._meta.table], [SQL('1')])
    plain.selected_columns = [Item.qty]
    assert plain.selected_columns == (Item.qty,)


def test_like_and_ilike(items, db):
    def found(expr):
        return sorted(i.name for i in Item.select().where(expr))

    if engine_name(db) == 'sqlite':
        # SQLite: like() is the case-sensitive GLOB (wildcards * and ?), as in peewee
        assert found(Item.name.like('old*')) == ['old pear', 'old plum']
        assert found(Item.name.like('a*')) == []
    else:
        assert found(Item.name.like('old%')) == ['old pear', 'old plum']
        assert found(Item.name.like('a%')) == []
    assert found(Item.name.ilike('a%')) == ['Apple']
    assert found(Item.name.ilike('%P%')) == ['Apple', 'old pear', 'old plum']
    assert found(Item.name.ilike('%AN%')) == ['banana']


@pytest.mark.engines('postgres')
def test_delete_cte_moves_rows(items, db):
    moved = (Item.delete().where(Item.name.startswith('old'))
             .returning(Item.name).cte('moved'))
    insert = (Archive.insert_from(Select([moved], [moved.c.name]), [Archive.name])
              .with_cte(moved))
    insert.execute()
    assert sorted(a.name for a in Archive.select()) == ['old pear', 'old plum']
    assert sorted(i.name for i in Item.select()) == ['Apple', 'banana']


@pytest.mark.engines('postgres')
def test_update_cte_in_a_select(items, db):
    bumped = (Item.update(qty=Item.qty + 10).where(Item.qty < 3)
              .returning(Item.name, Item.qty).cte('bumped'))
    query = (Select([bumped], [bumped.c.name, bumped.c.qty]).with_cte(bumped)
             .order_by(bumped.c.name).bind(db))
    assert list(query.tuples()) == [('old pear', 11), ('old plum', 12)]
    assert Item.get(Item.name == 'old plum').qty == 12


@pytest.mark.engines('sqlite')
def test_write_cte_is_not_supported_on_sqlite(items, db):
    moved = Item.delete().returning(Item.name).cte('moved')
    query = Select([moved], [moved.c.name]).with_cte(moved).bind(db)
    with pytest.raises(NotSupportedError, match='WITH clause'):
        list(query)
    assert Item.select().count() == 4


def test_execute_returning(items, db):
    if not db.dialect.returning_clause:
        pytest.skip('this SQLite has no RETURNING')
    if not db.dialect.update_returning:
        pytest.skip('%s has no UPDATE ... RETURNING' % db.dialect.display_name)
    rows = (Item.update(qty=Item.qty * 2).where(Item.qty >= 3)
            .returning(Item.name, Item.qty).execute_returning())
    assert sorted((r.name, r.qty) for r in rows) == [('Apple', 6), ('banana', 10)]
    deleted = Item.delete().where(Item.name == 'nothing').returning(Item.id)
    assert list(deleted.execute_returning(db)) == []
    with pytest.raises(ValueError, match='returning'):
        Item.delete().where(Item.id == 0).execute_returning()
    assert sorted(i.qty for i in Item.select()) == [1, 2, 6, 10]


def test_server_version(db):
    assert Database.server_version is None
    assert PostgresqlDatabase('unconnected').server_version is None
    if engine_name(db) == 'sqlite':
        assert isinstance(SqliteDatabase(':memory:').server_version, tuple)
        assert db.server_version >= (3, 0, 0)
    elif engine_name(db) == 'mysql':   # a tuple, as peewee's MySQLDatabase has it
        assert isinstance(db.server_version, tuple) and db.server_version >= (5, 7)
    else:
        assert isinstance(db.server_version, int) and db.server_version >= 90000


# =========================================================================================
# 9. Meta.options: PostgreSQL storage parameters; a clear error on SQLite
# =========================================================================================

@pytest.mark.engines('sqlite')
def test_meta_options_on_sqlite_is_a_clear_error(db):
    class Tuned(Model):
        name = TextField()

        class Meta:
            database = db
            options = {'fillfactor': 70}

    with pytest.raises(NotSupportedError, match='fillfactor=70.*PostgreSQL'):
        Tuned.create_table()
    assert 'tuned' not in db.get_tables()


# =========================================================================================
# Reported fixed elsewhere: prefetch under ORDER BY + LIMIT, TimestampField parts
# =========================================================================================

class Shelf(Model):
    label = CharField()


class Book(Model):
    shelf = ForeignKeyField(Shelf, backref='books')
    title = CharField()


# not on MySQL: prefetch() reads the related rows WHERE key IN (the outer query), and
# MariaDB and MySQL refuse a LIMIT inside IN (subquery) (error 1235)
@pytest.mark.engines('sqlite', 'postgres')
@pytest.mark.parametrize('ordering', ['desc', 'asc'])
def test_prefetch_with_order_by_and_limit_on_the_outer_query(setup, ordering):
    setup(Shelf, Book)
    for label in 'abcde':
        shelf = Shelf.create(label=label)
        for n in range(2):
            Book.create(shelf=shelf, title='%s%d' % (label, n))
    order = Shelf.label.desc() if ordering == 'desc' else Shelf.label.asc()
    shelves = prefetch(Shelf.select().order_by(order).limit(2), Book.select())
    expected = ['e', 'd'] if ordering == 'desc' else ['a', 'b']
    assert [s.label for s in shelves] == expected
    for shelf in shelves:
        assert sorted(b.title for b in shelf.books) == [shelf.label + '0', shelf.label + '1']
    # with an offset too
    shelves = prefetch(Shelf.select().order_by(order).limit(2).offset(1), Book.select())
    expected = ['d', 'c'] if ordering == 'desc' else ['b', 'c']
    assert [s.label for s in shelves] == expected
    assert [sorted(b.title for b in s.books) for s in shelves] == [
        [label + '0', label + '1'] for label in expected]


def test_timestamp_field_parts(setup):
    class Stamp(Model):
        ts = TimestampField(utc=True)
        ms = TimestampField(resolution=1000, utc=True)
        local = TimestampField()

    setup(Stamp)
    when = datetime.datetime(2023, 11, 14, 9, 41, 27)
    Stamp.create(ts=when, ms=when.replace(microsecond=250000), local=when)
    other = datetime.datetime(2021, 2, 3, 4, 5, 6)
    Stamp.create(ts=other, ms=other, local=other)
    rows = list(Stamp.select(Stamp.ts.year, Stamp.ts.month, Stamp.ts.day, Stamp.ts.hour,
                             Stamp.ts.minute, Stamp.ts.second, Stamp.ms.year,
                             Stamp.ms.second, Stamp.local.year, Stamp.local.month)
                .order_by(Stamp.id).tuples())
    assert rows == [(2023, 11, 14, 9, 41, 27, 2023, 27, 2023, 11),
                    (2021, 2, 3, 4, 5, 6, 2021, 6, 2021, 2)]
    assert all(type(v) is int for row in rows for v in row)
    assert Stamp.select().where(Stamp.ts.year == 2021).count() == 1
    assert Stamp.select().where(Stamp.local.year == 2023).count() == 1
    stored = Stamp.get(Stamp.ts.year == 2023)
    assert stored.ts == when and stored.ms == when.replace(microsecond=250000)
    assert stored.local == when
