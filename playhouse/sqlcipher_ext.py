"""Encrypted SQLite databases with SQLCipher, through the ``sqlcipher3`` driver.

.. code-block:: python

    from playhouse.sqlcipher_ext import SqlCipherDatabase

    db = SqlCipherDatabase('secrets.db', passphrase=os.environ['DB_PASSPHRASE'])

:class:`SqlCipherDatabase` is a :class:`orm.SqliteDatabase` whose file is encrypted
(256-bit AES) with a key derived from ``passphrase``; :class:`SqlCipherExtDatabase` is the
same for ``playhouse.sqlite_ext.SqliteExtDatabase``.  Everything else works as on
SQLite.  A wrong passphrase shows at the first statement, as ``DatabaseError: file is
not a database``.

The driver is an optional extra: ``pip install 'orm[sqlcipher]'`` (the
``sqlcipher3-binary`` wheels, which bundle SQLCipher), or ``sqlcipher3`` built against a
system SQLCipher.
"""
from __future__ import annotations

from typing import Any, Optional

from orm import ImproperlyConfigured, SqliteDatabase

from .sqlite_ext import SqliteExtDatabase

try:
    import sqlcipher3  # type: ignore[import-untyped,import-not-found,unused-ignore]
except ImportError as _error:     # pragma: no cover - exercised only without the driver
    raise ImportError(
        'playhouse.sqlcipher_ext needs the sqlcipher3 driver: pip install "orm[sqlcipher]" '
        '(or pip install sqlcipher3-binary)') from _error

__all__ = ['SqlCipherDatabase', 'SqlCipherExtDatabase']


def _literal(text: str) -> str:
    return "'%s'" % text.replace("'", "''")


class _SqlCipher:
    """What SQLCipher changes in a SQLite database: the driver, and the key set on each
    connection before anything else (pragmas included) runs on it."""

    _passphrase: Optional[str] = None

    def _take_passphrase(self, passphrase: Optional[str]) -> None:
        if passphrase is not None and not isinstance(passphrase, str):
            raise ImproperlyConfigured('a SQLCipher passphrase is a str, not %s'
                                       % type(passphrase).__name__)
        if passphrase == '':
            raise ImproperlyConfigured('an empty SQLCipher passphrase would leave the '
                                       'database unencrypted; give None to mean that')
        self._passphrase = passphrase

    def _open_connection(self) -> Any:
        db: Any = self
        conn = sqlcipher3.connect(db.database, timeout=db._timeout, isolation_level=None,
                                  **db.connect_params)
        try:
            if self._passphrase is not None:
                conn.execute('PRAGMA key = %s' % _literal(self._passphrase)).close()
        except BaseException:
            conn.close()
            raise
        return conn

    def _set_server_version(self, conn: Any) -> None:
        db: Any = self
        db.server_version = sqlcipher3.sqlite_version_info
        db.dialect.server_version = sqlcipher3.sqlite_version_info

    def init(self, database: Optional[str], *args: Any, **kwargs: Any) -> None:
        """Point the database elsewhere; ``passphrase=`` changes the passphrase too."""
        if 'passphrase' in kwargs:
            self._take_passphrase(kwargs.pop('passphrase'))
        parent: Any = super()
        parent.init(database, *args, **kwargs)

    @property
    def encrypted(self) -> bool:
        """Whether connections are opened with a key."""
        return self._passphrase is not None

    def rekey(self, passphrase: str) -> None:
        """Re-encrypt the open database with a key from ``passphrase``; later connections
        use it too."""
        db: Any = self
        if self._passphrase is None:
            raise ImproperlyConfigured('rekey() changes the key of an encrypted database; '
                                       'this one was opened without a passphrase')
        if not isinstance(passphrase, str) or not passphrase:
            raise ImproperlyConfigured('rekey() needs a non-empty str passphrase')
        # run to completion on a connection opened with the old key (the statement
        # answers a row; SQLCipher has re-encrypted the file once it is stepped past)
        cursor = db.execute_sql('PRAGMA rekey = %s' % _literal(passphrase))
        cursor.fetchall()
        cursor.close()
        self._passphrase = passphrase


class SqlCipherDatabase(_SqlCipher, SqliteDatabase):
    """A SQLite database encrypted by SQLCipher.

    :param database: the file name (``':memory:'`` works, with or without a key).
    :param passphrase: the key is derived from it; ``None`` opens the file without
        encryption.  A new file is encrypted with it, an existing one must have been.
    :param kwargs: as for :class:`orm.SqliteDatabase` (``pragmas`` may hold SQLCipher's
        own, such as ``kdf_iter`` or ``cipher_page_size``: they run after the key).
    """

    def __init__(self, database: Optional[str], passphrase: Optional[str] = None,
                 **kwargs: Any) -> None:
        self._take_passphrase(passphrase)
        super().__init__(database, **kwargs)
        self._set_server_version(None)



class SqlCipherExtDatabase(_SqlCipher, SqliteExtDatabase):
    """:class:`SqlCipherDatabase` with what ``SqliteExtDatabase`` adds (ranking and hash
    functions, hooks, backups, BLOB I/O)."""

    def __init__(self, database: Optional[str], passphrase: Optional[str] = None,
                 **kwargs: Any) -> None:
        self._take_passphrase(passphrase)
        super().__init__(database, **kwargs)
        self._set_server_version(None)

