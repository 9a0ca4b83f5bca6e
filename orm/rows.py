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
import re
from typing import Any, Callable, Iterable, Iterator

__all__ = ['CursorWrapper', 'DictCursorWrapper', 'NamedTupleCursorWrapper',
           'ObjectCursorWrapper', 'ResultIterator', 'clean_label', 'as_identifier',
           'dedupe_names']


# -- column names -------------------------------------------------------------------------
#: what surrounds the name inside a label the driver made up for an unnamed expression
_LABEL_EDGES = '"`() \t\r\n'
_IDENTIFIER = re.compile(r'[^\W\d]\w*')


def clean_label(label: str) -> str:
    """The name inside a column label that the driver made up for an expression selected
    without an alias: ``SUM("t1"."price")`` gives ``price``, ``"t1"."name"`` gives
    ``name``.  What follows the last dot is kept, without the quotes, parentheses and
    blanks around it (a label that would come out empty is kept whole)."""
    tail = label.rpartition('.')[2].strip(_LABEL_EDGES)
    return tail or label


def as_identifier(name: str) -> str:
    """``name`` made usable as an attribute: cleaned like a made-up label, then cut to
    its first identifier (``COUNT(1)`` gives ``COUNT``).  Left alone when nothing in it
    can be one."""
    if name.isidentifier():
        return name
    cleaned = clean_label(name)
    if cleaned.isidentifier():
        return cleaned
    found = _IDENTIFIER.search(cleaned)
    return found.group() if found else name


def dedupe_names(names: Iterable[str], valid_identifiers: bool = True) -> list[str]:
    """``names`` with every repeat given a numbered suffix (``id``, ``id_2``, ``id_3``),
    each first made an identifier when ``valid_identifiers`` is true."""
    taken: set = set()
    unique: list = []
    for name in names:
        if valid_identifiers:
            name = as_identifier(name)
        if name in taken:
            number = 2
            while '%s_%d' % (name, number) in taken:
                number += 1
            name = '%s_%d' % (name, number)
        taken.add(name)
        unique.append(name)
    return unique


class BadRowIndex(TypeError, ValueError):
    """Rows indexed by something other than an integer or a slice: a ``TypeError``, as
    Python's sequences raise, and a ``ValueError``, as peewee raises."""


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
    #: per column, a converter applied to its non-NULL values before the row is shaped
    #: (set by the query when the application gave some column one); None: none
    value_converters: list | None = None

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.row_cache: list = []
        self.initialized = False
        self.populated = False      # every row has been read and shaped
        self._unshaped: list = []   # rows read from the driver, not shaped yet
        self._drained = False       # the driver has given its last row (cursor closed)

    # -- reading rows --------------------------------------------------------------------
    def _read(self, limit: int | None) -> None:
        """Fetch up to ``limit`` more rows from the driver (all that are left when
        ``None``) into the unshaped rows; a short read closes the cursor."""
        cursor = self.cursor
        if cursor.description is None:          # the statement returned no result set
            fetched: list = []
        elif limit is None:
            fetched = cursor.fetchall()
        else:
            fetched = cursor.fetchmany(limit)
        if fetched:
            self._ready()          # (while the cursor still describes its columns)
        if limit is None or len(fetched) < limit:
            self._drained = True
            cursor.close()
        if self._unshaped:
            self._unshaped.extend(fetched)
        else:
            self._unshaped = fetched if isinstance(fetched, list) else list(fetched)

    def _pull(self, limit: int | None = None) -> int:
        """Shape and cache up to ``limit`` more rows (all that are left when ``None``);
        returns how many.  The driver is read a whole batch at a time even when fewer
        rows are wanted: a small result is then read to its end at once, which closes
        the cursor (an unfinished SQLite statement keeps the database file locked),
        while only the rows asked for are shaped and cached."""
        if self.populated:
            return 0
        waiting = self._unshaped
        if limit is None:
            if not self._drained:
                self._read(None)
            batch, self._unshaped = self._unshaped, []
        else:
            if len(waiting) < limit and not self._drained:
                self._read(max(limit - len(waiting), self.batch_size))
                waiting = self._unshaped
            if len(waiting) <= limit:
                batch, self._unshaped = waiting, []
            else:
                batch = waiting[:limit]
                del waiting[:limit]
        if batch:
            self._ready()
            if self.value_converters is not None:
                batch = self._converted(batch)
            self.row_cache.extend(self.process_rows(batch))
        if self._drained and not self._unshaped:
            self.populated = True
        return len(batch)

    def _ready(self) -> None:
        """Run ``initialize()`` the first time a row is about to be shaped."""
        if not self.initialized:
            self.initialize()
            self.initialized = True
            converters = self.value_converters
            # (converters that do not match the columns, as a hand-written query may
            # give, are not applied)
            self._conversions = [
                (i, c) for i, c in enumerate(converters) if c is not None
            ] if converters and len(converters) == len(self.cursor.description or ()) else []

    def _finish(self) -> None:
        """Every row has been read: close the cursor."""
        self.populated = True
        if not self._drained:
            self._drained = True
            self.cursor.close()

    @property
    def count(self) -> int:
        """How many rows have been read so far."""
        return len(self.row_cache)

    def fill_cache(self, n: int | None = None) -> None:
        """Shape and cache rows until ``n`` are cached (every row when ``n`` is ``None``
        or 0)."""
        if n is not None and n < 0:
            raise ValueError('fill_cache() takes a count of rows, not %r' % (n,))
        if not n:
            self._pull(None)
            return
        while not self.populated and len(self.row_cache) < n:
            self._pull(n - len(self.row_cache))

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
        if isinstance(item, slice):
            wanted = item.stop
            if wanted is not None and wanted < 0 or (item.start or 0) < 0:
                wanted = None                  # counted from the end: every row is needed
        elif isinstance(item, int):
            wanted = item + 1 if item >= 0 else None
        else:
            raise BadRowIndex('results are indexed by integers or slices, got %r' % (item,))
        self.fill_cache(wanted)
        return self.row_cache[item]

    def __len__(self) -> int:
        self.fill_cache()
        return len(self.row_cache)

    @property
    def columns(self) -> list[str]:
        """The result's column names, as the cursor describes them."""
        return [column[0] for column in self.cursor.description or ()]

    def dedupe_columns(self, columns: Iterable[str], valid_identifiers: bool = True
                       ) -> list[str]:
        """Column names made unique (a repeated name gets ``_2``, ``_3``, ...) and, when
        ``valid_identifiers`` is true, usable as attribute names first."""
        return dedupe_names(columns, valid_identifiers)

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
        waiting, self._unshaped = self._unshaped, []
        convert = self._converted if self.value_converters is not None else None
        for raw in waiting:
            self._ready()
            yield self.process_row(convert([raw])[0] if convert else raw)
        cursor = self.cursor
        if not self._drained and cursor.description is not None:
            for raw in iter(cursor.fetchone, None):
                self._ready()
                yield self.process_row(convert([raw])[0] if convert else raw)
        self._finish()

    def _converted(self, rows: list) -> list:
        """``rows`` with the column converters applied (as tuples)."""
        pairs = self._conversions
        if not pairs:
            return rows
        out = []
        for row in rows:
            values = list(row)
            for position, convert in pairs:
                if values[position] is not None:
                    values[position] = convert(values[position])
            out.append(tuple(values))
        return out

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
    """Rows as dicts keyed by column name (a repeated name gets a numbered suffix)."""

    def initialize(self) -> None:
        self._keys = tuple(dedupe_names(self.columns, False))

    def process_row(self, row: tuple) -> dict:
        return dict(zip(self._keys, row))


class NamedTupleCursorWrapper(CursorWrapper):
    """Rows as namedtuples: column names are made identifiers and unique (see
    ``dedupe_columns()``); names that still are not become ``_0``, ``_1``, ..."""

    tuple_class: Any = None

    def initialize(self) -> None:
        make_class: Any = collections.namedtuple     # the names are known only now
        self.tuple_class = make_class('Row', dedupe_names(self.columns), rename=True)

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
