"""The statement cache by query shape (orm/shapes.py) must never serve a different query,
and must bind fresh parameters on every call.  Runs on every engine."""
from __future__ import annotations

import datetime
import logging

import pytest

import orm
from orm import (CharField, DateTimeField, ForeignKeyField, IntegerField, Model, SQL,
                 TextField, fn)
from orm.shapes import shape_cache



def _models(db):
    class Base(Model):
        class Meta:
            database = db

    class Author(Base):
        name = CharField()
        rank = IntegerField(default=0)
        note = TextField(null=True)

    class Book(Base):
        author = ForeignKeyField(Author, backref='books')
        title = CharField()
        stamp = DateTimeField(default=datetime.datetime(2020, 1, 1, 12, 0, 0, 123456))

    db.create_tables([Author, Book])
    return Author, Book


def _statements(caplog):
    return [r.msg for r in caplog.records if r.name == 'orm' and isinstance(r.msg, tuple)]


def test_get_by_id_binds_each_key_fresh(db, caplog):
    Author, _ = _models(db)
    ids = [Author.create(name='a%d' % i, rank=i).id for i in range(5)]
    caplog.set_level(logging.DEBUG, logger='orm')
    caplog.clear()
    got = [Author.get_by_id(pk) for pk in reversed(ids)]
    assert [a.name for a in got] == ['a4', 'a3', 'a2', 'a1', 'a0']
    assert [a.rank for a in got] == [4, 3, 2, 1, 0]
    statements = _statements(caplog)
    assert len({sql for sql, _ in statements}) == 1          # one shape, compiled once
    assert [params[0] for _, params in statements] == list(reversed(ids))
    assert not any(a.is_dirty() for a in got)


def test_get_by_id_missing_row_and_key_types(db):
    Author, _ = _models(db)
    pk = Author.create(name='x').id
    with pytest.raises(Author.DoesNotExist, match='no Author row matches'):
        Author.get_by_id(pk + 100)
    assert Author.get_by_id(str(pk)).name == 'x'     # converted by the key field
    assert Author[pk].name == 'x'
    assert pk in Author and (pk + 100) not in Author


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_cache_is_emptied_when_the_table_changes(db):
    Author, _ = _models(db)
    pk = Author.create(name='x', rank=3).id
    assert Author.get_by_id(pk).rank == 3
    assert shape_cache(Author._meta)
    db.execute_sql('ALTER TABLE "author" ADD COLUMN "extra" INTEGER DEFAULT 7')
    Author._meta.add_field('extra', IntegerField(default=7))
    assert not shape_cache(Author._meta)
    obj = Author.get_by_id(pk)
    assert obj.extra == 7 and obj.rank == 3
    new = Author.create(name='y', extra=9)
    assert Author.get_by_id(new.id).extra == 9
    Author._meta.remove_field('extra')
    assert Author.get_by_id(new.id).__data__.keys() == {'id', 'name', 'rank', 'note'}


def test_rebinding_to_another_database_uses_its_own_statement(db, tmp_path):
    Author, _ = _models(db)
    Author.create(name='here')
    other = orm.SqliteDatabase(str(tmp_path / 'other.db'))
    other.connect()
    try:
        with Author.bind_ctx(other, bind_refs=False, bind_backrefs=False):
            other.create_tables([Author])
            Author.create(name='there')
            Author.create(name='again')
            assert Author.get_by_id(2).name == 'again'
        assert Author.get_by_id(1).name == 'here'
        with pytest.raises(Author.DoesNotExist):
            Author.get_by_id(2)
    finally:
        other.close()


def test_save_insert_shapes_follow_the_columns_given(db):
    Author, Book = _models(db)
    a = Author.create(name='a')                       # note left unset (NULL)
    b = Author.create(name='b', note='has a note')    # a different column set
    c = Author(name='c', rank=5)
    c.save()
    rows = list(Author.select(Author.name, Author.rank, Author.note)
                .order_by(Author.id).tuples())
    assert rows == [('a', 0, None), ('b', 0, 'has a note'), ('c', 5, None)]
    assert (a.id, b.id, c.id) == (1, 2, 3)
    book = Book.create(author=b, title='t')           # a model instance as the value
    row = Book.select().where(Book.id == book.id).get()
    assert row.author_id == b.id
    assert row.stamp == datetime.datetime(2020, 1, 1, 12, 0, 0, 123456)


def test_save_update_binds_the_right_row_and_values(db):
    Author, _ = _models(db)
    first, second = Author.create(name='one'), Author.create(name='two')
    first.name = 'uno'
    assert first.save() == 1
    second.rank = 9
    second.name = 'dos'
    assert second.save() == 1
    first.rank = 4
    first.save(only=[Author.rank])
    rows = list(Author.select(Author.name, Author.rank).order_by(Author.id).tuples())
    assert rows == [('uno', 4), ('dos', 9)]


def test_expressions_as_values_bypass_the_cache(db):
    Author, _ = _models(db)
    a = Author.create(name='a', rank=1)
    a.rank = Author.rank + 10                         # an SQL expression
    a.save()
    assert Author.get_by_id(a.id).rank == 11
    b = Author.create(name=fn.UPPER('b'), rank=SQL('2 + 3'))
    got = Author.get_by_id(b.id)
    assert (got.name, got.rank) == ('B', 5)


def test_overridden_query_methods_are_honoured(db):
    Author, _ = _models(db)
    calls = []

    class Visible(Author):
        hidden = IntegerField(default=0)

        class Meta:
            table_name = 'visible'

        @classmethod
        def select(cls, *fields):
            return super().select(*fields).where(cls.hidden == 0)

        @classmethod
        def insert(cls, __data=None, **insert):
            calls.append(dict(insert))
            return super().insert(__data, **insert)

    db.create_tables([Visible])
    shown = Visible.create(name='shown')
    gone = Visible.create(name='gone', hidden=1)
    assert len(calls) == 2                            # save() went through insert()
    assert Visible.get_by_id(shown.id).name == 'shown'
    with pytest.raises(Visible.DoesNotExist):
        Visible.get_by_id(gone.id)                    # the override's filter applies


def test_a_mixin_converter_ahead_of_a_field_class_always_runs(db):
    class Upper:
        def python_value(self, value):
            return None if value is None else value.upper()

    class UpperField(Upper, CharField):
        pass

    class Shout(Model):
        word = UpperField()

        class Meta:
            database = db

    db.create_tables([Shout])
    Shout.create(word='hello')
    assert Shout.select().get().word == 'HELLO'
    assert Shout.get_by_id(1).word == 'HELLO'
    assert list(Shout.select(Shout.word).tuples()) == [('HELLO',)]


def test_insert_shape_is_shared_by_plain_and_expression_rows_and_defaults_run_each_time(db):
    calls = []

    def next_rank():
        calls.append(1)
        return len(calls) * 10

    class Base(Model):
        class Meta:
            database = db

    class Player(Base):
        name = CharField()
        rank = IntegerField(default=next_rank)

    db.create_tables([Player])
    Player.create(name='a')                        # compiles the ('name',) shape
    Player.create(name=fn.UPPER('b'))              # same columns, SQL value: query path
    Player.create(name='c')                        # back on the cached shape
    rows = list(Player.select(Player.name, Player.rank).order_by(Player.id).tuples())
    assert rows == [('a', 10), ('B', 20), ('c', 30)]
    # defaults are filled in when the instance is built, so all three share one shape
    # (insert shapes are keyed by their tuple of field names)
    inserts = [k for k in shape_cache(Player._meta)
               if isinstance(k, tuple) and all(isinstance(part, str) for part in k)]
    assert len(inserts) == 1
