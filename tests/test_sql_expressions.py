"""Expressions, operators and SQL helper nodes, evaluated by every engine and read back."""
from __future__ import annotations

import pytest

from conftest import engine_name
from orm import (JOIN, OP, SQL, Asc, AsIs, Case, Cast, Desc, EnclosedNodeList, Entity,
                 NodeList, Select, Table, Tuple, Value, fn)
from orm.sql.nodes import BitwiseMixin, BitwiseNegated, Expression

PEOPLE = [  # (name, age, city) -> ids 1..5
    ('alice', 30, 'Paris'),
    ('bob', 25, 'Oslo'),
    ('carol', 41, None),
    ('dave', 25, 'Paris'),
    ('eve', 35, 'Rome'),
]

WORDS = ['100%', '100 percent', 'a_b', 'axb', 'C:\\path\\file', 'MiXeD Case', "it's", 'Ab']

HOSTILE_VALUES = [
    "O'Reilly",
    "'; DROP TABLE people; --",
    'say "hi"',
    '%s %d %(name)s %% ?',
    '? ?1 :name $1',
    'semi; colon -- dash /* c */',
    'back\\slash \\n \\\' \\"',
    'ünïcødé ✓ 中文 😀',
    'line1\nline2\r\n\ttab',
    '',
    "' OR '1'='1",
]


def serial(db):
    return 'INTEGER PRIMARY KEY' if engine_name(db) == 'sqlite' else 'SERIAL PRIMARY KEY'


@pytest.fixture
def people(db):
    db.execute_sql('CREATE TABLE people (id %s, name TEXT NOT NULL, age INTEGER, city TEXT)'
                   % serial(db))
    people = Table('people', ('id', 'name', 'age', 'city'), primary_key='id').bind(db)
    people.insert_many(PEOPLE, fields=('name', 'age', 'city')).execute()
    return people


@pytest.fixture
def words(db):
    db.execute_sql('CREATE TABLE words (id %s, w TEXT)' % serial(db))
    words = Table('words', ('id', 'w'), primary_key='id').bind(db)
    words.insert_many([{'w': w} for w in WORDS]).execute()
    return words


def names(people, *conditions):
    query = people.select(people.name).order_by(people.id)
    if conditions:
        query = query.where(*conditions)
    return [row['name'] for row in query]


def matching(words, condition):
    return sorted(row['w'] for row in words.select(words.w).where(condition))


def evaluate(db, expression):
    """The value of ``expression`` computed by the engine."""
    return Select(columns=[expression.alias('v')]).bind(db).scalar()


# ---------------------------------------------------------------------------------------
# comparisons
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('make, expected', [
    (lambda p: p.age == 25, ['bob', 'dave']),
    (lambda p: p.age != 25, ['alice', 'carol', 'eve']),
    (lambda p: p.age < 30, ['bob', 'dave']),
    (lambda p: p.age <= 30, ['alice', 'bob', 'dave']),
    (lambda p: p.age > 35, ['carol']),
    (lambda p: p.age >= 35, ['carol', 'eve']),
    (lambda p: p.name == 'eve', ['eve']),
    (lambda p: p.city == None, ['carol']),        # noqa: E711  (IS NULL)
    (lambda p: p.city != None, ['alice', 'bob', 'dave', 'eve']),  # noqa: E711
    (lambda p: p.city >> None, ['carol']),
    (lambda p: p.city.is_null(), ['carol']),
    (lambda p: p.city.is_null(False), ['alice', 'bob', 'dave', 'eve']),
    (lambda p: p.age.between(26, 40), ['alice', 'eve']),
    (lambda p: p.age[26:40], ['alice', 'eve']),
    (lambda p: p.age[41], ['carol']),
    (lambda p: 30 < p.age, ['carol', 'eve']),       # reflected comparison
])
def test_comparison_operators(people, make, expected):
    assert names(people, make(people)) == expected


def test_in_with_list_tuple_set_and_subquery(people):
    assert names(people, people.name << ['bob', 'eve', 'nobody']) == ['bob', 'eve']
    assert names(people, people.name.in_(('bob', 'eve'))) == ['bob', 'eve']
    assert names(people, people.age.in_({25})) == ['bob', 'dave']
    young = people.select(people.id).where(people.age < 30)
    assert names(people, people.id << young) == ['bob', 'dave']
    assert names(people, people.id.not_in(young)) == ['alice', 'carol', 'eve']
    assert names(people, people.name.not_in(['alice', 'bob', 'carol'])) == ['dave', 'eve']


def test_in_empty_list(people):
    assert names(people, people.id << []) == []
    assert names(people, people.id.in_([])) == []
    assert names(people, people.id.not_in([])) == ['alice', 'bob', 'carol', 'dave', 'eve']
    assert names(people, ~(people.id.in_([]))) == ['alice', 'bob', 'carol', 'dave', 'eve']


def test_in_single_string_is_one_value(people):
    assert names(people, people.name.in_('bob')) == ['bob']


def test_tuple_comparisons(people):
    assert names(people, Tuple(people.age, people.city) == Tuple(25, 'Paris')) == ['dave']
    pairs = [(25, 'Oslo'), (35, 'Rome'), (99, 'Nowhere')]
    assert names(people, Tuple(people.age, people.city).in_(pairs)) == ['bob', 'eve']
    sub = people.select(people.age, people.city).where(people.name == 'alice')
    assert names(people, Tuple(people.age, people.city).in_(sub)) == ['alice']


def test_and_or_not(people):
    assert names(people, (people.age == 25) & (people.city == 'Paris')) == ['dave']
    assert names(people, (people.age == 41) | (people.name == 'bob')) == ['bob', 'carol']
    assert names(people, ~(people.age == 25)) == ['alice', 'carol', 'eve']
    combined = ~((people.age < 30) | (people.city == 'Rome')) & people.city.is_null(False)
    assert names(people, combined) == ['alice']


# ---------------------------------------------------------------------------------------
# pattern matching
# ---------------------------------------------------------------------------------------

def test_like_operator_is_case_sensitive(db, people):
    # `%` is LIKE; on SQLite it is GLOB (case-sensitive) and takes * and ? wildcards
    if engine_name(db) == 'sqlite':
        assert names(people, people.name % 'a*') == ['alice']
        assert names(people, people.name % '*e') == ['alice', 'dave', 'eve']
        assert names(people, people.name % '?ob') == ['bob']
        assert names(people, people.name % 'A*') == []
    else:
        assert names(people, people.name % 'a%') == ['alice']
        assert names(people, people.name % '%e') == ['alice', 'dave', 'eve']
        assert names(people, people.name % '_ob') == ['bob']
        assert names(people, people.name % 'A%') == []


def test_ilike_operator_is_case_insensitive(people):
    assert names(people, people.name ** 'A%') == ['alice']
    assert names(people, people.name ** '%E') == ['alice', 'dave', 'eve']
    assert names(people, people.name ** '_OB') == ['bob']


def test_contains_startswith_endswith_case_insensitive(people):
    assert names(people, people.name.contains('AR')) == ['carol']
    assert names(people, people.name.startswith('Da')) == ['dave']
    assert names(people, people.name.endswith('VE')) == ['dave', 'eve']


def test_like_helpers_match_wildcards_literally(words):
    assert matching(words, words.w.contains('0%')) == ['100%']
    assert matching(words, words.w.contains('%')) == ['100%']
    assert matching(words, words.w.contains('_')) == ['a_b']
    assert matching(words, words.w.startswith('A_')) == ['a_b']
    assert matching(words, words.w.endswith('%')) == ['100%']
    assert matching(words, words.w.contains('\\path\\')) == ['C:\\path\\file']
    assert matching(words, words.w.startswith('c:\\')) == ['C:\\path\\file']
    assert matching(words, words.w.contains("'")) == ["it's"]
    assert matching(words, words.w.contains('mixed c')) == ['MiXeD Case']
    assert matching(words, words.w.startswith('ab')) == ['Ab']


def test_contains_with_an_expression(people):
    assert names(people, people.name.contains(Value('ro'))) == ['carol']
    assert names(people, people.name.startswith(Value('da'))) == ['dave']
    assert names(people, people.name.endswith(Value('ve'))) == ['dave', 'eve']


def test_regexp_and_iregexp(people):
    assert names(people, people.name.regexp('^[a-c]')) == ['alice', 'bob', 'carol']
    assert names(people, people.name.regexp('^A')) == []
    assert names(people, people.name.iregexp('^A')) == ['alice']
    assert names(people, people.name.iregexp('E$')) == ['alice', 'dave', 'eve']


# ---------------------------------------------------------------------------------------
# arithmetic and strings
# ---------------------------------------------------------------------------------------

@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_arithmetic(people):
    row = (people.select((people.age + 1).alias('plus'), (people.age - 5).alias('minus'),
                         (people.age * 2).alias('times'), (people.age / 2).alias('div'),
                         (100 - people.age).alias('rsub'), (2 + people.age).alias('radd'),
                         (3 * people.age).alias('rmul'),
                         Expression(people.age, OP.MOD, 7).alias('mod'))
           .where(people.name == 'carol').get())
    assert row == {'plus': 42, 'minus': 36, 'times': 82, 'div': 20, 'rsub': 59, 'radd': 43,
                   'rmul': 123, 'mod': 6}


def test_arithmetic_in_where(people):
    assert names(people, (people.age * 2) > 70) == ['carol']
    assert names(people, Expression(people.age, OP.MOD, 2) == 1) == ['bob', 'carol', 'dave',
                                                                     'eve']


def test_bitwise(people):
    row = people.select(people.age.bin_and(8).alias('a'), people.age.bin_or(1).alias('o')) \
        .where(people.name == 'carol').get()
    assert row == {'a': 8, 'o': 41}


def test_concat(people):
    query = people.select(people.name.concat('@').concat(people.city).alias('x')) \
        .where(people.id == 1)
    assert query.scalar() == 'alice@Paris'
    assert evaluate(people._database, Value('a').concat('b').concat(Value('c'))) == 'abc'


def test_string_functions(people):
    row = (people.select(fn.UPPER(people.name).alias('u'), fn.LOWER('MiX').alias('l'),
                         fn.LENGTH(people.name).alias('n'),
                         fn.SUBSTR(people.name, 2, 3).alias('s'),
                         fn.REPLACE(people.name, 'a', '4').alias('r'))
           .where(people.name == 'carol').get())
    assert row == {'u': 'CAROL', 'l': 'mix', 'n': 5, 's': 'aro', 'r': 'c4rol'}


def test_coalesce_and_nullif(people):
    query = people.select(fn.COALESCE(people.city, 'nowhere').alias('c')).order_by(people.id)
    assert [r['c'] for r in query] == ['Paris', 'Oslo', 'nowhere', 'Paris', 'Rome']
    assert evaluate(people._database, fn.NULLIF(1, 1)) is None


def test_function_names_are_free_form(people):
    assert people.select(fn.count(people.id)).scalar() == 5
    assert people.select(fn.Max(people.age)).scalar() == 41
    assert evaluate(people._database, fn.ABS(-7)) == 7
    with pytest.raises(ValueError, match='function name'):
        Select(columns=[getattr(fn, 'bad name')()])


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_count_distinct_and_filter_and_over(people):
    assert people.select(fn.COUNT(people.age.distinct())).scalar() == 4
    assert people.select(fn.SUM(people.age).filter(people.city == 'Paris')).scalar() == 55
    share = fn.COUNT(people.id).over(partition_by=[people.age])
    query = people.select(people.name, share.alias('same_age')).order_by(people.id)
    assert [r['same_age'] for r in query] == [1, 2, 1, 2, 1]


# ---------------------------------------------------------------------------------------
# SQL, Value, AsIs, Cast, Case, NodeList, Entity
# ---------------------------------------------------------------------------------------

def test_raw_sql_with_params(db, people):
    p = db.param
    assert names(people, SQL('age > %s AND age < %s' % (p, p), [26, 40])) == ['alice', 'eve']
    query = people.select(SQL('name'), SQL('age * %s' % p, [10]).alias('x')) \
        .where(people.id == 2)
    assert query.tuples().get() == ('bob', 250)


def test_raw_sql_in_order_by_and_group_by(people):
    query = people.select(people.age, fn.COUNT(SQL('*')).alias('n')) \
        .group_by(SQL('1')).order_by(SQL('2 DESC'), SQL('1'))
    assert list(query.tuples())[0] == (25, 2)


def test_value_and_asis(db, people):
    assert evaluate(db, Value('text')) == 'text'
    assert evaluate(db, Value(5) + 3) == 8
    assert names(people, people.name == Value('bob')) == ['bob']
    assert names(people, people.name == AsIs('eve')) == ['eve']
    assert names(people, people.id.in_(Value([1, 3]))) == ['alice', 'carol']


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_cast(db, people):
    assert people.select(Cast(people.age, 'TEXT')).where(people.id == 1).scalar() == '30'
    assert people.select(people.age.cast('text')).where(people.id == 2).scalar() == '25'
    assert evaluate(db, Cast('42', 'INTEGER')) == 42
    with pytest.raises(ValueError, match='CAST'):
        people.age.cast('text); DROP TABLE people; --')


def test_case_without_predicate(people):
    band = Case(None, [(people.age < 30, 'young'), (people.age < 40, 'mid')], 'old')
    query = people.select(band.alias('b')).order_by(people.id)
    assert [r['b'] for r in query] == ['mid', 'young', 'old', 'young', 'mid']


def test_case_with_predicate_and_no_default(people):
    code = Case(people.city, [('Paris', 'FR'), ('Oslo', 'NO')])
    query = people.select(code.alias('c')).order_by(people.id)
    assert [r['c'] for r in query] == ['FR', 'NO', None, 'FR', None]


def test_case_in_where_and_aggregate(people):
    paris = Case(None, [(people.city == 'Paris', 1)], 0)
    assert people.select(fn.SUM(paris)).scalar() == 2
    assert names(people, Case(people.age, [(25, True)], False) == True) == ['bob', 'dave']  # noqa


def test_case_needs_a_branch():
    with pytest.raises(ValueError, match='at least one'):
        Case(None, [])


def test_nodelist_and_enclosed_nodelist(db, people):
    # raw SQL pieces are written as given (so an engine-neutral operator: MySQL reads ||
    # as OR)
    doubled = NodeList((people.age, SQL('*'), Value(2)))
    assert people.select(doubled.alias('g')).where(people.id == 2).scalar() == 50
    assert names(people, people.id.in_(EnclosedNodeList([1, 5]))) == ['alice', 'eve']
    assert names(people, NodeList((people.age, SQL('IN'), EnclosedNodeList([41, 35])))) == \
        ['carol', 'eve']


def test_entity(db, people):
    query = Select([Entity('people')], [Entity('people', 'name')]) \
        .where(Entity('people', 'age') == 41).bind(db)
    assert query.scalar() == 'carol'


def test_asc_desc_helpers_with_nulls(people):
    query = people.select(people.name).order_by(Desc(people.city, nulls='first'), Asc(people.id))
    assert [r['name'] for r in query] == ['carol', 'eve', 'alice', 'dave', 'bob']
    query = people.select(people.name).order_by(Asc(people.city, nulls='last'), people.id)
    assert [r['name'] for r in query][-1] == 'carol'
    assert [r['name'] for r in people.select(people.name).order_by(-people.age, +people.id)] \
        == ['carol', 'eve', 'alice', 'bob', 'dave']
    with pytest.raises(ValueError, match='nulls'):
        people.age.asc(nulls='middle')


def test_order_by_output_alias(people):
    total = (people.age * 2).alias('twice')
    query = people.select(people.name, total).order_by(Desc(SQL('twice'))).limit(1)
    assert query.get() == {'name': 'carol', 'twice': 82}


# ---------------------------------------------------------------------------------------
# hostile values
# ---------------------------------------------------------------------------------------

@pytest.fixture
def kv(db):
    db.execute_sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)')
    return Table('kv', ('k', 'v'), primary_key='k').bind(db)


def test_hostile_values_round_trip(kv):
    kv.insert_many(list(enumerate(HOSTILE_VALUES))).execute()
    stored = [row['v'] for row in kv.select(kv.v).order_by(kv.k)]
    assert stored == HOSTILE_VALUES
    for i, value in enumerate(HOSTILE_VALUES):
        assert kv.select(kv.k).where(kv.v == value).scalar() == i
        assert kv.select(kv.k).where(kv.v.in_([value])).scalar() == i


def test_hostile_values_in_update_and_expressions(kv):
    kv.insert(k=1, v='x').execute()
    for value in HOSTILE_VALUES:
        kv.update(v=value).where(kv.k == 1).execute()
        assert kv.select(kv.v).scalar() == value
        assert kv.select(kv.v.concat(value)).scalar() == value + value
        assert kv.select(Case(None, [(kv.k == 1, value)])).scalar() == value
    kv.update(v='%s ? 100%').execute()
    assert kv.select(kv.k).where(kv.v.contains('? 100%')).scalar() == 1


def test_hostile_values_in_raw_sql_params(db, kv):
    p = db.param
    for i, value in enumerate(HOSTILE_VALUES):
        kv.insert(k=SQL(p, [i]), v=SQL(p, [value])).execute()
    assert [r['v'] for r in kv.select(kv.v).order_by(kv.k)] == HOSTILE_VALUES


# ---------------------------------------------------------------------------------------
# misuse
# ---------------------------------------------------------------------------------------

def test_non_node_arguments_are_rejected(people):
    with pytest.raises(TypeError, match=r'where\(\).*SQL'):
        people.select().where('age > 3')
    with pytest.raises(TypeError, match=r'from_\(\)'):
        people.select().from_(42)
    with pytest.raises(TypeError, match=r'order_by\(\)'):
        people.select().order_by('name')
    with pytest.raises(TypeError, match=r'having\(\)'):
        people.select().having('count(*) > 1')
    with pytest.raises(TypeError, match=r'group_by\(\)'):
        people.select().group_by('city')
    with pytest.raises(TypeError, match=r'select\(\)'):
        people.select().columns('name')


def test_unknown_operator_constant():
    with pytest.raises(AttributeError, match="OP has no operator 'SPACESHIP'"):
        OP.SPACESHIP
    assert OP.EQ == '=' and OP['IN'] == 'IN'


def test_invalid_operator_string():
    with pytest.raises(ValueError, match='unknown operator'):
        Expression(Value(1), '= 1; DROP TABLE x; --', 2)
    with pytest.raises(ValueError, match='unknown operator'):
        Expression(Value(1), 42, 2)


def test_custom_operator_string(db):
    assert evaluate(db, Expression(Value(2), '<>', 3)) in (1, True)


def test_bad_join_type(people):
    with pytest.raises(ValueError, match='unknown join type'):
        people.select().join(people.alias('x'), 'SIDEWAYS JOIN')
    assert JOIN.INNER == 'INNER JOIN'


@pytest.mark.parametrize('method', ['limit', 'offset'])
def test_negative_limit_or_offset(people, method):
    with pytest.raises(ValueError, match='negative'):
        getattr(people.select(), method)(-1)
    with pytest.raises(TypeError, match='integer'):
        getattr(people.select(), method)(1.5)


def test_paginate_pages_start_at_one(people):
    with pytest.raises(ValueError, match='numbered from 1'):
        people.select().paginate(0)


def test_between_slice_needs_both_ends(people):
    with pytest.raises(ValueError, match='BETWEEN'):
        people.age[10:]


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_bitwise_negation_combines_bitwise_for_any_expression(db):
    db.execute_sql('CREATE TABLE perms (id INTEGER PRIMARY KEY, flags INTEGER)')
    perms = Table('perms', ('id', 'flags')).bind(db)
    perms.insert(id=1, flags=13).execute()                       # 0b1101
    negated = BitwiseNegated(perms.c.flags + 0)                 # ~(any expression)
    assert isinstance(negated, BitwiseMixin)
    query = perms.select(negated, negated & 7, ~negated)
    assert list(query.tuples()) == [(-14, 2, 13)]
    # ``a - b`` on a bitwise expression clears b's bits: ~13 & ~2 == ~15
    cleared = perms.select(negated - 2, negated - Value(2))
    assert list(cleared.tuples()) == [(-16, -16)]
