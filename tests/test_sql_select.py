"""SELECT built with the query builder (no models), run on every engine and read back."""
from __future__ import annotations

import collections
import sqlite3

import pytest

from conftest import engine_name
from orm import (CTE, JOIN, SQL, Case, InterfaceError, NotSupportedError, Select, Table,
                 Value, ValuesList, Window, fn)

PEOPLE = [  # (name, age, city) -> ids 1..5
    ('alice', 30, 'Paris'),
    ('bob', 25, 'Oslo'),
    ('carol', 41, None),
    ('dave', 25, 'Paris'),
    ('eve', 35, 'Rome'),
]
PETS = [  # (owner_id, name)
    (1, 'rex'),
    (1, 'tom'),
    (2, 'kit'),
    (9, 'stray'),   # owner does not exist
]


def serial(db):
    return 'INTEGER PRIMARY KEY' if engine_name(db) == 'sqlite' else 'SERIAL PRIMARY KEY'


def insert_rows(db, table, columns, rows):
    sql = 'INSERT INTO %s (%s) VALUES (%s)' % (table, ', '.join(columns),
                                               ', '.join([db.param] * len(columns)))
    for row in rows:
        db.execute_sql(sql, row)


@pytest.fixture
def people(db):
    db.execute_sql('CREATE TABLE people (id %s, name TEXT NOT NULL, age INTEGER, city TEXT)'
                   % serial(db))
    insert_rows(db, 'people', ('name', 'age', 'city'), PEOPLE)
    return Table('people', ('id', 'name', 'age', 'city'), primary_key='id').bind(db)


@pytest.fixture
def pets(db, people):
    db.execute_sql('CREATE TABLE pets (id %s, owner_id INTEGER, name TEXT)' % serial(db))
    insert_rows(db, 'pets', ('owner_id', 'name'), PETS)
    return Table('pets', ('id', 'owner_id', 'name'), primary_key='id').bind(db)


def names(query):
    return [row['name'] for row in query]


# ---------------------------------------------------------------------------------------
# where / order / limit / offset / paginate
# ---------------------------------------------------------------------------------------

def test_table_without_declared_columns_selects_star(db, people):
    bare = Table('people').bind(db)
    rows = list(bare.select().where(bare.c.id == 2))
    assert rows == [{'id': 2, 'name': 'bob', 'age': 25, 'city': 'Oslo'}]
    assert bare.select(bare.c.name).where(bare.c.age > 40).scalar() == 'carol'


def test_select_all_columns_in_declared_order(people):
    rows = list(people.select().order_by(people.id))
    assert rows[0] == {'id': 1, 'name': 'alice', 'age': 30, 'city': 'Paris'}
    assert [r['id'] for r in rows] == [1, 2, 3, 4, 5]


def test_where_order_limit_offset(people):
    query = (people.select(people.name)
             .where(people.age >= 25)
             .order_by(people.age.desc(), people.name)
             .limit(3).offset(1))
    assert names(query) == ['eve', 'alice', 'bob']


def test_where_calls_are_anded_and_orwhere_ors(people):
    query = people.select(people.name).where(people.age == 25).where(people.city == 'Paris')
    assert names(query) == ['dave']
    query = people.select(people.name).where(people.age == 41).orwhere(people.name == 'bob')
    assert sorted(names(query)) == ['bob', 'carol']


def test_offset_without_limit(people):
    assert names(people.select(people.name).order_by(people.id).offset(3)) == ['dave', 'eve']


def test_limit_zero_returns_nothing(people):
    assert list(people.select().limit(0)) == []


def test_paginate(people):
    base = people.select(people.name).order_by(people.id)
    assert names(base.paginate(1, 2)) == ['alice', 'bob']
    assert names(base.paginate(2, 2)) == ['carol', 'dave']
    assert names(base.paginate(3, 2)) == ['eve']
    assert names(base.paginate(4, 2)) == []


def test_builders_are_immutable(people):
    base = people.select(people.name).order_by(people.id)
    filtered = base.where(people.age > 30)
    limited = base.limit(1)
    assert names(base) == ['alice', 'bob', 'carol', 'dave', 'eve']
    assert names(filtered) == ['carol', 'eve']
    assert names(limited) == ['alice']


def test_order_by_extend_and_reset(people):
    query = people.select(people.name).order_by(people.age).order_by_extend(people.name.desc())
    assert names(query) == ['dave', 'bob', 'alice', 'eve', 'carol']
    assert sorted(names(query.order_by())) == sorted(p[0] for p in PEOPLE)


def test_nulls_first_and_last(people):
    first = people.select(people.name).order_by(people.city.asc(nulls='first'), people.id)
    assert names(first)[0] == 'carol'
    last = people.select(people.name).order_by(people.city.desc(nulls='last'), people.id)
    assert names(last) == ['eve', 'alice', 'dave', 'bob', 'carol']


# ---------------------------------------------------------------------------------------
# row types
# ---------------------------------------------------------------------------------------

def test_rows_are_dicts_by_default(people):
    row = people.select(people.id, people.name).order_by(people.id).get()
    assert row == {'id': 1, 'name': 'alice'}


def test_tuples(people):
    rows = list(people.select(people.id, people.name).order_by(people.id).limit(2).tuples())
    assert rows == [(1, 'alice'), (2, 'bob')]


def test_namedtuples(people):
    row = people.select(people.id, people.name.alias('who')).order_by(people.id) \
        .namedtuples().get()
    assert (row.id, row.who) == (1, 'alice')
    assert row._fields == ('id', 'who')


def test_objects_with_constructor(people):
    Person = collections.namedtuple('Person', 'name age')
    rows = list(people.select(people.name, people.age).order_by(people.id).limit(2)
                .objects(Person))
    assert rows == [Person('alice', 30), Person('bob', 25)]


def test_objects_with_plain_function(people):
    rows = people.select(people.name, people.age).where(people.id == 2) \
        .objects(lambda **kw: '%(name)s:%(age)s' % kw)
    assert list(rows) == ['bob:25']


def test_dicts_after_tuples(people):
    query = people.select(people.name).where(people.id == 1).tuples()
    assert list(query) == [('alice',)]
    assert list(query.dicts()) == [{'name': 'alice'}]


def test_aliased_column_keys(people):
    row = people.select(people.name.alias('n'), (people.age * 2).alias('double')) \
        .where(people.id == 1).get()
    assert row == {'n': 'alice', 'double': 60}


# ---------------------------------------------------------------------------------------
# get / first / scalar / count / exists / peek
# ---------------------------------------------------------------------------------------

def test_get_returns_first_row_or_none(people):
    assert people.select(people.name).where(people.age > 30).order_by(people.age).get() == \
        {'name': 'eve'}
    assert people.select().where(people.age > 100).get() is None


def test_first(people):
    query = people.select(people.name).order_by(people.id)
    assert query.first() == {'name': 'alice'}
    assert query.first(n=2) == [{'name': 'alice'}, {'name': 'bob'}]
    assert query.where(people.id < 0).first() is None
    with pytest.raises(TypeError, match='n=2'):
        query.first(2)        # the first positional argument is the database


def test_scalar(people):
    assert people.select(fn.MAX(people.age)).scalar() == 41
    assert people.select(fn.MIN(people.age), fn.MAX(people.age)).scalar(as_tuple=True) == \
        (25, 41)
    assert people.select(people.name).where(people.id == 99).scalar() is None


def test_scalars(people):
    assert list(people.select(people.id).order_by(people.id).scalars()) == [1, 2, 3, 4, 5]


def test_count(people):
    assert people.select().count() == 5
    assert people.select().where(people.age == 25).count() == 2


def test_count_respects_limit_offset_and_clear_limit(people):
    query = people.select().order_by(people.id).limit(2)
    assert query.count() == 2
    assert query.offset(4).count() == 1
    assert query.count(clear_limit=True) == 5


def test_count_distinct_and_group_by(people):
    assert people.select(people.age).distinct().count() == 4
    grouped = people.select(people.city, fn.COUNT(people.id)).group_by(people.city)
    assert grouped.count() == 4       # Paris, Oslo, Rome and NULL
    assert people.select(fn.COUNT(people.city.distinct())).scalar() == 3


def test_exists(people):
    assert people.select().where(people.name == 'bob').exists() is True
    assert people.select().where(people.name == 'zed').exists() is False


def test_peek(people):
    query = people.select(people.name).order_by(people.id)
    assert query.peek() == {'name': 'alice'}
    assert query.peek(n=2) == [{'name': 'alice'}, {'name': 'bob'}]
    assert people.select().where(people.id < 0).peek() is None


# ---------------------------------------------------------------------------------------
# result caching, len, indexing
# ---------------------------------------------------------------------------------------

def test_iterating_twice_uses_the_cache(db, people):
    query = people.select(people.name).order_by(people.id)
    first = names(query)
    db.execute_sql("INSERT INTO people (name, age) VALUES ('zoe', 1)")
    assert names(query) == first                 # cached: no new row
    assert len(names(query.clone())) == 6        # a copy runs again


def test_partial_iteration_then_full(people):
    query = people.select(people.id).order_by(people.id).tuples()
    it = iter(query)
    assert next(it) == (1,)
    assert list(query) == [(1,), (2,), (3,), (4,), (5,)]


def test_len(people):
    assert len(people.select().where(people.age == 25)) == 2
    assert len(people.select().where(people.age == 0)) == 0


def test_indexing_and_slicing(people):
    query = people.select(people.name).order_by(people.id)
    assert query[0] == {'name': 'alice'}
    assert query[2]['name'] == 'carol'
    assert [r['name'] for r in query[1:3]] == ['bob', 'carol']
    assert query[-1] == {'name': 'eve'}
    with pytest.raises(IndexError):
        query[10]


def test_execute_returns_cursor_wrapper(people):
    rows = people.select(people.id).order_by(people.id).tuples().execute()
    assert list(rows) == [(1,), (2,), (3,), (4,), (5,)]
    assert len(rows) == 5


def test_iterator_does_not_cache(people):
    query = people.select(people.id).order_by(people.id).tuples()
    assert list(query.iterator()) == [(1,), (2,), (3,), (4,), (5,)]


# ---------------------------------------------------------------------------------------
# binding
# ---------------------------------------------------------------------------------------

def test_bind_and_execute_with_explicit_database(db, people):
    unbound = Table('people', ('id', 'name', 'age', 'city'))
    query = unbound.select(unbound.name).where(unbound.id == 2)
    assert list(query.execute(db)) == [{'name': 'bob'}]
    assert list(query.bind(db)) == [{'name': 'bob'}]
    assert Select((unbound,), (fn.COUNT(unbound.id),)).bind(db).scalar() == 5


def test_unbound_query_raises_interface_error(people):
    unbound = Table('people', ('id', 'name'))
    query = unbound.select()
    with pytest.raises(InterfaceError, match='bind'):
        query.execute()
    with pytest.raises(InterfaceError, match='bind'):
        list(query)
    with pytest.raises(InterfaceError, match='bind'):
        query.count()
    with pytest.raises(InterfaceError, match='bind'):
        query.get()


def test_bind_ctx(db, people):
    table = Table('people', ('id', 'name'))
    with table.bind_ctx(db):
        assert table.select(table.name).where(table.id == 3).get() == {'name': 'carol'}
    assert table._database is None


# ---------------------------------------------------------------------------------------
# DISTINCT, GROUP BY, HAVING
# ---------------------------------------------------------------------------------------

def test_distinct(people):
    query = people.select(people.age).distinct().order_by(people.age)
    assert [r['age'] for r in query] == [25, 30, 35, 41]


@pytest.mark.engines('postgres')
def test_distinct_on_postgres(people):
    query = (people.select(people.age, people.name)
             .distinct(people.age)
             .order_by(people.age, people.name.desc()))
    assert [(r['age'], r['name']) for r in query] == \
        [(25, 'dave'), (30, 'alice'), (35, 'eve'), (41, 'carol')]


@pytest.mark.engines('sqlite')
def test_distinct_on_is_not_supported_on_sqlite(people):
    query = people.select(people.age).distinct(people.age)
    with pytest.raises(NotSupportedError, match='DISTINCT ON'):
        list(query)


def test_group_by_having(people):
    count = fn.COUNT(people.id)
    query = (people.select(people.age, count.alias('n'))
             .group_by(people.age)
             .having(count > 1))
    assert list(query.tuples()) == [(25, 2)]


def test_group_by_table_expands_columns(people):
    query = people.select(people.id, people.name).group_by(people).order_by(people.id)
    assert len(list(query)) == 5


def test_aggregate_functions(people):
    row = people.select(fn.COUNT(people.id).alias('n'), fn.SUM(people.age).alias('total'),
                        fn.MIN(people.name).alias('lo'), fn.MAX(people.name).alias('hi')).get()
    assert row == {'n': 5, 'total': 156, 'lo': 'alice', 'hi': 'eve'}


# ---------------------------------------------------------------------------------------
# joins
# ---------------------------------------------------------------------------------------

def test_inner_join(people, pets):
    query = (people.select(people.name, pets.name.alias('pet'))
             .join(pets, on=(pets.owner_id == people.id))
             .order_by(pets.id))
    assert list(query.tuples()) == [('alice', 'rex'), ('alice', 'tom'), ('bob', 'kit')]


def test_left_outer_join(people, pets):
    query = (people.select(people.name, pets.name.alias('pet'))
             .join(pets, JOIN.LEFT_OUTER, on=(pets.owner_id == people.id))
             .where(people.id.in_([2, 3]))
             .order_by(people.id))
    assert list(query.tuples()) == [('bob', 'kit'), ('carol', None)]
    via_helper = (people.select(people.name)
                  .left_outer_join(pets, on=(pets.owner_id == people.id))
                  .where(pets.id.is_null()).order_by(people.id))
    assert names(via_helper) == ['carol', 'dave', 'eve']


def _outer_joins_supported(db):
    return engine_name(db) != 'sqlite' or sqlite3.sqlite_version_info >= (3, 39, 0)


def test_right_outer_join(db, people, pets):
    if not _outer_joins_supported(db):
        pytest.skip('RIGHT JOIN needs SQLite 3.39')
    query = (people.select(people.name, pets.name.alias('pet'))
             .join(pets, JOIN.RIGHT_OUTER, on=(pets.owner_id == people.id))
             .order_by(pets.id))
    assert list(query.tuples()) == [('alice', 'rex'), ('alice', 'tom'), ('bob', 'kit'),
                                    (None, 'stray')]


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_full_outer_join(db, people, pets):
    if not _outer_joins_supported(db):
        pytest.skip('FULL JOIN needs SQLite 3.39')
    query = (people.select(people.name, pets.name.alias('pet'))
             .join(pets, JOIN.FULL_OUTER, on=(pets.owner_id == people.id)))
    rows = set(query.tuples())
    assert ('carol', None) in rows and (None, 'stray') in rows
    assert len(rows) == 7
    full = people.select(people.name).join(pets, JOIN.FULL, on=(pets.owner_id == people.id))
    assert len(list(full)) == 7


def test_cross_join(people, pets):
    query = people.select(people.name).join(pets, JOIN.CROSS)
    assert len(list(query)) == 20


def test_self_join_with_alias(people):
    other = people.alias('other')
    query = (people.select(people.name, other.name.alias('twin'))
             .join(other, on=((other.age == people.age) & (other.id != people.id)))
             .order_by(people.name))
    assert list(query.tuples()) == [('bob', 'dave'), ('dave', 'bob')]


def test_join_built_from_sources(people, pets):
    joined = people.join(pets, on=(pets.owner_id == people.id))
    query = Select([joined], [people.name, pets.name.alias('pet')]).bind(people._database)
    assert len(list(query.order_by(pets.id))) == 3


def test_join_on_subquery(people, pets):
    counts = (pets.select(pets.owner_id, fn.COUNT(pets.id).alias('n'))
              .group_by(pets.owner_id).alias('pc'))
    query = (people.select(people.name, counts.c.n)
             .join(counts, on=(counts.c.owner_id == people.id))
             .order_by(people.id))
    assert list(query.tuples()) == [('alice', 2), ('bob', 1)]


@pytest.mark.engines('postgres')
def test_lateral_join_postgres(people, pets):
    latest = (pets.select(pets.name)
              .where(pets.owner_id == people.id)
              .order_by(pets.id.desc()).limit(1).alias('latest'))
    query = (people.select(people.name, latest.c.name.alias('pet'))
             .join(latest, JOIN.LEFT_LATERAL)
             .order_by(people.id))
    assert list(query.tuples())[:3] == [('alice', 'tom'), ('bob', 'kit'), ('carol', None)]
    inner = (people.select(people.name, latest.c.name.alias('pet'))
             .join(latest, JOIN.LATERAL).order_by(people.id))
    assert list(inner.tuples()) == [('alice', 'tom'), ('bob', 'kit')]


@pytest.mark.engines('sqlite')
def test_lateral_join_not_supported_on_sqlite(people, pets):
    sub = pets.select(pets.name).where(pets.owner_id == people.id).alias('x')
    with pytest.raises(NotSupportedError, match='LATERAL'):
        list(people.select(people.name).join(sub, JOIN.LATERAL))


def test_join_without_from_is_an_error():
    with pytest.raises(ValueError, match='from_'):
        Select().join(Table('x'))


# ---------------------------------------------------------------------------------------
# subqueries
# ---------------------------------------------------------------------------------------

def test_subquery_in_from_aliased(db, people):
    sub = (people.select(people.city, fn.COUNT(people.id).alias('n'))
           .where(people.city.is_null(False))
           .group_by(people.city).alias('per_city'))
    query = Select([sub], [sub.c.city, sub.c.n]).order_by(sub.c.n.desc(), sub.c.city).bind(db)
    assert list(query.tuples()) == [('Paris', 2), ('Oslo', 1), ('Rome', 1)]


def test_subquery_in_from_unaliased(db, people):
    sub = people.select(people.name, people.age).where(people.age > 30)
    query = Select([sub], [sub.c.name]).order_by(sub.c.name).bind(db)
    assert names(query) == ['carol', 'eve']
    star = Select([sub], [SQL('*')]).bind(db)
    assert len(list(star)) == 2


def test_select_from_wraps_query(people):
    sub = people.select(people.name, people.age).where(people.age < 30)
    query = sub.select_from(sub.c.name).order_by(sub.c.name)
    assert names(query) == ['bob', 'dave']


def test_subquery_in_where_in(people, pets):
    owners = pets.select(pets.owner_id)
    assert names(people.select(people.name).where(people.id.in_(owners))
                 .order_by(people.id)) == ['alice', 'bob']
    assert names(people.select(people.name).where(people.id << owners)
                 .order_by(people.id)) == ['alice', 'bob']
    assert names(people.select(people.name).where(people.id.not_in(owners))
                 .order_by(people.id)) == ['carol', 'dave', 'eve']


def test_exists_subquery_correlated(people, pets):
    has_pet = fn.EXISTS(pets.select(SQL('1')).where(pets.owner_id == people.id))
    assert names(people.select(people.name).where(has_pet).order_by(people.id)) == \
        ['alice', 'bob']
    assert names(people.select(people.name).where(~has_pet).order_by(people.id)) == \
        ['carol', 'dave', 'eve']


def test_subquery_as_sole_function_argument(people, pets):
    # EXISTS takes the query itself; other functions take its value
    assert people.select(fn.ABS(pets.select(fn.COUNT(pets.id)))).scalar() == 4
    assert people.select(fn.LOWER(pets.select(pets.name).where(pets.id == 3))).scalar() \
        == 'kit'
    assert people.select(fn.EXISTS(pets.select(pets.id))).scalar() in (1, True)


@pytest.mark.engines('postgres')
def test_any_and_all_with_subquery_postgres(people, pets):
    owners = pets.select(pets.owner_id)
    assert names(people.select(people.name).where(people.id == fn.ANY(owners))
                 .order_by(people.id)) == ['alice', 'bob']
    assert names(people.select(people.name).where(people.id > fn.ALL(owners))) == []
    assert people.select(fn.ARRAY(pets.select(pets.id).order_by(pets.id))).scalar() == \
        [1, 2, 3, 4]


def test_correlated_subquery_in_where_comparison(people):
    other = people.alias('o')
    older_than_avg_of_city = (other.select(fn.MIN(other.age))
                              .where(other.city == people.city))
    query = (people.select(people.name)
             .where(people.age > older_than_avg_of_city)
             .order_by(people.id))
    assert names(query) == ['alice']


def test_subquery_in_column_list(people, pets):
    pet_count = pets.select(fn.COUNT(pets.id)).where(pets.owner_id == people.id)
    query = people.select(people.name, pet_count.alias('n')).order_by(people.id)
    assert list(query.tuples()) == [('alice', 2), ('bob', 1), ('carol', 0), ('dave', 0),
                                    ('eve', 0)]
    assert query.get() == {'name': 'alice', 'n': 2}     # the alias names the column


def test_scalar_subquery_in_where(people):
    max_age = people.select(fn.MAX(people.age))
    assert names(people.select(people.name).where(people.age == max_age)) == ['carol']


# ---------------------------------------------------------------------------------------
# common table expressions
# ---------------------------------------------------------------------------------------

def test_simple_cte(db, people):
    young = people.select(people.name, people.age).where(people.age < 31).cte('young')
    query = (young.select_from(young.c.name)
             .order_by(young.c.name).bind(db))
    assert names(query) == ['alice', 'bob', 'dave']


def test_cte_with_columns_joined_to_table(db, people):
    stats = (people.select(people.city, fn.COUNT(people.id))
             .group_by(people.city)
             .cte('stats', columns=('town', 'n')))
    query = (people.select(people.name, stats.c.n)
             .join(stats, on=(stats.c.town == people.city))
             .with_cte(stats)
             .order_by(people.id))
    assert list(query.tuples()) == [('alice', 2), ('bob', 1), ('dave', 2), ('eve', 1)]


def test_recursive_cte_counts_one_to_ten(db):
    base = Select(columns=[Value(1).alias('n')])
    counter = base.cte('counter', recursive=True, columns=('n',))
    step = counter.select(counter.c.n + 1).where(counter.c.n < 10)
    counter = counter.union_all(step)
    query = counter.select_from(counter.c.n).order_by(counter.c.n).bind(db)
    assert [r['n'] for r in query] == list(range(1, 11))


def test_recursive_cte_walks_a_tree(db):
    db.execute_sql('CREATE TABLE node (id INTEGER PRIMARY KEY, parent_id INTEGER, name TEXT)')
    insert_rows(db, 'node', ('id', 'parent_id', 'name'),
                [(1, None, 'root'), (2, 1, 'a'), (3, 1, 'b'), (4, 2, 'a1'), (5, 4, 'a1x'),
                 (6, None, 'other')])
    node = Table('node', ('id', 'parent_id', 'name'))
    base = (node.select(node.id, node.name, Value(0).alias('depth'))
            .where(node.parent_id.is_null())
            .where(node.name == 'root'))
    tree = base.cte('tree', recursive=True)
    child = node.alias('child')
    step = (child.select(child.id, child.name, (tree.c.depth + 1).alias('depth'))
            .join(tree, on=(child.parent_id == tree.c.id)))
    tree = tree.union_all(step)
    query = tree.select_from(tree.c.name, tree.c.depth).order_by(tree.c.depth, tree.c.name)
    assert list(query.tuples().execute(db)) == [('root', 0), ('a', 1), ('b', 1), ('a1', 2),
                                                ('a1x', 3)]


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
@pytest.mark.parametrize('materialized', [True, False])
def test_materialized_cte(db, people, materialized):
    cte = people.select(people.name).where(people.age > 30).cte('old',
                                                                materialized=materialized)
    query = cte.select_from(cte.c.name).order_by(cte.c.name).bind(db)
    sql, _ = query.sql()
    keyword = 'AS MATERIALIZED' if materialized else 'AS NOT MATERIALIZED'
    assert keyword in sql
    assert names(query) == ['carol', 'eve']


def test_two_ctes(db, people):
    young = people.select(people.id).where(people.age < 30).cte('young')
    paris = people.select(people.id).where(people.city == 'Paris').cte('paris')
    query = (people.select(people.name)
             .where(people.id.in_(young.select(young.c.id)))
             .where(people.id.in_(paris.select(paris.c.id)))
             .with_cte(young, paris))
    assert names(query) == ['dave']


# ---------------------------------------------------------------------------------------
# compound selects
# ---------------------------------------------------------------------------------------

def _name_query(people, *ids):
    return people.select(people.name).where(people.id.in_(list(ids)))


def _compound_names(query):
    return [r['name'] for r in query]


def test_union_and_union_all(people):
    a, b = _name_query(people, 1, 2), _name_query(people, 2, 3)
    assert sorted(_compound_names(a.union(b))) == ['alice', 'bob', 'carol']
    assert sorted(_compound_names(a | b)) == ['alice', 'bob', 'carol']
    assert sorted(_compound_names(a.union_all(b))) == ['alice', 'bob', 'bob', 'carol']
    assert sorted(_compound_names(a + b)) == ['alice', 'bob', 'bob', 'carol']


def test_intersect_and_except(people):
    a, b = _name_query(people, 1, 2, 3), _name_query(people, 2, 3, 4)
    assert sorted(_compound_names(a.intersect(b))) == ['bob', 'carol']
    assert sorted(_compound_names(a & b)) == ['bob', 'carol']
    assert _compound_names(a.except_(b)) == ['alice']
    assert _compound_names(a - b) == ['alice']


def test_compound_ordered_and_limited(people):
    a, b = _name_query(people, 1, 2), _name_query(people, 4, 5)
    query = (a | b).order_by(people.name.desc()).limit(3)
    assert _compound_names(query) == ['eve', 'dave', 'bob']
    assert _compound_names((a | b).order_by(SQL('1')).offset(3)) == ['eve']


def test_compound_nested_left_and_right(people):
    a, b, c = _name_query(people, 1, 2), _name_query(people, 3), _name_query(people, 2, 3)
    left = (a | b) - c                      # {alice, bob, carol} - {bob, carol}
    assert _compound_names(left) == ['alice']
    right = a | (b - c)                     # {alice, bob} | {}
    assert sorted(_compound_names(right)) == ['alice', 'bob']
    deeper = (a + b) & (c | a)
    assert sorted(_compound_names(deeper)) == ['alice', 'bob', 'carol']


def test_compound_members_with_order_by_and_limit(people):
    oldest = people.select(people.name).order_by(people.age.desc()).limit(1)
    youngest = people.select(people.name).order_by(people.age, people.name).limit(1)
    query = (oldest | youngest).order_by(SQL('1'))
    assert _compound_names(query) == ['bob', 'carol']
    three = oldest + youngest + people.select(people.name).order_by(people.id).offset(4)
    assert sorted(_compound_names(three)) == ['bob', 'carol', 'eve']
    right_tailed = _name_query(people, 1) - oldest
    assert _compound_names(right_tailed) == ['alice']
    left_tailed = (_name_query(people, 1, 2, 3) | oldest).order_by(SQL('1')).limit(2)
    assert sorted(_compound_names(left_tailed | _name_query(people, 5))) == \
        ['alice', 'bob', 'eve']
    assert sorted(_compound_names(_name_query(people, 5) + left_tailed)) == \
        ['alice', 'bob', 'eve']


def test_compound_row_types_count_exists(people):
    a, b = _name_query(people, 1), _name_query(people, 2)
    query = (a | b).order_by(SQL('1'))
    assert list(query.tuples()) == [('alice',), ('bob',)]
    assert query.count() == 2
    assert query.exists() is True
    assert (a & b).exists() is False


def test_compound_as_subquery(db, people):
    union = (_name_query(people, 1) | _name_query(people, 5)).alias('u')
    query = Select([union], [fn.COUNT(SQL('*'))]).bind(db)
    assert query.scalar() == 2
    inner = people.select(people.name).where(people.name.in_(_name_query(people, 1) |
                                                               _name_query(people, 2)))
    assert sorted(names(inner)) == ['alice', 'bob']


def test_compound_needs_queries_on_both_sides(people):
    with pytest.raises(TypeError, match='SELECT'):
        people.select().union('not a query')


# ---------------------------------------------------------------------------------------
# VALUES lists
# ---------------------------------------------------------------------------------------

@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_values_list_as_source(db):
    vl = ValuesList([(1, 'one'), (2, 'two'), (3, 'three')], columns=('n', 's'), alias='v')
    query = Select([vl], [vl.c.n, vl.c.s]).where(vl.c.n >= 2).order_by(vl.c.n).bind(db)
    assert list(query.tuples()) == [(2, 'two'), (3, 'three')]


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_values_list_joined_to_table(db, people):
    vl = ValuesList([(1, 'first'), (5, 'last')], columns=('pid', 'label'), alias='lbl')
    query = (people.select(people.name, vl.c.label)
             .join(vl, on=(vl.c.pid == people.id))
             .order_by(people.id))
    assert list(query.tuples()) == [('alice', 'first'), ('eve', 'last')]


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_values_list_columns_method(db):
    vl = ValuesList([(10, 'x')], alias='v').columns('num', 'txt')
    assert Select([vl], [vl.c.num, vl.c.txt]).bind(db).get() == {'num': 10, 'txt': 'x'}


def test_values_list_errors():
    with pytest.raises(ValueError, match='at least one row'):
        ValuesList([])
    with pytest.raises(ValueError, match='every row'):
        ValuesList([(1, 2), (3,)])


# ---------------------------------------------------------------------------------------
# window functions
# ---------------------------------------------------------------------------------------

def test_window_partition_and_order(people):
    rank = fn.RANK().over(partition_by=[people.age], order_by=[people.name])
    query = people.select(people.name, rank.alias('r')).order_by(people.id)
    assert [r['r'] for r in query] == [1, 1, 1, 2, 1]


def test_running_total_rows_frame(people):
    total = fn.SUM(people.age).over(order_by=[people.id],
                                    start=Window.preceding(), end=Window.CURRENT_ROW)
    query = people.select(total.alias('t')).order_by(people.id)
    assert [r['t'] for r in query] == [30, 55, 96, 121, 156]


def test_sliding_rows_frame_preceding_and_following(people):
    total = fn.SUM(people.age).over(order_by=[people.id], start=Window.preceding(1),
                                    end=Window.following(1), frame_type=Window.ROWS)
    query = people.select(total.alias('t')).order_by(people.id)
    assert [r['t'] for r in query] == [55, 96, 91, 101, 60]


def test_range_frame(people):
    # RANGE groups peers (equal ages) together
    total = fn.SUM(people.age).over(order_by=[people.age], start=Window.preceding(),
                                    end=Window.CURRENT_ROW, frame_type=Window.RANGE)
    query = people.select(people.name, total.alias('t')).order_by(people.age, people.name)
    assert [r['t'] for r in query] == [50, 50, 80, 115, 156]
    unbounded = fn.SUM(people.age).over(order_by=[people.id], start=Window.CURRENT_ROW,
                                        end=Window.following(), frame_type=Window.RANGE)
    assert [r['t'] for r in people.select(unbounded.alias('t')).order_by(people.id)] == \
        [156, 126, 101, 60, 35]


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_frame_exclude(people):
    others = fn.SUM(people.age).over(order_by=[people.id], start=Window.preceding(),
                                     end=Window.following(), frame_type=Window.ROWS,
                                     exclude=Window.CURRENT_ROW)
    query = people.select(others.alias('t')).order_by(people.id)
    assert [r['t'] for r in query] == [126, 131, 115, 131, 121]
    ties = fn.COUNT(people.id).over(order_by=[people.age], start=Window.preceding(),
                                    end=Window.following(), frame_type=Window.ROWS,
                                    exclude=Window.TIES)
    rows = people.select(people.name, ties.alias('n')).order_by(people.id)
    assert [r['n'] for r in rows] == [5, 4, 5, 4, 5]


def test_named_window(people):
    w = Window(partition_by=[people.city], order_by=[people.id])
    query = (people.select(people.name, fn.ROW_NUMBER().over(window=w).alias('rn'),
                           fn.COUNT(people.id).over(w).alias('c'))
             .window(w)
             .order_by(people.id))
    assert [(r['rn'], r['c']) for r in query] == [(1, 1), (1, 1), (1, 1), (2, 2), (1, 1)]


def test_named_windows_with_alias_and_frame(people):
    w1 = Window(order_by=[people.id]).alias('by_id')
    w2 = Window(order_by=[people.id], start=Window.preceding(1), end=Window.CURRENT_ROW,
                frame_type='rows').alias('pair')
    query = (people.select(fn.ROW_NUMBER().over(window=w1).alias('rn'),
                           fn.SUM(people.age).over(window=w2).alias('s'))
             .window(w1, w2).order_by(people.id))
    assert [(r['rn'], r['s']) for r in query] == [(1, 30), (2, 55), (3, 66), (4, 66),
                                                  (5, 60)]


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_aggregate_filter(people):
    n_young = fn.COUNT(people.id).filter(people.age < 30)
    n_paris = fn.COUNT(people.id).filter(people.city == 'Paris')
    row = people.select(n_young.alias('young'), n_paris.alias('paris')).get()
    assert row == {'young': 2, 'paris': 2}


def test_window_errors():
    with pytest.raises(ValueError, match='frame_type'):
        Window(frame_type='SIDEWAYS')
    with pytest.raises(ValueError, match='start'):
        Window(end=Window.CURRENT_ROW)
    with pytest.raises(TypeError, match='Window'):
        Select().window('w')


# ---------------------------------------------------------------------------------------
# FOR UPDATE
# ---------------------------------------------------------------------------------------

@pytest.mark.engines('postgres')
@pytest.mark.parametrize('kwargs, expected', [
    ({}, 'FOR UPDATE'),
    ({'for_update': 'FOR SHARE'}, 'FOR SHARE'),
    ({'for_update': 'FOR NO KEY UPDATE'}, 'FOR NO KEY UPDATE'),
    ({'for_update': 'FOR KEY SHARE'}, 'FOR KEY SHARE'),
    ({'nowait': True}, 'FOR UPDATE NOWAIT'),
    ({'skip_locked': True}, 'FOR UPDATE SKIP LOCKED'),
    ({'for_update': 'FOR SHARE', 'skip_locked': True}, 'FOR SHARE SKIP LOCKED'),
    ({'of': 'people'}, 'FOR UPDATE OF "t1"'),
])
def test_for_update_postgres(db, people, kwargs, expected):
    if kwargs.get('of') == 'people':
        kwargs = dict(kwargs, of=[people])
    query = people.select(people.name).where(people.id == 1).for_update(**kwargs)
    sql, params = query.sql()
    assert sql.endswith(expected)
    with db.atomic():
        assert list(query) == [{'name': 'alice'}]


@pytest.mark.engines('postgres')
def test_for_update_of_joined_alias(db, people, pets):
    query = (people.select(people.name, pets.name)
             .join(pets, on=(pets.owner_id == people.id))
             .where(pets.id == 3)
             .for_update(of=[pets]))
    assert query.sql()[0].endswith('FOR UPDATE OF "t2"')
    with db.atomic():
        assert len(list(query)) == 1


@pytest.mark.engines('sqlite')
def test_for_update_ignored_on_sqlite(db, people):
    query = people.select(people.name).where(people.id == 1).for_update(nowait=True)
    assert 'FOR' not in query.sql()[0]
    with db.atomic():
        assert list(query) == [{'name': 'alice'}]


def test_for_update_errors(people):
    with pytest.raises(ValueError, match='unknown lock'):
        people.select().for_update('FOR LUNCH')
    with pytest.raises(ValueError, match='nowait'):
        people.select().for_update(nowait=True, skip_locked=True)


# ---------------------------------------------------------------------------------------
# selecting without FROM, raw SQL sources
# ---------------------------------------------------------------------------------------

def test_select_without_from(db):
    query = Select(columns=[Value(2).alias('a'), (Value(3) * 4).alias('b')]).bind(db)
    assert query.get() == {'a': 2, 'b': 12}


def test_case_in_select_list(people):
    label = Case(None, [(people.age < 30, 'young'), (people.age < 40, 'mid')], 'old')
    query = people.select(people.name, label.alias('band')).order_by(people.id)
    assert [r['band'] for r in query] == ['mid', 'young', 'old', 'young', 'mid']


def test_cte_class_directly(db, people):
    cte = CTE('named', people.select(people.name).where(people.id == 4))
    query = Select([cte], [cte.c.name]).with_cte(cte).bind(db)
    assert names(query) == ['dave']


# ---------------------------------------------------------------------------------------
# the documentation's examples
# ---------------------------------------------------------------------------------------

def test_query_builder_docs_examples_run():
    """docs/query-builder.rst is written as doctests; keep it true."""
    import doctest
    import os
    path = os.path.join(os.path.dirname(__file__), os.pardir, 'docs', 'query-builder.rst')
    result = doctest.testfile(os.path.normpath(path), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 50
    assert result.failed == 0


def test_a_query_compared_with_a_value_is_a_scalar_subquery(people):
    oldest = people.select(fn.MAX(people.age))
    assert len(list(people.select().where(oldest > 0))) == len(list(people.select()))
    assert [r['name'] for r in people.select(people.name).where(people.age == oldest)] == \
        [r['name'] for r in people.select(people.name).order_by(people.age.desc()).limit(1)]
    assert list(people.select().where(oldest < 0)) == []
    assert list(people.select().where(oldest == None)) == []          # noqa: E711  IS NULL
    # compared with another source (or a model class) it is identity: queries stay
    # usable as dict keys and in lists
    other = people.select(fn.MAX(people.age))
    assert (oldest == oldest) is True and (oldest == other) is False
    assert (oldest != other) is True and (oldest == people) is False
    assert {oldest: 1}[oldest] == 1 and other not in [oldest, people]
