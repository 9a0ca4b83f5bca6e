"""A ``transitive_closure`` virtual-table module written in Python.

SQLite ships a loadable C extension of that name (``closure.c``, not part of the
standard library build); :func:`playhouse.sqlite_ext.ClosureTable` needs a module that
answers the same queries.  This one is registered on every connection of a
:class:`~playhouse.sqlite_ext.SqliteExtDatabase` (and so of an ``APSWDatabase``) before
any extension is loaded, so a real ``closure`` extension loaded later replaces it.

Usage is the same as with the C extension::

    CREATE VIRTUAL TABLE cat_closure USING transitive_closure(
        tablename=category, idcolumn=id, parentcolumn=parent_id);

    SELECT id, depth FROM cat_closure WHERE root = 1;               -- descendants of 1
    SELECT id FROM cat_closure WHERE root = 1 AND depth <= 2;        -- at most 2 levels

Columns: ``id`` and ``depth`` (the rows), and the hidden ``root``, ``tablename``,
``idcolumn`` and ``parentcolumn``.  A scan needs ``root = ?``; without it the table is
empty.  ``depth`` may be constrained with ``=``, ``<=`` or ``<`` to stop the walk early
(other comparisons are checked by SQLite on the rows).  The three configuration columns
may be given in the ``CREATE VIRTUAL TABLE`` arguments or per query (``WHERE tablename =
'other'``).  The walk is breadth first: each node is reported once, at its shortest
distance from ``root`` (``root`` itself at depth 0), so cycles terminate.
"""
from __future__ import annotations

import math
from typing import Any, Optional

from . import _vtab

__all__ = ['TransitiveClosureModule', 'MODULE', 'MODULE_NAME', 'register']

MODULE_NAME = 'transitive_closure'

# column numbers in the declaration below
_ID, _DEPTH, _ROOT, _TABLENAME, _IDCOLUMN, _PARENTCOLUMN = range(6)
_CONFIG = ('tablename', 'idcolumn', 'parentcolumn')
_DECLARATION = ('CREATE TABLE x(id, depth, root HIDDEN, tablename HIDDEN, '
                'idcolumn HIDDEN, parentcolumn HIDDEN)')

# idx_num bits
_HAS_ROOT = 1
_DEPTH_EQ, _DEPTH_LE, _DEPTH_LT = 2, 4, 8
_CONFIG_BITS = {_TABLENAME: 16, _IDCOLUMN: 32, _PARENTCOLUMN: 64}
_DEPTH_OPS = {_vtab.SQLITE_INDEX_CONSTRAINT_EQ: _DEPTH_EQ,
              _vtab.SQLITE_INDEX_CONSTRAINT_LE: _DEPTH_LE,
              _vtab.SQLITE_INDEX_CONSTRAINT_LT: _DEPTH_LT}


def _unquote(text: str) -> str:
    text = text.strip()
    pairs = {'"': '"', "'": "'", '`': '`', '[': ']'}
    if len(text) >= 2 and text[0] in pairs and text[-1] == pairs[text[0]]:
        close = pairs[text[0]]
        inner = text[1:-1]
        return inner if close == ']' else inner.replace(close * 2, close)
    return text


def parse_arguments(args: tuple) -> dict:
    """``('tablename=t', 'idcolumn="id"', ...)`` -> ``{'tablename': 't', ...}``."""
    config: dict = {}
    for arg in args:
        key, sep, value = str(arg).partition('=')
        key = key.strip().lower()
        if not sep or key not in _CONFIG:
            raise ValueError('transitive_closure: unknown argument %r (expected '
                             'tablename=..., idcolumn=..., parentcolumn=...)' % arg)
        config[key] = _unquote(value)
    return config


def _quote_identifier(name: str) -> str:
    return '"%s"' % str(name).replace('"', '""')


class _ClosureCursor:
    __slots__ = ('table', 'rows', 'index', 'root', 'config')

    def __init__(self, table: '_ClosureTable') -> None:
        self.table = table
        self.rows: list = []
        self.index = 0
        self.root: Any = None
        self.config: dict = {}

    @property
    def eof(self) -> bool:
        return self.index >= len(self.rows)

    @eof.setter
    def eof(self, value: bool) -> None:   # the back end ends a scan that failed
        if value:
            self.rows = []

    def filter(self, idx_num: int, idx_str: Optional[str], args: tuple) -> None:
        values = iter(args)
        self.rows, self.index = [], 0
        self.root = next(values) if idx_num & _HAS_ROOT else None
        only = limit = None
        if idx_num & (_DEPTH_EQ | _DEPTH_LE | _DEPTH_LT):
            bound = next(values)
            if bound is None:
                return
            try:
                bound = float(bound)
            except (TypeError, ValueError):
                return
            if idx_num & _DEPTH_EQ:
                if bound != int(bound):
                    return
                only = limit = int(bound)
            elif idx_num & _DEPTH_LE:
                limit = math.floor(bound)
            else:
                limit = math.ceil(bound) - 1
        config = dict(self.table.config)
        for column in (_TABLENAME, _IDCOLUMN, _PARENTCOLUMN):
            if idx_num & _CONFIG_BITS[column]:
                config[_CONFIG[column - _TABLENAME]] = next(values)
        self.config = config
        if self.root is None or (limit is not None and limit < 0):
            return
        missing = [key for key in _CONFIG if not config.get(key)]
        if missing:
            raise ValueError('transitive_closure: no %s given (in CREATE VIRTUAL TABLE or '
                             'as a constraint)' % ' / '.join(missing))
        self.rows = self._walk(config, self.root, only, limit)

    def _walk(self, config: dict, root: Any, only: Any, limit: Any) -> list:
        sql = 'SELECT %s FROM %s WHERE %s = ?' % (
            _quote_identifier(config['idcolumn']), _quote_identifier(config['tablename']),
            _quote_identifier(config['parentcolumn']))
        rows = [(root, 0)] if only in (None, 0) else []
        seen = {root}
        frontier = [root]
        depth = 0
        while frontier and (limit is None or depth < limit):
            depth += 1
            found = []
            for node in frontier:
                for (child,) in self.table.runner.rows(sql, (node,)):
                    if child is None or child in seen:
                        continue
                    seen.add(child)
                    found.append(child)
                    if only is None or only == depth:
                        rows.append((child, depth))
            frontier = found
        return rows

    def next(self) -> None:
        self.index += 1

    def rowid(self) -> int:
        return self.index

    def column(self, i: int) -> Any:
        if i == _ID:
            return self.rows[self.index][0]
        if i == _DEPTH:
            return self.rows[self.index][1]
        if i == _ROOT:
            return self.root
        if _TABLENAME <= i <= _PARENTCOLUMN:
            return self.config.get(_CONFIG[i - _TABLENAME])
        return None

    def close(self) -> None:
        self.rows = []


class _ClosureTable:
    declaration = _DECLARATION

    def __init__(self, runner: Any, config: dict) -> None:
        self.runner = runner
        self.config = config

    def best_index(self, constraints: list) -> tuple:
        chosen: dict = {}   # idx bit -> constraint number
        for i, (column, op, usable) in enumerate(constraints):
            if not usable:
                continue
            if column == _ROOT and op == _vtab.SQLITE_INDEX_CONSTRAINT_EQ:
                chosen.setdefault(_HAS_ROOT, i)
            elif column == _DEPTH and op in _DEPTH_OPS:
                if not any(bit in chosen for bit in (_DEPTH_EQ, _DEPTH_LE, _DEPTH_LT)):
                    chosen[_DEPTH_OPS[op]] = i
            elif column in _CONFIG_BITS and op == _vtab.SQLITE_INDEX_CONSTRAINT_EQ:
                chosen.setdefault(_CONFIG_BITS[column], i)
        usage: list = [None] * len(constraints)
        idx_num = 0
        for position, bit in enumerate(sorted(chosen)):
            usage[chosen[bit]] = (position, True)
            idx_num |= bit
        if idx_num & _HAS_ROOT:
            cost = 100.0 if idx_num & (_DEPTH_EQ | _DEPTH_LE | _DEPTH_LT) else 1000.0
        else:
            cost = 1e12   # nothing to walk from: make every plan that feeds root cheaper
        return usage, idx_num, None, cost

    def open(self) -> _ClosureCursor:
        return _ClosureCursor(self)


class TransitiveClosureModule:
    """The module object given to :func:`playhouse._vtab.register_module`."""

    eponymous_only = False

    def connect(self, runner: Any, args: tuple) -> _ClosureTable:
        return _ClosureTable(runner, parse_arguments(args))


MODULE = TransitiveClosureModule()


def register(conn: Any) -> None:
    """Register ``transitive_closure`` on a raw ``sqlite3`` or ``apsw`` connection."""
    _vtab.register_module(conn, MODULE_NAME, MODULE)
