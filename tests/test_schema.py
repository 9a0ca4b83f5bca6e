"""DDL from models: tables in dependency order, indexes, constraints, sequences, keys."""
from __future__ import annotations

import pytest

import orm
from conftest import ENGINE_KINDS, clean_database, engine_name, make_database
from orm import (SQL, AutoField, CharField, Check, DeferredForeignKey, ForeignKeyField,
                 IntegerField, Model, ModelIndex, TextField, fn, sort_models)


@pytest.fixture
def fk_db(engine, tmp_path):
    """Like ``db``, with foreign keys enforced on SQLite (``PRAGMA foreign_keys = 1``)."""
    kwargs = {'pragmas': {'foreign_keys': 1}} if ENGINE_KINDS[engine] == 'sqlite' else {}
    database = make_database(engine, tmp_path, **kwargs)
    database.connect()
    clean_database(database)
    yield database
    try:
        if not database.is_closed():
            database.rollback()
        database.close()
    except Exception:
        pass


def index_map(db, table):
    """{tuple(columns): IndexMetadata} for the non-primary indexes of ``table``."""
    return {tuple(i.columns): i for i in db.get_indexes(table)
            if not i.name.endswith('_pkey') and not i.name.startswith('sqlite_autoindex')
            and i.name != 'PRIMARY'}     # MySQL's primary key


# -- dependency order ----------------------------------------------------------------------
class Region(Model):
    name = TextField()


class City(Model):
    region = ForeignKeyField(Region, backref='cities')
    name = TextField()


class Street(Model):
    city = ForeignKeyField(City, backref='streets')
    name = TextField()


class House(Model):
    street = ForeignKeyField(Street)
    owner = ForeignKeyField(Region, null=True)


class Standalone(Model):
    name = TextField()


GEO = [House, Standalone, Street, City, Region]


def test_sort_models_puts_referenced_models_first():
    ordered = sort_models(GEO)
    assert set(ordered) == set(GEO)
    position = {m: i for i, m in enumerate(ordered)}
    assert position[Region] < position[City] < position[Street] < position[House]
    assert sort_models([House, Street]) == [Street, House]


def test_create_and_drop_tables_in_dependency_order(fk_db):
    db = fk_db
    db.bind(GEO)
    db.create_tables(GEO)     # given leaf-first: must still succeed
    assert {'region', 'city', 'street', 'house', 'standalone'} <= set(db.get_tables())
    r = Region.create(name='r')
    c = City.create(region=r, name='c')
    s = Street.create(city=c, name='s')
    House.create(street=s)
    assert [fk.dest_table for fk in db.get_foreign_keys('house')] and \
        {fk.dest_table for fk in db.get_foreign_keys('house')} == {'street', 'region'}
    db.drop_tables(GEO)       # referencing tables first, so this works with keys enforced
    assert not any(t in db.get_tables() for t in ('region', 'city', 'street', 'house'))


def test_create_tables_safe(db):
    db.bind([Region, City])
    db.create_tables([Region, City])
    Region.create(name='kept')
    db.create_tables([Region, City])            # safe=True by default: no error, no loss
    Region.create_table()
    assert Region.select().count() == 1
    with pytest.raises(orm.DatabaseError):
        with db.atomic():
            Region.create_table(safe=False)
    db.drop_tables([Region, City])
    db.drop_tables([Region, City])              # safe: already gone, no error
    with pytest.raises(orm.DatabaseError):
        with db.atomic():
            Region.drop_table(safe=False)


def test_table_exists(db):
    db.bind([Region])
    assert not Region.table_exists()
    assert not db.table_exists(Region) and not db.table_exists('region')
    Region.create_table()
    assert Region.table_exists()
    assert db.table_exists(Region) and db.table_exists('region')
    Region.drop_table()
    assert not Region.table_exists()


def test_truncate_table(db):
    db.bind([Region])
    Region.create_table()
    for name in 'abc':
        Region.create(name=name)
    Region.truncate_table()
    assert Region.select().count() == 0
    if engine_name(db) == 'postgres':
        Region.create(name='x')
        Region.truncate_table(restart_identity=True)
    assert Region.create(name='fresh').id == 1


# -- cycles through a deferred foreign key --------------------------------------------
def make_cycle():
    class CycleLeft(Model):
        name = TextField()
        right = DeferredForeignKey('CycleRight', null=True)

    class CycleRight(Model):
        name = TextField()
        left = ForeignKeyField(CycleLeft, null=True, backref='rights')

    return CycleLeft, CycleRight


def test_deferred_foreign_key_resolves():
    CycleLeft, CycleRight = make_cycle()
    field = CycleLeft._meta.fields['right']
    assert isinstance(field, ForeignKeyField) and field.deferred
    assert field.rel_model is CycleRight and field.column_name == 'right_id'
    # the cycle is broken at the deferred key
    assert sort_models([CycleRight, CycleLeft]) == [CycleLeft, CycleRight]


def test_deferred_foreign_key_cycle(fk_db):
    db = fk_db
    CycleLeft, CycleRight = make_cycle()
    db.bind([CycleLeft, CycleRight])
    db.create_tables([CycleRight, CycleLeft])
    assert db.get_foreign_keys('cycleleft') == []
    left = CycleLeft.create(name='l')
    right = CycleRight.create(name='r', left=left)
    left.right = right
    left.save()
    got = CycleLeft.get_by_id(left.id)
    assert got.right.name == 'r' and got.right.left.name == 'l'

    if engine_name(db) == 'sqlite':
        with pytest.raises(orm.NotSupportedError, match='SQLite'):
            CycleLeft._schema.create_foreign_key(CycleLeft.right)
        return
    CycleLeft._schema.create_foreign_key(CycleLeft.right)
    fks = db.get_foreign_keys('cycleleft')
    assert [(fk.column, fk.dest_table, fk.dest_column) for fk in fks] == \
        [('right_id', 'cycleright', 'id')]
    with pytest.raises(orm.IntegrityError):
        with db.atomic():
            CycleLeft.create(name='bad', right=9999)
    # the constraint now keeps the rows from being dropped one table at a time
    with pytest.raises(orm.DatabaseError):
        with db.atomic():
            CycleRight.drop_table()
    if engine_name(db) == 'mysql':
        # MySQL reads DROP TABLE ... CASCADE and ignores it: the key must go first
        with pytest.raises(orm.IntegrityError):
            CycleRight.drop_table(cascade=True)
        db.execute_sql('ALTER TABLE cycleleft DROP FOREIGN KEY %s'
                       % db.quote_identifier(fks[0].name))
    CycleRight.drop_table(cascade=True)
    CycleLeft.drop_table()
    assert db.get_tables() == []


# -- indexes ---------------------------------------------------------------------------
def make_article():
    class Article(Model):
        title = CharField(index=True)
        slug = CharField(unique=True)
        author = CharField()
        status = IntegerField(default=0)
        code = CharField(null=True)

        class Meta:
            indexes = ((('author', 'title'), True),)

    return Article


def test_indexes_from_fields_and_meta(db):
    Article = make_article()
    db.bind([Article])
    db.create_tables([Article])
    indexes = index_map(db, 'article')
    assert set(indexes) == {('title',), ('slug',), ('author', 'title')}
    assert not indexes[('title',)].unique
    assert indexes[('slug',)].unique
    assert indexes[('author', 'title')].unique
    assert indexes[('title',)].name == 'article_title'
    assert indexes[('author', 'title')].name == 'article_author_title'
    Article.create(title='t', slug='s1', author='a')
    with pytest.raises(orm.IntegrityError):
        with db.atomic():
            Article.create(title='t', slug='s2', author='a')
    with pytest.raises(orm.IntegrityError):
        with db.atomic():
            Article.create(title='u', slug='s1', author='a')
    # creating again is safe and adds nothing
    db.create_tables([Article])
    before = sorted(i.name for i in db.get_indexes('article'))
    Article._schema.create_indexes()
    assert sorted(i.name for i in db.get_indexes('article')) == before
    Article._schema.drop_indexes()
    assert index_map(db, 'article') == {}


# not on MySQL: it has no partial indexes, and MariaDB no indexes on expressions
@pytest.mark.engines('sqlite', 'postgres')
def test_model_index_partial_and_expression(db):
    Article = make_article()
    Article.add_index(Article.index(fn.lower(Article.author), Article.code, unique=True,
                                   name='article_lower_author_code'))
    Article.add_index(ModelIndex(Article, (Article.code,), unique=True,
                                 where=(Article.status == 1)))
    Article.add_index(Article.status, Article.code)
    Article.add_index(Article.index(fn.upper(Article.title)))     # a generated name
    db.bind([Article])
    db.create_tables([Article])
    db.create_tables([Article])                 # twice: the generated names are stable

    by_name = {i.name: i for i in db.get_indexes('article') if not i.name.endswith('_pkey')}
    expr = by_name['article_lower_author_code']
    assert expr.unique and 'lower' in expr.sql.lower()
    partial = [i for i in by_name.values() if i.sql and 'WHERE' in i.sql.upper()]
    assert len(partial) == 1 and partial[0].unique and partial[0].columns == ['code']
    assert any(i.columns == ['status', 'code'] and not i.unique for i in by_name.values())
    assert len(by_name) == 7
    (upper,) = [i for i in by_name.values() if 'upper' in i.sql.lower()]
    assert upper.name.startswith('article_expr')

    # the expression index makes author + code unique without regard to case
    Article.create(title='a', slug='1', author='Bob', code='x')
    with pytest.raises(orm.IntegrityError):
        with db.atomic():
            Article.create(title='b', slug='2', author='bob', code='x')
    # the partial index only constrains rows with status = 1
    Article.create(title='c', slug='3', author='c', code='dup', status=0)
    Article.create(title='d', slug='4', author='d', code='dup', status=1)
    Article.create(title='e', slug='5', author='e', code='dup', status=2)
    with pytest.raises(orm.IntegrityError):
        with db.atomic():
            Article.create(title='f', slug='6', author='f', code='dup', status=1)
    assert Article.select().count() == 4


def test_model_index_api():
    Article = make_article()
    index = Article.index(Article.title, Article.status, unique=True)
    assert index.name == 'article_title_status'
    partial = index.where(Article.status > 0)
    assert partial is not index and partial._where is not None and index._where is None
    assert Article.index('title').name == 'article_title'
    expr_name = Article.index(fn.lower(Article.author)).name
    assert expr_name.startswith('article_expr')
    assert Article.index(fn.lower(Article.author)).name == expr_name
    assert Article.index(fn.lower(Article.title)).name != expr_name
    with pytest.raises(ValueError, match='no field'):
        Article.index('nope').name
    with pytest.raises(ValueError):
        Article.index()


@pytest.mark.engines('postgres')
def test_index_using(db):
    Article = make_article()
    Article.add_index(Article.index(Article.author, using='hash'))
    db.bind([Article])
    db.create_tables([Article])
    (index,) = [i for i in db.get_indexes('article') if i.columns == ['author']]
    assert 'USING hash' in index.sql


def test_add_index_raw_sql(db):
    Article = make_article()
    Article.add_index(SQL('CREATE INDEX article_raw ON article (code, status)'))
    db.bind([Article])
    Article.create_table()
    by_name = {i.name: i for i in db.get_indexes('article')}
    assert by_name['article_raw'].columns == ['code', 'status']


def test_create_and_drop_single_index(db):
    Article = make_article()
    db.bind([Article])
    Article.create_table()
    extra = Article.index(Article.code, name='article_code_extra')
    Article._schema.create_index(extra)
    assert 'article_code_extra' in {i.name for i in db.get_indexes('article')}
    Article._schema.drop_index('article_code_extra')
    assert 'article_code_extra' not in {i.name for i in db.get_indexes('article')}


def test_foreign_key_columns_are_indexed(db):
    db.bind([Region, City])
    db.create_tables([Region, City])
    assert ('region_id',) in index_map(db, 'city')


# -- constraints -----------------------------------------------------------------------
def test_constraints_are_enforced(db):
    class Item(Model):
        a = IntegerField()
        b = IntegerField()
        price = IntegerField(constraints=[Check('price >= 0')])

        class Meta:
            constraints = [SQL('UNIQUE (a, b)'), Check('a <> b')]

    db.bind([Item])
    db.create_tables([Item])
    Item.create(a=1, b=2, price=0)
    for bad in ({'a': 1, 'b': 2, 'price': 1},      # UNIQUE (a, b)
                {'a': 3, 'b': 3, 'price': 1},      # CHECK a <> b
                {'a': 4, 'b': 5, 'price': -1}):    # CHECK price >= 0
        with pytest.raises(orm.IntegrityError):
            with db.atomic():
                Item.create(**bad)
    assert Item.select().count() == 1


# not on MySQL: MariaDB takes a named CHECK only as a table constraint, not on a column
# (tests/test_mysql.py checks a named table constraint)
@pytest.mark.engines('sqlite', 'postgres')
def test_named_check_constraint(db):
    class Named(Model):
        n = IntegerField(constraints=[Check('n > 0', name='n_positive')])

    db.bind([Named])
    db.create_tables([Named])
    with pytest.raises(orm.IntegrityError, match='n_positive'):
        with db.atomic():
            Named.create(n=0)


# -- sequences -------------------------------------------------------------------------
@pytest.mark.engines('postgres')
def test_sequences(db):
    class Ticket(Model):
        number = IntegerField(sequence='ticket_number_seq')
        note = TextField(default='')

    db.bind([Ticket])
    assert not db.sequence_exists('ticket_number_seq')
    db.create_tables([Ticket])
    assert db.sequence_exists('ticket_number_seq')
    Ticket.insert(note='a').execute()
    Ticket.insert(note='b').execute()
    Ticket.create(note='c')
    assert [t.number for t in Ticket.select().order_by(Ticket.id)] == [1, 2, 3]
    assert db.execute_sql("SELECT nextval('ticket_number_seq')").fetchone() == (4,)
    Ticket.drop_table(drop_sequences=False)
    assert db.sequence_exists('ticket_number_seq')
    Ticket._schema.drop_sequence(Ticket.number)
    assert not db.sequence_exists('ticket_number_seq')


@pytest.mark.engines('postgres')
def test_sequence_in_schema(db):
    db.execute_sql('CREATE SCHEMA other')
    try:
        class Ticket(Model):
            number = IntegerField(sequence='ticket_number_seq')

            class Meta:
                database = db
                schema = 'other'

        Ticket.create_table()
        assert db.sequence_exists('ticket_number_seq', schema='other')
        assert not db.sequence_exists('ticket_number_seq')
        Ticket.insert().execute()
        assert Ticket.get().number == 1
        Ticket.drop_table()
        assert not db.sequence_exists('ticket_number_seq', schema='other')
    finally:
        db.execute_sql('DROP SCHEMA IF EXISTS other CASCADE')


def test_sequences_unsupported_on_sqlite(sqlite_db):
    class Ticket(Model):
        number = IntegerField(sequence='ticket_number_seq')

    sqlite_db.bind([Ticket])
    with pytest.raises(orm.NotSupportedError, match='sequences'):
        Ticket._schema.create_sequence(Ticket.number)


# -- foreign key actions ----------------------------------------------------------------
def make_family():
    class Parent(Model):
        name = TextField()

    class Child(Model):
        parent = ForeignKeyField(Parent, on_delete='CASCADE', on_update='CASCADE',
                                 backref='children')
        name = TextField()

    class Pet(Model):
        owner = ForeignKeyField(Parent, null=True, on_delete='SET NULL', backref='pets')
        name = TextField()

    class Toy(Model):
        parent = ForeignKeyField(Parent, null=True, backref='toys')   # no action

    return Parent, Child, Pet, Toy


def test_on_delete_cascade_and_set_null(fk_db):
    db = fk_db
    Parent, Child, Pet, Toy = make_family()
    db.bind([Parent, Child, Pet, Toy])
    db.create_tables([Parent, Child, Pet, Toy])
    p1, p2 = Parent.create(name='p1'), Parent.create(name='p2')
    Child.create(parent=p1, name='c1')
    Child.create(parent=p1, name='c2')
    Child.create(parent=p2, name='c3')
    Pet.create(owner=p1, name='rex')
    Pet.create(owner=p2, name='tom')

    assert Parent.delete().where(Parent.id == p1.id).execute() == 1
    assert [c.name for c in Child.select()] == ['c3']
    assert sorted((p.name, p.owner_id) for p in Pet.select()) == [('rex', None),
                                                                  ('tom', p2.id)]


def test_on_update_cascade(fk_db):
    db = fk_db
    Parent, Child, Pet, Toy = make_family()
    db.bind([Parent, Child, Pet, Toy])
    db.create_tables([Parent, Child, Pet, Toy])
    p = Parent.create(name='p')
    Child.create(parent=p, name='c')
    Parent.update(id=100).where(Parent.id == p.id).execute()
    assert Child.get(Child.name == 'c').parent_id == 100


def test_foreign_keys_are_enforced(fk_db):
    db = fk_db
    Parent, Child, Pet, Toy = make_family()
    db.bind([Parent, Child, Pet, Toy])
    db.create_tables([Parent, Child, Pet, Toy])
    with pytest.raises(orm.IntegrityError):
        with db.atomic():
            Child.create(parent=12345, name='orphan')
    p = Parent.create(name='p')
    Toy.create(parent=p)
    # a referenced row cannot be deleted while a key without an action points at it
    with pytest.raises(orm.IntegrityError):
        with db.atomic():
            p.delete_instance()
    assert p.delete_instance(recursive=True) == 1
    assert Toy.get().parent_id is None


def test_foreign_key_ddl(fk_db):
    db = fk_db
    Parent, Child, Pet, Toy = make_family()
    db.bind([Parent, Child, Pet, Toy])
    db.create_tables([Parent, Child, Pet, Toy])
    fks = db.get_foreign_keys('child')
    assert [(fk.column, fk.dest_table, fk.dest_column) for fk in fks] == [
        ('parent_id', 'parent', 'id')]
    assert Child.parent.on_delete == 'CASCADE'


def test_bad_foreign_key_action_is_rejected():
    with pytest.raises(ValueError, match='on_delete'):
        class Bad(Model):
            parent = ForeignKeyField(Region, on_delete='EXPLODE')


# -- schema manager ----------------------------------------------------------------------
def test_schema_manager_create_all_and_drop_all(db):
    Article = make_article()
    db.bind([Article])
    Article._schema.create_all()
    assert Article.table_exists() and len(index_map(db, 'article')) == 3
    Article._schema.drop_all()
    assert not Article.table_exists()


def test_create_table_as(db):
    db.bind([Region])
    Region.create_table()
    Region.create(name='a')
    Region.create(name='b')
    Region.select(Region.name).where(Region.name == 'b').create_table('region_copy')
    assert db.execute_sql('SELECT name FROM region_copy').fetchall() == [('b',)]


def test_primary_key_ddl(db):
    class Custom(Model):
        key = AutoField()
        name = TextField()

    db.bind([Custom])
    db.create_tables([Custom])
    assert db.get_primary_keys('custom') == ['key']
    assert Custom.create(name='a').key == 1
