"""playhouse.sqlite_changelog: triggers that log inserts, updates and deletes as JSON,
on SQLite files (sqlite3 and APSW) and in memory."""
from __future__ import annotations

import datetime

import pytest

from orm import (BlobField, DateField, FloatField, ForeignKeyField, IntegerField, Model,
                 TextField)
from playhouse.sqlite_changelog import ChangeLog
from playhouse.sqlite_ext import JSONField


class Author(Model):
    name = TextField()
    born = DateField(null=True)


class Book(Model):
    author = ForeignKeyField(Author, on_delete='CASCADE')
    title = TextField()
    price = FloatField(null=True)
    edited = IntegerField(default=0)


class Doc(Model):
    meta = JSONField(null=True)
    cover = BlobField(null=True)

    class Meta:
        table_name = 'odd "doc" table'


MODELS = [Author, Book, Doc]


@pytest.fixture
def log(sqlite_db):
    sqlite_db.pragma('foreign_keys', 1)
    for model in MODELS:
        model.bind(sqlite_db)
    sqlite_db.create_tables(MODELS)
    changelog = ChangeLog(sqlite_db)
    changelog.install(Author)
    changelog.install(Book, skip_fields=[Book.edited])
    changelog.install(Doc)
    yield changelog
    sqlite_db.drop_tables(MODELS + [changelog.model])


def entries(changelog, after=0):
    CL = changelog.model
    return list(CL.select(CL.action, CL.table, CL.changes).where(CL.id > after)
                .order_by(CL.id).tuples())


def last_id(changelog):
    return changelog.model.select().count()


def test_insert_update_delete_are_logged(log):
    ann = Author.create(name='Ann', born=datetime.date(1970, 2, 3))
    book = Book.create(author=ann, title='Draft', price=9.5)
    assert entries(log) == [
        ('INSERT', 'author', {'name': [None, 'Ann'], 'born': [None, '1970-02-03']}),
        ('INSERT', 'book', {'author_id': [None, ann.id], 'title': [None, 'Draft'],
                            'price': [None, 9.5]}),
    ]
    mark = last_id(log)
    book.title = 'Final'
    book.edited = 1          # skipped: not in the changes
    book.save()
    ann.save()               # nothing changed: logged with an empty object
    Book.update(edited=Book.edited + 1).execute()
    assert entries(log, mark) == [
        ('UPDATE', 'book', {'title': ['Draft', 'Final']}),
        ('UPDATE', 'author', {}),
        ('UPDATE', 'book', {}),
    ]
    mark = last_id(log)
    ann.delete_instance()    # the book goes too, by ON DELETE CASCADE
    assert entries(log, mark) == [
        ('DELETE', 'book', {'author_id': [ann.id, None], 'title': ['Final', None],
                            'price': [9.5, None]}),
        ('DELETE', 'author', {'name': ['Ann', None], 'born': ['1970-02-03', None]}),
    ]


def test_raw_sql_and_nulls_are_logged(log, sqlite_db):
    sqlite_db.execute_sql("INSERT INTO author (name) VALUES ('Bo')")
    sqlite_db.execute_sql("UPDATE author SET born = '2001-01-01', name = 'Bo'")
    sqlite_db.execute_sql('UPDATE author SET born = NULL')
    assert entries(log) == [
        ('INSERT', 'author', {'name': [None, 'Bo'], 'born': [None, None]}),
        ('UPDATE', 'author', {'born': [None, '2001-01-01']}),
        ('UPDATE', 'author', {'born': ['2001-01-01', None]}),
    ]


def test_json_documents_and_blobs(log):
    doc = Doc.create(meta={'tags': ['a', 'b'], 'n': 1}, cover=b'\x00\xff')
    doc.meta = {'tags': ['a'], 'n': 1}
    doc.save()
    doc.meta = 'plain'
    doc.cover = None
    doc.save()
    doc.delete_instance()
    assert entries(log) == [
        ('INSERT', 'odd "doc" table', {'meta': [None, {'tags': ['a', 'b'], 'n': 1}],
                                       'cover': [None, '00FF']}),
        ('UPDATE', 'odd "doc" table', {'meta': [{'tags': ['a', 'b'], 'n': 1},
                                                {'tags': ['a'], 'n': 1}]}),
        ('UPDATE', 'odd "doc" table', {'meta': [{'tags': ['a'], 'n': 1}, 'plain'],
                                       'cover': ['00FF', None]}),
        ('DELETE', 'odd "doc" table', {'meta': ['plain', None], 'cover': [None, None]}),
    ]


def test_log_rows_have_a_timestamp_from_sqlite(log):
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    before = now.replace(microsecond=0) - datetime.timedelta(seconds=1)
    Author.create(name='Cy')
    entry = log.model.get()
    assert isinstance(entry.timestamp, datetime.datetime)
    assert entry.timestamp >= before
    assert entry.id == 1


def test_changes_roll_back_with_the_transaction(log, sqlite_db):
    Author.create(name='kept')
    with sqlite_db.atomic() as tx:
        Author.create(name='undone')
        tx.rollback()
    assert [changes['name'][1] for _, _, changes in entries(log)] == ['kept']


def test_choosing_actions_and_reinstalling(log):
    log.install(Author, insert=False, delete=False)    # replaces the three triggers
    ann = Author.create(name='Ann')
    Author.update(name='Anne').execute()
    ann.delete_instance()
    assert entries(log) == [('UPDATE', 'author', {'name': ['Ann', 'Anne']})]

    # drop=False keeps the triggers already there, and adds the missing ones
    log.install(Author, skip_fields=['name'], drop=False)
    Author.create(name='Dee')
    Author.update(name='Dee2').execute()
    assert [action for action, _, _ in entries(log)] == ['UPDATE', 'INSERT', 'UPDATE']
    assert entries(log)[-1] == ('UPDATE', 'author', {'name': ['Dee', 'Dee2']})
    assert entries(log)[-2] == ('INSERT', 'author', {'born': [None, None]})


def test_uninstall_and_trigger_names(log, sqlite_db):
    names = {row[0] for row in sqlite_db.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {'author_changelog_insert', 'author_changelog_update',
            'author_changelog_delete', 'book_changelog_insert'} <= names
    log.uninstall(Author)
    Author.create(name='unlogged')
    assert entries(log) == []
    names = {row[0] for row in sqlite_db.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert not any(name.startswith('author_') for name in names)
    with pytest.raises(ValueError, match='INSERT, UPDATE, DELETE'):
        log.trigger_sql(Author, 'upsert')


def test_a_log_table_of_its_own_name(sqlite_db):
    Author.bind(sqlite_db)
    sqlite_db.create_tables([Author])
    audit = ChangeLog(sqlite_db, table_name='audit_trail')
    audit.install(Author)
    Author.create(name='Eve')
    assert audit.model._meta.table_name == 'audit_trail'
    assert 'audit_trail' in sqlite_db.get_tables()
    rows = sqlite_db.execute_sql('SELECT action, "table" FROM audit_trail').fetchall()
    assert [tuple(row) for row in rows] == [('INSERT', 'author')]
    sqlite_db.drop_tables([Author, audit.model])
