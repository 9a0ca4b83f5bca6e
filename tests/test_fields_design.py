"""How fields are built, convert values and render: the design of orm.fieldbase and
orm.fields, checked without a database where none is needed."""
from __future__ import annotations

import datetime
import decimal
import uuid

import pytest

import orm
from orm import (AutoField, BareField, BooleanField, CharField, DateField, DateTimeField,
                 DecimalField, Field, FixedCharField, IdentityField, IntegerField, JSONField,
                 Model, SqliteDatabase, TextField, TimeField, TimestampField, UUIDField)
from orm.dialects import PostgresDialect, SqliteDialect
from orm.fields import BigBitFieldData


# -- options ------------------------------------------------------------------------------
def test_options_are_class_defaults_until_given():
    field = CharField(40, True, unique=True, help_text='shown in forms')
    assert (field.max_length, field.null, field.unique, field.index) == (40, True, True, False)
    given = {k: v for k, v in vars(field).items() if not k.startswith('_')}
    assert given == {'max_length': 40, 'null': True, 'unique': True,
                     'help_text': 'shown in forms'}
    assert CharField().max_length == 255 and 'max_length' not in vars(CharField())


def test_positional_arguments_follow_peewee_order():
    amount = DecimalField(12, 3, True, decimal.ROUND_DOWN, True)
    assert (amount.max_digits, amount.decimal_places, amount.auto_round, amount.null) == \
        (12, 3, True, True)
    assert amount.rounding == decimal.ROUND_DOWN
    assert DateTimeField(['%d/%m/%Y']).formats == ['%d/%m/%Y']
    assert IdentityField(True).field_type == 'INT GENERATED ALWAYS AS IDENTITY'
    assert IntegerField(False, True, False, 'col').column_name == 'col'


def test_bad_arguments_are_type_errors():
    with pytest.raises(TypeError, match='no option nul'):
        IntegerField(nul=True)
    with pytest.raises(TypeError, match='both by position and by keyword'):
        CharField(10, max_length=20)
    with pytest.raises(TypeError, match='at most'):
        TextField(*range(30))
    with pytest.raises(TypeError, match='no option resolution'):
        DateTimeField(resolution=3)        # TimestampField's, not DateTimeField's


def test_old_and_derived_option_spellings():
    assert IntegerField(db_column='n').column_name == 'n'
    assert CharField(index=True).index_type is None

    class Gin(TextField):
        default_index_type = 'GIN'
    assert Gin().index_type == 'GIN' and Gin(index_type='GIST').index_type == 'GIST'


def test_subclass_with_its_own_constructor():
    class Prefixed(CharField):
        def __init__(self, prefix, *args, **kwargs):
            self.prefix = prefix
            super().__init__(*args, **kwargs)

    field = Prefixed('p:', 16, null=True)
    assert (field.prefix, field.max_length, field.null) == ('p:', 16, True)


def test_class_level_defaults_of_some_types():
    assert AutoField().primary_key and AutoField()._sort_key < IntegerField()._sort_key
    with pytest.raises(ValueError, match='primary key'):
        AutoField(primary_key=False)
    assert orm.BitField().default == 0 and orm.BigBitField().default is bytes
    assert TimestampField().default == datetime.datetime.now
    assert TimestampField(default=None).default is None      # an explicit None is kept
    assert TimestampField(utc=True).default.__name__ == 'utcnow'
    assert JSONField().dumps is not None and JSONField(loads=None).loads is not None
    assert BareField(None).adapt(5) == 5 and BareField(int).adapt('5') == 5


def test_fields_sort_in_declaration_order_key_first():
    a, b, key = IntegerField(), TextField(), AutoField()
    assert sorted([b, key, a], key=lambda f: f._sort_key) == [key, a, b]


# -- reading rows ------------------------------------------------------------------------
SQLITE, PG = SqliteDialect(), PostgresDialect()


def test_row_converters_skip_what_the_driver_already_converts():
    assert IntegerField().row_converter(SQLITE) is None
    assert TextField().row_converter(PG) is None
    assert BooleanField().row_converter(SQLITE) is bool
    assert BooleanField().row_converter(PG) is None
    assert DateTimeField().row_converter(PG) is None
    read = DateTimeField().row_converter(SQLITE)
    assert read('2024-03-01 12:30:00.250000') == datetime.datetime(2024, 3, 1, 12, 30, 0,
                                                                    250000)
    assert read('01/02/2003') == '01/02/2003'          # not a date: left as it is
    assert DateField().row_converter(SQLITE)('2024-03-01') == datetime.date(2024, 3, 1)
    assert DecimalField(decimal_places=2).row_converter(SQLITE)(19.9) == \
        decimal.Decimal('19.90')
    assert IntegerField().coerce(False).row_converter(SQLITE) is None


def test_a_subclass_converting_differently_loses_the_shortcuts():
    class Cents(IntegerField):
        def python_value(self, value):
            return None if value is None else decimal.Decimal(value) / 100

    class Upper(TextField):
        native_dialects = ('postgres',)             # declared: kept

        def adapt(self, value):
            return super().adapt(value).upper()

    class Stamp(DateTimeField):                     # no conversion change: inherited
        field_type = 'TIMESTAMPTZ'

    cents = Cents()
    assert cents.row_converter(SQLITE) == cents.python_value
    assert Upper().row_converter(PG) is None
    assert Upper().row_converter(SQLITE)('ab') == 'AB'
    assert Stamp().row_converter(PG) is None
    assert Stamp().row_converter(SQLITE)('2024-01-02') == datetime.datetime(2024, 1, 2)
    assert BareField(adapt=int).row_converter(SQLITE)('7') == 7


def test_values_bound_for_the_driver():
    assert IntegerField().db_value('42') == 42 and IntegerField().db_value(True) == 1
    assert orm.FloatField().db_value(2) == 2.0
    assert TextField().db_value(b'caf\xc3\xa9') == 'café' and TextField().db_value(5) == '5'
    assert BooleanField().db_value(0) is False
    assert DecimalField(decimal_places=2, auto_round=True).db_value(1.005) == \
        decimal.Decimal('1.00')
    u = uuid.uuid4()
    assert UUIDField().db_value(str(u)) == u.hex and UUIDField().db_value(u.bytes) == u.hex
    assert FixedCharField(5).db_value(' abcdef g') == 'abcde'
    assert FixedCharField(5).db_value('abcd efg') == 'abcd'
    assert TimeField().db_value('12:30') == datetime.time(12, 30)
    with pytest.raises(ValueError, match='not a valid int'):
        IntegerField().db_value('many')


def test_a_model_instance_stands_for_its_key():
    class Owner(Model):
        pass

    owner = Owner(id=7)
    assert IntegerField().db_value(owner) == 7


def test_dates_parse_iso_text_first():
    aware = orm.format_date_time('2019-01-02T03:04:05Z', DateTimeField.formats)
    assert aware == datetime.datetime(2019, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    assert orm.format_date_time('01/02/2003 01:37 PM', ['%m/%d/%Y %I:%M %p']) == \
        datetime.datetime(2003, 1, 2, 13, 37)
    assert orm.format_date_time('not a date', DateTimeField.formats) == 'not a date'
    assert TimestampField.formats == DateTimeField.formats
    assert TimestampField.formats is not DateTimeField.formats


def test_timestamps():
    local, utc = TimestampField(), TimestampField(utc=True)
    noon = datetime.datetime(2019, 1, 1, 12)
    assert utc.db_value(noon) == 1546344000
    assert utc.python_value(1546344000) == noon
    assert local.python_value(local.db_value(noon)) == noon
    # an aware datetime is the instant it names, whatever utc says
    two_hours_east = datetime.timezone(datetime.timedelta(hours=2))
    aware = datetime.datetime(2019, 1, 1, 12, tzinfo=two_hours_east)
    assert local.db_value(aware) == utc.db_value(aware) == 1546336800
    assert utc.db_value('2019-01-01 12:00:00') == 1546344000
    millis = TimestampField(resolution=3, utc=True)
    assert millis.resolution == 1000
    assert millis.db_value(noon.replace(microsecond=678901)) == 1546344000679
    assert millis.python_value(1546344000679) == noon.replace(microsecond=679000)
    assert TimestampField(resolution=10).resolution == 10
    for bad in (7, 20, 10 ** 7):
        with pytest.raises(ValueError, match='resolution'):
            TimestampField(resolution=bad)


# -- rendering and aliases ----------------------------------------------------------------
def test_rendering_follows_aliases_and_renamed_columns():
    db = SqliteDatabase(':memory:')

    class Person(Model):
        name = CharField()

        class Meta:
            database = db

    query = Person.select(Person.name).where(Person.name == 'a')
    assert query.sql()[0] == ('SELECT "t1"."name" FROM "person" AS "t1" '
                              'WHERE ("t1"."name" = ?)')
    Person.name.column_name = 'full_name'          # what a migration may do
    assert '"t1"."full_name"' in Person.select(Person.name).sql()[0]
    Author = Person.alias('author')
    assert Author.name.column_name == 'full_name'
    assert Person.select(Author.name).sql()[0].startswith('SELECT "author"."full_name"')
    assert type(Author.name) is type(Person.alias().name)     # one alias class per type
    assert isinstance(Author.name, CharField)


def test_ddl():
    from orm import Check, Context
    price = IntegerField(constraints=[Check('price > 0')], collation='BINARY', unique=True)
    price.bind(type('Fake', (), {}), 'price', set_attribute=False)
    sql, _ = Context(SQLITE).sql(price.ddl(Context(SQLITE))).query()
    assert sql == '"price" INTEGER NOT NULL CHECK (price > 0) COLLATE BINARY'
    assert CharField(max_length=12).ddl_datatype(None).sql == 'VARCHAR(12)'
    with pytest.raises(TypeError, match='not bound'):
        Context(SQLITE).sql(IntegerField())


# -- bitmaps --------------------------------------------------------------------------------
def test_big_bit_field_data_works_in_place():
    class Holder:
        def __init__(self, stored):
            self.__data__ = {'bits': stored}
            self._dirty = set()

    holder = Holder(b'\x01')
    bits = BigBitFieldData(holder, 'bits')
    assert isinstance(holder.__data__['bits'], bytearray)
    bits[9] = True
    assert holder.__data__['bits'] == bytearray(b'\x01\x02') and holder._dirty == {'bits'}
    assert bits.is_set(9) and not bits.is_set(10 ** 6) and not bits.is_set(-1)
    assert list(bits)[:2] == [1, 0] and len(bits) == 2
    assert bits & b'\xff' == bytearray(b'\x01\x00')
    bits.clear()
    assert len(bits) == 0 and holder.__data__['bits'] is bits._buffer
