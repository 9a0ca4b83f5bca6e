"""SQL text where the text itself is the contract: quoting, aliases, placeholders, upserts.

Everything else about queries is tested by running them (test_sql_select / _write /
_expressions); these tests pin down the exact spelling that callers and engines rely on.
"""
from __future__ import annotations

import pytest

from orm import (EXCLUDED, JOIN, OP, SQL, Case, NotSupportedError, Select, Table, Value,
                 ValuesList, Window, fn, query_to_string)
from orm.dialects import PostgresDialect, SqliteDialect
from orm.sql.nodes import Expression

SQLITE = SqliteDialect()
PG = PostgresDialect()

users = Table('users', ('id', 'name', 'age'), primary_key='id')
notes = Table('notes', ('id', 'user_id', 'body'), primary_key='id')


def lite(node):
    return SQLITE.compile(node)


def pg(node):
    return PG.compile(node)


# ---------------------------------------------------------------------------------------
# identifiers and values
# ---------------------------------------------------------------------------------------

def test_identifiers_are_quoted_and_escaped():
    weird = Table('we"ird', ('per%cent', 'drop;--'))
    sql, params = lite(weird.select())
    assert sql == 'SELECT "t1"."per%cent", "t1"."drop;--" FROM "we""ird" AS "t1"'
    assert params == []
    # psycopg2 reads % as the start of a placeholder, so it is doubled in PostgreSQL text
    sql, _ = pg(weird.select())
    assert sql == 'SELECT "t1"."per%%cent", "t1"."drop;--" FROM "we""ird" AS "t1"'


def test_identifier_escaping_in_every_position():
    t = Table('a"b', ('c"d',))
    sql, _ = lite(t.insert({'c"d': 1}))
    assert sql == 'INSERT INTO "a""b" ("c""d") VALUES (?)'
    sql, _ = pg(t.update({'c"d': 2}).returning(t.c['c"d']))
    assert sql == 'UPDATE "a""b" SET "c""d" = %s RETURNING "a""b"."c""d"'
    sql, _ = lite(t.select(t.c['c"d'].alias('x"y')))
    assert sql == 'SELECT "t1"."c""d" AS "x""y" FROM "a""b" AS "t1"'
    sql, _ = lite(t.alias('q"a').select())
    assert sql == 'SELECT "q""a"."c""d" FROM "a""b" AS "q""a"'


def test_nul_in_identifier_is_rejected():
    with pytest.raises(ValueError, match='NUL'):
        lite(Table('bad\x00name').select(SQL('1')))


def test_values_are_always_parameters():
    hostile = "x'); DROP TABLE users; -- %s ?"
    sql, params = lite(users.select(users.id).where(users.name == hostile))
    assert sql == 'SELECT "t1"."id" FROM "users" AS "t1" WHERE ("t1"."name" = ?)'
    assert params == [hostile]
    sql, params = pg(users.insert(name=hostile))
    assert sql == 'INSERT INTO "users" ("name") VALUES (%s) RETURNING "users"."id"'
    assert params == [hostile]


def test_placeholder_style_per_dialect():
    query = users.select(users.id).where(users.age.between(18, 65)).limit(5)
    assert lite(query) == ('SELECT "t1"."id" FROM "users" AS "t1" WHERE ("t1"."age" BETWEEN '
                           '? AND ?) LIMIT ?', [18, 65, 5])
    assert pg(query) == ('SELECT "t1"."id" FROM "users" AS "t1" WHERE ("t1"."age" BETWEEN '
                         '%s AND %s) LIMIT %s', [18, 65, 5])


def test_percent_operator_is_escaped_for_psycopg2():
    expr = Expression(users.age, OP.MOD, 2)
    assert pg(users.select(expr))[0] == 'SELECT ("t1"."age" %% %s) FROM "users" AS "t1"'
    assert lite(users.select(expr))[0] == 'SELECT ("t1"."age" % ?) FROM "users" AS "t1"'


def test_raw_sql_is_passed_through_with_its_params():
    sql, params = lite(users.select(SQL('count(*) FILTER (WHERE age > ?)', [3])))
    assert sql == 'SELECT count(*) FILTER (WHERE age > ?) FROM "users" AS "t1"'
    assert params == [3]


def test_query_sql_uses_bound_dialect_or_sqlite():
    query = users.select(users.id).where(users.id == 1)
    assert query.sql() == ('SELECT "t1"."id" FROM "users" AS "t1" WHERE ("t1"."id" = ?)', [1])


def test_query_to_string_inlines_literals_for_reading():
    query = users.select(users.id).where(users.name == "O'Hara")
    assert query_to_string(query) == \
        'SELECT "t1"."id" FROM "users" AS "t1" WHERE ("t1"."name" = \'O\'\'Hara\')'
    assert str(query) == query_to_string(query)


# ---------------------------------------------------------------------------------------
# aliases
# ---------------------------------------------------------------------------------------

def test_sources_get_t1_t2_aliases_in_order():
    query = (users.select(users.name, notes.body)
             .join(notes, on=(notes.user_id == users.id)))
    assert lite(query)[0] == ('SELECT "t1"."name", "t2"."body" FROM "users" AS "t1" '
                              'INNER JOIN "notes" AS "t2" ON ("t2"."user_id" = "t1"."id")')


def test_explicit_alias_is_used_verbatim():
    u2 = users.alias('u2')
    query = users.select(users.id, u2.id).join(u2, JOIN.LEFT_OUTER, on=(u2.age == users.age))
    assert lite(query)[0] == ('SELECT "t1"."id", "u2"."id" FROM "users" AS "t1" LEFT OUTER '
                              'JOIN "users" AS "u2" ON ("u2"."age" = "t1"."age")')


def test_correlated_subquery_refers_to_outer_alias():
    count = notes.select(fn.COUNT(notes.id)).where(notes.user_id == users.id)
    query = users.select(users.name, count.alias('n'))
    assert lite(query)[0] == (
        'SELECT "t1"."name", (SELECT COUNT("t2"."id") FROM "notes" AS "t2" '
        'WHERE ("t2"."user_id" = "t1"."id")) AS "n" FROM "users" AS "t1"')


def test_same_table_in_subquery_reuses_the_outer_name():
    # as in peewee: a source is named where it is first met, and a subquery sees the
    # names of the queries around it (its own FROM shadows the outer table)
    sub = users.select(users.id).where(users.age > 30)
    query = users.select(users.name).where(users.id.in_(sub))
    assert lite(query)[0] == (
        'SELECT "t1"."name" FROM "users" AS "t1" WHERE ("t1"."id" IN '
        '(SELECT "t1"."id" FROM "users" AS "t1" WHERE ("t1"."age" > ?)))')
    # the select list is rendered first, so the tables it names are numbered first
    query = users.select(notes.id, users.name).join(notes, on=(notes.user_id == users.id))
    assert lite(query)[0] == (
        'SELECT "t1"."id", "t2"."name" FROM "users" AS "t2" INNER JOIN "notes" AS "t1" '
        'ON ("t1"."user_id" = "t2"."id")')


def test_write_queries_qualify_by_table_name():
    sub = notes.select(notes.user_id)
    assert lite(users.delete().where(users.id.not_in(sub)))[0] == (
        'DELETE FROM "users" WHERE ("users"."id" NOT IN '
        '(SELECT "t1"."user_id" FROM "notes" AS "t1"))')
    query = users.update(age=notes.id).from_(notes).where(notes.user_id == users.id)
    assert pg(query)[0] == ('UPDATE "users" SET "age" = "t1"."id" FROM "notes" AS "t1" '
                            'WHERE ("t1"."user_id" = "users"."id")')


def test_subquery_in_from_is_aliased():
    sub = users.select(users.id)
    assert lite(Select([sub], [SQL('*')]))[0] == \
        'SELECT * FROM (SELECT "t1"."id" FROM "users" AS "t1") AS "t2"'
    named = users.select(users.id).alias('s')
    assert pg(Select([named], [named.c.id]))[0] == \
        'SELECT "s"."id" FROM (SELECT "t1"."id" FROM "users" AS "t1") AS "s"'


def test_cte_columns_are_qualified_by_cte_name():
    cte = users.select(users.id).cte('c', columns=('x',))
    assert lite(cte.select_from(cte.c.x))[0] == \
        'WITH "c" ("x") AS (SELECT "t1"."id" FROM "users" AS "t1") SELECT "c"."x" FROM "c"'


# ---------------------------------------------------------------------------------------
# dialect spellings
# ---------------------------------------------------------------------------------------

def test_like_and_ilike_spelling():
    assert lite(users.select(users.id).where(users.name % 'a*'))[0].endswith(
        'WHERE ("t1"."name" GLOB ?)')
    assert pg(users.select(users.id).where(users.name % 'a%'))[0].endswith(
        'WHERE ("t1"."name" LIKE %s)')
    assert lite(users.select(users.id).where(users.name ** 'a%'))[0].endswith(
        'WHERE ("t1"."name" LIKE ?)')
    assert pg(users.select(users.id).where(users.name ** 'a%'))[0].endswith(
        'WHERE ("t1"."name" ILIKE %s)')


def test_like_helpers_escape_wildcards():
    # the escape character is bound, and given only where the text needed escaping
    sql, params = lite(users.select(users.id).where(users.name.contains('5%_\\')))
    assert sql.endswith('WHERE ("t1"."name" LIKE ? ESCAPE ?)')
    assert params == ['%5\\%\\_\\\\%', '\\']
    sql, params = pg(users.select(users.id).where(users.name.startswith('a_')))
    assert sql.endswith('WHERE ("t1"."name" ILIKE %s ESCAPE %s)')
    assert params == ['a\\_%', '\\']
    sql, params = pg(users.select(users.id).where(users.name.endswith('abc')))
    assert sql.endswith('WHERE ("t1"."name" ILIKE %s)')
    assert params == ['%abc']


def test_regexp_spelling():
    assert lite(users.select(users.id).where(users.name.regexp('^a')))[0].endswith(
        '("t1"."name" REGEXP ?)')
    assert pg(users.select(users.id).where(users.name.regexp('^a')))[0].endswith(
        '("t1"."name" ~ %s)')
    assert pg(users.select(users.id).where(users.name.iregexp('^a')))[0].endswith(
        '("t1"."name" ~* %s)')


def test_empty_in_list_is_a_constant():
    assert lite(users.select(users.id).where(users.id.in_([])))[0].endswith('WHERE (0 = 1)')
    assert lite(users.select(users.id).where(users.id.not_in([])))[0].endswith(
        'WHERE (1 = 1)')


def test_is_null_spelling():
    assert lite(users.select(users.id).where(users.age == None))[0].endswith(  # noqa: E711
        '("t1"."age" IS NULL)')
    assert lite(users.select(users.id).where(users.age.is_null(False)))[0].endswith(
        '("t1"."age" IS NOT NULL)')


def test_offset_without_limit():
    assert lite(users.select(users.id).offset(5)) == \
        ('SELECT "t1"."id" FROM "users" AS "t1" LIMIT ? OFFSET ?', [-1, 5])
    assert pg(users.select(users.id).offset(5)) == \
        ('SELECT "t1"."id" FROM "users" AS "t1" OFFSET %s', [5])


def test_nulls_ordering():
    query = users.select(users.id).order_by(users.age.desc(nulls='LAST'))
    assert pg(query)[0].endswith('ORDER BY "t1"."age" DESC NULLS LAST')
    # written as given, as peewee does
    query = users.select(users.id).order_by(users.age.desc(nulls='last'))
    assert pg(query)[0].endswith('ORDER BY "t1"."age" DESC NULLS last')


def test_exists_subquery_has_single_parentheses():
    query = users.select(users.id).where(fn.EXISTS(notes.select(SQL('1'))
                                                   .where(notes.user_id == users.id)))
    assert lite(query)[0] == (
        'SELECT "t1"."id" FROM "users" AS "t1" WHERE EXISTS(SELECT 1 FROM "notes" AS "t2" '
        'WHERE ("t2"."user_id" = "t1"."id"))')
    two_args = fn.COALESCE(notes.select(fn.MAX(notes.id)), 0)
    assert lite(users.select(two_args))[0] == (
        'SELECT COALESCE((SELECT MAX("t1"."id") FROM "notes" AS "t1"), ?) FROM "users" AS "t2"')
    scalar = fn.ABS(notes.select(fn.MAX(notes.id)))
    assert lite(users.select(scalar))[0] == (
        'SELECT ABS((SELECT MAX("t1"."id") FROM "notes" AS "t1")) FROM "users" AS "t2"')


def test_distinct_on_spelling():
    query = users.select(users.name).distinct(users.name).order_by(users.name)
    assert pg(query)[0] == ('SELECT DISTINCT ON ("t1"."name") "t1"."name" FROM "users" AS "t1" '
                            'ORDER BY "t1"."name"')
    with pytest.raises(NotSupportedError, match='DISTINCT ON'):
        lite(query)


def test_for_update_spelling():
    query = users.select(users.id).for_update('for share', of=[users], skip_locked=True)
    assert pg(query)[0].endswith(' FOR SHARE OF "t1" SKIP LOCKED')
    assert 'FOR' not in lite(query)[0]
    assert pg(users.select(users.id).for_update('FOR UPDATE NOWAIT'))[0].endswith(
        ' FOR UPDATE NOWAIT')


def test_window_spelling():
    w = Window(partition_by=[users.age], order_by=[users.id], start=Window.preceding(2),
               end=Window.following(), frame_type=Window.RANGE, exclude=Window.TIES)
    query = users.select(fn.SUM(users.id).over(window=w)).window(w)
    assert lite(query)[0] == (
        'SELECT SUM("t1"."id") OVER "w" FROM "users" AS "t1" WINDOW "w" AS (PARTITION BY '
        '"t1"."age" ORDER BY "t1"."id" RANGE BETWEEN 2 PRECEDING AND UNBOUNDED FOLLOWING '
        'EXCLUDE TIES)')
    inline = fn.COUNT(users.id).over(order_by=[users.id], start=Window.CURRENT_ROW)
    assert lite(users.select(inline))[0] == \
        'SELECT COUNT("t1"."id") OVER (ORDER BY "t1"."id" ROWS CURRENT ROW) FROM "users" AS "t1"'


def test_filter_spelling():
    query = users.select(fn.COUNT(users.id).filter(users.age > 1))
    assert lite(query)[0] == \
        'SELECT COUNT("t1"."id") FILTER (WHERE ("t1"."age" > ?)) FROM "users" AS "t1"'


def test_case_spelling():
    query = users.select(Case(users.age, [(1, 'one')], 'many'))
    assert lite(query) == ('SELECT CASE "t1"."age" WHEN ? THEN ? ELSE ? END FROM "users" AS '
                           '"t1"', [1, 'one', 'many'])


def test_values_list_spelling():
    vl = ValuesList([(1, 'a')], columns=('n', 's'), alias='v')
    assert pg(Select([vl], [vl.c.n]))[0] == \
        'SELECT "v"."n" FROM (VALUES (%s, %s)) AS "v"("n", "s")'
    # SQLite has no column list after the alias: a wrapping SELECT names the columns
    assert lite(Select([vl], [vl.c.n]))[0] == (
        'SELECT "v"."n" FROM (SELECT column1 AS "n", column2 AS "s" FROM (VALUES (?, ?))) '
        'AS "v"')


def test_materialized_cte_spelling():
    cte = users.select(users.id).cte('m', materialized=True)
    assert lite(cte.select_from(cte.c.id))[0].startswith('WITH "m" AS MATERIALIZED (')
    cte = users.select(users.id).cte('m', materialized=False)
    assert pg(cte.select_from(cte.c.id))[0].startswith('WITH "m" AS NOT MATERIALIZED (')


def test_recursive_cte_spelling():
    cte = Select(columns=[Value(1)]).cte('r', recursive=True, columns=('n',))
    cte = cte.union_all(cte.select(cte.c.n + 1).where(cte.c.n < 3))
    assert lite(cte.select_from(cte.c.n))[0] == (
        'WITH RECURSIVE "r" ("n") AS (SELECT ? UNION ALL SELECT ("r"."n" + ?) FROM "r" '
        'WHERE ("r"."n" < ?)) SELECT "r"."n" FROM "r"')


def test_compound_members_with_limit():
    a = users.select(users.id).where(users.age > 1)
    b = users.select(users.id).order_by(users.id).limit(2)
    # PostgreSQL parenthesises every member (as peewee writes it there)
    assert pg(a | b)[0] == (
        '(SELECT "t1"."id" FROM "users" AS "t1" WHERE ("t1"."age" > %s)) UNION '
        '(SELECT "t2"."id" FROM "users" AS "t2" ORDER BY "t2"."id" LIMIT %s)')
    # SQLite cannot parenthesise compound members: the member becomes a subquery
    assert lite(a | b)[0] == (
        'SELECT "t1"."id" FROM "users" AS "t1" WHERE ("t1"."age" > ?) UNION '
        'SELECT * FROM (SELECT "t2"."id" FROM "users" AS "t2" ORDER BY "t2"."id" LIMIT ?)')
    assert lite((a | b).order_by(users.id).limit(1))[0].endswith(' ORDER BY "id" LIMIT ?')


def test_compound_nested_on_the_right():
    a, b, c = (users.select(users.id).where(users.id == n) for n in (1, 2, 3))
    assert pg(a - (b | c))[0] == (
        '(SELECT "t1"."id" FROM "users" AS "t1" WHERE ("t1"."id" = %s)) EXCEPT '
        '((SELECT "t2"."id" FROM "users" AS "t2" WHERE ("t2"."id" = %s)) UNION '
        '(SELECT "t3"."id" FROM "users" AS "t3" WHERE ("t3"."id" = %s)))')
    assert lite(a - (b | c))[0] == (
        'SELECT "t1"."id" FROM "users" AS "t1" WHERE ("t1"."id" = ?) EXCEPT '
        'SELECT * FROM (SELECT "t2"."id" FROM "users" AS "t2" WHERE ("t2"."id" = ?) UNION '
        'SELECT "t3"."id" FROM "users" AS "t3" WHERE ("t3"."id" = ?))')


def test_returning_spelling():
    query = users.insert(name='a').returning(users.id, users.name)
    assert lite(query)[0] == 'INSERT INTO "users" ("name") VALUES (?) RETURNING "id", "name"'
    assert pg(query)[0] == ('INSERT INTO "users" ("name") VALUES (%s) RETURNING "users"."id", '
                            '"users"."name"')


# ---------------------------------------------------------------------------------------
# upserts
# ---------------------------------------------------------------------------------------

def test_insert_or_ignore_and_replace():
    assert lite(users.insert(name='a').on_conflict_ignore())[0] == \
        'INSERT OR IGNORE INTO "users" ("name") VALUES (?)'
    assert lite(users.insert(name='a').on_conflict_replace())[0] == \
        'INSERT OR REPLACE INTO "users" ("name") VALUES (?)'
    assert lite(users.replace(name='a'))[0] == \
        'INSERT OR REPLACE INTO "users" ("name") VALUES (?)'


def test_postgres_ignore_is_on_conflict_do_nothing():
    assert pg(users.insert(name='a').on_conflict_ignore())[0] == \
        'INSERT INTO "users" ("name") VALUES (%s) ON CONFLICT DO NOTHING RETURNING "users"."id"'
    with pytest.raises(NotSupportedError, match='PostgreSQL has no INSERT OR REPLACE'):
        pg(users.insert(name='a').on_conflict_replace())


def test_on_conflict_update_spelling():
    query = users.insert(id=1, name='a', age=2).on_conflict(
        conflict_target=[users.id], preserve=[users.name],
        update={users.age: users.age + EXCLUDED.age}, where=(users.age < 100))
    # columns given by name are written in name order (as peewee does for a table)
    expected = ('INSERT INTO "users" ("age", "id", "name") VALUES ({p}, {p}, {p}) ON CONFLICT '
                '("id") DO UPDATE SET "name" = EXCLUDED."name", "age" = ("users"."age" + '
                'EXCLUDED."age") WHERE ("users"."age" < {p})')
    assert lite(query)[0] == expected.format(p='?')
    # PostgreSQL reads the new key back
    assert pg(query)[0] == expected.format(p='%s') + ' RETURNING "users"."id"'


def test_on_conflict_constraint_and_conflict_where():
    query = users.insert(name='a').on_conflict(conflict_constraint='users_name_key',
                                               preserve=[users.name])
    assert pg(query)[0] == ('INSERT INTO "users" ("name") VALUES (%s) ON CONFLICT ON '
                            'CONSTRAINT "users_name_key" DO UPDATE SET "name" = EXCLUDED."name" '
                            'RETURNING "users"."id"')
    with pytest.raises(NotSupportedError, match='conflict_constraint'):
        lite(query)
    query = users.insert(name='a').on_conflict('ignore', conflict_target=[users.name],
                                               conflict_where=(users.age > 0))
    # the conflict predicate matches a partial index, so its values are written as literals
    assert lite(query) == ('INSERT INTO "users" ("name") VALUES (?) ON CONFLICT ("name") '
                           'WHERE ("age" > 0) DO NOTHING', ['a'])


def test_sqlite_upsert_from_select_gets_a_where_clause():
    source = users.select(users.id, users.name, users.age)
    query = users.insert(source, columns=[users.id, users.name, users.age]).on_conflict(
        conflict_target=[users.id], preserve=[users.name])
    assert lite(query)[0] == (
        'INSERT INTO "users" ("id", "name", "age") SELECT "users"."id", "users"."name", '
        '"users"."age" FROM "users" AS "users" WHERE 1 ON CONFLICT ("id") DO UPDATE SET "name" = '
        'EXCLUDED."name"')
    assert 'WHERE 1' not in pg(query)[0]


def test_insert_many_spelling():
    query = users.insert_many([('a', 1), ('b', 2)], fields=[users.name, users.age])
    assert pg(query) == ('INSERT INTO "users" ("name", "age") VALUES (%s, %s), (%s, %s) '
                         'RETURNING "users"."id"', ['a', 1, 'b', 2])
    assert pg(query.as_rowcount())[0].endswith('(%s, %s)')
    assert lite(users.insert()) == ('INSERT INTO "users" DEFAULT VALUES', [])
