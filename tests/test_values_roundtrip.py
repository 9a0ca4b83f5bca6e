"""Values that used to change (or fail obscurely) on their way through an engine: NaN,
integers past 64 bits, aware date-times on SQLite, columns named ``__x`` (issue 13)."""
from __future__ import annotations

import datetime
import math

import pytest

from conftest import engine_name
from orm import (BigIntegerField, DataError, DateTimeField, DoubleField, FloatField,
                 IntegerField, Model, Table, TextField)
from playhouse.db_url import DatabaseURLError, connect, parse


class Reading(Model):
    value = FloatField(null=True)
    precise = DoubleField(null=True)
    label = TextField(default='')


class Strict(Model):
    value = FloatField()


class Counter(Model):
    small = IntegerField(null=True)
    big = BigIntegerField(null=True)


class Stamp(Model):
    at = DateTimeField(null=True)


@pytest.fixture
def tables(db):
    models = [Reading, Strict, Counter, Stamp]
    db.bind(models)
    db.create_tables(models)
    return db


def stored_count(model):
    return model.select().count()


# -- NaN ------------------------------------------------------------------------------------
NAN_WRITES = {
    'create': lambda: Reading.create(value=float('nan')),
    'save': lambda: Reading(value=float('nan')).save(),
    'insert': lambda: Reading.insert(value=float('nan')).execute(),
    'insert_many': lambda: Reading.insert_many([{'value': 1.5}, {'value': math.nan}]).execute(),
    'text nan': lambda: Reading.create(value='nan'),
    'double': lambda: Reading.create(precise=float('nan')),
}


@pytest.mark.engines('sqlite')
@pytest.mark.parametrize('write', sorted(NAN_WRITES))
def test_nan_is_refused_by_name_on_sqlite(tables, write):
    # SQLite keeps NULL for NaN: the value would read back as None, so it is not written
    with pytest.raises(DataError, match=r'Reading\.(value|precise).*NaN'):
        NAN_WRITES[write]()
    assert stored_count(Reading) == 0


@pytest.mark.engines('sqlite')
def test_nan_in_a_not_null_column_is_the_same_clear_error(tables):
    with pytest.raises(DataError, match=r'Strict\.value.*cannot store NaN'):
        Strict.create(value=float('nan'))


@pytest.mark.engines('sqlite')
def test_nan_refused_in_an_update_and_a_kept_row_is_untouched(tables):
    row = Reading.create(value=2.5)
    with pytest.raises(DataError):
        Reading.update(value=float('nan')).where(Reading.id == row.id).execute()
    row.value = float('nan')
    with pytest.raises(DataError):
        row.save()
    assert Reading.get_by_id(row.id).value == 2.5


@pytest.mark.engines('postgres')
def test_nan_is_a_real_value_on_postgres(tables):
    row = Reading.create(value=float('nan'), precise=float('nan'))
    Reading.insert_many([{'value': math.nan}]).execute()
    Strict.create(value=float('nan'))
    values = [r.value for r in Reading.select().order_by(Reading.id)]
    assert len(values) == 2 and all(math.isnan(v) for v in values)
    assert math.isnan(Reading.get_by_id(row.id).precise)
    assert math.isnan(Strict.select().get().value)
    # PostgreSQL counts NaN equal to itself, so it can be looked up
    assert Reading.select().where(Reading.value == float('nan')).count() == 2


def test_ordinary_floats_and_infinities_still_round_trip(tables):
    values = [0.0, -0.0, 1.5, 1e308, -2.5e-300]
    if engine_name(tables) != 'mysql':    # MySQL's DOUBLE has no infinity
        values += [float('inf'), float('-inf')]
    for value in values:
        row = Reading.create(precise=value)
        assert Reading.get_by_id(row.id).precise == value
    row = Reading.create(value=-0.25)     # REAL on PostgreSQL: a value it holds exactly
    assert Reading.get_by_id(row.id).value == -0.25
    assert Reading.create(value=None).value is None
    assert Reading.select().where(Reading.value.is_null()).count() == len(values) + 1


# -- integers -------------------------------------------------------------------------------
@pytest.mark.parametrize('value', [float('inf'), float('-inf'), float('nan')])
@pytest.mark.parametrize('column', ['small', 'big'])
def test_a_non_finite_float_for_an_integer_names_the_field(tables, column, value):
    with pytest.raises(ValueError, match=r'Counter\.%s.*%s' % (column, value)):
        Counter.create(**{column: value})
    with pytest.raises(ValueError, match=r'Counter\.%s' % column):
        Counter.insert_many([{column: value}]).execute()
    assert stored_count(Counter) == 0


@pytest.mark.parametrize('value', [2 ** 63, -2 ** 63 - 1, 10 ** 30])
def test_an_integer_past_64_bits_is_a_data_error(tables, value):
    on_sqlite = engine_name(tables) == 'sqlite'
    writes = [lambda: Counter.create(big=value),
              lambda: Counter.insert_many([{'big': 1}, {'big': value}]).execute()]
    if on_sqlite:    # SQLite cannot even bind it (PostgreSQL compares it as a numeric)
        writes.append(lambda: Counter.select().where(Counter.big == value).count())
    for write in writes:
        with pytest.raises(DataError) as caught:
            write()
        if on_sqlite:
            assert str(value) in str(caught.value)
    assert stored_count(Counter) == 0


def test_the_64_bit_limits_themselves_round_trip(tables):
    for value in (2 ** 63 - 1, -2 ** 63):
        row = Counter.create(big=value)
        assert Counter.get_by_id(row.id).big == value


# -- aware date-times -----------------------------------------------------------------------
PLUS_TWO = datetime.timezone(datetime.timedelta(hours=2))
ODD_OFFSET = datetime.timezone(datetime.timedelta(hours=-3, minutes=-30, seconds=-15))


@pytest.mark.engines('sqlite')
def test_aware_datetimes_read_back_aware_with_their_offset_on_sqlite(tables):
    values = [datetime.datetime(2024, 5, 1, 12, 30, tzinfo=PLUS_TWO),
              datetime.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=ODD_OFFSET),
              datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.timezone.utc),
              datetime.datetime(2024, 5, 1, 12, 30)]
    ids = [Stamp.create(at=value).id for value in values]
    Stamp.insert_many([{'at': value} for value in values]).execute()
    ways = {
        'get_by_id': [Stamp.get_by_id(i).at for i in ids],
        'objects': [s.at for s in Stamp.select().where(Stamp.id.in_(ids)).order_by(Stamp.id)],
        'tuples': [t[0] for t in Stamp.select(Stamp.at).order_by(Stamp.id).tuples()][4:],
        'dicts': [d['x'] for d in Stamp.select(Stamp.at.alias('x')).order_by(Stamp.id)
                  .dicts()][:4],
    }
    for way, got in ways.items():
        assert got == values, way
        assert [type(v) for v in got] == [datetime.datetime] * 4, way
        assert [v.utcoffset() for v in got] == [v.utcoffset() for v in values], way
    # stored as ISO 8601 text with the offset, as written
    raw = tables.execute_sql('SELECT at FROM stamp WHERE id = ?', (ids[0],)).fetchone()[0]
    assert raw == '2024-05-01 12:30:00+02:00'
    # an equal value finds its row; truncation keeps the offset
    assert Stamp.select().where(Stamp.at == values[0]).count() == 2
    day = Stamp.select(Stamp.at.truncate('day')).where(Stamp.id == ids[0]).scalar()
    assert day == datetime.datetime(2024, 5, 1, tzinfo=PLUS_TWO)
    assert day.utcoffset() == datetime.timedelta(hours=2)


# -- columns named with leading underscores -------------------------------------------------
def test_table_columns_with_leading_underscores(db):
    q = db.quote_identifier
    db.execute_sql('CREATE TABLE odd (%s INTEGER, %s TEXT, %s INTEGER)'
                   % (q('__x'), q('_y'), q('__z__')))
    odd = Table('odd').bind(db)
    assert odd.c['__x'].name == '__x' and odd.c['__z__'].name == '__z__'
    odd.insert({odd.c['__x']: 7, odd.c._y: 'seven', odd.c['__z__']: 70}).execute()
    odd.insert({odd.c['__x']: 8, odd.c['_y']: 'eight', odd.c['__z__']: 80}).execute()
    rows = list(odd.select(odd.c['__x'], odd.c._y, odd.c['__z__'])
                .where(odd.c['__x'] > 7).dicts())
    assert rows == [{'__x': 8, '_y': 'eight', '__z__': 80}]
    odd.update({odd.c['__x']: 9}).where(odd.c['__z__'] == 70).execute()
    assert sorted(odd.select(odd.c['__x']).tuples()) == [(8,), (9,)]
    # attribute access keeps dunder names for Python's own protocols
    with pytest.raises(AttributeError):
        getattr(odd.c, '__x')


# -- database URL options -------------------------------------------------------------------
@pytest.mark.parametrize('text', ['%C2%B2', '%D9%A3', '\u0663\u0660', '%EF%BC%95', '1e3',
                                  '5s', '%F0%9D%9F%93'])
def test_option_values_are_numbers_only_in_ascii_digits(text):
    # superscript two, Arabic-Indic digits, a fullwidth five ... stay text
    assert isinstance(parse('sqlite:///app.db?x=%s' % text)['x'], str)


@pytest.mark.parametrize('option', ['timeout', 'max_connections', 'stale_timeout',
                                    'connect_timeout'])
@pytest.mark.parametrize('text', ['%C2%B2', '%D9%A3', 'soon', ''])
def test_a_bad_number_option_names_the_option(option, text):
    url = 'postgresql+pool://app@localhost/app?%s=%s' % (option, text)
    with pytest.raises(DatabaseURLError, match="option '%s' must be a number" % option):
        connect(url)


def test_a_bad_boolean_option_names_the_option():
    with pytest.raises(DatabaseURLError, match="option 'autorollback' must be true or false"):
        parse('sqlite:///app.db?autorollback=%D9%A1')
    assert parse('sqlite:///app.db?autorollback=1&thread_safe=false') == {
        'database': 'app.db', 'autorollback': 1, 'thread_safe': False}


def test_good_number_options_still_convert(tmp_path):
    assert parse('postgresql://h/app?connect_timeout=5&stale_timeout=2.5&timeout=-1'
                 '&max_connections=none') == {
        'database': 'app', 'host': 'h', 'connect_timeout': 5, 'stale_timeout': 2.5,
        'timeout': -1, 'max_connections': None}
    db = connect('sqlite:///%s?timeout=7' % (tmp_path / 'ok.db'))
    assert db.timeout == 7
    db.connect()
    assert db.execute_sql('SELECT 1').fetchone() == (1,)
    db.close()
