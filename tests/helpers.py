"""Test helpers shared by the model-layer tests.

``count_queries`` counts the statements a block runs by listening to the ``orm``
logger, where every statement is logged at DEBUG as ``(sql, params)``::

    with count_queries() as counter:
        list(Tweet.select())
    assert counter.count == 1

``count_queries(only_select=True)`` counts SELECT statements only; ``counter.sql``
lists the statements seen (handy in assertion messages).
"""
from __future__ import annotations

import contextlib
import logging
from typing import Any, Iterator, Optional

__all__ = ['QueryCounter', 'count_queries']


class QueryCounter(logging.Handler):
    """A logging handler that records each ``(sql, params)`` the ``orm`` logger emits."""

    def __init__(self, only_select: bool = False, database: Any = None) -> None:
        super().__init__(logging.DEBUG)
        self.only_select = only_select
        self.database = database
        self.queries: list = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.msg
        if not (isinstance(message, tuple) and len(message) == 2):
            return
        sql = message[0]
        if not isinstance(sql, str):
            return
        if self.only_select and not sql.lstrip().upper().startswith(('SELECT', 'WITH')):
            return
        self.queries.append(message)

    @property
    def count(self) -> int:
        return len(self.queries)

    @property
    def sql(self) -> list:
        return [sql for sql, _ in self.queries]

    def __repr__(self) -> str:
        return '<QueryCounter %d: %r>' % (self.count, self.sql)


@contextlib.contextmanager
def count_queries(db: Optional[Any] = None, only_select: bool = False
                  ) -> Iterator[QueryCounter]:
    """Count the statements executed inside the block (``only_select``: SELECTs only).

    ``db`` is accepted for readability (``count_queries(db)``); statements of every
    database go through the one ``orm`` logger.
    """
    logger = logging.getLogger('orm')
    handler = QueryCounter(only_select=only_select, database=db)
    old_level = logger.level
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.DEBUG:
        logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
