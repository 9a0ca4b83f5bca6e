"""The field types: numbers, text and bytes, flags and bitmaps, identifiers, booleans,
JSON documents, dates, times and timestamps.

The machinery they share (options, binding, conversion protocol, rendering, typing) is
in :mod:`orm.fieldbase`, whose names this module re-exports: ``orm.fields`` is where
the rest of orm and applications import fields from.

Each type says what it stores (``field_type``) and how its values convert.  Conversions
are small methods with a fast path for the value that already has the right type, so
binding a parameter costs one call in the common case; what a driver returns already
converted is not touched at all (``native_dialects``), and where a row value does need
converting the type hands the row builder its cheapest reader (``_reader()``).

Typing: every class below is generic in its nullability only (``IntegerField[Literal[True]]``),
its value type being fixed by the class (``int``).  The ``__new__`` overloads inside
``if TYPE_CHECKING`` blocks exist for type checkers alone: they make ``null=True`` give
``int | None`` on instances.  They must sit on each class, since an inherited ``__new__``
returns the parent's type; and no class here may define ``__init__``, which a checker
would prefer to them (that is why constructor arguments are declared as data, see
:mod:`orm.fieldbase`).
"""
from __future__ import annotations

import calendar
import datetime
import decimal
import json
import socket
import time
import uuid
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Literal, overload

from .dialects.base import NaNParameter
from .exceptions import UnconvertibleValue
from .fieldbase import (_N, _T, Field, FieldAccessor, FieldAlias, FieldDatabaseHook, MetaField,
                        ObjectIdAccessor, VirtualField, _is_model_instance)
from .json_methods import DIALECT_JSON_METHODS, BaseJSONMethods, JSONExpression, JSONPath
from .sql.context import Context
from .sql.nodes import (OP, SQL, BitwiseMixin, ColumnBase, Expression, Node,
                        StringExpression, Value)

if TYPE_CHECKING:
    from typing_extensions import Self, TypedDict, Unpack

    # the keyword arguments every field takes, as type checkers see them (column options,
    # then the metadata kept for forms and tools)
    _Options = TypedDict('_Options', {
        'index': bool, 'unique': bool, 'primary_key': bool, 'unindexed': bool,
        '_hidden': bool, 'column_name': str | None, 'db_column': str | None,
        'sequence': str | None, 'collation': str | None, 'index_type': str | None,
        'constraints': Iterable[Any] | None, 'default': Any,
        'choices': Any, 'help_text': str | None, 'verbose_name': str | None,
    }, total=False)

    class _CharOptions(_Options, total=False):
        max_length: int | None

    class _DecimalOptions(_Options, total=False):
        max_digits: int
        decimal_places: int
        auto_round: bool
        rounding: str | None

    class _DateOptions(_Options, total=False):
        formats: Iterable[str] | None

    class _TimestampOptions(_Options, total=False):
        resolution: int | None
        utc: bool

    class _IdentityOptions(_Options, total=False):
        generate_always: bool

    class _BareOptions(_Options, total=False):
        adapt: Callable[[Any], Any] | None

    class _JSONOptions(_Options, total=False):
        dumps: Callable[[Any], Any] | None
        loads: Callable[[Any], Any] | None

__all__ = [
    'Field', 'FieldAccessor', 'ObjectIdAccessor', 'AnyField', 'BareField', 'IntegerField',
    'BigIntegerField', 'SmallIntegerField', 'AutoField', 'BigAutoField', 'IdentityField',
    'PrimaryKeyField', 'FloatField', 'DoubleField', 'DecimalField', 'CharField',
    'FixedCharField', 'TextField', 'BlobField', 'BitField', 'BigBitField',
    'BigBitFieldData', 'BigBitFieldAccessor', 'UUIDField', 'BinaryUUIDField',
    'DateTimeField', 'DateField', 'TimeField', 'TimestampField', 'IPField', 'BooleanField',
    'JSONField', 'FieldDatabaseHook', 'VirtualField', 'MetaField', 'FieldAlias',
    'format_date_time', 'simple_date_time', 'safe_python_value',
]


# -- numbers ----------------------------------------------------------------------------------
def _convert_number(field: Field[Any, Any], kind: Callable[[Any], Any], value: Any) -> Any:
    """``kind(value)``; a model instance stands for its primary key; anything else that
    does not convert is a ValueError naming the field."""
    try:
        return kind(value)
    except (TypeError, ValueError, ArithmeticError):
        if not _is_model_instance(value):
            raise UnconvertibleValue('%s got %r, which is not a valid %s'
                                     % (field, value, getattr(kind, '__name__', kind))) from None
    return field.adapt(value.get_id())


class IntegerField(Field[int, _N]):
    field_type = 'INT'
    native_dialects = ('sqlite', 'postgres', 'cockroach')

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_Options]) -> IntegerField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_Options]) -> IntegerField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_Options]) -> IntegerField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

    def adapt(self, value: Any) -> Any:
        if type(value) is int or isinstance(value, Node):
            return value
        return _convert_number(self, int, value)

    #: values of these types pass db_value() unchanged (cached statements skip the call;
    #: a subclass with its own db_value() does not inherit this)
    _db_passthrough = (int,)

    def db_value(self, value: Any) -> Any:
        if value is None or type(value) is int:
            return value
        return self.adapt(value)


class BigIntegerField(IntegerField[_N]):
    field_type = 'BIGINT'

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_Options]) -> BigIntegerField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_Options]) -> BigIntegerField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_Options]) -> BigIntegerField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...


class SmallIntegerField(IntegerField[_N]):
    field_type = 'SMALLINT'

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_Options]) -> SmallIntegerField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_Options]) -> SmallIntegerField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_Options]) -> SmallIntegerField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...


class AutoField(IntegerField[_N]):
    """An auto-incrementing integer primary key."""

    field_type = 'AUTO'
    auto_increment = True
    primary_key = True

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_Options]) -> AutoField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_Options]) -> AutoField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_Options]) -> AutoField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

    def _configure(self) -> None:
        if not self.primary_key:
            raise ValueError('%s is always the primary key of its model: do not pass '
                             'primary_key=False' % type(self).__name__)
        super()._configure()


class BigAutoField(AutoField[_N]):
    """An auto-incrementing 64-bit primary key."""

    field_type = 'BIGAUTO'

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_Options]) -> BigAutoField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_Options]) -> BigAutoField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_Options]) -> BigAutoField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...


class IdentityField(AutoField[_N]):
    """A PostgreSQL identity column (``GENERATED BY DEFAULT AS IDENTITY``, or ``ALWAYS``
    with ``generate_always=True``); an ordinary integer key on SQLite."""

    field_type = 'INT GENERATED BY DEFAULT AS IDENTITY'
    _leading = ('generate_always',)
    generate_always: bool = False

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_IdentityOptions]) -> IdentityField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_IdentityOptions]) -> IdentityField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_IdentityOptions]) -> IdentityField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

    def _configure(self) -> None:
        super()._configure()
        if self.generate_always:
            self.field_type = 'INT GENERATED ALWAYS AS IDENTITY'

    def ddl_datatype(self, ctx: Context | None) -> SQL:
        on_sqlite = ctx is not None and ctx.dialect.name == 'sqlite'
        return SQL('INTEGER' if on_sqlite else self.field_type)


class PrimaryKeyField(AutoField[_N]):
    """The old name of :class:`AutoField`."""

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_Options]) -> PrimaryKeyField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_Options]) -> PrimaryKeyField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_Options]) -> PrimaryKeyField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...


class FloatField(Field[float, _N]):
    field_type = 'FLOAT'
    native_dialects = ('sqlite', 'postgres', 'cockroach')

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_Options]) -> FloatField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_Options]) -> FloatField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_Options]) -> FloatField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

    def adapt(self, value: Any) -> Any:
        if type(value) is float or isinstance(value, Node):
            return value
        return _convert_number(self, float, value)

    # no _db_passthrough: every float goes through db_value(), which marks NaN

    def db_value(self, value: Any) -> Any:
        if type(value) is float:
            # NaN is the one float unequal to itself; it goes on marked with this field
            # (a float still), so that SQLite, which would store NULL, refuses it by name
            return value if value == value else NaNParameter(self)
        if value is None:
            return value
        value = self.adapt(value)
        if type(value) is float and value != value:
            return NaNParameter(self)
        return value


class DoubleField(FloatField[_N]):
    field_type = 'DOUBLE'

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_Options]) -> DoubleField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_Options]) -> DoubleField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_Options]) -> DoubleField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...


class DecimalField(Field[decimal.Decimal, _N]):
    """Exact decimal numbers (``NUMERIC(max_digits, decimal_places)``).

    SQLite stores them as floating-point numbers; they are read back as ``Decimal``
    values with ``decimal_places`` digits after the point.
    """

    field_type = 'DECIMAL'
    native_dialects = ('postgres', 'cockroach')
    _leading = ('max_digits', 'decimal_places', 'auto_round', 'rounding')
    max_digits: int = 10
    decimal_places: int = 5
    auto_round: bool = False
    rounding: str | None = None

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_DecimalOptions]) -> DecimalField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_DecimalOptions]) -> DecimalField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_DecimalOptions]) -> DecimalField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

    def _configure(self) -> None:
        super()._configure()
        self.rounding = self.rounding or decimal.DefaultContext.rounding
        #: the value of the last kept digit, the unit ``quantize`` rounds to
        self._unit = decimal.Decimal(1).scaleb(-self.decimal_places)

    def get_modifiers(self) -> list:
        return [self.max_digits, self.decimal_places]

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        if type(value) is float:
            value = decimal.Decimal(repr(value))      # the float as written, not its binary
        elif not isinstance(value, decimal.Decimal):
            value = _convert_number(self, decimal.Decimal, value)
        if self.auto_round:
            return value.quantize(self._unit, rounding=self.rounding)
        return value

    def python_value(self, value: Any) -> Any:
        if value is None or isinstance(value, decimal.Decimal):
            return value
        if isinstance(value, (int, float)):
            # an engine without decimals (SQLite) gives a number: take its shortest
            # spelling and give it the declared number of places
            return decimal.Decimal(repr(value)).quantize(self._unit, rounding=self.rounding)
        return decimal.Decimal(str(value))

    def _reader(self) -> Callable[[Any], Any]:
        unit, rounding, slow = self._unit, self.rounding, self.python_value
        Decimal = decimal.Decimal

        def read(value: Any) -> Any:
            kind = type(value)
            if kind is float or kind is int:
                return Decimal(repr(value)).quantize(unit, rounding=rounding)
            return slow(value)
        return read


# -- text and bytes ---------------------------------------------------------------------------
class _TextValue(Field[str, _N]):
    """What text fields share: values become ``str`` (bytes are decoded as UTF-8), and
    ``+`` concatenates in SQL."""

    native_dialects = ('sqlite', 'postgres', 'cockroach')

    def adapt(self, value: Any) -> Any:
        if isinstance(value, (str, Node)):
            return value
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value).decode('utf-8')
        return str(value)

    _db_passthrough = (str,)

    def db_value(self, value: Any) -> Any:
        if value is None or type(value) is str:
            return value
        return self.adapt(value)

    def __add__(self, other: Any) -> StringExpression:  # type: ignore[override]
        return self.concat(other)

    def __radd__(self, other: Any) -> StringExpression:  # type: ignore[override]
        return Value(other).concat(self)


class CharField(_TextValue[_N]):
    """Text of at most ``max_length`` characters (``VARCHAR``)."""

    field_type = 'VARCHAR'
    _leading = ('max_length',)
    max_length: int | None = 255

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_CharOptions]) -> CharField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_CharOptions]) -> CharField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_CharOptions]) -> CharField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

    def get_modifiers(self) -> list | None:
        return [self.max_length] if self.max_length else None


class FixedCharField(CharField[_N]):
    """Text in a ``CHAR(max_length)`` column.  Values are stored without surrounding
    blanks and cut to ``max_length``, and read back without the engine's padding."""

    field_type = 'CHAR'

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_CharOptions]) -> FixedCharField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_CharOptions]) -> FixedCharField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_CharOptions]) -> FixedCharField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

    def db_value(self, value: Any) -> Any:
        text = super().db_value(value)
        if not isinstance(text, str):
            return text
        text = text.strip()
        if self.max_length and len(text) > self.max_length:
            text = text[:self.max_length].rstrip()
        return text

    def python_value(self, value: Any) -> Any:
        text = super().python_value(value)
        return text.strip() if text else text


class TextField(_TextValue[_N]):
    """Text of any length."""

    field_type = 'TEXT'

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_Options]) -> TextField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_Options]) -> TextField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_Options]) -> TextField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...


class BlobField(Field[bytes, _N]):
    """Binary data; values read back are ``bytes`` on every engine (a ``str`` is stored
    as its UTF-8 encoding)."""

    field_type = 'BLOB'
    native_dialects = ('sqlite',)

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_Options]) -> BlobField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_Options]) -> BlobField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_Options]) -> BlobField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

    def db_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return value.encode('utf-8')
        if isinstance(value, (bytearray, memoryview)):
            return bytes(value)
        return value

    def python_value(self, value: Any) -> Any:
        return bytes(value) if isinstance(value, (memoryview, bytearray)) else value


# -- flags and bitmaps ------------------------------------------------------------------------
class BitField(BitwiseMixin, BigIntegerField[_N]):  # type: ignore[misc]
    """Boolean flags packed in one integer column (``default`` 0).

    ``is_sticky = flags.flag(2)`` declares a flag on the model: a ``bool`` on instances,
    a condition in queries.  ``&``, ``|`` and ``~`` are SQL's bitwise operators on the
    field, and ``field - mask`` clears the bits of ``mask``.
    """

    default = 0
    #: the value ``flag()`` gives the next flag declared without one
    _next_flag = 1

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_Options]) -> BitField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_Options]) -> BitField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_Options]) -> BitField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

    def flag(self, value: int | None = None) -> _Flag:
        """A flag of this field: bit ``value``, or the one after the last flag declared."""
        mask = self._next_flag if value is None else value
        self._next_flag = mask << 1
        return _Flag(self, mask)

    __hash__ = Field.__hash__


class _Flag(ColumnBase):
    """One flag of a :class:`BitField`, as a descriptor on the model class."""

    def __init__(self, field: BitField[Any], mask: int) -> None:
        self._field = field
        self._mask = mask

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        bits = getattr(instance, self._field.name) or 0
        return bits & self._mask != 0

    def __set__(self, instance: Any, wanted: Any) -> None:
        if wanted not in (0, 1):
            raise ValueError('a flag is set to True or False, not %r' % (wanted,))
        name = self._field.name
        bits = getattr(instance, name) or 0
        setattr(instance, name, bits | self._mask if wanted else bits & ~self._mask)

    def set(self) -> Expression:
        """The field's value with this flag set (for ``Model.update()``)."""
        return self._field.bin_or(self._mask)

    def clear(self) -> Expression:
        """The field's value with this flag cleared (for ``Model.update()``)."""
        return self._field.bin_and(~self._mask)

    def __sql__(self, ctx: Context) -> Context:
        return ctx.sql(self._field.bin_and(self._mask) != 0)


def _bitmap_in(data: dict, key: str) -> bytearray:
    """The bytearray stored under ``key``; bytes or nothing there are replaced by one, so
    that changing it changes the stored value."""
    stored = data.get(key)
    if isinstance(stored, bytearray):
        return stored
    fresh = data[key] = bytearray(stored or b'')
    return fresh


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, BigBitFieldData):
        return bytes(value._buffer)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise ValueError('a bitmap combines with another bitmap or with bytes, not %r' % (value,))


class BigBitFieldData:
    """The bitmap of a :class:`BigBitField` on one instance.

    It works on the instance's stored bytearray in place (``_buffer``), growing it when a
    bit past the end is set; every change marks the field dirty.
    """

    def __init__(self, instance: Any, name: str) -> None:
        self.instance = instance
        self.name = name
        self._buffer = _bitmap_in(instance.__data__, name)

    def _changed(self) -> None:
        self.instance._dirty.add(self.name)

    def _locate(self, idx: int, grow: bool) -> tuple[int, int]:
        """The byte index and the mask of bit ``idx``."""
        if idx < 0:
            raise ValueError('bit positions start at 0, got %d' % idx)
        byte = idx >> 3
        missing = byte + 1 - len(self._buffer)
        if grow and missing > 0:
            self._buffer.extend(bytes(missing))
        return byte, 1 << (idx & 7)

    def set_bit(self, idx: int) -> None:
        byte, mask = self._locate(idx, True)
        self._buffer[byte] |= mask
        self._changed()

    def clear_bit(self, idx: int) -> None:
        byte, mask = self._locate(idx, True)
        self._buffer[byte] &= 0xFF ^ mask
        self._changed()

    def toggle_bit(self, idx: int) -> bool:
        """Flip bit ``idx``; whether it is set now."""
        byte, mask = self._locate(idx, True)
        self._buffer[byte] ^= mask
        self._changed()
        return bool(self._buffer[byte] & mask)

    def is_set(self, idx: int) -> bool:
        if idx < 0:
            return False
        byte, mask = self._locate(idx, False)
        return byte < len(self._buffer) and bool(self._buffer[byte] & mask)

    __getitem__ = is_set

    def __setitem__(self, idx: int, value: Any) -> None:
        (self.set_bit if value else self.clear_bit)(idx)

    __delitem__ = clear_bit

    def clear(self) -> None:
        """Unset every bit (the bitmap becomes empty)."""
        del self._buffer[:]
        self._changed()

    def __len__(self) -> int:
        """The size of the bitmap in bytes."""
        return len(self._buffer)

    def __iter__(self) -> Iterator[int]:
        """``1`` or ``0`` for each bit, from bit 0."""
        return ((byte >> shift) & 1 for byte in self._buffer for shift in range(8))

    def _merge(self, other: Any, combine: Callable[[int, int], int]) -> bytearray:
        mine, theirs = bytes(self._buffer), _as_bytes(other)
        width = max(len(mine), len(theirs))
        merged = combine(int.from_bytes(mine, 'little'), int.from_bytes(theirs, 'little'))
        return bytearray(merged.to_bytes(width, 'little'))

    def __and__(self, other: Any) -> bytearray:
        return self._merge(other, int.__and__)

    def __or__(self, other: Any) -> bytearray:
        return self._merge(other, int.__or__)

    def __xor__(self, other: Any) -> bytearray:
        return self._merge(other, int.__xor__)

    intersection = __and__
    union = __or__
    #: the bits set in exactly one of the bitmaps
    symmetric_difference = difference = __xor__

    def __bytes__(self) -> bytes:
        return bytes(self._buffer)

    def __repr__(self) -> str:
        return repr(self._buffer)


class BigBitFieldAccessor(FieldAccessor):
    """Gives a :class:`BigBitFieldData` on instances; accepts bytes, a ``str`` (as UTF-8),
    a ``memoryview`` or another bitmap."""

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        return self.field if instance is None else BigBitFieldData(instance, self.name)

    def __set__(self, instance: Any, value: Any) -> None:
        if value is not None:
            if isinstance(value, str):
                value = value.encode('utf-8')
            elif isinstance(value, BigBitFieldData):
                value = value._buffer
            elif not isinstance(value, (bytes, bytearray, memoryview)):
                raise ValueError('BigBitField takes bytes, a str, a memoryview or another '
                                 'bitmap, got %r' % (value,))
            value = bytearray(value)
        super().__set__(instance, value)


class BigBitField(BlobField[_N]):
    """A bitmap of any size in a blob column (``default`` empty)."""

    accessor_class = BigBitFieldAccessor
    default = bytes

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_Options]) -> BigBitField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_Options]) -> BigBitField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_Options]) -> BigBitField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

        # on instances the field is a bitmap object, whatever its nullability
        @overload  # type: ignore[override]
        def __get__(self, instance: None, owner: Any) -> Self: ...
        @overload
        def __get__(self, instance: object, owner: Any) -> BigBitFieldData: ...
        def __get__(self, instance: Any, owner: Any) -> Any: ...
        def __set__(self, instance: object,  # type: ignore[override]
                    value: bytes | bytearray | memoryview | str | BigBitFieldData | None
                    ) -> None: ...

    def db_value(self, value: Any) -> Any:
        if isinstance(value, BigBitFieldData):
            return bytes(value._buffer)
        return None if value is None else bytes(value)


# -- identifiers ------------------------------------------------------------------------------
class UUIDField(Field[uuid.UUID, _N]):
    """``uuid.UUID`` values: a native ``UUID`` column on PostgreSQL, 32 hexadecimal
    digits of text elsewhere.  Takes UUIDs, their text, or their 16 bytes."""

    field_type = 'UUID'

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_Options]) -> UUIDField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_Options]) -> UUIDField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_Options]) -> UUIDField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        parsed = value if isinstance(value, uuid.UUID) else _parse_uuid(value)
        if parsed is None:
            raise UnconvertibleValue('%s got %r, which is not a UUID' % (self, value))
        return parsed.hex

    def python_value(self, value: Any) -> Any:
        if value is None or isinstance(value, uuid.UUID):
            return value
        return uuid.UUID(value if isinstance(value, str) else str(value))


def _parse_uuid(value: Any) -> uuid.UUID | None:
    """The UUID that ``value`` (text, or the 16 raw bytes) spells, else ``None``."""
    try:
        if isinstance(value, (bytes, bytearray, memoryview)) and len(value) == 16:
            return uuid.UUID(bytes=bytes(value))
        return uuid.UUID(str(value))
    except ValueError:
        return None


class BinaryUUIDField(BlobField[_N]):
    """``uuid.UUID`` values stored as their 16 bytes."""

    field_type = 'UUIDB'

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_Options]) -> BinaryUUIDField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_Options]) -> BinaryUUIDField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_Options]) -> BinaryUUIDField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

        @overload  # type: ignore[override]
        def __get__(self, instance: None, owner: Any) -> Self: ...
        @overload
        def __get__(self: BinaryUUIDField[Literal[False]], instance: object,
                    owner: Any) -> uuid.UUID: ...
        @overload
        def __get__(self: BinaryUUIDField[Literal[True]], instance: object,
                    owner: Any) -> uuid.UUID | None: ...
        @overload
        def __get__(self: BinaryUUIDField[bool], instance: object,
                    owner: Any) -> uuid.UUID | None: ...
        def __get__(self, instance: Any, owner: Any) -> Any: ...
        @overload  # type: ignore[override]
        def __set__(self: BinaryUUIDField[Literal[False]], instance: object,
                    value: uuid.UUID) -> None: ...
        @overload
        def __set__(self: BinaryUUIDField[Literal[True]], instance: object,
                    value: uuid.UUID | None) -> None: ...
        @overload
        def __set__(self: BinaryUUIDField[bool], instance: object,
                    value: uuid.UUID | None) -> None: ...
        def __set__(self, instance: Any, value: Any) -> None: ...

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        parsed = value if isinstance(value, uuid.UUID) else _parse_uuid(value)
        if parsed is None:
            raise UnconvertibleValue('%s got %r: a binary UUID takes a uuid.UUID, a UUID '
                                     'string or 16 bytes' % (self, value))
        return parsed.bytes

    def python_value(self, value: Any) -> Any:
        if value is None or isinstance(value, uuid.UUID):
            return value
        return uuid.UUID(bytes=bytes(value))


class IPField(BigIntegerField[_N]):
    """An IPv4 address (``str``) stored as a 32-bit number, so ranges compare."""

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_Options]) -> IPField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_Options]) -> IPField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_Options]) -> IPField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

        @overload  # type: ignore[override]
        def __get__(self, instance: None, owner: Any) -> Self: ...
        @overload
        def __get__(self: IPField[Literal[False]], instance: object, owner: Any) -> str: ...
        @overload
        def __get__(self: IPField[Literal[True]], instance: object, owner: Any) -> str | None: ...
        @overload
        def __get__(self: IPField[bool], instance: object, owner: Any) -> str | None: ...
        def __get__(self, instance: Any, owner: Any) -> Any: ...
        @overload  # type: ignore[override]
        def __set__(self: IPField[Literal[False]], instance: object, value: str) -> None: ...
        @overload
        def __set__(self: IPField[Literal[True]], instance: object,
                    value: str | None) -> None: ...
        @overload
        def __set__(self: IPField[bool], instance: object, value: str | None) -> None: ...
        def __set__(self, instance: Any, value: Any) -> None: ...

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        try:
            packed = socket.inet_aton(value)
        except (OSError, TypeError):
            raise UnconvertibleValue('%s got %r, which is not an IPv4 address'
                                     % (self, value)) from None
        return int.from_bytes(packed, 'big')

    def python_value(self, value: Any) -> Any:
        if value is None:
            return None
        return socket.inet_ntoa(int(value).to_bytes(4, 'big'))


# -- booleans and untyped columns -------------------------------------------------------------
class BooleanField(Field[bool, _N]):
    """``True``/``False``: a native ``BOOLEAN`` on PostgreSQL, 1 and 0 on SQLite."""

    field_type = 'BOOL'
    native_dialects = ('postgres', 'cockroach')

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_Options]) -> BooleanField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_Options]) -> BooleanField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_Options]) -> BooleanField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

    def adapt(self, value: Any) -> Any:
        return value if isinstance(value, Node) else bool(value)

    def db_value(self, value: Any) -> Any:
        if value is None or type(value) is bool:
            return value
        return self.adapt(value)

    def _reader(self) -> Callable[[Any], Any]:
        return bool


class _AnyValue(Field[Any, _N]):
    """Fields whose values are of any type: for a type checker they are ``Any``, NULL
    or not."""

    if TYPE_CHECKING:
        def __get__(self, instance: Any, owner: Any) -> Any: ...  # type: ignore[override]
        def __set__(self, instance: Any, value: Any) -> None: ...  # type: ignore[override]


class BareField(_AnyValue[_N]):
    """A column without a type (SQLite).  ``adapt`` is a function that converts the
    values (both ways); without it values pass as they are."""

    _leading = ('adapt',)

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_BareOptions]) -> BareField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_BareOptions]) -> BareField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_BareOptions]) -> BareField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

    def _configure(self) -> None:
        super()._configure()
        if 'adapt' in vars(self) and self.adapt is None:
            del self.adapt                        # adapt=None: no conversion

    def ddl_datatype(self, ctx: Context | None) -> SQL:
        return SQL('')


class AnyField(_AnyValue[_N]):
    """Values of any type, unconverted: an untyped column on SQLite, ``TEXT`` elsewhere."""

    field_type = 'ANY'

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_Options]) -> AnyField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_Options]) -> AnyField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_Options]) -> AnyField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

    def ddl_datatype(self, ctx: Context | None) -> SQL:
        # SQLite: no type at all, so that values keep the type they were stored with
        # (a column declared ANY would have NUMERIC affinity); the generic SQL of a
        # query bound to no database: the declared ANY
        dialect = None if ctx is None else ctx.dialect.name
        if dialect is None or dialect == 'generic':
            return SQL(self.field_type)
        return SQL('' if dialect == 'sqlite' else 'TEXT')


# -- JSON -----------------------------------------------------------------------------------------
def _engine_typed(cls: type) -> bool:
    """Whether a JSONField class takes its column type and conversions from its
    database's JSON methods (a subclass that converts values itself keeps its own)."""
    for klass in cls.__mro__:
        if klass is JSONField:
            return True
        if 'db_value' in vars(klass) or 'field_type' in vars(klass):
            return False
    return False


class JSONField(FieldDatabaseHook, _AnyValue[_N]):
    """JSON documents: ``JSONB`` on PostgreSQL, JSON text in a ``TEXT`` column on SQLite.

    :param dumps: turns a Python value into JSON text (default :func:`json.dumps`).
    :param loads: turns stored JSON text into a Python value (default :func:`json.loads`).

    ``Model.data['a'][0]`` (or ``Model.data.path('a', 0)``) is a :class:`JSONPath`.
    Comparisons compare JSON values; :meth:`update`, :meth:`contains`, :meth:`has_key`
    ... produce the SQL of the engine the query runs on (through the database's JSON
    methods, see :mod:`orm.json_methods`).
    """

    field_type = 'JSON'
    _leading = ('dumps', 'loads')
    dumps: Callable[[Any], Any]
    loads: Callable[[Any], Any]
    # what the hook derives from the model's database
    _json_methods: BaseJSONMethods | None = None
    _wrap: Callable[[Any], Any] | None = None
    _read: Callable[[Any], Any] | None = None

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_JSONOptions]) -> JSONField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_JSONOptions]) -> JSONField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_JSONOptions]) -> JSONField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

    def _configure(self) -> None:
        super()._configure()
        given = vars(self)
        self.dumps = given.get('dumps') or json.dumps
        self.loads = given.get('loads') or json.loads

    # peewee's names for the two functions
    @property
    def _dumps(self) -> Callable[[Any], Any]:
        return self.dumps

    @property
    def _loads(self) -> Callable[[Any], Any]:
        return self.loads

    def _db_hook(self, database: Any) -> None:
        kind = getattr(database, 'json_methods_class', None)
        methods = kind(database) if kind is not None else None
        self._json_methods = methods
        if methods is None:
            self._wrap = self._read = None
        else:
            self._wrap = methods.make_value_wrapper(self.dumps)
            self._read = methods.make_value_reader(self.loads)
        if methods is not None and _engine_typed(type(self)):
            self.field_type = methods.field_type
        else:
            vars(self).pop('field_type', None)

    @property
    def json_methods(self) -> BaseJSONMethods | None:
        """The JSON methods of the model's database (``None`` without a database)."""
        self._check_db_hook()
        return self._json_methods

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        self._check_db_hook()
        wrap = self._wrap
        return self.dumps(value) if wrap is None else wrap(value)

    def python_value(self, value: Any) -> Any:
        if value is None:
            return None
        self._check_db_hook()
        read = self._read
        if read is not None:
            return read(value)
        if not isinstance(value, (str, bytes, bytearray)) or self._parsed_by_driver():
            return value
        try:
            return self.loads(value)
        except (TypeError, ValueError):
            return value                      # not JSON: a row written by someone else

    def _parsed_by_driver(self) -> bool:
        """Whether the model's driver hands JSON back decoded (a str is then a JSON
        string, not JSON text)."""
        dialect = getattr(self._model_database(), 'dialect', None)
        return bool(getattr(dialect, 'json_decoded_by_driver', False))

    def ddl_datatype(self, ctx: Context | None) -> SQL:
        if ctx is not None and _engine_typed(type(self)):
            methods_class = DIALECT_JSON_METHODS.get(ctx.dialect.name)
            if methods_class is not None:
                declared = methods_class.field_type
                return SQL(ctx.dialect.field_types.get(declared, declared))
        return super().ddl_datatype(ctx)

    def _deferred(self, build: Callable[[BaseJSONMethods], Any]) -> JSONExpression:
        return JSONExpression(self, build)

    def to_value(self, value: Any, case: bool = False) -> Any:  # type: ignore[override]
        """``value`` as a parameter, typed where the engine needs it (``CASE ... THEN``
        of ``bulk_update()`` on PostgreSQL)."""
        plain = Value(value, self.db_value, unpack=False)
        if value is None or isinstance(value, Node):
            return plain
        dumps = self.dumps

        def typed(methods: BaseJSONMethods) -> Any:
            cast = methods.cast_for_case(value, dumps)
            return plain if cast is None else cast
        return self._deferred(typed)

    # -- paths and operations ------------------------------------------------------------
    # (typed Any: the engine-specific JSON fields of playhouse return their own nodes)
    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        return JSONPath(self, (key,))

    def path(self, *keys: Any) -> Any:
        """The :class:`JSONPath` of ``keys``: ``data.path('a', 0)`` is ``data['a'][0]``."""
        return JSONPath(self, keys)

    def _operation(self, name: str, *args: Any) -> Any:
        return self._deferred(lambda methods: getattr(methods, name)(self, (), *args))

    def __eq__(self, rhs: Any) -> Any:  # type: ignore[override]
        if rhs is None or isinstance(rhs, Node):
            return super().__eq__(rhs)
        return self._deferred(lambda methods: methods.compare(self, (), OP.EQ, rhs))

    def __ne__(self, rhs: Any) -> Any:  # type: ignore[override]
        if rhs is None or isinstance(rhs, Node):
            return super().__ne__(rhs)
        return self._deferred(lambda methods: methods.compare(self, (), OP.NE, rhs))

    __hash__ = Field.__hash__

    def update(self, value: Any) -> Any:
        """The document merged with ``value``, for ``Model.update()``: a deep merge on
        SQLite (RFC 7396: ``None`` removes a key), a top-level one (``||``) on PostgreSQL."""
        return self._deferred(lambda methods: methods.update(self, value))

    def length(self) -> Any:
        """The number of items of the top-level array."""
        return self._operation('length')

    def append(self, value: Any) -> Any:
        """The document (an array) with ``value`` added at its end, for
        ``Model.update()``."""
        return self._operation('append', value)

    def contains(self, value: Any) -> Any:  # type: ignore[override]
        """Whether the document contains ``value`` (``@>`` on PostgreSQL)."""
        return self._operation('contains', value)

    def contained_by(self, value: Any) -> Any:
        """Whether ``value`` contains the document (``<@`` on PostgreSQL)."""
        return self._operation('contained_by', value)

    def has_key(self, key: Any) -> Any:
        """Whether the top-level object has the key ``key``."""
        return self._operation('has_key', key)

    def has_keys(self, key_list: Iterable[Any]) -> Any:
        """Whether the top-level object has every key of ``key_list``."""
        return self._operation('has_keys', list(key_list))

    def has_any_keys(self, key_list: Iterable[Any]) -> Any:
        """Whether the top-level object has one of the keys of ``key_list``."""
        return self._operation('has_any_keys', list(key_list))


# -- dates and times --------------------------------------------------------------------------
def _parse_date_time(text: Any, formats: Iterable[str]) -> datetime.datetime | None:
    """``text`` as a datetime: ISO 8601 first, then each strptime pattern of ``formats``
    (``None`` when nothing matches)."""
    try:
        return datetime.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        pass
    for pattern in formats:
        try:
            return datetime.datetime.strptime(text, pattern)
        except (TypeError, ValueError):
            continue
    return None


def format_date_time(value: Any, formats: Iterable[str],
                     post_process: Callable[[datetime.datetime], Any] | None = None) -> Any:
    """``value`` parsed as a date-time (any ISO 8601 text, or one of ``formats``),
    passed through ``post_process`` when given; ``value`` itself when it does not parse."""
    parsed = _parse_date_time(value, formats)
    if parsed is None:
        return value
    return parsed if post_process is None else post_process(parsed)


def simple_date_time(value: Any) -> Any:
    """``YYYY-MM-DD HH:MM:SS`` text as a datetime; anything else unchanged."""
    try:
        return datetime.datetime.strptime(value, '%Y-%m-%d %H:%M:%S')
    except (TypeError, ValueError):
        return value


def safe_python_value(conv_func: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``conv_func`` made forgiving: a value it cannot convert comes back unchanged."""
    def convert(value: Any) -> Any:
        try:
            return conv_func(value)
        except (TypeError, ValueError):
            return value
    return convert


class _EngineCall(ColumnBase):
    """An expression each engine spells its own way (date parts, truncation, epoch
    conversions): rendered as ``ctx.dialect.<helper>(*args)``; selected values are read
    back through ``reader``."""

    def __init__(self, helper: str, args: tuple, reader: Callable[[Any], Any] | None = None
                 ) -> None:
        self.helper = helper
        self.args = args
        self._reader = reader

    @property
    def _converter(self) -> Callable[[Any], Any] | None:
        return self._reader

    def __sql__(self, ctx: Context) -> Context:
        return ctx.sql(getattr(ctx.dialect, self.helper)(*self.args))


def _whole_number(value: Any) -> Any:
    """A date part as an int (engines give numerics or floats; fractional seconds stay)."""
    if isinstance(value, (float, decimal.Decimal)) and value == int(value):
        return int(value)
    return value


#: how engines spell a truncated date-time as text
_TRUNCATED_FORMATS = ('%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%d')


def _as_datetime(value: Any) -> Any:
    if isinstance(value, str):
        return format_date_time(value, _TRUNCATED_FORMATS)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return datetime.datetime(value.year, value.month, value.day)
    return value


def _as_date(value: Any) -> Any:
    value = _as_datetime(value)
    return value.date() if isinstance(value, datetime.datetime) else value


class _Part:
    """``Model.field.year`` and friends: an expression for that part of the stored value."""

    def __init__(self, part: str) -> None:
        self.part = part

    def __get__(self, field: Any, owner: Any = None) -> Any:
        if field is None:
            return self
        return _EngineCall('extract_date', (self.part, field._datetime_source()),
                           _whole_number)


class _DateTimeValue(Field[_T, _N]):
    """What date and time fields share: string parsing with ``formats``, date parts,
    truncation."""

    _leading = ('formats',)
    formats: Iterable[str] = ()

    def _datetime_source(self) -> Any:
        """The expression date parts are extracted from."""
        return self

    def truncate(self, part: str) -> _EngineCall:
        """The value cut down to the start of ``part`` (``'year'`` ... ``'second'``)."""
        return _EngineCall('truncate_date', (part, self), self._truncated_reader())

    def _truncated_reader(self) -> Callable[[Any], Any] | None:
        return None

    def to_timestamp(self) -> _EngineCall:
        """The value as a number of seconds since the epoch, in SQL."""
        return _EngineCall('to_timestamp', (self,))


class DateTimeField(_DateTimeValue[datetime.datetime, _N]):
    """``datetime.datetime`` values: ``TIMESTAMP`` on PostgreSQL, ISO text on SQLite.
    Strings in ISO 8601 or one of ``formats`` are parsed."""

    field_type = 'DATETIME'
    native_dialects = ('postgres', 'cockroach')
    formats = ['%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M:%S.%f%z',
               '%Y-%m-%d %H:%M:%S%z', '%Y-%m-%d']

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_DateOptions]) -> DateTimeField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_DateOptions]) -> DateTimeField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_DateOptions]) -> DateTimeField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

    def adapt(self, value: Any) -> Any:
        if value and isinstance(value, str):
            return format_date_time(value, self.formats)
        return value

    def db_value(self, value: Any) -> Any:
        return self.adapt(value) if isinstance(value, str) else value

    def python_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.adapt(value)
        return _as_datetime(value)

    def _reader(self) -> Callable[[Any], Any]:
        parse_iso, slow = datetime.datetime.fromisoformat, self.python_value

        def read(value: Any) -> Any:
            if type(value) is str:
                try:
                    return parse_iso(value)
                except ValueError:
                    pass
            return slow(value)
        return read

    def _truncated_reader(self) -> Callable[[Any], Any]:
        return _as_datetime

    year = _Part('year')
    month = _Part('month')
    day = _Part('day')
    hour = _Part('hour')
    minute = _Part('minute')
    second = _Part('second')


def _date_of(value: datetime.datetime) -> datetime.date:
    return value.date()


def _time_of(value: datetime.datetime) -> datetime.time:
    return value.time()


class DateField(_DateTimeValue[datetime.date, _N]):
    """``datetime.date`` values (a datetime given is cut to its date)."""

    field_type = 'DATE'
    native_dialects = ('postgres', 'cockroach')
    formats = ['%Y-%m-%d', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M:%S.%f']

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_DateOptions]) -> DateField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_DateOptions]) -> DateField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_DateOptions]) -> DateField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

    def adapt(self, value: Any) -> Any:
        if value and isinstance(value, str):
            return format_date_time(value, self.formats, _date_of)
        if isinstance(value, datetime.datetime):
            return value.date()
        return value

    def _reader(self) -> Callable[[Any], Any]:
        parse_iso, slow = datetime.date.fromisoformat, self.python_value

        def read(value: Any) -> Any:
            if type(value) is str:
                try:
                    return parse_iso(value)
                except ValueError:
                    pass
            return slow(value)
        return read

    def _truncated_reader(self) -> Callable[[Any], Any]:
        return _as_date

    year = _Part('year')
    month = _Part('month')
    day = _Part('day')


class TimeField(_DateTimeValue[datetime.time, _N]):
    """``datetime.time`` values (a datetime given is cut to its time)."""

    field_type = 'TIME'
    native_dialects = ('postgres', 'cockroach')
    formats = ['%H:%M:%S.%f', '%H:%M:%S', '%H:%M', '%Y-%m-%d %H:%M:%S.%f',
               '%Y-%m-%d %H:%M:%S']

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_DateOptions]) -> TimeField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_DateOptions]) -> TimeField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_DateOptions]) -> TimeField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

    def adapt(self, value: Any) -> Any:
        if value and isinstance(value, str):
            try:
                return datetime.time.fromisoformat(value)
            except ValueError:
                return format_date_time(value, self.formats, _time_of)
        if isinstance(value, datetime.datetime):
            return value.time()
        if isinstance(value, datetime.timedelta):     # a driver's interval
            return (datetime.datetime.min + value).time()
        return value

    hour = _Part('hour')
    minute = _Part('minute')
    second = _Part('second')


#: the valid ``resolution`` values written as powers of ten (0 to 6 are exponents)
_TICK_SIZES = {10 ** exponent for exponent in range(1, 7)}
_EPOCH = datetime.datetime(1970, 1, 1)


def _ticks_per_second(resolution: Any) -> int:
    if resolution in (None, 0, 1):
        return 1
    if resolution in range(2, 7):
        return int(10 ** resolution)
    if resolution in _TICK_SIZES:
        return int(resolution)
    raise ValueError('TimestampField(resolution=%r): give a number of decimal places from '
                     '0 to 6, or a power of ten up to 1000000' % (resolution,))


def _utcnow() -> datetime.datetime:
    """The current UTC time, naive (``datetime.utcnow()`` without its deprecation)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


_utcnow.__name__ = 'utcnow'


class TimestampField(BigIntegerField[_N]):
    """A datetime stored as an integer count of ``resolution`` ticks a second since the
    Unix epoch: whole seconds by default, ``resolution=1000`` (or ``3``) milliseconds,
    up to microseconds.

    Naive datetimes are local time, or UTC with ``utc=True`` (aware ones are the instant
    they name either way).  The default is the current time; pass ``default=None`` to
    have none.  Numbers are taken as seconds; strings are parsed as by DateTimeField.
    """

    _keyword_only = ('resolution', 'utc')
    resolution: int = 1
    utc: bool = False
    formats = list(DateTimeField.formats)

    if TYPE_CHECKING:
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Unpack[_TimestampOptions]) -> TimestampField[Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Unpack[_TimestampOptions]) -> TimestampField[Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool,
                    **options: Unpack[_TimestampOptions]) -> TimestampField[bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

        @overload  # type: ignore[override]
        def __get__(self, instance: None, owner: Any) -> Self: ...
        @overload
        def __get__(self: TimestampField[Literal[False]], instance: object,
                    owner: Any) -> datetime.datetime: ...
        @overload
        def __get__(self: TimestampField[Literal[True]], instance: object,
                    owner: Any) -> datetime.datetime | None: ...
        @overload
        def __get__(self: TimestampField[bool], instance: object,
                    owner: Any) -> datetime.datetime | None: ...
        def __get__(self, instance: Any, owner: Any) -> Any: ...
        @overload  # type: ignore[override]
        def __set__(self: TimestampField[Literal[False]], instance: object,
                    value: datetime.datetime | datetime.date | float | str) -> None: ...
        @overload
        def __set__(self: TimestampField[Literal[True]], instance: object,
                    value: datetime.datetime | datetime.date | float | str | None
                    ) -> None: ...
        @overload
        def __set__(self: TimestampField[bool], instance: object,
                    value: datetime.datetime | datetime.date | float | str | None
                    ) -> None: ...
        def __set__(self, instance: Any, value: Any) -> None: ...

    def _configure(self) -> None:
        super()._configure()
        self.resolution = _ticks_per_second(self.resolution)
        if 'default' not in vars(self):
            self.default = _utcnow if self.utc else datetime.datetime.now

    def get_timestamp(self, value: datetime.datetime) -> int:
        """The whole seconds since the epoch of ``value``."""
        if value.tzinfo is not None or self.utc:
            return calendar.timegm(value.utctimetuple())
        return int(time.mktime(value.timetuple()))

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        if isinstance(value, str):
            parsed = _parse_date_time(value, self.formats)
            value = value if parsed is None else parsed
        if isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool):
            return int(round(value * self.resolution))
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            value = datetime.datetime(value.year, value.month, value.day)
        if not isinstance(value, datetime.datetime):
            raise TypeError('%s takes a datetime, a date or a number of seconds, got %r'
                            % (self, value))
        ticks = self.get_timestamp(value) * self.resolution
        if self.resolution > 1:      # whole seconds drop the fraction; finer units round
            ticks += round(value.microsecond * self.resolution / 1000000)
        return ticks

    def python_value(self, value: Any) -> Any:
        if not isinstance(value, (int, float)):
            return value
        seconds, ticks = divmod(value, self.resolution)
        fraction = datetime.timedelta(microseconds=int(ticks * 1000000 // self.resolution))
        if self.utc:
            return _EPOCH + datetime.timedelta(seconds=seconds) + fraction
        return datetime.datetime.fromtimestamp(seconds) + fraction

    def _seconds(self) -> Any:
        """The stored value as whole seconds, in SQL."""
        if self.resolution == 1:
            return self
        return Expression(self, OP.DIV, Value(self.resolution, converter=False))

    def _datetime_source(self) -> Any:
        return _EngineCall('from_timestamp', (self._seconds(),))

    def from_timestamp(self) -> _EngineCall:
        """The stored value as the engine's date-time (whole seconds), read back as a
        ``datetime``."""
        return _EngineCall('from_timestamp', (self._seconds(),), _as_datetime)

    year = _Part('year')
    month = _Part('month')
    day = _Part('day')
    hour = _Part('hour')
    minute = _Part('minute')
    second = _Part('second')
