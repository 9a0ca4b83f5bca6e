"""playhouse.reflection: names, backrefs, indexes and declarations as pwiz makes them.

Each schema is written in plain SQL on SQLite and PostgreSQL, read back through the
introspector, and the generated models are used against the same tables: rows go in
through them and come back through SQL (or the other way round), and tables recreated
from them are read back from the engine's catalog.
"""
from __future__ import annotations

import pytest

from orm import SqliteDatabase
from playhouse.reflection import Introspector, generate_models, generate_source, introspect


# ---------------------------------------------------------------------------------------
# Attribute and class names
# ---------------------------------------------------------------------------------------

@pytest.fixture
def introspector(tmp_path):
    db = SqliteDatabase(str(tmp_path / 'names.db'))
    yield Introspector.from_database(db)
    db.close()


@pytest.mark.parametrize('column, plain, as_key', [
    ('Column', 'column', 'column'),
    ('OrderID', 'order_id', 'order'),
    ('order_id_id', 'order_id_id', 'order_id'),
    ('_rank', '_rank', '_rank'),            # a leading underscore stays
    ('_id', '_id', '_id'),                  # too short to lose its "_id"
    ('pass', 'pass_', 'pass_'),             # a keyword gets a trailing underscore
    ('Lambda_ID', 'lambda_id', 'lambda_'),
    ('shipDate', 'ship_date', 'ship_date'),
    ('HTTPStatus', 'http_status', 'http_status'),
    ('unit price ($)', 'unit_price_', 'unit_price_'),
    ('a/-b!', 'a_b_', 'a_b_'),              # each run of symbols is one underscore
])
def test_column_names_become_attribute_names(introspector, column, plain, as_key):
    assert introspector.make_column_name(column) == plain
    assert introspector.make_column_name(column, True) == as_key


def test_legacy_naming_only_lowercases(introspector):
    assert introspector.make_column_name('shipDate', snake_case=False) == 'shipdate'
    assert introspector.make_column_name('CustomerID', True, snake_case=False) == 'customerid'
    assert introspector.make_column_name('customer_id', True, snake_case=False) == 'customer'
    assert introspector.make_model_name('orderLines', snake_case=False) == 'Orderlines'
    assert introspector.make_model_name('order_lines', snake_case=False) == 'OrderLines'
    assert introspector.make_model_name('orderLines') == 'OrderLines'
    assert introspector.make_model_name('v2_x9y') == 'V2X9y'


def test_odd_column_names_work_through_generated_models(db):
    q = db.quote_identifier
    db.execute_sql('CREATE TABLE %s (id INTEGER PRIMARY KEY, %s INTEGER, %s TEXT, %s INTEGER)'
                   % (q('stockItems'), q('unit price ($)'), q('shipDate'), q('_rank')))
    Stock = generate_models(db)['stockItems']
    assert Stock.__name__ == 'StockItems'
    assert sorted(Stock._meta.fields) == ['_rank', 'id', 'ship_date', 'unit_price_']
    Stock.create(id=1, unit_price_=12, ship_date='2026-05-01', _rank=3)
    row = db.execute_sql('SELECT %s, %s, %s FROM %s' % (
        q('unit price ($)'), q('shipDate'), q('_rank'), q('stockItems')))
    assert row.fetchall() == [(12, '2026-05-01', 3)]
    db.execute_sql('INSERT INTO %s VALUES (2, 7, NULL, 1)' % q('stockItems'))
    assert [(s.unit_price_, s._rank) for s in Stock.select().order_by(Stock._rank)] == [
        (7, 1), (12, 3)]

    source = generate_source(Introspector.from_database(db))
    assert "    _rank = IntegerField(null=True)\n" in source
    assert "    unit_price_ = IntegerField(column_name='unit price ($)', null=True)\n" in source
    legacy = generate_source(Introspector.from_database(db), snake_case=False)
    assert 'class Stockitems(BaseModel):' in legacy
    assert "    shipdate = TextField(column_name='shipDate', null=True)\n" in legacy


# ---------------------------------------------------------------------------------------
# Foreign keys: backrefs and declarations
# ---------------------------------------------------------------------------------------

SCHEMA_KEYS = [
    'CREATE TABLE people (id {pk}, name TEXT NOT NULL)',
    'CREATE TABLE posts (id {pk}, title TEXT NOT NULL, '
    'author_id INTEGER NOT NULL REFERENCES people (id), '
    'editor_id INTEGER REFERENCES people (id), '
    'reply_to_id INTEGER REFERENCES posts (id))',
    "INSERT INTO people (name) VALUES ('ann'), ('bo')",
    "INSERT INTO posts (title, author_id, editor_id) VALUES ('one', 1, 2), ('two', 2, 2)",
    "INSERT INTO posts (title, author_id, reply_to_id) VALUES ('re: one', 2, 1)",
]


def serial_key(db):
    """A numbered primary key; MySQL's SERIAL is BIGINT UNSIGNED, which an INTEGER
    foreign key may not reference."""
    return {'sqlite': 'INTEGER PRIMARY KEY',
            'mysql': 'INTEGER AUTO_INCREMENT PRIMARY KEY'}.get(db.dialect.name,
                                                               'SERIAL PRIMARY KEY')


@pytest.fixture
def keyed(db):
    pk = serial_key(db)
    for sql in SCHEMA_KEYS:
        db.execute_sql(sql.format(pk=pk))
    return db


def test_only_a_second_key_to_one_table_names_its_backref(keyed):
    columns = introspect(keyed).columns['posts']
    assert columns['author_id'].get_field_parameters() == {
        'column_name': "'author_id'", 'field': "'id'", 'model': 'People'}
    assert columns['editor_id'].get_field_parameters() == {
        'backref': "'people_editor_set'", 'column_name': "'editor_id'", 'field': "'id'",
        'model': 'People', 'null': True}
    assert columns['reply_to_id'].get_field() == (
        "reply_to = ForeignKeyField(column_name='reply_to_id', field='id', model='self', "
        "null=True)")

    models = generate_models(keyed)
    People, Posts = models['people'], models['posts']
    bo = People.get(People.name == 'bo')
    assert sorted(p.title for p in bo.posts_set) == ['re: one', 'two']       # the author
    assert sorted(p.title for p in bo.people_editor_set) == ['one', 'two']   # the editor
    one = Posts.get(Posts.title == 'one')
    assert [p.title for p in one.posts_set] == ['re: one']                   # replies
    Posts.create(title='three', author=bo, editor=People.get(People.name == 'ann'))
    rows = keyed.execute_sql(
        'SELECT p.title, a.name, e.name FROM posts p JOIN people a ON a.id = p.author_id '
        "JOIN people e ON e.id = p.editor_id WHERE p.title = 'three'").fetchall()
    assert rows == [('three', 'bo', 'ann')]


def test_a_key_to_a_column_other_than_the_primary_key(db):
    pk, code = serial_key(db), db.quote_identifier('skuCode')
    db.execute_sql('CREATE TABLE skus (id %s, %s VARCHAR(12) NOT NULL UNIQUE)' % (pk, code))
    db.execute_sql('CREATE TABLE stock (id %s, sku VARCHAR(12) NOT NULL, qty INTEGER NOT '
                   'NULL, FOREIGN KEY (sku) REFERENCES skus (%s))' % (pk, code))
    db.execute_sql("INSERT INTO skus (%s) VALUES ('T-1'), ('T-2')" % code)
    db.execute_sql("INSERT INTO stock (sku, qty) VALUES ('T-2', 5)")
    column = introspect(db).columns['stock']['sku']
    assert column.get_field() == (
        "sku = ForeignKeyField(column_name='sku', field='sku_code', model=Skus)")
    Skus, Stock = (lambda m: (m['skus'], m['stock']))(generate_models(db))
    assert Stock.get().sku.id == 2
    Stock.create(sku=Skus.get(Skus.sku_code == 'T-1'), qty=1)
    assert db.execute_sql('SELECT sku, qty FROM stock ORDER BY qty').fetchall() == [
        ('T-1', 1), ('T-2', 5)]


# ---------------------------------------------------------------------------------------
# Indexes a model cannot declare
# ---------------------------------------------------------------------------------------

def _index_shapes(db, table):
    return sorted((tuple(i.columns), bool(i.unique)) for i in db.get_indexes(table)
                  if not i.name.endswith('_pkey'))


# not on MySQL: it has no partial indexes, and MariaDB no indexes on expressions
@pytest.mark.engines('sqlite', 'postgres')
def test_partial_and_expression_indexes_are_left_to_the_caller(db):
    pk = 'INTEGER PRIMARY KEY' if db.dialect.name == 'sqlite' else 'SERIAL PRIMARY KEY'
    db.execute_sql('CREATE TABLE accounts (id %s, email VARCHAR(80) NOT NULL, '
                   'closed INTEGER NOT NULL, region TEXT, code TEXT)' % pk)
    db.execute_sql('CREATE INDEX accounts_open_email ON accounts (email) WHERE closed = 0')
    db.execute_sql('CREATE INDEX accounts_lower_email ON accounts (LOWER(email))')
    db.execute_sql('CREATE INDEX accounts_region ON accounts (region)')
    db.execute_sql('CREATE UNIQUE INDEX accounts_region_code ON accounts (region, code)')

    metadata = introspect(db)
    columns = metadata.columns['accounts']
    assert not columns['email'].index and not columns['email'].unique
    assert columns['region'].index
    assert sorted(i.name for i in metadata.unhandled_indexes('accounts')) == [
        'accounts_lower_email', 'accounts_open_email']
    assert all(i.sql and 'accounts' in i.sql for i in metadata.unhandled_indexes('accounts'))
    assert metadata.multi_column_indexes('accounts') == [(('region', 'code'), True)]

    Accounts = generate_models(db)['accounts']
    assert Accounts._meta.indexes == [(['region', 'code'], True)]
    assert not Accounts.email.index
    # recreated from the model: the indexes it can declare, and only those
    db.execute_sql('DROP TABLE accounts')
    Accounts.create_table()
    assert _index_shapes(db, 'accounts') == [(('region',), False),
                                             (('region', 'code'), True)]


def test_printed_indexes_are_sorted_by_field_names(db):
    # (VARCHAR: MySQL indexes a TEXT column only by a prefix length)
    db.execute_sql('CREATE TABLE events (id INTEGER PRIMARY KEY, kind VARCHAR(20), '
                   'at VARCHAR(20), src VARCHAR(20))')
    db.execute_sql('CREATE INDEX events_z ON events (kind, src)')
    db.execute_sql('CREATE UNIQUE INDEX events_a ON events (src, at)')
    db.execute_sql('CREATE INDEX events_m ON events (at, kind)')
    source = generate_source(Introspector.from_database(db))
    assert ("        indexes = (\n"
            "            (('at', 'kind'), False),\n"
            "            (('kind', 'src'), False),\n"
            "            (('src', 'at'), True),\n"
            "        )\n") in source
