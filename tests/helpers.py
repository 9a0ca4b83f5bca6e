"""Test helpers shared by the model-layer tests.

``count_queries`` counts the statements a block runs; it is
:class:`playhouse.test_utils.count_queries` (which listens to the ``orm`` logger) with
the database as an optional first argument, for readability::

    with count_queries(db) as counter:
        list(Tweet.select())
    assert counter.count == 1

``count_queries(only_select=True)`` counts SELECT statements only; ``counter.sql``
lists the statements seen (handy in assertion messages).
"""
from __future__ import annotations

from typing import Any, Optional

from playhouse.test_utils import count_queries as _count_queries

__all__ = ['count_queries']


class count_queries(_count_queries):
    """``count_queries(db=None, only_select=False)``; ``db`` is for readability only:
    statements of every database go through the one ``orm`` logger."""

    def __init__(self, db: Optional[Any] = None, only_select: bool = False) -> None:
        super().__init__(only_select=only_select)

    @property
    def sql(self) -> list:
        return [sql for sql, _ in self.get_queries()]

    def __repr__(self) -> str:
        return '<count_queries %d: %r>' % (self.count, self.sql)


class RunningSum:
    """A window aggregate for the tests of user-defined window functions: the running
    total of its argument over the frame."""

    def __init__(self):
        self.total = 0

    def step(self, x):
        self.total += x

    def inverse(self, x):
        self.total -= x

    def value(self):
        return self.total

    def finalize(self):
        return self.total
