"""The SQLite functions whose peewee versions are compiled C: here they are plain Python.

``playhouse.sqlite_udf`` registers them (``median`` in the MATH group, the three edit
distances in the STRING group); they are importable from either module.  Each works on
any two strings (or, for ``median``, any comparable values) and needs nothing but the
standard library.
"""
from __future__ import annotations

import difflib
from typing import Any, List, Optional

__all__ = ['damerau_levenshtein_dist', 'levenshtein_dist', 'str_dist', 'median']


def _text(value: Any) -> str:
    if value is None:
        return ''
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    return str(value)


def levenshtein_dist(a: Any, b: Any) -> int:
    """The fewest single-character insertions, deletions and substitutions that turn
    ``a`` into ``b``."""
    s, t = _text(a), _text(b)
    if len(s) < len(t):
        s, t = t, s
    # one row of the edit-distance table at a time, over the shorter string
    previous = list(range(len(t) + 1))
    for i, cs in enumerate(s, 1):
        current = [i]
        for j, ct in enumerate(t, 1):
            current.append(min(previous[j] + 1,            # drop cs
                               current[j - 1] + 1,         # add ct
                               previous[j - 1] + (cs != ct)))
        previous = current
    return previous[-1]


def damerau_levenshtein_dist(a: Any, b: Any) -> int:
    """Like :func:`levenshtein_dist`, also counting the swap of two neighbouring
    characters as one edit (the "optimal string alignment" distance)."""
    s, t = _text(a), _text(b)
    rows: List[List[int]] = [[j for j in range(len(t) + 1)]]
    for i in range(1, len(s) + 1):
        row = [i] + [0] * len(t)
        for j in range(1, len(t) + 1):
            cost = 0 if s[i - 1] == t[j - 1] else 1
            best = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and s[i - 1] == t[j - 2] and s[i - 2] == t[j - 1]:
                best = min(best, rows[i - 2][j - 2] + 1)
            row[j] = best
        rows.append(row)
    return rows[-1][-1]


def str_dist(a: Any, b: Any) -> int:
    """How many characters of ``a`` and ``b`` fall outside the blocks that
    :class:`difflib.SequenceMatcher` finds in common: 0 for equal strings."""
    matcher = difflib.SequenceMatcher(None, _text(a), _text(b), autojunk=False)
    return sum((i2 - i1) + (j2 - j1)
               for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != 'equal')


class median:
    """Aggregate: the middle value of the non-NULL values (of an even count, the upper
    of the two middle ones); NULL when there are none."""

    def __init__(self) -> None:
        self.values: List[Any] = []

    def step(self, value: Any) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> Optional[Any]:
        if not self.values:
            return None
        ordered = sorted(self.values)
        return ordered[len(ordered) // 2]
