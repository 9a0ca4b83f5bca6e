"""PostgreSQL extensions: JSON/JSONB, arrays, hstore, intervals, full-text search and
server-side cursors.

Use :class:`PostgresqlExtDatabase` (a :class:`orm.PostgresqlDatabase` with a few more
options) and the fields of this module::

    from orm import Model, TextField
    from playhouse.postgres_ext import (PostgresqlExtDatabase, ArrayField,
                                        BinaryJSONField, HStoreField, ServerSide)

    db = PostgresqlExtDatabase('my_app', register_hstore=True)

    class Event(Model):
        tags = ArrayField(TextField)
        data = BinaryJSONField()
        attrs = HStoreField()
        class Meta:
            database = db

    Event.select().where(Event.data['user']['id'] == 42, Event.tags.contains('login'))
    for event in ServerSide(Event.select()):      # streamed with a named cursor
        ...

Array, JSONB, hstore and tsvector fields get a ``GIN`` index by default
(:class:`IndexedFieldMixin`; pass ``index=False`` to do without).

Values compared with these fields are sent as typed parameters
(``CAST(%s AS JSONB)``, ``CAST(%s AS INTEGER[])`` ...), so PostgreSQL never has to
guess a parameter's type.  Positions in arrays count from 0 and, as in peewee, both
ends of a slice are inclusive: ``tags[0]`` is the first element and ``tags[1:3]`` the
second to fourth.
"""
from __future__ import annotations

import contextlib
import datetime
import json
import logging
import re
import uuid
from typing import Any, Callable, Iterable, Iterator, Optional

from orm import (OP, SQL, Case, Cast, ColumnBase, DateTimeField, ExceptionWrapper,
                 Expression, Field, ImproperlyConfigured, IntegerField, InterfaceError, Node,
                 NotSupportedError, PostgresqlDatabase, ProgrammingError, Psycopg2Adapter,
                 Psycopg3Adapter, SelectBase, TextField, fn, log_statement)
from orm import JSONField as _CoreJSONField
from playhouse._pooling import PooledDatabase
# Every other public name of orm, so that ``from playhouse.postgres_ext import *`` gives
# orm's API too (as peewee's module does).
from orm import (  # noqa: E402,F401
    AnyField, AsIs, AutoField, BareField, BigAutoField, BigBitField, BigIntegerField,
    BinaryUUIDField, BitField, BlobField, BooleanField, Case, CharField, Check, chunked,
    Column, CompositeKey, Context, Database, DatabaseError, DatabaseProxy, DataError,
    DateField, DecimalField, Default, DeferredForeignKey, DeferredThroughModel,
    DJANGO_MAP, DoesNotExist, DoubleField, DQ, Entity, EXCLUDED, FixedCharField,
    FloatField, ForeignKeyField, IdentityField, Index, IntegrityError, InternalError,
    IPField, JOIN, Load, ManyToManyField, Model, ModelIndex, OP, OperationalError,
    OutcomeUnknownError, prefetch, PREFETCH_TYPE, PrimaryKeyField, ProgrammingError, Proxy, QualifiedNames,
    QueryEvent, SchemaManager, Select, SmallIntegerField, SqliteDatabase, Table,
    TimeField, TimestampField, Tuple, UUIDField, Value, ValuesList, Window)
from orm import MySQLDatabase  # noqa: E402,F401
import orm as _orm  # noqa: E402

# orm's names (those imported above) and this module's own
__all__ = sorted({_name for _name in _orm.__all__ if _name in globals()} | {
    'ArrayField', 'ArrayValue', 'BinaryJSONField', 'DateTimeTZField', 'FetchManyCursor',
    'HStoreField', 'IndexedFieldMixin', 'IntervalField', 'JSONField', 'Json', 'JsonLookup',
    'JsonPath', 'Match', 'ObjectSlice', 'PooledPostgresqlExtDatabase',
    'PooledPsycopg3Database', 'PostgresqlExtDatabase', 'Psycopg2ExtAdapter',
    'Psycopg3Database', 'Psycopg3ExtAdapter', 'ServerSide', 'ServerSideQuery',
    'TSVectorField', 'register_hstore_pg3'})

logger = logging.getLogger('orm')
_wrap_errors = ExceptionWrapper()

# operators
ACONTAINS = '@>'
ACONTAINED_BY = '<@'
ACONTAINS_ANY = '&&'
JSONB_CONTAINS = '@>'
JSONB_CONTAINED_BY = '<@'
JSONB_CONTAINS_KEY = '?'
JSONB_CONTAINS_ANY_KEY = '?|'
JSONB_CONTAINS_ALL_KEYS = '?&'
JSONB_REMOVE = '-'
JSONB_REMOVE_PATH = '#-'
HCONTAINS_DICT = '@>'
HCONTAINS_KEY = '?'
HCONTAINS_KEYS = '?&'
HCONTAINS_ANY_KEY = '?|'
HUPDATE = '||'
TS_MATCH = '@@'


def _identity(value: Any) -> Any:
    return value


# ---------------------------------------------------------------------------------------
# Typed parameters
# ---------------------------------------------------------------------------------------

class _TypedValue(ColumnBase):
    """A bound parameter rendered as ``CAST(%s AS <type>)``; ``type_of(ctx)`` names it."""

    def __init__(self, value: Any, type_of: Callable[[Any], str]) -> None:
        self.value = value
        self.type_of = type_of

    def __sql__(self, ctx: Any) -> Any:
        ctx.literal('CAST(')
        ctx.value(self.value, _identity)
        return ctx.literal(' AS %s)' % self.type_of(ctx))


def _fixed_type(name: str) -> Callable[[Any], str]:
    return lambda ctx: name


def _text(value: Any) -> _TypedValue:
    return _TypedValue(value, _fixed_type('TEXT'))


def _text_array(values: Any) -> _TypedValue:
    return _TypedValue([str(v) for v in values], _fixed_type('TEXT[]'))


# ---------------------------------------------------------------------------------------
# Indexed fields
# ---------------------------------------------------------------------------------------

class IndexedFieldMixin:
    """Fields that get an index by default, of ``default_index_type`` (``GIN``).

    ``index=False`` turns it off; ``index_type='GIST'`` picks another method.
    """

    default_index_type: Optional[str] = 'GIN'

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault('index', True)
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]


# ---------------------------------------------------------------------------------------
# Arrays
# ---------------------------------------------------------------------------------------

class ArrayValue(_TypedValue):
    """A list bound as a parameter of ``field``'s array type: ``CAST(%s AS TEXT[])``."""

    def __init__(self, field: 'ArrayField', value: Any) -> None:
        self.field = field
        super().__init__(value, field._array_type)


def _bounds(item: Any) -> Any:
    """A 0-based index or slice as SQL array bounds: ``0`` -> ``(1,)``, ``1:3`` -> ``(2, 3)``.

    A slice reads as a Python slice does (``1:3`` is the second and third elements):
    SQL's bounds are 1-based and both inclusive, so the start moves up by one and the
    stop stays; an open bound stays open.  Strings ``'2'`` / ``'1:3'`` are read the same
    way; a node is used as the SQL index unchanged.
    """
    if isinstance(item, Node):
        return item
    if isinstance(item, str):
        text = item.strip()
        if ':' in text:
            first, _, last = text.partition(':')
            item = slice(int(first) if first.strip() else None,
                         int(last) if last.strip() else None)
        else:
            item = int(text)
    if isinstance(item, slice):
        if item.step not in (None, 1):
            raise ValueError('array slices take no step, got %r' % (item,))
        for end in (item.start, item.stop):
            if end is not None and (not isinstance(end, int) or end < 0):
                raise ValueError('array slice bounds must be non-negative integers, got %r'
                                 % (item,))
        low = None if item.start is None else item.start + 1
        return (low, item.stop)
    if isinstance(item, bool) or not isinstance(item, int):
        raise TypeError('arrays are indexed by integers or slices, got %r' % (item,))
    if item < 0:
        raise ValueError('negative array positions are not supported, got %d' % item)
    return (item + 1,)


def _uuid_literal(item: Any) -> Any:
    if isinstance(item, uuid.UUID):
        from psycopg2.extras import UUID_adapter  # type: ignore  # psycopg2 is in use
        return UUID_adapter(item)
    return item


_ARRAY_ITEM = re.compile(r'"((?:[^"\\]|\\.)*)"|([^,{}"]+)')


def parse_array(text: str) -> list:
    """Parse PostgreSQL's array text (``{1,2}``, ``{{"a b",NULL},{c,d}}``) into lists of
    strings (``None`` for ``NULL``)."""
    text = text.strip()
    if text.startswith('[') and '=' in text:          # explicit bounds: [0:1]={...}
        text = text[text.index('=') + 1:]
    stack: list = []
    result: Any = None
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == '{':
            stack.append([])
            pos += 1
        elif char == '}':
            if not stack:
                break
            done = stack.pop()
            if stack:
                stack[-1].append(done)
            else:
                result = done
            pos += 1
        elif char in ', ':
            pos += 1
        else:
            match = _ARRAY_ITEM.match(text, pos)
            if match is None or not stack:
                raise ValueError('cannot parse array value %r at position %d' % (text, pos))
            quoted, bare = match.groups()
            if quoted is not None:
                stack[-1].append(re.sub(r'\\(.)', r'\1', quoted))
            else:
                bare = bare.strip()
                stack[-1].append(None if bare.upper() == 'NULL' else bare)
            pos = match.end()
    if result is None or stack:
        raise ValueError('cannot parse array value %r' % (text,))
    return result


class ObjectSlice(ColumnBase):
    """``"col"[i]``, ``"col"[a:b]``, ``"col"[i][j]``: elements or slices of an array.

    Positions count from 0 and slices read as Python's; they are rendered as SQL's
    1-based inclusive bounds: ``tags[0]`` is ``tags[1]``, ``tags[1:3]`` is ``tags[2:3]``.
    """

    def __init__(self, node: Any, parts: tuple) -> None:
        self.node = node
        self.parts = parts

    # usable as a key of Model.update({Model.ints[0][0]: ...}): hashed by identity
    __hash__ = ColumnBase.__hash__

    @classmethod
    def create(cls, node: Any, value: Any) -> 'ObjectSlice':
        return cls(node, (_bounds(value),))

    # an element or a slice of the array, not a comparison: hence the override
    def __getitem__(self, value: Any) -> 'ObjectSlice':  # type: ignore[override]
        return ObjectSlice(self.node, self.parts + (_bounds(value),))

    def __sql__(self, ctx: Any) -> Any:
        with ctx(parentheses=True):
            ctx.sql(self.node)
        for bounds in self.parts:
            if isinstance(bounds, Node):
                ctx.literal('[')
                ctx.sql(bounds)
                ctx.literal(']')
            elif len(bounds) == 1:
                ctx.literal('[%d]' % bounds[0])
            else:
                low, high = bounds
                ctx.literal('[%s:%s]' % ('' if low is None else low,
                                         '' if high is None else high))
        return ctx


class ArrayField(IndexedFieldMixin, Field):
    """An array of ``field_class`` values (``INTEGER[]``, ``VARCHAR(20)[]``, ``TEXT[][]``).

    :param field_class: the element field (a class, or an instance).
    :param field_kwargs: arguments for ``field_class``.
    :param dimensions: nesting depth (``2`` for a list of lists).
    :param convert_values: run the element field's conversions on each element (e.g.
        for :class:`orm.UUIDField` or :class:`orm.DecimalField` elements).

    Lists go in and come out.  ``field[i]`` / ``field[a:b]`` read elements and slices;
    ``contains(*items)`` (``@>``), ``contains_any(*items)`` / ``overlap`` (``&&``) and
    ``contained_by(*items)`` (``<@``) test membership.
    """

    __hash__ = Field.__hash__
    passthrough = True

    def __init__(self, field_class: Any = IntegerField, field_kwargs: Optional[dict] = None,
                 dimensions: int = 1, convert_values: bool = False, *args: Any,
                 **kwargs: Any) -> None:
        if isinstance(dimensions, bool) or not isinstance(dimensions, int) or dimensions < 1:
            raise ValueError('dimensions must be a positive integer, got %r' % (dimensions,))
        if isinstance(field_class, Field):
            if field_kwargs:
                raise ValueError('field_kwargs is for a field class, not an instance')
            self._item_field = field_class
        elif isinstance(field_class, type) and issubclass(field_class, Field):
            self._item_field = field_class(**(field_kwargs or {}))
        else:
            raise TypeError('ArrayField needs a field class such as IntegerField, got %r'
                            % (field_class,))
        self.field_kwargs = field_kwargs or {}
        self.dimensions = dimensions
        self.convert_values = convert_values
        self.field_type = self._item_field.field_type
        super().__init__(*args, **kwargs)

    @property
    def element_field(self) -> Field:
        """The field describing one element."""
        return self._item_field

    def bind(self, model: type, name: str, set_attribute: bool = True) -> None:
        super().bind(model, name, set_attribute)
        self._item_field.model = model
        self._item_field.name = self._item_field.column_name = name

    def ddl_datatype(self, ctx: Any) -> SQL:
        dialect = getattr(ctx, 'dialect', None)
        if self.dimensions > 1 and not getattr(dialect, 'nested_arrays', True):
            raise ValueError('%s has no nested arrays: %s.%s is declared with dimensions=%d; '
                             'store nested lists in a JSONField instead' % (
                                 getattr(dialect, 'display_name', dialect),
                                 self.model.__name__, self.name,
                                 self.dimensions))
        item = self._item_field.ddl_datatype(ctx)
        return SQL('%s%s' % (item.sql, '[]' * self.dimensions))

    def _array_type(self, ctx: Any) -> str:
        return self.ddl_datatype(ctx).sql

    def _convert(self, value: Any, convert: Callable, depth: int) -> Any:
        if isinstance(value, (list, tuple)):
            if depth > 1:
                return [self._convert(v, convert, depth - 1) for v in value]
            return [None if v is None else convert(v) for v in value]
        return value

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        if isinstance(value, (set, frozenset)):
            value = sorted(value)
        if not isinstance(value, (list, tuple)):
            raise ValueError('%s expects a list, got %r' % (self, value))
        if self.convert_values:
            return self._convert(value, self._item_field.db_value, self.dimensions)
        value = [list(v) if isinstance(v, tuple) else v for v in value]
        if self._on_psycopg2():
            # psycopg2 adapts no UUID (psycopg 3 does): each element is written as a
            # uuid literal, so that the list becomes a uuid[]
            value = self._convert(value, _uuid_literal, self.dimensions)
        return value

    def _on_psycopg2(self) -> bool:
        try:
            adapter = getattr(self.model._meta.database, 'adapter', None)
        except Exception:           # an unbound model, an uninitialised proxy
            return False
        return isinstance(adapter, Psycopg2Adapter)

    def python_value(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):      # an array type the driver has no caster for
            value = parse_array(value)
        if self.convert_values:
            return self._convert(value, self._item_field.python_value, self.dimensions)
        return value

    def _value_converter(self) -> Callable:
        # compared lists are bound as CAST(%s AS <type>[]): varchar[] = text[] has no
        # operator, and an empty list has no type of its own
        def convert(value: Any) -> Any:
            value = self.db_value(value)
            if value is None or isinstance(value, Node):
                return value
            return ArrayValue(self, value)
        return convert

    def __getitem__(self, value: Any) -> ObjectSlice:  # type: ignore[override]
        return ObjectSlice.create(self, value)

    def _items(self, items: tuple) -> Any:
        if len(items) == 1 and isinstance(items[0], Node):
            return items[0]
        if len(items) == 1 and isinstance(items[0], (list, tuple, set, frozenset)):
            items = tuple(items[0])
        return ArrayValue(self, self.db_value(list(items)))

    def contains(self, *items: Any) -> Expression:
        """The array holds every one of ``items`` (``@>``)."""
        return Expression(self, ACONTAINS, self._items(items))

    def contains_any(self, *items: Any) -> Expression:
        """The array holds at least one of ``items`` (``&&``)."""
        return Expression(self, ACONTAINS_ANY, self._items(items))

    overlap = contains_any

    def contained_by(self, *items: Any) -> Expression:
        """Every element of the array is among ``items`` (``<@``)."""
        return Expression(self, ACONTAINED_BY, self._items(items))

    def length(self, dimension: int = 1) -> Any:
        """``array_length(field, dimension)`` (``NULL`` for an empty array)."""
        return fn.array_length(self, dimension).python_value(_identity)


# ---------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------

try:
    from psycopg2.extras import Json  # type: ignore
except ImportError:                   # pragma: no cover - psycopg2 is the usual driver
    class Json:  # type: ignore[no-redef]
        """Marks a value to be sent as JSON (``adapted`` is the Python value)."""

        def __init__(self, adapted: Any, dumps: Optional[Callable] = None) -> None:
            self.adapted = adapted
            self._dumps = dumps or json.dumps

        def dumps(self, obj: Any) -> str:
            return self._dumps(obj)


def _unwrap_json(value: Any) -> Any:
    """The Python value inside a driver's JSON wrapper (psycopg2 ``Json``, psycopg
    ``Json`` / ``Jsonb``), or ``value`` itself."""
    if hasattr(value, 'adapted') and not isinstance(value, Node):
        return value.adapted
    if type(value).__module__.startswith('psycopg.') and hasattr(value, 'obj'):
        return value.obj
    return value


def _scalar_text(value: Any) -> Any:
    """A value compared with ``->>`` text: JSON text for numbers, booleans, lists."""
    if value is None or isinstance(value, (str, Node)):
        return value
    return json.dumps(_unwrap_json(value))


class _JSONOperations:
    """Operators shared by JSON fields and lookups into them.

    ``_target()`` is the JSON value the operator applies to (a JSONB one: a ``json``
    value is cast), ``_path`` the keys leading to it from the column.
    """

    def _json_field(self) -> 'JSONField':
        raise NotImplementedError

    def _target(self) -> Any:
        raise NotImplementedError

    def _path_keys(self) -> tuple:
        return ()

    def _jsonb(self, value: Any) -> Any:
        if isinstance(value, Node):
            return value
        return _TypedValue(self._json_field().dumps(_unwrap_json(value)), _fixed_type('JSONB'))

    def contains(self, other: Any) -> Expression:
        """Holds ``other`` (``@>``): a partial object, items of an array, a scalar (an
        array holds each of its elements).  Keys are tested with :meth:`has_key`."""
        return Expression(self._target(), JSONB_CONTAINS, self._jsonb(other))

    def contained_by(self, other: Any) -> Expression:
        """Is a subset of ``other`` (``<@``)."""
        return Expression(self._target(), JSONB_CONTAINED_BY, self._jsonb(other))

    def has_key(self, key: str) -> Expression:
        """Has the top-level key (or string array element) ``key`` (``?``)."""
        return Expression(self._target(), JSONB_CONTAINS_KEY, _text(key))

    def has_any_keys(self, *keys: Any, key_list: Optional[Iterable] = None) -> Expression:
        """Has at least one of ``keys`` (``?|``); the keys may also come as one list,
        or as ``key_list=``."""
        return Expression(self._target(), JSONB_CONTAINS_ANY_KEY,
                          _text_array(_key_names(keys, key_list)))

    def has_all_keys(self, *keys: Any, key_list: Optional[Iterable] = None) -> Expression:
        """Has every one of ``keys`` (``?&``); given as for :meth:`has_any_keys`."""
        return Expression(self._target(), JSONB_CONTAINS_ALL_KEYS,
                          _text_array(_key_names(keys, key_list)))

    # -- SQL/JSON paths (PostgreSQL 12+) ---------------------------------------------------
    def _jsonpath(self, path: str) -> Any:
        return _TypedValue(path, _fixed_type('JSONPATH'))

    def path_exists(self, jsonpath: str) -> Expression:
        """Whether the SQL/JSON path ``jsonpath`` finds anything here (``@?``)."""
        return Expression(self._target(), '@?', self._jsonpath(jsonpath))

    def path_match(self, jsonpath: str) -> Expression:
        """Whether the SQL/JSON predicate ``jsonpath`` holds here (``@@``)."""
        return Expression(self._target(), '@@', self._jsonpath(jsonpath))

    def path_query(self, jsonpath: str) -> Any:
        """Each item ``jsonpath`` finds here, one row each (``jsonb_path_query``)."""
        return fn.jsonb_path_query(self._target(), self._jsonpath(jsonpath))

    def path_query_array(self, jsonpath: str) -> Any:
        """Every item ``jsonpath`` finds here, in one JSON array."""
        return fn.jsonb_path_query_array(self._target(), self._jsonpath(jsonpath))

    def path_query_first(self, jsonpath: str) -> Any:
        """The first item ``jsonpath`` finds here (``NULL`` when none)."""
        return fn.jsonb_path_query_first(self._target(), self._jsonpath(jsonpath))

    contains_any = has_any_keys
    contains_all = has_all_keys

    def concat(self, rhs: Any) -> Any:
        """The value merged with ``rhs`` (``||``; shallow), e.g. in an update."""
        return Expression(self._target(), '||', self._jsonb(rhs))

    def length(self) -> Any:
        """Number of elements of the JSON array (``jsonb_array_length``)."""
        return fn.jsonb_array_length(self._target()).python_value(_identity)


def _key_names(keys: tuple, key_list: Optional[Iterable]) -> list:
    """The keys of has_any_keys() / has_all_keys(): ``key_list=``, a single list, or
    the positional arguments; each a string (object keys and string array elements are
    all ``?|`` / ``?&`` can test)."""
    if key_list is not None:
        names = list(key_list)
    elif len(keys) == 1 and isinstance(keys[0], (list, tuple, set, frozenset)):
        names = list(keys[0])
    else:
        names = list(keys)
    odd = [name for name in names if not isinstance(name, str)]
    if odd:
        raise ProgrammingError(
            'key tests (?| and ?&) take strings, not %r: they never match a number or '
            'a boolean; test for values with contains()' % (odd[0],))
    return names


class JsonLookup(_JSONOperations, ColumnBase):
    """``"data" -> 'a' ->> 'b'``: the value at a key / index path inside a JSON column.

    Compared as text (``->>``) unless :meth:`as_json` asks for the JSON value (``->``).
    Numbers and booleans compared with a text lookup are written as JSON text, so
    ``data['id'] == 42`` matches ``{"id": 42}``.  The JSONB operators of the field
    (``contains``, ``has_key``, ``concat`` ...) apply at the path too.
    """

    def __init__(self, field: 'JSONField', parts: tuple, as_json: bool = False) -> None:
        self.field = field
        self.parts = tuple(parts)
        self._as_json = as_json

    # a lookup inside the JSON value, not a comparison: hence the override
    def __getitem__(self, key: Any) -> 'JsonLookup':  # type: ignore[override]
        return type(self)(self.field, self.parts + (key,), self._as_json)

    def path(self, *keys: Any) -> 'JsonPath':
        """The JSON value further down ``keys`` (``as_json(False)`` for its text)."""
        return JsonPath(self.field, self.parts + keys, True)

    def extract(self, *keys: Any) -> 'JsonPath':
        """The JSON value further down ``keys``."""
        return JsonPath(self.field, self.parts + keys, True)

    def as_json(self, as_json: bool = True) -> 'JsonLookup':
        """Return the value as JSON (``->``, decoded into Python) instead of text."""
        return type(self)(self.field, self.parts, as_json)

    def _json_field(self) -> 'JSONField':
        return self.field

    def _path_keys(self) -> tuple:
        return self.parts

    def _target(self) -> Any:
        return JsonLookup(self.field, self.parts, True)   # JSONB (a json value is cast)

    def _value_converter(self) -> Callable:
        if self._as_json:
            return lambda value: value if isinstance(value, Node) or value is None \
                else self._jsonb(value)
        return _scalar_text

    def remove(self, *keys: str) -> Any:
        """With no ``keys``: the column without this path (``#-``); with ``keys``: the
        column with those keys removed from the object at this path.  For updates."""
        column = self.field._target()
        path = _text_array(self.parts)
        if not keys:
            return Expression(column, JSONB_REMOVE_PATH, path)
        inner: Any = self._target()
        for key in keys:
            inner = Expression(inner, JSONB_REMOVE, _text(key))
        return fn.jsonb_set(column, path, inner)

    def set(self, value: Any, create_missing: bool = True) -> Any:
        """The column with ``value`` stored at this path (``jsonb_set``), for updates."""
        return fn.jsonb_set(self.field._target(), _text_array(self.parts), self._jsonb(value),
                            SQL('true' if create_missing else 'false'))

    def replace(self, value: Any) -> Any:
        """The column with ``value`` at this path if something is there already."""
        return self.set(value, create_missing=False)

    def insert(self, value: Any) -> Any:
        """The column with ``value`` at this path if nothing is there yet (a JSON
        ``null`` is something); the column unchanged otherwise."""
        column = self.field._target()
        absent = Expression(Expression(column, '#>', _text_array(self.parts)), OP.IS, None)
        return Case(None, [(absent, self.set(value))], column)

    def append(self, value: Any) -> Any:
        """The column with ``value`` added at the end of the array at this path."""
        return fn.jsonb_insert(self.field._target(), _text_array(self.parts + (-1,)),
                               self._jsonb(value), SQL('true'))

    def update(self, value: Any) -> Any:  # type: ignore[override]
        """The column with the object at this path merged with ``value`` (``||``:
        its top-level keys win)."""
        return self.set(Expression(self._target(), '||', self._jsonb(value)))

    def __sql__(self, ctx: Any) -> Any:
        if self._as_json and not self.field._binary:
            # json has no operators (not even =): a json value at a path is read as jsonb
            ctx.literal('CAST(')
            self._render(ctx)
            return ctx.literal(' AS JSONB)')
        return self._render(ctx)

    def _render(self, ctx: Any) -> Any:
        with ctx(parentheses=True):
            ctx.literal('(')
            ctx.sql(self.field)
            last = len(self.parts) - 1
            for i, key in enumerate(self.parts):
                ctx.literal(' -> ' if i < last or self._as_json else ' ->> ')
                if isinstance(key, Node):
                    ctx.sql(key)
                else:
                    ctx.value(key, _identity)
            return ctx.literal(')')


class JsonPath(JsonLookup):
    """A lookup built from a list of keys: ``field.path('a', 0, 'b')``; read as JSON
    (decoded) unless ``as_json(False)`` asks for its text."""

    def __init__(self, field: 'JSONField', parts: tuple, as_json: bool = True) -> None:
        super().__init__(field, parts, as_json)


class JSONField(_JSONOperations, _CoreJSONField):
    """JSON stored as PostgreSQL ``json`` text (kept verbatim).

    ``field['a']['b']`` / ``field.path('a', 'b')`` read nested values;
    :class:`BinaryJSONField` (``jsonb``) is the one to index and search.  The JSONB
    operators work here too, on the value cast to ``jsonb``.
    """

    field_type = 'JSON'
    _binary = False
    __hash__ = Field.__hash__

    def __init__(self, dumps: Optional[Callable] = None, loads: Optional[Callable] = None,
                 *args: Any, **kwargs: Any) -> None:
        super().__init__(dumps, loads, *args, **kwargs)

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        return self.dumps(_unwrap_json(value))

    # a plain comparison of column values, each written by db_value() (so a subclass
    # that converts its own values compares them too)
    def __eq__(self, rhs: Any) -> Any:  # type: ignore[override]
        return Field.__eq__(self, rhs)

    def __ne__(self, rhs: Any) -> Any:  # type: ignore[override]
        return Field.__ne__(self, rhs)

    def _value_converter(self) -> Callable:
        def convert(value: Any) -> Any:
            if value is None or isinstance(value, Node):
                return value
            return _TypedValue(self.db_value(value),
                               _fixed_type('JSONB' if self._binary else 'JSON'))
        return convert

    def __getitem__(self, key: Any) -> JsonLookup:  # type: ignore[override]
        return JsonLookup(self, (key,))

    def path(self, *keys: Any) -> JsonPath:
        """``field.path('a', 'b')`` is ``field['a']['b']``."""
        if not keys:
            raise ValueError('path() needs at least one key')
        return JsonPath(self, tuple(keys))

    extract = path

    def _json_field(self) -> 'JSONField':
        return self

    def _target(self) -> Any:
        return self if self._binary else Cast(self, 'JSONB')

    def remove(self, *keys: str) -> Any:
        """The value without the top-level ``keys`` (``-``), for updates."""
        if not keys:
            raise ValueError('remove() needs at least one key (or use field[key].remove())')
        node: Any = self._target()
        for key in keys:
            node = Expression(node, JSONB_REMOVE, _text(key))
        return node


class BinaryJSONField(IndexedFieldMixin, JSONField):
    """JSON stored as ``jsonb``: indexable (GIN by default), with containment
    (``contains``, ``contained_by``), key tests (``has_key``, ``has_any_keys``,
    ``has_all_keys``) and updates (``concat``, ``remove``, ``field[k].set(v)``)."""

    field_type = 'JSONB'
    _binary = True
    __hash__ = Field.__hash__


# ---------------------------------------------------------------------------------------
# hstore
# ---------------------------------------------------------------------------------------

_HSTORE_TOKEN = re.compile(r'''
    \s*(?:"((?:[^"\\]|\\.)*)"|([^\s=,>"]+))\s*     # key, quoted or bare
    =>\s*
    (?:"((?:[^"\\]|\\.)*)"|(NULL\b)|([^\s,"]+))    # value, quoted, NULL or bare
    \s*(,|$)
''', re.VERBOSE | re.IGNORECASE)


def _hstore_unescape(text: str) -> str:
    return re.sub(r'\\(.)', r'\1', text)


def parse_hstore(text: str) -> dict:
    """Parse hstore's text form (``"a"=>"1", "b"=>NULL``) into a dict."""
    result: dict = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _HSTORE_TOKEN.match(text, pos)
        if match is None:
            raise ValueError('cannot parse hstore value %r at position %d' % (text, pos))
        qkey, bkey, qval, null, bval = match.group(1, 2, 3, 4, 5)
        key = _hstore_unescape(qkey) if qkey is not None else bkey
        if null:
            value = None
        elif qval is not None:
            value = _hstore_unescape(qval)
        else:
            value = bval
        result[key] = value
        pos = match.end()
    return result


def _hstore_quote(value: Any) -> str:
    return '"%s"' % str(value).replace('\\', '\\\\').replace('"', '\\"')


def format_hstore(data: dict) -> str:
    """A dict as hstore text; keys and values become strings, ``None`` is ``NULL``."""
    parts = []
    for key, value in data.items():
        if key is None:
            raise ValueError('hstore keys cannot be NULL')
        parts.append('%s=>%s' % (_hstore_quote(key),
                                 'NULL' if value is None else _hstore_quote(value)))
    return ', '.join(parts)


def _hstore_python(value: Any) -> Any:
    if isinstance(value, str):
        return parse_hstore(value)
    return value


def _hstore_param(value: Any) -> Any:
    if isinstance(value, Node):
        return value
    if not isinstance(value, dict):
        raise ValueError('hstore values are dicts, got %r' % (value,))
    return _TypedValue(format_hstore(value), _fixed_type('HSTORE'))


class HStoreField(IndexedFieldMixin, Field):
    """Key/value pairs of strings in an ``hstore`` column (``CREATE EXTENSION hstore``).

    Dicts go in and come out (values become strings; ``None`` stays ``NULL``).
    ``field['key']`` reads a value; ``keys()``, ``values()``, ``items()`` and
    ``slice(*keys)`` select parts; ``exists``, ``defined``, ``contains`` and
    ``contains_any`` test; ``update(...)`` and ``delete(*keys)`` build updates.
    """

    field_type = 'HSTORE'
    __hash__ = Field.__hash__

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        if not isinstance(value, dict):
            raise ValueError('%s expects a dict, got %r' % (self, value))
        return format_hstore(value)

    def python_value(self, value: Any) -> Any:
        return _hstore_python(value)

    def _value_converter(self) -> Callable:
        def convert(value: Any) -> Any:
            if value is None or isinstance(value, Node):
                return value
            return _hstore_param(value)
        return convert

    def __getitem__(self, key: str) -> Expression:
        return Expression(self, '->', _text(key))

    def keys(self) -> Any:
        """The keys, as a list (``akeys``)."""
        return fn.akeys(self).coerce(False)

    def values(self) -> Any:
        """The values, as a list (``avals``)."""
        return fn.avals(self).coerce(False)

    def items(self) -> Any:
        """``[[key, value], ...]`` (``hstore_to_matrix``)."""
        return fn.hstore_to_matrix(self).coerce(False)

    def slice(self, *keys: str) -> Any:
        """Only the given keys, as a dict."""
        return fn.slice(self, _text_array(keys)).python_value(_hstore_python)

    def exists(self, key: str) -> Any:
        """The key is present (``exist``)."""
        return fn.exist(self, _text(key)).coerce(False)

    def defined(self, key: str) -> Any:
        """The key is present with a non-NULL value (``defined``)."""
        return fn.defined(self, _text(key)).coerce(False)

    def update(self, __data: Optional[dict] = None, **data: Any) -> Expression:
        """The value with keys added or replaced (``||``), for updates."""
        merged = dict(__data or {})
        merged.update(data)
        return Expression(self, HUPDATE, _hstore_param(merged))

    def delete(self, *keys: str) -> Any:
        """The value without ``keys`` (``delete``), for updates."""
        return fn.delete(self, _text_array(keys)).python_value(_hstore_python)

    def contains(self, value: Any) -> Expression:
        """A dict: holds these pairs (``@>``); a list: all these keys (``?&``); a string:
        this key (``?``)."""
        if isinstance(value, dict):
            return Expression(self, HCONTAINS_DICT, _hstore_param(value))
        if isinstance(value, (list, tuple, set, frozenset)):
            return Expression(self, HCONTAINS_KEYS, _text_array(value))
        return Expression(self, HCONTAINS_KEY, _text(value))

    def contains_any(self, *keys: str) -> Expression:
        """Holds at least one of ``keys`` (``?|``)."""
        if len(keys) == 1 and isinstance(keys[0], (list, tuple, set, frozenset)):
            keys = tuple(keys[0])
        return Expression(self, HCONTAINS_ANY_KEY, _text_array(keys))


# ---------------------------------------------------------------------------------------
# Other types
# ---------------------------------------------------------------------------------------

class IntervalField(Field):
    """A ``datetime.timedelta`` in an ``INTERVAL`` column."""

    field_type = 'INTERVAL'
    native_dialects = ('postgres', 'cockroach')

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, (Node, datetime.timedelta)):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.timedelta(seconds=value)
        raise ValueError('%s expects a datetime.timedelta, got %r' % (self, value))


class DateTimeTZField(DateTimeField):
    """A time-zone-aware ``datetime`` (``TIMESTAMP WITH TIME ZONE``).

    Values read back are aware, in the session's time zone
    (``db.set_time_zone('UTC')`` to choose it).
    """

    field_type = 'TIMESTAMPTZ'


class TSVectorField(IndexedFieldMixin, TextField):
    """A ``tsvector`` column for full-text search (GIN-indexed by default).

    Store values with ``fn.to_tsvector(text)`` (or ``fn.to_tsvector('english', text)``);
    search with :meth:`match`.
    """

    field_type = 'TSVECTOR'
    __hash__ = Field.__hash__

    def match(self, query: Any, language: Optional[str] = None,
              plain: bool = False) -> Expression:
        """Rows whose vector matches ``query`` (``@@ to_tsquery(...)``).

        ``plain=True`` uses ``plainto_tsquery`` (plain words, no ``&``/``|``/``!``).
        """
        return Expression(self, TS_MATCH, _tsquery(query, language, plain))


def _tsquery(query: Any, language: Optional[str], plain: bool) -> Any:
    function = fn.plainto_tsquery if plain else fn.to_tsquery
    if language is not None:
        return function(_regconfig(language), query)
    return function(query)


def _regconfig(language: str) -> Any:
    return _TypedValue(language, _fixed_type('REGCONFIG'))


def Match(field: Any, query: Any, language: Optional[str] = None,
          plain: bool = False) -> Expression:
    """Full-text search on any text expression: ``to_tsvector(field) @@ to_tsquery(q)``.

    For speed, index the same expression:
    ``CREATE INDEX ... USING GIN (to_tsvector('english', body))``.
    """
    if language is not None:
        vector = fn.to_tsvector(_regconfig(language), field)
    else:
        vector = fn.to_tsvector(field)
    return Expression(vector, TS_MATCH, _tsquery(query, language, plain))


# ---------------------------------------------------------------------------------------
# Server-side cursors
# ---------------------------------------------------------------------------------------

class FetchManyCursor:
    """A named (server-side) cursor read ``array_size`` rows per round trip.

    Behaves as a DB-API cursor: ``fetchone()``, ``fetchmany()``, ``fetchall()``,
    iteration, ``description``.  The first batch is read at once (a named cursor has
    no ``description`` before its first fetch).  ``fetches`` and ``rows_fetched`` tell
    how much was read from the server so far.
    """

    def __init__(self, cursor: Any, array_size: Optional[int] = None) -> None:
        self.cursor = cursor
        self.array_size = int(array_size or getattr(cursor, 'itersize', 0) or 2000)
        if self.array_size < 1:
            raise ValueError('array_size must be a positive integer')
        self.fetches = 0
        self.rows_fetched = 0
        self._buffer: list = []
        self._pos = 0
        self._exhausted = False
        self._closed = False
        self._fill()

    def _fill(self) -> None:
        if self._exhausted:
            return
        with _wrap_errors:
            rows = self.cursor.fetchmany(self.array_size)
        self.fetches += 1
        self.rows_fetched += len(rows)
        self._buffer = rows
        self._pos = 0
        if len(rows) < self.array_size:
            self._exhausted = True

    @property
    def description(self) -> Any:
        return self.cursor.description

    @property
    def rowcount(self) -> int:
        return self.rows_fetched

    @property
    def lastrowid(self) -> Any:
        return None

    @property
    def closed(self) -> bool:
        return self._closed

    def fetchone(self) -> Any:
        if self._pos >= len(self._buffer):
            if self._exhausted or self._closed:
                return None
            self._fill()
            if not self._buffer:
                return None
        row = self._buffer[self._pos]
        self._pos += 1
        return row

    def fetchmany(self, size: Optional[int] = None) -> list:
        size = self.array_size if size is None else size
        out: list = []
        while len(out) < size:
            if self._pos >= len(self._buffer):
                if self._exhausted or self._closed:
                    break
                self._fill()
                if not self._buffer:
                    break
            take = self._buffer[self._pos:self._pos + size - len(out)]
            self._pos += len(take)
            out.extend(take)
        return out

    def fetchall(self) -> list:
        out: list = []
        while True:
            batch = self.fetchmany(self.array_size)
            if not batch:
                return out
            out.extend(batch)

    def __iter__(self) -> Iterator:
        while True:
            row = self.fetchone()
            if row is None:
                return
            yield row

    def close(self) -> None:
        """Release the server-side cursor (``CLOSE``)."""
        if self._closed:
            return
        self._closed = True
        self._buffer = []
        try:
            self.cursor.close()
        except Exception as exc:   # the transaction already ended and took it along
            logger.debug('closing server-side cursor: %s', exc)

    def __enter__(self) -> 'FetchManyCursor':
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class ServerSideQuery(Node):
    """Run a SELECT through a named cursor, ``array_size`` rows per round trip.

    Iterate it (rows are not cached) and :meth:`close` it when stopping early.  Use it
    inside a transaction; :func:`ServerSide` sets one up for you.
    """

    def __init__(self, query: Any, array_size: Optional[int] = None) -> None:
        self.query = query
        self.array_size = array_size
        self._cursor_wrapper: Any = None

    def __sql__(self, ctx: Any) -> Any:
        return self.query.__sql__(ctx)

    def _execute(self, database: Any) -> Any:
        if self._cursor_wrapper is None:
            if not isinstance(database, PostgresqlExtDatabase):
                raise NotSupportedError(
                    'server-side cursors need a PostgresqlExtDatabase (or '
                    'PooledPostgresqlExtDatabase), got %r' % (database,))
            cursor = database.execute(self.query, named_cursor=True,
                                      array_size=self.array_size)
            wrapper = self.query._get_cursor_wrapper(cursor, database)
            wrapper.dialect = database.dialect
            self._cursor_wrapper = wrapper
        return self._cursor_wrapper

    def execute(self, database: Any = None) -> Any:
        database = database if database is not None else self.query._database
        if database is None:
            raise InterfaceError('ServerSideQuery: the query is not bound to a database')
        return self._execute(database)

    def iterator(self) -> Iterator:
        return iter(self.execute().iterator())

    __iter__ = iterator

    @property
    def cursor(self) -> Optional[FetchManyCursor]:
        """The :class:`FetchManyCursor` once executed."""
        return None if self._cursor_wrapper is None else self._cursor_wrapper.cursor

    def close(self) -> bool:
        """Release the server-side cursor; ``False`` when the query never ran."""
        if self._cursor_wrapper is None:
            return False
        self._cursor_wrapper.cursor.close()
        return True


def ServerSide(query: Any, database: Any = None, array_size: Optional[int] = None) -> Iterator:
    """Iterate a SELECT with a server-side cursor: rows stream in ``array_size`` batches
    and are not cached, so results larger than memory can be walked through.

    When no transaction is open, one is opened for the loop: it is committed when the
    loop runs to the end and rolled back when the loop is left early (``break``, or an
    exception raised in the loop body), as peewee does -- the generator cannot tell
    the two apart, and an error must not commit half of the loop's writes.  To keep
    what a loop that may stop early wrote, open the transaction yourself
    (``with db.atomic(): ...``); it is then left to you.  The cursor is released in
    every case.
    """
    if database is None:
        database = query._database
    if database is None:
        raise InterfaceError('ServerSide(): the query is not bound to a database; pass '
                             'database=')
    own: Any = None
    if not database.in_transaction():
        own = database.atomic()
        own.__enter__()
    server_side = ServerSideQuery(query, array_size=array_size)
    try:
        for row in server_side._execute(database).iterator():
            yield row
    except BaseException as exc:
        server_side.close()
        if own is not None:
            own, txn = None, own
            txn.__exit__(type(exc), exc, exc.__traceback__)   # rolls back
        raise
    server_side.close()
    if own is not None:
        own.__exit__(None, None, None)


# ---------------------------------------------------------------------------------------
# Drivers
# ---------------------------------------------------------------------------------------

class Psycopg2ExtAdapter(Psycopg2Adapter):
    """The ``psycopg2`` adapter of :class:`PostgresqlExtDatabase`: orm's
    :class:`~orm.Psycopg2Adapter` (connections, hstore registration, server-side
    cursors), a separate class so that a subclass can adjust it for the extension
    database alone."""


class Psycopg3ExtAdapter(Psycopg3Adapter):
    """The ``psycopg`` (version 3) adapter of :class:`PostgresqlExtDatabase` (see
    :class:`Psycopg2ExtAdapter`)."""


def register_hstore_pg3(conn: Any) -> None:
    """Register the ``hstore`` type on a psycopg 3 connection (dicts in and out)."""
    Psycopg3ExtAdapter().register_hstore(conn)


class PostgresqlExtDatabase(PostgresqlDatabase):
    """:class:`orm.PostgresqlDatabase` for the fields of ``playhouse.postgres_ext``.

    :param server_side_cursors: run every SELECT through a server-side cursor (rows
        fetched in batches; prefer :func:`ServerSide` for the queries that need it).
    :param register_hstore: register the ``hstore`` type on each connection (the
        extension must exist: ``CREATE EXTENSION hstore``).  :class:`HStoreField` works
        without it; other hstore values then come back as text.
    :param prefer_psycopg3: use psycopg 3 when both drivers are installed (as
        :class:`orm.PostgresqlDatabase`).

    ``db.adapter`` is the driver adapter in use: a :class:`Psycopg2ExtAdapter` or a
    :class:`Psycopg3ExtAdapter` (the ``psycopg2_adapter`` / ``psycopg3_adapter`` class
    attributes).
    """

    psycopg2_adapter: Any = Psycopg2ExtAdapter
    psycopg3_adapter: Any = Psycopg3ExtAdapter

    def __init__(self, database: Optional[str], *args: Any, **kwargs: Any) -> None:
        self._server_side_cursors = False
        self._register_hstore = False
        super().__init__(database, *args, **kwargs)

    def init(self, database: Optional[str], *args: Any,
             server_side_cursors: Optional[bool] = None,
             register_hstore: Optional[bool] = None, **kwargs: Any) -> None:
        if server_side_cursors is not None:
            self._server_side_cursors = bool(server_side_cursors)
        if register_hstore is not None:
            self._register_hstore = bool(register_hstore)
        super().init(database, **kwargs)

    @property
    def server_side_cursors(self) -> bool:
        return self._server_side_cursors

    def _connect(self) -> Any:
        conn = super()._connect()
        if self._register_hstore:
            try:
                self.adapter.register_hstore(conn)
            except Exception as exc:
                conn.close()
                if isinstance(exc, ImproperlyConfigured):   # no hstore extension
                    raise ImproperlyConfigured(
                        'register_hstore=True, but the hstore extension is not installed '
                        'in database %r: run CREATE EXTENSION hstore (as a superuser or '
                        'the database owner).' % (self.database,)) from exc
                raise
        return conn

    def execute(self, query: Any, commit: Any = None, named_cursor: Any = None,
                array_size: Optional[int] = None, **context_options: Any) -> Any:
        if named_cursor is None:
            named_cursor = self._server_side_cursors and isinstance(query, SelectBase)
        if not named_cursor:
            return super().execute(query, commit, **context_options)
        merged = self.get_context_options()
        merged.update(context_options)
        sql, params = self.dialect.compile(query, **merged)
        return self.execute_sql(sql, params, named_cursor=named_cursor,
                                array_size=array_size)

    def execute_sql(self, sql: str, params: Any = None, commit: Any = None,
                    named_cursor: Any = None, array_size: Optional[int] = None) -> Any:
        """Execute ``sql``; with ``named_cursor`` on a server-side cursor, returning a
        :class:`FetchManyCursor` that reads ``array_size`` rows per round trip."""
        if named_cursor:
            return FetchManyCursor(self._run_named(sql, params, named_cursor), array_size)
        return super().execute_sql(sql, params)

    def _run_named(self, sql: str, params: Any, name: Any) -> Any:
        """The statement run on a new named (server-side) cursor, which is closed
        again when the statement fails."""
        log_statement(sql, params)
        with _wrap_errors, contextlib.ExitStack() as on_failure:
            named = self.cursor(named_cursor=name)
            on_failure.callback(_close_quietly, named)
            named.execute(sql, params or ())
            on_failure.pop_all()            # it ran: the caller reads and closes it
        return named


def _close_quietly(cursor: Any) -> None:
    try:
        cursor.close()
    except Exception:                       # the statement's own error matters more
        pass


class PooledPostgresqlExtDatabase(PooledDatabase, PostgresqlExtDatabase):
    """:class:`PostgresqlExtDatabase` with a connection pool (see ``playhouse.pool``)."""


class Psycopg3Database(PostgresqlExtDatabase):
    """:class:`PostgresqlExtDatabase` on the psycopg 3 driver (``prefer_psycopg3=True``),
    insisting on it: connecting raises :class:`orm.ImproperlyConfigured` when
    ``psycopg`` is not installed.
    """

    prefer_psycopg3 = True

    def init(self, database: Optional[str], *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault('prefer_psycopg3', True)
        super().init(database, *args, **kwargs)

    def _connect(self) -> Any:
        if not isinstance(self.adapter, Psycopg3Adapter):
            if self.psycopg3_adapter.available():
                raise ImproperlyConfigured('Psycopg3Database: psycopg 3 was not chosen as '
                                           'the driver (prefer_psycopg3=False was given?)')
            raise ImproperlyConfigured(
                'Psycopg3Database needs the psycopg (version 3) driver: pip install '
                '"psycopg[binary]"; or use PostgresqlExtDatabase, which also runs on '
                'psycopg2.')
        return super()._connect()


class PooledPsycopg3Database(PooledDatabase, Psycopg3Database):
    """:class:`Psycopg3Database` with a connection pool."""
