"""Eager loading with Load / with_related() and prefetch() through aliases: every
strategy gives the same rows, on every engine, with one query per relation."""
from __future__ import annotations

import logging

import pytest

from orm import (PREFETCH_TYPE, CharField, ForeignKeyField, IntegerField, Load, Model,
                 prefetch)

STRATEGIES = pytest.mark.parametrize(
    'strategy', [PREFETCH_TYPE.WHERE, PREFETCH_TYPE.JOIN, PREFETCH_TYPE.MATERIALIZE],
    ids=['where', 'join', 'materialize'])


class Shelf(Model):
    label = CharField()


class Book(Model):
    shelf = ForeignKeyField(Shelf, backref='books')
    title = CharField()
    year = IntegerField()


class Review(Model):
    book = ForeignKeyField(Book, backref='reviews')
    stars = IntegerField()


class Node(Model):
    name = CharField()
    up = ForeignKeyField('self', backref='below', null=True)


MODELS = [Shelf, Book, Review, Node]


@pytest.fixture
def lib(db):
    db.bind(MODELS)
    db.create_tables(MODELS)
    shelves = {label: Shelf.create(label=label) for label in ('art', 'maths', 'poetry')}
    books = {}
    for label, title, year in (('art', 'colour', 1990), ('art', 'form', 2001),
                               ('art', 'light', 2015), ('maths', 'sets', 1980),
                               ('maths', 'groups', 2010)):
        books[title] = Book.create(shelf=shelves[label], title=title, year=year)
    for title, stars in (('colour', 4), ('colour', 5), ('light', 3), ('sets', 2),
                         ('light', 1)):
        Review.create(book=books[title], stars=stars)
    top = Node.create(name='top')
    left = Node.create(name='left', up=top)
    Node.create(name='right', up=top)
    Node.create(name='leaf', up=left)
    return db


class Statements:
    def __init__(self) -> None:
        self.sql: list = []

    def __enter__(self) -> 'Statements':
        self.handler = logging.Handler()
        self.handler.emit = lambda record: self.sql.append(record.msg)  # type: ignore
        logger = logging.getLogger('orm')
        self.level = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(self.handler)
        return self

    def __exit__(self, *exc: object) -> None:
        logger = logging.getLogger('orm')
        logger.removeHandler(self.handler)
        logger.setLevel(self.level)


def titles(shelf):
    return sorted(book.title for book in shelf.books)


@STRATEGIES
def test_backref_and_foreign_key_in_one_query_each(lib, strategy):
    with Statements() as seen:
        shelves = list(Shelf.select().order_by(Shelf.label)
                       .with_related(Load(Shelf.books, strategy=strategy)))
        assert [(s.label, titles(s)) for s in shelves] == [
            ('art', ['colour', 'form', 'light']), ('maths', ['groups', 'sets']),
            ('poetry', [])]
        assert all(book.shelf is shelves[0] for book in shelves[0].books)
        books = list(Book.select().order_by(Book.title)
                     .with_related(Load(Book.shelf, strategy=strategy)))
        assert [(b.title, b.shelf.label) for b in books][:2] == [('colour', 'art'),
                                                                 ('form', 'art')]
    assert len(seen.sql) == 4
    assert not any(s.is_dirty() for s in shelves)


@STRATEGIES
def test_limited_and_aliased_parents(lib, strategy):
    limited = (Shelf.select().order_by(Shelf.label.desc()).limit(2)
               .with_related(Load(Shelf.books, strategy=strategy)))
    assert [(s.label, titles(s)) for s in limited] == [
        ('poetry', []), ('maths', ['groups', 'sets'])]
    aliased = Shelf.alias('sa')
    query = (aliased.select().where(aliased.label != 'poetry').order_by(aliased.label)
             .with_related(Load(Shelf.books, strategy=strategy)))
    assert [(s.label, len(s.books)) for s in query] == [('art', 3), ('maths', 2)]
    # a self-referencing model seen through an alias: the keys are the alias's
    up = Node.alias('n2')
    roots = (up.select().where(up.up.is_null())
             .with_related(Load(Node.below, strategy=strategy).then(Node.below)))
    (root,) = list(roots)
    assert sorted((n.name, [m.name for m in n.below]) for n in root.below) == [
        ('left', ['leaf']), ('right', [])]


@STRATEGIES
def test_nested_and_bare_relations(lib, strategy):
    with Statements() as seen:
        query = (Shelf.select().where(Shelf.label == 'art')
                 .with_related(Load(Shelf.books, strategy=strategy)
                               .then(Book.reviews, Load(Book.shelf, strategy=strategy))))
        (art,) = list(query)
        stars = {b.title: sorted(r.stars for r in b.reviews) for b in art.books}
        assert {b.shelf.label for b in art.books} == {'art'}
    assert stars == {'colour': [4, 5], 'form': [], 'light': [1, 3]}
    assert len(seen.sql) == 4


@STRATEGIES
def test_per_parent_counts_each_child_once_under_a_to_many_join(lib, strategy):
    # books joined to their reviews repeat a book per review; each shelf still keeps
    # its two newest books, each once
    newest = Book.select().join(Review).order_by(Book.year.desc())
    query = (Shelf.select().order_by(Shelf.label)
             .with_related(Load(Shelf.books, newest, strategy=strategy, per_parent=2)))
    assert [(s.label, [b.title for b in s.books]) for s in query] == [
        ('art', ['light', 'colour']), ('maths', ['sets']), ('poetry', [])]
    # ranked by a column of the joined rows: a book's best review counts
    best = Book.select().join(Review).order_by(Review.stars.desc())
    query = (Shelf.select().where(Shelf.label == 'art')
             .with_related(Load(Shelf.books, best, strategy=strategy, per_parent=1)))
    assert [[b.title for b in s.books] for s in query] == [['colour']]


def test_materialize_sends_the_keys_it_holds(lib):
    with Statements() as seen:
        list(Shelf.select().with_related(
            Load(Shelf.books, strategy=PREFETCH_TYPE.MATERIALIZE)))
    sql, params = seen.sql[-1]
    assert sql.count('SELECT') == 1
    assert sorted(params) == sorted(s.id for s in Shelf.select())


def test_load_arguments_are_checked():
    with pytest.raises(ValueError, match='back-reference'):
        Load(Book.title)
    with pytest.raises(ValueError, match='strategy'):
        Load(Shelf.books, strategy='join')
    with pytest.raises(ValueError, match='model instances'):
        Load(Shelf.books, Book.select().dicts())
    with pytest.raises(ValueError):
        Load(Shelf.books).then(Book.title)
    with pytest.raises(ValueError):
        Shelf.select().with_related(Shelf.label)
    assert Load(Book.alias().shelf).fk is Book.shelf
    assert Load(Shelf.alias().books).fk is Book.shelf


def test_prefetch_through_aliases_of_one_model(lib):
    child, grandchild = Node.alias('c'), Node.alias('g')
    roots = prefetch(Node.select().where(Node.up.is_null()), child, (grandchild, child))
    assert [(r.name, sorted((c.name, [g.name for g in c.below]) for c in r.below))
            for r in roots] == [('top', [('left', ['leaf']), ('right', [])])]


def test_prefetch_edge_cases(lib):
    query = Shelf.select()
    assert prefetch(query) is query
    with pytest.raises(ValueError, match='MATERIALIZE'):
        prefetch(Shelf.select(), Book.select(), prefetch_type=PREFETCH_TYPE.MATERIALIZE)
    with pytest.raises(AttributeError):
        prefetch(Review.select(), Shelf.select())
