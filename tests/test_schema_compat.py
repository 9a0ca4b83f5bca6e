"""Schema management checked against peewee's documented behaviour, on every engine.

Each test names the peewee fact it relies on; the result is read back by introspection
(``get_indexes``, ``get_columns``, ``get_foreign_keys``, ``PRAGMA table_list``).
"""
from __future__ import annotations

import datetime
import decimal
import uuid

import pytest

from conftest import engine_name
from orm import (BigAutoField, BigIntegerField, BooleanField, CharField, CompositeKey,
                 DateTimeField, DecimalField, DeferredForeignKey, ForeignKeyField,
                 IntegerField, Metadata, Model, ModelIndex, NotSupportedError,
                 SmallIntegerField, TextField, UUIDField, fn)
from orm.schema import DDLStatement, ModelIndexNode


def index_names(db, table):
    return {i.name: i for i in db.get_indexes(table)
            if not i.name.endswith('_pkey') and not i.name.startswith('sqlite_autoindex')
            and i.name != 'PRIMARY'}        # MySQL's primary key


# -- ModelIndex is a class (peewee: Model.index() returns a ModelIndex instance) ----------
def test_model_index_is_a_class(db):
    class Note(Model):
        title = CharField()
        rank = IntegerField()

        class Meta:
            database = db

    index = Note.index(Note.title, Note.rank.desc(), unique=True)
    assert isinstance(index, ModelIndex)
    assert ModelIndexNode is ModelIndex
    assert isinstance(ModelIndex(Note, ('title',)), ModelIndex)
    Note.add_index(index)
    db.create_tables([Note])
    created = index_names(db, 'note')
    assert created['note_title_rank'].unique


def test_index_on_unknown_field_name_fails_when_declared():
    class Draft(Model):
        body = TextField()

    with pytest.raises(ValueError, match=r"Draft has no field 'bodyy'.*id, body"):
        Draft.add_index('bodyy')
    with pytest.raises(ValueError, match='no field'):
        Draft.index('nope')


# -- Meta.indexes is inheritable: the subclass indexes its own table ------------------------
# not on MySQL: the indexes inherited include a partial one on an expression (MySQL has
# no partial indexes, MariaDB no indexes on expressions)
@pytest.mark.engines('sqlite', 'postgres')
def test_inherited_indexes_index_the_subclass_table(db):
    class Product(Model):
        name = CharField()
        price = IntegerField()

        class Meta:
            database = db
            indexes = ((('name', 'price'), False),)

    Product.add_index(fn.lower(Product.name), unique=True, where=(Product.price > 0))
    Product.add_index(Product.price.desc())

    class Service(Product):
        hours = IntegerField()

    db.create_tables([Service, Product])
    service = index_names(db, 'service')
    product = index_names(db, 'product')
    assert 'service_name_price' in service and 'product_name_price' in product
    assert {'service_price'} <= set(service) and {'product_price'} <= set(product)
    unique = [i for i in service.values() if i.unique]
    assert len(unique) == 1 and unique[0].name.startswith('service_expr')
    # the parent keeps its own index objects, bound to its own table
    assert all(i.model is Product for i in Product._meta.indexes
               if isinstance(i, ModelIndex))
    assert all(i.model is Service for i in Service._meta.indexes
               if isinstance(i, ModelIndex))
    # the partial unique index works on the subclass table
    Service.create(name='Wash', price=3, hours=1)
    Service.create(name='wash', price=0, hours=1)        # outside the WHERE: allowed
    with pytest.raises(Exception):
        with db.atomic():
            Service.create(name='WASH', price=5, hours=2)


# -- SQLite STRICT tables (peewee: Meta.strict_tables, SQLite 3.37+) ------------------------
class _Counter(Model):
    id = BigAutoField()


def _strict_models(db):
    class Ledger(Model):
        big = BigIntegerField()
        small = SmallIntegerField()
        flag = BooleanField()
        when = DateTimeField()
        amount = DecimalField(max_digits=10, decimal_places=2)
        uid = UUIDField()
        counter = ForeignKeyField(_Counter, null=True)

        class Meta:
            database = db
            strict_tables = True

    class Entry(Model):
        code = CharField(primary_key=True)
        ledger = ForeignKeyField(Ledger)

        class Meta:
            database = db
            strict_tables = True
            without_rowid = True
    _Counter._meta.set_database(db)
    return Ledger, Entry


@pytest.mark.engines('sqlite')
def test_strict_tables_accept_every_field_type(db):
    Ledger, Entry = _strict_models(db)
    sql, _ = Entry._schema._create_table().query()
    assert sql.endswith(') STRICT, WITHOUT ROWID')     # peewee's order
    db.create_tables([_Counter, Ledger, Entry])
    strict = {row[1]: (row[4], row[5]) for row in db.execute_sql('PRAGMA table_list')}
    assert strict['ledger'] == (0, 1) and strict['entry'] == (1, 1)   # (wr, strict)
    when = datetime.datetime(2024, 5, 6, 7, 8, 9)
    uid = uuid.uuid4()
    counter = _Counter.create()
    ledger = Ledger.create(big=2 ** 40, small=3, flag=True, when=when,
                           amount=decimal.Decimal('12.34'), uid=uid, counter=counter)
    Entry.create(code='a', ledger=ledger)
    got = Ledger.get_by_id(ledger.id)
    assert (got.big, got.small, got.flag, got.when, got.amount, got.uid) == \
        (2 ** 40, 3, True, when, decimal.Decimal('12.34'), uid)
    assert got.counter_id == counter.id
    # STRICT: a value of the wrong type is refused by SQLite itself
    with pytest.raises(Exception):
        db.execute_sql('INSERT INTO ledger (big, small, flag, "when", amount, uid) '
                       "VALUES ('x', 1, 1, 'w', 1, 'u')")
    assert Entry.get().ledger.id == ledger.id


@pytest.mark.engines('postgres')
def test_strict_tables_are_sqlite_only(db):
    Ledger, _ = _strict_models(db)
    with pytest.raises(NotSupportedError, match='STRICT'):
        Ledger.create_table()


# -- clear errors for misuse -----------------------------------------------------------------
def test_composite_key_naming_unknown_field():
    with pytest.raises(ValueError, match=r"CompositeKey names 'b', which the model does not have"):
        class Pair(Model):
            a = IntegerField()

            class Meta:
                primary_key = CompositeKey('a', 'b')


def test_foreign_key_to_model_name_string():
    class Target(Model):
        pass

    with pytest.raises(TypeError, match=r"DeferredForeignKey\('Target'\)"):
        class Source(Model):
            target = ForeignKeyField('Target')


def test_create_table_with_unresolved_deferred_foreign_key(db):
    class Orphan(Model):
        parent = DeferredForeignKey('NeverDeclaredModel')

        class Meta:
            database = db

    with pytest.raises(ValueError, match="DeferredForeignKey to 'neverdeclaredmodel'"):
        Orphan.create_table()
    assert 'orphan' not in db.get_tables()


def test_create_foreign_key_misuse(db):
    class Owner(Model):
        pass

    class Pet(Model):
        owner = ForeignKeyField(Owner)
        age = IntegerField()

        class Meta:
            database = db

    Owner._meta.set_database(db)
    with pytest.raises(TypeError, match='takes a ForeignKeyField'):
        Pet._schema.create_foreign_key(Pet.age)
    with pytest.raises(ValueError, match='belongs to Pet'):
        Owner._schema.create_foreign_key(Pet.owner)


@pytest.mark.engines('postgres')
def test_create_sequence_needs_a_sequence(db):
    class Plain(Model):
        n = IntegerField()

        class Meta:
            database = db

    with pytest.raises(ValueError, match='has no sequence'):
        Plain._schema.create_sequence(Plain.n)


# -- DeferredForeignKey: inherited before it resolves, and cycles ---------------------------
def test_inherited_deferred_foreign_key_resolves(db):
    class Doc(Model):
        folder = DeferredForeignKey('LateFolder', null=True, backref='docs')

        class Meta:
            database = db

    class Memo(Doc):
        text = TextField(default='')

    class LateFolder(Model):
        name = TextField()

        class Meta:
            database = db

    assert isinstance(Memo._meta.fields['folder'], ForeignKeyField)
    # as in peewee, a resolved key takes its place after the fields declared so far
    assert Memo._meta.sorted_field_names == ['id', 'text', 'folder']
    assert hasattr(LateFolder, 'docs') and hasattr(LateFolder, 'memo_set')
    db.create_tables([LateFolder, Doc, Memo])
    folder = LateFolder.create(name='f')
    memo = Memo.create(folder=folder)
    assert [m.id for m in folder.memo_set] == [memo.id]
    assert {c.name for c in db.get_columns('memo')} == {'id', 'folder_id', 'text'}


def test_create_foreign_key_for_a_cycle(db):
    """peewee: tables in a DeferredForeignKey cycle are created first, then the deferred
    constraint is added with ``Model._schema.create_foreign_key(field)``."""
    class Language(Model):
        name = TextField()
        selected = DeferredForeignKey('Snippet', null=True)

        class Meta:
            database = db

    class Snippet(Model):
        code = TextField()
        language = ForeignKeyField(Language, backref='snippets')

        class Meta:
            database = db

    db.create_tables([Snippet, Language])
    assert db.get_foreign_keys('language') == []
    assert Language.selected.get_constraint_name() == 'fk_language_selected_id_refs_snippet'
    # the statement is built on every engine (as in peewee); SQLite refuses to run it
    statement = Language._schema._create_foreign_key(Language.selected)
    assert isinstance(statement, DDLStatement)
    assert statement.query()[0].replace('`', '"') == (
        'ALTER TABLE "language" ADD CONSTRAINT "fk_language_selected_id_refs_snippet" '
        'FOREIGN KEY ("selected_id") REFERENCES "snippet" ("id")')
    if engine_name(db) == 'sqlite':
        with pytest.raises(NotSupportedError, match='ADD CONSTRAINT'):
            Language._schema.create_foreign_key(Language.selected)
        return
    Language._schema.create_foreign_key(Language.selected)
    fks = db.get_foreign_keys('language')
    assert [(f.column, f.dest_table, f.dest_column) for f in fks] == \
        [('selected_id', 'snippet', 'id')]
    lang = Language.create(name='py')
    snip = Snippet.create(code='x', language=lang)
    Language.update(selected=snip).where(Language.id == lang.id).execute()
    with pytest.raises(Exception):
        with db.atomic():
            Language.update(selected=999).execute()
    # the cycle is dropped with CASCADE (it removes the constraint in the way); MySQL
    # reads CASCADE and ignores it: there the constraint goes first
    if engine_name(db) == 'mysql':
        db.execute_sql('ALTER TABLE language DROP FOREIGN KEY %s'
                       % db.quote_identifier(fks[0].name))
    Snippet.drop_table(cascade=True)
    Language.drop_table()
    assert not {'language', 'snippet'} & set(db.get_tables())


# -- SchemaManager statements: _create_x() returns the statement, .query() its SQL ----------
def test_schema_manager_statements(db):
    class Gadget(Model):
        name = CharField(index=True)

        class Meta:
            database = db

    sql, params = Gadget._schema._create_table(safe=False).query()
    sql = sql.replace('`', '"')              # MySQL quotes names with backticks
    assert sql.startswith('CREATE TABLE "gadget" (') and params == []
    db.execute(Gadget._schema._create_table())
    for statement in Gadget._schema._create_indexes():
        assert statement.query()[0].replace('`', '"').startswith(
            'CREATE INDEX IF NOT EXISTS "gadget_name"')
        db.execute(statement)
    assert set(index_names(db, 'gadget')) == {'gadget_name'}
    # (an index belongs to its table on MySQL: DROP INDEX ... ON table)
    assert [s.query()[0].replace('`', '"') for s in Gadget._schema._drop_indexes()] == \
        ['DROP INDEX IF EXISTS "gadget_name"' + (' ON "gadget"' if engine_name(db) == 'mysql'
                                                 else '')]
    Gadget.create(name='a')
    truncate = Gadget._schema._truncate_table().query()[0].replace('`', '"')
    assert truncate == ('DELETE FROM "gadget"' if engine_name(db) == 'sqlite'
                        else 'TRUNCATE TABLE "gadget"')
    db.execute(Gadget._schema._truncate_table())
    assert Gadget.select().count() == 0
    assert Gadget._schema._drop_table().sql()[0].replace('`', '"') == \
        'DROP TABLE IF EXISTS "gadget"'
    db.execute(Gadget._schema._drop_table())
    assert not Gadget.table_exists()


def test_make_table_name():
    class HTTPLogEntry(Model):
        pass

    meta = HTTPLogEntry._meta
    assert meta.make_table_name() == 'httplogentry'
    meta.legacy_table_names = False
    assert meta.make_table_name() == 'http_log_entry'
    meta.table_function = lambda model: 'tbl_' + model.__name__.lower()
    assert meta.make_table_name() == 'tbl_httplogentry'
    assert meta.table_name == 'httplogentry'        # computing a name does not rename
    assert isinstance(meta, Metadata)


# -- Meta.options with Meta.table_settings (PostgreSQL clause order) ------------------------
@pytest.mark.engines('postgres')
def test_storage_options_come_before_tablespace(db):
    class Sample(Model):
        value = IntegerField()

        class Meta:
            database = db
            options = {'fillfactor': 70}
            table_settings = ['TABLESPACE pg_default']

    assert Sample._schema._create_table().query()[0].endswith(
        ') WITH (fillfactor=70) TABLESPACE pg_default')
    Sample.create_table()
    reloptions, = db.execute_sql(
        "SELECT reloptions FROM pg_class WHERE relname = 'sample'").fetchone()
    assert reloptions == ['fillfactor=70']
    Sample.create(value=1)
    assert Sample.select().count() == 1


def test_foreign_key_to_unknown_field_name():
    class Account(Model):
        code = CharField(unique=True)

    with pytest.raises(ValueError, match=r"Account has no field 'kode'.*id, code"):
        class Charge(Model):
            account = ForeignKeyField(Account, field='kode')

    class Refund(Model):
        account = ForeignKeyField(Account, field='code')

    assert Refund.account.rel_field is Account.code
