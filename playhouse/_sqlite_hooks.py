"""Connection-level SQLite features of :class:`playhouse.sqlite_ext.SqliteExtDatabase`.

peewee documents these on its C-accelerated ``CSqliteExtDatabase``; here they work on
both drivers: commit / rollback / update hooks (``sqlite3``: the C API through
:mod:`ctypes`, like :mod:`playhouse._vtab`; ``apsw``: its own ``set_*_hook``), the
``changes()`` count, the ``autocommit`` flag, online backups and incremental BLOB I/O
(:class:`Blob`, with :class:`ZeroBlob` to reserve the space).
"""
from __future__ import annotations

import ctypes
import itertools
import os
import sqlite3
import threading
import weakref
from typing import Any, Callable, Optional

from orm import Node, NotSupportedError, fn

from . import _vtab

__all__ = ['Blob', 'ConnectionHooks', 'ZeroBlob']

#: SQLite's codes for the kind of change reported to an update hook
QUERY_TYPES = {18: 'INSERT', 9: 'DELETE', 23: 'UPDATE'}


def _is_apsw(conn: Any) -> bool:
    return type(conn).__module__.split('.')[0] == 'apsw'


# -- hooks on sqlite3 connections (ctypes) -----------------------------------------------------
_COMMIT_HOOK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
_ROLLBACK_HOOK = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_UPDATE_HOOK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p,
                                ctypes.c_char_p, ctypes.c_int64)

_registry: dict = {}              # token -> weakref to the database
_tokens = itertools.count(1)
_registry_lock = threading.Lock()


def _database(token: Optional[int]) -> Any:
    ref = _registry.get(token or 0)
    return ref() if ref is not None else None


def _on_commit(token: Optional[int]) -> int:
    try:
        db = _database(token)
        return db._run_commit_hook() if db is not None else 0
    except BaseException:   # never let an exception cross into C
        return 1


def _on_rollback(token: Optional[int]) -> None:
    try:
        db = _database(token)
        if db is not None:
            db._run_rollback_hook()
    except BaseException:
        pass


def _on_update(token: Optional[int], kind: int, dbname: bytes, table: bytes,
               rowid: int) -> None:
    try:
        db = _database(token)
        if db is not None:
            db._run_update_hook(kind, dbname.decode('utf-8'), table.decode('utf-8'), rowid)
    except BaseException:
        pass


# one C callback of each kind for the whole process: the database is found by token
_C_COMMIT = _COMMIT_HOOK(_on_commit)
_C_ROLLBACK = _ROLLBACK_HOOK(_on_rollback)
_C_UPDATE = _UPDATE_HOOK(_on_update)


#: the library whose hook functions have their ctypes signatures declared
_declared_lib: Any = None


def _sqlite3_lib() -> Any:
    global _declared_lib
    lib = _vtab._Sqlite3Modules.get().lib
    if lib is not _declared_lib:
        vp = ctypes.c_void_p
        lib.sqlite3_commit_hook.argtypes = [vp, _COMMIT_HOOK, vp]
        lib.sqlite3_commit_hook.restype = vp
        lib.sqlite3_rollback_hook.argtypes = [vp, _ROLLBACK_HOOK, vp]
        lib.sqlite3_rollback_hook.restype = vp
        lib.sqlite3_update_hook.argtypes = [vp, _UPDATE_HOOK, vp]
        lib.sqlite3_update_hook.restype = vp
        _declared_lib = lib
    return lib


# -- BLOB I/O -----------------------------------------------------------------------------------
class ZeroBlob(Node):
    """A BLOB of ``length`` zero bytes (``zeroblob(n)``), to be filled with :class:`Blob`."""

    def __init__(self, length: int) -> None:
        super().__init__()
        if not isinstance(length, int) or length < 0:
            raise ValueError('ZeroBlob length must be a non-negative integer')
        self.length = length

    def __sql__(self, ctx: Any) -> Any:
        return ctx.sql(fn.zeroblob(self.length))


class Blob:
    """Incremental I/O on one BLOB value (``db.blob_open(table, column, rowid)``).

    A file-like object: ``read(n)``, ``write(data)``, ``seek(offset, whence)``,
    ``tell()``, ``len()``, ``reopen(rowid)`` and ``close()`` (also a context manager).
    Writes cannot change the size of the BLOB: reserve it with :class:`ZeroBlob`.
    """

    def __init__(self, database: Any, table: str, column: str, rowid: int,
                 read_only: bool = False, name: str = 'main') -> None:
        self._database = database
        self._table, self._column, self._name = table, column, name
        self._read_only = read_only
        self._blob: Any = None
        self._open(rowid)

    def _open(self, rowid: int) -> None:
        conn = self._database.connection()
        with self._database._exception_wrapper:
            if _is_apsw(conn):
                self._blob = conn.blob_open(self._name, self._table, self._column, rowid,
                                            not self._read_only)
            elif hasattr(conn, 'blobopen'):
                self._blob = conn.blobopen(self._table, self._column, rowid,
                                           readonly=self._read_only, name=self._name)
            else:
                raise NotSupportedError('BLOB I/O on the sqlite3 module needs Python 3.11+;'
                                        ' use playhouse.apsw_ext.APSWDatabase.')
        self.rowid = rowid

    def _check(self) -> Any:
        if self._blob is None:
            raise ValueError('I/O operation on a closed Blob')
        return self._blob

    def __len__(self) -> int:
        blob = self._check()
        return blob.length() if hasattr(blob, 'length') else len(blob)

    def read(self, n: Optional[int] = None) -> bytes:
        """Up to ``n`` bytes from the current position (all the rest by default)."""
        with self._database._exception_wrapper:
            return self._check().read(-1 if n is None or n < 0 else n)

    def write(self, data: bytes) -> None:
        """Write ``data`` at the current position (it must fit in the BLOB)."""
        if self._read_only:
            raise ValueError('Blob was opened read-only')
        blob = self._check()
        if blob.tell() + len(data) > len(self):
            raise ValueError('write of %d bytes at offset %d does not fit in a BLOB of '
                             '%d bytes' % (len(data), blob.tell(), len(self)))
        with self._database._exception_wrapper:
            blob.write(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> None:
        blob = self._check()
        size = len(self)
        base = {os.SEEK_SET: 0, os.SEEK_CUR: blob.tell(), os.SEEK_END: size}.get(whence)
        if base is None:
            raise ValueError('whence must be 0, 1 or 2')
        if not 0 <= base + offset <= size:
            raise ValueError('seek to %d is outside the BLOB (0..%d)' % (base + offset, size))
        blob.seek(base + offset)

    def tell(self) -> int:
        return self._check().tell()

    def reopen(self, rowid: int) -> None:
        """Point this handle at the same column of another row."""
        blob = self._check()
        if hasattr(blob, 'reopen'):
            with self._database._exception_wrapper:
                blob.reopen(rowid)
            self.rowid = rowid
        else:
            blob.close()
            self._blob = None
            self._open(rowid)

    def close(self) -> None:
        if self._blob is not None:
            self._blob.close()
            self._blob = None

    def __enter__(self) -> 'Blob':
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# -- the mixin ----------------------------------------------------------------------------------
class ConnectionHooks:
    """Hooks, ``changes()``, ``autocommit``, backups and BLOBs for a SQLite database."""

    _commit_hook: Optional[Callable] = None
    _rollback_hook: Optional[Callable] = None
    _update_hook: Optional[Callable] = None
    _hook_token: int = 0
    _hooks_used = False

    # -- registration (decorators) ---------------------------------------------------------
    def on_commit(self, fn: Optional[Callable]) -> Optional[Callable]:
        """Call ``fn()`` when a transaction commits (on every connection; ``None``
        removes it).  If ``fn`` raises, the commit becomes a rollback."""
        self._commit_hook = fn
        self._refresh_hooks()
        return fn

    def on_rollback(self, fn: Optional[Callable]) -> Optional[Callable]:
        """Call ``fn()`` when a transaction rolls back (``None`` removes it)."""
        self._rollback_hook = fn
        self._refresh_hooks()
        return fn

    def on_update(self, fn: Optional[Callable]) -> Optional[Callable]:
        """Call ``fn(query_type, db_name, table, rowid)`` for every row inserted, updated
        or deleted (``query_type`` is ``'INSERT'``, ``'UPDATE'`` or ``'DELETE'``; tables
        WITHOUT ROWID are not reported).  ``None`` removes it."""
        self._update_hook = fn
        self._refresh_hooks()
        return fn

    def _refresh_hooks(self) -> None:
        self._hooks_used = True
        conn = self._current_conn()   # type: ignore[attr-defined]
        if conn is not None:
            self._install_hooks(conn)

    # -- called by the driver callbacks ----------------------------------------------------
    def _run_commit_hook(self) -> int:
        hook = self._commit_hook
        if hook is None:
            return 0
        try:
            hook()
        except Exception:
            return 1   # SQLite turns the commit into a rollback
        return 0

    def _run_rollback_hook(self) -> None:
        if self._rollback_hook is not None:
            self._rollback_hook()

    def _run_update_hook(self, kind: int, dbname: str, table: str, rowid: int) -> None:
        if self._update_hook is not None:
            self._update_hook(QUERY_TYPES.get(kind, str(kind)), dbname, table, rowid)

    # -- installation on a connection ------------------------------------------------------
    def _install_hooks(self, conn: Any) -> None:
        if not self._hooks_used:
            return   # no hook was ever set on this database
        commit, rollback, update = self._commit_hook, self._rollback_hook, self._update_hook
        if _is_apsw(conn):
            conn.set_commit_hook(self._apsw_commit if commit else None)
            conn.set_rollback_hook(self._run_rollback_hook if rollback else None)
            conn.set_update_hook(self._apsw_update if update else None)
            return
        try:
            lib = _sqlite3_lib()
        except NotSupportedError:
            if commit is None and rollback is None and update is None:
                return
            raise
        if not self._hook_token:
            with _registry_lock:
                self._hook_token = next(_tokens)
                _registry[self._hook_token] = weakref.ref(self)
        handle = _vtab._connection_handle(conn)
        token = ctypes.c_void_p(self._hook_token)
        lib.sqlite3_commit_hook(handle, _C_COMMIT if commit else _COMMIT_HOOK(), token)
        lib.sqlite3_rollback_hook(handle, _C_ROLLBACK if rollback else _ROLLBACK_HOOK(),
                                  token)
        lib.sqlite3_update_hook(handle, _C_UPDATE if update else _UPDATE_HOOK(), token)

    def _apsw_commit(self) -> bool:
        return bool(self._run_commit_hook())

    def _apsw_update(self, kind: int, dbname: str, table: str, rowid: int) -> None:
        try:
            self._run_update_hook(kind, dbname, table, rowid)
        except Exception:
            pass   # as on sqlite3: an update hook cannot fail the statement

    # -- state --------------------------------------------------------------------------------
    def changes(self) -> int:
        """Rows changed by the most recent INSERT, UPDATE or DELETE on this connection."""
        return self.execute_sql('SELECT changes()').fetchone()[0]   # type: ignore

    @property
    def autocommit(self) -> bool:
        """``True`` when the connection is not inside a transaction."""
        conn = self.connection()   # type: ignore[attr-defined]
        return not self._driver_in_transaction(conn)   # type: ignore[attr-defined]

    # -- backups ------------------------------------------------------------------------------
    def backup(self, destination: Any, pages: Optional[int] = None,
               name: Optional[str] = None, progress: Optional[Callable] = None) -> None:
        """Copy this database (schema ``name``, default ``main``) into ``destination``,
        another database of the same driver, ``pages`` pages per step (all at once by
        default); ``progress(remaining, page_count, is_done)`` is called after each step.
        """
        source = self.connection()   # type: ignore[attr-defined]
        target = destination.connection()
        self._backup(source, target, pages, name or 'main', progress)

    def backup_to_file(self, filename: str, pages: Optional[int] = None,
                       name: Optional[str] = None, progress: Optional[Callable] = None
                       ) -> None:
        """Copy this database into the file ``filename``."""
        source = self.connection()   # type: ignore[attr-defined]
        target: Any
        if _is_apsw(source):
            import apsw
            target = apsw.Connection(filename)
        else:
            target = sqlite3.connect(filename)
        try:
            self._backup(source, target, pages, name or 'main', progress)
        finally:
            target.close()

    def _backup(self, source: Any, target: Any, pages: Optional[int], name: str,
                progress: Optional[Callable]) -> None:
        if _is_apsw(source) != _is_apsw(target):
            raise NotSupportedError('backup() needs two databases on the same driver '
                                    '(sqlite3 or apsw).')
        step = pages if pages and pages > 0 else -1
        with self._exception_wrapper:   # type: ignore[attr-defined]
            if _is_apsw(source):
                with target.backup('main', source, name) as job:
                    while not job.done:
                        job.step(step)
                        if progress is not None:
                            progress(job.remaining, job.page_count, job.done)
            else:
                report = None
                if progress is not None:
                    def report(status: int, remaining: int, total: int) -> None:
                        progress(remaining, total, remaining == 0)
                source.backup(target, pages=step, progress=report, name=name)

    # -- BLOBs --------------------------------------------------------------------------------
    def blob_open(self, table: str, column: str, rowid: int, read_only: bool = False
                  ) -> Blob:
        """A :class:`Blob` for incremental I/O on ``table.column`` of row ``rowid``."""
        return Blob(self, table, column, rowid, read_only)

