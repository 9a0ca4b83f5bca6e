"""playhouse.sqlcipher_ext: SQLite files encrypted by SQLCipher (the sqlcipher3 driver)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

sqlcipher3 = pytest.importorskip('sqlcipher3', reason='sqlcipher3 is not installed '
                                 '(pip install sqlcipher3-binary)')

from orm import (DatabaseError, ImproperlyConfigured, Model, SqliteDatabase,  # noqa: E402
                 TextField)
from playhouse.sqlcipher_ext import SqlCipherDatabase, SqlCipherExtDatabase  # noqa: E402
from playhouse.sqlite_changelog import ChangeLog  # noqa: E402

# few key-derivation rounds keep the tests fast (and would be unsafe anywhere else)
FAST = {'kdf_iter': 64}


class Secret(Model):
    value = TextField()


def make(path, passphrase='correct horse', cls=SqlCipherDatabase, **kwargs):
    return cls(str(path), passphrase=passphrase, pragmas=dict(FAST), **kwargs)


def write_secrets(db, *values):
    Secret.bind(db)
    db.create_tables([Secret])
    for value in values:
        Secret.create(value=value)
    db.close()


def read_secrets(db):
    Secret.bind(db)
    try:
        return [s.value for s in Secret.select().order_by(Secret.id)]
    finally:
        db.close()


def test_the_file_is_encrypted(tmp_path):
    path = tmp_path / 'vault.db'
    write_secrets(make(path), 'launch code 0000')
    raw = path.read_bytes()
    assert not raw.startswith(b'SQLite format 3')
    assert b'launch code' not in raw
    # the standard library's SQLite sees no database in it
    plain = SqliteDatabase(str(path))
    with pytest.raises(DatabaseError, match='not a database'):
        plain.get_tables()
    plain.close()
    assert read_secrets(make(path)) == ['launch code 0000']


def test_a_wrong_passphrase_fails_at_the_first_statement(tmp_path):
    path = tmp_path / 'vault.db'
    write_secrets(make(path), 'a', 'b')
    wrong = make(path, passphrase='battery staple')
    with pytest.raises(DatabaseError, match='not a database'):
        wrong.get_tables()
    wrong.close()
    assert read_secrets(make(path)) == ['a', 'b']


def test_rekey_changes_the_passphrase(tmp_path):
    path = tmp_path / 'vault.db'
    write_secrets(make(path), 'kept')
    db = make(path)
    db.rekey("it's new")             # a quote in the passphrase is no problem
    assert read_secrets(db) == ['kept']          # reconnects with the new key
    old = make(path)
    with pytest.raises(DatabaseError):
        old.get_tables()
    old.close()
    assert read_secrets(make(path, passphrase="it's new")) == ['kept']


def test_pragmas_run_after_the_key(tmp_path):
    path = tmp_path / 'paged.db'
    db = SqlCipherDatabase(str(path), passphrase='pw',
                           pragmas={'kdf_iter': 77, 'cipher_page_size': 8192})
    db.execute_sql('CREATE TABLE t (x)')
    db.close()
    db.connect()
    assert int(db.pragma('kdf_iter')) == 77
    assert int(db.pragma('cipher_page_size')) == 8192
    assert db.get_tables() == ['t']
    db.close()


def test_deferred_initialisation_with_a_passphrase(tmp_path):
    path = tmp_path / 'later.db'
    write_secrets(make(path, passphrase='pw'), 'x')
    db = SqlCipherDatabase(None)
    assert not db.encrypted
    db.init(str(path), passphrase='nope', pragmas=dict(FAST))
    with pytest.raises(DatabaseError):
        db.get_tables()
    db.close()
    db.init(str(path), passphrase='pw')
    assert db.encrypted
    assert read_secrets(db) == ['x']


def test_without_a_passphrase_it_is_plain_sqlite(tmp_path):
    path = tmp_path / 'plain.db'
    db = SqlCipherDatabase(str(path))
    write_secrets(db, 'visible')
    assert path.read_bytes().startswith(b'SQLite format 3')
    assert read_secrets(SqliteDatabase(str(path))) == ['visible']
    with pytest.raises(ImproperlyConfigured, match='without a passphrase'):
        db.rekey('late')
    with pytest.raises(ImproperlyConfigured, match='empty'):
        SqlCipherDatabase(str(path), passphrase='')
    with pytest.raises(ImproperlyConfigured, match='str'):
        SqlCipherDatabase(str(path), passphrase=b'bytes')


def test_the_ext_database_with_hooks_functions_and_a_changelog(tmp_path):
    path = tmp_path / 'ext.db'
    db = make(path, cls=SqlCipherExtDatabase, hash_functions=True)
    commits = []
    db.on_commit(lambda: commits.append(1))
    Secret.bind(db)
    db.create_tables([Secret])
    log = ChangeLog(db)
    log.install(Secret)
    Secret.create(value='abc')
    assert commits
    assert db.execute_sql("SELECT md5('abc')").fetchone()[0] == \
        '900150983cd24fb0d6963f7d28e17f72'
    assert [(e.action, e.changes) for e in log.model.select()] == [
        ('INSERT', {'value': [None, 'abc']})]
    db.close()
    assert b'INSERT' not in path.read_bytes()


def test_import_without_the_driver_says_what_to_install(tmp_path):
    code = ('import sys; sys.modules["sqlcipher3"] = None\n'
            'try:\n'
            '    import playhouse.sqlcipher_ext\n'
            'except ImportError as exc:\n'
            '    print(exc)\n')
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            cwd=str(tmp_path), env=dict(os.environ, PYTHONPATH=root))
    assert 'pip install "orm[sqlcipher]"' in result.stdout, result.stderr
    assert 'sqlcipher3-binary' in result.stdout
