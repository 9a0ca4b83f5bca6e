"""ClosureTable over the pure-Python ``transitive_closure`` module (playhouse._sqlite_closure),
registered on every connection of SqliteExtDatabase and APSWDatabase."""
from __future__ import annotations

import sqlite3

import pytest

from orm import CharField, ForeignKeyField, IntegerField, Model, OperationalError
from playhouse import _sqlite_closure, _vtab
from playhouse.sqlite_ext import ClosureTable, SqliteExtDatabase

ENGINES = ['sqlite-memory', 'sqlite-file', 'apsw']


def _make(engine, path):
    if engine == 'apsw':
        pytest.importorskip('apsw', reason='the apsw driver is not installed')
        from playhouse.apsw_ext import APSWDatabase
        return APSWDatabase(str(path / 'closure-apsw.db'))
    if engine == 'sqlite-file':
        return SqliteExtDatabase(str(path / 'closure.db'))
    return SqliteExtDatabase(':memory:')


@pytest.fixture(params=ENGINES)
def db(request, tmp_path):
    database = _make(request.param, tmp_path)
    database.connect()
    yield database
    database.close()


class Category(Model):
    name = CharField()
    parent = ForeignKeyField('self', null=True, backref='children')


#: name -> parent name; a forest of two trees
TREE = [('books', None), ('fiction', 'books'), ('poetry', 'books'), ('crime', 'fiction'),
        ('sf', 'fiction'), ('noir', 'crime'), ('cozy', 'crime'), ('space opera', 'sf'),
        ('music', None), ('jazz', 'music')]


@pytest.fixture
def tree(db):
    Category.bind(db)
    Closure = ClosureTable(Category)
    Closure.bind(db)
    db.create_tables([Category, Closure])
    nodes: dict = {}
    for name, parent in TREE:
        nodes[name] = Category.create(name=name, parent=nodes.get(parent))
    return Closure, nodes


def names(query):
    return sorted(row.name for row in query)


def with_depth(query):
    return sorted((row.name, row.depth) for row in query)


def test_descendants(tree):
    Closure, n = tree
    assert with_depth(Closure.descendants(n['books'])) == [
        ('cozy', 3), ('crime', 2), ('fiction', 1), ('noir', 3), ('poetry', 1), ('sf', 2),
        ('space opera', 3)]
    assert names(Closure.descendants(n['books'], depth=1)) == ['fiction', 'poetry']
    assert names(Closure.descendants(n['books'], depth=3)) == ['cozy', 'noir', 'space opera']
    assert names(Closure.descendants(n['fiction'], include_node=True)) == [
        'cozy', 'crime', 'fiction', 'noir', 'sf', 'space opera']
    assert names(Closure.descendants(n['noir'])) == []
    assert names(Closure.descendants(n['music'].id)) == ['jazz']   # a bare id works too
    # the rows are model instances with a depth attribute
    first = Closure.descendants(n['music']).get()
    assert isinstance(first, Category) and (first.name, first.depth) == ('jazz', 1)


def test_ancestors(tree):
    Closure, n = tree
    assert with_depth(Closure.ancestors(n['noir'])) == [
        ('books', 3), ('crime', 1), ('fiction', 2)]
    assert names(Closure.ancestors(n['noir'], depth=2)) == ['fiction']
    assert names(Closure.ancestors(n['noir'], include_node=True)) == [
        'books', 'crime', 'fiction', 'noir']
    assert names(Closure.ancestors(n['books'])) == []
    assert names(Closure.ancestors(n['jazz'])) == ['music']


def test_siblings(tree):
    Closure, n = tree
    assert names(Closure.siblings(n['noir'])) == ['cozy']
    assert names(Closure.siblings(n['noir'], include_node=True)) == ['cozy', 'noir']
    assert names(Closure.siblings(n['poetry'])) == ['fiction']
    assert names(Closure.siblings(n['books'])) == ['music']   # roots: parent IS NULL
    assert names(Closure.siblings(n['space opera'].id)) == []


def test_tree_changes_are_seen_immediately(tree):
    Closure, n = tree
    Category.update(parent=n['music']).where(Category.id == n['poetry'].id).execute()
    Category.create(name='sonnet', parent=n['poetry'])
    assert names(Closure.descendants(n['music'])) == ['jazz', 'poetry', 'sonnet']
    assert names(Closure.ancestors(Category.get(name='sonnet'))) == ['music', 'poetry']
    assert 'poetry' not in names(Closure.descendants(n['books']))


def test_closure_in_joins_and_aggregates(tree, db):
    Closure, n = tree
    # number of descendants of every node, in one query
    sizes = db.execute_sql(
        'SELECT c.name, (SELECT count(*) - 1 FROM categoryclosure t WHERE t.root = c.id) '
        'FROM category c ORDER BY c.id').fetchall()
    assert dict(sizes) == {'books': 7, 'fiction': 5, 'poetry': 0, 'crime': 2, 'sf': 1,
                           'noir': 0, 'cozy': 0, 'space opera': 0, 'music': 1, 'jazz': 0}


def test_virtual_table_sql(tree, db):
    Closure, n = tree
    books, crime = n['books'].id, n['crime'].id

    def rows(sql, *params):
        return sorted(db.execute_sql(sql, params).fetchall())

    everything = rows('SELECT id, depth FROM categoryclosure WHERE root = ?', books)
    assert len(everything) == 8 and (books, 0) in everything
    assert rows('SELECT depth FROM categoryclosure WHERE root = ? AND depth <= 1', books) \
        == [(0,), (1,), (1,)]
    assert rows('SELECT depth FROM categoryclosure WHERE root = ? AND depth < 2', books) \
        == [(0,), (1,), (1,)]
    assert rows('SELECT depth FROM categoryclosure WHERE root = ? AND depth = 2', books) \
        == [(2,), (2,)]
    assert rows('SELECT depth FROM categoryclosure WHERE root = ? AND depth > 2', books) \
        == [(3,), (3,), (3,)]
    assert rows('SELECT count(*) FROM categoryclosure WHERE root = ? AND depth < 0', books) \
        == [(0,)]
    # the hidden columns report the configuration and root in use
    assert db.execute_sql(
        'SELECT root, tablename, idcolumn, parentcolumn FROM categoryclosure '
        'WHERE root = ? LIMIT 1', (crime,)).fetchone() == (crime, 'category', 'id',
                                                           'parent_id')
    # without a root constraint the table is empty (there is nothing to walk from)
    assert rows('SELECT count(*) FROM categoryclosure') == [(0,)]
    # a root that is not in the table: itself at depth 0 only
    assert rows('SELECT id, depth FROM categoryclosure WHERE root = 999') == [(999, 0)]


def test_configuration_given_per_query(db):
    db.execute_sql('CREATE TABLE emp (emp_no INTEGER PRIMARY KEY, boss INTEGER)')
    db.execute_sql('INSERT INTO emp VALUES (1, NULL), (2, 1), (3, 1), (4, 3)')
    db.execute_sql('CREATE VIRTUAL TABLE anytree USING transitive_closure')
    assert sorted(db.execute_sql(
        "SELECT id, depth FROM anytree WHERE root = 1 AND tablename = 'emp' "
        "AND idcolumn = 'emp_no' AND parentcolumn = 'boss'").fetchall()) == [
        (1, 0), (2, 1), (3, 1), (4, 2)]
    with pytest.raises(OperationalError, match='tablename'):
        db.execute_sql('SELECT id FROM anytree WHERE root = 1').fetchall()
    # quoted arguments, any case for the keys
    db.execute_sql('CREATE VIRTUAL TABLE emptree USING transitive_closure('
                   "TableName='emp', idcolumn=\"emp_no\", parentcolumn=[boss])")
    assert db.execute_sql('SELECT count(*) FROM emptree WHERE root = 3').fetchone() == (2,)
    with pytest.raises(OperationalError, match='unknown argument'):
        db.execute_sql('CREATE VIRTUAL TABLE bad USING transitive_closure(colour=red)')


def test_cycles_and_text_keys(db):
    db.execute_sql('CREATE TABLE node (name TEXT PRIMARY KEY, up TEXT)')
    db.execute_sql("INSERT INTO node VALUES ('a', 'c'), ('b', 'a'), ('c', 'b'), ('d', 'c')")
    db.execute_sql('CREATE VIRTUAL TABLE walk USING transitive_closure('
                   'tablename=node, idcolumn=name, parentcolumn=up)')
    # a -> b -> c -> (a, d): every node once, at its shortest distance
    assert sorted(db.execute_sql("SELECT id, depth FROM walk WHERE root = 'a'").fetchall()) \
        == [('a', 0), ('b', 1), ('c', 2), ('d', 3)]


def test_reopened_file_database_and_drop(tmp_path):
    path = str(tmp_path / 'reopen.db')
    first = SqliteExtDatabase(path)
    Category.bind(first)
    Closure = ClosureTable(Category)
    Closure.bind(first)
    first.create_tables([Category, Closure])
    root = Category.create(name='root')
    Category.create(name='leaf', parent=root)
    first.close()
    second = SqliteExtDatabase(path)   # the schema names the module: found on a new conn
    Category.bind(second)
    Closure.bind(second)
    assert names(Closure.descendants(root.id)) == ['leaf']
    Closure.drop_table()
    assert not second.table_exists('categoryclosure')
    second.close()
    # a plain sqlite3 connection can have the module registered explicitly
    conn = sqlite3.connect(path)
    try:
        _sqlite_closure.register(conn)
        conn.execute('CREATE VIRTUAL TABLE c2 USING transitive_closure('
                     'tablename=category, idcolumn=id, parentcolumn=parent_id)')
        assert conn.execute('SELECT count(*) FROM c2 WHERE root = 1').fetchone() == (2,)
    finally:
        conn.close()


class Item(Model):
    name = CharField()


class Link(Model):
    """A separate table relating items to their parent item."""
    item = ForeignKeyField(Item, backref='links')
    parent = ForeignKeyField(Item, null=True, backref='child_links')


def test_referencing_class(db):
    Item.bind(db)
    Link.bind(db)
    Closure = ClosureTable(Item, foreign_key=Link.parent, referencing_class=Link,
                           referencing_key=Link.item)
    Closure.bind(db)
    assert Closure._meta.options == {'tablename': 'link', 'idcolumn': 'item_id',
                                     'parentcolumn': 'parent_id'}
    db.create_tables([Item, Link, Closure])
    items = {name: Item.create(name=name) for name in ('top', 'left', 'right', 'deep')}
    for child, parent in (('left', 'top'), ('right', 'top'), ('deep', 'left')):
        Link.create(item=items[child], parent=items[parent])
    assert names(Closure.descendants(items['top'])) == ['deep', 'left', 'right']
    assert names(Closure.ancestors(items['deep'])) == ['left', 'top']
    assert names(Closure.siblings(items['left'])) == ['right']
    assert names(Closure.siblings(items['left'], include_node=True)) == ['left', 'right']


class _Fake:
    """Stands for a C ``closure`` extension registering transitive_closure itself."""
    eponymous_only = False

    def connect(self, runner, args):
        return _vtab.FunctionModule(_FakeRows).connect(runner, args)


class _FakeRows:
    columns = ['id', 'depth', 'root HIDDEN', 'tablename HIDDEN', 'idcolumn HIDDEN',
               'parentcolumn HIDDEN']
    params = None
    name = 'fake'

    def initialize(self, **params):
        pass

    def iterate(self, idx):
        if idx:
            raise StopIteration
        return (42, 7)


def test_a_module_registered_later_takes_precedence(db):
    """Loading SQLite's ``closure`` extension registers its module after ours: the later
    registration of a name wins, so the C extension is used when it is loaded."""
    _vtab.register_module(db.connection(), 'transitive_closure', _Fake())
    db.execute_sql('CREATE VIRTUAL TABLE t USING transitive_closure('
                   'tablename=x, idcolumn=id, parentcolumn=p)')
    assert db.execute_sql('SELECT id, depth FROM t').fetchall() == [(42, 7)]


def test_real_extension_if_available(tmp_path):
    db = SqliteExtDatabase(str(tmp_path / 'real.db'))
    try:
        db.connection().enable_load_extension(True)
        db.connection().load_extension('closure')
    except Exception:
        db.close()
        pytest.skip('the C transitive_closure extension (closure.so) cannot be loaded here')
    db.close()
    db.load_extension('closure')
    Category.bind(db)
    Closure = ClosureTable(Category)
    Closure.bind(db)
    db.create_tables([Category, Closure])
    root = Category.create(name='root')
    Category.create(name='leaf', parent=root)
    assert names(Closure.descendants(root)) == ['leaf']
    db.close()
