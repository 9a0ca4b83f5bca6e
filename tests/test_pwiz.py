"""orm-pwiz against live databases: the printed module imports, queries and recreates.

A small shop schema is made with plain SQL on SQLite (a file) and PostgreSQL, the
``orm-pwiz`` command prints its models, and the printed module is imported and used:
it reads the rows already there, writes new ones, and creates the same tables again.
What the output looks like follows peewee's pwiz: fields listed by name (``-o`` keeps
the table's column order), foreign keys without ``index=False``, and PostgreSQL arrays
as ``ArrayField`` from ``playhouse.postgres_ext``.
"""
from __future__ import annotations

import datetime
import importlib.util
import os
import re
import subprocess
import sys
from typing import Any

import pytest

from conftest import MYSQL_DB, MYSQL_PARAMS, pg_connect_kwargs
from orm import ForeignKeyField
from orm import __version__ as orm_version
from playhouse.postgres_ext import ArrayField
from playhouse.reflection import generate_models, introspect
from playhouse.schema_diff import diff_models

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# orders.customer_id has no index of its own; line_item.order_id has one
SCHEMA = {
    'sqlite': [
        'CREATE TABLE customer (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE, '
        'email TEXT)',
        'CREATE TABLE orders (id INTEGER PRIMARY KEY, placed DATE NOT NULL, '
        'customer_id INTEGER NOT NULL REFERENCES customer (id), note TEXT, '
        'total DECIMAL(8, 2))',
        'CREATE TABLE line_item (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL '
        'REFERENCES orders (id) ON DELETE CASCADE, sku VARCHAR(20) NOT NULL, '
        'qty INTEGER NOT NULL)',
        'CREATE INDEX line_item_order_id ON line_item (order_id)',
    ],
    'postgres': [
        'CREATE TABLE customer (id SERIAL PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE, '
        'email TEXT)',
        'CREATE TABLE orders (id SERIAL PRIMARY KEY, placed DATE NOT NULL, '
        'customer_id INTEGER NOT NULL REFERENCES customer (id), note TEXT, '
        'total NUMERIC(8, 2))',
        'CREATE TABLE line_item (id SERIAL PRIMARY KEY, order_id INTEGER NOT NULL '
        'REFERENCES orders (id) ON DELETE CASCADE, sku VARCHAR(20) NOT NULL, '
        'qty INTEGER NOT NULL)',
        'CREATE INDEX line_item_order_id ON line_item (order_id)',
    ],
    # InnoDB indexes every foreign key: orders.customer_id gets one of its own
    'mysql': [
        'CREATE TABLE customer (id INTEGER AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) '
        'NOT NULL UNIQUE, email TEXT)',
        'CREATE TABLE orders (id INTEGER AUTO_INCREMENT PRIMARY KEY, placed DATE NOT NULL, '
        'customer_id INTEGER NOT NULL, note TEXT, total NUMERIC(8, 2), '
        'FOREIGN KEY (customer_id) REFERENCES customer (id))',
        'CREATE TABLE line_item (id INTEGER AUTO_INCREMENT PRIMARY KEY, order_id INTEGER '
        'NOT NULL, sku VARCHAR(20) NOT NULL, qty INTEGER NOT NULL, '
        'FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE)',
        'CREATE INDEX line_item_order_id ON line_item (order_id)',
    ],
}
DATA = [
    "INSERT INTO customer (name, email) VALUES ('ada', 'ada@example.com'), ('bo', NULL)",
    "INSERT INTO orders (placed, customer_id, total) VALUES ('2026-03-01', 1, 12.50), "
    "('2026-03-02', 2, 3.00)",
    "INSERT INTO line_item (order_id, sku, qty) VALUES (1, 'tea', 2), (1, 'cup', 1), "
    "(2, 'tea', 1)",
]
TABLE_ORDER = {'customer': ['id', 'name', 'email'],
               'orders': ['id', 'placed', 'customer', 'note', 'total'],
               'line_item': ['id', 'order', 'sku', 'qty']}


def pwiz(*args: str) -> str:
    """Run the installed ``orm-pwiz`` (``python -m playhouse.reflection`` without it)."""
    script = os.path.join(os.path.dirname(sys.executable), 'orm-pwiz')
    command = [script] if os.path.exists(script) else [
        sys.executable, '-m', 'playhouse.reflection']
    result = subprocess.run(command + list(args), capture_output=True, text=True,
                            timeout=60, cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode == 0, result.stderr
    return result.stdout


def target_args(db: Any) -> list:
    """orm-pwiz arguments that reach ``db``."""
    if db.dialect.name == 'sqlite':
        return [db.database]
    if db.dialect.name == 'mysql':
        if MYSQL_PARAMS['password']:
            pytest.skip('the server needs a password, which orm-pwiz asks for at a prompt')
        return ['-e', 'mysql', '-H', str(MYSQL_PARAMS['host']), '-p',
                str(MYSQL_PARAMS['port']), '-u', str(MYSQL_PARAMS['user']), MYSQL_DB]
    params = pg_connect_kwargs()
    args = ['-e', 'postgresql', '-H', params.get('host', '127.0.0.1'),
            '-u', params.get('user', 'postgres')]
    if params.get('port'):
        args += ['-p', str(params['port'])]
    return args + [params['database']]


def import_source(source: str, path: Any, name: str) -> Any:
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def field_names(source: str, model: str) -> list:
    """Attribute names declared in ``class <model>``, in the order printed."""
    body = source.split('class %s(BaseModel):\n' % model, 1)[1].split('\n\n', 1)[0]
    return re.findall(r'^    (\w+) = ', body, re.M)


def shape(db: Any) -> dict:
    """What must survive recreating the tables: columns, keys and foreign keys (the
    columns in any order: only ``-o`` promises the table's order)."""
    out = {}
    for table in ('customer', 'orders', 'line_item'):
        out[table] = (
            sorted((c.name, c.null, c.primary_key) for c in db.get_columns(table)),
            sorted((fk.column, fk.dest_table, fk.dest_column)
                   for fk in db.get_foreign_keys(table)),
            sorted((tuple(i.columns), i.unique) for i in db.get_indexes(table)
                   if not (i.unique and list(i.columns) == ['id'])))
    return out


@pytest.fixture
def shop(db):
    for sql in SCHEMA[db.dialect.name] + DATA:
        db.execute_sql(sql)
    return db


# the command line reaches the database from another process: a file, or the server
# (it connects through psycopg2, the default driver, or pymysql)
@pytest.mark.engines('sqlite-file', 'psycopg2', 'mysql')
def test_generated_module_queries_writes_and_recreates(shop, tmp_path):
    db = shop
    source = pwiz(*target_args(db))
    # fields by name, as pwiz prints them; the implicit id is left out
    assert field_names(source, 'Orders') == ['customer', 'note', 'placed', 'total']
    assert field_names(source, 'LineItem') == ['order', 'qty', 'sku']
    # foreign keys: no index=False, indexed column or not
    assert ("customer = ForeignKeyField(column_name='customer_id', field='id', "
            "model=Customer)") in source
    assert ("order = ForeignKeyField(column_name='order_id', field='id', model=Orders, "
            "on_delete='CASCADE')") in source
    assert 'index=False' not in source

    models = import_source(source, tmp_path / 'shop_models.py', 'shop_models_%s' % (
        db.dialect.name))
    try:
        Customer, Orders, LineItem = models.Customer, models.Orders, models.LineItem
        assert isinstance(Orders.customer, ForeignKeyField)
        # the rows already there
        query = (LineItem.select(LineItem, Orders, Customer).join(Orders).join(Customer)
                 .order_by(LineItem.id))
        assert [(i.sku, i.qty, i.order.customer.name) for i in query] == [
            ('tea', 2, 'ada'), ('cup', 1, 'ada'), ('tea', 1, 'bo')]
        assert str(Orders.get(Orders.customer == 1).total) == '12.50'
        # new rows
        cy = Customer.create(name='cy')
        order = Orders.create(customer=cy, placed='2026-03-05')
        LineItem.create(order=order, sku='pot', qty=1)
        assert LineItem.select().join(Orders).where(Orders.customer == cy).count() == 1

        # the same tables again, from the printed models: the same columns, keys and
        # foreign keys, and now an index on orders.customer_id as well
        before = shape(db)
        tables = [Customer, Orders, LineItem]
        models.database.drop_tables(tables)
        models.database.create_tables(tables)
        after = shape(db)
        assert after['customer'] == before['customer']
        assert after['line_item'] == before['line_item']
        assert after['orders'][:2] == before['orders'][:2]
        # (MySQL had the index already: InnoDB makes one for each foreign key)
        assert before['orders'][2] == ([(('customer_id',), False)]
                                       if db.dialect.name == 'mysql' else [])
        assert after['orders'][2] == [(('customer_id',), False)]
        ada = Customer.create(name='ada', email='ada@example.com')
        Orders.create(customer=ada, placed='2026-04-01')
        assert [o.customer.name for o in Orders.select().join(Customer)] == ['ada']
    finally:
        models.database.close()


@pytest.mark.engines('sqlite-file', 'psycopg2', 'mysql')
def test_preserve_order_keeps_the_table_order(shop, tmp_path):
    source = pwiz('-o', *target_args(shop))
    for table, model in (('orders', 'Orders'), ('line_item', 'LineItem'),
                         ('customer', 'Customer')):
        assert field_names(source, model) == [n for n in TABLE_ORDER[table] if n != 'id']
    default = pwiz(*target_args(shop))
    assert field_names(default, 'Customer') == ['email', 'name']
    assert field_names(source, 'Customer') == ['name', 'email']
    # tables created from the -o models have their columns where the originals had them
    columns = {t: [c.name for c in shop.get_columns(t)] for t in TABLE_ORDER}
    models = import_source(source, tmp_path / 'ordered_models.py', 'ordered_models_%s' % (
        shop.dialect.name))
    try:
        tables = [models.Customer, models.Orders, models.LineItem]
        models.database.drop_tables(tables)
        models.database.create_tables(tables)
        assert {t: [c.name for c in shop.get_columns(t)] for t in TABLE_ORDER} == columns
    finally:
        models.database.close()


def test_foreign_key_declarations(shop):
    """The printed declaration leaves index=False out; models built in memory by
    generate_models() keep it, so that they describe the schema exactly."""
    metadata = introspect(shop)
    # on MySQL every foreign key has an index (InnoDB makes one)
    unindexed = shop.dialect.name != 'mysql'
    column = metadata.columns['orders']['customer_id']
    assert 'index' not in column.get_field_parameters()
    assert column.field_kwargs().get('index', True) is not unindexed
    indexed = metadata.columns['line_item']['order_id']
    assert 'index' not in indexed.get_field_parameters()
    assert 'index' not in indexed.field_kwargs()
    models = generate_models(shop)
    assert models['orders'].customer.index is not unindexed
    assert models['line_item'].order.index is True
    assert not diff_models(shop, list(models.values()))


# ---------------------------------------------------------------------------------------
# PostgreSQL arrays
# ---------------------------------------------------------------------------------------

ARRAY_SCHEMA = [
    'CREATE TABLE post (id SERIAL PRIMARY KEY, title VARCHAR(100) NOT NULL, '
    'tags TEXT[], labels VARCHAR(20)[] NOT NULL, grid INTEGER[][], prices NUMERIC(6, 2)[])',
    'CREATE INDEX post_tags ON post USING GIN (tags)',
    "INSERT INTO post (title, tags, labels, grid, prices) VALUES "
    "('first', '{orm,sql}', '{a}', '{{1,2},{3,4}}', '{1.50}')",
]


@pytest.mark.engines('postgres')
def test_postgres_arrays_become_array_fields(pg_db):
    for sql in ARRAY_SCHEMA:
        pg_db.execute_sql(sql)
    pg_db.execute_sql('CREATE TABLE host (id SERIAL PRIMARY KEY, addresses INET[])')
    metadata = introspect(pg_db)
    columns = metadata.columns['post']
    assert columns['tags'].get_field() == 'tags = ArrayField(field_class=TextField, null=True)'
    assert columns['labels'].get_field() == (
        "labels = ArrayField(field_class=CharField, field_kwargs={'max_length': 20}, "
        "index=False)")
    assert columns['grid'].get_field() == (
        'grid = ArrayField(dimensions=2, field_class=IntegerField, index=False, null=True)')
    assert 'max_digits' in columns['prices'].get_field()
    # an array of a type orm has no field for stays unknown, and says what it is
    assert metadata.columns['host']['addresses'].raw_column_type == 'inet[]'
    assert metadata.columns['host']['addresses'].get_field() == \
        'addresses = UnknownField(null=True)'
    models = generate_models(pg_db)
    Post = models['post']
    assert isinstance(Post.tags, ArrayField) and Post.tags.index
    assert not Post.labels.index and Post.grid.dimensions == 2
    assert Post.labels.element_field.max_length == 20
    assert not diff_models(pg_db, list(models.values()))


@pytest.mark.engines('psycopg2')
def test_postgres_arrays_in_a_generated_module(pg_db, tmp_path):
    for sql in ARRAY_SCHEMA:
        pg_db.execute_sql(sql)
    source = pwiz(*target_args(pg_db))
    assert source.startswith('from orm import *\nfrom playhouse.postgres_ext import ArrayField\n')
    models = import_source(source, tmp_path / 'post_models.py', 'post_models')
    try:
        Post = models.Post
        first = Post.get(Post.title == 'first')
        assert first.tags == ['orm', 'sql'] and first.grid == [[1, 2], [3, 4]]
        assert [str(p) for p in first.prices] == ['1.50']
        Post.create(title='second', tags=['sql'], labels=['b', 'c'], grid=[[5]])
        assert [p.title for p in Post.select().where(Post.tags.contains('sql'))
                .order_by(Post.id)] == ['first', 'second']
        # recreated from the printed model, the columns have the same types
        before = {c.name: c.data_type for c in pg_db.get_columns('post')}
        models.database.drop_tables([Post])
        models.database.create_tables([Post])
        after = {c.name: c.data_type for c in pg_db.get_columns('post')}
        assert after == before
        types = dict(pg_db.execute_sql(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'post'::regclass AND attnum > 0").fetchall())
        assert types['labels'] == 'character varying(20)[]'
        assert types['tags'] == 'text[]' and types['grid'] == 'integer[]'
        assert [tuple(i.columns) for i in pg_db.get_indexes('post')
                if i.name != 'post_pkey'] == [('tags',)]
    finally:
        models.database.close()


# ---------------------------------------------------------------------------------------
# pwiz for applications written for peewee: playhouse.pwiz, ``import pwiz``
# ---------------------------------------------------------------------------------------

def run_python(code: str, *args: str, cwd: Any = ROOT) -> str:
    """Run ``code`` in a fresh interpreter (install_as_peewee() changes the process)."""
    result = subprocess.run([sys.executable, '-c', code] + list(args), capture_output=True,
                            text=True, timeout=60, cwd=str(cwd),
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, str(cwd)])))
    assert result.returncode == 0, result.stderr
    return result.stdout


IMPORT_PWIZ = '''
import importlib.util, sys
import orm
had_pwiz = importlib.util.find_spec('pwiz') is not None
orm.install_as_peewee()
orm.install_as_peewee()          # a second call adds nothing
import pwiz
import playhouse.pwiz
import peewee
namespace = {}
exec('from pwiz import *', namespace)
print(had_pwiz, pwiz is playhouse.pwiz, peewee is orm, pwiz.__name__, pwiz.__spec__.name,
      sum(type(f).__name__ == '_ModuleAlias' for f in sys.meta_path))
print(sorted(n for n in namespace if not n.startswith('__')))
'''


def test_import_pwiz_gives_playhouse_pwiz_after_install_as_peewee():
    first, names = run_python(IMPORT_PWIZ).splitlines()
    assert first == 'False True True playhouse.pwiz playhouse.pwiz 1'
    assert names == str(['Introspector', 'main', 'make_introspector', 'peewee_version',
                         'print_header', 'print_models'])


PEEWEE_SCRIPT = '''
import sys
import orm
orm.install_as_peewee()
from pwiz import make_introspector, print_header, print_models
engine, name = sys.argv[1:3]
kwargs = dict(arg.split('=', 1) for arg in sys.argv[3:])
introspector = make_introspector(engine, name, **kwargs)
print_header('-e %s %s' % (engine, name), introspector)
print()
print_models(introspector, tables=['line_item'])
'''

PEEWEE_APP = '''
import orm
orm.install_as_peewee()
import peewee
import shop_pwiz as m
assert m.Customer.__mro__[2] is peewee.Model
cy = m.Customer.create(name='cy')
order = m.Orders.create(customer=cy, placed='2026-03-07')
m.LineItem.create(order=order, sku='mug', qty=3)
query = m.LineItem.select(m.LineItem, m.Orders, m.Customer).join(m.Orders).join(m.Customer)
print(sorted((i.sku, i.qty, i.order.customer.name) for i in query))
'''


@pytest.mark.engines('sqlite-file', 'psycopg2')
def test_pwiz_functions_print_a_module_for_a_peewee_application(shop, tmp_path):
    if shop.dialect.name == 'sqlite':
        args = ['sqlite', shop.database]
    else:
        params = pg_connect_kwargs()
        args = ['postgresql', params['database'],
                'host=%s' % params.get('host', '127.0.0.1'),
                'user=%s' % params.get('user', 'postgres')]
    shop.close()
    out = run_python(PEEWEE_SCRIPT, *args)
    header, source = out.split('\n\n', 1)
    lines = header.splitlines()
    assert lines[:2] == ['# Code generated by:', '# python -m pwiz -e %s %s' % tuple(args[:2])]
    assert datetime.datetime.strptime(lines[2], '# Date: %B %d, %Y %I:%M%p')
    assert lines[3:] == ['# Database: %s' % args[1], '# Peewee version: %s' % orm_version]
    assert source.startswith('from peewee import *\n\n')
    assert 'class UnknownField(object):\n' in source
    assert ("    order = ForeignKeyField(column_name='order_id', field='id', model=Orders, "
            "on_delete='CASCADE')\n") in source
    # line_item brings the tables it refers to
    assert source.index('class Customer(') < source.index('class Orders(') < \
        source.index('class LineItem(')

    (tmp_path / 'shop_pwiz.py').write_text(source)
    out = run_python(PEEWEE_APP, cwd=tmp_path)
    assert out.strip() == "[('cup', 1, 'ada'), ('mug', 3, 'cy'), ('tea', 1, 'bo'), " \
        "('tea', 2, 'ada')]"
    shop.connect(reuse_if_open=True)
    rows = shop.execute_sql(
        'SELECT c.name, l.sku FROM line_item l JOIN orders o ON o.id = l.order_id '
        "JOIN customer c ON c.id = o.customer_id WHERE l.sku = 'mug'").fetchall()
    assert rows == [('cy', 'mug')]


@pytest.mark.engines('sqlite-file')
def test_playhouse_pwiz_command_line(shop):
    path = shop.database
    shop.execute_sql('CREATE TABLE "shipLog" (id INTEGER PRIMARY KEY, "shipDate" TEXT, '
                     'geo GEOMETRY)')
    shop.close()
    result = subprocess.run([sys.executable, '-m', 'playhouse.pwiz', '-i', '-I', '-L', path],
                            capture_output=True, text=True, timeout=60, cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith('# Code generated by:\n# python -m playhouse.pwiz -i -I -L %s\n'
                          % path)
    assert '# Peewee version: %s\n\nfrom peewee import *\n' % orm_version in out
    assert 'UnknownField' not in out         # -I: a comment in place of the column
    assert ("class Shiplog(BaseModel):\n"
            "    # geo - GEOMETRY\n"
            "    shipdate = TextField(column_name='shipDate', null=True)\n") in out
