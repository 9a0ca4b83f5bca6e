"""Field behaviour checked against peewee's: each test pins one documented or observed
peewee fact (noted in the test) on every engine, reading values back from the database."""
from __future__ import annotations

import datetime
import decimal
import uuid

import pytest

from conftest import engine_name
from orm import (SQL, AnyField, BigAutoField, BigBitField, BinaryUUIDField, BitField,
                 CharField, DateTimeField, DecimalField, FixedCharField, ForeignKeyField,
                 IdentityField, IntegerField, Model, TextField, TimestampField, UUIDField)


def reload(obj):
    return type(obj).get_by_id(obj._pk)


# -- BitField: & | ~ - are bitwise in queries (peewee's BitField has BitwiseMixin) -------
class Perm(Model):
    flags = BitField()
    read = flags.flag(1)
    write = flags.flag(2)
    admin = flags.flag(4)


def test_bit_field_bitwise_operators(setup):
    setup(Perm)
    a = Perm.create(flags=3)
    b = Perm.create(flags=6)
    by_id = lambda expr: [r[0] for r in (Perm.select(expr).order_by(Perm.id)  # noqa: E731
                                         .tuples())]
    assert by_id(Perm.flags & 2) == [2, 2]
    assert by_id(Perm.flags | 8) == [11, 14]
    assert by_id(Perm.flags - 2) == [1, 4]          # clears the bits of the mask
    assert by_id(Perm.flags - Perm.flags) == [0, 0]
    assert by_id(~Perm.flags & 7) == [4, 1]
    assert [p.id for p in Perm.select().where((Perm.flags & 4) != 0)] == [b.id]
    Perm.update(flags=Perm.flags | 8).where(Perm.id == a.id).execute()
    Perm.update(flags=Perm.flags - 4).where(Perm.id == b.id).execute()
    assert (reload(a).flags, reload(b).flags) == (11, 2)
    # flags stay boolean expressions
    assert Perm.select().where(Perm.write & ~Perm.admin).count() == 2


# -- BigBitField data: item access and bitwise operators (peewee's BigBitFieldData) ------
class Bits(Model):
    data = BigBitField()


def test_big_bit_field_item_access(setup):
    setup(Bits)
    b = Bits()
    b.data[3] = True
    b.data[10] = 1
    b.data[12] = True
    del b.data[12]
    b.data[11] = False
    b.save()
    got = reload(b)
    assert got.data[3] and got.data[10] and not got.data[11] and not got.data[12]
    assert not got.data[999]
    assert list(got.data) == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    assert repr(got.data) == "bytearray(b'\\x08\\x04')"


def test_big_bit_field_bitwise_operators(setup):
    setup(Bits)
    one = Bits.create(data=b'\x03')
    two = Bits.create(data=b'\x06\x01')
    x, y = reload(one).data, reload(two).data
    assert x & y == bytearray(b'\x02\x00')
    assert x | y == bytearray(b'\x07\x01')
    assert x ^ y == bytearray(b'\x05\x01')
    assert x | b'\x00\x00\x80' == bytearray(b'\x03\x00\x80')
    assert isinstance(x & y, bytearray)
    assert x.intersection(y) == x & y and x.union(y) == x | y
    assert x.symmetric_difference(y) == x ^ y
    with pytest.raises(ValueError, match='bitmap'):
        x & 5
    # the result can be assigned and saved
    one.data = x | y
    one.save()
    assert bytes(reload(one).data) == b'\x07\x01'


def test_big_bit_field_accepts_text(setup):
    setup(Bits)
    b = Bits.create(data=b'')
    b.data = 'ab'                      # peewee encodes a str as UTF-8
    b.save()
    assert bytes(reload(b).data) == b'ab'
    assert reload(b).data.is_set(0)    # 'a' is 0x61


# -- FixedCharField strips blanks on both sides (peewee: value.strip()) -----------------
class Code(Model):
    code = FixedCharField(max_length=6, null=True)


def test_fixed_char_field_strips(setup):
    setup(Code)
    c = Code.create(code=' ab ')
    assert reload(c).code == 'ab'
    assert reload(Code.create(code='')).code == ''
    assert reload(Code.create(code=None)).code is None


# -- UUIDField takes the 16 raw bytes (peewee: UUID(bytes=value)) -----------------------
class Tok(Model):
    u = UUIDField(null=True)
    b = BinaryUUIDField(null=True)


def test_uuid_from_raw_bytes(setup):
    setup(Tok)
    u = uuid.UUID('12345678-1234-5678-1234-567812345678')
    t = Tok.create(u=u.bytes, b=bytearray(u.bytes))
    got = reload(t)
    assert got.u == u and got.b == u
    assert Tok.get(Tok.u == u.bytes).id == t.id
    assert Tok.get(Tok.b == u.hex).id == t.id


def test_binary_uuid_bad_value_error(setup):
    setup(Tok)
    with pytest.raises(ValueError, match='binary UUID takes'):
        Tok.create(b='nope')
    with pytest.raises(ValueError, match='binary UUID takes'):
        Tok.create(b=42)


# -- TimestampField.from_timestamp() honours the resolution (peewee divides by it) -------
class Clock(Model):
    s = TimestampField(utc=True, null=True)
    ms = TimestampField(utc=True, resolution=1000, null=True)
    us = TimestampField(utc=True, resolution=6, null=True)


def test_timestamp_from_timestamp(setup, db):
    setup(Clock)
    dt = datetime.datetime(2020, 3, 4, 5, 6, 7, 123456)
    c = Clock.create(s=dt, ms=dt, us=dt)
    row = Clock.select(Clock.s.from_timestamp(), Clock.ms.from_timestamp(),
                       Clock.us.from_timestamp()).where(Clock.id == c.id).tuples().get()
    expected = datetime.datetime(2020, 3, 4, 5, 6, 7)
    for value in row:
        assert isinstance(value, datetime.datetime)
        # PostgreSQL's to_timestamp() gives a timestamptz (aware); SQLite naive UTC text
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        assert value.replace(microsecond=0) == expected


def test_timestamp_bad_value_error(setup):
    setup(Clock)
    with pytest.raises(TypeError, match='takes a datetime'):
        Clock.create(s='yesterday')
    assert TimestampField(utc=True).default.__name__ == 'utcnow'
    now = TimestampField(utc=True).get_default()
    assert now.tzinfo is None
    assert abs(now - datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)) \
        < datetime.timedelta(seconds=5)


# -- Field.coerce(False): values read back unconverted (peewee's Node.coerce) ----------
class Price(Model):
    amount = DecimalField(max_digits=6, decimal_places=2)
    when = DateTimeField(null=True)


def test_field_coerce_false(setup, db):
    setup(Price)
    Price.create(amount=decimal.Decimal('1.50'), when=datetime.datetime(2020, 1, 2))
    raw = Price.select(Price.amount.coerce(False)).tuples().get()[0]
    converted = Price.select(Price.amount).tuples().get()[0]
    assert converted == decimal.Decimal('1.50') and isinstance(converted, decimal.Decimal)
    if engine_name(db) == 'sqlite':
        assert raw == 1.5 and isinstance(raw, float)     # SQLite's stored number
        assert Price.select(Price.when.coerce(False)).tuples().get()[0] == \
            '2020-01-02 00:00:00'
    else:
        assert raw == decimal.Decimal('1.50')             # the driver's own Decimal
    obj = Price.select(Price.amount.coerce(False)).get()
    assert obj.amount == raw
    assert Price.amount.coerce(True) is Price.amount
    assert Price.amount.coerce(False)._coerce is False and Price.amount._coerce is True


# -- ddl_datatype(None): the field type as declared (peewee accepts ctx=None) ------------
def test_ddl_datatype_without_context():
    assert DecimalField(8, 3).ddl_datatype(None).sql == 'DECIMAL(8, 3)'
    assert CharField(max_length=12).ddl_datatype(None).sql == 'VARCHAR(12)'
    assert IntegerField().ddl_datatype(None).sql == 'INT'
    # an identity column: the integer type, then how PostgreSQL is to generate it
    for always, how in ((False, 'BY DEFAULT'), (True, 'ALWAYS')):
        ddl = IdentityField(generate_always=always).ddl_datatype(None).sql
        assert ddl.split() == ['INT', 'GENERATED'] + how.split() + ['AS', 'IDENTITY']
    assert AnyField().ddl_datatype(None).sql == 'ANY'


# -- ForeignKeyField column type follows the target's primary key (peewee) --------------
class Country(Model):
    code = CharField(max_length=3, primary_key=True)


class Big(Model):
    id = BigAutoField()


class City(Model):
    country = ForeignKeyField(Country)
    big = ForeignKeyField(Big, null=True)


def test_foreign_key_column_type(setup, db):
    setup(Country, Big, City)
    assert City.country.field_type == 'VARCHAR' and City.country.get_modifiers() == [3]
    assert City.big.field_type == 'BIGINT'
    types = {c.name: c.data_type.lower() for c in db.get_columns('city')}
    if engine_name(db) == 'postgres':
        assert types['country_id'] == 'character varying' and types['big_id'] == 'bigint'
    elif engine_name(db) == 'mysql':   # data_type without its length, as in the catalog
        assert types['country_id'] == 'varchar' and types['big_id'] == 'bigint'
        full = {c.name: c.full_type for c in db.get_columns('city')}
        assert full['country_id'] == 'varchar(3)'
    else:
        assert types['country_id'] == 'varchar(3)'
    Country.create(code='FRA')
    city = City.create(country='FRA')
    assert reload(city).country.code == 'FRA'


# -- bad input: a clear ValueError where peewee would pass the value through -------------
class Num(Model):
    i = IntegerField(null=True)
    d = DecimalField(null=True)
    t = TextField(null=True)


def test_bad_numbers_raise_value_error(setup):
    setup(Num)
    for field, value in ((Num.i, 'abc'), (Num.i, ''), (Num.i, []), (Num.d, 'x')):
        with pytest.raises(ValueError, match='not a valid'):
            Num.create(**{field.name: value})
        with pytest.raises(ValueError, match='not a valid'):
            Num.select().where(field == value).count()
    assert Num.select().count() == 0
    # what int()/Decimal() accept is converted, as in peewee
    n = Num.create(i='12', d='1.25', t=5)
    got = reload(n)
    assert (got.i, got.d, got.t) == (12, decimal.Decimal('1.25'), '5')


def test_sql_values_pass_through(setup):
    setup(Num)
    n = Num.create(i=SQL('1 + 2'), d=decimal.Decimal('2'))
    assert reload(n).i == 3
