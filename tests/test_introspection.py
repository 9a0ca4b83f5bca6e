"""Introspection returns the same tuples, in the same shape, on every engine."""
from __future__ import annotations

import pytest

from conftest import engine_name
from orm import CharField, ForeignKeyField, Model
from orm.database import ColumnMetadata, ForeignKeyMetadata, IndexMetadata, ViewMetadata

SCHEMA = [
    'CREATE TABLE person ('
    ' id INTEGER PRIMARY KEY,'
    ' name VARCHAR(100) NOT NULL,'
    ' email TEXT,'
    ' age INTEGER DEFAULT 18)',
    'CREATE UNIQUE INDEX person_email ON person (email)',
    'CREATE INDEX person_name_age ON person (name, age)',
    'CREATE TABLE note ('
    ' id INTEGER PRIMARY KEY,'
    ' person_id INTEGER NOT NULL REFERENCES person (id),'
    ' body TEXT,'
    ' code VARCHAR(10) UNIQUE)',
    'CREATE TABLE tag_link ('
    ' a INTEGER NOT NULL,'
    ' b INTEGER NOT NULL,'
    ' note_id INTEGER REFERENCES note (id),'
    ' PRIMARY KEY (b, a))',
    'CREATE TABLE pair_ref ('
    ' id INTEGER PRIMARY KEY,'
    ' la INTEGER, lb INTEGER,'
    ' FOREIGN KEY (lb, la) REFERENCES tag_link (b, a))',
    'CREATE VIEW adults AS SELECT name FROM person WHERE age >= 18',
]

TYPES = {
    'sqlite': ['INTEGER', 'VARCHAR(100)', 'TEXT', 'INTEGER'],
    'postgres': ['integer', 'character varying', 'text', 'integer'],
    'mysql': ['int', 'varchar', 'text', 'int'],
}
#: the types with their parameters (``ColumnMetadata.full_type``)
FULL_TYPES = {
    'sqlite': ['INTEGER', 'VARCHAR(100)', 'TEXT', 'INTEGER'],
    'postgres': ['integer', 'character varying(100)', 'text', 'integer'],
    'mysql': ['int(11)', 'varchar(100)', 'text', 'int(11)'],
}


@pytest.fixture
def idb(db):
    for sql in SCHEMA:
        db.execute_sql(sql)
    return db


def test_get_tables_and_views(idb):
    assert idb.get_tables() == ['note', 'pair_ref', 'person', 'tag_link']
    views = idb.get_views()
    assert [type(v) for v in views] == [ViewMetadata]
    assert views[0].name == 'adults'
    sql = views[0].sql.upper()
    assert sql.startswith('CREATE VIEW') and 'SELECT' in sql and 'PERSON' in sql
    assert idb.table_exists('person')
    assert not idb.table_exists('adults')      # a view is not a table
    assert not idb.table_exists('missing')


def test_get_columns(idb):
    columns = idb.get_columns('person')
    assert all(type(c) is ColumnMetadata for c in columns)
    assert ColumnMetadata._fields == ('name', 'data_type', 'null', 'primary_key', 'table',
                                      'default', 'full_type', 'identity')
    assert [c.name for c in columns] == ['id', 'name', 'email', 'age']
    assert [c.data_type for c in columns] == TYPES[engine_name(idb)]
    assert [c.full_type for c in columns] == FULL_TYPES[engine_name(idb)]
    # SQLite numbers an INTEGER PRIMARY KEY (the rowid); PostgreSQL a serial or identity
    # column only, not a plain integer key
    assert [c.identity for c in columns] == [engine_name(idb) == 'sqlite', False, False,
                                             False]
    assert [c.null for c in columns] == [False, False, True, True]
    assert [c.primary_key for c in columns] == [True, False, False, False]
    assert {c.table for c in columns} == {'person'}
    assert [c.default for c in columns[:3]] == [None, None, None]
    assert '18' in columns[3].default
    link = idb.get_columns('tag_link')
    assert [(c.name, c.primary_key, c.null) for c in link] == [
        ('a', True, False), ('b', True, False), ('note_id', False, True)]


def test_get_primary_keys(idb):
    assert idb.get_primary_keys('person') == ['id']
    assert idb.get_primary_keys('tag_link') == ['b', 'a']     # key order, not table order
    idb.execute_sql('CREATE TABLE nopk (x INTEGER)')
    assert idb.get_primary_keys('nopk') == []


def test_get_indexes(idb):
    indexes = idb.get_indexes('person')
    assert all(type(i) is IndexMetadata for i in indexes)
    assert IndexMetadata._fields == ('name', 'sql', 'columns', 'unique', 'table')
    by_name = {i.name: i for i in indexes}
    email = by_name['person_email']
    assert email.columns == ['email'] and email.unique is True and email.table == 'person'
    assert 'UNIQUE INDEX' in email.sql.upper() and 'person_email' in email.sql
    multi = by_name['person_name_age']
    assert multi.columns == ['name', 'age'] and multi.unique is False
    assert multi.sql.upper().startswith('CREATE INDEX')
    assert [i.name for i in indexes] == sorted(i.name for i in indexes)
    # A UNIQUE constraint is backed by a unique index on both engines.
    note_unique = [i for i in idb.get_indexes('note') if i.columns == ['code']]
    assert len(note_unique) == 1 and note_unique[0].unique is True
    # So is a composite primary key (the key's column order is kept).
    link_pk = [i for i in idb.get_indexes('tag_link') if i.columns == ['b', 'a']]
    assert len(link_pk) == 1 and link_pk[0].unique is True


def where_to(fks):
    """The first four fields of each ForeignKeyMetadata: column, dest_table, dest_column,
    table."""
    return [tuple(fk[:4]) for fk in fks]


def default_action(db):
    """What an undeclared ON DELETE / ON UPDATE reads back as: MariaDB says RESTRICT
    (the same as NO ACTION on InnoDB, which checks at once), the others NO ACTION."""
    return 'RESTRICT' if engine_name(db) == 'mysql' and db.mariadb else 'NO ACTION'


def test_get_foreign_keys(idb):
    fks = idb.get_foreign_keys('note')
    assert where_to(fks) == [('person_id', 'person', 'id', 'note')]
    assert all(type(fk) is ForeignKeyMetadata for fk in fks)
    assert ForeignKeyMetadata._fields == ('column', 'dest_table', 'dest_column', 'table',
                                          'name', 'on_delete', 'on_update')
    # undeclared actions are the engine's default; SQLite's constraints have no names
    assert (fks[0].on_delete, fks[0].on_update) == (default_action(idb),) * 2
    if engine_name(idb) == 'sqlite':
        assert fks[0].name is None
    elif engine_name(idb) == 'mysql':   # InnoDB names an unnamed constraint <table>_ibfk_<n>
        assert fks[0].name == 'note_ibfk_1'
    else:
        assert fks[0].name == 'note_person_id_fkey'
    assert where_to(idb.get_foreign_keys('tag_link')) == [
        ('note_id', 'note', 'id', 'tag_link')]
    assert where_to(idb.get_foreign_keys('pair_ref')) == [
        ('lb', 'tag_link', 'b', 'pair_ref'),
        ('la', 'tag_link', 'a', 'pair_ref')]
    assert idb.get_foreign_keys('person') == []


def test_metadata_tuples_can_be_built_short():
    """The fields peewee 4 added at the end may be left out (older code builds the
    tuples with the first fields only)."""
    column = ColumnMetadata('id', 'INTEGER', False, True, 't', None)
    assert (column.full_type, column.identity) == (None, False)
    fk = ForeignKeyMetadata('a_id', 'a', 'id', 't')
    assert (fk.name, fk.on_delete, fk.on_update) == (None, None, None)


def test_identity_and_referential_actions_of_models(db):
    class Parent(Model):
        name = CharField(max_length=40)

        class Meta:
            database = db

    class Child(Model):
        parent = ForeignKeyField(Parent, on_delete='CASCADE', on_update='CASCADE')
        other = ForeignKeyField(Parent, null=True, on_delete='SET NULL')
        plain = ForeignKeyField(Parent, null=True)

        class Meta:
            database = db

    db.create_tables([Parent, Child])
    columns = {c.name: c for c in db.get_columns('parent')}
    assert columns['id'].identity is True           # AutoField: numbered by the database
    assert columns['name'].identity is False
    assert columns['name'].full_type.lower() in ('varchar(40)', 'character varying(40)')
    assert {c.name: c.identity for c in db.get_columns('child')}['parent_id'] is False
    fks = {fk.column: fk for fk in db.get_foreign_keys('child')}
    assert (fks['parent_id'].on_delete, fks['parent_id'].on_update) == ('CASCADE', 'CASCADE')
    assert (fks['other_id'].on_delete, fks['other_id'].on_update) == ('SET NULL',
                                                                       default_action(db))
    assert (fks['plain_id'].on_delete, fks['plain_id'].on_update) == (default_action(db),) * 2


def test_sqlite_identity_is_the_rowid_alias(sqlite_db):
    sqlite_db.execute_sql('CREATE TABLE a (id INTEGER PRIMARY KEY, x INTEGER)')
    sqlite_db.execute_sql('CREATE TABLE b (id INT PRIMARY KEY)')          # not the rowid
    sqlite_db.execute_sql('CREATE TABLE c (id INTEGER PRIMARY KEY) WITHOUT ROWID')
    sqlite_db.execute_sql('CREATE TABLE d (i INTEGER, j INTEGER, PRIMARY KEY (i, j))')
    numbered = {t: [c.name for c in sqlite_db.get_columns(t) if c.identity]
                for t in 'abcd'}
    assert numbered == {'a': ['id'], 'b': [], 'c': [], 'd': []}


def test_pg_identity_columns(pg_db):
    pg_db.execute_sql('CREATE TABLE ident (a INT GENERATED BY DEFAULT AS IDENTITY, '
                      'b BIGSERIAL, c INTEGER DEFAULT 3, d INTEGER)')
    assert [(c.name, c.identity) for c in pg_db.get_columns('ident')] == [
        ('a', True), ('b', True), ('c', False), ('d', False)]
    assert [c.full_type for c in pg_db.get_columns('ident')] == [
        'integer', 'bigint', 'integer', 'integer']


def test_sqlite_indexes_of_a_table_only_an_attached_database_has(sqlite_db, tmp_path):
    """Without a schema, get_indexes() looks at the database's own tables (main, then
    temp), not at a table of the same name in an attached database."""
    sqlite_db.attach(str(tmp_path / 'other.db'), 'other')
    sqlite_db.execute_sql('CREATE TABLE other.kv (k TEXT UNIQUE)')
    assert [i.columns for i in sqlite_db.get_indexes('kv', 'other')] == [['k']]
    assert sqlite_db.get_indexes('kv') == []
    sqlite_db.execute_sql('CREATE TEMPORARY TABLE kv (k TEXT, v TEXT UNIQUE)')
    assert [i.columns for i in sqlite_db.get_indexes('kv')] == [['v']]


def test_introspection_of_missing_table_is_empty(idb):
    assert idb.get_columns('missing') == []
    assert idb.get_indexes('missing') == []
    assert idb.get_primary_keys('missing') == []
    assert idb.get_foreign_keys('missing') == []


def test_same_shape_everywhere(idb):
    shapes = {
        'tables': [type(t) for t in idb.get_tables()],
        'columns': [tuple(type(x).__name__ for x in c[:5]) for c in idb.get_columns('note')],
        'indexes': [(type(i.columns), type(i.unique)) for i in idb.get_indexes('person')],
    }
    assert set(shapes['tables']) == {str}
    assert set(shapes['columns']) == {('str', 'str', 'bool', 'bool', 'str')}
    assert set(shapes['indexes']) == {(list, bool)}


def test_sqlite_references_without_column_resolve_to_primary_key(sqlite_db):
    sqlite_db.execute_sql('CREATE TABLE p (code TEXT PRIMARY KEY)')
    sqlite_db.execute_sql('CREATE TABLE c (id INTEGER PRIMARY KEY, p_code TEXT REFERENCES p)')
    assert where_to(sqlite_db.get_foreign_keys('c')) == [('p_code', 'p', 'code', 'c')]


def test_pg_other_schema(pg_db):
    pg_db.execute_sql('DROP SCHEMA IF EXISTS other CASCADE')
    pg_db.execute_sql('CREATE SCHEMA other')
    try:
        pg_db.execute_sql('CREATE TABLE other.thing (id INTEGER PRIMARY KEY, v TEXT NOT NULL)')
        pg_db.execute_sql('CREATE INDEX thing_v ON other.thing (v)')
        pg_db.execute_sql('CREATE VIEW other.things AS SELECT v FROM other.thing')
        pg_db.execute_sql('CREATE SEQUENCE other.seq')
        assert pg_db.get_tables() == []
        assert pg_db.get_tables(schema='other') == ['thing']
        assert pg_db.table_exists('thing', schema='other')
        assert [v.name for v in pg_db.get_views(schema='other')] == ['things']
        assert [c.name for c in pg_db.get_columns('thing', schema='other')] == ['id', 'v']
        assert pg_db.get_primary_keys('thing', schema='other') == ['id']
        assert 'thing_v' in [i.name for i in pg_db.get_indexes('thing', schema='other')]
        assert pg_db.sequence_exists('seq', schema='other')
        assert not pg_db.sequence_exists('seq')
    finally:
        pg_db.execute_sql('DROP SCHEMA other CASCADE')


def test_pg_expression_index_columns(pg_db):
    pg_db.execute_sql('CREATE TABLE e (id INTEGER PRIMARY KEY, name TEXT)')
    pg_db.execute_sql('CREATE INDEX e_lower ON e (lower(name), id)')
    index = [i for i in pg_db.get_indexes('e') if i.name == 'e_lower'][0]
    assert index.columns == ['lower(name)', 'id']
