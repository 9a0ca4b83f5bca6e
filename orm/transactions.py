"""Transaction blocks: ``atomic()``, ``transaction()``, ``savepoint()``, ``manual_commit()``.

Each block is a context manager and a decorator::

    with db.atomic() as txn:
        ...
        txn.rollback()          # undo what the block did so far, go on

    @db.atomic()
    def transfer(a, b, amount):
        ...

Driver connections run in autocommit mode, so a block speaks to the server with
explicit ``BEGIN`` / ``COMMIT`` / ``ROLLBACK`` / ``SAVEPOINT`` statements sent through the
database object.  Open blocks are kept on the calling thread's stack
(``db.push_transaction`` / ``db.pop_transaction``); only the block that started a piece
of work ends it.

Blocks use nothing but public methods of the database they are given, so they also
work through a :class:`~orm.DatabaseProxy` that is initialised later.
"""
from __future__ import annotations

import functools
import uuid
from types import TracebackType
from typing import Any, Callable, Optional, TypeVar

__all__ = ['TransactionBlock', '_atomic', '_transaction', '_savepoint', '_manual_commit']

_F = TypeVar('_F', bound=Callable[..., Any])


class TransactionBlock:
    """What every transaction block shares: the database, the options it was made with,
    and use as a decorator.

    A decorated function enters a brand-new block on every call (see :meth:`_again`),
    so it may recurse, or run in several threads at once.
    """

    def __init__(self, db: Any, *args: Any, **kwargs: Any) -> None:
        self.db = db
        self._args = args
        self._kwargs = kwargs

    def _again(self) -> 'TransactionBlock':
        """A fresh, not yet entered block of the same kind and options."""
        return type(self)(self.db, *self._args, **self._kwargs)

    def __call__(self, fn: _F) -> _F:
        @functools.wraps(fn)
        def within_block(*args: Any, **kwargs: Any) -> Any:
            with self._again():
                return fn(*args, **kwargs)
        return within_block  # type: ignore[return-value]

    def __enter__(self) -> Any:
        raise NotImplementedError

    def __exit__(self, exc_type: Optional[type], exc_val: Optional[BaseException],
                 exc_tb: Optional[TracebackType]) -> Optional[bool]:
        raise NotImplementedError


class _StackedBlock(TransactionBlock):
    """A block that sits on the thread's transaction stack while it is open.

    Subclasses fill in three steps: :meth:`_open` (run before the block is stacked),
    :meth:`_keep` and :meth:`_discard` (how the work of a successful / failed block
    ends).  ``_owner`` says whether this block began the work it would end; a block
    that merely joined outer work leaves it alone.
    """

    _owner = False

    def _open(self) -> None:
        """Start the work (or decide to join the work that is already open)."""

    def _keep(self) -> None:
        """End the work, keeping it."""

    def _discard(self) -> None:
        """End the work, undoing it."""

    def __enter__(self) -> Any:
        self._open()
        self.db.push_transaction(self)
        return self

    def __exit__(self, exc_type: Optional[type], exc_val: Optional[BaseException],
                 exc_tb: Optional[TracebackType]) -> None:
        # unstack first: whatever happens while ending the work, this block is over
        self.db.pop_transaction()
        if self._owner:
            self._end(succeeded=exc_type is None)

    def _end(self, succeeded: bool) -> None:
        """Keep the work of a block that succeeded, discard that of one that failed.
        When keeping fails (a deferred constraint, a lost connection ...) the work is
        discarded and the error propagates."""
        if not succeeded:
            self._discard()
            return
        try:
            self._keep()
        except BaseException:
            self._discard()
            raise

    def _end_session(self, keep: bool, reopen: bool) -> None:
        """End this block for ``session_commit()`` / ``session_rollback()``: it was
        entered by ``session_start()`` and never left through ``with``."""
        if keep:
            self._keep()
        else:
            self._discard()


class _manual_commit(_StackedBlock):
    """Switch off orm's transaction management for the block.

    Inside, the application sends ``db.begin()``, ``db.commit()`` and ``db.rollback()``
    itself; ``atomic()`` is refused and ``transaction()`` does nothing.
    """

    def _open(self) -> None:
        innermost = self.db.top_transaction()
        if innermost is not None and not isinstance(innermost, _manual_commit):
            raise ValueError('manual_commit() cannot start while a transaction is active: '
                             'leave the atomic()/transaction() block first.')


class _transaction(_StackedBlock):
    """A database transaction.

    The outermost ``transaction()`` sends ``BEGIN`` and, on leaving, ``COMMIT`` (or
    ``ROLLBACK`` when an exception leaves it); a nested one joins the open transaction.
    Inside the block, :meth:`commit` and :meth:`rollback` end the work done so far and,
    by default, begin a new transaction at once.
    """

    def _begin(self) -> None:
        # options left at None are not sent: a subclass's begin() may not know them
        given = {name: value for name, value in self._kwargs.items() if value is not None}
        self.db.begin(*self._args, **given)

    def _open(self) -> None:
        self._owner = self.db.transaction_depth() == 0
        if self._owner:
            self._begin()

    def _finish(self, end: Callable[[], None], begin: bool) -> None:
        end()
        if begin:
            self._begin()

    def commit(self, begin: bool = True) -> None:
        """Commit the work done so far; begin a new transaction when ``begin``."""
        self._finish(self.db.commit, begin)

    def rollback(self, begin: bool = True) -> None:
        """Undo the work done so far; begin a new transaction when ``begin``."""
        self._finish(self.db.rollback, begin)

    def _keep(self) -> None:
        self.commit(begin=False)

    def _discard(self) -> None:
        self.rollback(begin=False)

    def _end_session(self, keep: bool, reopen: bool) -> None:
        # a session ends the transaction even when it joined an outer one, and begins
        # again when blocks below it are still open
        (self.commit if keep else self.rollback)(begin=reopen)


class _savepoint(_StackedBlock):
    """A savepoint inside the current transaction.

    Leaving the block releases the savepoint; an exception leaving it first rolls back
    to it (the outer transaction stays usable, on PostgreSQL too after a failed
    statement).  Inside the block, :meth:`commit` releases the savepoint and sets it
    again, :meth:`rollback` undoes the work done since it was set.
    """

    _owner = True

    def __init__(self, db: Any, sid: Optional[str] = None) -> None:
        super().__init__(db, sid)
        self.sid = sid or 'sp_%s' % uuid.uuid4().hex

    @property
    def quoted_sid(self) -> str:
        """The savepoint's name, quoted as an identifier."""
        try:
            return self.db.quote_identifier(self.sid)
        except Exception:   # a database object without the helper
            return '"%s"' % self.sid.replace('"', '""')

    def _say(self, statement: str) -> None:
        self.db.execute_sql(statement % self.quoted_sid)

    def _open(self) -> None:
        self._say('SAVEPOINT %s')

    def commit(self, begin: bool = True) -> None:
        """Release the savepoint (keeping its work); set it again when ``begin``."""
        self._say('RELEASE SAVEPOINT %s')
        if begin:
            self._open()

    def rollback(self) -> None:
        """Undo the work done since the savepoint was set; it stays set."""
        self._say('ROLLBACK TO SAVEPOINT %s')

    def _keep(self) -> None:
        self.commit(begin=False)

    def _discard(self) -> None:
        self.rollback()
        self.commit(begin=False)


class _atomic(TransactionBlock):
    """A transaction when outermost, a savepoint when nested.

    ``with db.atomic() as txn`` gives the :class:`_transaction` or :class:`_savepoint`
    it opened, so ``txn.commit()`` and ``txn.rollback()`` are at hand.  Options
    (``lock_type`` on SQLite, ``isolation_level`` on PostgreSQL) apply to an outermost
    transaction only.
    """

    def __init__(self, db: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(db, *args, **kwargs)
        self._opened: list = []

    def _again(self) -> '_atomic':
        return type(self)(self.db, *self._args, **self._kwargs)

    def __enter__(self) -> Any:
        innermost = self.db.top_transaction()
        if isinstance(innermost, _manual_commit):
            raise ValueError('Cannot enter atomic() inside manual_commit(): in manual-commit '
                             'mode call db.begin(), db.commit() and db.rollback() yourself.')
        if innermost is None:
            block = self.db.transaction(*self._args, **self._kwargs)
        else:
            block = self.db.savepoint()
        entered = block.__enter__()
        self._opened.append(block)
        return entered

    def __exit__(self, exc_type: Optional[type], exc_val: Optional[BaseException],
                 exc_tb: Optional[TracebackType]) -> Optional[bool]:
        return self._opened.pop().__exit__(exc_type, exc_val, exc_tb)


class IsolationLevelBlocks:
    """``atomic()`` and ``transaction()`` taking an ``isolation_level`` (the SQL
    standard's, applied when the block begins the transaction): mixed into the database
    classes of engines that have levels (PostgreSQL, MySQL)."""

    def atomic(self, isolation_level: Any = None) -> _atomic:
        """A transaction (at ``isolation_level``) when outermost, a savepoint when nested."""
        return _atomic(self, isolation_level=isolation_level)

    def transaction(self, isolation_level: Any = None) -> _transaction:
        """A transaction begun at ``isolation_level``."""
        return _transaction(self, isolation_level=isolation_level)
