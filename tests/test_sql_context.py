"""The SQL layer as peewee documents it: what a bare ``Context()`` renders, the rendering
options a context takes, how sources are named and compared, and the SQL text of
INSERT / UPDATE / compound queries."""
from __future__ import annotations

from orm import Table

users = Table('users', ('id', 'name', 'age'))
notes = Table('notes', ('id', 'user_id', 'body'))


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
