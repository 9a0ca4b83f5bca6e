"""Transaction helpers: ``atomic``, ``transaction``, ``savepoint``, ``manual_commit``.

Every helper works as a context manager and as a decorator::

    with db.atomic() as txn:
        ...
        txn.rollback()          # undo what the block did so far, go on

    @db.atomic()
    def transfer(a, b, amount):
        ...

Driver connections run in autocommit mode; these helpers issue explicit
``BEGIN`` / ``COMMIT`` / ``ROLLBACK`` / ``SAVEPOINT`` statements through the
database object.  The stack of open helpers lives on the database's
per-thread connection state (``db.push_transaction`` / ``db.pop_transaction``).

The helpers only call public methods of the database object they are given,
so they work through a :class:`orm.database.DatabaseProxy` too.
"""
from __future__ import annotations

import functools
import uuid
from types import TracebackType
from typing import Any, Callable, Optional, TypeVar

__all__ = ['_atomic', '_transaction', '_savepoint', '_manual_commit',
           'CallableContextManager']

F = TypeVar('F', bound=Callable[..., Any])


class CallableContextManager:
    """Base class: a context manager that also decorates functions.

    Each call of the decorated function enters a *fresh* copy of the context
    manager, so decorated functions may recurse or run in several threads.
    """

    _args: tuple = ()
    _kwargs: dict = {}

    def _fresh(self) -> 'CallableContextManager':
        return type(self)(*self._args, **self._kwargs)

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return fn(*args, **kwargs)
        return inner  # type: ignore[return-value]


class _manual_commit(CallableContextManager):
    """Disable automatic transaction management inside the block.

    Inside, the application calls ``db.begin()``, ``db.commit()`` and
    ``db.rollback()`` itself; ``atomic()`` is refused.
    """

    def __init__(self, db: Any) -> None:
        self.db = db
        self._args = (db,)
        self._kwargs = {}

    def __enter__(self) -> '_manual_commit':
        top = self.db.top_transaction()
        if top is not None and not isinstance(top, _manual_commit):
            raise ValueError(
                'Cannot enter manual_commit() while a transaction is active: '
                'leave the atomic()/transaction() block first.')
        self.db.push_transaction(self)
        return self

    def __exit__(self, exc_type: Optional[type], exc_val: Optional[BaseException],
                 exc_tb: Optional[TracebackType]) -> None:
        self.db.pop_transaction()


class _atomic(CallableContextManager):
    """A transaction when outermost, a savepoint when nested.

    ``with db.atomic() as txn`` binds ``txn`` to the underlying
    :class:`_transaction` or :class:`_savepoint`, so ``txn.commit()`` and
    ``txn.rollback()`` are available.  Extra arguments (``lock_type`` on
    SQLite, ``isolation_level`` on PostgreSQL) apply to the outermost
    transaction only.
    """

    def __init__(self, db: Any, *args: Any, **kwargs: Any) -> None:
        self.db = db
        self._args = (db,) + args
        self._kwargs = kwargs
        self._helper: Any = None

    def __enter__(self) -> Any:
        top = self.db.top_transaction()
        if isinstance(top, _manual_commit):
            raise ValueError(
                'Cannot enter atomic() inside manual_commit(): in manual-commit '
                'mode call db.begin(), db.commit() and db.rollback() yourself.')
        if self.db.transaction_depth() == 0:
            self._helper = self.db.transaction(*self._args[1:], **self._kwargs)
        else:
            self._helper = self.db.savepoint()
        return self._helper.__enter__()

    def __exit__(self, exc_type: Optional[type], exc_val: Optional[BaseException],
                 exc_tb: Optional[TracebackType]) -> Optional[bool]:
        helper, self._helper = self._helper, None
        return helper.__exit__(exc_type, exc_val, exc_tb)


class _transaction(CallableContextManager):
    """A database transaction.

    Only the outermost ``transaction()`` issues ``BEGIN`` and ``COMMIT``; a
    nested one joins the open transaction.  Inside the block, ``commit()`` and
    ``rollback()`` end the current transaction and (by default) begin a new
    one.  An exception leaving the block rolls back and propagates.
    """

    def __init__(self, db: Any, *args: Any, **kwargs: Any) -> None:
        self.db = db
        self._args = (db,) + args
        self._kwargs = kwargs

    def _begin(self) -> None:
        self.db.begin(*self._args[1:], **self._kwargs)

    def commit(self, begin: bool = True) -> None:
        """Commit what was done so far; begin a new transaction when ``begin``."""
        self.db.commit()
        if begin:
            self._begin()

    def rollback(self, begin: bool = True) -> None:
        """Roll back what was done so far; begin a new transaction when ``begin``."""
        self.db.rollback()
        if begin:
            self._begin()

    def __enter__(self) -> '_transaction':
        if self.db.transaction_depth() == 0:
            self._begin()
        self.db.push_transaction(self)
        return self

    def __exit__(self, exc_type: Optional[type], exc_val: Optional[BaseException],
                 exc_tb: Optional[TracebackType]) -> None:
        try:
            if self.db.transaction_depth() == 1:
                if exc_type is not None:
                    self.rollback(False)
                else:
                    try:
                        self.commit(False)
                    except BaseException:
                        self.rollback(False)
                        raise
        finally:
            self.db.pop_transaction()


class _savepoint(CallableContextManager):
    """A savepoint inside the current transaction.

    An exception leaving the block rolls back to the savepoint (the outer
    transaction stays usable, also on PostgreSQL after a failed statement)
    and propagates.  ``commit()`` releases the savepoint, ``rollback()``
    undoes the work done since it was set.
    """

    def __init__(self, db: Any, sid: Optional[str] = None) -> None:
        self.db = db
        self._args = (db, sid)
        self._kwargs = {}
        self.sid = sid or 's' + uuid.uuid4().hex

    @property
    def quoted_sid(self) -> str:
        """The savepoint name, quoted as an identifier."""
        return _quote(self.db, self.sid)

    def _begin(self) -> None:
        self.db.execute_sql('SAVEPOINT %s' % self.quoted_sid)

    def commit(self, begin: bool = True) -> None:
        """Release the savepoint; set it again when ``begin``."""
        self.db.execute_sql('RELEASE SAVEPOINT %s' % self.quoted_sid)
        if begin:
            self._begin()

    def rollback(self) -> None:
        """Undo the work done since the savepoint was set (it stays set)."""
        self.db.execute_sql('ROLLBACK TO SAVEPOINT %s' % self.quoted_sid)

    def __enter__(self) -> '_savepoint':
        self._begin()
        self.db.push_transaction(self)
        return self

    def __exit__(self, exc_type: Optional[type], exc_val: Optional[BaseException],
                 exc_tb: Optional[TracebackType]) -> None:
        try:
            if exc_type is not None:
                self.rollback()
                self.commit(begin=False)
            else:
                try:
                    self.commit(begin=False)
                except BaseException:
                    self.rollback()
                    raise
        finally:
            self.db.pop_transaction()


def _quote(db: Any, name: str) -> str:
    try:
        return db.quote_identifier(name)
    except Exception:
        return '"%s"' % name.replace('"', '""')
