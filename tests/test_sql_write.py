"""INSERT, UPDATE and DELETE built with the query builder, run on every engine."""
from __future__ import annotations

import pytest

from conftest import engine_name
from orm import (EXCLUDED, SQL, Case, IntegrityError, NotSupportedError, Select, Table,
                 Value, ValuesList, chunked, fn)
from orm.sql.queries import OnConflict


def serial(db):
    return 'INTEGER PRIMARY KEY' if engine_name(db) == 'sqlite' else 'SERIAL PRIMARY KEY'


@pytest.fixture
def people(db):
    db.execute_sql('CREATE TABLE people (id %s, name TEXT NOT NULL, age INTEGER, city TEXT)'
                   % serial(db))
    return Table('people', ('id', 'name', 'age', 'city'), primary_key='id').bind(db)


@pytest.fixture
def kv(db):
    """A table with a named unique constraint on ``k`` and a counter ``n``."""
    db.execute_sql('CREATE TABLE kv (id %s, k TEXT NOT NULL, v TEXT, n INTEGER DEFAULT 0, '
                   'CONSTRAINT kv_k_unique UNIQUE (k))' % serial(db))
    return Table('kv', ('id', 'k', 'v', 'n'), primary_key='id').bind(db)


def rows_of(table, *columns):
    """Rows of ``table`` (the given columns, else all) as tuples, by its first column."""
    query = table.select(*columns).order_by(table.c[table._columns[0]])
    return list(query.tuples())


def add_people(people):
    people.insert_many([
        {'name': 'alice', 'age': 30, 'city': 'Paris'},
        {'name': 'bob', 'age': 25, 'city': 'Oslo'},
        {'name': 'carol', 'age': 41, 'city': None},
    ]).execute()


# ---------------------------------------------------------------------------------------
# INSERT
# ---------------------------------------------------------------------------------------

def test_insert_one_row_returns_new_id(people):
    assert people.insert(name='alice', age=30).execute() == 1
    assert people.insert({'name': 'bob', 'age': 25}).execute() == 2
    assert people.insert({people.name: 'carol', people.age: 41}).execute() == 3
    assert rows_of(people, people.id, people.name, people.age) == \
        [(1, 'alice', 30), (2, 'bob', 25), (3, 'carol', 41)]


def test_insert_without_primary_key_declared(db, people):
    plain = Table('people', ('id', 'name', 'age', 'city')).bind(db)
    plain.insert(name='zed').execute()
    assert plain.select(plain.name).scalar() == 'zed'


def test_insert_explicit_primary_key_and_none(people):
    people.insert(id=10, name='ten', age=None).execute()
    assert people.select(people.id, people.age).tuples().get() == (10, None)


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_insert_many_dicts(people):
    result = people.insert_many([{'name': 'a', 'age': 1}, {'name': 'b', 'age': 2}]).execute()
    assert rows_of(people, people.id, people.name, people.age) == [(1, 'a', 1), (2, 'b', 2)]
    if engine_name(people._database) == 'postgres':
        assert list(result) == [(1,), (2,)]   # RETURNING gives every new key, as 1-tuples
    else:
        assert result == 2               # the last inserted rowid


def test_insert_many_tuples_with_fields(people):
    people.insert_many([('a', 1), ('b', 2), ('c', 3)], fields=[people.name, people.age]) \
        .execute()
    people.insert([('d', 4)], columns=['name', 'age']).execute()
    assert rows_of(people, people.name, people.age) == [('a', 1), ('b', 2), ('c', 3), ('d', 4)]


def test_insert_many_tuples_default_to_declared_columns(people):
    people.insert_many([(5, 'e', 50, 'X'), (6, 'f', 60, None)]).execute()
    assert rows_of(people) == [(5, 'e', 50, 'X'), (6, 'f', 60, None)]


def test_insert_many_mixes_plain_rows_with_rows_holding_expressions(people):
    # plain rows take the fast path; a row holding a node is rendered value by value
    query = people.insert_many([
        ('a', 1, 'x'),
        ('b', people.select(fn.COUNT(people.id)), fn.UPPER('y')),
        ('c', SQL('40 + 2'), None),
        ('d', 4, Value('z')),
    ], fields=[people.name, people.age, people.city])
    sql, params = query.sql()
    assert sql.count('VALUES') == 1 and sql.count('), (') == 3
    query.execute()
    assert rows_of(people, people.name, people.age, people.city) == [
        ('a', 1, 'x'), ('b', 0, 'Y'), ('c', 42, None), ('d', 4, 'z')]   # COUNT sees the table before


def test_insert_many_empty_returning_gives_rowcount(people):
    count = people.insert_many([{'name': 'a'}, {'name': 'b'}]).returning().execute()
    assert count == 2
    assert rows_of(people, people.name) == [('a',), ('b',)]


def test_insert_many_as_rowcount(people):
    count = people.insert_many([{'name': 'a'}, {'name': 'b'}, {'name': 'c'}]) \
        .as_rowcount().execute()
    assert count == 3


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_insert_many_of_no_rows_is_a_no_op(people):
    # as in peewee: executing insert_many([]) runs nothing and returns None
    assert people.insert_many([]).execute() is None
    assert people.insert_many(iter([])).execute() is None
    assert rows_of(people, people.name) == []
    # its SQL, as peewee writes it, is an insert of nothing
    assert people.insert_many([]).sql()[0].startswith('INSERT INTO "people" DEFAULT VALUES')


def test_insert_many_errors(people):
    with pytest.raises(ValueError, match='lacks column'):
        people.insert_many([{'name': 'a', 'age': 1}, {'name': 'b'}]).execute()
    with pytest.raises(ValueError, match='has columns'):
        people.insert_many([{'name': 'a'}, {'name': 'b', 'age': 2}]).execute()
    with pytest.raises(ValueError, match='2 values for 3 columns'):
        people.insert_many([('a', 1)], fields=['name', 'age', 'city']).execute()
    with pytest.raises(ValueError, match="no column 'nope'"):
        people.insert(nope=1).execute()
    with pytest.raises(TypeError, match='all rows must be dicts'):
        people.insert_many([{'name': 'a'}, ('b',)]).execute()
    assert people.select().count() == 0


def test_insert_default_values(db):
    db.execute_sql("CREATE TABLE d (id %s, label TEXT DEFAULT 'x')" % serial(db))
    table = Table('d', ('id', 'label'), primary_key='id').bind(db)
    assert table.insert().execute() == 1
    assert table.select(table.label).scalar() == 'x'


def test_insert_from_select(db, people):
    add_people(people)
    db.execute_sql('CREATE TABLE archive (id INTEGER, name TEXT)')
    archive = Table('archive', ('id', 'name')).bind(db)
    source = people.select(people.id, people.name).where(people.age > 26)
    assert archive.insert(source, columns=[archive.id, archive.name]).execute() == 2
    assert rows_of(archive, archive.id, archive.name) == [(1, 'alice'), (3, 'carol')]
    upper = people.select(people.id + 100, fn.UPPER(people.name)).where(people.id == 2)
    archive.insert(upper, columns=['id', 'name']).execute()
    assert archive.select(archive.name).where(archive.id == 102).scalar() == 'BOB'


def test_insert_from_select_defaults_to_declared_columns(db, people):
    add_people(people)
    db.execute_sql('CREATE TABLE copy (id INTEGER, name TEXT, age INTEGER, city TEXT)')
    copy = Table('copy', ('id', 'name', 'age', 'city')).bind(db)
    copy.insert(people.select()).execute()
    assert rows_of(copy) == rows_of(people)


def test_insert_with_expression_values(people):
    people.insert(name=fn.UPPER('dyn'), age=Value(20) + 1).execute()
    assert people.select(people.name, people.age).tuples().get() == ('DYN', 21)


def test_insert_where_is_rejected(people):
    with pytest.raises(NotImplementedError, match='WHERE'):
        people.insert(name='x').where(people.id == 1)


# ---------------------------------------------------------------------------------------
# ON CONFLICT
# ---------------------------------------------------------------------------------------

def test_on_conflict_ignore(kv):
    kv.insert(k='a', v='first').execute()
    kv.insert(k='a', v='second').on_conflict_ignore().execute()
    kv.insert_many([{'k': 'a', 'v': 'x'}, {'k': 'b', 'v': 'y'}]).on_conflict_ignore().execute()
    assert rows_of(kv, kv.k, kv.v) == [('a', 'first'), ('b', 'y')]
    with pytest.raises(IntegrityError):
        kv.insert(k='a', v='third').execute()
    assert kv.insert(k='a').on_conflict_ignore().on_conflict_ignore(False) is not None


def test_on_conflict_ignore_with_target(kv):
    kv.insert(k='a', v='first').execute()
    kv.insert(k='a', v='second').on_conflict('ignore', conflict_target=[kv.k]).execute()
    assert rows_of(kv, kv.k, kv.v) == [('a', 'first')]


@pytest.mark.engines('sqlite')
def test_on_conflict_replace_sqlite(kv):
    kv.insert(k='a', v='first', n=1).execute()
    kv.insert(k='a', v='second').on_conflict_replace().execute()
    assert kv.select(kv.k, kv.v, kv.n).tuples().get() == ('a', 'second', 0)
    kv.replace(k='a', v='third').execute()
    assert kv.select(kv.v).scalar() == 'third'
    assert kv.select().count() == 1


@pytest.mark.engines('postgres')
def test_on_conflict_replace_not_supported_on_postgres(kv):
    with pytest.raises(NotSupportedError, match='INSERT OR REPLACE.*on_conflict'):
        kv.insert(k='a', v='x').on_conflict_replace().execute()
    with pytest.raises(NotSupportedError):
        kv.replace(k='a').execute()


def test_on_conflict_preserve(kv):
    kv.insert(k='a', v='old', n=1).execute()
    kv.insert(k='a', v='new', n=99).on_conflict(conflict_target=[kv.k],
                                                preserve=[kv.v]).execute()
    assert kv.select(kv.k, kv.v, kv.n).tuples().get() == ('a', 'new', 1)


def test_on_conflict_update_with_excluded(kv):
    kv.insert(k='a', v='x', n=1).execute()
    upsert = kv.insert(k='a', v='y', n=5).on_conflict(
        conflict_target=[kv.k],
        update={kv.n: kv.n + EXCLUDED.n, kv.v: fn.COALESCE(kv.v, '') .concat(EXCLUDED.v)})
    upsert.execute()
    assert kv.select(kv.v, kv.n).tuples().get() == ('xy', 6)
    kv.insert(k='b', v='z', n=2).on_conflict(conflict_target=['k'], update={'n': 0}).execute()
    assert rows_of(kv, kv.k, kv.n) == [('a', 6), ('b', 2)]


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_on_conflict_update_with_where(kv):
    kv.insert_many([{'k': 'a', 'n': 1}, {'k': 'b', 'n': 10}]).execute()
    rows = [{'k': 'a', 'n': 7}, {'k': 'b', 'n': 7}]
    kv.insert_many(rows).on_conflict(conflict_target=[kv.k], preserve=[kv.n],
                                     where=(kv.n < EXCLUDED.n)).execute()
    assert rows_of(kv, kv.k, kv.n) == [('a', 7), ('b', 10)]


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_on_conflict_object_and_chained_builders(kv):
    kv.insert(k='a', n=1).execute()
    conflict = OnConflict().conflict_target(kv.k).update(n=kv.n + 1).where(kv.n < 3)
    for _ in range(4):
        kv.insert(k='a', n=0).on_conflict(conflict).execute()
    assert kv.select(kv.n).scalar() == 3


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_on_conflict_with_partial_index_target(db, kv):
    db.execute_sql('CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT, live INTEGER, '
                   'hits INTEGER)')
    db.execute_sql('CREATE UNIQUE INDEX tags_live_name ON tags (name) WHERE live = 1')
    tags = Table('tags', ('id', 'name', 'live', 'hits')).bind(db)
    tags.insert(id=1, name='x', live=1, hits=1).execute()
    tags.insert(id=2, name='x', live=1, hits=1).on_conflict(
        conflict_target=[tags.name], conflict_where=(tags.live == 1),
        update={tags.hits: tags.hits + 1}).execute()
    assert rows_of(tags, tags.id, tags.hits) == [(1, 2)]


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_on_conflict_partial_index_predicate_given_as_sql_with_params(db):
    # the predicate must be written with constants: SQL's parameters become literals
    db.execute_sql('CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT, live INTEGER, '
                   'hits INTEGER)')
    db.execute_sql('CREATE UNIQUE INDEX tags_live_name ON tags (name) WHERE live = 1')
    tags = Table('tags', ('id', 'name', 'live', 'hits')).bind(db)
    tags.insert(id=1, name="o'x", live=1, hits=1).execute()
    query = tags.insert(id=2, name="o'x", live=1, hits=1).on_conflict(
        conflict_target=[tags.name],
        conflict_where=SQL('live = %s' % db.dialect.param, [1]),
        update={tags.hits: tags.hits + 1})
    assert 'WHERE live = 1' in query.sql()[0]
    query.execute()
    assert rows_of(tags, tags.id, tags.hits) == [(1, 2)]
    with pytest.raises(ValueError, match='placeholder'):
        tags.insert(id=3, name='y', live=1).on_conflict(
            conflict_target=[tags.name], conflict_where=SQL('live = 1', [1]),
            update={tags.hits: 0}).sql()


def test_upsert_from_select(db, kv):
    kv.insert(k='a', v='old').execute()
    db.execute_sql('CREATE TABLE src (k TEXT, v TEXT)')
    src = Table('src', ('k', 'v')).bind(db)
    src.insert_many([('a', 'new'), ('b', 'fresh')]).execute()
    kv.insert(src.select(src.k, src.v), columns=[kv.k, kv.v]).on_conflict(
        conflict_target=[kv.k], preserve=[kv.v]).execute()
    assert rows_of(kv, kv.k, kv.v) == [('a', 'new'), ('b', 'fresh')]


@pytest.mark.engines('postgres')
def test_on_conflict_constraint_postgres(kv):
    kv.insert(k='a', n=1).execute()
    kv.insert(k='a', n=5).on_conflict(conflict_constraint='kv_k_unique',
                                      update={kv.n: EXCLUDED.n * 10}).execute()
    assert kv.select(kv.n).scalar() == 50
    kv.insert(k='a').on_conflict('ignore', conflict_constraint='kv_k_unique').execute()
    assert kv.select().count() == 1


@pytest.mark.engines('sqlite')
def test_on_conflict_constraint_not_supported_on_sqlite(kv):
    with pytest.raises(NotSupportedError, match='conflict_target'):
        kv.insert(k='a').on_conflict(conflict_constraint='kv_k_unique',
                                     preserve=[kv.n]).execute()


def test_on_conflict_argument_errors(kv):
    with pytest.raises(ValueError, match='action'):
        kv.insert(k='a').on_conflict('explode')
    with pytest.raises(ValueError, match='not both'):
        OnConflict(conflict_target=[kv.k], conflict_constraint='kv_k_unique')


# ---------------------------------------------------------------------------------------
# RETURNING
# ---------------------------------------------------------------------------------------

def test_insert_returning(people):
    query = people.insert_many([{'name': 'a', 'age': 1}, {'name': 'b', 'age': 2}]) \
        .returning(people.id, people.name)
    assert list(query.execute()) == [{'id': 1, 'name': 'a'}, {'id': 2, 'name': 'b'}]
    one = people.insert(name='c', age=3).returning(people.id, (people.age * 10).alias('x'))
    assert list(one.tuples().execute()) == [(3, 30)]


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_update_returning(people):
    add_people(people)
    query = (people.update(age=people.age + 1).where(people.age < 35)
             .returning(people.name, people.age))
    assert sorted(query.tuples().execute()) == [('alice', 31), ('bob', 26)]


def test_delete_returning(people):
    add_people(people)
    query = people.delete().where(people.city.is_null()).returning(people.id, people.name)
    assert list(query.execute()) == [{'id': 3, 'name': 'carol'}]
    assert people.select().count() == 2


def test_returning_namedtuples_and_iteration(people):
    query = people.insert(name='n', age=9).returning(people.id, people.name).namedtuples()
    cursor = query.execute()
    row = list(cursor)[0]
    assert (row.id, row.name) == (1, 'n')


def test_upsert_returning(kv):
    kv.insert(k='a', n=1).execute()
    query = kv.insert(k='a', n=2).on_conflict(conflict_target=[kv.k],
                                              update={kv.n: kv.n + EXCLUDED.n}) \
        .returning(kv.k, kv.n)
    assert list(query.tuples().execute()) == [('a', 3)]


# ---------------------------------------------------------------------------------------
# UPDATE
# ---------------------------------------------------------------------------------------

def test_update_returns_rowcount(people):
    add_people(people)
    assert people.update(city='X').where(people.age > 26).execute() == 2
    assert rows_of(people, people.name, people.city) == [('alice', 'X'), ('bob', 'Oslo'),
                                                         ('carol', 'X')]
    assert people.update(city='Y').execute() == 3


def test_update_with_expressions(people):
    add_people(people)
    people.update({people.age: people.age + 1}).where(people.name == 'bob').execute()
    people.update(age=people.age * 2, name=people.name.concat('!')).where(people.id == 1) \
        .execute()
    assert rows_of(people, people.name, people.age) == [('alice!', 60), ('bob', 26),
                                                        ('carol', 41)]


def test_update_with_case_and_subquery(people):
    add_people(people)
    people.update(city=Case(None, [(people.age > 35, 'old town')], 'new town')).execute()
    max_age = Select([people.alias('p2')], [fn.MAX(people.alias('p2').age)])
    people.update(age=max_age).where(people.name == 'bob').execute()
    assert rows_of(people, people.city, people.age) == [('new town', 30), ('new town', 41),
                                                        ('old town', 41)]


def test_update_with_correlated_subquery(db, people):
    add_people(people)
    db.execute_sql('CREATE TABLE scores (person_id INTEGER, points INTEGER)')
    scores = Table('scores', ('person_id', 'points')).bind(db)
    scores.insert_many([(1, 5), (1, 7), (2, 1)]).execute()
    total = scores.select(fn.COALESCE(fn.SUM(scores.points), 0)) \
        .where(scores.person_id == people.id)
    people.update(age=total).execute()
    assert rows_of(people, people.age) == [(12,), (1,), (0,)]


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_update_from(db, people):
    add_people(people)
    db.execute_sql('CREATE TABLE moves (person_id INTEGER, city TEXT)')
    moves = Table('moves', ('person_id', 'city')).bind(db)
    moves.insert_many([(2, 'Rome'), (3, 'Lima')]).execute()
    count = people.update(city=moves.city).from_(moves) \
        .where(moves.person_id == people.id).execute()
    assert count == 2
    assert rows_of(people, people.city) == [('Paris',), ('Rome',), ('Lima',)]


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_update_from_values_list(people):
    add_people(people)
    new_ages = ValuesList([(1, 99), (3, 77)], columns=('pid', 'new_age'), alias='v')
    people.update(age=new_ages.c.new_age).from_(new_ages) \
        .where(people.id == new_ages.c.pid).execute()
    assert rows_of(people, people.age) == [(99,), (25,), (77,)]


def test_update_errors(people):
    with pytest.raises(ValueError, match='no columns to set'):
        people.update().execute()
    with pytest.raises(ValueError, match="no column 'nope'"):
        people.update(nope=1).execute()
    with pytest.raises(TypeError, match='dict'):
        people.update(['age', 1])


# ---------------------------------------------------------------------------------------
# DELETE
# ---------------------------------------------------------------------------------------

def test_delete_returns_rowcount(people):
    add_people(people)
    assert people.delete().where(people.age < 35).execute() == 2
    assert rows_of(people, people.name) == [('carol',)]
    assert people.delete().execute() == 1


def test_delete_with_subqueries(db, people):
    add_people(people)
    db.execute_sql('CREATE TABLE pets (owner_id INTEGER, name TEXT)')
    pets = Table('pets', ('owner_id', 'name')).bind(db)
    pets.insert_many([(1, 'rex'), (3, 'kit'), (9, 'stray')]).execute()
    assert pets.delete().where(pets.owner_id.not_in(people.select(people.id))).execute() == 1
    has_pet = fn.EXISTS(pets.select(SQL('1')).where(pets.owner_id == people.id))
    assert people.delete().where(~has_pet).execute() == 1
    assert rows_of(people, people.name) == [('alice',), ('carol',)]
    oldest = people.select(fn.MAX(people.age))
    assert people.delete().where(people.age == oldest).execute() == 1
    assert rows_of(people, people.name) == [('alice',)]


# ---------------------------------------------------------------------------------------
# chunked, transactions
# ---------------------------------------------------------------------------------------

def test_chunked_batches(db, people):
    rows = [{'name': 'p%d' % i, 'age': i} for i in range(23)]
    batches = list(chunked(rows, 10))
    assert [len(b) for b in batches] == [10, 10, 3]
    with db.atomic():
        for batch in chunked(rows, 10):
            people.insert_many(batch).execute()
    assert people.select().count() == 23
    assert people.select(fn.SUM(people.age)).scalar() == sum(range(23))
    assert list(chunked(iter(range(5)), 2)) == [[0, 1], [2, 3], [4]]
    assert list(chunked([], 3)) == []
    with pytest.raises(ValueError):
        list(chunked([1], 0))


def test_writes_roll_back_in_atomic(db, people):
    add_people(people)
    with pytest.raises(RuntimeError):
        with db.atomic():
            people.delete().execute()
            raise RuntimeError
    assert people.select().count() == 3


# ---------------------------------------------------------------------------------------
# hostile identifiers
# ---------------------------------------------------------------------------------------

HOSTILE_TABLE = 'we"ird'
HOSTILE_COLUMNS = ('per%cent', 'drop;--', 'q?uote\'s', 'sp ace', '%s')


@pytest.fixture
def weird(db):
    q = db.quote_identifier
    db.execute_sql('CREATE TABLE %s (id INTEGER PRIMARY KEY, %s)'
                   % (q(HOSTILE_TABLE), ', '.join('%s TEXT' % q(c) for c in HOSTILE_COLUMNS)))
    return Table(HOSTILE_TABLE, ('id',) + HOSTILE_COLUMNS, primary_key='id').bind(db)


def test_hostile_identifiers_insert_select_update_delete(weird):
    cols = [weird.c[name] for name in HOSTILE_COLUMNS]
    weird.insert({weird.id: 1, **{c: 'v%d' % i for i, c in enumerate(cols)}}).execute()
    weird.insert_many([(2, 'a', 'b', 'c', 'd', 'e')]).execute()
    row = weird.select().where(weird.id == 1).get()
    assert row == {'id': 1, 'per%cent': 'v0', 'drop;--': 'v1', "q?uote's": 'v2',
                   'sp ace': 'v3', '%s': 'v4'}
    percent = getattr(weird, 'per%cent')
    assert weird.select(percent).where(percent == 'a').scalar() == 'a'
    assert weird.update({percent: percent.concat('!')}).where(weird.id == 2).execute() == 1
    assert weird.select(percent).where(weird.id == 2).scalar() == 'a!'
    assert weird.delete().where(weird.c['drop;--'] == 'v1').execute() == 1
    assert weird.select(weird.id).tuples()[:] == [(2,)]


def test_hostile_identifiers_in_aliases_joins_and_ctes(db, weird):
    weird.insert(id=1, **{'per%cent': 'x'}).execute()
    other = weird.alias('o"ther %s')
    query = (weird.select(weird.c['per%cent'].alias('a"lias %s?'), other.id)
             .join(other, on=(other.id == weird.id)))
    assert query.get() == {'a"lias %s?': 'x', 'id': 1}
    cte = weird.select(weird.c['per%cent']).cte('c"te%', columns=('co;l',))
    assert cte.select_from(cte.c['co;l']).bind(db).scalar() == 'x'


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_hostile_identifiers_on_conflict_and_returning(db, weird):
    percent = weird.c['per%cent']
    weird.insert(id=1, **{'per%cent': 'a'}).execute()
    weird.insert(id=1, **{'per%cent': 'b'}).on_conflict(
        conflict_target=[weird.id], preserve=[percent]).execute()
    assert weird.select(percent).scalar() == 'b'
    weird.insert(id=1, **{'per%cent': 'c'}).on_conflict(
        conflict_target=[weird.id],
        update={percent: percent.concat(getattr(EXCLUDED, 'per%cent'))}).execute()
    assert weird.select(percent).scalar() == 'bc'
    rows = weird.update({percent: 'd'}).returning(percent).execute()
    assert list(rows) == [{'per%cent': 'd'}]
