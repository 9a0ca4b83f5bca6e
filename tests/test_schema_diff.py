"""playhouse.schema_diff on every engine: peewee 4's five-list ``SchemaDiff`` (tables to
create, columns and indexes to add and drop), orm's further comparisons kept beside it,
and ``template(diff)`` files that converge when applied and revert with ``down()``."""
from __future__ import annotations

import datetime
import decimal
import enum
import uuid

import pytest

from conftest import engine_name
from orm import (SQL, CharField, CompositeKey, DateTimeField, DecimalField, ForeignKeyField,
                 IntegerField, Model, TextField, UUIDField)
from playhouse.migrations import Runner, template
from playhouse.schema_diff import IndexDiff, SchemaDiff, diff_models


def models_for(db):
    """A fresh set of model classes bound to ``db`` (index names follow table names)."""
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Member(Base):
        handle = CharField(unique=True)
        email = CharField(index=True)

    class Post(Base):
        member = ForeignKeyField(Member, backref='posts')
        body = TextField()
        flags = IntegerField(default=0)

        class Meta:
            indexes = ((('member', 'flags'), False),)

    class Score(Base):
        member = ForeignKeyField(Member)
        key = CharField(max_length=32)

        class Meta:
            primary_key = CompositeKey('member', 'key')

    return Base, Member, Post, Score


@pytest.fixture
def schema(db):
    Base, Member, Post, Score = models = models_for(db)
    db.create_tables([Member, Post, Score])
    return models


def test_a_matching_schema_is_no_difference(db, schema):
    Base, Member, Post, Score = schema
    diff = diff_models(db, [Member, Post, Score])
    assert isinstance(diff, SchemaDiff) and isinstance(diff, tuple)
    assert not diff and str(diff) == ''
    assert list(diff) == [[], [], [], [], []]
    assert diff.column_changes == diff.add_foreign_keys == diff.drop_foreign_keys == []


def test_columns_and_indexes_to_add_and_drop(db, schema):
    Base, Member, Post, Score = schema

    class Member2(Base):
        handle = CharField()                     # no longer unique
        karma = IntegerField(default=0)          # new; email is gone

        class Meta:
            table_name = 'member'
            indexes = ((('handle', 'karma'), True),)

    class Note(Base):
        member = ForeignKeyField(Member)

    class Reply(Base):
        note = ForeignKeyField(Note)

    diff = diff_models(db, [Reply, Member2, Note, Post, Score])
    assert diff.create_tables == [Note, Reply]   # referenced tables first
    assert [(f.model, f.column_name) for f in diff.add_columns] == [(Member2, 'karma')]
    assert diff.drop_columns == [('member', 'email')]
    assert diff.add_indexes == [IndexDiff('member', None, ('handle', 'karma'), True)]
    assert diff.drop_indexes == [IndexDiff('member', 'member_email', ('email',), False),
                                 IndexDiff('member', 'member_handle', ('handle',), True)]
    assert str(diff).splitlines() == [
        'create table note', 'create table reply', 'add column member.karma',
        'drop column member.email', 'add index member (handle, karma) unique',
        'drop index member.member_email (email)',
        'drop index member.member_handle (handle) unique']
    # the first of two models on one table is the one compared
    assert not diff_models(db, [Member, Member2])


def test_indexes_pair_by_columns_or_by_name(db, schema):
    Base, Member, Post, Score = schema
    if engine_name(db) == 'mysql':   # a TEXT key needs a prefix; an index has its table
        db.execute_sql('CREATE INDEX post_stray ON post (body(20))')
        db.execute_sql('DROP INDEX post_member_id_flags ON post')
    else:
        db.execute_sql('CREATE INDEX post_stray ON post (body)')
        db.execute_sql('DROP INDEX post_member_id_flags')
    db.execute_sql('CREATE UNIQUE INDEX post_member_id_flags ON post (member_id, flags)')
    diff = diff_models(db, [Member, Post, Score])
    assert diff.add_indexes == [IndexDiff('post', None, ('member_id', 'flags'), False)]
    assert diff.drop_indexes == [
        IndexDiff('post', 'post_member_id_flags', ('member_id', 'flags'), True),
        IndexDiff('post', 'post_stray', ('body',), False)]

    if engine_name(db) == 'mysql':
        return      # the rest compares partial indexes, which MySQL has not

    # expression (descending) and partial indexes are known by name
    class Stamp(Base):
        ts = IntegerField()
        flags = IntegerField(default=0)

    Stamp.add_index(Stamp.ts.desc())
    Stamp.add_index(Stamp.flags, where=(Stamp.flags > SQL('0')))
    db.create_tables([Stamp])
    assert not diff_models(db, [Stamp])
    db.execute_sql('DROP INDEX stamp_flags')
    db.execute_sql('CREATE INDEX stamp_other ON stamp (flags) WHERE flags < 0')
    diff = diff_models(db, [Stamp])
    assert diff.add_indexes == [IndexDiff('stamp', 'stamp_flags', None, None)]
    assert diff.drop_indexes == [IndexDiff('stamp', 'stamp_other', None, None)]
    body = template(diff)
    assert '# TODO: stamp: create index stamp_flags' in body
    assert "migrator.migrate(migrator.drop_index('stamp', 'stamp_other'))" in body


def test_orm_also_compares_nullability_types_and_foreign_keys(db, schema):
    Base, Member, Post, Score = schema

    class Post2(Base):
        member = ForeignKeyField(Member, backref='posts2', null=True)   # was NOT NULL
        body = IntegerField()                                           # was text
        flags = IntegerField(default=0)

        class Meta:
            table_name = 'post'
            indexes = ((('member', 'flags'), False),)

    diff = diff_models(db, [Member, Post2, Score])
    assert list(diff) == [[], [], [], [], []]
    assert bool(diff)
    changes = {(c.column, c.null_differs, c.type_differs) for c in diff.column_changes}
    assert changes == {('member_id', True, False), ('body', False, True)}
    assert 'alter column post.member_id null' in str(diff)
    assert diff.extra_tables == []

    db.execute_sql('CREATE TABLE loose (id INTEGER PRIMARY KEY, ref INTEGER)')

    class Loose(Base):
        ref = ForeignKeyField(Member, column_name='ref')

    diff = diff_models(db, [Loose])
    assert diff.add_foreign_keys[0][:4] == ('loose', 'ref', 'member', 'id')
    assert 'add foreign key loose.ref -> member.id' in str(diff)
    assert set(diff.extra_tables) == {'member', 'post', 'score'}    # never a difference
    assert not diff_models(db, [Member])


def test_template_round_trip(db, schema, tmp_path):
    """The generated file runs as written, converges, and its down() reverts it."""
    Base, Member, Post, Score = schema

    class Color(enum.IntEnum):
        RED = 1

    class Member3(Base):
        handle = CharField(index=True)           # unique -> plain: same index name
        email = CharField(index=True)
        karma = IntegerField(index=True, default=0)
        joined = DateTimeField(default=datetime.datetime.now)

        class Meta:
            table_name = 'member'

    class Slug(Base):
        slug = CharField(max_length=24, primary_key=True)
        alt = CharField(unique=True)

    class Badge(Base):
        owner = ForeignKeyField(Member3, backref='badges', on_delete='CASCADE')
        slug = ForeignKeyField(Slug, backref='badges')
        alt = ForeignKeyField(Slug, field=Slug.alt, backref='alt_badges', null=True)
        parent = ForeignKeyField('self', null=True)
        price = DecimalField(max_digits=12, decimal_places=2,
                             default=decimal.Decimal('0.50'))
        token = UUIDField(default=uuid.uuid4)
        color = IntegerField(default=Color.RED)

        class Meta:
            table_name = 'badge'

    models = [Member3, Slug, Badge, Post, Score]
    body = template(diff_models(db, models))
    assert 'import decimal\nimport uuid\n' in body
    assert "class Member3(Model):\n        class Meta:" in body        # a stub
    assert "alt = ForeignKeyField(Slug, field=Slug.alt, null=True)" in body
    assert "parent = ForeignKeyField('self', null=True)" in body
    assert "price = DecimalField(max_digits=12, decimal_places=2, " \
        "default=decimal.Decimal('0.50'))" in body
    assert "color = IntegerField(default=1)" in body
    assert "add_column('member', 'karma', IntegerField(index=True, default=0))" in body
    assert body.index("drop_index('member', 'member_handle')") < \
        body.index("add_index('member', ('handle',))")

    runner = Runner(db, str(tmp_path / 'migrations'))
    runner.create('auto', body=body)
    assert runner.up() == ['0001_auto']
    assert not diff_models(db, models)
    assert runner.down() == ['0001_auto']
    assert not diff_models(db, [Member, Post, Score])
    assert [m.__name__ for m in diff_models(db, models).create_tables] == ['Slug', 'Badge']
