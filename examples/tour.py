"""A short tour of orm's query builder.

Run it from a fresh clone with:

    python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python examples/tour.py
"""
import sys


def main() -> int:
    try:
        import orm
    except ImportError:
        orm = None
    if orm is None or not hasattr(orm, 'Table') or not hasattr(orm, 'SqliteDatabase'):
        print('orm core not built yet')
        return 0

    db = orm.SqliteDatabase(':memory:')
    db.execute_sql('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)')
    users = orm.Table('users', ('id', 'name')).bind(db)

    for name in ('alice', 'bob', 'carol'):
        users.insert(name=name).execute()
    print('inserted 3 users')

    for row in users.select().where(users.c.name == 'alice'):
        print('found:', row)

    users.update(name='bobby').where(users.c.name == 'bob').execute()
    users.delete().where(users.c.name == 'carol').execute()
    names = [row['name'] for row in users.select(users.c.name).order_by(users.c.id)]
    print('remaining:', names)
    db.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
