"""SQLite extensions: JSON1 / JSONB fields, full-text search (FTS3/4 and FTS5), virtual
tables, table-valued functions written in Python, and a few SQLite-flavoured fields.

Use :class:`SqliteExtDatabase` (a :class:`orm.SqliteDatabase` that also registers the
full-text ranking functions and the table functions declared with
:meth:`SqliteExtDatabase.table_function`)::

    from playhouse.sqlite_ext import SqliteExtDatabase, JSONField, FTS5Model, SearchField

    db = SqliteExtDatabase('app.db')

    class Config(db.Model):
        data = JSONField()

    class Note(FTS5Model):
        title = SearchField()
        body = SearchField()

        class Meta:
            database = db

Everything here uses only orm's public API.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import math
import re
import sqlite3
import struct
import types
import zlib
from typing import Any, Callable, Iterable, NamedTuple, Optional

from orm import (SQL, AutoField, Column, ColumnBase, DateTimeField, DecimalField,
                 EnclosedNodeList, Entity, Expression, Field, ForeignKeyField, Function,
                 ImproperlyConfigured, IntegerField, Model, Node, NodeList, NotSupportedError,
                 SchemaManager, SqliteDatabase, TextField, Value, VirtualField, fn)
from orm import JSONField as _CoreJSONField
from orm import fts_bm25 as bm25, fts_bm25f as bm25f, fts_lucene as lucene, fts_rank as rank
from orm import Alias

from . import _sqlite_closure, _vtab
from .fts_parser import web_query as _web_query
from ._sqlite_hooks import Blob, ConnectionHooks, ZeroBlob

# Every other public name of orm, so that ``from playhouse.sqlite_ext import *`` gives
# orm's API too (as peewee's module does).
from orm import (  # noqa: E402,F401
    AnyField, AsIs, BareField, BigAutoField, BigBitField, BigIntegerField,
    BinaryUUIDField, BitField, BlobField, BooleanField, Case, Cast, CharField, Check,
    chunked, CompositeKey, Context, Database, DatabaseError, DatabaseProxy, DataError,
    DateField, Default, DeferredForeignKey, DeferredThroughModel, DJANGO_MAP,
    DoesNotExist, DoubleField, DQ, EXCLUDED, FixedCharField, FloatField, IdentityField,
    Index, IntegrityError, InterfaceError, InternalError, IPField, JOIN, Load,
    ManyToManyField, ModelIndex, MySQLDatabase, OP, OperationalError, OutcomeUnknownError,
    PostgresqlDatabase, prefetch,
    PREFETCH_TYPE, PrimaryKeyField, ProgrammingError, Proxy, QualifiedNames, QueryEvent,
    Select, SmallIntegerField, Table, TimeField, TimestampField, Tuple, UUIDField,
    ValuesList, Window)
import orm as _orm  # noqa: E402

# orm's names (those imported above) and this module's own
__all__ = sorted({_name for _name in _orm.__all__ if _name in globals()} | {
    'AutoIncrementField', 'BaseFTSModel', 'Blob', 'ClosureTable', 'CSqliteExtDatabase',
    'DocIDField',
    'FTS5Model', 'FTSModel', 'ISODateTimeField', 'JSONBField', 'JSONBPath', 'JSONField',
    'JSONPath', 'RowIDField', 'SearchField', 'SqliteExtDatabase', 'TableFunction',
    'TDecimalField', 'VirtualModel', 'VirtualTableSchemaManager', 'bm25', 'bm25f',
    'ZeroBlob', 'jsonb_dumps', 'jsonb_loads', 'lucene', 'match', 'rank'})

_SQLITE_VERSION = sqlite3.sqlite_version_info
FTS_VERSION = 4 if _SQLITE_VERSION >= (3, 7, 4) else 3
FTS3_MATCHINFO = 'pcx'
FTS4_MATCHINFO = 'pcnalx'
FTS5_MIN_SQLITE_VERSION = (3, 9, 0)
JSONB_MIN_SQLITE_VERSION = (3, 45, 0)


def _as_is(value: Any) -> Any:
    """A converter that leaves a bound value as it is (no field conversion)."""
    return value


def match(lhs: Any, rhs: Any) -> Expression:
    """``lhs MATCH rhs`` (full-text search)."""
    return Expression(lhs, 'MATCH', rhs)


# ---------------------------------------------------------------------------------------
# Fields
# ---------------------------------------------------------------------------------------

class RowIDField(AutoField):
    """The implicit ``rowid`` of a SQLite table as the primary key (must be named rowid)."""

    required_name = 'rowid'

    def bind(self, model: type, name: str, set_attribute: bool = True) -> None:
        if name != self.required_name:
            raise ValueError('%s must be named "%s", not "%s"'
                             % (type(self).__name__, self.required_name, name))
        self.column_name = self.required_name
        super().bind(model, name, set_attribute)


class DocIDField(RowIDField):
    """The ``docid`` of an FTS3/4 table (an alias of its rowid)."""

    required_name = 'docid'


class AutoIncrementField(AutoField):
    """``INTEGER PRIMARY KEY AUTOINCREMENT``: keys of deleted rows are never reused."""

    def ddl(self, ctx: Any) -> NodeList:
        return NodeList((super().ddl(ctx), SQL('AUTOINCREMENT')))


class TDecimalField(DecimalField):
    """A decimal stored as TEXT, so no digit is lost to floating point."""

    field_type = 'TEXT'

    def get_modifiers(self) -> None:   # type: ignore[override]
        return None

    def db_value(self, value: Any) -> Any:
        value = super().db_value(value)
        if value is None or isinstance(value, Node):
            return value
        return str(value)


class ISODateTimeField(DateTimeField):
    """A datetime stored as ISO 8601 text, keeping microseconds and the UTC offset.

    A string given for it is written in the same form when it reads as a datetime
    (``'2026-01-02 03:04:05'`` is stored as ``'2026-01-02T03:04:05'``), so that stored
    values and values compared with them sort alike."""

    def db_value(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = datetime.datetime.fromisoformat(value)
            except ValueError:
                return value
        if isinstance(value, datetime.datetime):
            return value.isoformat()
        return super().db_value(value)

    def python_value(self, value: Any) -> Any:
        if isinstance(value, str) and value:
            try:
                return datetime.datetime.fromisoformat(value)
            except ValueError:
                pass
        return super().python_value(value)


# ---------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------

_PLAIN_KEY = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')


def _path_part(key: Any) -> str:
    """One step of a JSON path: ``[0]``, ``[#]``, ``.key`` or ``."odd key"``."""
    if isinstance(key, int) and not isinstance(key, bool):
        return '[%d]' % key
    key = str(key)
    if key.startswith('[') and key.endswith(']'):
        return key
    if _PLAIN_KEY.match(key):
        return '.' + key
    return '."%s"' % key.replace('\\', '\\\\').replace('"', '\\"')


class _TableValued(Function):
    """A table-valued function call (``json_each``, ``json_tree`` ...) usable in FROM.

    ``alias()`` gives a source whose columns are reachable as ``alias.c.name``.
    """

    def alias(self, alias: Optional[str]) -> Node:
        if alias is None:
            return self
        return _SourceAlias(self, alias)


class _AliasColumns:
    __slots__ = ('_alias',)

    def __init__(self, alias: str) -> None:
        self._alias = alias

    def __getattr__(self, name: str) -> Entity:
        if name.startswith('__'):
            raise AttributeError(name)
        return Entity(self._alias, name)

    __getitem__ = __getattr__


class _SourceAlias(Alias):
    @property
    def c(self) -> _AliasColumns:
        return _AliasColumns(self._alias)


class JSONPath(ColumnBase):
    """A path inside a :class:`JSONField`: ``Model.data['a'][0]`` or ``data.path('a', 0)``.

    Renders as ``json_extract(column, '$.a[0]')``; the methods build the updates and
    table-valued functions for that path.
    """

    _extract = 'json_extract'
    _prefix = 'json'

    def __init__(self, field: 'JSONField', path: Iterable = ()) -> None:
        self._field = field
        self._path = tuple(path)

    @property
    def path(self) -> Value:
        return Value('$' + ''.join(_path_part(p) for p in self._path), converter=_as_is)

    def __getitem__(self, key: Any) -> 'JSONPath':   # type: ignore[override]
        return type(self)(self._field, self._path + (key,))

    def _value(self, value: Any, as_json: Optional[bool]) -> Any:
        if isinstance(value, Node):
            return value
        if as_json or (as_json is None and isinstance(value, (list, dict, bool))):
            return self._field._json_value(value)
        return Value(value, converter=_as_is)

    def _func(self, name: str) -> Any:
        return getattr(fn, '%s_%s' % (self._prefix, name))

    def append(self, value: Any, as_json: Optional[bool] = None) -> Function:
        """Append ``value`` to the array at this path."""
        path = Value(self.path.value + '[#]', converter=_as_is)
        return self._func('set')(self._field, path, self._value(value, as_json))

    def insert(self, value: Any, as_json: Optional[bool] = None) -> Function:
        """Set this path to ``value`` only where it does not exist yet."""
        return self._func('insert')(self._field, self.path, self._value(value, as_json))

    def set(self, value: Any, as_json: Optional[bool] = None) -> Function:
        """Set (create or overwrite) this path to ``value``."""
        return self._func('set')(self._field, self.path, self._value(value, as_json))

    def replace(self, value: Any, as_json: Optional[bool] = None) -> Function:
        """Overwrite this path with ``value`` only where it exists."""
        return self._func('replace')(self._field, self.path, self._value(value, as_json))

    def update(self, value: Any) -> Function:
        """Merge ``value`` (a dict) into the object at this path (RFC 7396 merge patch)."""
        patch = Value(self._field._json_dumps(value), converter=_as_is)
        if not self._path:
            return self._func('patch')(self._field, patch)
        return self.set(fn.json_patch(self, patch))

    def remove(self) -> Function:
        """Remove this path."""
        return self._func('remove')(self._field, self.path)

    def json_type(self) -> Function:
        """The JSON type name at this path (``'object'``, ``'integer'`` ...)."""
        return fn.json_type(self._field, self.path)

    def length(self) -> Function:
        """The length of the array at this path."""
        return fn.json_array_length(self._field, self.path)

    def children(self) -> _TableValued:
        """``json_each(column, path)``: one row per direct child (use in FROM)."""
        return _TableValued('json_each', (self._field, self.path))

    def tree(self) -> _TableValued:
        """``json_tree(column, path)``: one row per descendant (use in FROM)."""
        return _TableValued('json_tree', (self._field, self.path))

    def extract(self) -> Function:
        return Function(self._extract, (self._field, self.path))

    def extract_json(self) -> Expression:
        """``column -> path``: the value at this path as JSON text (SQLite >= 3.38)."""
        return Expression(self._field, '->', self.path)

    def extract_text(self) -> Expression:
        """``column ->> path``: the value at this path as an SQL value (SQLite >= 3.38)."""
        return Expression(self._field, '->>', self.path)

    def __sql__(self, ctx: Any) -> Any:
        return ctx.sql(Function(self._extract, (self._field, self.path)))

    def _converter(self, value: Any) -> Any:   # type: ignore[override]
        # json_extract() gives an SQL value for a scalar, JSON text for an object or
        # an array: selected, those are decoded
        if isinstance(value, str) and value[:1] in ('{', '['):
            try:
                return self._field._json_loads(value)
            except ValueError:
                return value
        return value


class JSONField(_CoreJSONField):
    """JSON stored as text, queried with SQLite's JSON1 functions.

    ``Model.data['a']['b']`` (or ``Model.data.path('a', 'b')``) is a :class:`JSONPath`;
    ``set``, ``replace``, ``insert``, ``append``, ``update`` and ``remove`` build the
    values of an ``UPDATE``; ``children()`` / ``tree()`` are table-valued functions.
    The column is ``TEXT``: a ``JSON`` column would have numeric affinity, and SQLite
    would store the document ``0.0`` as the number 0.
    """

    field_type = 'TEXT'
    path_class = JSONPath
    unpack = False

    def __init__(self, json_dumps: Optional[Callable] = None,
                 json_loads: Optional[Callable] = None, **kwargs: Any) -> None:
        kwargs.pop('dumps', None)
        kwargs.pop('loads', None)
        self._json_dumps = json_dumps or _compact_dumps
        self._json_loads = json_loads or json.loads
        super().__init__(self._json_dumps, self._json_loads, **kwargs)

    def _json_value(self, value: Any) -> Node:
        """``value`` as a JSON value inside SQL (not a string)."""
        return fn.json(Value(self._json_dumps(value), converter=_as_is))

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        return self._json_dumps(value)

    def python_value(self, value: Any) -> Any:
        if isinstance(value, (str, bytes, bytearray)):
            try:
                return self._json_loads(value)
            except (TypeError, ValueError):
                return value
        return value

    # -- paths ---------------------------------------------------------------------------
    def __getitem__(self, key: Any) -> JSONPath:   # type: ignore[override]
        return self.path_class(self)[key]

    def path(self, *keys: Any) -> JSONPath:
        return self.path_class(self, keys)

    def _root(self) -> JSONPath:
        return self.path_class(self)

    def extract(self, *paths: str) -> Function:
        """``json_extract(column, path...)`` for ``'$.a'``-style paths."""
        # several paths give a JSON array (decoded by the field); one path gives an SQL
        # value for scalars, which must not be decoded again
        return Function(self.path_class._extract,
                        (self,) + tuple(Value(p, converter=_as_is) for p in paths),
                        coerce=len(paths) > 1)

    def extract_json(self, path: str) -> Expression:
        return Expression(self, '->', Value(path, converter=_as_is))

    def extract_text(self, path: str) -> Expression:
        return Expression(self, '->>', Value(path, converter=_as_is))

    def append(self, value: Any, as_json: Optional[bool] = None) -> Function:
        return self._root().append(value, as_json)

    def insert(self, value: Any, as_json: Optional[bool] = None) -> Function:
        return self._root().insert(value, as_json)

    def set(self, value: Any, as_json: Optional[bool] = None) -> Function:
        return self._root().set(value, as_json)

    def replace(self, value: Any, as_json: Optional[bool] = None) -> Function:
        return self._root().replace(value, as_json)

    def update(self, data: Any) -> Function:
        return self._root().update(data)

    def remove(self, *paths: Any) -> Function:
        """Remove ``paths`` (``'$.a'`` strings); without any, the whole value."""
        if not paths:
            return self._root().remove()
        return getattr(fn, '%s_remove' % self.path_class._prefix)(
            self, *[Value(p, converter=_as_is) for p in paths])

    def json_type(self) -> Function:
        return fn.json_type(self)

    def length(self, path: Optional[str] = None) -> Function:
        if path is None:
            return fn.json_array_length(self)
        return fn.json_array_length(self, Value(path, converter=_as_is))

    def children(self) -> _TableValued:
        return _TableValued('json_each', (self,))

    def tree(self) -> _TableValued:
        return _TableValued('json_tree', (self,))


def _compact_dumps(value: Any) -> str:
    return json.dumps(value, separators=(',', ':'))


# -- JSONB --------------------------------------------------------------------------------
# SQLite's binary JSON (3.45+): each element is a header -- type in the low nibble, payload
# size (or how many size bytes follow) in the high nibble -- and a payload.
_JB_NULL, _JB_TRUE, _JB_FALSE, _JB_INT, _JB_INT5, _JB_FLOAT, _JB_FLOAT5 = range(7)
_JB_TEXT, _JB_TEXTJ, _JB_TEXT5, _JB_TEXTRAW, _JB_ARRAY, _JB_OBJECT = range(7, 13)


def _jb_header(kind: int, size: int) -> bytes:
    if size <= 11:
        return bytes(((size << 4) | kind,))
    if size <= 0xFF:
        return bytes((0xC0 | kind, size))
    if size <= 0xFFFF:
        return bytes((0xD0 | kind,)) + struct.pack('>H', size)
    if size <= 0xFFFFFFFF:
        return bytes((0xE0 | kind,)) + struct.pack('>I', size)
    return bytes((0xF0 | kind,)) + struct.pack('>Q', size)


def _jb_encode(value: Any, out: bytearray) -> None:
    if value is None:
        out.append(_JB_NULL)
    elif value is True:
        out.append(_JB_TRUE)
    elif value is False:
        out.append(_JB_FALSE)
    elif isinstance(value, int):
        text = str(int(value)).encode('ascii')
        out += _jb_header(_JB_INT, len(text)) + text
    elif isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError('JSON cannot hold %r' % value)
        text = repr(value).encode('ascii')
        out += _jb_header(_JB_FLOAT, len(text)) + text
    elif isinstance(value, str):
        text = value.encode('utf-8')
        out += _jb_header(_JB_TEXTRAW, len(text)) + text
    elif isinstance(value, dict):
        body = bytearray()
        for key, item in value.items():
            if not isinstance(key, str):
                key = json.dumps(key) if not isinstance(key, (int, float)) else str(key)
            _jb_encode(key, body)
            _jb_encode(item, body)
        out += _jb_header(_JB_OBJECT, len(body)) + body
    elif isinstance(value, (list, tuple)):
        body = bytearray()
        for item in value:
            _jb_encode(item, body)
        out += _jb_header(_JB_ARRAY, len(body)) + body
    else:
        raise TypeError('Object of type %s is not JSON serializable' % type(value).__name__)


def jsonb_dumps(value: Any) -> bytes:
    """Encode a Python value as SQLite JSONB (a BLOB the ``jsonb_*`` functions read)."""
    out = bytearray()
    _jb_encode(value, out)
    return bytes(out)


def _jb_text5(text: str) -> str:
    """Decode a JSON5 string payload (adds \\x escapes and line continuations to JSON)."""
    text = re.sub(r'\\\r?\n|\\[\u2028\u2029]', '', text)
    text = re.sub(r'\\x([0-9A-Fa-f]{2})', lambda m: '\\u00' + m.group(1), text)
    text = text.replace("\\'", "'").replace('\\0', '\\u0000').replace('\\v', '\\u000b')
    return json.loads('"%s"' % text)


def _jb_number5(text: str, integer: bool) -> Any:
    text = text.strip()
    sign = -1 if text.startswith('-') else 1
    body = text.lstrip('+-')
    if body.lower().startswith('0x'):
        return sign * int(body, 16)
    if body in ('Infinity', 'Inf'):
        return sign * math.inf
    if body == 'NaN':
        return math.nan
    return sign * (int(body) if integer else float(body))


def _jb_decode(data: bytes, pos: int) -> tuple:
    first = data[pos]
    kind, size = first & 0x0F, first >> 4
    pos += 1
    if size >= 12:
        width = {12: 1, 13: 2, 14: 4, 15: 8}[size]
        size = int.from_bytes(data[pos:pos + width], 'big')
        pos += width
    end = pos + size
    payload = data[pos:end]
    if kind == _JB_NULL:
        return None, end
    if kind == _JB_TRUE:
        return True, end
    if kind == _JB_FALSE:
        return False, end
    if kind == _JB_INT:
        return int(payload), end
    if kind == _JB_FLOAT:
        return float(payload), end
    if kind in (_JB_INT5, _JB_FLOAT5):
        return _jb_number5(payload.decode('ascii'), kind == _JB_INT5), end
    if kind in (_JB_TEXT, _JB_TEXTRAW):
        return payload.decode('utf-8'), end
    if kind == _JB_TEXTJ:
        return json.loads('"%s"' % payload.decode('utf-8')), end
    if kind == _JB_TEXT5:
        return _jb_text5(payload.decode('utf-8')), end
    if kind == _JB_ARRAY:
        items = []
        while pos < end:
            item, pos = _jb_decode(data, pos)
            items.append(item)
        return items, end
    if kind == _JB_OBJECT:
        obj = {}
        while pos < end:
            key, pos = _jb_decode(data, pos)
            obj[key], pos = _jb_decode(data, pos)
        return obj, end
    raise ValueError('malformed JSONB (element type %d)' % kind)


def jsonb_loads(data: Any) -> Any:
    """Decode SQLite JSONB (bytes) into Python values."""
    data = bytes(data)
    if not data:
        raise ValueError('empty JSONB value')
    value, end = _jb_decode(data, 0)
    if end != len(data):
        raise ValueError('malformed JSONB (trailing bytes)')
    return value


class JSONBPath(JSONPath):
    """A path inside a :class:`JSONBField`; updates use the ``jsonb_*`` functions."""

    _extract = 'jsonb_extract'
    _prefix = 'jsonb'

    def json(self) -> Function:
        """The value at this path as JSON text."""
        return Function('json', (Function('jsonb_extract', (self._field, self.path)),),
                        coerce=False)


class JSONBField(JSONField):
    """JSON stored in SQLite's binary JSONB format (SQLite >= 3.45).

    Values are encoded to JSONB in Python, so they bind as plain BLOB parameters; rows
    read back are decoded to Python objects.  ``field.json()`` selects the JSON text.
    """

    field_type = 'JSONB'
    path_class = JSONBPath

    def _json_value(self, value: Any) -> Node:
        return Value(jsonb_dumps(value), converter=_as_is)

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        return jsonb_dumps(value)

    def python_value(self, value: Any) -> Any:
        if isinstance(value, (bytes, bytearray, memoryview)):
            try:
                return jsonb_loads(value)
            except (ValueError, IndexError, UnicodeDecodeError):
                return bytes(value)
        return super().python_value(value)

    def json(self) -> Function:
        """``json(column)``: the stored value as JSON text."""
        return Function('json', (self,), coerce=False)

    def update(self, data: Any) -> Function:
        return self._root().update(data)


# ---------------------------------------------------------------------------------------
# Virtual tables and full-text search
# ---------------------------------------------------------------------------------------

def _meta_setting(meta: Any, name: str) -> Any:
    """A virtual-table setting of a model's ``Meta`` (``extension_module``,
    ``arguments``, ``prefix_arguments``); ``None`` when the model does not give it."""
    return getattr(meta, name, None)


def _is_fts5(model: Any) -> bool:
    return str(_meta_setting(model._meta, 'extension_module')).lower() == 'fts5'


class VirtualTableSchemaManager(SchemaManager):
    """DDL for virtual tables: ``CREATE VIRTUAL TABLE t USING module (...)``."""

    def _column_arguments(self) -> Iterable[Node]:
        """One argument per visible column: its name, its type when the module wants
        types, and ``UNINDEXED`` for a column stored but not indexed."""
        model: Any = self.model
        typed = model._include_column_types
        for field in model._meta.sorted_fields:
            if isinstance(field, RowIDField) or getattr(field, '_hidden', False):
                continue
            parts: list = [Entity(field.column_name)]
            if typed and field.field_type not in ('SEARCH', ''):
                datatype = field.ddl_datatype(self._create_context())
                if datatype is not None and datatype.sql:
                    parts.append(datatype)
            if field.unindexed:
                parts.append(SQL('UNINDEXED'))
            yield NodeList(parts)

    def _create_virtual_table(self, safe: bool = True, **options: Any) -> NodeList:
        model: Any = self.model
        meta = model._meta
        head = [SQL('CREATE VIRTUAL TABLE IF NOT EXISTS' if safe else 'CREATE VIRTUAL TABLE'),
                meta.table_entity(), SQL('USING')]
        module = _meta_setting(meta, 'extension_module')
        if isinstance(module, Node):        # the whole module call, arguments included
            return NodeList(head + [module])
        if not module:
            raise ImproperlyConfigured('%s is a virtual table: say which module implements '
                                       'it with Meta.extension_module (such as "fts5")'
                                       % model.__name__)
        settings = model.clean_options({**(meta.options or {}), **options})
        raw_before = _meta_setting(meta, 'prefix_arguments') or ()
        raw_after = _meta_setting(meta, 'arguments') or ()
        arguments = ([SQL(text) for text in raw_before] + list(self._column_arguments())
                     + [SQL(text) for text in raw_after]
                     + [NodeList((SQL(str(name)), SQL('='), _option_value(value)), glue='')
                        for name, value in settings.items()])
        return NodeList(head + [SQL(str(module)), EnclosedNodeList(arguments)])

    def _create_table(self, safe: bool = True, **options: Any) -> Any:
        if issubclass(self.model, VirtualModel):
            options.pop('temporary', None)
            return self._create_virtual_table(safe, **options)
        return super()._create_table(safe, **options)

    def create_indexes(self, safe: bool = True) -> None:
        if not issubclass(self.model, VirtualModel):
            super().create_indexes(safe)


def _option_value(value: Any) -> Node:
    if isinstance(value, Node):
        return value
    if isinstance(value, type) and hasattr(value, '_meta'):
        return Entity(value._meta.table_name)
    if isinstance(value, bool):
        return SQL('1' if value else '0')
    if isinstance(value, (int, float)):
        return SQL(repr(value))
    return SQL(str(value))


class VirtualModel(Model):
    """Base class of models stored in a virtual table.

    ``Meta.extension_module`` names the module (``'fts5'``, ...) or is an SQL node
    standing for the whole module call; ``Meta.prefix_arguments`` and
    ``Meta.arguments`` are raw arguments written before and after the columns, and
    ``Meta.options`` become ``key=value`` arguments.
    """

    _include_column_types = False

    class Meta:
        schema_manager_class = VirtualTableSchemaManager
        primary_key = False

    @classmethod
    def clean_options(cls, options: dict) -> dict:
        return options


def _quoted(text: str) -> SQL:
    """``text`` as an SQL string literal."""
    return SQL("'%s'" % text.replace("'", "''"))


def _content_option(content: Any) -> Any:
    """FTS ``content=``: ``''`` for a contentless index, or the table (a model, or its
    name) that holds the text of an external-content index."""
    if isinstance(content, Field):
        raise ImproperlyConfigured(
            'content= names the table that holds the indexed text (a model or a table '
            'name), not a column: give %s, and name its integer key with content_rowid='
            % (content.model.__name__,))
    if isinstance(content, type) and hasattr(content, '_meta'):
        return Entity(content._meta.table_name)
    if content == '':
        return SQL("''")
    return content


def _content_rowid_option(rowid: Any) -> Any:
    """FTS ``content_rowid=``: the integer key column of the content table, given as a
    field or its name; written as a bare column name."""
    if isinstance(rowid, Field):
        return Entity(str(rowid.column_name))
    return rowid


def _prefix_option(prefix: Any) -> Any:
    """FTS ``prefix=``: the prefix lengths to index, as one quoted list."""
    if not prefix:
        return prefix
    if isinstance(prefix, (list, tuple)):
        prefix = ','.join(map(str, prefix))
    return SQL("'%s'" % str(prefix).strip("' "))


class SearchField(Field):
    """A column of a full-text index (untyped; ``unindexed=True`` stores without indexing)."""

    field_type = 'SEARCH'

    def __init__(self, unindexed: bool = False, column_name: Optional[str] = None,
                 **kwargs: Any) -> None:
        if kwargs:
            raise ValueError('SearchField takes only unindexed= and column_name=; full-text '
                             'columns have no type, constraints or defaults (got %s)'
                             % ', '.join(sorted(kwargs)))
        super().__init__(unindexed=unindexed, column_name=column_name, null=True)

    def match(self, term: str) -> Expression:
        """``column MATCH term``: full-text search restricted to this column."""
        return match(self, term)

    @property
    def fts_column_index(self) -> int:
        columns = [f for f in self.model._meta.sorted_fields
                   if isinstance(f, SearchField)]
        for i, field in enumerate(columns):
            if field.name == self.name:
                return i
        raise ValueError('%r is not a column of %s' % (self, self.model.__name__))

    def highlight(self, left: str, right: str) -> Function:
        """FTS5 ``highlight()`` of this column, matches wrapped in ``left`` / ``right``."""
        return fn.highlight(self.model._fts_entity(), self.fts_column_index, left, right)

    def snippet(self, left: str, right: str, over_length: str = '...',
                max_tokens: int = 16) -> Function:
        """FTS5 ``snippet()`` of this column."""
        max_tokens = max(1, min(int(max_tokens), 64))
        return fn.snippet(self.model._fts_entity(), self.fts_column_index, left, right,
                          over_length, max_tokens)


class BaseFTSModel(VirtualModel):
    """Shared behaviour of FTS3/4 and FTS5 models."""

    @classmethod
    def _fts_entity(cls) -> Column:
        # the hidden column named after the table, qualified by the table's alias in the
        # query: "t1"."note" (an FTS table referenced through an alias has no other name)
        return Column(cls._meta.table, cls._meta.table_name)

    @classmethod
    def clean_options(cls, options: dict) -> dict:
        """The ``Meta.options`` of an FTS table written as SQL wants them."""
        cleaned = dict(options)
        for name, convert in (('content', _content_option),
                              ('content_rowid', _content_rowid_option),
                              ('prefix', _prefix_option),
                              ('tokenize', cls._tokenize_option)):
            if name in cleaned:
                cleaned[name] = convert(cleaned[name])
        # written in name order, so the DDL of an index does not depend on how its
        # options dict was put together
        return dict(sorted(cleaned.items()))

    @classmethod
    def _tokenize_option(cls, tokenize: Any) -> Any:
        # FTS5 reads the tokenizer and its arguments as one quoted value; FTS3/4 bare words
        if not tokenize or not _is_fts5(cls):
            return tokenize
        return Entity(str(tokenize).strip('\'"'))

    @classmethod
    def match(cls, term: str) -> Expression:
        """``table MATCH term``: rows matching the full-text query ``term``."""
        return match(cls._fts_entity(), term)

    @classmethod
    def _fts_command(cls, command: str, *values: Any) -> Any:
        """``INSERT INTO t(t [, rank]) VALUES ('command' [, value])``."""
        return cls._fts_insert(command, ['rank'] if values else [], values)

    @classmethod
    def _fts_insert(cls, command: str, names: list, values: Iterable) -> Any:
        """Send ``command`` to the index: an INSERT into its hidden column named after
        the table, with ``values`` for the columns ``names``."""
        meta = cls._meta
        columns = [Entity(meta.table_name)] + [Entity(str(name)) for name in names]
        row = [Value(command)] + [Value(value) for value in values]
        db = meta.database
        ctx = db.get_sql_context()
        ctx.sql(NodeList((SQL('INSERT INTO'), meta.table_entity(), EnclosedNodeList(columns),
                          SQL('VALUES'), EnclosedNodeList(row))))
        sql, params = ctx.query()
        return db.execute_sql(sql, params)

    @classmethod
    def optimize(cls) -> Any:
        """Merge the index b-trees into one (faster queries, slow to run)."""
        return cls._fts_command('optimize')

    @classmethod
    def rebuild(cls) -> Any:
        """Rebuild the index from the content table."""
        return cls._fts_command('rebuild')

    @classmethod
    def integrity_check(cls, rank: Optional[int] = None) -> Any:
        """Check the index against the content; raises on corruption."""
        if rank is None:
            return cls._fts_command('integrity-check')
        return cls._fts_command('integrity-check', rank)

    @classmethod
    def merge(cls, blocks: int = 200, segments: int = 8) -> Any:
        if _is_fts5(cls):
            return cls._fts_command('merge', blocks)
        return cls._fts_command('merge=%d,%d' % (int(blocks), int(segments)))

    @classmethod
    def automerge(cls, state: Any = True) -> Any:
        if _is_fts5(cls):
            return cls._fts_command('automerge', int(state))
        return cls._fts_command('automerge=%d' % int(state))


def _weights_list(cls: Any, weights: Any) -> list:
    """Per-column weights from a list or a ``{field or name: weight}`` dict."""
    if not weights:
        return []
    if isinstance(weights, dict):
        columns = [f for f in cls._meta.sorted_fields if isinstance(f, SearchField)]
        lookup = {}
        for key, value in weights.items():
            lookup[key.name if isinstance(key, Field) else key] = value
        return [lookup.get(f.name, 1.0) for f in columns]
    return list(weights)


def _ranked_search(scorer: str, doc: str, clean: bool = False) -> Any:
    """A ``search*()`` class method: the rows matching a full-text query, ordered by the
    class method ``scorer`` (given the per-column ``weights``), best first.

    ``with_score`` adds the score to each row (as ``score_alias``);
    ``explicit_ordering`` leaves the ordering to the caller. With ``clean`` the query
    text goes through :meth:`FTS5Model.clean_query` first."""
    def search(cls: Any, term: str, weights: Any = None, with_score: bool = False,
               score_alias: str = 'score', explicit_ordering: bool = False) -> Any:
        score = getattr(cls, scorer)(*_weights_list(cls, weights))
        wanted = cls.match(FTS5Model.clean_query(term) if clean else term)
        query = (cls.select(cls, score.alias(score_alias)) if with_score
                 else cls.select()).where(wanted)
        if not explicit_ordering:
            query = query.order_by(SQL(_quote(score_alias)) if with_score else score)
        return query
    search.__doc__ = doc
    return classmethod(search)


class _KeyAlias:
    """Another name for the primary key: the field on the class, its value on a row."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: Any) -> Any:
        return getattr(owner if instance is None else instance, self.name)


class FTSModel(BaseFTSModel):
    """A full-text index in an FTS3/FTS4 virtual table (``rowid`` is the key; FTS3/4
    also call it ``docid``, and so does the model: ``Doc.docid`` is ``Doc.rowid``).

    Ranking uses the Python ``fts_rank`` / ``fts_bm25`` ... functions that
    :class:`SqliteExtDatabase` registers (``rank_functions=True``, the default).
    Scores are negated, so ascending order puts the best match first.
    """

    rowid = RowIDField()
    docid = _KeyAlias('rowid')

    class Meta:
        extension_module = 'FTS%s' % FTS_VERSION

    @classmethod
    def _matchinfo(cls, fmt: str) -> Function:
        return fn.matchinfo(cls._fts_entity(), fmt)

    @classmethod
    def rank(cls, *weights: Any) -> Function:
        """Simple relevance (matches per column, weighted), negated."""
        return fn.fts_rank(cls._matchinfo(FTS3_MATCHINFO), *weights)

    @classmethod
    def bm25(cls, *weights: Any) -> Function:
        """Okapi BM25 relevance, negated (needs FTS4)."""
        return fn.fts_bm25(cls._matchinfo(FTS4_MATCHINFO), *weights)

    @classmethod
    def bm25f(cls, *weights: Any) -> Function:
        return fn.fts_bm25f(cls._matchinfo(FTS4_MATCHINFO), *weights)

    @classmethod
    def lucene(cls, *weights: Any) -> Function:
        return fn.fts_lucene(cls._matchinfo(FTS4_MATCHINFO), *weights)

    search = _ranked_search('rank', 'Rows matching ``term``, best first (by :meth:`rank`).')
    search_bm25 = _ranked_search('bm25', 'Rows matching ``term``, best first by BM25.')
    search_bm25f = _ranked_search('bm25f', 'Rows matching ``term``, best first by BM25F.')
    search_lucene = _ranked_search('lucene', 'Rows matching ``term``, best first by the '
                                             'Lucene-style score.')


def _quote(name: str) -> str:
    return '"%s"' % name.replace('"', '""')


# what FTS5 accepts outside quoted strings: barewords (letters, digits, "_", the SUB
# character 0x1A and non-ASCII), whitespace and the query syntax characters
_FTS5_BAREWORD = re.compile(r'[\w\s*():^+{}\x1a\u0080-\U0010ffff]')


class FTS5Model(BaseFTSModel):
    """A full-text index in an FTS5 virtual table (``rowid`` is the key).

    Every field must be a :class:`SearchField`.  ``search()`` orders by FTS5's built-in
    ``rank`` (BM25, lower is better); ``search_bm25()`` takes per-column weights.
    """

    rowid = RowIDField()

    class Meta:
        extension_module = 'fts5'

    _error_messages = {
        'field_type': ('%s: an FTS5 table holds SearchField columns and its rowid, '
                       'nothing else (%s %s)'),
        'index': ('%s.%s: FTS5 indexes every column itself; a column takes no index, '
                  'unique or other constraint'),
        'pk': ('%s: the key of an FTS5 table is its rowid (the RowIDField named rowid); '
               'declare no other primary key'),
    }

    @classmethod
    def validate_model(cls) -> None:
        pk = cls._meta.primary_key
        if pk is not False and pk is not None and not isinstance(pk, RowIDField):
            raise ImproperlyConfigured(cls._error_messages['pk'] % cls.__name__)
        for field in cls._meta.fields.values():
            if isinstance(field, RowIDField):
                continue
            if not isinstance(field, SearchField):
                raise ImproperlyConfigured(cls._error_messages['field_type'] % (
                    cls.__name__, type(field).__name__, field.name))
            if field.index or field.unique:
                raise ImproperlyConfigured(cls._error_messages['index'] % (
                    cls.__name__, field.name))

    @classmethod
    def fts5_installed(cls) -> bool:
        """Whether the SQLite library of the model's database has FTS5."""
        db = cls._meta.database
        version = getattr(db, 'server_version', None) or _SQLITE_VERSION
        if tuple(version)[:3] < FTS5_MIN_SQLITE_VERSION:
            return False
        if db is None:      # FTS5Model itself, or a model not bound yet: ask sqlite3
            probe = sqlite3.connect(':memory:')
            try:
                probe.execute('CREATE VIRTUAL TABLE __orm_fts5_probe USING fts5(x)')
            except sqlite3.Error:
                return False
            finally:
                probe.close()
            return True
        try:
            db.execute_sql('CREATE VIRTUAL TABLE temp.__orm_fts5_probe USING fts5(x)')
            db.execute_sql('DROP TABLE temp.__orm_fts5_probe')
        except Exception:
            return False
        return True

    @staticmethod
    def validate_query(query: str) -> bool:
        """Whether ``query`` is free of characters FTS5 rejects outside quoted strings."""
        tokens = _quote_split(query)
        if tokens is None:
            return False
        for token, quoted in tokens:
            if not quoted and any(not _FTS5_BAREWORD.match(ch) for ch in token):
                return False
        return True

    @staticmethod
    def clean_query(query: str, replace: str = chr(26)) -> str:
        """``query`` with characters FTS5 rejects (outside quotes) replaced.

        An unbalanced double quote is replaced too, so any user input becomes a
        valid query.
        """
        tokens = _quote_split(query)
        if tokens is None:   # an unbalanced quote: it becomes a space, so no phrase opens
            tokens = [(query.replace('"', ' '), False)]
        out = []
        for token, quoted in tokens:
            if quoted:
                out.append(token)
            else:
                out.append(''.join(ch if _FTS5_BAREWORD.match(ch) else replace
                                   for ch in token))
        return ''.join(out)

    @classmethod
    def web_query(cls, query: str) -> str:
        """A search-box ``query`` (``a -b``, ``"a phrase"``, ``title: a`` ...) as an FTS5
        query that always parses, for :meth:`match` and :meth:`search` (see
        :mod:`playhouse.fts_parser`; the model's indexed columns can be filtered on)."""
        columns = [field.column_name for field in cls._meta.sorted_fields
                   if isinstance(field, SearchField) and not field.unindexed]
        return _web_query(query, columns)

    @classmethod
    def rank(cls, *weights: Any) -> Any:
        """The relevance: FTS5's ``rank`` column, or ``bm25()`` with ``weights``."""
        if weights:
            return fn.bm25(cls._fts_entity(), *weights)
        return Column(cls._meta.table, 'rank')

    @classmethod
    def bm25(cls, *weights: Any) -> Function:
        return fn.bm25(cls._fts_entity(), *weights)

    search = _ranked_search(
        'rank', 'Rows matching ``term`` (cleaned with :meth:`clean_query`), best first.',
        clean=True)
    search_bm25 = _ranked_search(
        'rank', 'Rows matching ``term`` (cleaned), best first by BM25 (``weights`` per '
                'column).', clean=True)

    @classmethod
    def _fts_config(cls, key: str, value: Any) -> Any:
        return cls._fts_command(key, value)

    @classmethod
    def set_pgsz(cls, value: int) -> Any:
        return cls._fts_config('pgsz', int(value))

    @classmethod
    def set_rank(cls, rank_expression: str) -> Any:
        return cls._fts_config('rank', rank_expression)

    @classmethod
    def delete_all(cls) -> Any:
        """Empty a contentless (or external-content) index."""
        return cls._fts_command('delete-all')

    @classmethod
    def delete_command(cls, rowid: Any, **values: Any) -> Any:
        """Take row ``rowid`` out of a contentless or external-content index, which
        cannot read the old text itself: ``values`` give the indexed columns (by field
        or column name) exactly as they were indexed; unindexed ones may be left out."""
        meta = cls._meta
        by_name = {}
        for field in meta.sorted_fields:
            if isinstance(field, SearchField):
                by_name[field.name] = by_name[field.column_name] = field
        if not values:
            raise ValueError('%s.delete_command(%r): give the indexed values of the row as '
                             'they were indexed (column=value), so the index can find its '
                             'entries' % (cls.__name__, rowid))
        unknown = sorted(set(values) - set(by_name))
        if unknown:
            raise ValueError('%s.delete_command(): %s %s not a column of the index'
                             % (cls.__name__, ', '.join(unknown),
                                'is' if len(unknown) == 1 else 'are'))
        names = ['rowid'] + [by_name[name].column_name for name in values]
        return cls._fts_insert('delete', names, [rowid] + list(values.values()))

    @classmethod
    def VocabModel(cls, table_type: str = 'row', table: Optional[str] = None,
                   table_name: Optional[str] = None) -> type:
        """A model over an ``fts5vocab`` table of this index (``row``, ``col``,
        ``instance``) named ``table`` (alias ``table_name``; default ``<index>_v``);
        create it with ``create_table()``."""
        columns = _VOCAB_COLUMNS.get(table_type)
        if columns is None:
            raise ValueError('an fts5vocab table is of type %s, not %r'
                             % (', '.join(_VOCAB_COLUMNS), table_type))
        index_table = cls._meta.table_name
        default_name = index_table + ('_v' if table_type == 'row' else '_v_' + table_type)
        meta = type('Meta', (), {
            'database': cls._meta.database,
            'table_name': table or table_name or default_name,
            'extension_module': SQL('fts5vocab(%s, %s)' % (_quote(index_table),
                                                          _quote(table_type))),
            'primary_key': False})

        def fill(namespace: dict) -> None:
            namespace.update({column: _VocabField(_hidden=True) for column in columns})
            namespace.update(Meta=meta, __module__=cls.__module__)
        return types.new_class(cls.__name__ + 'Vocab', (VirtualModel,), {}, fill)


#: the columns of each kind of fts5vocab table, in SQLite's order
_VOCAB_COLUMNS = {
    'row': ('term', 'doc', 'cnt'),
    'col': ('term', 'col', 'doc', 'cnt'),
    'instance': ('term', 'doc', 'col', 'offset'),
}


class _VocabField(Field):
    field_type = ''


def _quote_split(query: str) -> Optional[list]:
    """Split ``query`` into ``(text, quoted)`` runs; ``None`` if quotes are unbalanced."""
    out = []
    buf: list = []
    quoted = False
    i = 0
    while i < len(query):
        ch = query[i]
        if ch == '"':
            if quoted and query[i + 1:i + 2] == '"':   # "" inside a string
                buf.append('""')
                i += 2
                continue
            if quoted:
                buf.append(ch)
                out.append((''.join(buf), True))
                buf = []
            else:
                if buf:
                    out.append((''.join(buf), False))
                buf = [ch]
            quoted = not quoted
        else:
            buf.append(ch)
        i += 1
    if quoted:
        return None
    if buf:
        out.append((''.join(buf), False))
    return out


def _hash(name: str) -> Callable:
    def digest(value: Any) -> Optional[str]:
        if value is None:
            return None
        data = value if isinstance(value, bytes) else str(value).encode('utf-8')
        return hashlib.new(name, data).hexdigest()
    return digest


def _adler32(value: Any) -> Optional[int]:
    if value is None:
        return None
    return zlib.adler32(value if isinstance(value, bytes) else str(value).encode('utf-8'))


def _crc32(value: Any) -> Optional[int]:
    if value is None:
        return None
    return zlib.crc32(value if isinstance(value, bytes) else str(value).encode('utf-8'))


def _json_contains(src: Any, obj: Any) -> int:
    """``json_contains(doc, fragment)``: whether ``fragment`` is contained in ``doc``."""
    try:
        source = json.loads(src) if isinstance(src, (str, bytes)) else src
        target = json.loads(obj) if isinstance(obj, (str, bytes)) else obj
    except ValueError:
        return 0
    return 1 if _contains(source, target) else 0


def _contains(source: Any, target: Any) -> bool:
    if isinstance(target, dict):
        return isinstance(source, dict) and all(
            key in source and _contains(source[key], value) for key, value in target.items())
    if isinstance(target, list):
        if not isinstance(source, list):
            return False
        return all(any(_contains(item, want) for item in source) for want in target)
    if isinstance(source, list):
        return target in source
    return source == target


# ---------------------------------------------------------------------------------------
# Table-valued functions
# ---------------------------------------------------------------------------------------

class TableFunction:
    """A table-valued function implemented in Python.

    Subclasses declare ``columns`` (the output columns) and ``params`` (the arguments,
    all optional), implement ``initialize(**params)`` and ``iterate(idx)`` -- which
    returns one row (a tuple) per call and raises ``StopIteration`` when done -- and are
    registered with :meth:`SqliteExtDatabase.table_function`::

        @db.table_function('series')
        class Series(TableFunction):
            columns = ['value']
            params = ['start', 'stop']

            def initialize(self, start=0, stop=10):
                self.current, self.stop = start, stop

            def iterate(self, idx):
                if self.current > self.stop:
                    raise StopIteration
                self.current += 1
                return (self.current - 1,)

        db.execute_sql('SELECT value FROM series(1, 3)').fetchall()
    """

    columns: Optional[list] = None
    params: Optional[list] = None
    name: Optional[str] = None
    print_tracebacks = False

    @classmethod
    def register(cls, conn: Any) -> None:
        """Register on a raw ``sqlite3`` or ``apsw`` connection."""
        _vtab.register(conn, cls, cls.name)

    @classmethod
    def get_table_columns_declaration(cls) -> str:
        return _vtab.declaration(cls)

    def initialize(self, **filters: Any) -> None:
        raise NotImplementedError

    def iterate(self, idx: int) -> tuple:
        raise NotImplementedError


# ---------------------------------------------------------------------------------------
# The database
# ---------------------------------------------------------------------------------------

class SqliteExtDatabase(ConnectionHooks, SqliteDatabase):
    """:class:`orm.SqliteDatabase` with the SQLite extensions of this module.

    :param rank_functions: register ``fts_rank``, ``fts_bm25``, ``fts_bm25f`` and
        ``fts_lucene`` (used by :class:`FTSModel`); default ``True``.
    :param hash_functions: register ``md5``, ``sha1``, ``sha256``, ``sha512``,
        ``adler32`` and ``crc32``.
    :param json_contains: register ``json_contains(doc, fragment)``.
    :param regexp_function: accepted for compatibility (``REGEXP`` always works).
    :param c_extensions: accepted for compatibility; everything is pure Python.

    It also has what peewee's ``CSqliteExtDatabase`` adds: :meth:`on_commit`,
    :meth:`on_rollback`, :meth:`on_update`, :meth:`changes`, :attr:`autocommit`,
    :meth:`backup`, :meth:`backup_to_file` and :meth:`blob_open`.
    """

    def __init__(self, database: Optional[str], c_extensions: Any = None,
                 rank_functions: bool = True, hash_functions: bool = False,
                 regexp_function: bool = False, bloomfilter: bool = False,
                 json_contains: bool = False, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, rank_functions=rank_functions, **kwargs)
        if hash_functions:
            for name in ('md5', 'sha1', 'sha256', 'sha512'):
                self.register_function(_hash(name), name, 1, deterministic=True)
            self.register_function(_adler32, 'adler32', 1, deterministic=True)
            self.register_function(_crc32, 'crc32', 1, deterministic=True)
        if json_contains:
            self.register_function(_json_contains, 'json_contains', 2, deterministic=True)

    def _add_conn_hooks(self, conn: Any) -> None:
        # before the extensions (loaded by the base class): a real ``closure``
        # extension registers its transitive_closure module over this one
        self._register_closure_module(conn)
        super()._add_conn_hooks(conn)   # also registers the table functions
        self._install_hooks(conn)

    _closure_unavailable: set = set()   # drivers without a virtual-table route

    @staticmethod
    def _register_closure_module(conn: Any) -> None:
        driver = type(conn).__module__
        if driver in SqliteExtDatabase._closure_unavailable:
            return
        try:
            _sqlite_closure.register(conn)
        except (NotSupportedError, OSError, AttributeError):
            # no virtual-table API here: ClosureTable then needs the C extension;
            # do not try again on every connection
            SqliteExtDatabase._closure_unavailable.add(driver)


#: peewee's name for the C-accelerated variant; here everything is pure Python.
CSqliteExtDatabase = SqliteExtDatabase


# ---------------------------------------------------------------------------------------
# Trees: a model over the transitive_closure virtual table
# ---------------------------------------------------------------------------------------

class _Tree(NamedTuple):
    """Where a tree lives: the node model, the model holding the child -> parent links
    (the node model itself for a self-referencing tree), and the two link columns."""
    nodes: Any
    links: Any
    child_key: Any
    parent_key: Any


def _key_of(node: Any) -> Any:
    """A node's primary key, whether given the instance or the key itself."""
    return node.get_id() if isinstance(node, Model) else node


#: the columns of a transitive_closure table, all hidden: ``root`` is where a walk
#: starts, ``id`` a node reached ``depth`` links away; the other three say which table
#: and columns hold the tree
_CLOSURE_COLUMNS = (('root', IntegerField), ('id', IntegerField), ('depth', IntegerField),
                    ('tablename', TextField), ('idcolumn', TextField),
                    ('parentcolumn', TextField))


class _ClosureModel(VirtualModel):
    """What every model :func:`ClosureTable` builds has: the columns of the
    ``transitive_closure`` module and the three tree queries."""

    _tree: _Tree
    # the module's columns (see _CLOSURE_COLUMNS), added to each concrete model
    root: Any
    id: Any
    depth: Any

    class Meta:
        extension_module = 'transitive_closure'

    @classmethod
    def _reached(cls, node: Any, depth: Optional[int], include_node: bool,
                 downwards: bool) -> Any:
        """Node instances linked to ``node``, each with its ``depth``: walking from
        ``node`` (``downwards``) or towards it. The closure table needs its ``root``
        fixed, which the join does row by row when walking up."""
        nodes = cls._tree.nodes
        own_key = nodes._meta.primary_key
        fixed, joined = (cls.root, cls.id) if downwards else (cls.id, cls.root)
        query = (nodes.select(nodes, cls.depth.alias('depth'))
                 .join(cls, on=(own_key == joined))
                 .where(fixed == _key_of(node))
                 .objects())
        if depth is not None:
            return query.where(cls.depth == depth)
        return query if include_node else query.where(cls.depth > 0)

    @classmethod
    def descendants(cls, node: Any, depth: Optional[int] = None,
                    include_node: bool = False) -> Any:
        """The nodes below ``node`` (exactly ``depth`` levels below, when given)."""
        return cls._reached(node, depth, include_node, downwards=True)

    @classmethod
    def ancestors(cls, node: Any, depth: Optional[int] = None,
                  include_node: bool = False) -> Any:
        """The nodes above ``node`` (exactly ``depth`` levels above, when given)."""
        return cls._reached(node, depth, include_node, downwards=False)

    @classmethod
    def siblings(cls, node: Any, include_node: bool = False) -> Any:
        """The nodes that have the same parent as ``node`` (roots: the other roots)."""
        tree = cls._tree
        own_key = tree.nodes._meta.primary_key
        key = _key_of(node)
        if tree.links is tree.nodes:
            instance = node if isinstance(node, tree.nodes) else tree.nodes.get_by_id(key)
            parent = instance.__data__.get(tree.parent_key.name)
            query = tree.nodes.select().where(tree.parent_key == parent)
        else:
            parents = tree.links.select(tree.parent_key).where(tree.child_key == key)
            sharing = tree.links.select(tree.child_key).where(tree.parent_key.in_(parents))
            query = tree.nodes.select().where(own_key.in_(sharing))
        return query if include_node else query.where(own_key != key)


def ClosureTable(model_class: type, foreign_key: Any = None, referencing_class: Any = None,
                 referencing_key: Any = None) -> type:
    """A model over a ``transitive_closure`` virtual table for a self-referencing
    ``model_class``.  :class:`SqliteExtDatabase` registers a Python implementation of
    the module on every connection (see :mod:`playhouse._sqlite_closure`); SQLite's C
    extension, if loaded with ``db.load_extension('closure')``, replaces it.

    The model has ``descendants(node, depth=None, include_node=False)``,
    ``ancestors(node, depth=None, include_node=False)`` and
    ``siblings(node, include_node=False)``.
    """
    nodes: Any = model_class
    links: Any = referencing_class if referencing_class is not None else nodes
    parent_key = foreign_key
    if parent_key is None:
        pointing_back = [fk for fk in links._meta.refs if fk.rel_model is nodes]
        if not pointing_back:
            raise ValueError('ClosureTable(%s): %s has no foreign key to %s to follow; '
                             'name one with foreign_key=' % (nodes.__name__, links.__name__,
                                                              nodes.__name__))
        parent_key = pointing_back[0]
    elif links is nodes and not isinstance(parent_key, ForeignKeyField):
        raise ValueError('ClosureTable(%s): foreign_key= takes a ForeignKeyField of the '
                         'model, not %r' % (nodes.__name__, parent_key))
    child_key = referencing_key if referencing_key is not None else nodes._meta.primary_key
    tree = _Tree(nodes, links, child_key, parent_key)
    meta = type('Meta', (), {
        'database': links._meta.database,
        'primary_key': False,
        'options': {'tablename': links._meta.table_name,
                    'idcolumn': child_key.column_name,
                    'parentcolumn': parent_key.column_name}})

    def fill(namespace: dict) -> None:
        namespace.update({column: VirtualField(kind, _hidden=True)
                          for column, kind in _CLOSURE_COLUMNS})
        namespace.update(Meta=meta, _tree=tree, __module__=nodes.__module__)
    return types.new_class(nodes.__name__ + 'Closure', (_ClosureModel,), {}, fill)
