"""Helpers for testing code that uses orm: count the statements a block runs.

Every statement orm executes is logged to the ``orm`` logger at DEBUG level as the tuple
``(sql, params)``; these helpers listen there::

    from playhouse.test_utils import assert_query_count, count_queries

    with count_queries() as counter:
        list(User.select())
    assert counter.count == 1

    @assert_query_count(1)
    def test_one_query():
        list(User.select())
"""
from __future__ import annotations

import functools
import logging
import threading
from types import TracebackType
from typing import Any, Callable, Optional

from orm import query_logger

__all__ = ['count_queries', 'assert_query_count']



class _Query(tuple):
    """One statement seen: a ``(sql, params)`` tuple that also answers to the
    ``logging.LogRecord`` attributes peewee's ``get_queries()`` gave (``q.msg`` is the
    same tuple; ``q.record`` the record itself)."""

    record: Optional[logging.LogRecord] = None

    @property
    def sql(self) -> str:
        return self[0]

    @property
    def params(self) -> Any:
        return self[1]

    @property
    def msg(self) -> tuple:
        return tuple(self)

    def getMessage(self) -> str:
        return str(tuple(self))

    def __getattr__(self, name: str) -> Any:
        # the other LogRecord attributes (created, thread, levelname ...)
        record = self.__dict__.get('record')
        if record is None or name.startswith('__'):
            raise AttributeError(name)
        return getattr(record, name)


class _QueryLogHandler(logging.Handler):
    """Collects the ``(sql, params)`` records the ``orm`` logger emits."""

    def __init__(self, only_select: bool = False, thread: Optional[int] = None) -> None:
        super().__init__(logging.DEBUG)
        self.only_select = only_select
        self.thread = thread
        self.queries: list = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.msg
        if not (isinstance(message, tuple) and len(message) == 2 and
                isinstance(message[0], str)):
            return
        if self.thread is not None and record.thread != self.thread:
            return
        if self.only_select and not message[0].lstrip()[:6].upper() == 'SELECT':
            return
        query = _Query(message)
        query.record = record
        self.queries.append(query)


class count_queries:
    """Context manager counting the statements run inside the block.

    :param only_select: count ``SELECT`` statements only.
    :param current_thread: count only the statements of the thread that entered the
        block (statements of other threads go through the same logger).

    After the block, ``count`` is the number of statements and ``get_queries()`` their
    ``(sql, params)`` tuples (which also have the log record's attributes, as in
    peewee: ``q.msg`` is ``(sql, params)``).
    """

    def __init__(self, only_select: bool = False, current_thread: bool = False) -> None:
        self.only_select = only_select
        self.current_thread = current_thread
        self._handler: Optional[_QueryLogHandler] = None
        self._queries: list = []
        self._old_level = logging.NOTSET

    def get_queries(self) -> list:
        """The ``(sql, params)`` tuples seen (so far, when still inside the block)."""
        if self._handler is not None:
            return list(self._handler.queries)
        return list(self._queries)

    @property
    def queries(self) -> list:
        return self.get_queries()

    @property
    def count(self) -> int:
        """How many statements ran (so far, when read inside the block)."""
        return len(self._handler.queries if self._handler is not None else self._queries)

    def __enter__(self) -> 'count_queries':
        thread = threading.get_ident() if self.current_thread else None
        self._handler = _QueryLogHandler(self.only_select, thread)
        # the logger statements go to now: ``orm``, or ``peewee`` after install_as_peewee()
        self._logger = logger = query_logger()
        self._old_level = logger.level
        logger.addHandler(self._handler)
        if not logger.isEnabledFor(logging.DEBUG):
            logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, exc_type: Optional[type], exc_val: Optional[BaseException],
                 exc_tb: Optional[TracebackType]) -> None:
        handler, self._handler = self._handler, None
        logger = self._logger
        logger.setLevel(self._old_level)
        if handler is not None:
            logger.removeHandler(handler)
            self._queries = list(handler.queries)


class assert_query_count(count_queries):
    """Fail (``AssertionError``) unless the block or function runs exactly ``expected``
    statements.  Works as a context manager and as a decorator::

        with assert_query_count(2):
            ...

        @assert_query_count(1, only_select=True)
        def test_lookup():
            ...
    """

    def __init__(self, expected: int, only_select: bool = False,
                 current_thread: bool = False) -> None:
        super().__init__(only_select=only_select, current_thread=current_thread)
        self.expected = expected

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            with assert_query_count(self.expected, self.only_select, self.current_thread):
                return fn(*args, **kwargs)
        return inner

    def __exit__(self, exc_type: Optional[type], exc_val: Optional[BaseException],
                 exc_tb: Optional[TracebackType]) -> None:
        super().__exit__(exc_type, exc_val, exc_tb)
        if exc_type is None and self.count != self.expected:
            queries = '\n'.join('  %s %r' % (sql, params) for sql, params in self._queries)
            raise AssertionError('%d %s executed, %d expected%s' % (
                self.count, 'query' if self.count == 1 else 'queries', self.expected,
                ':\n' + queries if queries else ''))
