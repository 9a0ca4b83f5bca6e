"""playhouse.fields on every engine: compressed and pickled blobs, enum fields -- values
written, read back through the model and checked raw in the table."""
from __future__ import annotations

import bz2
import datetime
import enum
import pickle
import zlib

import pytest

from orm import CharField, Model
from playhouse.fields import (CompressedField, EnumField, EnumFieldMixin, IntEnumField,
                              PickleField)


class Color(enum.Enum):
    RED = 'red'
    GREEN = 'green'
    BLUE = 'blue-ish'


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 10


class Size(enum.Enum):
    SMALL = 1
    LARGE = 2


class SizeCharField(EnumFieldMixin, CharField):
    """A user-made enum field: the mixin over another storage field."""


class Document(Model):
    name = CharField()
    body = CompressedField(null=True)
    body_bz2 = CompressedField(algorithm='bz2', compression_level=9, null=True)
    data = PickleField(null=True)


class Task(Model):
    color = EnumField(Color, null=True)
    priority = IntEnumField(Priority, default=Priority.LOW)
    size = SizeCharField(Size, max_length=10, null=True)


@pytest.fixture
def models(db):
    db.bind([Document, Task])
    db.create_tables([Document, Task])
    return db


def raw(db, sql):
    return db.execute_sql(sql).fetchone()


def test_compressed_field_round_trip(models):
    text = b'meow ' * 2000
    Document.create(name='d', body=text, body_bz2=text)
    doc = Document.get(Document.name == 'd')
    assert doc.body == text and doc.body_bz2 == text
    stored, stored_bz2 = raw(models, 'SELECT body, body_bz2 FROM document')
    stored, stored_bz2 = bytes(stored), bytes(stored_bz2)
    assert len(stored) < len(text) // 10
    assert zlib.decompress(stored) == text and bz2.decompress(stored_bz2) == text
    # text is stored as its UTF-8 bytes; None stays NULL
    Document.create(name='t', body='héllo')
    Document.create(name='n')
    assert Document.get(Document.name == 't').body == 'héllo'.encode('utf-8')
    assert Document.get(Document.name == 'n').body is None


def test_compressed_field_arguments():
    assert CompressedField(compression_level=0).db_value(b'x') == zlib.compress(b'x', 0)
    with pytest.raises(ValueError, match='compresses with'):
        CompressedField(algorithm='lzma')
    with pytest.raises(ValueError, match='compression_level'):
        CompressedField(compression_level=11)
    with pytest.raises(TypeError, match='bytes or text'):
        CompressedField().db_value(123)


def test_pickle_field_round_trip(models):
    value = {'when': datetime.date(2024, 2, 29), 'items': [1, 2.5, 'three', None],
             'nested': {'set': {1, 2}}}
    Document.create(name='p', data=value)
    assert Document.get(Document.name == 'p').data == value
    assert pickle.loads(bytes(raw(models, 'SELECT data FROM document')[0])) == value
    doc = Document.get(Document.name == 'p')
    doc.data = ['changed']
    doc.save()
    assert Document.get_by_id(doc.id).data == ['changed']


def test_enum_fields(models):
    Task.create(color=Color.RED, priority=Priority.HIGH, size=Size.LARGE)
    Task.create(color='blue-ish', priority=1, size=1)      # values are accepted
    Task.create(color='GREEN')                              # and names
    tasks = list(Task.select().order_by(Task.id))
    assert [(t.color, t.priority, t.size) for t in tasks] == [
        (Color.RED, Priority.HIGH, Size.LARGE), (Color.BLUE, Priority.LOW, Size.SMALL),
        (Color.GREEN, Priority.LOW, None)]
    # stored as the members' values
    assert raw(models, 'SELECT color, priority, size FROM task WHERE id = 1') == \
        ('red', 10, '2')
    # usable in queries with members or values
    assert Task.select().where(Task.color == Color.BLUE).get().id == 2
    assert Task.select().where(Task.priority == Priority.HIGH).count() == 1
    assert Task.select().where(Task.size == Size.LARGE).count() == 1
    assert Task.select().where(Task.color.in_([Color.RED, Color.GREEN])).count() == 2
    with pytest.raises(ValueError, match='not a member'):
        Task.create(color='purple')


def test_enum_field_declaration():
    field = EnumField(Color)
    assert field.max_length == len('blue-ish')
    assert field.choices == [('red', 'RED'), ('green', 'GREEN'), ('blue-ish', 'BLUE')]
    with pytest.raises(TypeError, match='Enum class'):
        EnumField('red')
