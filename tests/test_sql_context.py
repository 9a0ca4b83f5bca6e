"""The SQL layer as peewee documents it: what a bare ``Context()`` renders, the rendering
options a context takes, how sources are named and compared, and the SQL text of
INSERT / UPDATE / compound queries."""
from __future__ import annotations

import pytest

from orm import (JOIN, SQL, CharField, Context, DateTimeField, IntegerField, InterfaceError,
                 Model, NotSupportedError, PostgresqlDatabase, Select, Table, Value, ValuesList,
                 Window, fn)
from orm.dialects import PostgresDialect, SqliteDialect

users = Table('users', ('id', 'name', 'age'))
notes = Table('notes', ('id', 'user_id', 'body'))


def lite(node):
    return SqliteDialect().compile(node)


def pg(node):
    return PostgresDialect().compile(node)


# -- sources compare by what they name ------------------------------------------------------
def test_tables_naming_the_same_table_are_one_source() -> None:
    one, two = Table('users'), Table('users')
    assert one == two and hash(one) == hash(two)
    assert one in {two, Table('notes')}
    assert one != one.alias('u') and one.alias('u') == two.alias('u')
    assert Table('users', schema='a') != Table('users', schema='b')
    # written with two objects, the table still gets one name in a query
    query = one.select(one.c.id).where(two.c.id > 1)
    assert query.sql()[0] == 'SELECT "t1"."id" FROM "users" AS "t1" WHERE ("t1"."id" > ?)'


def test_aliased_queries_hash_by_their_alias() -> None:
    base = users.select(users.id)
    refined = base.where(users.id > 1)
    assert hash(base) != hash(refined) and not (base == refined)
    named = users.select(users.id).alias('u')
    assert hash(named) == hash(named.where(users.id > 1))


# -- a bare Context() and the rendering options it takes ----------------------------------
def test_context_parse_renders_a_node() -> None:
    assert Context().parse(users.select(users.id)) == (
        'SELECT "t1"."id" FROM "users" AS "t1"', [])


def test_limit_max_option_supplies_the_limit_an_offset_needs() -> None:
    query = users.select(users.id).offset(3)
    assert Context().parse(query) == ('SELECT "t1"."id" FROM "users" AS "t1" OFFSET ?', [3])
    assert Context(limit_max=-1).parse(query) == (
        'SELECT "t1"."id" FROM "users" AS "t1" LIMIT ? OFFSET ?', [-1, 3])
    assert lite(query) == ('SELECT "t1"."id" FROM "users" AS "t1" LIMIT ? OFFSET ?', [-1, 3])


def test_nulls_ordering_option_chooses_native_or_emulated() -> None:
    query = users.select(users.id).order_by(users.age.desc(nulls='last'))
    assert Context(nulls_ordering=True).parse(query)[0].endswith('DESC NULLS last')
    assert Context(nulls_ordering=False).parse(query) == (
        'SELECT "t1"."id" FROM "users" AS "t1" ORDER BY CASE WHEN ("t1"."age" IS NULL) '
        'THEN ? ELSE ? END, "t1"."age" DESC', [1, 0])
    first = users.select(users.id).order_by(users.age.asc(nulls='FIRST'))
    assert Context(nulls_ordering=False).parse(first)[1] == [0, 1]


def test_for_update_needs_an_engine_that_locks_rows() -> None:
    query = users.select(users.id).for_update(nowait=True)
    # the default context, like peewee's, has no row locks
    with pytest.raises(ValueError, match='FOR UPDATE'):
        Context().parse(query)
    with pytest.raises(NotSupportedError):
        Context().parse(query)
    assert Context(for_update=True).parse(query)[0].endswith(' FOR UPDATE NOWAIT')
    assert pg(query)[0].endswith(' FOR UPDATE NOWAIT')
    # SQLite locks the whole database: the clause is left out
    assert lite(query)[0] == 'SELECT "t1"."id" FROM "users" AS "t1"'


@pytest.mark.engines('sqlite')
def test_for_update_runs_on_sqlite_without_the_clause(db) -> None:
    db.execute_sql('CREATE TABLE locked (id INTEGER PRIMARY KEY)')
    locked = Table('locked', ('id',)).bind(db)
    locked.insert(id=1).execute()
    with db.atomic():
        assert [row['id'] for row in locked.select().for_update()] == [1]


@pytest.mark.engines('postgres')
def test_for_update_runs_on_postgres(db) -> None:
    db.execute_sql('CREATE TABLE locked (id INTEGER PRIMARY KEY)')
    locked = Table('locked', ('id',)).bind(db)
    locked.insert(id=1).execute()
    with db.atomic():
        assert [row['id'] for row in locked.select().for_update(skip_locked=True)] == [1]


# -- compound queries ---------------------------------------------------------------------
reg = Table('register', ('value',))
a_q = reg.select().where(reg.value < 5)
b_q = reg.select().where(reg.value > 2)
c_q = reg.select().where(reg.value == 4)
A = 'SELECT "t1"."value" FROM "register" AS "t1" WHERE ("t1"."value" < ?)'
B = 'SELECT "t2"."value" FROM "register" AS "t2" WHERE ("t2"."value" > ?)'
C = 'SELECT "t3"."value" FROM "register" AS "t3" WHERE ("t3"."value" = ?)'


def csq(query, mode):
    return Context(compound_select_parentheses=mode).parse(query)[0]


def test_compound_members_never_parenthesised() -> None:
    # flat where the text groups the same way, a subquery where it would not
    assert csq(a_q | (b_q | c_q), 0) == '%s UNION %s UNION %s' % (A, B, C)
    assert csq((a_q | b_q) - c_q, 0) == '%s UNION %s EXCEPT %s' % (A, B, C)
    assert csq(a_q - (b_q - c_q), 0) == '%s EXCEPT SELECT * FROM (%s EXCEPT %s)' % (A, B, C)
    assert csq(a_q + ((b_q | c_q) + c_q), 0).startswith(
        '%s UNION ALL SELECT * FROM (' % A)
    limited = b_q.order_by(reg.value).limit(2)
    assert csq(a_q | limited, 0) == (
        '%s UNION SELECT * FROM (%s ORDER BY "t2"."value" LIMIT ?)' % (A, B))
    # the default context never parenthesises, like SQLite
    assert Context().parse(a_q | (b_q | c_q))[0] == csq(a_q | (b_q | c_q), 0)


def test_compound_members_always_parenthesised() -> None:
    assert csq(a_q - (b_q - c_q), True) == '(%s) EXCEPT ((%s) EXCEPT (%s))' % (A, B, C)
    assert csq((a_q | b_q) | c_q, 1) == '((%s) UNION (%s)) UNION (%s)' % (A, B, C)
    assert pg(a_q | b_q)[0] == csq(a_q | b_q, 1).replace('?', '%s')


def test_compound_members_unnested_or_grouped() -> None:
    assert csq(a_q - (b_q - c_q), 2) == '(%s) EXCEPT (%s) EXCEPT (%s)' % (A, B, C)
    assert csq(a_q - (b_q - c_q), 3) == '(%s) EXCEPT ((%s) EXCEPT (%s))' % (A, B, C)
    assert csq(a_q | (b_q | c_q), 3) == '(%s) UNION (%s) UNION (%s)' % (A, B, C)
    # INTERSECT binds tighter: a left side built with another operator is grouped
    assert csq((a_q | b_q) & c_q, 3) == '((%s) UNION (%s)) INTERSECT (%s)' % (A, B, C)


def test_compound_as_the_operand_of_in_is_a_set() -> None:
    # UNION ALL may join a chain of UNIONs there, and members stay bare
    query = reg.select(reg.value).where(reg.value.in_(a_q | (b_q + c_q)))
    assert csq(query, 3) == (
        'SELECT "t1"."value" FROM "register" AS "t1" WHERE ("t1"."value" IN ('
        'SELECT "t1"."value" FROM "register" AS "t1" WHERE ("t1"."value" < ?) UNION '
        'SELECT "t1"."value" FROM "register" AS "t1" WHERE ("t1"."value" > ?) UNION ALL '
        'SELECT "t1"."value" FROM "register" AS "t1" WHERE ("t1"."value" = ?)))')


def test_compound_members_name_their_sources_apart() -> None:
    # each side names its own sources; the left side's names stay in force afterwards
    u2 = users.alias('u2')
    left = users.select(users.id).where(users.age > 1)
    right = u2.select(u2.id)
    assert Context().parse(left | users.select(users.id))[0] == (
        'SELECT "t1"."id" FROM "users" AS "t1" WHERE ("t1"."age" > ?) UNION '
        'SELECT "t2"."id" FROM "users" AS "t2"')
    assert Context().parse(users.select(fn.COALESCE(left | right, 0)))[0] == (
        'SELECT COALESCE((SELECT "t1"."id" FROM "users" AS "t1" WHERE ("t1"."age" > ?) '
        'UNION SELECT "u2"."id" FROM "users" AS "u2"), ?) FROM "users" AS "t1"')


@pytest.mark.engines('sqlite', 'postgres')
def test_grouped_compounds_run(db) -> None:
    db.execute_sql('CREATE TABLE register (value INTEGER)')
    table = reg.clone().bind(db)
    table.insert_many([(v,) for v in range(10)], fields=[table.value]).execute()
    a = table.select(table.value).where(table.value < 5)
    b = table.select(table.value).where(table.value > 2)
    c = table.select(table.value).where(table.value == 4)
    assert sorted(r['value'] for r in a - (b - c)) == [0, 1, 2, 4]
    assert sorted(r['value'] for r in (a | b) - c) == [0, 1, 2, 3, 5, 6, 7, 8, 9]
    limited = table.select(table.value).order_by(table.value.desc()).limit(2)
    assert sorted(r['value'] for r in a | limited) == [0, 1, 2, 3, 4, 8, 9]


# -- naming of sources --------------------------------------------------------------------
def test_subqueries_side_by_side_name_a_table_alike() -> None:
    counts = notes.select(fn.COUNT(notes.id)).where(notes.user_id == users.id)
    writers = notes.select(notes.user_id)
    query = users.update(age=counts).where(users.id.in_(writers))
    assert Context().parse(query)[0] == (
        'UPDATE "users" SET "age" = (SELECT COUNT("t1"."id") FROM "notes" AS "t1" '
        'WHERE ("t1"."user_id" = "users"."id")) WHERE ("users"."id" IN '
        '(SELECT "t1"."user_id" FROM "notes" AS "t1"))')


def test_common_table_expressions_name_their_sources_apart() -> None:
    first = users.select(users.id).cte('first_ids')
    second = users.select(users.name).cte('names')
    query = Select((first, second), (first.c.id, second.c.name)).with_cte(first, second)
    assert Context().parse(query)[0] == (
        'WITH "first_ids" AS (SELECT "t1"."id" FROM "users" AS "t1"), '
        '"names" AS (SELECT "t2"."name" FROM "users" AS "t2") '
        'SELECT "first_ids"."id", "names"."name" FROM "first_ids", "names"')


def test_subqueries_run_with_shared_names(db) -> None:
    db.execute_sql('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, age INTEGER)')
    db.execute_sql('CREATE TABLE notes (id INTEGER, user_id INTEGER, body TEXT)')
    u, n = users.clone().bind(db), notes.clone().bind(db)
    u.insert_many([(1, 'a', 0), (2, 'b', 0)], fields=[u.id, u.name, u.age]).execute()
    n.insert_many([(1, 1, 'x'), (2, 1, 'y')], fields=[n.id, n.user_id, n.body]).execute()
    counts = n.select(fn.COUNT(n.id)).where(n.user_id == u.id)
    assert u.update(age=counts).where(u.id.in_(n.select(n.user_id))).execute() == 1
    assert [r['age'] for r in u.select(u.age).order_by(u.id)] == [2, 0]


# -- the order INSERT and UPDATE write columns in -----------------------------------------
def test_columns_given_by_name_are_written_in_name_order() -> None:
    assert Context().parse(users.insert(name='a', age=3, id=1)) == (
        'INSERT INTO "users" ("age", "id", "name") VALUES (?, ?, ?)', [3, 1, 'a'])
    assert Context().parse(users.insert({users.name: 'a', users.age: 3})) == (
        'INSERT INTO "users" ("age", "name") VALUES (?, ?)', [3, 'a'])
    assert Context().parse(users.insert_many([{'name': 'a', 'age': 1},
                                              {'name': 'b', 'age': 2}])) == (
        'INSERT INTO "users" ("age", "name") VALUES (?, ?), (?, ?)', [1, 'a', 2, 'b'])
    assert Context().parse(users.update(name='b', age=users.age + 1).where(users.id == 1)) == (
        'UPDATE "users" SET "age" = ("users"."age" + ?), "name" = ? '
        'WHERE ("users"."id" = ?)', [1, 'b', 1])
    # rows of values keep the columns in the order given
    assert Context().parse(users.insert_many([('a', 1)], fields=[users.name, users.age])) == (
        'INSERT INTO "users" ("name", "age") VALUES (?, ?)', ['a', 1])


def test_insert_select_without_columns_fills_the_table() -> None:
    source = notes.select(notes.id, notes.body, notes.user_id)
    assert Context().parse(users.insert(source))[0] == (
        'INSERT INTO "users" SELECT "t1"."id", "t1"."body", "t1"."user_id" '
        'FROM "notes" AS "t1"')


def test_keyed_inserts_and_updates_run(db) -> None:
    db.execute_sql('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, age INTEGER)')
    u = users.clone().bind(db)
    u.insert(name='a', age=3, id=1).execute()
    u.insert_many([{'name': 'b', 'age': 5, 'id': 2}]).execute()
    u.update(name='c', age=u.age + 1).where(u.id == 2).execute()
    assert list(u.select(u.id, u.name, u.age).order_by(u.id).tuples()) == [
        (1, 'a', 3), (2, 'c', 6)]
    db.execute_sql('CREATE TABLE copies (id INTEGER PRIMARY KEY, name TEXT, age INTEGER)')
    copies = Table('copies', ('id', 'name', 'age')).bind(db)
    copies.insert(u.select(u.id, u.name, u.age)).execute()
    assert copies.select().count() == 2


# -- ON CONFLICT ----------------------------------------------------------------------------
def test_default_context_spells_ignore_and_replace_as_insert_or() -> None:
    assert Context().parse(users.insert(name='a').on_conflict_ignore())[0] == \
        'INSERT OR IGNORE INTO "users" ("name") VALUES (?)'
    assert Context().parse(users.replace(name='a'))[0] == \
        'INSERT OR REPLACE INTO "users" ("name") VALUES (?)'
    # "nothing", or ignoring a named conflict, is written ON CONFLICT ... DO NOTHING
    assert Context().parse(users.insert(name='a').on_conflict('nothing'))[0] == \
        'INSERT INTO "users" ("name") VALUES (?) ON CONFLICT DO NOTHING'
    query = users.insert(name='a').on_conflict('ignore', conflict_constraint='users_name')
    assert Context().parse(query)[0] == ('INSERT INTO "users" ("name") VALUES (?) '
                                         'ON CONFLICT ON CONSTRAINT "users_name" DO NOTHING')
    # the default context binds a partial index's predicate; engines write it inline
    query = users.insert(name='a').on_conflict(
        conflict_target=[users.name], conflict_where=(users.age > 1), preserve=[users.age])
    assert Context().parse(query) == (
        'INSERT INTO "users" ("name") VALUES (?) ON CONFLICT ("name") WHERE ("age" > ?) '
        'DO UPDATE SET "age" = EXCLUDED."age"', ['a', 1])
    assert 'WHERE ("age" > 1)' in lite(query)[0]


def test_on_conflict_must_say_where_and_what() -> None:
    no_target = users.insert(name='a').on_conflict(preserve=[users.age])
    no_action = users.insert(name='a').on_conflict(conflict_target=[users.name])
    for compile_ in (lite, pg, Context().parse):
        with pytest.raises(ValueError, match='conflict_target'):
            compile_(no_target)
        with pytest.raises(ValueError, match='what to do'):
            compile_(no_action)
    named = users.insert(name='a').on_conflict('nothing', conflict_constraint='users_name')
    with pytest.raises(ValueError, match='conflict_constraint'):
        lite(named)
    with pytest.raises(NotSupportedError):
        lite(named)


def test_unbound_upsert_has_no_sql_of_its_own() -> None:
    query = users.insert(name='a').on_conflict(conflict_target=[users.name],
                                               preserve=[users.age])
    with pytest.raises(InterfaceError, match='bind'):
        query.sql()
    assert Context().parse(query)[0].startswith('INSERT INTO "users"')


# -- more of peewee's SQL text ----------------------------------------------------------------
def test_like_helpers_bind_their_escape_only_when_needed() -> None:
    assert Context().parse(users.select(users.id).where(users.name.contains('ab'))) == (
        'SELECT "t1"."id" FROM "users" AS "t1" WHERE ("t1"."name" ILIKE ?)', ['%ab%'])
    assert Context().parse(users.select(users.id).where(users.name.startswith('a_'))) == (
        'SELECT "t1"."id" FROM "users" AS "t1" WHERE ("t1"."name" ILIKE ? ESCAPE ?)',
        ['a\\_%', '\\'])


def test_like_helpers_match_wildcards_literally(db) -> None:
    db.execute_sql('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, age INTEGER)')
    u = users.clone().bind(db)
    u.insert_many([(1, 'a_b'), (2, 'axb'), (3, 'A%c')], fields=[u.id, u.name]).execute()
    found = lambda expr: [r['id'] for r in u.select(u.id).where(expr).order_by(u.id)]
    assert found(u.name.contains('_')) == [1]
    assert found(u.name.startswith('a')) == [1, 2, 3]
    assert found(u.name.endswith('%C')) == [3]


def test_a_lone_expression_argument_has_one_pair_of_parentheses() -> None:
    total = users.age + 1
    assert Context().parse(users.select(fn.SUM(total), fn.MAX(total * total, 0)))[0] == (
        'SELECT SUM("t1"."age" + ?), MAX((("t1"."age" + ?) * ("t1"."age" + ?)), ?) '
        'FROM "users" AS "t1"')


def test_update_and_delete_order_by_bare_column_names() -> None:
    query = users.delete().where(users.age > 1).order_by(users.id).limit(2)
    assert Context().parse(query)[0] == (
        'DELETE FROM "users" WHERE ("users"."age" > ?) ORDER BY "id" LIMIT ?')


def test_lateral_joins_default_to_on_true() -> None:
    latest = notes.select(notes.body).where(notes.user_id == users.id).limit(1)
    query = users.select(users.name, latest.c.body).join(latest, JOIN.LEFT_LATERAL)
    assert Context().parse(query) == (
        'SELECT "t1"."name", "t2"."body" FROM "users" AS "t1" LEFT JOIN LATERAL '
        '(SELECT "t3"."body" FROM "notes" AS "t3" WHERE ("t3"."user_id" = "t1"."id") '
        'LIMIT ?) AS "t2" ON ?', [1, True])
    query = users.select(users.name, latest.c.body).join(latest, JOIN.LATERAL)
    assert ' JOIN LATERAL (' in Context().parse(query)[0]
    marked = latest.lateral()
    query = users.select(users.name, marked.c.body).join(marked)
    assert 'INNER JOIN LATERAL (' in Context().parse(query)[0]
    assert Context().parse(query)[0].endswith(' ON ?')
    query = users.select(users.name, marked.c.body).join(marked, JOIN.CROSS)
    assert Context().parse(query)[0].endswith(' AS "t2"')


@pytest.mark.engines('postgres')
def test_lateral_join_on_true_runs(db) -> None:
    db.execute_sql('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, age INTEGER)')
    db.execute_sql('CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER, body TEXT)')
    u, n = users.clone().bind(db), notes.clone().bind(db)
    u.insert_many([(1, 'a'), (2, 'b')], fields=[u.id, u.name]).execute()
    n.insert_many([(1, 1, 'x')], fields=[n.id, n.user_id, n.body]).execute()
    latest = n.select(n.body).where(n.user_id == u.id).limit(1)
    query = u.select(u.name, latest.c.body).join(latest, JOIN.LEFT_LATERAL).order_by(u.id)
    assert list(query.tuples()) == [('a', 'x'), ('b', None)]


def test_values_list_names_its_columns_after_its_alias() -> None:
    values = ValuesList([(1, 'a'), (2, 'b')], columns=('idx', 'name'), alias='v')
    query = Select([values], [values.c.idx])
    assert Context().parse(query)[0] == \
        'SELECT "v"."idx" FROM (VALUES (?, ?), (?, ?)) AS "v"("idx", "name")'
    # SQLite has no column list there: a SELECT names them
    assert 'SELECT column1 AS "idx"' in lite(query)[0]


def test_window_alias_renames_in_place() -> None:
    window = Window(order_by=[users.age]).alias('wx')
    query = users.select(users.age, fn.RANK().over(window)).window(window)
    window.alias('wz')
    assert Context().parse(query)[0] == (
        'SELECT "t1"."age", RANK() OVER "wz" FROM "users" AS "t1" '
        'WINDOW "wz" AS (ORDER BY "t1"."age")')


def test_context_takes_peewee_option_names() -> None:
    query = Table('te"st').select(SQL('1')).where(Table('te"st').c.v > 5)
    assert Context(quote='``').parse(query) == (
        'SELECT 1 FROM `te"st` AS `t1` WHERE (`t1`.`v` > ?)', [5])
    assert Context(quote='[]').parse(query)[0].startswith('SELECT 1 FROM [te"st] AS [t1]')
    assert Context(value_literals=True).parse(query) == (
        'SELECT 1 FROM "te""st" AS "t1" WHERE ("t1"."v" > 5)', [])


def test_paginate_writes_the_first_offset() -> None:
    assert Context().parse(users.select(users.id).paginate(1)) == (
        'SELECT "t1"."id" FROM "users" AS "t1" LIMIT ? OFFSET ?', [20, 0])


def test_insert_many_of_no_rows_compiles_to_default_values(db) -> None:
    db.execute_sql('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, age INTEGER)')
    u = users.clone().bind(db)
    assert Context().parse(u.insert_many([]))[0] == 'INSERT INTO "users" DEFAULT VALUES'
    assert u.insert_many([]).execute() is None
    assert u.insert_many(iter(())).execute() is None
    assert u.select().count() == 0


def test_insert_returns_its_key_where_the_engine_reads_it_back() -> None:
    keyed = Table('keyed', ('id', 'name'), primary_key='id')
    # PostgreSQL reads new keys with RETURNING: the statement shows it
    assert pg(keyed.insert(name='a')) == (
        'INSERT INTO "keyed" ("name") VALUES (%s) RETURNING "keyed"."id"', ['a'])
    assert pg(keyed.insert(name='a').returning()) == (
        'INSERT INTO "keyed" ("name") VALUES (%s)', ['a'])
    assert pg(keyed.insert(name='a').as_rowcount()) == (
        'INSERT INTO "keyed" ("name") VALUES (%s)', ['a'])
    assert lite(keyed.insert(name='a')) == ('INSERT INTO "keyed" ("name") VALUES (?)', ['a'])
    # compiled by a bare Context, the database the query is bound to decides
    bound = keyed.insert(name='a').bind(PostgresqlDatabase(None))
    assert Context().parse(bound)[0].endswith(' RETURNING "keyed"."id"')
    assert Context().parse(keyed.insert(name='a'))[0].endswith('VALUES (?)')


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_insert_reads_back_new_keys(db) -> None:
    db.execute_sql('CREATE TABLE keyed (id %s PRIMARY KEY, name TEXT)' % (
        'SERIAL' if db.dialect.name == 'postgres' else 'INTEGER'))
    keyed = Table('keyed', ('id', 'name'), primary_key='id').bind(db)
    assert keyed.insert(name='a').execute() == 1
    assert keyed.insert(name='b').execute() == 2
    assert keyed.insert(name='c').as_rowcount().execute() == 1


# -- model queries whose SQL the SQL layer writes ------------------------------------------
class Post(Model):
    title = CharField()
    score = IntegerField(default=0)


def test_model_class_as_a_function_argument_is_its_table() -> None:
    query = Post.select(Post.id, fn.rank(Post).alias('r'))
    assert Context().parse(query)[0] == \
        'SELECT "t1"."id", rank("t1") AS "r" FROM "post" AS "t1"'


def test_model_insert_columns_follow_the_fields() -> None:
    assert Context().parse(Post.insert(score=3, title='a')) == (
        'INSERT INTO "post" ("title", "score") VALUES (?, ?)', ['a', 3])


def test_insert_many_takes_rows_of_values_among_dicts(db) -> None:
    with db.bind_ctx([Post]):
        db.create_tables([Post])
        rows = [{'title': 'a', 'score': 1}, ('b', 2), {Post.title: 'c'}, ('d',)]
        Post.insert_many(rows, fields=[Post.title, Post.score]).execute()
        assert list(Post.select(Post.title, Post.score).order_by(Post.id).tuples()) == [
            ('a', 1), ('b', 2), ('c', 0), ('d', 0)]


def test_a_models_table_is_one_source() -> None:
    table = Post._meta.table
    assert table == table and hash(table) == hash(table)
    # a table written by name is another source than the model's own
    assert Table('post') != table and Table('post') == Table('post')


# -- row adapters -----------------------------------------------------------------------------
def test_dedupe_columns_tells_repeated_names_apart() -> None:
    from orm import CursorWrapper
    wrapper = CursorWrapper(None)
    assert wrapper.dedupe_columns(['id', 'name', 'id', 'id']) == ['id', 'name', 'id_2', 'id_3']
    assert wrapper.dedupe_columns(['"t1"."name"', 'SUM("t1"."n")', '1']) == ['name', 'n', '1']
    assert wrapper.dedupe_columns(['"a"', 'a'], valid_identifiers=False) == ['"a"', 'a']
    assert wrapper.dedupe_columns(['a', 'a', 'a_2']) == ['a', 'a_2', 'a_2_2']


def test_rows_with_repeated_column_names(db) -> None:
    db.execute_sql('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, age INTEGER)')
    u = users.clone().bind(db)
    u.insert(id=1, name='a', age=3).execute()
    query = u.select(u.name, Value('x').alias('name'), SQL('1'))
    row = list(query.dicts())[0]
    assert (row['name'], row['name_2'], len(row)) == ('a', 'x', 3)
    row = list(query.namedtuples())[0]
    assert (row.name, row.name_2, row[2]) == ('a', 'x', 1)
    obj = list(query.objects(lambda **kw: kw))[0]
    assert obj['name'] == 'a' and obj['name_2'] == 'x'


def test_result_indexing_and_cache_errors(db) -> None:
    db.execute_sql('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, age INTEGER)')
    u = users.clone().bind(db)
    u.insert_many([(i, str(i)) for i in range(6)], fields=[u.id, u.name]).execute()
    rows = u.select(u.id).order_by(u.id).tuples().execute()
    assert rows[-2:] == [(4,), (5,)] and rows[1:-3] == [(1,), (2,)]
    for error in (TypeError, ValueError):        # either, as a Python index or as peewee
        with pytest.raises(error):
            rows['x']
    with pytest.raises(ValueError):
        rows.fill_cache(-1)


def test_converter_reads_a_column_back_as_asked(db) -> None:
    with db.bind_ctx([Post]):
        db.create_tables([Post])
        Post.create(title='7', score=3)
        query = Post.select(Post.title.converter(int).alias('n'),
                            Post.score.alias('s').converter(str))
        assert Context().parse(query)[0] == \
            'SELECT "t1"."title" AS "n", "t1"."score" AS "s" FROM "post" AS "t1"'
        assert list(query.dicts()) == [{'n': 7, 's': '3'}]


class Stamp(Model):
    ts = DateTimeField()


def test_a_subquerys_column_reads_back_as_what_it_selects(db) -> None:
    import datetime
    with db.bind_ctx([Stamp]):
        db.create_tables([Stamp])
        moment = datetime.datetime(2020, 1, 2, 3, 4, 5)
        Stamp.create(ts=moment)
        inner = Stamp.select(Stamp.id, Stamp.ts, Stamp.ts.alias('again'))
        query = Stamp.select(inner.c.ts.alias('ts'), inner.c.again.alias('again')).join(
            inner, on=(Stamp.id == inner.c.id))
        row = list(query.objects())[0]
        assert (row.ts, row.again) == (moment, moment)
