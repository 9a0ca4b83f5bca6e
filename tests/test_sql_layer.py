"""The SQL layer's own contract: the default dialect it compiles with, how a query obtains
its row adapter from the database it runs on, the plain row adapters, and the alias
bookkeeping of the rendering context."""
from __future__ import annotations

import sqlite3

import pytest

import orm
from orm import (JOIN, CursorWrapper, DictCursorWrapper, InterfaceError, SqliteDatabase,
                 Table, fn)
from orm.dialects.base import Dialect, GenericDialect
from orm.dialects.sqlite import SqliteDialect
from orm.sql.context import AliasManager, Context, substitute_params
from orm.sql.queries import ROW, Select, query_to_string

# What this layer may import, and that nothing forms a cycle, is checked for every module
# by tests/test_layering.py.


# -- the default dialect ------------------------------------------------------------------
def test_context_without_dialect_uses_the_registered_default() -> None:
    assert type(Context().dialect) is GenericDialect
    assert orm.seam.lookup('default_dialect') is GenericDialect
    assert issubclass(GenericDialect, Dialect)


def test_unbound_queries_compile_with_the_default_dialect() -> None:
    users = Table('users', ('id', 'name'))
    query = users.select().where(users.name % 'a*').offset(3)
    # generic SQL: LIKE is spelled LIKE (SQLite would say GLOB), no LIMIT before OFFSET
    assert query.sql() == ('SELECT "t1"."id", "t1"."name" FROM "users" AS "t1" '
                           'WHERE ("t1"."name" LIKE ?) OFFSET ?', ['a*', 3])
    assert str(query) == ('SELECT "t1"."id", "t1"."name" FROM "users" AS "t1" '
                          'WHERE ("t1"."name" LIKE \'a*\') OFFSET 3')
    assert query_to_string(query) == str(query)
    assert orm.query_to_string is query_to_string


def test_bound_queries_compile_with_their_database_dialect() -> None:
    db = SqliteDatabase(':memory:')
    users = Table('users', ('id', 'name')).bind(db)
    query = users.select(users.id).where(users.name % 'a*').offset(3)
    assert query.sql() == ('SELECT "t1"."id" FROM "users" AS "t1" '
                           'WHERE ("t1"."name" GLOB ?) LIMIT ? OFFSET ?', ['a*', -1, 3])


def test_substitute_params_checks_the_count() -> None:
    dialect = SqliteDialect()
    assert substitute_params(dialect, 'a = ? AND b = ?', [1, "x'y"]) == "a = 1 AND b = 'x''y'"
    with pytest.raises(ValueError, match='placeholder'):
        substitute_params(dialect, 'a = ?', [1, 2])


# -- the execution protocol ---------------------------------------------------------------
@pytest.fixture
def numbers():
    db = SqliteDatabase(':memory:')
    db.execute_sql('CREATE TABLE numbers (n INTEGER, word TEXT)')
    db.execute_sql('INSERT INTO numbers VALUES (1, \'one\'), (2, \'two\'), (3, \'three\')')
    table = Table('numbers', ('n', 'word')).bind(db)
    yield db, table
    db.close()


def test_database_carries_the_row_adapters() -> None:
    adapters = SqliteDatabase.row_adapters
    assert adapters[ROW.TUPLE] is CursorWrapper
    assert adapters[ROW.DICT] is DictCursorWrapper
    assert set(adapters) == {ROW.TUPLE, ROW.DICT, ROW.NAMEDTUPLE, ROW.CONSTRUCTOR}


def test_query_asks_the_database_it_runs_on_for_its_adapter(numbers) -> None:
    db, table = numbers

    class Shouting(DictCursorWrapper):
        def process_row(self, row):
            return {k.upper(): v for k, v in super().process_row(row).items()}

    class LoudDatabase(SqliteDatabase):
        row_adapters = {**SqliteDatabase.row_adapters, ROW.DICT: Shouting}

    loud = LoudDatabase(':memory:')
    loud.execute_sql('CREATE TABLE numbers (n INTEGER, word TEXT)')
    loud.execute_sql("INSERT INTO numbers VALUES (7, 'seven')")
    query = table.select().order_by(table.n)
    assert list(query.execute(loud)) == [{'N': 7, 'WORD': 'seven'}]
    assert list(query.clone().execute(db))[0] == {'n': 1, 'word': 'one'}   # its own db
    loud.close()


def test_get_cursor_wrapper_signature(numbers) -> None:
    db, table = numbers
    query = table.select(table.n).order_by(table.n).tuples()
    cursor = db.execute(query)
    wrapper = query._get_cursor_wrapper(cursor, db)
    assert isinstance(wrapper, CursorWrapper) and list(wrapper) == [(1,), (2,), (3,)]
    # without a database: the one the query is bound to
    assert [r.n for r in query.namedtuples()._get_cursor_wrapper(db.execute(query))] == \
        [1, 2, 3]
    unbound = Select([Table('numbers')], [fn.COUNT(1)])
    with pytest.raises(InterfaceError):
        unbound._get_cursor_wrapper(db.execute(unbound))


def test_objects_and_namedtuples(numbers) -> None:
    _, table = numbers
    query = table.select().order_by(table.n)
    assert [r.word for r in query.namedtuples()] == ['one', 'two', 'three']
    made = query.objects(lambda n, word: (word, n))
    assert list(made) == [('one', 1), ('two', 2), ('three', 3)]


def test_compound_rows_are_shaped_like_the_left_query(numbers) -> None:
    _, table = numbers
    low = table.select(table.n).where(table.n < 2)
    high = table.select(table.n).where(table.n > 2)
    assert sorted(low.union(high).tuples()) == [(1,), (3,)]
    assert sorted(r['n'] for r in (low | high)) == [1, 3]


# -- the plain row adapters ---------------------------------------------------------------
class CountingCursor:
    """A sqlite3 cursor that counts how many rows were fetched from it."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.cursor = cursor
        self.fetched = 0
        self.closed = False

    @property
    def description(self):
        return self.cursor.description

    def fetchone(self):
        row = self.cursor.fetchone()
        self.fetched += row is not None
        return row

    def fetchmany(self, size):
        rows = self.cursor.fetchmany(size)
        self.fetched += len(rows)
        return rows

    def fetchall(self):
        rows = self.cursor.fetchall()
        self.fetched += len(rows)
        return rows

    def close(self):
        self.closed = True
        self.cursor.close()


@pytest.fixture
def cursor_of():
    conn = sqlite3.connect(':memory:')
    conn.execute('CREATE TABLE t (n INTEGER)')
    conn.executemany('INSERT INTO t VALUES (?)', [(i,) for i in range(1000)])

    def make(sql='SELECT n FROM t ORDER BY n'):
        return CountingCursor(conn.execute(sql))
    yield make
    conn.close()


def test_rows_are_read_lazily_a_batch_at_a_time(cursor_of) -> None:
    cursor = cursor_of()
    rows = CursorWrapper(cursor)
    assert rows[0] == (0,)
    # the driver is read a batch at a time; only the rows asked for are shaped and cached
    assert cursor.fetched == CursorWrapper.batch_size and not rows.populated
    assert rows.count == 1
    assert rows[300] == (300,) and rows.count == 301
    assert cursor.fetched == 2 * CursorWrapper.batch_size
    assert rows[-1] == (999,) and rows.populated and cursor.closed
    assert len(rows) == 1000 and rows[10:13] == [(10,), (11,), (12,)]


def test_iteration_is_cached_and_repeatable(cursor_of) -> None:
    rows = DictCursorWrapper(cursor_of())
    first = iter(rows)
    assert next(first) == {'n': 0}
    assert [r['n'] for r in rows][:3] == [0, 1, 2]        # a second pass, from the start
    assert sum(1 for _ in first) == 999
    assert rows.populated and len(rows.row_cache) == 1000


def test_iterate_and_iterator(cursor_of) -> None:
    rows = CursorWrapper(cursor_of())
    assert rows.iterate() == (0,) and rows.iterate(cache=False) == (1,)
    assert rows.row_cache == [(0,)]
    cursor = cursor_of('SELECT n FROM t WHERE n < 5 ORDER BY n')
    streamed = CursorWrapper(cursor)
    assert list(streamed.iterator()) == [(i,) for i in range(5)]
    assert streamed.row_cache == [] and streamed.populated and cursor.closed
    with pytest.raises(StopIteration):
        streamed.iterate()


def test_result_iterator_is_an_independent_position(cursor_of) -> None:
    rows = CursorWrapper(cursor_of('SELECT n FROM t WHERE n < 3 ORDER BY n'))
    one, two = orm.ResultIterator(rows), orm.ResultIterator(rows)
    assert next(one) == (0,) and next(one) == (1,) and next(two) == (0,)
    assert list(one) == [(2,)] and list(two) == [(1,), (2,)]


def test_statement_without_rows(cursor_of) -> None:
    rows = CursorWrapper(cursor_of('UPDATE t SET n = n WHERE 0'))
    assert list(rows) == [] and len(rows) == 0 and rows.populated


def test_bad_index() -> None:
    with pytest.raises(TypeError, match='integers or slices'):
        CursorWrapper(None)['x']


# -- aliases ------------------------------------------------------------------------------
def test_alias_manager_frames() -> None:
    users, tweets = Table('users'), Table('tweets')
    names = AliasManager()
    assert names.add(users) == 't1' and names[users] == 't1'
    names.push()
    assert names[users] == 't1'                      # seen from the nested query
    assert names.get(users, any_depth=False) == 't2'  # a name of its own in this frame
    assert names.add(tweets) == 't3' and tweets in names
    names.pop()
    assert names[users] == 't1' and tweets not in names
    with pytest.raises(ValueError):
        names.pop()


def test_correlated_subquery_uses_outer_alias() -> None:
    users = Table('users', ('id', 'name'))
    tweets = Table('tweets', ('id', 'user_id'))
    count = tweets.select(fn.COUNT(tweets.id)).where(tweets.user_id == users.id)
    query = users.select(users.name, count.alias('n')).join(tweets, JOIN.LEFT_OUTER,
                                                             on=(tweets.user_id == users.id))
    sql, _ = query.sql()
    assert sql == ('SELECT "t1"."name", (SELECT COUNT("t2"."id") FROM "tweets" AS "t2" '
                   'WHERE ("t2"."user_id" = "t1"."id")) AS "n" FROM "users" AS "t1" '
                   'LEFT OUTER JOIN "tweets" AS "t3" ON ("t3"."user_id" = "t1"."id")')


def test_join_operators() -> None:
    a, b = Table('a'), Table('b')
    assert [(x.join_type) for x in (a & b, a + b, a - b, a | b, a * b)] == [
        'INNER JOIN', 'LEFT OUTER JOIN', 'RIGHT OUTER JOIN', 'FULL OUTER JOIN', 'CROSS JOIN']


# -- behaviours peewee documents ----------------------------------------------------------
def test_collation_comes_before_the_direction() -> None:
    users = Table('users', ('name',))
    assert users.select(users.name).order_by(users.name.asc(collation='binary')).sql()[0] \
        == 'SELECT "t1"."name" FROM "users" AS "t1" ORDER BY "t1"."name" COLLATE binary ASC'


def test_nodes_are_not_iterable() -> None:
    with pytest.raises(TypeError, match='not a collection'):
        list(fn.COUNT())


def test_in_keeps_a_generators_values_and_spots_empty_values() -> None:
    users = Table('users', ('id',))
    query = users.select(users.id).where(users.id.in_(i for i in (1, 2)))
    assert query.sql() == query.sql() == (
        'SELECT "t1"."id" FROM "users" AS "t1" WHERE ("t1"."id" IN (?, ?))', [1, 2])
    assert users.select(users.id).where(users.id.in_(orm.Value([]))).sql()[0].endswith(
        'WHERE (0 = 1)')


def test_a_column_called_c() -> None:
    tbl = Table('tbl', ('a', 'c'))
    assert tbl.select(fn.SUM(tbl.c)).sql()[0] == 'SELECT SUM("t1"."c") FROM "tbl" AS "t1"'


def test_index_expressions_and_nulls_distinct() -> None:
    users = Table('users')
    index = orm.Index('users_info', users, ('username DESC', 'id'), unique=True)
    assert Context().sql(index.nulls_distinct(False)).query()[0] == (
        'CREATE UNIQUE INDEX "users_info" ON "users" (username DESC, id) NULLS NOT DISTINCT')


def test_window_names_must_differ_and_tables_group_by_declared_columns() -> None:
    users = Table('users')
    with pytest.raises(ValueError, match='several windows'):
        users.select().window(orm.Window(), orm.Window())
    with pytest.raises(ValueError, match='declares none'):
        users.select().group_by(users)


def test_rows_without_the_primary_key() -> None:
    person = Table('person', ['id', 'name'], primary_key='id')
    assert person._columns == ['id', 'name']
    assert person.insert([('a',), ('b',)]).sql() == (
        'INSERT INTO "person" ("name") VALUES (?), (?)', ['a', 'b'])
