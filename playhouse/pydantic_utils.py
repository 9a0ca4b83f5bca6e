"""Pydantic 2 schemas derived from models: ``to_pydantic(User)``.

The generated class is an ordinary ``pydantic.BaseModel`` (with ``from_attributes``
switched on, so it validates model instances as well as dictionaries). Each column of
the model becomes a field whose Python type follows the column's type; the column's
metadata carries over:

* ``null=True`` makes the type optional and the default ``None``;
* ``default=`` becomes the field's default (a callable one its ``default_factory``; a
  default that is SQL, such as ``SQL('CURRENT_TIMESTAMP')``, is the server's business
  and leaves the field required);
* ``choices=`` restricts the field to a ``Literal`` of the choice values, listed in the
  description too;
* ``verbose_name`` becomes the title and ``help_text`` the description.

A foreign key appears flat, under its column name (``user_id``) with the type of the
column it points at, unless ``relationships=`` nests a schema for it; a back-reference
can be nested as a ``List[...]`` of a schema the same way.
"""
from __future__ import annotations

import datetime
import decimal
import typing
import uuid
from typing import Any, Callable, Dict, Iterable, List, Literal, Optional, Tuple, Union

from orm import (AutoField, BackrefAccessor, BigAutoField, Field, ForeignKeyField, IPField,
                 JSONField, Model, Node, TimestampField, callable_)

try:
    from pydantic import BaseModel, BeforeValidator, ConfigDict
    from pydantic import Field as PydanticField
except ImportError as exc:
    raise ImportError('playhouse.pydantic_utils needs pydantic 2: '
                      'pip install "orm[pydantic]" (or pip install "pydantic>=2")') from exc

__all__ = ['to_pydantic']

#: column type (``Field.field_type``) -> the Python type pydantic validates against
FIELD_TYPES: Dict[str, Any] = {
    'AUTO': int, 'BIGAUTO': int,
    'INT': int, 'SMALLINT': int, 'BIGINT': int,
    'FLOAT': float, 'DOUBLE': float, 'DECIMAL': decimal.Decimal,
    'CHAR': str, 'VARCHAR': str, 'TEXT': str,
    'BOOL': bool,
    'DATETIME': datetime.datetime, 'TIMESTAMPTZ': datetime.datetime,
    'DATE': datetime.date, 'TIME': datetime.time, 'INTERVAL': datetime.timedelta,
    'BLOB': bytes,
    'UUID': uuid.UUID, 'UUIDB': uuid.UUID,
    'JSON': Any, 'JSONB': Any,
}

#: fields whose Python value is not what their column type suggests
_VALUE_TYPES: Tuple[Tuple[type, Any], ...] = (
    (TimestampField, datetime.datetime),   # stored as a number, read as a datetime
    (IPField, str),                        # stored as a number, read as dotted text
    (JSONField, Any),                      # any JSON document, whatever the column type
)

FieldRef = Union[str, Field, BackrefAccessor]
Selection = Union[FieldRef, Iterable[FieldRef], None]


class _FromRows(BaseModel):
    """The default base: validates model instances through their attributes."""
    model_config = ConfigDict(from_attributes=True)


def _python_type(field: Field) -> Any:
    """The Python type of ``field``'s values (``Any`` for a type we do not know)."""
    seen = set()
    while isinstance(field, ForeignKeyField):   # a key has the type of what it points at
        if id(field) in seen or getattr(field, 'rel_field', None) is None:
            return Any
        seen.add(id(field))
        field = field.rel_field
    for field_class, python_type in _VALUE_TYPES:
        if isinstance(field, field_class):
            return python_type
    return FIELD_TYPES.get(str(field.field_type), Any)


def _is_auto(field: Field) -> bool:
    return isinstance(field, (AutoField, BigAutoField))


def _choices(field: Field) -> List[Tuple[Any, Any]]:
    """``field.choices`` as (value, label) pairs; a one-shot iterable is kept as a list."""
    raw = field.choices
    if raw is None:
        return []
    if not isinstance(raw, (list, tuple)):
        raw = list(raw)
        field.choices = raw   # later reads (and later schemas) see the same choices
    pairs = []
    for choice in raw:
        if isinstance(choice, (list, tuple)) and len(choice) == 2:
            pairs.append((choice[0], choice[1]))
        else:
            pairs.append((choice, choice))
    return pairs


def _description(field: Field, pairs: List[Tuple[Any, Any]]) -> Optional[str]:
    parts = []
    if field.help_text:
        parts.append(str(field.help_text))
    if pairs:
        parts.append('Choices: ' + ', '.join('%r = %s' % pair for pair in pairs))
    return ' | '.join(parts) or None


def _as_list(value: Any) -> Any:
    """A back-reference read from an instance is a query: run it into a list."""
    if isinstance(value, (list, tuple, str, bytes, dict)) or value is None:
        return value
    if hasattr(value, '__iter__'):
        return list(value)
    return value


def _names_of(selection: Selection, argument: str) -> Optional[set]:
    """``exclude=`` / ``include=`` as a set of names (``None`` when not given)."""
    if selection is None:
        return None
    if isinstance(selection, (str, Field, BackrefAccessor)):
        items: Iterable[Any] = [selection]
    else:
        items = selection
    names: set = set()
    for item in items:
        names.update(_reference_names(item, argument))
    return names


def _reference_names(item: Any, argument: str) -> Tuple[str, ...]:
    """The names one entry of ``exclude=`` / ``include=`` stands for."""
    if isinstance(item, str):
        return (item,)
    if isinstance(item, BackrefAccessor):
        return (item.field.backref,)
    if isinstance(item, ForeignKeyField):      # plain keys appear under the column name
        return (item.name, item.column_name)
    if isinstance(item, Field):
        return (item.name,)
    raise ValueError('%s= takes field names, fields or back-references, not %r'
                     % (argument, item))


def _matches(names: Optional[set], field: Field) -> bool:
    if not names:
        return False
    return field.name in names or field.column_name in names


def _relationships(model_cls: type, relationships: Optional[dict]
                   ) -> Tuple[Dict[str, Any], Dict[str, Tuple[BackrefAccessor, Any]]]:
    """Check ``relationships=`` and split it: foreign keys by name, back-references."""
    keys: Dict[str, Any] = {}
    backrefs: Dict[str, Tuple[BackrefAccessor, Any]] = {}
    for key, schema in (relationships or {}).items():
        if isinstance(key, ForeignKeyField):
            if key.model is not model_cls:
                raise ValueError('relationships: %s is a foreign key of %s, not of %s'
                                 % (key.name, key.model.__name__, model_cls.__name__))
            keys[key.name] = schema
        elif isinstance(key, BackrefAccessor):
            if key.model is not model_cls:
                raise ValueError('relationships: %s.%s is not a back-reference of %s'
                                 % (key.model.__name__, key.field.backref,
                                    model_cls.__name__))
            if typing.get_origin(schema) not in (list, List):
                raise ValueError('relationships: the back-reference %s holds any number '
                                 'of rows, so its schema must be a list: List[%s]'
                                 % (key.field.backref, getattr(schema, '__name__', schema)))
            backrefs[key.field.backref] = (key, schema)
        else:
            raise ValueError('relationships: keys are foreign keys (Tweet.user) or '
                             'back-references (User.tweets) of %s, not %r'
                             % (model_cls.__name__, key))
    return keys, backrefs


def _default_options(field: Field) -> Dict[str, Any]:
    """How the column's default reads in pydantic: a value, a factory, or nothing."""
    value = field.default
    if isinstance(value, Node):     # SQL computed by the database: not ours to fill in
        value = None
    if value is None:
        return {'default': None} if field.null else {}
    return {'default_factory' if callable_(value) else 'default': value}


def _field_spec(field: Field, annotation: Any, pairs: List[Tuple[Any, Any]]
                ) -> Tuple[Any, Any]:
    """(annotation, pydantic FieldInfo) for one column."""
    info = PydanticField(title=field.verbose_name or None,
                         description=_description(field, pairs),
                         **_default_options(field))
    return (Optional[annotation] if field.null else annotation), info


def to_pydantic(model_cls: type, exclude: Selection = None, include: Selection = None,
                exclude_autofield: bool = True, model_name: Optional[str] = None,
                relationships: Optional[dict] = None,
                base_model: Optional[type] = None) -> Any:
    """A pydantic ``BaseModel`` subclass describing the rows of ``model_cls``.

    ``exclude`` / ``include`` name the fields to leave out / the only ones to keep (a
    name, a field, a back-reference, or a collection of them; a foreign key matches by
    field name and by column name). ``exclude_autofield`` leaves out an auto-incrementing
    primary key. ``model_name`` names the class (default ``<Model>Schema``).
    ``relationships`` maps foreign keys and back-references to the schemas to nest for
    them (``{Tweet.user: UserSchema}``, ``{User.tweets: List[TweetSchema]}``); they are
    kept whatever ``include`` says, but ``exclude`` still drops them. ``base_model`` is a
    ``BaseModel`` subclass to derive from.
    """
    if not (isinstance(model_cls, type) and issubclass(model_cls, Model)):
        raise TypeError('to_pydantic() takes a model class, not %r' % (model_cls,))
    excluded = _names_of(exclude, 'exclude')
    included = _names_of(include, 'include')
    nested, backrefs = _relationships(model_cls, relationships)

    annotations: Dict[str, Any] = {}
    namespace: Dict[str, Any] = {}
    for field in model_cls._meta.sorted_fields:
        if _matches(excluded, field) or (exclude_autofield and _is_auto(field)):
            continue
        if field.name in nested:
            annotation, info = _field_spec(field, nested[field.name], [])
            annotations[field.name] = annotation
            namespace[field.name] = info
            continue
        if included is not None and not _matches(included, field):
            continue
        pairs = _choices(field)
        if pairs:
            annotation = Literal[tuple(value for value, _ in pairs)]
        else:
            annotation = _python_type(field)
        name = field.column_name if isinstance(field, ForeignKeyField) else field.name
        annotations[name], namespace[name] = _field_spec(field, annotation, pairs)

    for name, (accessor, schema) in backrefs.items():
        if excluded and name in excluded:
            continue
        annotations[name] = typing.Annotated[schema, BeforeValidator(_as_list)]
        namespace[name] = PydanticField(default_factory=list)

    base: type = base_model if base_model is not None else _FromRows
    if not (isinstance(base, type) and issubclass(base, BaseModel)):
        raise TypeError('base_model must be a pydantic BaseModel subclass, not %r' % (base,))
    namespace['__annotations__'] = annotations
    namespace['__module__'] = model_cls.__module__
    namespace['__qualname__'] = model_name or '%sSchema' % model_cls.__name__
    if not base.model_config.get('from_attributes'):
        namespace['model_config'] = ConfigDict(from_attributes=True)
    factory: Callable[..., Any] = type(base)
    return factory(model_name or '%sSchema' % model_cls.__name__, (base,), namespace)
