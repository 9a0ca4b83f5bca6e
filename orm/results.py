"""Row adapters: wrap a DB-API cursor and turn its rows into tuples, dicts, namedtuples or
objects.  Rows are cached as they are read, so a result can be iterated again."""
from __future__ import annotations

import collections
from typing import Any, Callable, Iterator

__all__ = ['CursorWrapper', 'DictCursorWrapper', 'NamedTupleCursorWrapper',
           'ObjectCursorWrapper', 'ResultIterator']


class ResultIterator:
    """Iterates a CursorWrapper, reading from the cursor only past what is cached."""

    __slots__ = ('cursor_wrapper', 'index')

    def __init__(self, cursor_wrapper: 'CursorWrapper') -> None:
        self.cursor_wrapper = cursor_wrapper
        self.index = 0

    def __iter__(self) -> 'ResultIterator':
        return self

    def __next__(self) -> Any:
        wrapper = self.cursor_wrapper
        if self.index < wrapper.count:
            obj = wrapper.row_cache[self.index]
        elif not wrapper.populated:
            wrapper.iterate()
            obj = wrapper.row_cache[self.index]
        else:
            raise StopIteration
        self.index += 1
        return obj


class CursorWrapper:
    """Rows as tuples.  Subclasses override ``process_row`` (and ``initialize``)."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.count = 0
        self.index = 0
        self.initialized = False
        self.populated = False
        self.row_cache: list = []

    def __iter__(self) -> Iterator:
        if self.populated:
            return iter(self.row_cache)
        return ResultIterator(self)

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, slice):
            stop = item.stop
            if stop is None or stop < 0:
                self.fill_cache()
            else:
                self.fill_cache(stop)
            return self.row_cache[item]
        if isinstance(item, int):
            self.fill_cache(item + 1 if item >= 0 else None)
            return self.row_cache[item]
        raise TypeError('results are indexed by integers or slices, got %r' % (item,))

    def __len__(self) -> int:
        self.fill_cache()
        return self.count

    @property
    def columns(self) -> list[str]:
        return [col[0] for col in self.cursor.description or ()]

    def initialize(self) -> None:
        pass

    def iterate(self, cache: bool = True) -> Any:
        row = self.cursor.fetchone()
        if row is None:
            self.populated = True
            self.cursor.close()
            raise StopIteration
        if not self.initialized:
            self.initialize()
            self.initialized = True
        result = self.process_row(row)
        if cache:
            self.count += 1
            self.row_cache.append(result)
        return result

    def iterator(self) -> Iterator:
        """Iterate without caching rows (for large results)."""
        while True:
            try:
                yield self.iterate(False)
            except StopIteration:
                return

    def fill_cache(self, n: int | None = None) -> None:
        n = n or 0
        if self.populated:
            return
        if n <= 0:
            # read everything that is left in one go
            if not self.initialized and self.cursor.description is not None:
                self.initialize()
                self.initialized = True
            rows = self.cursor.fetchall() if self.cursor.description is not None else []
            process = self.process_row
            self.row_cache.extend(process(row) for row in rows)
            self.count = len(self.row_cache)
            self.populated = True
            self.cursor.close()
            return
        iterator = ResultIterator(self)
        iterator.index = self.count
        while not self.populated and n > self.count:
            try:
                next(iterator)
            except StopIteration:
                break

    def process_row(self, row: tuple) -> Any:
        return row


class DictCursorWrapper(CursorWrapper):
    """Rows as dicts keyed by column name."""

    def initialize(self) -> None:
        self._keys = tuple(self.columns)

    def process_row(self, row: tuple) -> dict:
        return dict(zip(self._keys, row))


class NamedTupleCursorWrapper(CursorWrapper):
    def initialize(self) -> None:
        self.tuple_class = collections.namedtuple('Row', self.columns, rename=True)

    def process_row(self, row: tuple) -> Any:
        return self.tuple_class(*row)


class ObjectCursorWrapper(DictCursorWrapper):
    """Rows passed as keyword arguments to ``constructor``."""

    def __init__(self, cursor: Any, constructor: Callable) -> None:
        super().__init__(cursor)
        self.constructor = constructor

    def process_row(self, row: tuple) -> Any:
        return self.constructor(**dict(zip(self._keys, row)))
