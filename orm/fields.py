"""Model fields: column definitions that convert values between Python and the database.

A field is an expression node (it renders as its qualified column) bound to a model
class; on instances it is reached through an accessor that reads ``instance.__data__``.
"""
from __future__ import annotations

import calendar
import datetime
import decimal
import json
import struct
import socket
import time
import uuid
from typing import TYPE_CHECKING, Any, Callable, Iterable, TypeVar, overload

from .proxy import Proxy
from .sql.context import Context, SCOPE_VALUES
from .sql.nodes import (SQL, BitwiseMixin, Column, ColumnBase, Entity, Expression, Node,
                        NodeList, OP, Value)

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


class FieldAccessor:
    """Descriptor on the model class: the field on the class, the value on instances."""

    def __init__(self, model: type, field: 'Field', name: str) -> None:
        self.model = model
        self.field = field
        self.name = name

    def __get__(self, instance: Any, instance_type: type | None = None) -> Any:
        if instance is not None:
            return instance.__data__.get(self.name)
        return self.field

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__data__[self.name] = value
        instance._dirty.add(self.name)


class ObjectIdAccessor:
    """``tweet.user_id``: the raw foreign-key value, without loading the related row."""

    def __init__(self, field: 'Field') -> None:
        self.field = field

    def __get__(self, instance: Any, instance_type: type | None = None) -> Any:
        if instance is not None:
            value = instance.__data__.get(self.field.name)
            # a related object held in place of the key: give its key
            if value is not None and hasattr(value, '_meta') and not isinstance(value, type):
                return getattr(value, self.field.rel_field.name)
            return value
        return self.field

    def __set__(self, instance: Any, value: Any) -> None:
        setattr(instance, self.field.name, value)


_F = TypeVar('_F', bound='Field')


class Field(ColumnBase):
    """Base of all fields.  Subclasses set ``field_type`` and override ``adapt`` and
    ``python_value``/``db_value`` as needed."""

    _field_counter = 0
    accessor_class = FieldAccessor
    auto_increment = False
    default_index_type: str | None = None
    field_type = 'DEFAULT'
    unpack = True

    def __init__(self, null: bool = False, index: bool = False, unique: bool = False,
                 column_name: str | None = None, default: Any = None,
                 primary_key: bool = False, constraints: Iterable | None = None,
                 sequence: str | None = None, collation: str | None = None,
                 unindexed: bool = False, choices: Iterable | None = None,
                 help_text: str | None = None, verbose_name: str | None = None,
                 index_type: str | None = None, db_column: str | None = None,
                 _hidden: bool = False) -> None:
        if db_column is not None:
            column_name = db_column
        self.null = null
        self.index = index
        self.unique = unique
        self.column_name = column_name
        self.default = default
        self.primary_key = primary_key
        self.constraints = constraints
        self.sequence = sequence
        self.collation = collation
        self.unindexed = unindexed
        self.choices = choices
        self.help_text = help_text
        self.verbose_name = verbose_name
        self.index_type = index_type or self.default_index_type
        self._hidden = _hidden
        self.model: Any = None
        self.name: str | None = None
        Field._field_counter += 1
        self._order = Field._field_counter
        self._sort_key = (self.primary_key and 1 or 2), self._order

    # fields are dict keys all over the model layer: hash by identity (cheap, and a field
    # is only ever equal to itself; == builds an SQL expression instead)
    __hash__ = object.__hash__

    if TYPE_CHECKING:
        # For type checkers only (at run time the model class holds a FieldAccessor):
        # ``User.username`` is the field, ``user.username`` a value that can be assigned.
        @overload
        def __get__(self: _F, instance: None, owner: Any = None) -> _F: ...
        @overload
        def __get__(self, instance: object, owner: Any = None) -> Any: ...
        def __get__(self, instance: Any, owner: Any = None) -> Any: ...
        def __set__(self, instance: Any, value: Any) -> None: ...

    def __repr__(self) -> str:
        if self.model is not None and self.name:
            return '<%s: %s.%s>' % (type(self).__name__, self.model.__name__, self.name)
        return '<%s: (unbound)>' % type(self).__name__

    def bind(self, model: type, name: str, set_attribute: bool = True) -> None:
        self.model = model
        self.name = self.safe_name = name
        self.column_name = self.column_name or name
        if set_attribute:
            setattr(model, name, self.accessor_class(model, self, name))

    @property
    def column(self) -> Column:
        return Column(self.model._meta.table, self.column_name)

    # -- conversion ------------------------------------------------------------------------
    def adapt(self, value: Any) -> Any:
        return value

    def db_value(self, value: Any) -> Any:
        return value if value is None else self.adapt(value)

    def python_value(self, value: Any) -> Any:
        return value if value is None else self.adapt(value)

    #: dialects whose driver already hands back this field's Python type, so rows need no
    #: python_value() call (a subclass that overrides python_value or adapt without
    #: declaring its own native_dialects loses this, so its conversion always runs)
    native_dialects: tuple = ('sqlite', 'postgres', 'cockroach')

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if 'native_dialects' in cls.__dict__:
            return
        # the class that declared the inherited native_dialects vouched for its own
        # conversion only: if this class converts differently (its own python_value or
        # adapt, or a mixin's ahead of the field class), every value must be converted
        owner = next(k for k in cls.__mro__ if 'native_dialects' in k.__dict__)
        if not owner.__dict__['native_dialects']:
            return
        if cls.python_value is not getattr(owner, 'python_value', None) or \
                cls.adapt is not getattr(owner, 'adapt', None):
            cls.native_dialects = ()

    def row_converter(self, dialect: Any) -> Callable | None:
        """The converter for values of this field read from ``dialect``'s driver."""
        if not self._coerce:        # ``field.coerce(False)``: values as the driver gives them
            return None
        if dialect is not None and dialect.name in self.native_dialects and \
                'python_value' not in self.__dict__ and 'adapt' not in self.__dict__:
            return None
        return self.python_value

    def to_value(self, value: Any) -> Value:
        return Value(value, self.db_value, unpack=False)

    #: whether values read through this field in a SELECT go through python_value()
    _coerce = True

    def coerce(self, _coerce: bool = True) -> 'Field':
        """This field, or a copy of it whose values are read back unconverted
        (``select(Model.field.coerce(False))``) when ``_coerce`` is false."""
        if _coerce == self._coerce:
            return self
        clone = self.clone()
        clone._coerce = _coerce
        return clone

    def _value_converter(self) -> Callable:
        return self.db_value

    @property
    def _converter(self) -> Callable:  # type: ignore[override]
        return self.python_value

    def get_default(self) -> Any:
        default = self.default
        return default() if callable(default) else default

    # -- rendering -------------------------------------------------------------------------
    def get_sort_key(self, ctx: Context) -> tuple:
        return self._sort_key

    def __sql__(self, ctx: Context) -> Context:
        if self.model is None:
            raise TypeError('field %r is not bound to a model' % self)
        quote = ctx.dialect.quote_identifier
        if ctx.state.scope == SCOPE_VALUES:
            return ctx.literal(quote(self.column_name))
        # the column qualified by its table's alias, without building a Column node
        table = self.model._meta.table
        alias = table._alias or ctx.alias_manager.get(table)
        return ctx.literal(quote(alias) + '.' + quote(self.column_name))

    def get_modifiers(self) -> list | None:
        return None

    def ddl_datatype(self, ctx: Context | None) -> SQL:
        """The column type: ``field_type`` mapped through the dialect's type names
        (``ctx=None``: ``field_type`` as it is), with ``get_modifiers()``."""
        field_type = self.field_type
        column_type = ctx.dialect.field_types.get(field_type, field_type) if ctx is not None \
            else field_type
        modifiers = self.get_modifiers()
        if column_type and modifiers:
            return SQL('%s(%s)' % (column_type, ', '.join(str(m) for m in modifiers)))
        return SQL(column_type)

    def ddl(self, ctx: Context) -> NodeList:
        """The column definition used by CREATE TABLE / ADD COLUMN."""
        accum: list = [Entity(self.column_name)]
        data_type = self.ddl_datatype(ctx)
        if data_type and data_type.sql:
            accum.append(data_type)
        if self.unindexed:
            accum.append(SQL('UNINDEXED'))
        if not self.null:
            accum.append(SQL('NOT NULL'))
        if self.primary_key:
            accum.append(SQL('PRIMARY KEY'))
        if self.sequence:
            sequence = self.sequence
            schema = self.model._meta.schema if self.model is not None else None
            if schema:   # the sequence is created in the model's schema
                sequence = ctx.dialect.quote_path((schema, sequence))
            accum.append(SQL("DEFAULT NEXTVAL('%s')" % sequence.replace("'", "''")))
        if self.constraints:
            accum.extend(self.constraints)
        if self.collation:
            accum.append(SQL('COLLATE %s' % self.collation))
        return NodeList(accum)

    # -- aliasing for ModelAlias -----------------------------------------------------------
    def clone(self) -> 'Field':
        return super().clone()


class FieldAlias(Field):
    """A field seen through a ModelAlias: renders against the alias's source."""

    def __init__(self, source: Any, field: Field) -> None:
        self.source = source
        self.model = source.model
        self.field = field
        self.name = field.name
        self.column_name = field.column_name

    @classmethod
    def create(cls, source: Any, field: Field) -> 'FieldAlias':
        class _Alias(cls, type(field)):  # type: ignore[valid-type, misc]
            pass
        obj = _Alias.__new__(_Alias)
        obj.__dict__.update(field.__dict__)
        FieldAlias.__init__(obj, source, field)
        return obj

    def clone(self) -> 'FieldAlias':
        return FieldAlias.create(self.source, self.field)

    def adapt(self, value: Any) -> Any:
        return self.field.adapt(value)

    def python_value(self, value: Any) -> Any:
        return self.field.python_value(value)

    def row_converter(self, dialect: Any) -> Callable | None:
        return self.field.row_converter(dialect) if self._coerce else None

    def db_value(self, value: Any) -> Any:
        return self.field.db_value(value)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.field, attr)

    def __hash__(self) -> int:
        return hash((id(self.source), self.name))

    def __sql__(self, ctx: Context) -> Context:
        if ctx.scope == SCOPE_VALUES:
            return ctx.literal(ctx.dialect.quote_identifier(self.column_name))
        return ctx.sql(Column(self.source, self.column_name))


# -- numbers ------------------------------------------------------------------------------
def _coerce(kind: Callable, value: Any, field: Field) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError, decimal.InvalidOperation):
        raise ValueError('%s got %r, which is not a valid %s' %
                         (field, value, kind.__name__)) from None


class IntegerField(Field):
    field_type = 'INT'
    native_dialects = ('sqlite', 'postgres', 'cockroach')

    def adapt(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, Node):
            return value
        return _coerce(int, value, self)


class BigIntegerField(IntegerField):
    field_type = 'BIGINT'


class SmallIntegerField(IntegerField):
    field_type = 'SMALLINT'


class AutoField(IntegerField):
    auto_increment = True
    field_type = 'AUTO'

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get('primary_key') is False:
            raise ValueError('%s must always be a primary key.' % type(self).__name__)
        kwargs['primary_key'] = True
        super().__init__(*args, **kwargs)


class BigAutoField(AutoField):
    field_type = 'BIGAUTO'


class IdentityField(AutoField):
    """An identity column (PostgreSQL ``GENERATED ... AS IDENTITY``)."""

    field_type = 'INT GENERATED BY DEFAULT AS IDENTITY'

    def __init__(self, generate_always: bool = False, **kwargs: Any) -> None:
        if generate_always:
            self.field_type = 'INT GENERATED ALWAYS AS IDENTITY'
        super().__init__(**kwargs)

    def ddl_datatype(self, ctx: Context | None) -> SQL:
        if ctx is not None and ctx.dialect.name == 'sqlite':
            return SQL('INTEGER')
        return SQL(self.field_type)


class PrimaryKeyField(AutoField):
    """Old name of AutoField."""


class FloatField(Field):
    field_type = 'FLOAT'
    native_dialects = ('sqlite', 'postgres', 'cockroach')

    def adapt(self, value: Any) -> Any:
        if isinstance(value, float) or isinstance(value, Node):
            return value
        return _coerce(float, value, self)


class DoubleField(FloatField):
    field_type = 'DOUBLE'


class DecimalField(Field):
    field_type = 'DECIMAL'
    native_dialects = ('postgres', 'cockroach')

    def __init__(self, max_digits: int = 10, decimal_places: int = 5, auto_round: bool = False,
                 rounding: str | None = None, *args: Any, **kwargs: Any) -> None:
        self.max_digits = max_digits
        self.decimal_places = decimal_places
        self.auto_round = auto_round
        self.rounding = rounding or decimal.DefaultContext.rounding
        self._exp = decimal.Decimal(10) ** (-decimal_places)
        super().__init__(*args, **kwargs)

    def get_modifiers(self) -> list:
        return [self.max_digits, self.decimal_places]

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        if not isinstance(value, decimal.Decimal):
            value = _coerce(decimal.Decimal, str(value) if isinstance(value, float) else value,
                            self)
        if self.auto_round:
            value = value.quantize(self._exp, rounding=self.rounding)
        return value

    def row_converter(self, dialect: Any) -> Callable | None:
        converter = super().row_converter(dialect)
        if converter is None or type(self).python_value is not DecimalField.python_value \
                or 'python_value' in self.__dict__:
            return converter
        # SQLite hands back floats/ints: convert them without the generic checks
        make, exp, rounding = decimal.Decimal, self._exp, self.rounding

        def convert(value: Any) -> Any:
            if type(value) is float or type(value) is int:
                return make(repr(value)).quantize(exp, rounding=rounding)
            return converter(value)
        return convert

    def python_value(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, decimal.Decimal):
            return value
        if isinstance(value, (float, int)):
            # SQLite hands back a number: go through its shortest repr, then fix the places
            return decimal.Decimal(repr(value)).quantize(self._exp, rounding=self.rounding)
        return decimal.Decimal(str(value))


# -- strings and bytes ----------------------------------------------------------------------
class _StringField(Field):
    native_dialects = ('sqlite', 'postgres', 'cockroach')
    def adapt(self, value: Any) -> Any:
        if isinstance(value, str) or isinstance(value, Node):
            return value
        if isinstance(value, (bytes, bytearray)):
            return bytes(value).decode('utf-8')
        return str(value)

    def __add__(self, other: Any) -> Any:
        return self.concat(other)

    def __radd__(self, other: Any) -> Any:
        return Value(other).concat(self)


class CharField(_StringField):
    field_type = 'VARCHAR'

    def __init__(self, max_length: int = 255, *args: Any, **kwargs: Any) -> None:
        self.max_length = max_length
        super().__init__(*args, **kwargs)

    def get_modifiers(self) -> list | None:
        return [self.max_length] if self.max_length else None


class FixedCharField(CharField):
    field_type = 'CHAR'

    def python_value(self, value: Any) -> Any:
        value = super().python_value(value)
        # as peewee: the padding is removed, and so is any leading/trailing blank
        return value.strip() if value else value


class TextField(_StringField):
    field_type = 'TEXT'


class BlobField(Field):
    field_type = 'BLOB'

    def db_value(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.encode('utf-8')
        elif isinstance(value, (bytearray, memoryview)):
            value = bytes(value)
        return value

    def python_value(self, value: Any) -> Any:
        if isinstance(value, (memoryview, bytearray)):
            return bytes(value)
        return value


class BitField(BitwiseMixin, BigIntegerField):
    """An integer of flags; ``flag = BitField.flag(4)`` declares one on the model.

    In queries ``&``, ``|`` and ``~`` are the bitwise operators (as in peewee) and
    ``field - mask`` clears the bits of ``mask``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault('default', 0)
        super().__init__(*args, **kwargs)
        self.__current_flag = 1

    def flag(self, value: int | None = None) -> '_FlagDescriptor':
        if value is None:
            value = self.__current_flag
            self.__current_flag <<= 1
        else:
            self.__current_flag = value << 1
        return _FlagDescriptor(self, value)

    __hash__ = Field.__hash__


class _FlagDescriptor(ColumnBase):
    def __init__(self, field: BitField, value: int) -> None:
        self._field = field
        self._value = value

    def __get__(self, instance: Any, instance_type: type | None = None) -> Any:
        if instance is None:
            return self
        return bool((getattr(instance, self._field.name) or 0) & self._value)

    def __set__(self, instance: Any, is_set: bool) -> None:
        if is_set not in (True, False):
            raise ValueError('flags are set with True or False, got %r' % (is_set,))
        current = getattr(instance, self._field.name) or 0
        setattr(instance, self._field.name,
                current | self._value if is_set else current & ~self._value)

    def __sql__(self, ctx: Context) -> Context:
        return ctx.sql(self._field.bin_and(self._value) != 0)

    def set(self) -> Expression:
        return self._field.bin_or(self._value)

    def clear(self) -> Expression:
        return self._field.bin_and(~self._value)


class BigBitFieldData:
    """A growable bitmap stored as bytes."""

    def __init__(self, instance: Any, name: str) -> None:
        self.instance = instance
        self.name = name
        value = self.instance.__data__.get(self.name)
        if not value:
            value = bytearray()
        elif not isinstance(value, bytearray):
            value = bytearray(value)
        self._buffer = self.instance.__data__[self.name] = value

    def _ensure(self, idx: int) -> tuple[int, int]:
        if idx < 0:
            raise ValueError('bit index must not be negative')
        byte, bit = divmod(idx, 8)
        if len(self._buffer) <= byte:
            self._buffer.extend(b'\x00' * (byte - len(self._buffer) + 1))
        return byte, bit

    def set_bit(self, idx: int) -> None:
        byte, bit = self._ensure(idx)
        self._buffer[byte] |= 1 << bit
        self.instance._dirty.add(self.name)

    def clear_bit(self, idx: int) -> None:
        byte, bit = self._ensure(idx)
        self._buffer[byte] &= ~(1 << bit) & 0xFF
        self.instance._dirty.add(self.name)

    def toggle_bit(self, idx: int) -> bool:
        byte, bit = self._ensure(idx)
        self._buffer[byte] ^= 1 << bit
        self.instance._dirty.add(self.name)
        return bool(self._buffer[byte] & (1 << bit))

    def is_set(self, idx: int) -> bool:
        byte, bit = divmod(idx, 8)
        return 0 <= byte < len(self._buffer) and bool(self._buffer[byte] & (1 << bit))

    # ``bitmap[i]``, ``bitmap[i] = True/False``, ``del bitmap[i]`` (as peewee)
    __getitem__ = is_set

    def __setitem__(self, idx: int, value: Any) -> None:
        if value:
            self.set_bit(idx)
        else:
            self.clear_bit(idx)

    def __delitem__(self, idx: int) -> None:
        self.clear_bit(idx)

    def clear(self) -> None:
        self._buffer.clear()
        self.instance._dirty.add(self.name)

    def __len__(self) -> int:
        return len(self._buffer)

    def _other(self, other: Any) -> bytes:
        if isinstance(other, BigBitFieldData):
            return bytes(other._buffer)
        if isinstance(other, (bytes, bytearray, memoryview)):
            return bytes(other)
        raise ValueError('a bitmap combines with another bitmap or bytes, got %r' % (other,))

    def _combine(self, other: Any, op: Callable) -> bytearray:
        other = self._other(other)
        size = max(len(self._buffer), len(other))
        a = int.from_bytes(bytes(self._buffer), 'little')
        b = int.from_bytes(other, 'little')
        return bytearray(op(a, b).to_bytes(size, 'little'))

    # ``a & b``, ``a | b``, ``a ^ b``: a new bytearray as long as the longer operand
    def __and__(self, other: Any) -> bytearray:
        return self._combine(other, int.__and__)

    def __or__(self, other: Any) -> bytearray:
        return self._combine(other, int.__or__)

    def __xor__(self, other: Any) -> bytearray:
        return self._combine(other, int.__xor__)

    intersection = __and__
    union = __or__
    #: the bits set in exactly one of the two bitmaps (``^``)
    difference = symmetric_difference = __xor__

    def __iter__(self):
        """Each bit, lowest first, as ``1`` or ``0``."""
        for byte in self._buffer:
            for bit in range(8):
                yield (byte >> bit) & 1

    def __repr__(self) -> str:
        return repr(self._buffer)

    def __bytes__(self) -> bytes:
        return bytes(self._buffer)


class BigBitFieldAccessor(FieldAccessor):
    def __get__(self, instance: Any, instance_type: type | None = None) -> Any:
        if instance is None:
            return self.field
        return BigBitFieldData(instance, self.name)

    def __set__(self, instance: Any, value: Any) -> None:
        if isinstance(value, BigBitFieldData):
            value = value._buffer
        elif isinstance(value, memoryview):
            value = value.tobytes()
        elif isinstance(value, str):
            value = value.encode('utf-8')
        if value is not None and not isinstance(value, (bytes, bytearray)):
            raise ValueError('BigBitField takes bytes, a str, a memoryview or another '
                             'bitmap, got %r' % (value,))
        super().__set__(instance, bytearray(value) if value is not None else None)


class BigBitField(BlobField):
    accessor_class = BigBitFieldAccessor

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault('default', bytes)
        super().__init__(*args, **kwargs)

    def db_value(self, value: Any) -> Any:
        if isinstance(value, BigBitFieldData):
            value = value._buffer
        return bytes(value) if value is not None else value


# -- identifiers -------------------------------------------------------------------------
class UUIDField(Field):
    field_type = 'UUID'

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        if isinstance(value, uuid.UUID):
            return value.hex
        if isinstance(value, (bytes, bytearray)) and len(value) == 16:   # the raw bytes
            return uuid.UUID(bytes=bytes(value)).hex
        try:
            return uuid.UUID(str(value)).hex
        except ValueError:
            raise ValueError('%s got %r, which is not a UUID' % (self, value)) from None

    def python_value(self, value: Any) -> Any:
        if value is None or isinstance(value, uuid.UUID):
            return value
        return uuid.UUID(value if isinstance(value, str) else str(value))


class BinaryUUIDField(BlobField):
    field_type = 'UUIDB'

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        if isinstance(value, (bytes, bytearray, memoryview)) and len(value) == 16:
            return bytes(value)
        if not isinstance(value, uuid.UUID):
            try:
                value = uuid.UUID(str(value))
            except ValueError:
                raise ValueError('%s got %r: a binary UUID takes a uuid.UUID, a UUID '
                                 'string or 16 bytes' % (self, value)) from None
        return value.bytes

    def python_value(self, value: Any) -> Any:
        if value is None or isinstance(value, uuid.UUID):
            return value
        return uuid.UUID(bytes=bytes(value))


class IPField(BigIntegerField):
    """An IPv4 address stored as an integer."""

    def db_value(self, val: Any) -> Any:
        if val is None or isinstance(val, Node):
            return val
        try:
            return struct.unpack('!I', socket.inet_aton(val))[0]
        except (OSError, TypeError):
            raise ValueError('%s got %r, which is not an IPv4 address' % (self, val)) from None

    def python_value(self, val: Any) -> Any:
        if val is None:
            return None
        return socket.inet_ntoa(struct.pack('!I', int(val)))


class BooleanField(Field):
    field_type = 'BOOL'
    native_dialects = ('postgres', 'cockroach')

    def adapt(self, value: Any) -> Any:
        if isinstance(value, Node):
            return value
        return bool(value)


class BareField(Field):
    """A column with no declared type (SQLite)."""

    def __init__(self, adapt: Callable | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if adapt is not None:
            self.adapt = adapt

    def ddl_datatype(self, ctx: Context | None) -> SQL:
        return SQL('')


class AnyField(Field):
    """A field of any type; values pass through unconverted."""

    field_type = 'ANY'

    def ddl_datatype(self, ctx: Context | None) -> SQL:
        if ctx is None:
            return SQL(self.field_type)
        if ctx.dialect.name == 'sqlite':
            return SQL('')
        return SQL('TEXT')


class FieldDatabaseHook:
    """Mixin for a field whose behaviour depends on the database of its model.

    ``_db_hook(database)`` runs with the database the model is bound to (a
    :class:`DatabaseProxy` is seen through to its database; ``None`` when there is
    none) before the field is used with it, and again whenever the model has been
    bound to another database since.  A subclass overrides ``_db_hook`` to choose
    its per-engine behaviour; ``_check_db_hook()`` returns the current database.
    """

    _hooked_database: Any = ()   # () = never hooked (None is "no database")

    def _db_hook(self, database: Any) -> None:
        """Adapt the field to ``database`` (``None``: the model has no database)."""

    def bind(self, model: type, name: str, set_attribute: bool = True) -> None:
        super().bind(model, name, set_attribute)  # type: ignore[misc]
        # run the hook now, and again whenever the model is bound to another database
        # (Model.bind / bind_ctx); a DatabaseProxy initialised later is noticed on use
        hooks = getattr(getattr(model, '_meta', None), '_db_hooks', None)
        if isinstance(hooks, list):
            hooks.append(self._database_changed)
        self._check_db_hook()

    def _database_changed(self, database: Any) -> None:
        self._check_db_hook()

    def _bound_database(self) -> Any:
        meta = getattr(getattr(self, 'model', None), '_meta', None)
        database = getattr(meta, 'database', None)
        if isinstance(database, Proxy):                   # a DatabaseProxy: its target
            database = object.__getattribute__(database, 'obj')
        return database

    def _check_db_hook(self) -> Any:
        database = self._bound_database()
        if database is not self._hooked_database:
            self._hooked_database = database
            self._db_hook(database)
        return database


def _adopts_json_methods(cls: type) -> bool:
    """Whether a JSONField class takes its column type and conversions from the JSON
    methods of its database (a subclass converting values itself keeps its own)."""
    for klass in cls.__mro__:
        if klass is JSONField:
            return True
        if 'db_value' in klass.__dict__ or 'field_type' in klass.__dict__:
            return False
    return False


class JSONField(FieldDatabaseHook, Field):
    """JSON documents: ``TEXT`` on SQLite, ``JSONB`` on PostgreSQL.

    :param dumps: serialise a Python value (default :func:`json.dumps`).
    :param loads: parse stored text (default :func:`json.loads`).

    ``Model.data['a'][0]`` (or ``Model.data.path('a', 0)``) is a :class:`JSONPath`;
    :meth:`update`, :meth:`contains`, :meth:`has_key` ... build engine-specific SQL
    through the database's JSON methods (:class:`SqliteJSONMethods`,
    :class:`PostgresqlJSONMethods`).  Comparisons (``==``) compare JSON values.
    """

    field_type = 'JSON'

    def __init__(self, dumps: Callable | None = None, loads: Callable | None = None,
                 *args: Any, **kwargs: Any) -> None:
        self.dumps = dumps or json.dumps
        self.loads = loads or json.loads
        self._json_methods: Any = None
        self._wrap: Callable | None = None
        self._read: Callable | None = None
        super().__init__(*args, **kwargs)

    # peewee's spellings
    @property
    def _dumps(self) -> Callable:
        return self.dumps

    @property
    def _loads(self) -> Callable:
        return self.loads

    def _db_hook(self, database: Any) -> None:
        methods_class = getattr(database, 'json_methods_class', None)
        if methods_class is None:
            self._json_methods = self._wrap = self._read = None
            self.__dict__.pop('field_type', None)
            return
        methods = methods_class(database)
        self._json_methods = methods
        self._wrap = methods.make_value_wrapper(self.dumps)
        self._read = methods.make_value_reader(self.loads)
        if _adopts_json_methods(type(self)):
            self.field_type = methods.field_type

    @property
    def json_methods(self) -> Any:
        """The JSON methods of the model's database (``None`` without a database)."""
        self._check_db_hook()
        return self._json_methods

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        self._check_db_hook()
        if self._wrap is not None:
            return self._wrap(value)
        return self.dumps(value)

    def python_value(self, value: Any) -> Any:
        if value is None:
            return None
        self._check_db_hook()
        if self._read is not None:
            return self._read(value)
        if isinstance(value, (str, bytes, bytearray)) and not self._decoded_by_driver():
            try:
                return self.loads(value)
            except (TypeError, ValueError):
                return value
        return value

    def _decoded_by_driver(self) -> bool:
        """Whether the driver already parsed the JSON (then a str is a JSON string)."""
        database = getattr(getattr(self.model, '_meta', None), 'database', None)
        dialect = getattr(database, 'dialect', None) if database is not None else None
        return bool(getattr(dialect, 'json_decoded_by_driver', False))

    def ddl_datatype(self, ctx: Context | None) -> SQL:
        if ctx is not None and _adopts_json_methods(type(self)):
            from .json_methods import DIALECT_JSON_METHODS
            methods_class = DIALECT_JSON_METHODS.get(ctx.dialect.name)
            if methods_class is not None:
                return SQL(ctx.dialect.field_types.get(methods_class.field_type,
                                                       methods_class.field_type))
        return super().ddl_datatype(ctx)

    def _deferred(self, build: Callable) -> Any:
        from .json_methods import JSONExpression
        return JSONExpression(self, build)

    def to_value(self, value: Any, case: bool = False) -> Any:   # type: ignore[override]
        """``value`` as a parameter; typed where the engine needs it (``CASE ... THEN``
        in ``bulk_update()`` on PostgreSQL)."""
        if value is None or isinstance(value, Node):
            return Value(value, self.db_value, unpack=False)
        dumps = self.dumps

        def build(methods: Any) -> Any:
            typed = methods.cast_for_case(value, dumps)
            return typed if typed is not None else Value(value, self.db_value, unpack=False)
        return self._deferred(build)

    # -- paths and operations -----------------------------------------------------------
    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        from .json_methods import JSONPath
        return JSONPath(self, (key,))

    def path(self, *keys: Any) -> Any:
        """The :class:`JSONPath` of ``keys``: ``data.path('a', 0)`` is ``data['a'][0]``."""
        from .json_methods import JSONPath
        return JSONPath(self, keys)

    def _op(self, name: str, *args: Any) -> Any:
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
        """The document merged with ``value`` (for ``Model.update()``): a deep
        RFC 7396 merge on SQLite (``None`` deletes a key), a top-level merge
        (``||``) on PostgreSQL."""
        return self._deferred(lambda methods: methods.update(self, value))

    def length(self) -> Any:
        """The length of the top-level array."""
        return self._op('length')

    def contains(self, value: Any) -> Any:  # type: ignore[override]
        """Whether the document contains ``value`` (``@>`` on PostgreSQL)."""
        return self._op('contains', value)

    def contained_by(self, value: Any) -> Any:
        """Whether ``value`` contains the document (``<@``; PostgreSQL only)."""
        return self._op('contained_by', value)

    def has_key(self, key: Any) -> Any:
        """Whether the top-level object has ``key``."""
        return self._op('has_key', key)

    def has_keys(self, key_list: Iterable) -> Any:
        """Whether the top-level object has every key of ``key_list``."""
        return self._op('has_keys', list(key_list))

    def has_any_keys(self, key_list: Iterable) -> Any:
        """Whether the top-level object has one of the keys of ``key_list``."""
        return self._op('has_any_keys', list(key_list))


# -- dates and times ----------------------------------------------------------------------
def format_date_time(value: str, formats: Iterable[str], post_process: Callable | None = None
                     ) -> Any:
    """Parse ``value`` with the first matching strptime format; return it unchanged if none."""
    post_process = post_process or (lambda x: x)
    for fmt in formats:
        try:
            return post_process(datetime.datetime.strptime(value, fmt))
        except ValueError:
            pass
    return value


def simple_date_time(value: str) -> Any:
    try:
        return datetime.datetime.strptime(value, '%Y-%m-%d %H:%M:%S')
    except (TypeError, ValueError):
        return value


class _DatePartDescriptor:
    """``Model.field.year`` etc.: an SQL expression extracting that part."""

    def __init__(self, part: str) -> None:
        self.part = part

    def __get__(self, field: Any, owner: type | None = None) -> Any:
        if field is None:
            return self
        return _DatePart(field, self.part)


class _DialectCall(ColumnBase):
    """An expression each engine spells its own way: ``ctx.dialect.<helper>(*args)``
    (date parts, truncation, timestamps), read back through ``converter``."""

    def __init__(self, helper: str, *args: Any, converter: Callable | None = None) -> None:
        self.helper = helper
        self.args = args
        self._result_converter = converter

    @property
    def _converter(self) -> Callable | None:  # type: ignore[override]
        return self._result_converter

    def __sql__(self, ctx: Context) -> Context:
        return ctx.sql(getattr(ctx.dialect, self.helper)(*self.args))


def _DatePart(node: Any, part: str) -> _DialectCall:
    return _DialectCall('extract_date', part, node, converter=_to_int_if_whole)


def _to_int_if_whole(value: Any) -> Any:
    if isinstance(value, (float, decimal.Decimal)) and value == int(value):
        return int(value)
    return value


class _BaseFormattedField(Field):
    formats: tuple = ()

    def __init__(self, formats: Iterable[str] | None = None, *args: Any, **kwargs: Any) -> None:
        if formats is not None:
            self.formats = tuple(formats)
        super().__init__(*args, **kwargs)

    def truncate(self, part: str) -> Any:
        return _Truncate(self, part)


def _Truncate(node: Any, part: str) -> _DialectCall:
    """``field.truncate(part)``: read back as a ``datetime`` (a ``date`` for DateField),
    whatever the engine returns (SQLite's ``date_trunc`` gives text)."""
    converter = None
    if isinstance(node, DateField):
        converter = _truncated_date
    elif isinstance(node, DateTimeField):
        converter = _truncated_datetime
    return _DialectCall('truncate_date', part, node, converter=converter)


_TRUNCATED_FORMATS = ('%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%dT%H:%M:%S',
                      '%Y-%m-%d')


def _truncated_datetime(value: Any) -> Any:
    if isinstance(value, str):
        return format_date_time(value, _TRUNCATED_FORMATS)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return datetime.datetime(value.year, value.month, value.day)
    return value


def _truncated_date(value: Any) -> Any:
    value = _truncated_datetime(value)
    return value.date() if isinstance(value, datetime.datetime) else value


class DateTimeField(_BaseFormattedField):
    field_type = 'DATETIME'
    native_dialects = ('postgres', 'cockroach')
    formats = ('%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S.%f',
               '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d')

    def adapt(self, value: Any) -> Any:
        if value and isinstance(value, str):
            return format_date_time(value, self.formats)
        return value

    def db_value(self, value: Any) -> Any:
        if isinstance(value, str):
            value = self.adapt(value)
        return value

    def python_value(self, value: Any) -> Any:
        if value and isinstance(value, str):
            return format_date_time(value, self.formats)
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return datetime.datetime(value.year, value.month, value.day)
        return value

    def to_timestamp(self) -> Any:
        return _Timestamp(self)

    year = _DatePartDescriptor('year')
    month = _DatePartDescriptor('month')
    day = _DatePartDescriptor('day')
    hour = _DatePartDescriptor('hour')
    minute = _DatePartDescriptor('minute')
    second = _DatePartDescriptor('second')


def _Timestamp(node: Any) -> _DialectCall:
    return _DialectCall('to_timestamp', node)


class DateField(_BaseFormattedField):
    field_type = 'DATE'
    native_dialects = ('postgres', 'cockroach')
    formats = ('%Y-%m-%d', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M:%S.%f')

    def adapt(self, value: Any) -> Any:
        if value and isinstance(value, str):
            parsed = format_date_time(value, self.formats, lambda d: d.date())
            return parsed
        if value and isinstance(value, datetime.datetime):
            return value.date()
        return value

    def to_timestamp(self) -> Any:
        return _Timestamp(self)

    year = _DatePartDescriptor('year')
    month = _DatePartDescriptor('month')
    day = _DatePartDescriptor('day')


class TimeField(_BaseFormattedField):
    field_type = 'TIME'
    native_dialects = ('postgres', 'cockroach')
    formats = ('%H:%M:%S.%f', '%H:%M:%S', '%H:%M', '%Y-%m-%d %H:%M:%S.%f',
               '%Y-%m-%d %H:%M:%S')

    def adapt(self, value: Any) -> Any:
        if value:
            if isinstance(value, str):
                value = format_date_time(value, self.formats, lambda d: d.time())
            elif isinstance(value, datetime.datetime):
                value = value.time()
        if isinstance(value, datetime.timedelta):   # some drivers hand back an interval
            value = (datetime.datetime.min + value).time()
        return value

    hour = _DatePartDescriptor('hour')
    minute = _DatePartDescriptor('minute')
    second = _DatePartDescriptor('second')


class _TimestampPartDescriptor(_DatePartDescriptor):
    """``TimestampField.year`` etc.: the part of the datetime the stored number encodes."""

    def __get__(self, field: Any, owner: type | None = None) -> Any:
        if field is None:
            return self
        seconds = field
        if field.resolution > 1:   # whole seconds; the divisor is not a timestamp value
            seconds = Expression(field, OP.DIV, Value(field.resolution, _plain_value))
        return _DatePart(_FromTimestamp(seconds), self.part)


def _plain_value(value: Any) -> Any:
    return value


def _utcnow() -> datetime.datetime:
    """The current UTC time as a naive datetime (``datetime.utcnow`` without its
    deprecation warning on Python 3.12+)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)

_utcnow.__name__ = 'utcnow'


class TimestampField(BigIntegerField):
    """A datetime stored as an integer Unix timestamp (``resolution`` ticks a second)."""

    valid_resolutions = [10 ** i for i in range(7)]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.resolution = kwargs.pop('resolution', None)
        if not self.resolution:
            self.resolution = 1
        elif self.resolution in range(2, 7):
            self.resolution = 10 ** self.resolution
        elif self.resolution not in self.valid_resolutions:
            raise ValueError('TimestampField resolution must be one of: %s' %
                             ', '.join(str(i) for i in self.valid_resolutions))
        self.ticks_to_microsecond = 1000000 // self.resolution
        self.utc = kwargs.pop('utc', False) or False
        default = _utcnow if self.utc else datetime.datetime.now
        kwargs.setdefault('default', default)
        super().__init__(*args, **kwargs)

    def local_to_utc(self, dt: datetime.datetime) -> datetime.datetime:
        return datetime.datetime(*time.gmtime(time.mktime(dt.timetuple()))[:6])

    def utc_to_local(self, dt: datetime.datetime) -> datetime.datetime:
        ts = calendar.timegm(dt.utctimetuple())
        return datetime.datetime.fromtimestamp(ts)

    def get_timestamp(self, value: datetime.datetime) -> int:
        if self.utc:
            return calendar.timegm(value.utctimetuple())
        return int(time.mktime(value.timetuple()))

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        if isinstance(value, datetime.datetime):
            pass
        elif isinstance(value, datetime.date):
            value = datetime.datetime(value.year, value.month, value.day)
        elif isinstance(value, (int, float, decimal.Decimal)):
            return int(round(value * self.resolution))
        else:
            raise TypeError('%s takes a datetime, a date or a number of seconds, got %r'
                            % (self, value))
        timestamp = self.get_timestamp(value)
        if self.resolution > 1:
            timestamp += (value.microsecond * .000001)
            timestamp *= self.resolution
        return int(round(timestamp))

    def python_value(self, value: Any) -> Any:
        if value is not None and isinstance(value, (int, float)):
            if self.resolution > 1:
                value, ticks = divmod(value, self.resolution)
                microseconds = int(ticks * self.ticks_to_microsecond)
            else:
                microseconds = 0
            if self.utc:   # naive UTC, without the utcfromtimestamp() Python 3.12 deprecates
                value = datetime.datetime.fromtimestamp(
                    value, datetime.timezone.utc).replace(tzinfo=None)
            else:
                value = datetime.datetime.fromtimestamp(value)
            if microseconds:
                value = value.replace(microsecond=microseconds)
        return value

    def from_timestamp(self) -> Any:
        """The stored value as the engine's date-time (whole seconds; read back as a
        ``datetime``)."""
        seconds: Any = self
        if self.resolution > 1:
            seconds = Expression(self, OP.DIV, Value(self.resolution, _plain_value))
        return _DialectCall('from_timestamp', seconds, converter=_truncated_datetime)

    year = _TimestampPartDescriptor('year')
    month = _TimestampPartDescriptor('month')
    day = _TimestampPartDescriptor('day')
    hour = _TimestampPartDescriptor('hour')
    minute = _TimestampPartDescriptor('minute')
    second = _TimestampPartDescriptor('second')


def _FromTimestamp(node: Any) -> _DialectCall:
    return _DialectCall('from_timestamp', node)


# -- fields that are not columns ---------------------------------------------------------
class VirtualField(Field):
    """A field with no column of its own (used by extensions)."""

    field_class: type = None  # type: ignore[assignment]

    def __init__(self, field_class: type | None = None, *args: Any, **kwargs: Any) -> None:
        field_class = field_class or self.field_class
        self.field_instance = field_class() if field_class is not None else None
        super().__init__(*args, **kwargs)

    def db_value(self, value: Any) -> Any:
        if self.field_instance is not None:
            return self.field_instance.db_value(value)
        return value

    def python_value(self, value: Any) -> Any:
        if self.field_instance is not None:
            return self.field_instance.python_value(value)
        return value

    def bind(self, model: type, name: str, set_attribute: bool = True) -> None:
        self.model = model
        self.column_name = self.name = self.safe_name = name
        setattr(model, name, self.accessor_class(model, self, name))


class MetaField(Field):
    """A field that exists only in model metadata (no column, no DDL)."""

    column_name = default = model = name = None
    primary_key = False


def safe_python_value(conv_func: Callable) -> Callable:
    """Wrap a converter so a value it cannot convert is returned unchanged."""
    def validate(value: Any) -> Any:
        try:
            return conv_func(value)
        except (TypeError, ValueError):
            return value
    return validate
