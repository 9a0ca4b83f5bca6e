"""Field types and field options, with every value read back from the engine."""
from __future__ import annotations

import calendar
import datetime
import decimal
import uuid

import pytest

import orm
from conftest import engine_name
from orm import (SQL, AutoField, BareField, BigAutoField, BigBitField, BigIntegerField,
                 BinaryUUIDField, BitField, BlobField, BooleanField, CharField, Check,
                 DateField, DateTimeField, DecimalField, DoubleField, FixedCharField,
                 FloatField, IdentityField, IntegerField, IPField, JSONField, Model,
                 SmallIntegerField, TextField, TimeField, TimestampField, UUIDField, fn)


def reload(obj):
    """The row of ``obj`` fetched again from the database."""
    return type(obj).get_by_id(obj._pk)


def raw_value(db, model, column, pk):
    """The value stored in ``column`` as the driver returns it (no field conversion)."""
    table = db.dialect.quote_identifier(model._meta.table_name)
    col = db.dialect.quote_identifier(column)
    cursor = db.execute_sql('SELECT %s FROM %s WHERE id = %s' % (col, table, db.param), (pk,))
    return cursor.fetchone()[0]


def column_types(db, model):
    return {c.name: c.data_type.lower() for c in db.get_columns(model._meta.table_name)}


# -- auto-increment keys ------------------------------------------------------------------
class AutoThing(Model):
    name = TextField()


class BigAutoThing(Model):
    id = BigAutoField()
    name = TextField()


class IdentityThing(Model):
    id = IdentityField()
    name = TextField()


class IdentityAlways(Model):
    id = IdentityField(generate_always=True)
    name = TextField()


def test_auto_field(setup):
    setup(AutoThing)
    a = AutoThing.create(name='a')
    b = AutoThing.create(name='b')
    assert (a.id, b.id) == (1, 2)
    assert isinstance(AutoThing._meta.primary_key, AutoField)
    assert AutoThing._meta.auto_increment
    assert [t.name for t in AutoThing.select().order_by(AutoThing.id)] == ['a', 'b']


def test_auto_field_must_be_primary_key():
    with pytest.raises(ValueError, match='primary key'):
        AutoField(primary_key=False)


def test_big_auto_field(setup, db):
    setup(BigAutoThing)
    a = BigAutoThing.create(name='a')
    assert a.id == 1
    big = BigAutoThing.create(id=2 ** 40, name='big')
    assert reload(big).id == 2 ** 40
    if engine_name(db) == 'postgres':
        assert column_types(db, BigAutoThing)['id'] == 'bigint'


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_identity_field(setup, db):
    setup(IdentityThing)
    a = IdentityThing.create(name='a')
    b = IdentityThing.create(name='b')
    assert (a.id, b.id) == (1, 2)
    assert reload(b).name == 'b'
    if engine_name(db) == 'postgres':
        row = db.execute_sql(
            "SELECT is_identity, identity_generation FROM information_schema.columns "
            "WHERE table_name = 'identitything' AND column_name = 'id'").fetchone()
        assert row == ('YES', 'BY DEFAULT')
    else:
        assert db.get_primary_keys('identitything') == ['id']


@pytest.mark.engines('postgres')
def test_identity_generate_always(setup, db):
    setup(IdentityAlways)
    assert IdentityAlways.create(name='a').id == 1
    row = db.execute_sql(
        "SELECT identity_generation FROM information_schema.columns "
        "WHERE table_name = 'identityalways' AND column_name = 'id'").fetchone()
    assert row == ('ALWAYS',)
    with pytest.raises(orm.DatabaseError):
        with db.atomic():
            IdentityAlways.insert(id=10, name='x').execute()


# -- numbers ----------------------------------------------------------------------------
class Numbers(Model):
    i = IntegerField(null=True)
    bi = BigIntegerField(null=True)
    si = SmallIntegerField(null=True)
    f = FloatField(null=True)
    d = DoubleField(null=True)


def test_integer_fields(setup):
    setup(Numbers)
    n = Numbers.create(i=-7, bi=2 ** 40 + 3, si=300)
    got = reload(n)
    assert (got.i, got.bi, got.si) == (-7, 2 ** 40 + 3, 300)
    assert all(type(v) is int for v in (got.i, got.bi, got.si))
    assert Numbers.get(Numbers.bi > 2 ** 40).id == n.id
    # strings of digits are converted
    n2 = Numbers.create(i='42')
    assert reload(n2).i == 42
    assert Numbers.select().where(Numbers.i == '42').count() == 1


def test_float_fields(setup):
    setup(Numbers)
    n = Numbers.create(f=1.5, d=0.1, i=None)
    got = reload(n)
    assert got.f == 1.5 and type(got.f) is float
    assert got.d == 0.1 and type(got.d) is float
    assert got.i is None
    assert reload(Numbers.create(f='2.25')).f == 2.25


def test_bad_numbers_give_clear_errors(setup):
    setup(Numbers)
    with pytest.raises(ValueError, match="'abc'"):
        Numbers.create(i='abc')
    with pytest.raises(ValueError, match='IntegerField'):
        Numbers.select().where(Numbers.i == 'abc').count()
    with pytest.raises(ValueError, match="'x1'"):
        Numbers.create(f='x1')
    assert Numbers.select().count() == 0


class Money(Model):
    amount = DecimalField(max_digits=10, decimal_places=2, null=True)
    rounded = DecimalField(max_digits=10, decimal_places=2, auto_round=True, null=True)
    floor = DecimalField(max_digits=10, decimal_places=2, auto_round=True,
                         rounding=decimal.ROUND_DOWN, null=True)


def test_decimal_field_round_trip(setup, db):
    setup(Money)
    m = Money.create(amount=decimal.Decimal('12345.67'))
    got = reload(m)
    assert got.amount == decimal.Decimal('12345.67')
    assert isinstance(got.amount, decimal.Decimal)
    assert str(got.amount) == '12345.67'
    assert Money.get(Money.amount == decimal.Decimal('12345.67')).id == m.id
    # ints, floats and strings are accepted
    assert reload(Money.create(amount=3)).amount == decimal.Decimal('3.00')
    assert reload(Money.create(amount='0.10')).amount == decimal.Decimal('0.10')
    assert reload(Money.create(amount=2.5)).amount == decimal.Decimal('2.50')
    if engine_name(db) == 'postgres':
        assert column_types(db, Money)['amount'] == 'numeric'
    with pytest.raises(ValueError, match='xyz'):
        Money.create(amount='xyz')


def test_decimal_field_auto_round(setup):
    setup(Money)
    f = Money.amount
    assert (f.max_digits, f.decimal_places, f.auto_round) == (10, 2, False)
    assert Money.rounded.db_value(decimal.Decimal('1.005')) == decimal.Decimal('1.00')
    assert Money.rounded.db_value(decimal.Decimal('1.015')) == decimal.Decimal('1.02')
    assert Money.floor.db_value(decimal.Decimal('1.239')) == decimal.Decimal('1.23')
    m = Money.create(rounded=decimal.Decimal('9.876'), floor=decimal.Decimal('9.879'))
    got = reload(m)
    assert got.rounded == decimal.Decimal('9.88')
    assert got.floor == decimal.Decimal('9.87')


# -- strings and bytes ------------------------------------------------------------------
class Strings(Model):
    short = CharField(max_length=5, null=True)
    code = FixedCharField(max_length=4, null=True)
    body = TextField(null=True)
    data = BlobField(null=True)


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_char_and_text_fields(setup, db):
    setup(Strings)
    assert Strings.short.max_length == 5
    assert CharField().max_length == 255
    s = Strings.create(short='abc', body='x' * 10000 + ' \u00e9\u4e2d')
    got = reload(s)
    assert got.short == 'abc'
    assert got.body == 'x' * 10000 + ' \u00e9\u4e2d'
    types = column_types(db, Strings)
    if engine_name(db) == 'postgres':
        assert types['short'] == 'character varying'
        row = db.execute_sql("SELECT character_maximum_length FROM information_schema.columns"
                             " WHERE table_name = 'strings' AND column_name = 'short'"
                             ).fetchone()
        assert row == (5,)
        with pytest.raises(orm.DataError):
            with db.atomic():
                Strings.create(short='toolong')
    else:
        assert types['short'] == 'varchar(5)'
    # non-strings are converted to text
    assert reload(Strings.create(short=123)).short == '123'


def test_fixed_char_field(setup, db):
    setup(Strings)
    s = Strings.create(code='ab')
    assert reload(s).code == 'ab'
    if engine_name(db) == 'postgres':
        # the engine pads CHAR(n) values; the field strips the padding again
        assert raw_value(db, Strings, 'code', s.id) == 'ab  '
    assert Strings.get(Strings.code == 'ab').id == s.id


def test_blob_field(setup):
    setup(Strings)
    payload = b'\x00\x01binary\x00\xff\xfe' + bytes(range(256))
    s = Strings.create(data=payload)
    got = reload(s)
    assert got.data == payload and type(got.data) is bytes
    assert reload(Strings.create(data=bytearray(b'\x00ab'))).data == b'\x00ab'
    assert reload(Strings.create(data=memoryview(b'mv\x00'))).data == b'mv\x00'
    assert reload(Strings.create(data='text')).data == b'text'
    assert Strings.get(Strings.data == payload).id == s.id


# -- flags ------------------------------------------------------------------------------
class Post(Model):
    title = TextField()
    flags = BitField()
    is_sticky = flags.flag(1)
    is_favorite = flags.flag(2)
    is_minimized = flags.flag()       # the next free bit: 4


def test_bit_field_flags(setup):
    setup(Post)
    p = Post(title='a')
    assert p.flags == 0 and not p.is_sticky
    p.is_sticky = True
    p.is_minimized = True
    assert p.flags == 5
    p.save()
    Post.create(title='b', is_favorite=True)
    Post.create(title='c')

    got = reload(p)
    assert got.flags == 5
    assert got.is_sticky and got.is_minimized and not got.is_favorite
    got.is_sticky = False
    got.save()
    assert reload(p).flags == 4
    with pytest.raises(ValueError):
        got.is_sticky = 'yes'

    titles = lambda q: sorted(x.title for x in q)  # noqa: E731
    assert titles(Post.select().where(Post.is_favorite)) == ['b']
    assert titles(Post.select().where(Post.is_minimized)) == ['a']
    assert titles(Post.select().where(~Post.is_favorite)) == ['a', 'c']
    assert titles(Post.select().where(Post.is_favorite | Post.is_minimized)) == ['a', 'b']

    # set / clear a flag in an UPDATE
    Post.update(flags=Post.is_sticky.set()).execute()
    assert titles(Post.select().where(Post.is_sticky)) == ['a', 'b', 'c']
    Post.update(flags=Post.is_minimized.clear()).where(Post.title == 'a').execute()
    assert Post.get(Post.title == 'a').flags == 1
    # a NULL bit field reads as no flags set
    nulled = Post(title='n', flags=None)
    assert nulled.is_sticky is False
    nulled.is_favorite = True
    assert nulled.flags == 2


class Bitmap(Model):
    data = BigBitField()


def test_big_bit_field(setup):
    setup(Bitmap)
    b = Bitmap()
    b.data.set_bit(3)
    b.data.set_bit(100)
    b.data.set_bit(7)
    b.data.clear_bit(7)
    assert b.data.toggle_bit(9) is True
    assert b.data.is_set(3) and b.data.is_set(100) and not b.data.is_set(7)
    b.save()

    got = reload(b)
    assert got.data.is_set(3) and got.data.is_set(9) and got.data.is_set(100)
    assert not got.data.is_set(4) and not got.data.is_set(7)
    assert not got.data.is_set(5000)
    assert len(got.data) == 13

    # changes made through the accessor mark the field dirty and are saved
    got._dirty.clear()
    got.data.set_bit(4)
    assert 'data' in got._dirty
    got.save()
    assert reload(b).data.is_set(4)

    empty = Bitmap.create()
    assert not reload(empty).data.is_set(0)
    assert bytes(reload(empty).data) == b''
    with pytest.raises(ValueError, match='BigBitField takes bytes'):
        b.data = 12345


# -- identifiers ------------------------------------------------------------------------
class Ident(Model):
    uid = UUIDField(null=True)
    buid = BinaryUUIDField(null=True)
    ip = IPField(null=True)


def test_uuid_fields(setup, db):
    setup(Ident)
    u1, u2 = uuid.uuid4(), uuid.uuid4()
    obj = Ident.create(uid=u1, buid=u2)
    got = reload(obj)
    assert got.uid == u1 and isinstance(got.uid, uuid.UUID)
    assert got.buid == u2 and isinstance(got.buid, uuid.UUID)
    assert Ident.get(Ident.uid == u1).id == obj.id
    assert Ident.get(Ident.uid == str(u1)).id == obj.id
    assert Ident.get(Ident.buid == u2).id == obj.id
    assert reload(Ident.create(uid=str(u2))).uid == u2
    if engine_name(db) == 'postgres':
        assert column_types(db, Ident)['uid'] == 'uuid'
        assert column_types(db, Ident)['buid'] == 'bytea'
    assert len(raw_value(db, Ident, 'buid', obj.id)) == 16
    with pytest.raises(ValueError, match='UUID'):
        Ident.create(uid='not-a-uuid')


def test_ip_field(setup, db):
    setup(Ident)
    obj = Ident.create(ip='192.168.1.254')
    assert reload(obj).ip == '192.168.1.254'
    assert raw_value(db, Ident, 'ip', obj.id) == 3232236030
    Ident.create(ip='10.0.0.1')
    assert [i.ip for i in Ident.select().where(Ident.ip > '100.0.0.0')] == ['192.168.1.254']
    with pytest.raises(ValueError, match='IPv4'):
        Ident.create(ip='999.1.1.1')


# -- booleans, bare, json ---------------------------------------------------------------
class Misc(Model):
    flag = BooleanField(null=True)
    doc = JSONField(null=True)


def test_boolean_field(setup):
    setup(Misc)
    t = Misc.create(flag=True)
    f = Misc.create(flag=False)
    n = Misc.create(flag=None)
    assert reload(t).flag is True
    assert reload(f).flag is False
    assert reload(n).flag is None
    assert [m.id for m in Misc.select().where(Misc.flag == True)] == [t.id]  # noqa: E712
    assert [m.id for m in Misc.select().where(Misc.flag == False)] == [f.id]  # noqa: E712
    assert [m.id for m in Misc.select().where(Misc.flag.is_null())] == [n.id]
    assert [m.id for m in Misc.select().where(Misc.flag)] == [t.id]


def test_json_field(setup):
    setup(Misc)
    doc = {'name': 'x', 'tags': ['a', 'b'], 'n': 1.5, 'nested': {'ok': True, 'none': None}}
    obj = Misc.create(doc=doc)
    assert reload(obj).doc == doc
    lst = Misc.create(doc=[1, 'two', {'three': 3}])
    assert reload(lst).doc == [1, 'two', {'three': 3}]
    s = Misc.create(doc='a string')
    assert reload(s).doc == 'a string'
    # strings that look like JSON stay strings
    for text in ('123', 'true', 'null', '[1, 2]', '{"a": 1}', '"quoted"'):
        assert reload(Misc.create(doc=text)).doc == text
    for value in (0, 12.5, True, False, [], {}):
        got = reload(Misc.create(doc=value)).doc
        assert got == value and type(got) is type(value)
    assert Misc.select().where(Misc.doc.is_null(False)).count() == 15
    assert reload(Misc.create(doc=None)).doc is None


class Bare(Model):
    anything = BareField(null=True)


@pytest.mark.engines('sqlite')
def test_bare_field(setup, db):
    setup(Bare)
    sql = db.execute_sql("SELECT sql FROM sqlite_master WHERE name = 'bare'").fetchone()[0]
    assert '"anything"' in sql and '"anything" INT' not in sql
    a = Bare.create(anything=1)
    b = Bare.create(anything='text')
    c = Bare.create(anything=b'\x00b')
    assert reload(a).anything == 1
    assert reload(b).anything == 'text'
    assert reload(c).anything == b'\x00b'


# -- dates and times --------------------------------------------------------------------
class Event(Model):
    dt = DateTimeField(null=True)
    day = DateField(null=True)
    at = TimeField(null=True)


def test_datetime_fields_round_trip(setup):
    setup(Event)
    dt = datetime.datetime(2024, 2, 29, 13, 45, 30, 123456)
    e = Event.create(dt=dt, day=datetime.date(2023, 12, 31),
                     at=datetime.time(23, 59, 58, 500))
    got = reload(e)
    assert got.dt == dt and type(got.dt) is datetime.datetime
    assert got.day == datetime.date(2023, 12, 31) and type(got.day) is datetime.date
    assert got.at == datetime.time(23, 59, 58, 500)
    # strings are parsed
    e2 = Event.create(dt='2020-01-02 03:04:05', day='2020-01-02', at='03:04:05')
    got = reload(e2)
    assert got.dt == datetime.datetime(2020, 1, 2, 3, 4, 5)
    assert got.day == datetime.date(2020, 1, 2)
    assert got.at == datetime.time(3, 4, 5)
    assert Event.get(Event.dt == dt).id == e.id
    assert Event.select().where(Event.dt > datetime.datetime(2021, 1, 1)).count() == 1


def test_date_parts_in_queries(setup):
    setup(Event)
    Event.create(dt=datetime.datetime(2024, 1, 5, 10, 20, 30),
                 day=datetime.date(2024, 1, 5), at=datetime.time(10, 20, 30))
    Event.create(dt=datetime.datetime(2024, 1, 20, 11, 0, 0),
                 day=datetime.date(2024, 1, 20), at=datetime.time(11, 0, 0))
    Event.create(dt=datetime.datetime(2023, 7, 1, 0, 0, 0),
                 day=datetime.date(2023, 7, 1), at=datetime.time(0, 0, 0))

    row = (Event.select(Event.dt.year, Event.dt.month, Event.dt.day, Event.dt.hour,
                        Event.dt.minute, Event.dt.second)
           .order_by(Event.id).tuples().first())
    assert row == (2024, 1, 5, 10, 20, 30)
    assert Event.select().where(Event.dt.year == 2024).count() == 2
    assert Event.select().where(Event.day.month == 7).count() == 1
    assert Event.select().where(Event.day.day == 20).count() == 1
    assert Event.select().where(Event.at.hour == 11).count() == 1
    years = [y for y, in Event.select(Event.day.year).order_by(Event.day.year).tuples()]
    assert years == [2023, 2024, 2024]


def test_truncate_date(setup):
    setup(Event)
    for d in (datetime.datetime(2024, 1, 5, 10), datetime.datetime(2024, 1, 20, 11),
              datetime.datetime(2024, 3, 1, 12)):
        Event.create(dt=d)
    month = Event.dt.truncate('month')
    rows = list(Event.select(month.alias('m'), fn.COUNT(Event.id).alias('n'))
                .group_by(month).order_by(month).tuples())
    assert [n for _, n in rows] == [2, 1]
    firsts = [Event.dt.python_value(m) if isinstance(m, str) else m for m, _ in rows]
    assert firsts == [datetime.datetime(2024, 1, 1), datetime.datetime(2024, 3, 1)]
    with pytest.raises(ValueError, match='date part'):
        Event.select(Event.dt.truncate('fortnight')).tuples().first()


class Stamp(Model):
    ts = TimestampField(null=True)
    ms = TimestampField(resolution=1000, null=True)
    us = TimestampField(resolution=6, null=True)
    utc = TimestampField(utc=True, null=True)


def test_timestamp_field(setup, db):
    setup(Stamp)
    assert Stamp.ms.resolution == 1000 and Stamp.us.resolution == 10 ** 6
    with pytest.raises(ValueError, match='resolution'):
        TimestampField(resolution=7000)
    dt = datetime.datetime(2021, 6, 15, 12, 30, 45, 678901)
    s = Stamp.create(ts=dt, ms=dt, us=dt, utc=dt)
    got = reload(s)
    assert got.ts == dt.replace(microsecond=0)
    assert got.ms == dt.replace(microsecond=679000)   # rounded to the nearest tick
    assert got.us == dt
    assert got.utc == dt.replace(microsecond=0)
    # utc=True stores the UTC epoch of the naive value; the default stores local time
    assert raw_value(db, Stamp, 'utc', s.id) == calendar.timegm(dt.utctimetuple())
    seconds = raw_value(db, Stamp, 'ts', s.id)
    assert raw_value(db, Stamp, 'us', s.id) == seconds * 10 ** 6 + 678901
    assert raw_value(db, Stamp, 'ms', s.id) == seconds * 1000 + 679
    assert Stamp.get(Stamp.ts == dt.replace(microsecond=0)).id == s.id
    assert Stamp.select().where(Stamp.utc > datetime.datetime(2021, 1, 1)).count() == 1
    # date parts work on the stored number (noon: the same day in any time zone)
    noon = datetime.datetime(2022, 3, 4, 12, 0, 0, 250000)
    Stamp.create(ts=noon, ms=noon, us=noon, utc=noon)
    for field in (Stamp.ts, Stamp.ms, Stamp.us, Stamp.utc):
        assert Stamp.select(field.year, field.month, field.day).where(field.year == 2022) \
            .tuples().get() == (2022, 3, 4)
    # the default is "now"
    fresh = reload(Stamp.create())
    assert abs((fresh.ts - datetime.datetime.now()).total_seconds()) < 5
    # numbers are taken as seconds since the epoch
    n = Stamp.create(utc=0)
    assert reload(n).utc == datetime.datetime(1970, 1, 1)


# -- options ---------------------------------------------------------------------------
def _default_label():
    return 'generated'


class Options(Model):
    name = CharField(unique=True)
    nick = CharField(index=True, null=True)
    renamed = IntegerField(column_name='the_column', default=7)
    label = CharField(default=_default_label)
    price = IntegerField(constraints=[Check('price > 0')], default=1)
    status = IntegerField(choices=((1, 'on'), (2, 'off')), default=1,
                          help_text='on or off', verbose_name='Status')
    required = TextField(default='x')


def test_null_option(setup):
    setup(Options)
    assert Options.nick.null and not Options.name.null
    with pytest.raises(orm.IntegrityError):
        with Options._meta.database.atomic():
            Options.create(name=None)
    with pytest.raises(orm.IntegrityError):
        with Options._meta.database.atomic():
            Options.create(name='n', required=None)
    Options.create(name='ok', nick=None)
    assert Options.get(Options.nick.is_null()).name == 'ok'


def test_unique_and_index_options(setup, db):
    setup(Options)
    indexes = {tuple(i.columns): i for i in db.get_indexes('options')}
    assert indexes[('name',)].unique
    assert not indexes[('nick',)].unique
    Options.create(name='a')
    with pytest.raises(orm.IntegrityError):
        with db.atomic():
            Options.create(name='a')
    Options.create(name='b', nick='same')
    Options.create(name='c', nick='same')
    assert Options.select().count() == 3


def test_column_name_option(setup, db):
    setup(Options)
    assert Options.renamed.column_name == 'the_column'
    assert 'the_column' in column_types(db, Options)
    assert 'renamed' not in column_types(db, Options)
    o = Options.create(name='a', renamed=5)
    assert reload(o).renamed == 5
    assert Options.get(Options.renamed == 5).id == o.id
    assert Options.select().where(Options.renamed > 4).count() == 1
    assert Options.filter(renamed=5).count() == 1
    assert Options._meta.columns['the_column'] is Options.renamed
    assert Options._meta.combined['the_column'] is Options.renamed


def test_default_option(setup):
    setup(Options)
    o = Options(name='a')
    assert o.renamed == 7 and o.label == 'generated'
    o.save()
    got = reload(o)
    assert got.renamed == 7 and got.label == 'generated'
    # defaults are filled for insert() too, callables called per row
    Options.insert(name='b').execute()
    assert Options.get(Options.name == 'b').label == 'generated'
    assert Options.get(Options.name == 'b').renamed == 7
    # an explicit value wins
    assert reload(Options.create(name='c', label='mine', renamed=0)).renamed == 0


def test_callable_default_is_called_each_time(setup):
    calls = []

    class Counter(Model):
        n = IntegerField(default=lambda: calls.append(1) or len(calls))

    setup(Counter)
    a, b = Counter.create(), Counter.create()
    assert (reload(a).n, reload(b).n) == (1, 2)


def test_constraints_option(setup, db):
    setup(Options)
    Options.create(name='ok', price=10)
    with pytest.raises(orm.IntegrityError):
        with db.atomic():
            Options.create(name='bad', price=-1)
    assert Options.select().count() == 1


def test_metadata_options_are_kept_not_enforced(setup):
    setup(Options)
    f = Options.status
    assert f.choices == ((1, 'on'), (2, 'off'))
    assert f.help_text == 'on or off' and f.verbose_name == 'Status'
    assert reload(Options.create(name='a', status=3)).status == 3


class Keyed(Model):
    code = CharField(primary_key=True, max_length=10)
    value = IntegerField()


def test_primary_key_option(setup, db):
    setup(Keyed)
    assert Keyed._meta.primary_key is Keyed.code
    assert 'id' not in Keyed._meta.fields
    assert not Keyed._meta.auto_increment
    k = Keyed.create(code='abc', value=1)
    assert k.code == 'abc' and k._pk == 'abc'
    assert Keyed.get_by_id('abc').value == 1
    assert Keyed['abc'].value == 1
    assert db.get_primary_keys('keyed') == ['code']
    with pytest.raises(orm.IntegrityError):
        with db.atomic():
            Keyed.create(code='abc', value=2)
    k.value = 5
    assert k.save() == 1
    assert Keyed.get_by_id('abc').value == 5 and Keyed.select().count() == 1


class Sequenced(Model):
    name = TextField()
    num = IntegerField(sequence='sequenced_num_seq')


@pytest.mark.engines('postgres')
def test_sequence_option(setup, db):
    setup(Sequenced)
    assert db.sequence_exists('sequenced_num_seq')
    Sequenced.insert(name='a').execute()
    Sequenced.insert(name='b').execute()
    assert [s.num for s in Sequenced.select().order_by(Sequenced.id)] == [1, 2]
    Sequenced.drop_table()
    assert not db.sequence_exists('sequenced_num_seq')


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_collation_option(db, setup):
    collation = 'NOCASE' if engine_name(db) == 'sqlite' else '"C"'

    class Word(Model):
        text = CharField(collation=collation)

    setup(Word)
    for w in ('b', 'A', 'a', 'B'):
        Word.create(text=w)
    ordered = [w.text for w in Word.select().order_by(Word.text, Word.id)]
    if engine_name(db) == 'sqlite':
        # NOCASE compares without case: 'A' and 'a' are equal
        assert Word.select().where(Word.text == 'a').count() == 2
        assert ordered == ['A', 'a', 'b', 'B']
    else:
        # "C" orders by byte value: capitals first
        assert ordered == ['A', 'B', 'a', 'b']


@pytest.mark.engines('postgres')
def test_index_type_option(setup, db):
    class Hashed(Model):
        token = CharField(index=True, index_type='HASH')

    setup(Hashed)
    (index,) = [i for i in db.get_indexes('hashed') if i.columns == ['token']]
    assert 'USING hash' in index.sql


def test_index_type_ignored_on_sqlite(sqlite_db):
    class Hashed(Model):
        token = CharField(index=True, index_type='HASH')

    sqlite_db.bind([Hashed])
    sqlite_db.create_tables([Hashed])
    assert [i.columns for i in sqlite_db.get_indexes('hashed')] == [['token']]
