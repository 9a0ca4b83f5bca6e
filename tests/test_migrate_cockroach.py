"""CockroachDBMigrator: the SQL text of every operation in CockroachDB's form.

No CockroachDB server exists in the test environment, so the statements are rendered
from an unconnected :class:`CockroachDatabase` (the text is the contract here).  The
same operations run for real against PostgreSQL in ``test_migrate.py``, and the
migrator attached to the PostgreSQL server at the end of this file.
"""
from __future__ import annotations

import pytest

from orm import (SQL, BigIntegerField, CharField, Check, ForeignKeyField, IntegerField,
                 Model, TextField)
from playhouse.cockroachdb import CockroachDatabase
from playhouse.migrate import CockroachDBMigrator, Operation, SchemaMigrator

crdb = CockroachDatabase(None)


class Author(Model):
    name = CharField()

    class Meta:
        database = crdb
        table_name = 'author'


def statements(op: Operation) -> list:
    """The statements ``op`` would execute, as SQL text (nested operations expanded)."""
    out: list = []

    def collect(result):
        if result is None:
            return
        if isinstance(result, Operation):
            collect(getattr(result.migrator, result.method)(
                *result.args, with_context=True, **result.kwargs))
        elif isinstance(result, (list, tuple)):
            for item in result:
                collect(item)
        else:
            out.append(result if isinstance(result, str) else op.migrator.render(result))
    collect(op)
    return out


@pytest.fixture
def migrator():
    m = SchemaMigrator.from_database(crdb)
    assert type(m) is CockroachDBMigrator
    assert m.transactional_ddl is False          # each statement commits by itself
    return m


def test_add_column_forms(migrator):
    assert statements(migrator.add_column('book', 'isbn', CharField(null=True))) == [
        'ALTER TABLE "book" ADD COLUMN "isbn" VARCHAR(255)']
    # NOT NULL with a default: added nullable, filled, then made NOT NULL
    assert statements(migrator.add_column('book', 'copies', IntegerField(default=7))) == [
        'ALTER TABLE "book" ADD COLUMN "copies" INTEGER',
        'UPDATE "book" SET "copies" = 7',
        'ALTER TABLE "book" ALTER COLUMN "copies" SET NOT NULL']
    assert statements(migrator.add_column('book', 'slug',
                                          CharField(null=True, unique=True))) == [
        'ALTER TABLE "book" ADD COLUMN "slug" VARCHAR(255)',
        'CREATE UNIQUE INDEX "book_slug" ON "book" ("slug")']


def test_add_foreign_key_column_is_constrained_separately(migrator):
    field = ForeignKeyField(Author, null=True, on_delete='CASCADE')
    assert statements(migrator.add_column('book', 'editor_id', field)) == [
        'ALTER TABLE "book" ADD COLUMN "editor_id" INTEGER',
        'ALTER TABLE "book" ADD CONSTRAINT "fk_book_editor_id_refs_author" FOREIGN KEY '
        '("editor_id") REFERENCES "author" ("id") ON DELETE CASCADE',
        'CREATE INDEX "book_editor_id" ON "book" ("editor_id")']


def test_drop_and_rename_column(migrator):
    assert statements(migrator.drop_column('book', 'note')) == [
        'ALTER TABLE "book" DROP COLUMN "note" CASCADE']
    assert statements(migrator.drop_column('book', 'note', cascade=False)) == [
        'ALTER TABLE "book" DROP COLUMN "note"']
    assert statements(migrator.rename_column('book', 'title', 'name')) == [
        'ALTER TABLE "book" RENAME COLUMN "title" TO "name"']


def test_not_null_and_defaults(migrator):
    assert statements(migrator.add_not_null('book', 'title')) == [
        'ALTER TABLE "book" ALTER COLUMN "title" SET NOT NULL']
    assert statements(migrator.drop_not_null('book', 'title')) == [
        'ALTER TABLE "book" ALTER COLUMN "title" DROP NOT NULL']
    assert statements(migrator.add_column_default('book', 'price', 42)) == [
        'ALTER TABLE "book" ALTER COLUMN "price" SET DEFAULT 42']
    assert statements(migrator.add_column_default('book', 'title', "o'neil")) == [
        'ALTER TABLE "book" ALTER COLUMN "title" SET DEFAULT \'o\'\'neil\'']
    assert statements(migrator.add_column_default('book', 'created', SQL('now()'))) == [
        'ALTER TABLE "book" ALTER COLUMN "created" SET DEFAULT now()']
    assert statements(migrator.drop_column_default('book', 'price')) == [
        'ALTER TABLE "book" ALTER COLUMN "price" DROP DEFAULT']


def test_alter_column_type_enables_the_general_form(migrator):
    assert statements(migrator.alter_column_type('author', 'age', BigIntegerField())) == [
        'SET enable_experimental_alter_column_type_general = true',
        'ALTER TABLE "author" ALTER COLUMN "age" TYPE BIGINT']
    assert statements(migrator.alter_column_type('book', 'code', IntegerField(),
                                                 cast='INTEGER')) == [
        'SET enable_experimental_alter_column_type_general = true',
        'ALTER TABLE "book" ALTER COLUMN "code" TYPE INTEGER USING CAST("code" AS INTEGER)']
    assert statements(migrator.alter_column_type('book', 'title', TextField()))[-1] == \
        'ALTER TABLE "book" ALTER COLUMN "title" TYPE TEXT'


def test_rename_table_renames_only_the_table(migrator):
    # no catalog query: CockroachDB keys have no serial sequence to rename
    assert statements(migrator.rename_table('author', 'writer')) == [
        'ALTER TABLE "author" RENAME TO "writer"']


def test_indexes(migrator):
    assert statements(migrator.add_index('review', ('book_id', 'stars'), unique=True)) == [
        'CREATE UNIQUE INDEX "review_book_id_stars" ON "review" ("book_id", "stars")']
    assert statements(migrator.add_index('doc', ('tags',), using='GIN')) == [
        'CREATE INDEX "doc_tags" ON "doc" USING GIN ("tags")']
    assert statements(migrator.drop_index('book', 'book_title')) == [
        'DROP INDEX "book"@"book_title"']


def test_constraints(migrator):
    assert statements(migrator.add_constraint('book', 'price_positive',
                                              Check('price >= 0'))) == [
        'ALTER TABLE "book" ADD CONSTRAINT "price_positive" CHECK (price >= 0)']
    assert statements(migrator.drop_constraint('book', 'price_positive')) == [
        'ALTER TABLE "book" DROP CONSTRAINT "price_positive"']
    assert statements(migrator.add_unique('author', 'name', 'email')) == [
        'ALTER TABLE "author" ADD CONSTRAINT "author_name_email_uniq" '
        'UNIQUE ("name", "email")']
    assert statements(migrator.add_foreign_key_constraint(
            'loan', 'book_ref', 'book', 'id', on_delete='SET NULL', on_update='CASCADE')) == [
        'ALTER TABLE "loan" ADD CONSTRAINT "fk_loan_book_ref_refs_book" FOREIGN KEY '
        '("book_ref") REFERENCES "book" ("id") ON DELETE SET NULL ON UPDATE CASCADE']


def test_tables_and_raw_sql(migrator):
    assert statements(migrator.drop_table('old', safe=True, cascade=True)) == [
        'DROP TABLE IF EXISTS "old" CASCADE']
    assert statements(migrator.set_search_path('app')) == ['SET search_path TO "app"']


def test_schema_qualifies_tables(migrator):
    m = SchemaMigrator.from_database(crdb, schema='app')
    assert statements(m.add_column('book', 'isbn', CharField(null=True))) == [
        'ALTER TABLE "app"."book" ADD COLUMN "isbn" VARCHAR(255)']
    assert statements(m.add_index('book', ('isbn',))) == [
        'CREATE INDEX "book_isbn" ON "app"."book" ("isbn")']
    assert statements(m.drop_index('book', 'book_isbn')) == [
        'DROP INDEX "app"."book"@"book_isbn"']
    assert statements(m.add_foreign_key_constraint('loan', 'book_ref', 'book', 'id')) == [
        'ALTER TABLE "app"."loan" ADD CONSTRAINT "fk_loan_book_ref_refs_book" FOREIGN KEY '
        '("book_ref") REFERENCES "app"."book" ("id")']
