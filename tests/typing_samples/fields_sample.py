"""Field types as a type checker sees them: checked by tests/test_typing_fields.py.

A field declared on a model is the field on the class and its value on an instance;
``null=True`` makes the value optional.  Nothing here is annotated by hand.
"""
from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any, Literal

from typing_extensions import assert_type

from orm import (AnyField, AutoField, BareField, BigAutoField, BigBitField, BigIntegerField,
                 BinaryUUIDField, BitField, BlobField, BooleanField, CharField, DateField,
                 DateTimeField, DecimalField, DoubleField, Field, FixedCharField, FloatField,
                 IdentityField, IntegerField, IPField, JSONField, Model, SmallIntegerField,
                 TextField, TimeField, TimestampField, UUIDField)
from orm.fields import BigBitFieldData


def optional() -> bool:
    return True


class CentsField(BigIntegerField):
    """A subclass without constructor overloads of its own: values are not optional."""

    def db_value(self, value: Any) -> Any:
        return None if value is None else int(value * 100)


class Everything(Model):
    name = CharField()
    nick = CharField(max_length=20, null=True)
    code = FixedCharField(4)
    body = TextField(null=True)
    unsure = TextField(null=optional())
    count = IntegerField(default=0)
    maybe = IntegerField(null=True)
    big = BigIntegerField(index=True)
    small = SmallIntegerField(null=True)
    ratio = FloatField()
    precise = DoubleField(null=True)
    price = DecimalField(max_digits=8, decimal_places=2, auto_round=True)
    image = BlobField(null=True)
    flags = BitField()
    is_on = flags.flag(1)
    bitmap = BigBitField()
    uid = UUIDField(default=uuid.uuid4, unique=True)
    raw_uid = BinaryUUIDField(null=True)
    created = DateTimeField(default=datetime.datetime.now)
    day = DateField(null=True)
    at = TimeField(formats=['%H:%M'])
    stamp = TimestampField(utc=True, resolution=3)
    seen = TimestampField(null=True, default=None)
    address = IPField(null=True)
    active = BooleanField(default=True)
    data = JSONField(null=True)
    loose = BareField(adapt=int)
    anything = AnyField(null=True)
    cents = CentsField()
    plain = Field()


class BigKey(Model):
    id = BigAutoField()


class Identity(Model):
    id = IdentityField(generate_always=True)


class Auto(Model):
    id = AutoField()


def values(e: Everything) -> None:
    assert_type(e.name, str)
    assert_type(e.nick, str | None)
    assert_type(e.code, str)
    assert_type(e.body, str | None)
    assert_type(e.unsure, str | None)
    assert_type(e.count, int)
    assert_type(e.maybe, int | None)
    assert_type(e.big, int)
    assert_type(e.small, int | None)
    assert_type(e.ratio, float)
    assert_type(e.precise, float | None)
    assert_type(e.price, decimal.Decimal)
    assert_type(e.image, bytes | None)
    assert_type(e.flags, int)
    assert_type(e.bitmap, BigBitFieldData)
    assert_type(e.uid, uuid.UUID)
    assert_type(e.raw_uid, uuid.UUID | None)
    assert_type(e.created, datetime.datetime)
    assert_type(e.day, datetime.date | None)
    assert_type(e.at, datetime.time)
    assert_type(e.stamp, datetime.datetime)
    assert_type(e.seen, datetime.datetime | None)
    assert_type(e.address, str | None)
    assert_type(e.active, bool)
    assert_type(e.data, Any)
    assert_type(e.loose, Any)
    assert_type(e.anything, Any)
    assert_type(e.cents, int)
    assert_type(e.plain, Any)
    assert_type(BigKey().id, int)
    assert_type(Identity().id, int)
    assert_type(Auto().id, int)


def fields() -> None:
    assert_type(Everything.name, CharField[Literal[False]])
    assert_type(Everything.nick, CharField[Literal[True]])
    assert_type(Everything.unsure, TextField[bool])
    assert_type(Everything.maybe, IntegerField[Literal[True]])
    assert_type(Everything.price, DecimalField[Literal[False]])
    assert_type(Everything.bitmap, BigBitField[Literal[False]])
    assert_type(Everything.stamp, TimestampField[Literal[False]])
    assert_type(Everything.seen, TimestampField[Literal[True]])
    assert_type(Everything.created, DateTimeField[Literal[False]])
    assert_type(Everything.cents, CentsField)
    assert_type(BigKey.id, BigAutoField[Literal[False]])
    # fields build expressions and keep their options
    print(Everything.count > 3, Everything.name.contains('a'), Everything.created.year,
          Everything.nick.null, Everything.price.max_digits, Everything.name.column_name)


def assignments(e: Everything) -> None:
    e.name = 'x'
    e.nick = None
    e.count += 1
    e.maybe = None
    e.price = decimal.Decimal('1.50')
    e.created = datetime.datetime(2024, 1, 1)
    e.day = None
    e.stamp = datetime.datetime(2024, 1, 1)
    e.address = '10.0.0.1'
    e.bitmap = b'\x01'
    e.bitmap.set_bit(3)
    e.data = {'any': ['json']}
    e.raw_uid = uuid.uuid4()


def annotated(flag: bool) -> None:
    # a bare annotation stands for a field of either nullability
    def make(null: bool) -> Field:
        return DecimalField(null=True) if null else IntegerField()
    name: CharField = CharField(null=True)
    kept: list[Field] = [make(flag), name, Everything.maybe, Everything.price]
    assert_type(kept[0], Field[Any, Any])
