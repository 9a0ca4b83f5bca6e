"""playhouse.kv: a dictionary stored in a table, on every engine (upsert per dialect),
checked against the rows in the table."""
from __future__ import annotations

import pytest

from orm import IntegerField, SqliteDatabase, TextField
from playhouse.kv import KeyValue, Sentinel
from playhouse.test_utils import count_queries


@pytest.fixture
def kv(db):
    return KeyValue(database=db, table_name='kv_store')


def stored(kv):
    """The table's content read straight from the engine."""
    database = kv.model._meta.database
    cursor = database.execute_sql('SELECT %s FROM kv_store ORDER BY %s'
                                  % ((database.quote_identifier('key'),) * 2))
    return [row[0] for row in cursor.fetchall()]


def test_set_get_overwrite(kv):
    kv['k1'] = 'v1'
    kv['k2'] = {'nested': [1, 2]}          # values are pickled: any object
    assert kv['k1'] == 'v1' and kv['k2'] == {'nested': [1, 2]}
    kv['k1'] = 'v1-again'                   # upsert: overwritten, not duplicated
    assert kv['k1'] == 'v1-again'
    assert stored(kv) == ['k1', 'k2']
    assert len(kv) == 2
    with pytest.raises(KeyError):
        kv['missing']
    assert kv.get('missing') is None and kv.get('missing', 0) == 0


def test_contains_delete_pop_clear(kv):
    kv.update(k1=1, k2=2, k3=3)
    assert 'k1' in kv and 'kx' not in kv
    assert (kv.key < 'k2') in kv and (kv.key > 'k3') not in kv
    del kv['k1']
    with pytest.raises(KeyError):
        del kv['k1']
    assert stored(kv) == ['k2', 'k3']
    assert kv.pop('k2') == 2
    assert kv.pop('k2', 'gone') == 'gone'
    with pytest.raises(KeyError):
        kv.pop('k2')
    with pytest.raises(KeyError):         # Sentinel: "no default given"
        kv.pop('k2', Sentinel)
    kv.update({'a1': 1, 'a2': 2})
    assert sorted(kv.pop(kv.key.startswith('a'))) == [1, 2]
    assert stored(kv) == ['k3']
    kv.clear()
    assert len(kv) == 0 and stored(kv) == []


def test_update_and_dict_views(db):
    kv = KeyValue(database=db, table_name='kv_store', ordered=True)
    kv.update(k2='v2', k1='v1')
    kv.update({'k3': 'v3', 'k2': 'v2-new'}, k4='v4')
    assert dict(kv) == {'k1': 'v1', 'k2': 'v2-new', 'k3': 'v3', 'k4': 'v4'}
    assert list(kv.keys()) == ['k1', 'k2', 'k3', 'k4']
    assert list(kv.values()) == ['v1', 'v2-new', 'v3', 'v4']
    assert list(kv.items()) == [('k1', 'v1'), ('k2', 'v2-new'), ('k3', 'v3'), ('k4', 'v4')]
    assert list(kv) == list(kv.items())
    # a few keys: one statement, no transaction around it
    with count_queries() as counter:
        kv.update(k1='v1-x', k5='v5')
    assert counter.count == 1 and kv['k1'] == 'v1-x'
    # a large batch goes through in chunks, all in one transaction
    with count_queries() as counter:
        kv.update({'bulk%04d' % i: i for i in range(1200)})
    assert counter.count >= 3
    assert len(kv) == 1205
    assert kv['bulk0999'] == 999
    with pytest.raises(Exception):
        kv.update({'late%04d' % i: (i if i < 900 else (lambda: i)) for i in range(1000)})
    assert 'late0001' not in kv                  # the first batch was rolled back


def test_expressions(kv):
    kv.update(k1='v1', k2='v2', k3='v3', other='x')
    assert sorted(kv[kv.key > 'k1']) == ['v2', 'v3', 'x']
    assert kv[kv.key.startswith('k') & (kv.key != 'k2')] in (['v1', 'v3'], ['v3', 'v1'])
    assert kv[kv.key == 'nope'] == [] and kv.get(kv.key == 'nope') == []
    kv[kv.key.startswith('k')] = 'vx'
    assert dict(kv) == {'k1': 'vx', 'k2': 'vx', 'k3': 'vx', 'other': 'x'}
    del kv[kv.key.startswith('k')]
    del kv[kv.key == 'nothing']           # no match, no error
    assert stored(kv) == ['other']


def test_custom_fields_and_persistence(db):
    kv = KeyValue(key_field=IntegerField(primary_key=True), value_field=TextField(),
                  database=db, table_name='kv_store', ordered=True)
    kv[3] = 'three'
    kv.update({1: 'one', 2: 'two'})
    kv[2] = 'TWO'
    assert list(kv.items()) == [(1, 'one'), (2, 'TWO'), (3, 'three')]
    assert kv[kv.key >= 2] == ['TWO', 'three']
    # a second store on the same table sees the same data (the table already exists)
    again = KeyValue(key_field=IntegerField(primary_key=True), value_field=TextField(),
                     database=db, table_name='kv_store')
    assert again[1] == 'one' and len(again) == 3
    assert kv.setdefault(1, 'x') == 'one' and kv.setdefault(9, 'nine') == 'nine'
    assert again[9] == 'nine'


def test_key_field_must_be_primary_key(db):
    with pytest.raises(ValueError, match='primary_key'):
        KeyValue(key_field=TextField(), database=db)


def test_default_database_is_sqlite_memory():
    kv = KeyValue()
    kv['a'] = 1
    assert isinstance(kv.model._meta.database, SqliteDatabase)
    assert kv.model._meta.database.database == ':memory:'
    assert dict(kv) == {'a': 1}


def test_value_types_round_trip(kv):
    import datetime
    import decimal
    values = {
        'none': None, 'int': 2 ** 40, 'float': 1.25, 'text': 'h\u00e9llo', 'bytes': b'\x00\xff',
        'bool': False, 'date': datetime.date(2024, 2, 29),
        'datetime': datetime.datetime(2024, 2, 29, 12, 30, 1, 500),
        'decimal': decimal.Decimal('3.14'), 'set': {1, 2}, 'tuple': (1, 'a'),
        'nested': {'list': [1, {'x': None}]},
    }
    kv.update(values)
    fresh = KeyValue(database=kv.model._meta.database, table_name='kv_store')
    for key, value in values.items():
        got = fresh[key]
        assert got == value and type(got) is type(value), key
    assert 'none' in fresh and fresh.get('none', 'default') is None
    assert fresh.setdefault('none', 'x') is None                 # stored None is a value
    assert fresh.get(fresh.key.startswith('d'), 'unused') in (
        [values['date'], values['datetime'], values['decimal']],
        sorted([values['date'], values['datetime'], values['decimal']], key=repr))
    assert stored(kv) == sorted(values)
