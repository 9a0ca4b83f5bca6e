"""Plain row adapters: a DB-API cursor's rows as tuples, dicts, namedtuples or objects.

An adapter reads its cursor lazily, a batch at a time, and keeps every row it has shaped
in ``row_cache``, so a result can be iterated (or indexed) again without another trip to
the database.  Subclasses shape rows through two hooks: ``initialize()``, run once before
the first row (the cursor's description is known by then), and ``process_row(row)``.

Queries do not pick an adapter class themselves: each database maps row types to
adapters (``Database.row_adapters``), and a query asks the database it runs on.  The
model-aware adapters (``orm.results``) build on these.
"""
from __future__ import annotations

import collections
import keyword
import re
from typing import Any, Callable, Iterable, Iterator

__all__ = ['CursorWrapper', 'DictCursorWrapper', 'NamedTupleCursorWrapper',
           'ObjectCursorWrapper', 'ResultIterator']


_WORD = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')


class _BadIndex(TypeError, ValueError):
    """Results indexed by something else than an integer or a slice (a TypeError, and
    the ValueError peewee raises)."""


def _rows_to_read(index: Any) -> int | None:
    """How many rows must be cached to answer ``rows[index]`` (None: all of them, for
    positions counted from the end or an open slice)."""
    last = index.stop if isinstance(index, slice) else index
    if not isinstance(index, (int, slice)) or not isinstance(last, (int, type(None))):
        raise _BadIndex('results are indexed by integers or slices, got %r' % (index,))
    if last is None or last < 0:
        return None
    return last if isinstance(index, slice) else last + 1


class CursorWrapper:
    """Rows as the driver gives them (tuples); the base of every row adapter."""

    #: rows read from the driver at a time while iterating: results stay lazy, but the
    #: per-row cost of a driver call is paid once per batch
    batch_size = 256
    #: the dialect the query ran on (set by the query): lets adapters skip converting
    #: values the driver already returns as the right Python type
    dialect: Any = None

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.row_cache: list = []
        self.initialized = False
        self.populated = False      # every row has been read (and the cursor closed)

    # -- reading rows --------------------------------------------------------------------
    def _pull(self, limit: int | None = None) -> int:
        """Read, shape and cache up to ``limit`` more rows (all that are left when
        ``None``); returns how many were read.  A short read means the rows ran out."""
        if self.populated:
            return 0
        cursor = self.cursor
        if cursor.description is None:          # the statement returned no result set
            batch: list = []
        elif limit is None:
            batch = cursor.fetchall()
        else:
            batch = cursor.fetchmany(limit)
        if batch:
            self._ready()
            self.row_cache.extend(self.process_rows(batch))
        if limit is None or len(batch) < limit:
            self._finish()
        return len(batch)

    def _ready(self) -> None:
        """Run ``initialize()`` the first time a row is about to be shaped."""
        if not self.initialized:
            self.initialize()
            self.initialized = True

    def _finish(self) -> None:
        """Every row has been read: close the cursor."""
        self.populated = True
        self.cursor.close()

    @property
    def count(self) -> int:
        """How many rows have been read so far."""
        return len(self.row_cache)

    def fill_cache(self, n: int | None = None) -> None:
        """Read until ``n`` rows are cached (every row when ``n`` is 0 or ``None``).

        Rows are read a whole batch at a time even when fewer are asked for: a small
        result is then read to its end at once, which closes the cursor (an unfinished
        SQLite statement would keep the database file locked for other connections)."""
        if n is not None and n < 0:
            raise ValueError('fill_cache() takes a number of rows, got %d' % n)
        if not n:
            self._pull(None)
            return
        while not self.populated and len(self.row_cache) < n:
            self._pull(max(n - len(self.row_cache), self.batch_size))

    # -- access ---------------------------------------------------------------------------
    def __iter__(self) -> Iterator:
        if self.populated:
            return iter(self.row_cache)
        return self._stream()

    def _stream(self) -> Iterator:
        # a generator is cheaper per row than an iterator object's __next__
        cache = self.row_cache
        delivered = 0
        while True:
            pending = cache[delivered:]
            if pending:
                delivered += len(pending)
                yield from pending
            elif not self._pull(self.batch_size):
                return

    def __getitem__(self, item: Any) -> Any:
        self.fill_cache(_rows_to_read(item))
        return self.row_cache[item]

    def __len__(self) -> int:
        self.fill_cache()
        return len(self.row_cache)

    @property
    def columns(self) -> list[str]:
        """The result's column names, as the cursor describes them."""
        return [column[0] for column in self.cursor.description or ()]

    def dedupe_columns(self, columns: Iterable[str],
                       valid_identifiers: bool = True) -> list[str]:
        """``columns`` made unique: a name met again gets ``_2``, ``_3`` ... appended.

        With ``valid_identifiers`` each name is first reduced to an identifier where it
        is not one: the last word of an expression's text (``"t1"."name"`` and
        ``SUM("t1"."name")`` become ``name``).  Names with no word in them are kept."""
        taken: set = set()
        unique = []
        for name in columns:
            if valid_identifiers and not (name.isidentifier() and
                                          not keyword.iskeyword(name)):
                words = _WORD.findall(name)
                if words:
                    name = words[-1]
            candidate, number = name, 1
            while candidate in taken:
                number += 1
                candidate = '%s_%d' % (name, number)
            taken.add(candidate)
            unique.append(candidate)
        return unique

    def iterate(self, cache: bool = True) -> Any:
        """The next row from the cursor (``StopIteration`` at the end); kept in the cache
        unless ``cache`` is false."""
        if not cache:
            return next(self.iterator())
        if not self._pull(1):
            raise StopIteration
        return self.row_cache[-1]

    def iterator(self) -> Iterator:
        """The remaining rows, without caching them (for results too big to keep).  Rows
        are fetched one by one, so a server-side cursor is read no further ahead than
        its own batch."""
        if self.populated:
            return
        cursor = self.cursor
        if cursor.description is not None:
            for raw in iter(cursor.fetchone, None):
                self._ready()
                yield self.process_row(raw)
        self._finish()

    # -- shaping hooks --------------------------------------------------------------------
    def initialize(self) -> None:
        """Prepare for shaping rows (runs once, before the first row)."""

    def process_row(self, row: tuple) -> Any:
        return row

    def process_rows(self, rows: list) -> list:
        """Shape a batch of rows (subclasses may override it with a tighter loop)."""
        return list(map(self.process_row, rows))


class ResultIterator:
    """An independent position in a CursorWrapper's rows, reading more as it goes."""

    __slots__ = ('cursor_wrapper', 'index')

    def __init__(self, cursor_wrapper: CursorWrapper) -> None:
        self.cursor_wrapper = cursor_wrapper
        self.index = 0

    def __iter__(self) -> 'ResultIterator':
        return self

    def __next__(self) -> Any:
        wrapper = self.cursor_wrapper
        position = self.index
        if position >= len(wrapper.row_cache) and not wrapper._pull(wrapper.batch_size):
            raise StopIteration
        self.index = position + 1
        return wrapper.row_cache[position]


class DictCursorWrapper(CursorWrapper):
    """Rows as dicts keyed by column name."""

    def initialize(self) -> None:
        # a name that comes again (two columns called "id") is told apart: id, id_2
        self._keys = tuple(self.dedupe_columns(self.columns, valid_identifiers=False))

    def process_row(self, row: tuple) -> dict:
        return dict(zip(self._keys, row))


class NamedTupleCursorWrapper(CursorWrapper):
    """Rows as namedtuples: column names are made identifiers and unique (see
    ``dedupe_columns()``); names that still are not become ``_0``, ``_1``, ..."""

    tuple_class: Any = None

    def initialize(self) -> None:
        make_class: Any = collections.namedtuple     # the names are known only now
        self.tuple_class = make_class('Row', self.dedupe_columns(self.columns), rename=True)

    def process_row(self, row: tuple) -> Any:
        return self.tuple_class._make(row)


class ObjectCursorWrapper(DictCursorWrapper):
    """Rows passed as keyword arguments to ``constructor`` (names made identifiers and
    unique, see ``dedupe_columns()``)."""

    def __init__(self, cursor: Any, constructor: Callable) -> None:
        super().__init__(cursor)
        self.constructor = constructor

    def initialize(self) -> None:
        self._keys = tuple(self.dedupe_columns(self.columns))

    def process_row(self, row: tuple) -> Any:
        return self.constructor(**dict(zip(self._keys, row)))
