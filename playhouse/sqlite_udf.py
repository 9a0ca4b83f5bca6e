"""A library of SQL functions and aggregates for SQLite, written in Python.

The functions come in named groups; register a database with all of them or with the
groups it needs, then call them from SQL or through ``fn``::

    from orm import SqliteDatabase, fn
    from playhouse.sqlite_udf import register_all, register_groups, DATE, STRING

    db = SqliteDatabase('app.db')
    register_all(db)                    # every group
    register_groups(db, DATE, STRING)   # or a few

    Link.select(fn.hostname(Link.url), fn.COUNT(Link.id)).group_by(fn.hostname(Link.url))

Any database with ``register_function()`` and ``register_aggregate()`` works: a
:class:`orm.SqliteDatabase`, a ``SqliteExtDatabase`` or an ``APSWDatabase``.  Each
function is also a plain Python callable (aggregates are classes with ``step()`` and
``finalize()``), so one can be registered on its own under any name.

``median`` and the edit distances, compiled C in peewee, are Python here too (see
``playhouse._sqlite_udf``); every function is always available.
"""
from __future__ import annotations

import collections
import datetime
import gzip as _gzip
import math
import os
import random
import re
import urllib.parse
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

from ._sqlite_udf import damerau_levenshtein_dist, levenshtein_dist, median, str_dist

CONTROL_FLOW = 'control_flow'
DATE = 'date'
FILE = 'file'
HELPER = 'helper'
MATH = 'math'
STRING = 'string'

#: every group, in the order register_all() registers them
GROUPS = (CONTROL_FLOW, DATE, FILE, HELPER, MATH, STRING)

__all__ = ['CONTROL_FLOW', 'DATE', 'FILE', 'GROUPS', 'HELPER', 'MATH', 'STRING',
           'UDF', 'aggregate', 'avgrange', 'avgtdiff', 'clear_settings', 'clear_toggles',
           'damerau_levenshtein_dist', 'duration', 'file_ext', 'file_read',
           'gauss_distribution', 'gunzip', 'gzip', 'hostname', 'human_delta',
           'if_then_else', 'levenshtein_dist', 'median', 'mintdiff', 'minrange', 'mode',
           'randomrange', 'range', 'register_all', 'register_groups', 'registered',
           'setting', 'sqrt', 'str_dist', 'strip_chars', 'strip_tz', 'substr_count',
           'toggle', 'tonumber', 'udf']


class UDF(NamedTuple):
    """One entry of the library: the SQL ``name``, the Python object, whether it is an
    aggregate, and how many arguments SQLite is told it takes (-1: any number)."""
    name: str
    obj: Any
    is_aggregate: bool
    num_params: int


_LIBRARY: Dict[str, List[UDF]] = {group: [] for group in GROUPS}


def _add(groups: Tuple[str, ...], name: Optional[str], num_params: int,
         is_aggregate: bool) -> Callable:
    for group in groups:
        if group not in _LIBRARY:
            raise ValueError('unknown function group %r (the groups are %s)'
                             % (group, ', '.join(GROUPS)))

    def decorator(obj: Any) -> Any:
        entry = UDF(name or obj.__name__, obj, is_aggregate, num_params)
        for group in groups:
            _LIBRARY[group].append(entry)
        return obj
    return decorator


def udf(*groups: str, name: Optional[str] = None, num_params: int = -1) -> Callable:
    """Decorator: add a scalar function to the library, in each of ``groups``."""
    return _add(groups, name, num_params, False)


def aggregate(*groups: str, name: Optional[str] = None, num_params: int = -1) -> Callable:
    """Class decorator: add an aggregate (``step()`` / ``finalize()``) to ``groups``."""
    return _add(groups, name, num_params, True)


def registered(*groups: str) -> List[UDF]:
    """The library's entries in ``groups`` (every group when none is named)."""
    seen: Dict[str, UDF] = {}
    for group in groups or GROUPS:
        if group not in _LIBRARY:
            raise ValueError('unknown function group %r (the groups are %s)'
                             % (group, ', '.join(GROUPS)))
        for entry in _LIBRARY[group]:
            seen.setdefault(entry.name, entry)
    return list(seen.values())


def register_groups(database: Any, *groups: str) -> None:
    """Register the functions and aggregates of ``groups`` with ``database`` (now if it
    is connected, and on each new connection)."""
    for entry in registered(*groups):
        if entry.is_aggregate:
            database.register_aggregate(entry.obj, entry.name, entry.num_params)
        else:
            database.register_function(entry.obj, entry.name, entry.num_params)


def register_all(database: Any) -> None:
    """Register every function and aggregate of the library with ``database``."""
    register_groups(database, *GROUPS)


# -- values as SQLite hands them over ------------------------------------------------------

# a UTC offset (or Z / UTC / GMT) after the time of a date-time text
_TZ_SUFFIX = re.compile(r'(\d:\d\d(?::\d\d(?:\.\d+)?)?)\s*(?:Z|UTC|GMT|[+-]\d\d(?::?\d\d)?)$',
                        re.I)
_EPOCH = datetime.datetime(1970, 1, 1)


def _as_datetime(value: Any) -> Optional[datetime.datetime]:
    """A datetime from what SQLite stores: ISO text (with or without ``T``, fraction or
    offset), a date, or a number of seconds since the epoch."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)):
        return _EPOCH + datetime.timedelta(seconds=value)
    if isinstance(value, bytes):
        value = value.decode('utf-8', 'replace')
    text = _TZ_SUFFIX.sub(r'\1', str(value).strip())
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        return None


def _seconds(value: Any) -> Optional[float]:
    moment = _as_datetime(value)
    if moment is None:
        return None
    return (moment - _EPOCH).total_seconds()


def _number(value: float) -> Any:
    """``value``, as an int when it is whole."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# -- CONTROL_FLOW -----------------------------------------------------------------------------

@udf(CONTROL_FLOW)
def if_then_else(cond: Any, truthy: Any, falsey: Any = None) -> Any:
    """``truthy`` when ``cond`` is true, else ``falsey`` (NULL if not given)."""
    return truthy if cond else falsey


# -- DATE ------------------------------------------------------------------------------------

@udf(DATE)
def strip_tz(date_str: Any) -> Any:
    """A date-time text with its UTC offset (``+hh:mm``, ``Z`` ...) removed; the time
    itself is left as it was."""
    if date_str is None:
        return None
    if isinstance(date_str, bytes):
        date_str = date_str.decode('utf-8', 'replace')
    if not isinstance(date_str, str):
        return date_str
    return _TZ_SUFFIX.sub(r'\1', date_str.rstrip())


_UNITS = (('day', 86400), ('hour', 3600), ('minute', 60), ('second', 1))


@udf(DATE)
def human_delta(nseconds: Any, glue: str = ', ') -> Optional[str]:
    """A number of seconds in words: ``7530`` is ``'2 hours, 5 minutes, 30 seconds'``."""
    if nseconds is None:
        return None
    remaining = int(float(nseconds))
    parts = []
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append('%d %s%s' % (count, unit, '' if count == 1 else 's'))
    return glue.join(parts) if parts else '0 seconds'


class _Times:
    """Base of the date-time aggregates: collects the values as seconds."""

    def __init__(self) -> None:
        self.values: List[float] = []

    def step(self, value: Any) -> None:
        seconds = _seconds(value)
        if seconds is not None:
            self.values.append(seconds)

    def gaps(self) -> List[float]:
        ordered = sorted(self.values)
        return [b - a for a, b in zip(ordered, ordered[1:])]


@aggregate(DATE)
class mintdiff(_Times):
    """Aggregate: the smallest gap, in seconds, between two of the date-times (NULL
    for fewer than two)."""

    def finalize(self) -> Any:
        gaps = self.gaps()
        return _number(min(gaps)) if gaps else None


@aggregate(DATE)
class avgtdiff(_Times):
    """Aggregate: the mean gap, in seconds, between consecutive date-times once sorted
    (0 for one value, NULL for none)."""

    def finalize(self) -> Any:
        if not self.values:
            return None
        gaps = self.gaps()
        return _number(sum(gaps) / len(gaps)) if gaps else 0


@aggregate(DATE)
class duration(_Times):
    """Aggregate: seconds from the earliest date-time to the latest (NULL for none)."""

    def finalize(self) -> Any:
        if not self.values:
            return None
        return _number(max(self.values) - min(self.values))


# -- FILE ------------------------------------------------------------------------------------

@udf(FILE)
def file_ext(filename: Any) -> Optional[str]:
    """The extension of a file name with its dot (``'.py'``), ``''`` when it has none."""
    if filename is None:
        return None
    return os.path.splitext(str(filename))[1]


@udf(FILE)
def file_read(filename: Any) -> Optional[str]:
    """The text of the file ``filename``, or NULL when it cannot be read."""
    try:
        with open(str(filename), encoding='utf-8') as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


# -- HELPER ----------------------------------------------------------------------------------

def _as_bytes(data: Any) -> bytes:
    if isinstance(data, str):
        return data.encode('utf-8')
    return bytes(data)


@udf(HELPER)
def gzip(data: Any, compression: int = 9) -> Optional[bytes]:
    """``data`` (text is encoded as UTF-8) compressed in the gzip format."""
    if data is None:
        return None
    return _gzip.compress(_as_bytes(data), int(compression), mtime=0)


@udf(HELPER)
def gunzip(data: Any) -> Optional[bytes]:
    """The bytes that :func:`gzip` compressed."""
    if data is None:
        return None
    return _gzip.decompress(_as_bytes(data))


@udf(HELPER)
def hostname(url: Any) -> Optional[str]:
    """The host of a URL (``'https://example.com/x'`` gives ``'example.com'``); ``''``
    for text without a ``scheme://`` part."""
    if url is None:
        return None
    return urllib.parse.urlparse(str(url)).hostname or ''


_toggles: Dict[Any, bool] = {}
_settings: Dict[Any, Any] = {}


@udf(HELPER)
def toggle(key: Any) -> bool:
    """Flip the flag ``key`` (off until first toggled) and return its new state.  The
    flags live in this process, shared by every connection."""
    _toggles[key] = state = not _toggles.get(key, False)
    return state


@udf(HELPER)
def setting(key: Any, *value: Any) -> Any:
    """``setting(key)`` reads a value kept in this process; ``setting(key, value)``
    stores one and returns it."""
    if value:
        _settings[key] = value[0]
    return _settings.get(key)


@udf(HELPER)
def clear_toggles() -> None:
    """Forget every :func:`toggle` flag."""
    _toggles.clear()


@udf(HELPER)
def clear_settings() -> None:
    """Forget every :func:`setting`."""
    _settings.clear()


# -- MATH ------------------------------------------------------------------------------------

@udf(MATH)
def randomrange(start: int, end: Optional[int] = None, step: Optional[int] = None) -> int:
    """A random integer from ``range(start, end, step)`` (Python's ``random`` module,
    so ``random.seed()`` makes it repeatable)."""
    if end is None:
        return random.randrange(start)
    if step is None:
        return random.randrange(start, end)
    return random.randrange(start, end, step)


@udf(MATH)
def gauss_distribution(mean: float, sigma: float) -> float:
    """A random number from the normal distribution of ``mean`` and ``sigma``."""
    return random.gauss(mean, sigma)


@udf(MATH)
def sqrt(n: Any) -> Optional[float]:
    """The square root of ``n`` (NULL for NULL or a negative number)."""
    if n is None or n < 0:
        return None
    return math.sqrt(n)


@udf(MATH)
def tonumber(s: Any) -> Any:
    """Text read as an integer, else as a float, else NULL."""
    if s is None or isinstance(s, (int, float)):
        return s
    if isinstance(s, bytes):
        s = s.decode('utf-8', 'replace')
    text = str(s).strip()
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return None


@aggregate(MATH)
class mode:
    """Aggregate: the most frequent value (of several as frequent, the first seen)."""

    def __init__(self) -> None:
        self.counts: collections.Counter = collections.Counter()

    def step(self, value: Any) -> None:
        if value is not None:
            self.counts[value] += 1

    def finalize(self) -> Any:
        if not self.counts:
            return None
        return self.counts.most_common(1)[0][0]


class _Numbers:
    def __init__(self) -> None:
        self.values: List[Any] = []

    def step(self, value: Any) -> None:
        if value is not None:
            self.values.append(value)

    def gaps(self) -> List[Any]:
        ordered = sorted(self.values)
        return [b - a for a, b in zip(ordered, ordered[1:])]


@aggregate(MATH)
class minrange(_Numbers):
    """Aggregate: the smallest difference between two of the values (0 for one value,
    NULL for none)."""

    def finalize(self) -> Any:
        if not self.values:
            return None
        gaps = self.gaps()
        return min(gaps) if gaps else 0


@aggregate(MATH)
class avgrange(_Numbers):
    """Aggregate: the mean difference between consecutive values once sorted (0 for
    one value, NULL for none)."""

    def finalize(self) -> Any:
        if not self.values:
            return None
        gaps = self.gaps()
        return sum(gaps) / len(gaps) if gaps else 0


@aggregate(MATH, name='range')
class range_(_Numbers):
    """Aggregate ``range``: the largest value minus the smallest (NULL for none)."""

    def finalize(self) -> Any:
        if not self.values:
            return None
        return max(self.values) - min(self.values)


# importable under its SQL name too (this module does not use the builtin after this)
range = range_

aggregate(MATH)(median)


# -- STRING ----------------------------------------------------------------------------------

@udf(STRING)
def substr_count(haystack: Any, needle: Any) -> int:
    """How many times ``needle`` occurs in ``haystack`` (without overlaps); 0 for an
    empty needle."""
    if not haystack or not needle:
        return 0
    return str(haystack).count(str(needle))


@udf(STRING)
def strip_chars(haystack: Any, chars: Any) -> Any:
    """``haystack`` with the characters of ``chars`` removed from both ends."""
    if haystack is None:
        return None
    return str(haystack).strip(str(chars))


for _function in (damerau_levenshtein_dist, levenshtein_dist, str_dist):
    udf(STRING, num_params=2)(_function)
del _function
