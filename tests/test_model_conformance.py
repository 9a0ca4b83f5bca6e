"""Model behaviour peewee documents and orm now follows (issue 12), on every engine:
instances, relations, many-to-many links, inserts and eager loading."""
from __future__ import annotations

import pytest

from conftest import engine_name
from helpers import count_queries
from orm import (SQL, CharField, CompositeKey, ForeignKeyField, IntegerField,
                 IntegrityError, Load, ManyToManyField, Model, PREFETCH_TYPE, TextField,
                 fn)
from orm.manytomany import DeferredThroughModel


class Shelf(Model):
    label = CharField()


class Book(Model):
    shelf = ForeignKeyField(Shelf, null=True, backref='books')
    title = CharField()
    pages = IntegerField(default=100)


class Loan(Model):
    book = ForeignKeyField(Book, backref='loans')
    backup = ForeignKeyField(Book, null=True, backref='backup_loans')
    days = IntegerField(default=14)


class Stock(Model):
    shop = CharField()
    item = CharField()
    qty = IntegerField()

    class Meta:
        primary_key = CompositeKey('shop', 'item')


class Reader(Model):
    name = CharField()


class Card(Model):
    """A reader's card: its primary key is the foreign key to the reader."""
    reader = ForeignKeyField(Reader, primary_key=True)


class Club(Model):
    name = CharField()
    cards = ManyToManyField(Card, backref='clubs')


CardClub = Club.cards.get_through_model()

QuietLinks = DeferredThroughModel()


class Topic(Model):
    name = CharField()
    readers = ManyToManyField(Reader, through_model=QuietLinks)


class TopicReader(Model):
    topic = ForeignKeyField(Topic, backref='!')
    reader = ForeignKeyField(Reader, backref='!')


QuietLinks.set_model(TopicReader)

MODELS = [Shelf, Book, Loan, Stock, Reader, Card, Club, CardClub, Topic, TopicReader]


@pytest.fixture
def lib(db):
    db.bind(MODELS)
    db.create_tables(MODELS)
    return db


# -- instances --------------------------------------------------------------------------------
def test_dirty_field_names(lib) -> None:
    book = Book.create(title='Dune')
    assert book.dirty_field_names == []
    book.pages = 412
    book.title = 'Dune Messiah'
    assert book.dirty_field_names == ['title', 'pages']       # in field order
    book.save(only=[Book.title])
    assert book.dirty_field_names == ['pages']


def test_composite_key_takes_a_tuple_of_every_part(lib) -> None:
    Stock.create(shop='north', item='tea', qty=3)
    assert Stock.get_by_id(('north', 'tea')).qty == 3
    for wrong in (('north',), 'nt', ('north', 'tea', 'x')):
        with pytest.raises(ValueError):
            Stock.get_by_id(wrong)
        with pytest.raises(ValueError):
            Stock.delete_by_id(wrong)
    assert Stock.select().count() == 1


def test_a_callable_backref_names_each_subclass_afresh() -> None:
    class Desk(Model):
        pass

    class Item(Model):
        desk = ForeignKeyField(Desk, backref=lambda fk: fk.model._meta.name + '_items')

    class Pen(Item):
        pass

    class Lamp(Item):
        desk = ForeignKeyField(Desk, backref='lamps')

    class Cup(Item):
        pass

    assert Pen.desk.backref == 'pen_items' and Desk.pen_items.rel_model is Pen
    assert Desk.item_items.rel_model is Item and Desk.lamps.rel_model is Lamp

    class Shelved(Model):
        desk = ForeignKeyField(Desk, backref='shelved')

    class Binder(Shelved):
        pass

    assert Binder.desk.backref == 'binder_set'     # a plain name is not inherited


def test_delete_on_an_instance_is_refused_as_both_errors(lib) -> None:
    book = Book.create(title='Emma')
    with pytest.raises(TypeError):
        book.delete()
    with pytest.raises(AttributeError, match='delete_instance'):
        book.delete()
    assert Book.select().count() == 1


# -- foreign keys ------------------------------------------------------------------------------
def test_key_of_an_object_assigned_before_it_was_saved(lib) -> None:
    shelf = Shelf(label='new')
    book = Book(title='Kim', shelf=shelf)
    assert book.shelf_id is None
    shelf.save()
    with count_queries() as counter:
        assert book.shelf_id == shelf.id
        book.save()
    assert counter.count == 1
    assert Book.get(Book.title == 'Kim').shelf.label == 'new'


def test_reassigning_the_key_keeps_a_matching_object_only(lib) -> None:
    shelf = Shelf.create(label='a')
    other = Shelf.create(label='b')
    book = Book.create(title='Ulysses', shelf=shelf)
    book.shelf_id = shelf.id
    with count_queries() as counter:
        assert book.shelf is shelf                    # the same row: kept
    assert counter.count == 0
    book.shelf_id = other.id
    assert book.shelf.label == 'b'


def test_a_foreign_key_that_is_a_primary_key_links_by_its_value(lib) -> None:
    ann = Reader.create(name='ann')
    card = Card.create(reader=ann)
    chess = Club.create(name='chess')
    chess.cards.add(card)
    assert [c.reader_id for c in chess.cards] == [ann.id]
    assert [c.name for c in card.clubs] == ['chess']
    assert list(Club.create(name='empty').cards) == []


# -- many-to-many ------------------------------------------------------------------------------
def test_many_to_many_refuses_unsaved_rows(lib) -> None:
    club = Club(name='unsaved')
    with pytest.raises(ValueError):
        club.cards
    with pytest.raises(ValueError):
        club.cards = []
    saved = Club.create(name='go')
    # a related row never saved: refused before the database sees a link to nothing
    with pytest.raises(IntegrityError):
        with lib.atomic():
            saved.cards.add(Card())
    with pytest.raises(ValueError):
        saved.cards.add(Card())
    assert list(saved.cards) == []


def test_remove_of_nothing_returns_none(lib) -> None:
    card = Card.create(reader=Reader.create(name='bo'))
    club = Club.create(name='x')
    club.cards.add(card)
    assert club.cards.remove([]) is None
    assert club.cards.remove(card) == 1


def test_through_model_with_bang_backrefs(lib) -> None:
    ann = Reader.create(name='ann')
    topic = Topic.create(name='poetry')
    TopicReader.create(topic=topic, reader=ann)
    assert [r.name for r in topic.readers] == ['ann']


def test_actions_belong_on_a_given_through_model() -> None:
    with pytest.raises(ValueError):
        ManyToManyField(Reader, through_model=TopicReader, on_delete='CASCADE')
    with pytest.raises(ValueError):
        ManyToManyField(Reader, through_model=TopicReader, on_update='CASCADE')


# -- inserts ---------------------------------------------------------------------------------
def test_insert_many_tuples_may_give_the_defaulted_fields_too(lib) -> None:
    Book.insert_many([('a',), ('b', 7)], fields=[Book.title]).execute()
    assert [(b.title, b.pages) for b in Book.select().order_by(Book.title)] == \
        [('a', 100), ('b', 7)]
    with pytest.raises(ValueError):
        Book.insert_many([('c', 1, 2, 3)], fields=[Book.title]).execute()


def test_insert_from_hand_written_sql(lib) -> None:
    Book.create(title='Walden')
    Shelf.insert_from(SQL('SELECT title FROM book'), [Shelf.label]).execute()
    assert [s.label for s in Shelf.select()] == ['Walden']


def test_implicit_returning_of_the_key(lib) -> None:
    query = Shelf.insert(label='x')
    if lib.dialect.returning_clause and lib.dialect.insert_returns_pk:
        assert query.sql()[0].endswith('RETURNING "shelf"."id"')
        new_id = query.execute()
        assert list(query) == [(new_id,)]                       # no second run
        many = Shelf.insert_many([('p',), ('q',)], fields=[Shelf.label]).execute()
        assert [key for key, in many] == [new_id + 1, new_id + 2]
        assert many.select[0] is Shelf.id
    else:
        assert 'RETURNING' not in query.sql()[0]
        assert query.execute() == 1
    assert Shelf.select().count() >= 1


# not on MySQL: new keys come from the driver's lastrowid there, which a composite key
# has not, and returning_clause= is SQLite's option
@pytest.mark.engines('sqlite', 'postgres')
def test_inserts_hand_back_their_keys_composite_ones_as_tuples(db, make_db) -> None:
    # PostgreSQL always reads new keys with RETURNING; SQLite when asked to by
    # returning_clause=True (peewee's option)
    target = db if db.dialect.insert_returns_pk else make_db(returning_clause=True)
    target.bind([Stock, Shelf])
    target.create_tables([Stock, Shelf])
    assert Stock.insert(shop='a', item='pen', qty=1).execute() == ('a', 'pen')
    assert list(Stock.insert_many([('a', 'ink', 2), ('b', 'pen', 3)]).execute()) == \
        [('a', 'ink'), ('b', 'pen')]
    assert Stock.insert_many([('c', 'x', 1), ('c', 'y', 1)]).as_rowcount().execute() == 2
    # an insert that conflicts and is ignored has no new key
    assert Stock.insert(shop='a', item='pen', qty=9).on_conflict_ignore().execute() is None
    first = Shelf.insert(label='s').execute()
    assert list(Shelf.insert_many([('t',)], fields=[Shelf.label]).execute()) == \
        [(first + 1,)]
    assert sorted(Stock.select(Stock.shop, Stock.item, Stock.qty).tuples()) == [
        ('a', 'ink', 2), ('a', 'pen', 1), ('b', 'pen', 3), ('c', 'x', 1), ('c', 'y', 1)]
    assert [s.label for s in Shelf.select().order_by(Shelf.id)] == ['s', 't']


def test_on_conflict_must_say_what_and_where(lib) -> None:
    base = Shelf.insert(id=1, label='a')
    with pytest.raises(ValueError):
        base.on_conflict(conflict_target=[Shelf.id]).execute()
    if engine_name(lib) == 'mysql':
        return    # ON DUPLICATE KEY UPDATE needs no target: MySQL finds the key itself
    with pytest.raises(ValueError):
        base.on_conflict(update={Shelf.label: 'b'}).execute()


# -- queries -----------------------------------------------------------------------------------
def test_join_picks_the_key_named_after_the_model(lib) -> None:
    one, two = Book.create(title='one'), Book.create(title='two')
    Loan.create(book=one, backup=two)
    loan = Loan.select(Loan, Book).join(Book).get()      # two keys: "book" is the one
    assert loan.book.title == 'one'


def test_scalar_reads_one_row(lib) -> None:
    for title in ('a', 'b', 'c'):
        Book.create(title=title)
    query = Book.select(Book.title).order_by(Book.title.desc())
    with count_queries() as counter:
        assert query.scalar() == 'c'
    assert counter.sql[0].endswith('LIMIT %s' % lib.param) or 'LIMIT' in counter.sql[0]
    assert [b.title for b in query] == ['c', 'b', 'a']        # the query itself is unlimited


def test_distinct_takes_a_list(lib) -> None:
    query = Book.select(Book.title).distinct([Book.title])
    assert query._distinct == (Book.title,)


def test_with_related_on_a_compound_query(lib) -> None:
    top, low = Shelf.create(label='top'), Shelf.create(label='low')
    for shelf, titles in ((top, 'ab'), (low, 'c')):
        for title in titles:
            Book.create(shelf=shelf, title=title)
    lhs = Shelf.select().where(Shelf.label == 'top')
    rhs = Shelf.select().where(Shelf.label == 'low')
    for strategy in (PREFETCH_TYPE.WHERE, PREFETCH_TYPE.JOIN, PREFETCH_TYPE.MATERIALIZE):
        with count_queries() as counter:
            rows = sorted((s.label, sorted(b.title for b in s.books))
                          for s in (lhs | rhs).with_related(Load(Shelf.books,
                                                                 strategy=strategy)))
        assert rows == [('low', ['c']), ('top', ['a', 'b'])]
        assert counter.count == 2


def test_iterator_refuses_relations_to_load(lib) -> None:
    query = Shelf.select().with_related(Load(Shelf.books))
    with pytest.raises(ValueError):
        query.iterator()
    assert list(Shelf.select().iterator()) == []


def test_group_concat_style_aggregate_keeps_its_text(lib) -> None:
    for title in ('x', 'y'):
        Book.create(title=title, pages=3)
    total = fn.SUM(Book.pages)
    assert Book.select(total).scalar() == 6


def test_insert_with_empty_returning_runs_without_returning(lib) -> None:
    query = Shelf.insert(label='plain').returning()
    assert 'RETURNING' not in query.sql()[0]
    new = query.execute()
    if lib.dialect.insert_returns_pk:
        assert new is None              # PostgreSQL gives no key without RETURNING
    else:
        assert new == Shelf.get(Shelf.label == 'plain').id       # SQLite's lastrowid
    assert Shelf.insert_many([('a',), ('b',)], fields=[Shelf.label]).returning() \
        .execute() == 2
    assert Shelf.select().count() == 3
