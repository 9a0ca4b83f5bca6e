"""playhouse.migrate: every operation on tables that hold rows and are referenced by others.

Engines: SQLite (memory and file) with ``pragmas={'foreign_keys': 1}``, and PostgreSQL.
The schema is ``author <- book <- review`` (``ON DELETE CASCADE``) plus a ``shelf`` table
that also refers to ``book``.  After each change the tests read back every row, the
foreign keys, indexes, defaults and NOT NULL flags through introspection, and check the
behaviour: bad foreign keys and NULLs are refused, cascades still cascade.
"""
from __future__ import annotations

import pytest

import orm
from conftest import ENGINE_KINDS, _close_all, clean_database, engine_name, make_database
from orm import (SQL, BigIntegerField, CharField, Check, DatabaseProxy, ForeignKeyField,
                 IntegerField, IntegrityError, Model, NotSupportedError, TextField)
from playhouse.migrate import (CockroachDBMigrator, MySQLColumn, MySQLMigrator, Operation,
                               PostgresqlMigrator, SchemaMigrator, SqliteMigrator,
                               make_index_name, migrate, operation)

AUTHORS = [(1, 'ann', 'ann@x', 30), (2, 'bob', None, None), (3, 'cy', 'cy@x', 41)]
BOOKS = [(1, 1, 'alpha', 10, None), (2, 1, 'beta', 20, 'n'), (3, 2, 'gamma', 0, None),
         (4, 3, 'delta', 5, 'm')]
REVIEWS = [(1, 1, 5), (2, 1, 3), (3, 2, 4), (4, 4, 1), (5, 3, 2)]
SHELVES = [(1, 1), (2, 4)]

SCHEMA = {
    'sqlite': [
        'CREATE TABLE author (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL, '
        'email VARCHAR(100), age INTEGER)',
        'CREATE TABLE book (id INTEGER NOT NULL PRIMARY KEY, author_id INTEGER NOT NULL, '
        'title VARCHAR(100) NOT NULL, price INTEGER NOT NULL, note TEXT, '
        'FOREIGN KEY (author_id) REFERENCES author (id) ON DELETE CASCADE)',
        'CREATE TABLE review (id INTEGER NOT NULL PRIMARY KEY, book_id INTEGER NOT NULL '
        'REFERENCES book (id) ON DELETE CASCADE, stars INTEGER NOT NULL)',
        'CREATE TABLE shelf (id INTEGER NOT NULL PRIMARY KEY, book_id INTEGER '
        'REFERENCES book (id))',
    ],
    'postgres': [
        'CREATE TABLE author (id SERIAL PRIMARY KEY, name VARCHAR(50) NOT NULL, '
        'email VARCHAR(100), age INTEGER)',
        'CREATE TABLE book (id SERIAL PRIMARY KEY, author_id INTEGER NOT NULL, '
        'title VARCHAR(100) NOT NULL, price INTEGER NOT NULL, note TEXT, '
        'FOREIGN KEY (author_id) REFERENCES author (id) ON DELETE CASCADE)',
        'CREATE TABLE review (id SERIAL PRIMARY KEY, book_id INTEGER NOT NULL '
        'REFERENCES book (id) ON DELETE CASCADE, stars INTEGER NOT NULL)',
        'CREATE TABLE shelf (id SERIAL PRIMARY KEY, book_id INTEGER REFERENCES book (id))',
    ],
    # MySQL ignores REFERENCES written on a column: the keys are table constraints
    'mysql': [
        'CREATE TABLE author (id INTEGER AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) '
        'NOT NULL, email VARCHAR(100), age INTEGER)',
        'CREATE TABLE book (id INTEGER AUTO_INCREMENT PRIMARY KEY, author_id INTEGER NOT '
        'NULL, title VARCHAR(100) NOT NULL, price INTEGER NOT NULL, note TEXT, '
        'FOREIGN KEY (author_id) REFERENCES author (id) ON DELETE CASCADE)',
        'CREATE TABLE review (id INTEGER AUTO_INCREMENT PRIMARY KEY, book_id INTEGER NOT '
        'NULL, stars INTEGER NOT NULL, '
        'FOREIGN KEY (book_id) REFERENCES book (id) ON DELETE CASCADE)',
        'CREATE TABLE shelf (id INTEGER AUTO_INCREMENT PRIMARY KEY, book_id INTEGER, '
        'FOREIGN KEY (book_id) REFERENCES book (id))',
    ],
}
INDEXES = [
    'CREATE INDEX book_author_id ON book (author_id)',
    'CREATE INDEX book_title ON book (title)',
    'CREATE INDEX review_book_id ON review (book_id)',
]


@pytest.fixture
def mdb(engine: str, tmp_path):
    kind = ENGINE_KINDS[engine]
    kwargs = {'pragmas': {'foreign_keys': 1}} if kind == 'sqlite' else {}
    database = make_database(engine, tmp_path, **kwargs)
    database.connect()
    clean_database(database)
    for sql in SCHEMA[kind] + INDEXES:
        database.execute_sql(sql)
    p = database.param
    for table, rows in (('author', AUTHORS), ('book', BOOKS), ('review', REVIEWS),
                        ('shelf', SHELVES)):
        for row in rows:
            database.execute_sql('INSERT INTO %s VALUES (%s)' % (
                table, ', '.join([p] * len(row))), row)
    if kind == 'postgres':
        for table in ('author', 'book', 'review', 'shelf'):
            database.execute_sql("SELECT setval('%s_id_seq', 100)" % table)
    database._migrate_baseline = {t: column_meta(database, t) for t in TABLES}
    yield database
    _close_all(database)


def kind(db) -> str:
    return db.dialect.name


def skip_on_mysql(db, why: str) -> None:
    if kind(db) == 'mysql':
        pytest.skip(why)


def rows(db, table: str, columns: str = '*') -> list:
    return [tuple(r) for r in db.execute_sql(
        'SELECT %s FROM %s ORDER BY id' % (columns, table)).fetchall()]


def insert(db, table: str, **values):
    p = db.param
    return db.execute_sql('INSERT INTO %s (%s) VALUES (%s)' % (
        table, ', '.join(values), ', '.join([p] * len(values))), list(values.values()))


def columns(db, table: str) -> dict:
    return {c.name: c for c in db.get_columns(table)}


TABLES = ('author', 'book', 'review', 'shelf')


def column_meta(db, table: str) -> dict:
    """Each column's (type, nullable, default) as the engine reports it."""
    return {c.name: (c.data_type.lower(), c.null, c.default) for c in db.get_columns(table)}


def assert_columns_unchanged(db, changed: tuple = (), gone: tuple = ()) -> None:
    """Every column's type, NOT NULL flag and default is as the fixture made it, except
    the ``'table.column'`` entries of ``changed`` (altered, added, renamed or dropped)
    and the tables in ``gone``."""
    changed = {c.lower() for c in changed}
    for table in TABLES:
        if table in gone:
            continue
        before, after = db._migrate_baseline[table], column_meta(db, table)
        for name in set(before) | set(after):
            if '%s.%s' % (table, name.lower()) in changed:
                continue
            assert before.get(name) == after.get(name), (table, name)


def indexes(db, table: str) -> dict:
    return {i.name: (tuple(i.columns), i.unique) for i in db.get_indexes(table)
            if not i.name.endswith('_pkey') and i.name != 'PRIMARY'}


def fks(db, table: str) -> set:
    return {(fk.column, fk.dest_table, fk.dest_column) for fk in db.get_foreign_keys(table)}


def assert_fk_enforced(db, table: str, **values) -> None:
    """Inserting ``values`` (with a dangling reference) must fail."""
    with pytest.raises(IntegrityError):
        with db.atomic():
            insert(db, table, **values)


def assert_intact(db, skip: tuple = (), changed: tuple = (), gone: tuple = ()) -> None:
    """Everything the test did not change is as the fixture made it: the rows, foreign
    keys and indexes of the tables not in ``skip``; every column's type, NOT NULL and
    default but those in ``changed`` (see :func:`assert_columns_unchanged`)."""
    assert_columns_unchanged(db, changed, gone)
    if 'author' not in skip:
        assert rows(db, 'author') == AUTHORS
    if 'book' not in skip:
        assert rows(db, 'book') == BOOKS
        assert fks(db, 'book') == {('author_id', 'author', 'id')}
        assert indexes(db, 'book') == {'book_author_id': (('author_id',), False),
                                       'book_title': (('title',), False)}
    if 'review' not in skip:
        assert rows(db, 'review') == REVIEWS
        assert fks(db, 'review') == {('book_id', 'book', 'id')}
        assert indexes(db, 'review') == {'review_book_id': (('book_id',), False)}
    assert rows(db, 'shelf') == SHELVES
    assert fks(db, 'shelf') == {('book_id', 'book', 'id')}
    if kind(db) == 'sqlite':
        assert db.pragma('foreign_keys') == 1
        assert db.execute_sql('PRAGMA foreign_key_check').fetchall() == []
        assert not [t for t in db.get_tables() if t.startswith('__orm')]
    assert not db.in_transaction()


def assert_cascade_works(db) -> None:
    """Deleting author 1 still cascades to their books and those books' reviews."""
    db.execute_sql('DELETE FROM shelf WHERE book_id IN (SELECT id FROM book '
                   'WHERE author_id = 1)')
    books = [r[0] for r in db.execute_sql(
        'SELECT id FROM book WHERE author_id <> 1 ORDER BY id').fetchall()]
    reviews = [r[0] for r in db.execute_sql(
        'SELECT review.id FROM review JOIN book ON book.id = review.book_id '
        'WHERE book.author_id <> 1 ORDER BY review.id').fetchall()]
    assert books and reviews
    db.execute_sql('DELETE FROM author WHERE id = 1')
    assert [r[0] for r in rows(db, 'book', 'id')] == books
    assert [r[0] for r in rows(db, 'review', 'id')] == reviews


@pytest.fixture
def migrator(mdb):
    return SchemaMigrator.from_database(mdb)


# ---------------------------------------------------------------------------------------
# from_database, operations, migrate()
# ---------------------------------------------------------------------------------------

def test_from_database_picks_the_engine(mdb):
    expected = {'sqlite': SqliteMigrator, 'mysql': MySQLMigrator}.get(kind(mdb),
                                                                      PostgresqlMigrator)
    assert type(SchemaMigrator.from_database(mdb)) is expected
    proxy = DatabaseProxy()
    proxy.initialize(mdb)
    assert type(SchemaMigrator.from_database(proxy)) is expected
    assert SchemaMigrator.from_database(proxy).database is mdb


def test_methods_record_operations(migrator):
    op = migrator.add_column('book', 'isbn', CharField(null=True))
    assert isinstance(op, Operation)
    assert op.method == 'add_column' and op.args[0] == 'book'
    assert 'add_column' in repr(op)
    with pytest.raises(TypeError, match='operations'):
        migrate('ALTER TABLE book ADD COLUMN x INTEGER')


def test_make_index_name_is_exported():
    assert make_index_name('book', ['author_id', 'title']) == 'book_author_id_title'
    assert len(make_index_name('t' * 80, ['c'])) <= 64


# ---------------------------------------------------------------------------------------
# add_column
# ---------------------------------------------------------------------------------------

def test_add_nullable_column(mdb, migrator):
    migrate(migrator.add_column('book', 'isbn', CharField(max_length=20, null=True)))
    assert rows(mdb, 'book') == [b + (None,) for b in BOOKS]
    assert columns(mdb, 'book')['isbn'].null is True
    assert_intact(mdb, skip=('book', 'review'), changed=('book.isbn',))
    assert fks(mdb, 'book') == {('author_id', 'author', 'id')}
    assert rows(mdb, 'review') == REVIEWS
    assert_cascade_works(mdb)


def test_add_not_null_column_fills_existing_rows(mdb, migrator):
    migrate(migrator.add_column('book', 'copies', IntegerField(default=7)),
            migrator.add_column('author', 'country', CharField(default='NZ')))
    assert rows(mdb, 'book', 'id, copies') == [(b[0], 7) for b in BOOKS]
    assert rows(mdb, 'author', 'country') == [('NZ',)] * 3
    cols = columns(mdb, 'book')
    assert cols['copies'].null is False
    # the model default filled the rows; no server default is left behind
    assert cols['copies'].default is None
    with pytest.raises(IntegrityError):
        with mdb.atomic():
            insert(mdb, 'book', author_id=1, title='t', price=1)   # copies missing
    insert(mdb, 'book', author_id=1, title='t', price=1, copies=2)
    assert rows(mdb, 'review') == REVIEWS and rows(mdb, 'shelf') == SHELVES
    assert fks(mdb, 'review') == {('book_id', 'book', 'id')}
    assert fks(mdb, 'book') == {('author_id', 'author', 'id')}
    assert set(indexes(mdb, 'book')) == {'book_author_id', 'book_title'}
    assert_fk_enforced(mdb, 'review', book_id=999, stars=1)
    assert_columns_unchanged(mdb, changed=('book.copies', 'author.country'))
    assert_cascade_works(mdb)


def test_add_not_null_column_with_callable_default(mdb, migrator):
    migrate(migrator.add_column('review', 'weight', IntegerField(default=lambda: 3)))
    assert rows(mdb, 'review', 'weight') == [(3,)] * 5
    assert columns(mdb, 'review')['weight'].null is False
    assert_intact(mdb, skip=('review',), changed=('review.weight',))
    assert rows(mdb, 'review', 'id, book_id, stars') == REVIEWS
    assert_fk_enforced(mdb, 'review', book_id=999, stars=1, weight=1)


def test_add_not_null_column_without_default_is_refused(mdb, migrator):
    with pytest.raises(ValueError, match='default'):
        migrate(migrator.add_column('book', 'isbn', CharField()))
    assert_intact(mdb)


def test_add_foreign_key_column(mdb, migrator):
    migrate(migrator.add_column('book', 'editor_id',
                                ForeignKeyField(orm_author_model(mdb), null=True,
                                                on_delete='SET NULL')))
    assert fks(mdb, 'book') == {('author_id', 'author', 'id'), ('editor_id', 'author', 'id')}
    assert indexes(mdb, 'book')['book_editor_id'] == (('editor_id',), False)
    assert rows(mdb, 'book') == [b + (None,) for b in BOOKS]
    assert_intact(mdb, skip=('book',), changed=('book.editor_id',))
    mdb.execute_sql('UPDATE book SET editor_id = 3 WHERE id = 1')
    with pytest.raises(IntegrityError):
        with mdb.atomic():
            mdb.execute_sql('UPDATE book SET editor_id = 99 WHERE id = 2')
    mdb.execute_sql('DELETE FROM shelf')
    mdb.execute_sql('DELETE FROM author WHERE id = 3')      # deletes book 4, nulls editor
    assert rows(mdb, 'book', 'id, editor_id') == [(1, None), (2, None), (3, None)]


def test_add_not_null_foreign_key_column_fills_rows(mdb, migrator):
    skip_on_mysql(mdb, 'MySQL commits each DDL statement: a failed batch is not undone')
    Author = orm_author_model(mdb)
    with pytest.raises(IntegrityError):          # the default points at no author
        migrate(migrator.add_column('book', 'editor_id', ForeignKeyField(Author, default=99)))
    assert 'editor_id' not in columns(mdb, 'book')
    migrate(migrator.add_column('book', 'editor_id', ForeignKeyField(Author, default=2)))
    assert rows(mdb, 'book') == [b + (2,) for b in BOOKS]
    assert columns(mdb, 'book')['editor_id'].null is False
    assert fks(mdb, 'book') == {('author_id', 'author', 'id'), ('editor_id', 'author', 'id')}
    assert indexes(mdb, 'book')['book_editor_id'] == (('editor_id',), False)
    assert_intact(mdb, skip=('book',), changed=('book.editor_id',))
    assert_fk_enforced(mdb, 'book', author_id=1, title='x', price=1, editor_id=42)


def orm_author_model(db):
    class Author(Model):
        name = CharField()

        class Meta:
            database = db
            table_name = 'author'
    return Author


def test_add_unique_column_creates_unique_index(mdb, migrator):
    migrate(migrator.add_column('author', 'slug', CharField(null=True, unique=True)))
    assert indexes(mdb, 'author')['author_slug'] == (('slug',), True)
    assert_intact(mdb, skip=('author',), changed=('author.slug',))
    assert rows(mdb, 'author') == [a + (None,) for a in AUTHORS]
    mdb.execute_sql("UPDATE author SET slug = 'a' WHERE id = 1")
    with pytest.raises(IntegrityError):
        with mdb.atomic():
            mdb.execute_sql("UPDATE author SET slug = 'a' WHERE id = 2")


# ---------------------------------------------------------------------------------------
# drop_column, rename_column
# ---------------------------------------------------------------------------------------

def test_drop_column(mdb, migrator):
    migrate(migrator.drop_column('book', 'note'))
    assert rows(mdb, 'book') == [b[:4] for b in BOOKS]
    assert 'note' not in columns(mdb, 'book')
    assert fks(mdb, 'book') == {('author_id', 'author', 'id')}
    assert set(indexes(mdb, 'book')) == {'book_author_id', 'book_title'}
    assert_intact(mdb, skip=('book',), changed=('book.note',))
    assert_fk_enforced(mdb, 'shelf', book_id=999)
    assert_cascade_works(mdb)


def test_drop_indexed_column_drops_its_index(mdb, migrator):
    migrate(migrator.drop_column('book', 'title'))
    assert rows(mdb, 'book') == [(b[0], b[1], b[3], b[4]) for b in BOOKS]
    assert set(indexes(mdb, 'book')) == {'book_author_id'}
    assert_intact(mdb, skip=('book',), changed=('book.title',))


def test_drop_foreign_key_column(mdb, migrator):
    migrate(migrator.drop_column('shelf', 'book_id'))
    assert rows(mdb, 'shelf') == [(1,), (2,)]
    assert fks(mdb, 'shelf') == set()
    assert_columns_unchanged(mdb, changed=('shelf.book_id',))
    assert rows(mdb, 'book') == BOOKS and rows(mdb, 'review') == REVIEWS
    mdb.execute_sql('DELETE FROM review')
    mdb.execute_sql('DELETE FROM book')        # nothing refers to books from shelf now
    assert rows(mdb, 'book') == []


def test_rename_column(mdb, migrator):
    migrate(migrator.rename_column('book', 'title', 'name'),
            migrator.rename_column('book', 'author_id', 'writer_id'),
            migrator.rename_column('author', 'id', 'author_pk'))
    cols = columns(mdb, 'book')
    assert 'name' in cols and 'title' not in cols and 'writer_id' in cols
    assert rows(mdb, 'book') == BOOKS
    assert fks(mdb, 'book') == {('writer_id', 'author', 'author_pk')}
    assert indexes(mdb, 'book') == {'book_author_id': (('writer_id',), False),
                                    'book_title': (('name',), False)}
    assert rows_of(mdb, 'SELECT * FROM author ORDER BY author_pk') == AUTHORS
    assert_intact(mdb, skip=('author', 'book'), changed=(
        'book.title', 'book.name', 'book.author_id', 'book.writer_id', 'author.id',
        'author.author_pk'))
    assert column_meta(mdb, 'book')['name'] == mdb._migrate_baseline['book']['title']
    assert column_meta(mdb, 'book')['writer_id'] == \
        mdb._migrate_baseline['book']['author_id']
    assert_fk_enforced(mdb, 'book', writer_id=99, name='x', price=1)
    mdb.execute_sql('DELETE FROM shelf')
    mdb.execute_sql('DELETE FROM author WHERE author_pk = 1')
    assert [r[0] for r in rows(mdb, 'book', 'id')] == [3, 4]


# ---------------------------------------------------------------------------------------
# NOT NULL and defaults
# ---------------------------------------------------------------------------------------

def test_add_and_drop_not_null(mdb, migrator):
    mdb.execute_sql("UPDATE author SET email = 'none' WHERE email IS NULL")
    migrate(migrator.add_not_null('author', 'email'), migrator.drop_not_null('book', 'title'))
    assert columns(mdb, 'author')['email'].null is False
    assert columns(mdb, 'book')['title'].null is True
    with pytest.raises(IntegrityError):
        with mdb.atomic():
            insert(mdb, 'author', name='dee')
    insert(mdb, 'book', author_id=2, price=1)              # title may be NULL now
    assert rows(mdb, 'author', 'email') == [('ann@x',), ('none',), ('cy@x',)]
    assert rows(mdb, 'book')[:4] == BOOKS
    assert fks(mdb, 'book') == {('author_id', 'author', 'id')}
    assert set(indexes(mdb, 'book')) == {'book_author_id', 'book_title'}
    assert rows(mdb, 'review') == REVIEWS and rows(mdb, 'shelf') == SHELVES
    assert_columns_unchanged(mdb, changed=('author.email', 'book.title'))
    assert_fk_enforced(mdb, 'review', book_id=999, stars=1)
    assert_cascade_works(mdb)


def test_add_not_null_with_null_rows_fails_and_rolls_back(mdb, migrator):
    skip_on_mysql(mdb, 'MySQL commits each DDL statement: a failed batch is not undone')
    with pytest.raises(IntegrityError):
        migrate(migrator.drop_not_null('book', 'title'),
                migrator.add_not_null('author', 'email'))     # bob's email is NULL
    assert columns(mdb, 'book')['title'].null is False         # the first change undone
    assert columns(mdb, 'author')['email'].null is True
    assert_intact(mdb)


def test_add_and_drop_column_default(mdb, migrator):
    migrate(migrator.add_column_default('book', 'price', 42),
            migrator.add_column_default('author', 'name', "o'neil"))
    cols = columns(mdb, 'book')
    assert cols['price'].default is not None and '42' in cols['price'].default
    insert(mdb, 'book', author_id=1, title='new')
    insert(mdb, 'author', email='z@x')
    assert rows(mdb, 'book')[-1][3] == 42
    assert rows(mdb, 'author')[-1][1] == "o'neil"
    assert rows(mdb, 'book')[:4] == BOOKS and rows(mdb, 'author')[:3] == AUTHORS
    assert fks(mdb, 'book') == {('author_id', 'author', 'id')}
    assert set(indexes(mdb, 'book')) == {'book_author_id', 'book_title'}
    assert cols['price'].null is False
    assert_columns_unchanged(mdb, changed=('book.price', 'author.name'))
    assert rows(mdb, 'review') == REVIEWS and rows(mdb, 'shelf') == SHELVES

    migrate(migrator.drop_column_default('book', 'price'))
    assert columns(mdb, 'book')['price'].default is None
    with pytest.raises(IntegrityError):
        with mdb.atomic():
            insert(mdb, 'book', author_id=1, title='newer')    # NOT NULL, no default
    assert_fk_enforced(mdb, 'review', book_id=999, stars=1)
    assert_columns_unchanged(mdb, changed=('author.name',))


def test_column_default_from_sql(mdb, migrator):
    migrate(migrator.add_column('review', 'created', CharField(null=True)),
            migrator.add_column_default('review', 'created', SQL('CURRENT_TIMESTAMP')))
    insert(mdb, 'review', book_id=1, stars=5)
    created = rows(mdb, 'review', 'created')
    assert created[:5] == [(None,)] * 5 and created[5][0]


# ---------------------------------------------------------------------------------------
# Types, tables, indexes
# ---------------------------------------------------------------------------------------

def test_alter_column_type(mdb, migrator):
    migrate(migrator.alter_column_type('author', 'age', BigIntegerField()),
            migrator.alter_column_type('book', 'title', TextField()))
    types = {c.name: c.data_type.lower() for c in mdb.get_columns('book')}
    assert types['title'] == 'text'
    age_type = columns(mdb, 'author')['age'].data_type.lower()
    # SQLite declares every integer INTEGER (its integers are all 64-bit)
    assert age_type == ('integer' if engine_name(mdb) == 'sqlite' else 'bigint')
    assert columns(mdb, 'book')['title'].null is False           # nullability kept
    assert columns(mdb, 'author')['age'].null is True
    assert_intact(mdb, changed=('author.age', 'book.title'))
    assert_cascade_works(mdb)


def test_alter_column_type_with_cast(mdb, migrator):
    skip_on_mysql(mdb, 'MySQL converts values itself: cast= is refused '
                  '(test_mysql_migrator_refusals)')
    migrate(migrator.add_column('book', 'code', CharField(null=True)))
    mdb.execute_sql("UPDATE book SET code = '0' || CAST(id AS TEXT)" if kind(mdb) == 'sqlite'
                    else "UPDATE book SET code = '0' || id::text")
    migrate(migrator.alter_column_type('book', 'code', IntegerField(null=True),
                                       cast='INTEGER'))
    assert rows(mdb, 'book', 'code') == [(1,), (2,), (3,), (4,)]
    assert columns(mdb, 'book')['code'].data_type.lower() == 'integer'
    assert_intact(mdb, skip=('book',), changed=('book.code',))
    assert rows(mdb, 'book', 'id, author_id, title, price, note') == BOOKS


def test_rename_table(mdb, migrator):
    migrate(migrator.rename_table('author', 'writer'))
    tables = mdb.get_tables()
    assert 'writer' in tables and 'author' not in tables
    assert rows(mdb, 'writer') == AUTHORS
    assert fks(mdb, 'book') == {('author_id', 'writer', 'id')}
    assert_intact(mdb, skip=('author', 'book'), gone=('author',))
    assert rows(mdb, 'book') == BOOKS
    assert {k: v[:2] for k, v in column_meta(mdb, 'writer').items()} == {
        k: v[:2] for k, v in mdb._migrate_baseline['author'].items()}
    insert(mdb, 'writer', name='dee')                 # the key sequence still works
    assert_fk_enforced(mdb, 'book', author_id=999, title='x', price=1)
    mdb.execute_sql('DELETE FROM shelf')
    mdb.execute_sql('DELETE FROM writer WHERE id = 1')
    assert [r[0] for r in rows(mdb, 'book', 'id')] == [3, 4]
    # the old name is free again
    mdb.execute_sql(SCHEMA[kind(mdb) if kind(mdb) == 'sqlite' else 'postgres'][0])


def test_add_and_drop_index(mdb, migrator):
    migrate(migrator.add_index('review', ('book_id', 'stars'), unique=True),
            migrator.add_index('author', ('email',)),
            migrator.drop_index('book', 'book_title'))
    assert indexes(mdb, 'review')['review_book_id_stars'] == (('book_id', 'stars'), True)
    assert indexes(mdb, 'author') == {'author_email': (('email',), False)}
    assert set(indexes(mdb, 'book')) == {'book_author_id'}
    with pytest.raises(IntegrityError):
        with mdb.atomic():
            insert(mdb, 'review', book_id=1, stars=5)
    assert rows(mdb, 'review') == REVIEWS and rows(mdb, 'book') == BOOKS
    assert_intact(mdb, skip=('author', 'book', 'review'))
    assert fks(mdb, 'review') == {('book_id', 'book', 'id')}
    assert_fk_enforced(mdb, 'review', book_id=999, stars=1)


# ---------------------------------------------------------------------------------------
# Constraints and foreign keys
# ---------------------------------------------------------------------------------------

def test_add_and_drop_check_constraint(mdb, migrator):
    migrate(migrator.add_constraint('book', 'price_positive', Check('price >= 0')))
    with pytest.raises(IntegrityError):
        with mdb.atomic():
            insert(mdb, 'book', author_id=1, title='x', price=-1)
    assert rows(mdb, 'book') == BOOKS
    assert fks(mdb, 'book') == {('author_id', 'author', 'id')}
    assert set(indexes(mdb, 'book')) == {'book_author_id', 'book_title'}
    assert_intact(mdb)
    migrate(migrator.drop_constraint('book', 'price_positive'))
    insert(mdb, 'book', author_id=1, title='x', price=-1)
    assert_fk_enforced(mdb, 'review', book_id=999, stars=1)


def test_constraint_broken_by_existing_rows_rolls_back(mdb, migrator):
    skip_on_mysql(mdb, 'MySQL commits each DDL statement: a failed batch is not undone')
    with pytest.raises(IntegrityError):
        migrate(migrator.add_column('book', 'isbn', CharField(null=True)),
                migrator.add_constraint('book', 'cheap', Check('price < 15')))
    assert 'isbn' not in columns(mdb, 'book')
    assert_intact(mdb)


def test_add_unique(mdb, migrator):
    migrate(migrator.add_unique('author', 'name'))
    with pytest.raises(IntegrityError):
        with mdb.atomic():
            insert(mdb, 'author', name='ann')
    uniques = [cols for cols, unique in indexes(mdb, 'author').values() if unique]
    assert ('name',) in uniques
    assert_intact(mdb)
    assert_cascade_works(mdb)


def test_add_foreign_key_constraint(mdb, migrator):
    mdb.execute_sql('CREATE TABLE loan (id INTEGER PRIMARY KEY, book_ref INTEGER)')
    mdb.execute_sql('INSERT INTO loan VALUES (1, 2), (2, 4), (3, NULL)')
    migrate(migrator.add_foreign_key_constraint('loan', 'book_ref', 'book', 'id',
                                                on_delete='CASCADE'))
    assert fks(mdb, 'loan') == {('book_ref', 'book', 'id')}
    assert_fk_enforced(mdb, 'loan', id=9, book_ref=999)
    mdb.execute_sql('DELETE FROM review WHERE book_id = 2')
    mdb.execute_sql('DELETE FROM shelf')
    mdb.execute_sql('DELETE FROM book WHERE id = 2')
    assert rows(mdb, 'loan') == [(2, 4), (3, None)]
    assert_columns_unchanged(mdb)
    assert rows(mdb, 'review') == [r for r in REVIEWS if r[1] != 2]

    migrate(migrator.drop_foreign_key_constraint('loan', 'book_ref'))
    assert fks(mdb, 'loan') == set()
    insert(mdb, 'loan', id=9, book_ref=999)


def test_foreign_key_over_orphans_fails_and_rolls_back(mdb, migrator):
    mdb.execute_sql('CREATE TABLE loan (id INTEGER PRIMARY KEY, book_ref INTEGER)')
    mdb.execute_sql('INSERT INTO loan VALUES (1, 2), (2, 77)')
    with pytest.raises(IntegrityError) as info:
        migrate(migrator.add_foreign_key_constraint('loan', 'book_ref', 'book', 'id'))
    if kind(mdb) == 'sqlite':
        assert 'foreign key check failed' in str(info.value)
        assert 'loan' in str(info.value)
    assert fks(mdb, 'loan') == set()
    assert rows(mdb, 'loan') == [(1, 2), (2, 77)]
    assert_intact(mdb)


def test_drop_foreign_key_of_referencing_table(mdb, migrator):
    migrate(migrator.drop_foreign_key_constraint('book', 'author_id'))
    assert fks(mdb, 'book') == set()
    assert rows(mdb, 'book') == BOOKS
    insert(mdb, 'book', author_id=99, title='orphan', price=1)
    assert set(indexes(mdb, 'book')) == {'book_author_id', 'book_title'}
    assert fks(mdb, 'review') == {('book_id', 'book', 'id')}
    assert_intact(mdb, skip=('book',))
    assert_fk_enforced(mdb, 'review', book_id=999, stars=1)


# ---------------------------------------------------------------------------------------
# Transactions
# ---------------------------------------------------------------------------------------

def test_a_failing_batch_changes_nothing(mdb, migrator):
    skip_on_mysql(mdb, 'MySQL commits each DDL statement: a failed batch is not undone')
    with pytest.raises(orm.DatabaseError):
        migrate(migrator.add_column('book', 'isbn', CharField(null=True)),
                migrator.rename_column('author', 'name', 'full_name'),
                migrator.drop_column('book', 'note'),
                migrator.rename_column('book', 'no_such_column', 'x'))
    assert set(columns(mdb, 'author')) == {'id', 'name', 'email', 'age'}
    assert 'isbn' not in columns(mdb, 'book') and 'note' in columns(mdb, 'book')
    assert_intact(mdb)


def test_operation_run_alone(mdb, migrator):
    migrator.add_column('author', 'bio', TextField(null=True)).run()
    assert 'bio' in columns(mdb, 'author')
    assert_intact(mdb, skip=('author',), changed=('author.bio',))


@pytest.mark.engines('sqlite')
def test_sqlite_index_on_a_missing_column_is_refused(mdb, migrator):
    # SQLite would read the quoted name as a string and index a constant
    with pytest.raises(ValueError, match='no_such_column'):
        migrate(migrator.add_index('book', ('no_such_column',)))
    assert set(indexes(mdb, 'book')) == {'book_author_id', 'book_title'}


def test_custom_operation(mdb, migrator):
    class Custom(type(migrator)):
        @operation
        def touch(self, table):
            return SQL('UPDATE %s SET price = price + 1' % table)
    custom = Custom(mdb)
    migrate(custom.touch('book'), custom.add_index('book', ('price',)))
    assert rows(mdb, 'book', 'price') == [(11,), (21,), (1,), (6,)]


def test_custom_operation_returning_a_context(mdb, migrator):
    """A method may hand back ``self.make_context().sql(node)``, as libraries written
    for peewee's migrator do (peewee_migrate): the statement it holds runs."""
    class Custom(type(migrator)):
        @operation
        def index_note(self, table):
            return self.make_context().sql(orm.Index('%s_note' % table, table, ['note']))
    migrate(Custom(mdb).index_note('book'))
    assert 'book_note' in indexes(mdb, 'book')


# ---------------------------------------------------------------------------------------
# SQLite specifics of the table rebuild
# ---------------------------------------------------------------------------------------

pytestmark_sqlite = pytest.mark.engines('sqlite')


@pytestmark_sqlite
def test_rebuild_keeps_triggers_views_and_autoincrement(mdb, migrator):
    mdb.execute_sql('CREATE TABLE log (id INTEGER PRIMARY KEY AUTOINCREMENT, msg TEXT)')
    mdb.execute_sql("INSERT INTO log (msg) VALUES ('a'), ('b'), ('c')")
    mdb.execute_sql('DELETE FROM log WHERE id = 3')
    mdb.execute_sql("CREATE TRIGGER book_log AFTER INSERT ON book BEGIN "
                    "INSERT INTO log (msg) VALUES ('book ' || new.title); END")
    mdb.execute_sql('CREATE VIEW cheap AS SELECT b.title, a.name FROM book b '
                    'JOIN author a ON a.id = b.author_id WHERE b.price < 15')
    legacy = mdb.execute_sql('PRAGMA legacy_alter_table').fetchone()[0]
    migrate(migrator.drop_not_null('book', 'note'), migrator.add_not_null('log', 'msg'),
            migrator.add_column_default('author', 'age', 18))
    insert(mdb, 'book', author_id=1, title='zeta', price=1)
    assert rows(mdb, 'log') == [(1, 'a'), (2, 'b'), (4, 'book zeta')]   # sequence kept
    assert sorted(rows_of(mdb, 'SELECT title, name FROM cheap')) == [
        ('alpha', 'ann'), ('delta', 'cy'), ('gamma', 'bob'), ('zeta', 'ann')]
    assert mdb.execute_sql('PRAGMA legacy_alter_table').fetchone()[0] == legacy
    assert_intact(mdb, skip=('book',), changed=('book.note', 'author.age'))


def rows_of(db, sql):
    return [tuple(r) for r in db.execute_sql(sql).fetchall()]


@pytestmark_sqlite
def test_rebuild_of_self_referencing_table(mdb, migrator):
    mdb.execute_sql('CREATE TABLE category (id INTEGER PRIMARY KEY, name TEXT, '
                    'parent_id INTEGER REFERENCES category (id) ON DELETE CASCADE)')
    mdb.execute_sql("INSERT INTO category VALUES (1, 'root', NULL), (2, 'kid', 1), "
                    "(3, 'grandkid', 2)")
    migrate(migrator.add_not_null('category', 'name'), migrator.drop_column('book', 'note'))
    assert fks(mdb, 'category') == {('parent_id', 'category', 'id')}
    assert_fk_enforced(mdb, 'category', name='x', parent_id=99)
    mdb.execute_sql('DELETE FROM category WHERE id = 1')
    assert rows(mdb, 'category') == []
    assert_intact(mdb, skip=('book',), changed=('book.note',))


@pytestmark_sqlite
def test_rebuild_inside_an_open_transaction(mdb, migrator):
    # a referenced table cannot be rebuilt while foreign keys are on in a transaction
    with pytest.raises(NotSupportedError, match='foreign keys'):
        with mdb.atomic():
            migrate(migrator.drop_not_null('book', 'title'))
    assert columns(mdb, 'book')['title'].null is False
    # a table nothing refers to can
    with mdb.atomic():
        migrate(migrator.add_not_null('shelf', 'book_id'))
    assert columns(mdb, 'shelf')['book_id'].null is False
    # with foreign keys off the application runs the show
    mdb.execute_sql('PRAGMA foreign_keys = OFF')
    with mdb.atomic():
        migrate(migrator.drop_not_null('book', 'title'))
    mdb.execute_sql('PRAGMA foreign_keys = ON')
    assert columns(mdb, 'book')['title'].null is True
    assert_intact(mdb, skip=('book',), changed=('book.title', 'shelf.book_id'))
    assert rows(mdb, 'book') == BOOKS
    assert fks(mdb, 'review') == {('book_id', 'book', 'id')}


@pytestmark_sqlite
def test_migration_context_checks_foreign_keys(mdb, migrator):
    with pytest.raises(IntegrityError, match='foreign key check failed'):
        with migrator.migration_context():
            mdb.execute_sql('INSERT INTO review (book_id, stars) VALUES (999, 1)')
    assert rows(mdb, 'review') == REVIEWS
    assert mdb.pragma('foreign_keys') == 1


@pytestmark_sqlite
def test_drop_column_without_cascade_refuses_dependents(mdb, migrator):
    with pytest.raises(ValueError, match='book_title'):
        migrate(migrator.drop_column('book', 'title', cascade=False))
    migrate(migrator.drop_column('book', 'note', cascade=False))
    assert 'note' not in columns(mdb, 'book')
    assert_intact(mdb, skip=('book',), changed=('book.note',))


@pytestmark_sqlite
def test_rebuild_keeps_unusual_definitions(mdb, migrator):
    mdb.execute_sql(
        'CREATE TABLE "odd table" ("the id" INTEGER PRIMARY KEY, '
        '"a,b" TEXT DEFAULT \'x, (y)\' NOT NULL CHECK ("a,b" <> \'\'), '
        'code VARCHAR(10) COLLATE NOCASE UNIQUE, '
        '-- a comment, with a comma\n'
        'amount DECIMAL(10, 2) DEFAULT -1.5, '
        'CONSTRAINT amount_ok CHECK (amount < 1000))')
    mdb.execute_sql('INSERT INTO "odd table" ("the id", code) VALUES (1, \'Q\')')
    migrate(migrator.drop_column_default('odd table', 'amount'),
            migrator.add_not_null('odd table', 'code'))
    cols = columns(mdb, 'odd table')
    assert cols['amount'].default is None
    assert cols['a,b'].default == "'x, (y)'"
    assert cols['code'].null is False
    assert rows_of(mdb, 'SELECT * FROM "odd table"') == [(1, 'x, (y)', 'Q', -1.5)]
    with pytest.raises(IntegrityError):        # UNIQUE ... COLLATE NOCASE kept
        insert_q(mdb, '"odd table"', code='q')
    with pytest.raises(IntegrityError):        # the named CHECK kept
        insert_q(mdb, '"odd table"', code='z', amount=5000)
    migrate(migrator.drop_constraint('odd table', 'amount_ok'))
    insert_q(mdb, '"odd table"', code='z', amount=5000)


def insert_q(db, table, **values):
    with db.atomic():
        db.execute_sql('INSERT INTO %s (%s) VALUES (%s)' % (
            table, ', '.join(values), ', '.join('?' * len(values))), list(values.values()))


# ---------------------------------------------------------------------------------------
# CockroachDB migrator (on the PostgreSQL server) and the MySQL helpers
# ---------------------------------------------------------------------------------------

@pytest.mark.engines('postgres')
def test_cockroach_migrator_on_postgres(mdb):
    from conftest import pg_connect_kwargs
    from playhouse.cockroachdb import CockroachDatabase
    params = pg_connect_kwargs()
    params.setdefault('port', 5432)
    name = params.pop('database')
    crdb = CockroachDatabase(name, **params)
    try:
        migrator = SchemaMigrator.from_database(crdb)
        assert type(migrator) is CockroachDBMigrator
        migrate(migrator.add_column('book', 'copies', IntegerField(default=1)),
                migrator.add_index('book', ('copies',)),
                migrator.drop_index('book', 'book_copies'))
        assert rows(crdb, 'book', 'copies') == [(1,)] * 4
        assert columns(crdb, 'book')['copies'].null is False
        # a foreign-key column gets a separate ADD CONSTRAINT; statements commit one by
        # one (no transaction around the batch)
        migrate(migrator.add_column('book', 'editor_id',
                                    ForeignKeyField(orm_author_model(crdb), null=True)),
                migrator.rename_table('shelf', 'rack'))
        assert fks(crdb, 'book') == {('author_id', 'author', 'id'),
                                     ('editor_id', 'author', 'id')}
        assert_fk_enforced(crdb, 'book', author_id=1, title='x', price=1, editor_id=99)
        assert rows(crdb, 'rack') == SHELVES
        with pytest.raises(orm.DatabaseError):
            migrate(migrator.add_column('author', 'bio', TextField(null=True)),
                    migrator.add_not_null('author', 'email'))
        assert 'bio' in columns(crdb, 'author')      # kept: CockroachDB form is not atomic
        migrate(migrator.drop_foreign_key_constraint('book', 'editor_id'))
        assert fks(crdb, 'book') == {('author_id', 'author', 'id')}
    finally:
        crdb.close()


def test_mysql_column_sql():
    column = MySQLColumn('name', 'varchar(50)', True, False, None, '')
    assert column.sql() == '`name` varchar(50)'
    assert column.sql(column_name='title', is_null=False) == '`title` varchar(50) NOT NULL'


@pytestmark_sqlite
def test_renames_follow_references_even_in_legacy_mode(mdb, migrator):
    mdb.execute_sql('PRAGMA legacy_alter_table = ON')
    migrate(migrator.rename_table('book', 'volume'),
            migrator.rename_column('volume', 'id', 'volume_id'))
    assert mdb.execute_sql('PRAGMA legacy_alter_table').fetchone()[0] == 1
    mdb.execute_sql('PRAGMA legacy_alter_table = OFF')
    assert fks(mdb, 'review') == {('book_id', 'volume', 'volume_id')}
    assert fks(mdb, 'shelf') == {('book_id', 'volume', 'volume_id')}
    assert rows_of(mdb, 'SELECT * FROM volume ORDER BY volume_id') == BOOKS
    assert_fk_enforced(mdb, 'review', book_id=999, stars=1)


# ---------------------------------------------------------------------------------------
# Referenced tables: a change that would leave dangling foreign keys is refused
# ---------------------------------------------------------------------------------------

def test_change_leaving_dangling_references_is_refused_and_rolled_back(mdb, migrator):
    skip_on_mysql(mdb, 'MySQL commits each DDL statement: a failed batch is not undone')
    # renumbering book.id would leave review and shelf rows pointing at nothing
    with pytest.raises(orm.DatabaseError) as info:
        migrate(migrator.add_column('book', 'isbn', CharField(null=True)),
                migrator.alter_column_type('book', 'id', IntegerField(), cast='id + 100'),
                migrator.add_column('author', 'bio', TextField(null=True)))
    if kind(mdb) == 'sqlite':
        assert isinstance(info.value, IntegrityError)
        message = str(info.value)
        assert 'foreign key check failed' in message and 'rolled back' in message
        assert 'review' in message and 'shelf' in message
    assert 'isbn' not in columns(mdb, 'book') and 'bio' not in columns(mdb, 'author')
    assert_intact(mdb)
    assert_cascade_works(mdb)


def test_failure_in_the_middle_undoes_the_earlier_operations(mdb, migrator):
    skip_on_mysql(mdb, 'MySQL commits each DDL statement: a failed batch is not undone')
    ops = [migrator.add_column('book', 'isbn', CharField(null=True)),
           migrator.add_index('book', ('price',)),
           migrator.drop_not_null('review', 'stars'),
           migrator.add_not_null('author', 'email'),          # fails: bob has no email
           migrator.rename_table('shelf', 'rack'),
           migrator.add_column_default('book', 'price', 1)]
    with pytest.raises(IntegrityError):
        migrate(*ops)
    assert 'isbn' not in columns(mdb, 'book')
    assert 'rack' not in mdb.get_tables() and 'shelf' in mdb.get_tables()
    assert_intact(mdb)                 # indexes, NOT NULL, defaults: all as before
    assert_fk_enforced(mdb, 'review', book_id=999, stars=1)


def test_drop_column_cascade_takes_dependent_views(mdb, migrator):
    skip_on_mysql(mdb, 'a MySQL view does not hold on to its columns')
    mdb.execute_sql('CREATE VIEW noted AS SELECT id, note FROM book WHERE note IS NOT NULL')
    with pytest.raises((ValueError, orm.DatabaseError)):
        migrate(migrator.drop_column('book', 'note', cascade=False))
    assert 'note' in columns(mdb, 'book')
    assert [v.name for v in mdb.get_views()] == ['noted']
    assert rows_of(mdb, 'SELECT * FROM noted ORDER BY id') == [(2, 'n'), (4, 'm')]
    migrate(migrator.drop_column('book', 'note'))
    assert [v.name for v in mdb.get_views()] == []
    assert rows(mdb, 'book') == [b[:4] for b in BOOKS]
    assert_intact(mdb, skip=('book',), changed=('book.note',))
    assert_fk_enforced(mdb, 'review', book_id=999, stars=1)


# ---------------------------------------------------------------------------------------
# peewee 4 additions: migrator.migrate(), sql(), drop_table(), partial indexes, schemas
# ---------------------------------------------------------------------------------------

def test_sql_operation_interleaves_data_fixes(mdb, migrator):
    p = mdb.param
    migrator.migrate(
        migrator.add_column('author', 'score', IntegerField(null=True)),
        migrator.sql('UPDATE author SET score = %s WHERE age IS NOT NULL' % p, (5,)),
        migrator.sql('UPDATE author SET score = 0 WHERE score IS NULL'),
        migrator.add_not_null('author', 'score'))
    assert rows(mdb, 'author', 'score') == [(5,), (0,), (5,)]
    assert columns(mdb, 'author')['score'].null is False
    assert rows(mdb, 'author', 'id, name, email, age') == AUTHORS
    assert_intact(mdb, skip=('author',), changed=('author.score',))


def test_drop_table(mdb, migrator):
    skip_on_mysql(mdb, 'MySQL has no DROP TABLE ... CASCADE')
    mdb.execute_sql('CREATE TABLE scratch (id INTEGER PRIMARY KEY)')
    migrate(migrator.drop_table('scratch'), migrator.drop_table('nothing', safe=True))
    assert 'scratch' not in mdb.get_tables()
    # dropping a referenced table would leave rows pointing at nothing
    if kind(mdb) == 'sqlite':
        with pytest.raises(NotSupportedError):
            migrate(migrator.drop_table('shelf', cascade=True))
        with pytest.raises(NotImplementedError):          # what peewee code catches
            migrate(migrator.drop_table('shelf', cascade=True))
        with pytest.raises(IntegrityError, match='foreign key check failed'):
            migrate(migrator.drop_table('author'))
    else:
        with pytest.raises(orm.DatabaseError):
            migrate(migrator.drop_table('author'))
        migrate(migrator.drop_table('author', cascade=True))     # drops book's FK
        assert fks(mdb, 'book') == set()
        return
    assert_intact(mdb)


def test_partial_index(mdb, migrator):
    skip_on_mysql(mdb, 'MySQL has no partial indexes (test_mysql_migrator_refusals)')
    migrate(migrator.drop_index('book', 'book_title'),
            migrator.add_index('book', ('title',), unique=True,
                               where=SQL('note IS NOT NULL')))
    assert indexes(mdb, 'book')['book_title'] == (('title',), True)
    insert(mdb, 'book', author_id=1, title='alpha', price=1)          # note NULL: allowed
    with pytest.raises(IntegrityError):
        with mdb.atomic():
            insert(mdb, 'book', author_id=1, title='beta', price=1, note='x')
    assert rows(mdb, 'book')[:4] == BOOKS
    # an expression predicate is written with bare column names and literal values
    book = orm.Table('book')
    migrate(migrator.add_index('book', ('price',), unique=True,
                               where=(book.c.price > 5) & (book.c.note == 'n')))
    assert indexes(mdb, 'book')['book_price'] == (('price',), True)
    insert(mdb, 'book', author_id=1, title='x', price=20)              # note NULL: allowed
    with pytest.raises(IntegrityError):
        with mdb.atomic():
            insert(mdb, 'book', author_id=1, title='y', price=20, note='n')
    if kind(mdb) == 'postgres':             # NULLS NOT DISTINCT (PostgreSQL 15+)
        migrate(migrator.add_index('author', ('email',), unique=True,
                                   nulls_distinct=False))
        with pytest.raises(IntegrityError):
            with mdb.atomic():
                insert(mdb, 'author', name='dee')                   # a second NULL email
    else:
        with pytest.raises(NotSupportedError):
            migrate(migrator.add_index('author', ('email',), unique=True,
                                       nulls_distinct=False))
    assert rows(mdb, 'author') == AUTHORS


def test_add_column_allow_not_null_uses_the_server_default(mdb, migrator):
    skip_on_mysql(mdb, 'MySQL fills a new NOT NULL column with its type\'s zero value')
    migrate(migrator.add_column('book', 'copies',
                                IntegerField(constraints=[SQL('DEFAULT 2')]),
                                allow_not_null=True))
    assert rows(mdb, 'book', 'copies') == [(2,)] * 4
    assert columns(mdb, 'book')['copies'].null is False
    with pytest.raises(orm.DatabaseError):      # rows exist and there is no default
        migrate(migrator.add_column('book', 'pages', IntegerField(), allow_not_null=True))
    assert 'pages' not in columns(mdb, 'book')


def test_parenthesised_string_default_is_sql(mdb, migrator):
    expr = "(1 + 2)"
    migrate(migrator.add_column('review', 'weight', IntegerField(null=True)),
            migrator.add_column_default('review', 'weight', expr),
            migrator.add_column_default('author', 'email', 'none'))
    insert(mdb, 'review', book_id=1, stars=1)
    insert(mdb, 'author', name='dee')
    assert rows(mdb, 'review', 'weight')[-1] == (3,)
    assert rows(mdb, 'author', 'email')[-1] == ('none',)


@pytest.mark.engines('sqlite')
def test_migration_context_without_a_transaction(mdb, migrator):
    with migrator.migration_context(atomic=False):
        assert not mdb.in_transaction()
        assert mdb.pragma('foreign_keys') == 0
        migrator.drop_not_null('book', 'title').run()
    assert mdb.pragma('foreign_keys') == 1
    assert columns(mdb, 'book')['title'].null is True
    assert_intact(mdb, skip=('book',), changed=('book.title',))
    assert rows(mdb, 'book') == BOOKS
    with pytest.raises(ValueError, match='schema'):
        SchemaMigrator.from_database(mdb, schema='other')


@pytest.mark.engines('postgres')
def test_postgres_schema_argument(mdb):
    mdb.execute_sql('DROP SCHEMA IF EXISTS app CASCADE')    # left by the other driver's run
    mdb.execute_sql('CREATE SCHEMA app')
    mdb.execute_sql('CREATE TABLE app.author (id SERIAL PRIMARY KEY, name TEXT NOT NULL)')
    mdb.execute_sql('CREATE TABLE app.book (id SERIAL PRIMARY KEY, author_id INTEGER, '
                    'title TEXT)')
    mdb.execute_sql("INSERT INTO app.author (name) VALUES ('ann'), ('bob')")
    mdb.execute_sql("INSERT INTO app.book (author_id, title) VALUES (1, 'x'), (2, 'y')")
    m = SchemaMigrator.from_database(mdb, schema='app')
    migrate(m.add_column('book', 'copies', IntegerField(default=1)),
            m.add_foreign_key_constraint('book', 'author_id', 'author', 'id'),
            m.add_index('book', ('title',)),
            m.rename_column('book', 'title', 'name'),
            m.rename_table('author', 'writer'))
    assert [tuple(r) for r in mdb.execute_sql(
        'SELECT id, author_id, name, copies FROM app.book ORDER BY id')] == [
        (1, 1, 'x', 1), (2, 2, 'y', 1)]
    assert {(f.column, f.dest_table) for f in mdb.get_foreign_keys('book', schema='app')} \
        == {('author_id', 'writer')}
    assert 'book_title' in {i.name for i in mdb.get_indexes('book', schema='app')}
    mdb.execute_sql("INSERT INTO app.writer (name) VALUES ('cy')")     # sequence renamed
    assert mdb.execute_sql("SELECT to_regclass('app.writer_id_seq') IS NOT NULL"
                           ).fetchone()[0]
    migrate(m.drop_foreign_key_constraint('book', 'author_id'), m.drop_index('book',
                                                                             'book_title'))
    assert mdb.get_foreign_keys('book', schema='app') == []
    # the public tables were not touched
    assert_intact(mdb)


@pytest.mark.engines('sqlite')
def test_sqlite_accepts_peewees_legacy_flag(mdb, migrator):
    """peewee 4 code passes ``legacy=`` to choose the table rebuild; orm's SQLite
    migrator accepts it on the four methods that take it."""
    migrate(migrator.drop_not_null('author', 'name', legacy=True),
            migrator.rename_column('author', 'email', 'mail', legacy=False))
    assert {c.name: c.null for c in mdb.get_columns('author')}['name'] is True
    mdb.execute_sql("UPDATE author SET name = 'x' WHERE name IS NULL")
    migrate(migrator.add_not_null('author', 'name', legacy=False),
            migrator.drop_column('author', 'age', legacy=True))
    assert {c.name: c.null for c in mdb.get_columns('author')}['name'] is False
    assert [c.name for c in mdb.get_columns('author')] == ['id', 'name', 'mail']


# ---------------------------------------------------------------------------------------
# MySQL / MariaDB: columns under foreign keys, text keys, what MySQL cannot do
# ---------------------------------------------------------------------------------------

def fk_actions(db, table: str) -> set:
    return {(fk.column, fk.dest_table, fk.on_delete) for fk in db.get_foreign_keys(table)}


@pytest.mark.engines('mysql')
def test_mysql_columns_under_foreign_keys_keep_them(mdb, migrator):
    # review.book_id: renamed, made nullable and NOT NULL again; the constraint (and
    # its ON DELETE CASCADE) survives each change
    migrate(migrator.rename_column('review', 'book_id', 'work_id'))
    assert fk_actions(mdb, 'review') == {('work_id', 'book', 'CASCADE')}
    migrate(migrator.drop_not_null('review', 'work_id'), migrator.add_not_null('review',
                                                                                'work_id'))
    assert columns(mdb, 'review')['work_id'].null is False
    assert fk_actions(mdb, 'review') == {('work_id', 'book', 'CASCADE')}
    assert rows(mdb, 'review') == REVIEWS
    assert_fk_enforced(mdb, 'review', work_id=999, stars=1)
    # the referencing side follows a renamed key too
    migrate(migrator.rename_column('book', 'id', 'book_no'))
    assert fks(mdb, 'review') == {('work_id', 'book', 'book_no')}
    assert fks(mdb, 'shelf') == {('book_id', 'book', 'book_no')}
    assert_fk_enforced(mdb, 'shelf', book_id=999)
    mdb.execute_sql('DELETE FROM shelf')
    mdb.execute_sql('DELETE FROM book WHERE book_no = 1')
    assert [r[1] for r in rows(mdb, 'review')] == [2, 4, 3]   # the cascade still runs


@pytest.mark.engines('mysql')
def test_mysql_type_change_under_a_foreign_key(mdb, migrator):
    mdb.execute_sql('CREATE TABLE region (code VARCHAR(8) PRIMARY KEY)')
    mdb.execute_sql('CREATE TABLE store (id INTEGER PRIMARY KEY, code VARCHAR(8) NOT NULL '
                    "DEFAULT 'nz' COMMENT 'where', CONSTRAINT store_region FOREIGN KEY "
                    '(code) REFERENCES region (code) ON DELETE CASCADE)')
    mdb.execute_sql("INSERT INTO region VALUES ('nz'), ('au')")
    mdb.execute_sql("INSERT INTO store VALUES (1, 'nz'), (2, 'au'), (3, 'nz')")
    # MySQL refuses to change a constrained column: the key is dropped and made again
    migrate(migrator.alter_column_type('store', 'code', CharField(max_length=40)))
    code = columns(mdb, 'store')['code']
    assert (code.full_type, code.null) == ('varchar(40)', False)
    assert code.default == 'nz'          # default and comment kept
    assert mdb.execute_sql("SELECT column_comment FROM information_schema.columns WHERE "
                           "table_schema = DATABASE() AND table_name = 'store' AND "
                           "column_name = 'code'").fetchone() == ('where',)
    assert fk_actions(mdb, 'store') == {('code', 'region', 'CASCADE')}
    assert rows(mdb, 'store') == [(1, 'nz'), (2, 'au'), (3, 'nz')]
    assert_fk_enforced(mdb, 'store', id=4, code='uk')
    # a change the server refuses (the default 'nz' is no integer): the key is kept
    with pytest.raises(orm.DatabaseError):
        migrate(migrator.alter_column_type('store', 'code', IntegerField()))
    assert columns(mdb, 'store')['code'].full_type == 'varchar(40)'
    assert fk_actions(mdb, 'store') == {('code', 'region', 'CASCADE')}
    assert rows(mdb, 'store') == [(1, 'nz'), (2, 'au'), (3, 'nz')]
    assert_fk_enforced(mdb, 'store', id=4, code='uk')
    mdb.execute_sql("DELETE FROM region WHERE code = 'nz'")
    assert rows(mdb, 'store') == [(2, 'au')]


@pytest.mark.engines('mysql')
def test_mysql_failed_type_change_keeps_the_foreign_key(mdb, migrator):
    # book.author_id cannot become a BIGINT while author.id is an INT
    with pytest.raises(NotSupportedError, match='undone'):
        migrate(migrator.alter_column_type('book', 'author_id', BigIntegerField()))
    assert fk_actions(mdb, 'book') == {('author_id', 'author', 'CASCADE')}
    assert_intact(mdb)
    assert_fk_enforced(mdb, 'book', author_id=99, title='x', price=1)
    assert_cascade_works(mdb)


@pytest.mark.engines('mysql')
def test_mysql_migrator_keys_and_tables(mdb, migrator):
    migrate(migrator.add_index('book', ('note',)), migrator.add_unique('author', 'name'),
            migrator.add_column('book', 'editor_id',
                                ForeignKeyField(orm_author_model(mdb), null=True)))
    index_sql = {i.name: i.sql for i in mdb.get_indexes('book')}
    assert index_sql['book_note'] == 'CREATE INDEX `book_note` ON `book` (`note`(191))'
    assert indexes(mdb, 'author')['author_name_uniq'] == (('name',), True)
    with pytest.raises(IntegrityError):
        insert(mdb, 'author', name='ann')
    assert_fk_enforced(mdb, 'book', author_id=1, title='x', price=1, editor_id=42)
    # a foreign-key column is dropped with its constraint
    migrate(migrator.drop_column('book', 'editor_id'), migrator.drop_index('book', 'book_note'),
            migrator.drop_constraint('author', 'author_name_uniq'),
            migrator.rename_table('shelf', 'rack'))
    assert 'editor_id' not in columns(mdb, 'book') and 'book_note' not in indexes(mdb, 'book')
    assert rows(mdb, 'rack') == SHELVES and 'shelf' not in mdb.get_tables()
    assert fks(mdb, 'rack') == {('book_id', 'book', 'id')}
    migrate(migrator.rename_table('rack', 'shelf'))
    insert(mdb, 'author', name='ann')
    assert_intact(mdb, skip=('author',), changed=('book.editor_id',))


@pytest.mark.engines('mysql')
def test_mysql_migrator_refusals(mdb, migrator):
    with pytest.raises(NotSupportedError, match='reference'):
        migrate(migrator.alter_column_type('book', 'id', BigIntegerField()))
    with pytest.raises(ValueError, match='cast'):
        migrate(migrator.alter_column_type('book', 'price', CharField(), cast='CHAR'))
    with pytest.raises(NotSupportedError, match='partial'):
        migrate(migrator.add_index('book', ('title',), where=SQL('note IS NULL')))
    with pytest.raises(IntegrityError, match='NULL'):
        migrate(migrator.add_not_null('author', 'email'))       # bob's email is NULL
    assert_intact(mdb)
