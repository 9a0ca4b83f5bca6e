"""Generated names and PostgreSQL's 63-byte identifiers (issue 13).

PostgreSQL cuts every identifier longer than 63 bytes of UTF-8, so two long generated
names that differ only after that point would become one.  orm fits the names it makes
up (of indexes, constraints, and the sequence and primary key renamed with a table) to
63 bytes there, ending a long one with a digest; short names stay as they always were.
"""
from __future__ import annotations

import pytest

from conftest import engine_name
from orm import ForeignKeyField, IntegerField, Model, PostgresqlDatabase, SqliteDatabase
from orm.schema import make_index_name
from playhouse.migrate import SchemaMigrator, migrate

PG_LIMIT = 63

#: long names: ASCII, two-byte and three-byte characters
LONG_NAMES = {'ascii': 'b' * 62, 'latin': 'é' * 31, 'cjk': '表' * 21}   # 62, 62, 63 bytes


def nbytes(name: str) -> int:
    return len(name.encode('utf-8'))


def catalog_names(db) -> dict:
    """Every relation of the test schema on PostgreSQL: name -> kind."""
    cursor = db.execute_sql(
        "SELECT c.relname, c.relkind FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema()")
    return dict(cursor.fetchall())


def test_short_names_are_unchanged_and_long_ones_fit_on_postgres():
    pg, lite = PostgresqlDatabase(None).dialect, SqliteDatabase(None).dialect
    for dialect in (pg, lite):
        assert dialect.fit_generated_name('book_author_id_title') == 'book_author_id_title'
        assert dialect.fit_generated_name('x' * 63) == 'x' * 63
    assert lite.fit_generated_name('x' * 200) == 'x' * 200      # SQLite keeps any length
    for long_name in ['x' * 64, 'é' * 32, '表' * 22, 'ab' * 100]:
        fitted = pg.fit_generated_name(long_name)
        assert nbytes(fitted) <= PG_LIMIT
        assert fitted != pg.fit_generated_name(long_name + 'z')
        assert fitted.startswith(long_name[:15])
    # a multibyte character is never cut in half
    fitted = pg.fit_generated_name('a' + '表' * 30)
    fitted.encode('utf-8').decode('utf-8')
    assert nbytes(fitted) <= PG_LIMIT


@pytest.mark.parametrize('script', sorted(LONG_NAMES))
def test_two_indexes_on_a_long_table_name_stay_two(db, script):
    table = LONG_NAMES[script]

    class Wide(Model):
        first_column = IntegerField(index=True)
        first_columns = IntegerField(index=True)

        class Meta:
            database = db
            table_name = table
            legacy_table_names = False

    # the generic names differ only near their end, where PostgreSQL would cut them
    generic = [make_index_name(table, [c]) for c in ('first_column', 'first_columns')]
    assert generic[0] != generic[1]
    db.create_tables([Wide])
    names = {i.name for i in db.get_indexes(table) if not i.unique}
    assert len(names) == 2
    if engine_name(db) == 'postgres':
        assert all(nbytes(name) <= PG_LIMIT for name in names)
    else:
        assert names == set(generic)       # SQLite: the names peewee gives
    Wide.create(first_column=1, first_columns=2)
    assert Wide.select().where(Wide.first_columns == 2).count() == 1
    Wide._schema.drop_indexes()
    assert not [i for i in db.get_indexes(table) if not i.unique]


@pytest.mark.engines('postgres')
@pytest.mark.parametrize('script', sorted(LONG_NAMES))
def test_rename_table_to_a_long_name_keeps_the_serial_key_working(db, script):
    new_name = LONG_NAMES[script]
    db.execute_sql('CREATE TABLE src (id SERIAL PRIMARY KEY, v INTEGER)')
    db.execute_sql('INSERT INTO src (v) VALUES (1)')
    migrator = SchemaMigrator.from_database(db)
    migrate(migrator.rename_table('src', new_name))
    names = catalog_names(db)
    assert new_name in names and 'src' not in names
    assert 'src_id_seq' not in names and 'src_pkey' not in names
    assert all(nbytes(name) <= PG_LIMIT for name in names)
    assert sorted(names.values()) == ['S', 'i', 'r']       # sequence, key index, table
    quoted = db.quote_identifier(new_name)
    db.execute_sql('INSERT INTO %s (v) VALUES (2)' % quoted)
    assert db.execute_sql('SELECT id, v FROM %s ORDER BY id' % quoted).fetchall() == [
        (1, 1), (2, 2)]
    # and back: the fitted names are recognised as the table's own, and renamed again
    migrate(migrator.rename_table(new_name, 'src'))
    assert catalog_names(db) == {'src': 'r', 'src_id_seq': 'S', 'src_pkey': 'i'}


@pytest.mark.engines('postgres')
def test_migrator_indexes_and_constraints_on_long_names(db):
    table = 'évènement_' * 6          # 96 bytes
    quoted = db.quote_identifier(table)
    db.execute_sql('CREATE TABLE parent (id SERIAL PRIMARY KEY)')
    db.execute_sql('CREATE TABLE %s (id SERIAL PRIMARY KEY, parent_id INTEGER, '
                   'a_long_column_name INTEGER, a_long_column_names INTEGER)' % quoted)
    real_table = catalog_names(db)
    real_table = [n for n, kind in real_table.items() if kind == 'r' and n != 'parent'][0]
    migrator = SchemaMigrator.from_database(db)
    migrate(migrator.add_index(real_table, ('a_long_column_name',)),
            migrator.add_index(real_table, ('a_long_column_names',)),
            migrator.add_unique(real_table, 'a_long_column_name'),
            migrator.add_unique(real_table, 'a_long_column_names'),
            migrator.add_foreign_key_constraint(real_table, 'parent_id', 'parent'))
    indexes = {i.name for i in db.get_indexes(real_table)}
    assert len(indexes) == 5                     # the key, two indexes, two unique
    assert all(nbytes(name) <= PG_LIMIT for name in indexes)
    assert len(db.get_foreign_keys(real_table)) == 1


@pytest.mark.engines('postgres')
def test_long_foreign_key_constraint_names_fit(db):
    class Owner(Model):
        class Meta:
            database = db

    class Holding(Model):
        owner_with_a_particularly_long_foreign_key_name = ForeignKeyField(Owner)
        owner_with_a_particularly_long_foreign_key_names = ForeignKeyField(Owner)

        class Meta:
            database = db
            table_name = 'holding_' + 'ü' * 20

    db.create_tables([Owner, Holding])
    for field in (Holding.owner_with_a_particularly_long_foreign_key_name,
                  Holding.owner_with_a_particularly_long_foreign_key_names):
        Holding._schema.create_foreign_key(field)
    cursor = db.execute_sql(
        "SELECT conname FROM pg_catalog.pg_constraint WHERE contype = 'f' "
        "AND conname LIKE 'fk_%%'")
    names = [row[0] for row in cursor.fetchall()]
    assert len(set(names)) == 2 and all(nbytes(n) <= PG_LIMIT for n in names)


def test_cockroachdb_fits_generated_index_names_as_postgres_does():
    # CockroachDB speaks PostgreSQL's dialect and its 63-byte limit: the DDL it is sent
    # names two indexes on one long table differently, each within the limit
    from playhouse.cockroachdb import CockroachDatabase
    crdb = CockroachDatabase(None)

    class Wide(Model):
        first = IntegerField(index=True)
        second = IntegerField(index=True)

        class Meta:
            database = crdb
            table_name = 'w' * 60
            legacy_table_names = False      # index names start with the table's name

    statements = [crdb.dialect.compile(index)[0] for index in
                  Wide._meta.fields_to_index()]
    names = [sql.split('"')[1] for sql in statements]
    assert len(set(names)) == 2 and all(nbytes(name) <= PG_LIMIT for name in names)
    assert names == [crdb.dialect.fit_generated_name(make_index_name('w' * 60, [column]))
                     for column in ('first', 'second')]
