"""SqliteExtDatabase's connection features (peewee's CSqliteExtDatabase API): commit,
rollback and update hooks, changes(), autocommit, online backup and BLOB I/O -- on the
sqlite3 module and on APSW."""
from __future__ import annotations

import sqlite3
import sys

import pytest

from orm import BlobField, IntegrityError, Model, OperationalError, TextField
from playhouse.sqlite_ext import Blob, SqliteExtDatabase, ZeroBlob

ENGINES = ['sqlite-memory', 'sqlite-file', 'apsw']


def _make(engine, path, name='hooks'):
    if engine == 'apsw':
        pytest.importorskip('apsw', reason='the apsw driver is not installed')
        from playhouse.apsw_ext import APSWDatabase
        return APSWDatabase(str(path / ('%s-apsw.db' % name)))
    if engine == 'sqlite-file':
        return SqliteExtDatabase(str(path / ('%s.db' % name)))
    return SqliteExtDatabase(':memory:')


@pytest.fixture(params=ENGINES)
def db(request, tmp_path):
    database = _make(request.param, tmp_path)
    database.engine = request.param
    database.connect()
    yield database
    database.close()


class Note(Model):
    text = TextField()


class Image(Model):
    data = BlobField()


def test_update_hook_reports_every_row(db):
    Note.bind(db)
    db.create_tables([Note])
    seen = []

    @db.on_update
    def record(query_type, db_name, table, rowid):
        seen.append((query_type, db_name, table, rowid))

    a = Note.create(text='a')
    Note.create(text='b')
    Note.update(text='z').execute()
    Note.delete().where(Note.id == a.id).execute()
    assert seen == [('INSERT', 'main', 'note', 1), ('INSERT', 'main', 'note', 2),
                    ('UPDATE', 'main', 'note', 1), ('UPDATE', 'main', 'note', 2),
                    ('DELETE', 'main', 'note', 1)]
    db.on_update(None)   # removed
    Note.create(text='c')
    assert len(seen) == 5


def test_commit_and_rollback_hooks(db):
    Note.bind(db)
    db.create_tables([Note])
    events = []
    db.on_commit(lambda: events.append('commit'))
    db.on_rollback(lambda: events.append('rollback'))
    with db.atomic():
        Note.create(text='kept')
    assert events == ['commit']
    with pytest.raises(RuntimeError):
        with db.atomic():
            Note.create(text='dropped')
            raise RuntimeError('undo')
    assert events == ['commit', 'rollback']
    assert [n.text for n in Note.select()] == ['kept']


def test_a_failing_commit_hook_turns_the_commit_into_a_rollback(db):
    Note.bind(db)
    db.create_tables([Note])

    @db.on_commit
    def veto():
        if Note._vetoing:
            raise ValueError('not now')

    Note._vetoing = True
    try:
        with pytest.raises(IntegrityError):   # SQLITE_CONSTRAINT_COMMITHOOK
            with db.atomic():
                Note.create(text='vetoed')
        assert db.autocommit
        Note._vetoing = False
        Note.create(text='fine')
        assert [n.text for n in Note.select()] == ['fine']
    finally:
        del Note._vetoing
        db.on_commit(None)


def test_hooks_are_installed_on_new_connections(db, tmp_path):
    if db.engine == 'sqlite-memory':
        pytest.skip('a new connection to :memory: is a new, empty database')
    Note.bind(db)
    db.create_tables([Note])
    seen = []
    db.on_update(lambda *args: seen.append(args[0]))
    db.close()
    db.connect()
    Note.create(text='after reconnect')
    assert seen == ['INSERT']


def test_changes_and_autocommit(db):
    Note.bind(db)
    db.create_tables([Note])
    Note.insert_many([{'text': str(i)} for i in range(5)]).execute()
    assert db.changes() == 5
    Note.update(text='x').where(Note.id > 2).execute()
    assert db.changes() == 3
    assert db.autocommit is True
    with db.atomic():
        assert db.autocommit is False
    assert db.autocommit is True


def test_backup_and_backup_to_file(db, tmp_path):
    Note.bind(db)
    db.create_tables([Note])
    Note.insert_many([{'text': 'n%d' % i} for i in range(200)]).execute()
    target = _make(db.engine if db.engine != 'sqlite-memory' else 'sqlite-file', tmp_path,
                   'copy')
    steps = []
    try:
        db.backup(target, pages=1, progress=lambda *args: steps.append(args))
        assert target.execute_sql('SELECT count(*) FROM note').fetchone() == (200,)
    finally:
        target.close()
    assert len(steps) > 1 and steps[-1][0] == 0 and steps[-1][2] is True
    path = str(tmp_path / 'file-copy.db')
    db.backup_to_file(path)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT text FROM note WHERE id = 200").fetchone() == ('n199',)
    finally:
        conn.close()


@pytest.mark.skipif(sys.version_info < (3, 11), reason='sqlite3 BLOB I/O needs Python 3.11')
def test_blob_io(db):
    Image.bind(db)
    db.create_tables([Image])
    image = Image.create(data=ZeroBlob(16))
    assert Image.get_by_id(image.id).data == b'\x00' * 16
    with db.blob_open('image', 'data', image.id) as blob:
        assert isinstance(blob, Blob) and len(blob) == 16
        blob.write(b'header')
        assert blob.tell() == 6
        blob.seek(-4, 2)
        blob.write(b'tail')
        blob.seek(0)
        assert blob.read(6) == b'header'
        assert blob.read() == b'\x00' * 6 + b'tail'
        with pytest.raises(ValueError, match='does not fit'):
            blob.write(b'too much')
        with pytest.raises(ValueError):
            blob.seek(17)
    assert bytes(Image.get_by_id(image.id).data) == b'header' + b'\x00' * 6 + b'tail'
    other = Image.create(data=b'second row')
    blob = db.blob_open('image', 'data', image.id, read_only=True)
    try:
        blob.reopen(other.id)
        assert blob.read() == b'second row'
        with pytest.raises(ValueError, match='read-only'):
            blob.write(b'x')
    finally:
        blob.close()
    with pytest.raises(ValueError, match='closed'):
        blob.read()
    with pytest.raises(OperationalError):
        db.blob_open('image', 'data', 999)
    with pytest.raises(ValueError):
        ZeroBlob(-1)
