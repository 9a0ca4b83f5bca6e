"""Extra field types: compressed and pickled blobs, and fields holding enum members.

* :class:`CompressedField` -- bytes stored compressed with ``zlib`` or ``bz2``.
* :class:`PickleField` -- any picklable Python object, stored as a pickle.
* :class:`EnumField` / :class:`IntEnumField` -- members of an :class:`enum.Enum`,
  stored as their value in a text / integer column; :class:`EnumFieldMixin` adds the
  same behaviour to any other field class.
"""
from __future__ import annotations

import bz2
import enum
import pickle
import zlib
from typing import Any

from orm import BlobField, CharField, IntegerField, Node

__all__ = ['CompressedField', 'EnumField', 'EnumFieldMixin', 'IntEnumField', 'PickleField']


def _level_at_least_one(compress: Any) -> Any:
    # bz2 knows no level 0: the fastest it has is 1
    return lambda data, level: compress(data, max(level, 1))


class CompressedField(BlobField):
    """Bytes (or text, stored as UTF-8) kept compressed in a blob column.

    :param compression_level: 0 (none, fastest) to 9 (smallest); default 6.
    :param algorithm: ``CompressedField.ZLIB`` (``'zlib'``, the default) or
        ``CompressedField.BZ2`` (``'bz2'``).

    Values read back are ``bytes``.
    """

    ZLIB, BZ2 = 'zlib', 'bz2'
    #: algorithm name -> (compress(data, level), decompress(data))
    codecs: dict = {
        'zlib': (zlib.compress, zlib.decompress),
        'bz2': (_level_at_least_one(bz2.compress), bz2.decompress),
    }

    def __init__(self, compression_level: int = 6, algorithm: str = 'zlib',
                 *args: Any, **kwargs: Any) -> None:
        codec = self.codecs.get(algorithm)
        if codec is None:
            raise ValueError('CompressedField compresses with %s; %r is not one of them'
                             % (' or '.join(sorted(self.codecs)), algorithm))
        level = int(compression_level)
        if level not in range(10):
            raise ValueError('a compression_level runs from 0 (fastest) to 9 (smallest), '
                             'not %r' % (compression_level,))
        self.compression_level = level
        self.algorithm = algorithm
        self._pack, self._unpack = codec
        super().__init__(*args, **kwargs)

    def compress(self, data: bytes) -> bytes:
        return self._pack(data, self.compression_level)

    def decompress(self, data: bytes) -> bytes:
        return self._unpack(data)

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        if isinstance(value, str):
            value = value.encode('utf-8')
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError('CompressedField %s holds bytes or text, not %s (PickleField '
                            'stores other objects)' % (self.name, type(value).__name__))
        return self.compress(bytes(value))

    def python_value(self, value: Any) -> Any:
        return None if value is None else self.decompress(bytes(value))


class PickleField(BlobField):
    """Any picklable Python object, stored as a pickle (highest protocol) in a blob.

    Only load pickles your application wrote itself: unpickling runs code.
    """

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)

    def python_value(self, value: Any) -> Any:
        return None if value is None else pickle.loads(bytes(value))


class EnumFieldMixin:
    """Makes a field hold members of ``enum_class``, stored as the member's value.

    Mix it in before the storage field: ``class Color(EnumFieldMixin, CharField)``.
    Writing accepts a member, a member's value or a member's name; reading gives the
    member. ``choices`` defaults to ``[(value, name), ...]`` of the enum.
    """

    #: values read back always go through python_value (the driver returns raw values)
    native_dialects: tuple = ()

    def __init__(self, enum_class: type, *args: Any, **kwargs: Any) -> None:
        if not (isinstance(enum_class, type) and issubclass(enum_class, enum.Enum)):
            raise TypeError('%s needs an Enum class as its first argument, got %r'
                            % (type(self).__name__, enum_class))
        self.enum = enum_class
        kwargs.setdefault('choices', [(member.value, member.name) for member in enum_class])
        super().__init__(*args, **kwargs)

    def to_member(self, value: Any) -> Any:
        """The enum member ``value`` stands for (a member, its value or its name)."""
        if value is None or isinstance(value, self.enum):
            return value
        try:
            return self.enum(value)
        except ValueError:
            pass
        if isinstance(value, str) and value in self.enum.__members__:
            return self.enum[value]
        # a value read back from a column of another type (text '1' for the value 1)
        for member in self.enum:
            if str(member.value) == str(value):
                return member
        raise ValueError('%r is not a member, value or name of %s (members: %s)'
                         % (value, self.enum.__name__,
                            ', '.join(m.name for m in self.enum)))

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        return super().db_value(self.to_member(value).value)  # type: ignore[misc]

    def python_value(self, value: Any) -> Any:
        if value is None:
            return value
        return self.to_member(value)


class EnumField(EnumFieldMixin, CharField):
    """An enum member stored as its value in a ``VARCHAR`` column (``max_length``
    defaults to the longest value)."""

    def __init__(self, enum_class: type, *args: Any, **kwargs: Any) -> None:
        if isinstance(enum_class, type) and issubclass(enum_class, enum.Enum) and \
                'max_length' not in kwargs and not args:
            longest = max((len(str(m.value)) for m in enum_class), default=1)
            kwargs['max_length'] = max(longest, 1)
        super().__init__(enum_class, *args, **kwargs)

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Node):
            return value
        member_value = self.to_member(value).value
        return member_value if isinstance(member_value, str) else str(member_value)


class IntEnumField(EnumFieldMixin, IntegerField):
    """An enum member (typically of an :class:`enum.IntEnum`) stored as its integer
    value."""
