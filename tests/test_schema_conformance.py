"""DDL and database behaviour that peewee applications rely on (issue 12): index names and
options, DROP TABLE options, feature flags set on a Database subclass, foreign keys added
after the fact, column types on SQLite, and ``with db:`` inside a transaction.
"""
from __future__ import annotations

import pytest

from conftest import engine_name
from orm import (AnyField, AsIs, BigIntegerField, CharField, Context, Database,
                 DeferredForeignKey, ForeignKeyField, IntegerField, IntegrityError, Model,
                 ModelIndex, NotSupportedError, SmallIntegerField, SqliteDatabase, TextField,
                 TimestampField, Value, fn)
from orm.schema import fit_name


def bound(db, model_name='Thing', /, **fields):
    """A model class named ``model_name`` with ``fields``, bound to ``db`` (table names
    in peewee 4's style: ``SnippetComment`` is ``snippet_comment``)."""
    meta = type('Meta', (), {'database': db, 'legacy_table_names': False})
    return type(model_name, (Model,), dict(fields, Meta=meta, __module__=__name__))


# -- index names ------------------------------------------------------------------------------
def test_index_names_come_from_the_fields_indexed():
    db = SqliteDatabase(None)
    Article = bound(db, 'Article', name=TextField(), status=IntegerField(),
                    flags=IntegerField())
    names = [
        Article.index(Article.name, Article.status).name,
        Article.index(Article.status.desc(), Article.name).name,      # ordering: its field
        Article.index(Article.name, Article.flags.bin_and(4)).name,   # expression: nothing
        Article.index(fn.LOWER(Article.name), Article.status).name,
    ]
    assert names == ['article_name_status', 'article_status_name', 'article_name',
                     'article_status']
    # an index of expressions only is named after a digest of them, so two differ
    lower = Article.index(fn.LOWER(Article.name)).name
    upper = Article.index(fn.UPPER(Article.name)).name
    assert lower.startswith('article_expr') and upper.startswith('article_expr')
    assert lower != upper
    assert Article.index(fn.LOWER(Article.name), name='by_lower').name == 'by_lower'


def test_long_generated_names_are_shortened_alike():
    assert fit_name('x' * 64) == 'x' * 64
    long_name = 'fk_%s_refs_%s' % ('a' * 40, 'b' * 40)
    short = fit_name(long_name)
    assert len(short) == 64 and short.startswith(long_name[:56] + '_')
    assert fit_name(long_name + 'c') != short


def test_long_constraint_names_fit_every_engine(db):
    Snippet = bound(db, 'Snippet', code=TextField())
    Comment = bound(db, 'SnippetComment',
                    snippet_long_foreign_key_identifier=ForeignKeyField(Snippet))
    sql, _ = Comment._schema._create_foreign_key(
        Comment.snippet_long_foreign_key_identifier).query()
    name = sql.replace('`', '"').split('"')[3]
    # peewee's shortened name (64 characters), fitted to 63 bytes where PostgreSQL cuts
    assert len(name) == (63 if engine_name(db) == 'postgres' else 64)
    assert name.startswith('fk_snippet_comment_snippet_long_foreign_key_identifier_')


# -- index options ----------------------------------------------------------------------------
def test_nulls_distinct(db):
    Account = bound(db, 'Account', email=CharField(null=True), team=IntegerField())
    not_distinct = Account.index(Account.email, unique=True, nulls_distinct=False)
    distinct = ModelIndex(Account, (Account.team, Account.email), unique=True,
                          nulls_distinct=True)
    assert not_distinct.nulls_distinct(True)._nulls_distinct is True      # a copy
    assert not_distinct._nulls_distinct is False
    context = Context()
    assert context.sql(not_distinct).query()[0].endswith(' ("email") NULLS NOT DISTINCT')
    if engine_name(db) in ('sqlite', 'mysql'):
        # SQLite and MySQL always count NULLs distinct: True writes nothing, False is
        # refused
        sql = db.get_sql_context().sql(distinct).query()[0].replace('`', '"')
        assert sql.endswith('("team", "email")')
        Account.add_index(distinct)
        db.create_tables([Account])
        Account.create(email=None, team=1)
        Account.create(email=None, team=1)
        with pytest.raises(NotSupportedError, match='NULLS NOT DISTINCT'):
            db.execute(not_distinct)
        return
    Account.add_index(not_distinct)
    db.create_tables([Account])
    Account.create(email=None, team=1)
    with pytest.raises(IntegrityError):
        with db.atomic():
            Account.create(email=None, team=2)


def test_drop_table_options(db):
    Note = bound(db, 'Note', body=TextField())
    statements = [Note._schema._drop_table(**options).query()[0].replace('`', '"')
                  for options in ({}, {'cascade': True}, {'restrict': True})]
    if engine_name(db) == 'sqlite':
        # SQLite has neither: both are left out, so portable code runs there too
        assert statements == ['DROP TABLE IF EXISTS "note"'] * 3
    else:
        assert statements == ['DROP TABLE IF EXISTS "note"',
                              'DROP TABLE IF EXISTS "note" CASCADE',
                              'DROP TABLE IF EXISTS "note" RESTRICT']
    db.create_tables([Note])
    Note.drop_table(restrict=True)
    assert 'note' not in db.get_tables()


# -- foreign keys added after the fact ---------------------------------------------------------
def test_foreign_key_statement_is_built_on_every_engine(db):
    Photo = bound(db, 'Photo', album=DeferredForeignKey('Album', column_name='id_album'))
    Album = bound(db, 'Album', name=TextField())
    assert Photo.album.rel_model is Album
    sql, params = Photo._schema._create_foreign_key(Photo.album).query()
    sql = sql.replace('`', '"')             # MySQL quotes names with backticks
    assert (sql, params) == ('ALTER TABLE "photo" ADD CONSTRAINT '
                             '"fk_photo_id_album_refs_album" FOREIGN KEY ("id_album") '
                             'REFERENCES "album" ("id")', [])
    db.create_tables([Photo, Album])
    if engine_name(db) == 'sqlite':
        with pytest.raises(NotSupportedError, match='only in CREATE TABLE'):
            Photo._schema.create_foreign_key(Photo.album)
    else:
        Photo._schema.create_foreign_key(Photo.album)
        assert [fk.column for fk in db.get_foreign_keys('photo')] == ['id_album']


# -- feature flags set on a Database subclass ------------------------------------------------
def test_class_level_flags_reach_the_sql(tmp_path):
    class Truncating(SqliteDatabase):
        truncate_table = True

    class Plain(SqliteDatabase):
        pass

    users = {'name': CharField()}
    for db_class, expected in ((Truncating, 'TRUNCATE TABLE "users"'),
                               (Plain, 'DELETE FROM "users"')):
        db = db_class(':memory:')
        model = bound(db, 'Users', **users)
        model._meta.table_name = 'users'
        assert db.truncate_table is (db_class is Truncating)
        assert model._schema._truncate_table().query()[0] == expected
    assert Plain(':memory:').truncate_table is False       # the dialect's value
    # a flag set on one instance stays with it, and its SQL follows
    one = Truncating(':memory:')
    one.truncate_table = False
    assert one.dialect.truncate_table is False
    assert Truncating(':memory:').truncate_table is True

    class Deeper(Truncating):                    # inherited by subclasses
        sequences = True
    deeper = Deeper(':memory:')
    assert (deeper.dialect.truncate_table, deeper.dialect.sequences) == (True, True)


def test_class_level_index_schema_prefix():
    class NoPrefix(Database):
        index_schema_prefix = False

    class Cached(Model):
        key = TextField(unique=True)

        class Meta:
            database = NoPrefix(None)
            schema = 'cache'

    statement, = Cached._schema._create_indexes(safe=False)
    assert statement.query()[0] == ('CREATE UNIQUE INDEX "cached_key" ON "cache"."cached" '
                                    '("key")')
    with Cached.bind_ctx(SqliteDatabase(None)):
        statement, = Cached._schema._create_indexes(safe=False)
        assert statement.query()[0] == ('CREATE UNIQUE INDEX "cache"."cached_key" ON '
                                        '"cached" ("key")')


# -- column types -------------------------------------------------------------------------------
def test_integer_column_types(db):
    Counter = bound(db, 'Counter', small=SmallIntegerField(), big=BigIntegerField(),
                    at=TimestampField())
    columns = Counter._schema._create_table(safe=False).query()[0].replace('`', '"')
    if engine_name(db) == 'sqlite':
        # SQLite's integers are all 64-bit: every integer field is declared INTEGER
        assert '"small" INTEGER NOT NULL, "big" INTEGER NOT NULL, "at" INTEGER' in columns
    else:
        assert '"small" SMALLINT NOT NULL, "big" BIGINT NOT NULL, "at" BIGINT' in columns
    db.create_tables([Counter])
    Counter.create(small=3, big=2 ** 62, at=0)
    assert Counter.select(Counter.big).scalar() == 2 ** 62


def test_any_field_column():
    class Blob(Model):
        data = AnyField(null=True)

        class Meta:
            database = SqliteDatabase(None)

    # bound to no engine: the declared type; SQLite: no type (values keep theirs)
    assert Context().sql(Blob.data.ddl(Context())).query()[0] == '"data" ANY'
    sqlite_ctx = Blob._meta.database.get_sql_context()
    assert sqlite_ctx.sql(Blob.data.ddl(sqlite_ctx)).query()[0] == '"data"'


# -- conversion of bound values ------------------------------------------------------------------
class ListField(TextField):
    def db_value(self, value):
        return ','.join(value) if value is not None else None

    def python_value(self, value):
        return value.split(',') if value else []


def test_asis_and_unconverted_values(db):
    Todo = bound(db, 'Todo', tags=ListField(), price=IntegerField(default=10))
    db.create_tables([Todo])
    todo = Todo.create(tags=['a', 'b'])
    # AsIs keeps a list whole, and the field still converts it
    assert Todo.get(Todo.tags == AsIs(['a', 'b'])).id == todo.id
    assert Todo.select().where(Todo.tags == AsIs('a,b', converter=False)).count() == 1
    # the column's converter turns 0.75 into an int; converter=False keeps it
    rounded = Todo.select((Todo.price * 0.75).alias('x'))
    assert rounded.sql()[1] == [0]
    exact = Todo.select((Todo.price * Value(0.75, False)).alias('x'))
    assert exact.sql()[1] == [0.75]
    assert exact.scalar() == 7.5


# -- with db: inside a transaction ----------------------------------------------------------------
def test_with_db_inside_a_transaction_keeps_the_connection(db):
    db.connect(reuse_if_open=True)
    with db.atomic():
        with db:
            assert db.transaction_depth() == 2
        # the block's savepoint is over; the transaction around it still runs
        assert db.in_transaction() and not db.is_closed()
    assert not db.is_closed()
    if db.database != ':memory:':
        db.close()
        with db:
            pass
        assert db.is_closed()                 # the outermost block closes as before
