"""Models: the ModelBase metaclass, Metadata (``Model._meta``) and the Model API."""
from __future__ import annotations

import operator
import re
import sys
import threading
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Iterator, TypeVar

from .exceptions import DoesNotExist, ImproperlyConfigured, IntegrityError
from .fields import AutoField, Field, FieldAccessor, MetaField
from .relations import (BackrefAccessor, DeferredForeignKey, ForeignKeyField,
                        ManyToManyField)
from .sql.context import Context
from .sql.nodes import (SQL, Column, ColumnBase, Entity, Expression, Node, NodeList, OP,
                        Value, attrdict, ensure_tuple)
from .sql.sources import Table
from .schema import ModelIndex
from .shapes import insert_row, update_row

__all__ = ['Model', 'ModelBase', 'Metadata', 'SubclassAwareMetadata', 'CompositeKey',
           'ModelAlias', 'ModelIndex', 'DQ', 'DJANGO_MAP', 'sort_models', 'classmethod_only',
           'is_model', 'make_snake_case', 'make_identifier', 'ModelDescriptor']

M = TypeVar('M', bound='Model')
_DoesNotExist = DoesNotExist   # Model.DoesNotExist is declared with this (the name is taken)

DJANGO_MAP = attrdict({
    'eq': operator.eq,
    'ne': operator.ne,
    'gt': operator.gt,
    'gte': operator.ge,
    'lt': operator.lt,
    'lte': operator.le,
    'in': operator.lshift,
    'is': lambda l, r: Expression(l, OP.IS, r),
    'like': lambda l, r: Expression(l, OP.LIKE, r),
    'ilike': lambda l, r: Expression(l, OP.ILIKE, r),
    'regexp': lambda l, r: Expression(l, OP.REGEXP, r),
})


def is_model(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, Model)


def make_snake_case(name: str) -> str:
    first = re.sub(r'(.)([A-Z][a-z]+)', r'\1_\2', name)
    return re.sub(r'([a-z0-9])([A-Z])', r'\1_\2', first).lower()


def make_identifier(name: str) -> str:
    return re.sub(r'[^\w]+', '_', name)


class ModelDescriptor:
    """Base of descriptors that hang off model classes."""


class classmethod_only:
    """A classmethod that refuses to run on an instance, saying what to call instead."""

    def __init__(self, func: Callable, hint: str = '') -> None:
        self.func = func
        self.hint = hint
        self.__doc__ = func.__doc__

    def __get__(self, instance: Any, owner: type) -> Callable:
        if instance is not None:
            raise AttributeError(
                '%s() is a class-level query that affects the whole table and cannot be '
                'called on an instance.%s' % (self.func.__name__, self.hint))
        return self.func.__get__(owner, type(owner))


class CompositeKey(MetaField):
    """A primary key made of several fields: ``primary_key = CompositeKey('a', 'b')``."""

    sequence = None

    def __init__(self, *field_names: str) -> None:
        if not field_names:
            raise ValueError('CompositeKey needs field names')
        self.field_names = field_names
        self._is_composite = True

    @property
    def safe_field_names(self) -> list:
        return [self.model._meta.fields[name].safe_name for name in self.field_names]

    def __get__(self, instance: Any, instance_type: type | None = None) -> Any:
        if instance is not None:
            return tuple(getattr(instance, name) for name in self.safe_field_names)
        return self

    def __set__(self, instance: Any, value: Any) -> None:
        if not isinstance(value, (list, tuple)):
            raise TypeError('a composite key is set with a tuple of %d values'
                            % len(self.field_names))
        if len(value) != len(self.field_names):
            raise ValueError('a composite key needs %d values, got %d'
                             % (len(self.field_names), len(value)))
        for name, val in zip(self.safe_field_names, value):
            setattr(instance, name, val)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        expressions = [(self.model._meta.fields[field] == value)
                       for field, value in zip(self.field_names, other)]
        result = expressions[0]
        for expr in expressions[1:]:
            result = result & expr
        return result

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return ~(self == other)

    def __hash__(self) -> int:
        return hash((self.model.__name__, self.field_names))

    def __sql__(self, ctx: Context) -> Context:
        from .sql.nodes import CommaNodeList
        return ctx.sql(NodeList([self.model._meta.fields[field]
                                 for field in self.field_names], ', ', parens=True))

    def bind(self, model: type, name: str, set_attribute: bool = True) -> None:
        self.model = model
        self.column_name = self.name = self.safe_name = name
        setattr(model, self.name, self)


class Metadata:
    """Everything a model knows about itself: ``Model._meta``."""

    def __init__(self, model: type, database: Any = None, table_name: str | None = None,
                 indexes: Iterable | None = None, primary_key: Any = None,
                 constraints: Iterable | None = None, schema: str | None = None,
                 only_save_dirty: bool = False, depends_on: Iterable | None = None,
                 options: dict | None = None, db_table: str | None = None,
                 table_function: Callable | None = None, table_settings: Any = None,
                 without_rowid: bool = False, temporary: bool = False,
                 strict_tables: bool | None = None, legacy_table_names: bool = True,
                 **kwargs: Any) -> None:
        if db_table is not None:
            table_name = db_table
        self.model = model
        self.database = database
        self.fields: dict[str, Field] = {}
        self.columns: dict[str, Field] = {}
        self.combined: dict[str, Field] = {}
        self._sorted_field_list = _SortedFieldList()
        self.sorted_fields: list = []
        self.sorted_field_names: list = []
        self.defaults: dict = {}
        self._default_by_name: dict = {}
        self._default_dict: dict = {}
        self._default_callables: dict = {}
        self._default_callable_list: list = []
        self.name = model.__name__.lower()
        self.table_function = table_function
        self.legacy_table_names = legacy_table_names
        self.table_name = table_name or self.make_table_name()
        self._table = None
        self.indexes = list(indexes) if indexes else []
        self.constraints = constraints
        self._schema = schema
        self.primary_key = primary_key
        self.composite_key = self.auto_increment = None
        self.only_save_dirty = only_save_dirty
        self.depends_on = depends_on
        self.table_settings = table_settings
        self.without_rowid = without_rowid
        self.strict_tables = strict_tables
        self.temporary = temporary
        self.refs: dict = {}
        self.backrefs: dict = {}
        self.model_refs: dict = defaultdict(list)
        self.model_backrefs: dict = defaultdict(list)
        self.manytomany: dict = {}
        self.options = options or {}
        for key, value in kwargs.items():
            setattr(self, key, value)
        self._additional_keys = set(kwargs.keys())
        self._db_hooks: list = []

    def __repr__(self) -> str:
        return '<Metadata of %s>' % self.model.__name__

    def make_table_name(self) -> str:
        """The table name used when ``Meta.table_name`` is not given: from
        ``Meta.table_function``, else the lower-cased class name (``legacy_table_names``,
        the default) or the snake_case one."""
        if self.table_function:
            return self.table_function(self.model)
        if self.legacy_table_names:
            return make_identifier(self.model.__name__.lower())
        return make_snake_case(self.model.__name__)

    # -- the table ---------------------------------------------------------------------------
    def model_graph(self, refs: bool = True, backrefs: bool = True, depth_first: bool = True
                    ) -> list:
        if not refs and not backrefs:
            raise ValueError('model_graph() needs refs and/or backrefs')
        accum = [(None, self.model, None)]
        seen = set()
        queue: list = [self.model]
        method = queue.pop if depth_first else (lambda: queue.pop(0))
        while queue:
            curr = method()
            if curr in seen:
                continue
            seen.add(curr)
            if refs:
                for fk, model in curr._meta.refs.items():
                    accum.append((fk, model, False))
                    queue.append(model)
            if backrefs:
                for fk, model in curr._meta.backrefs.items():
                    accum.append((fk, model, True))
                    queue.append(model)
        return accum

    def add_ref(self, field: ForeignKeyField) -> None:
        rel = field.rel_model
        self.refs[field] = rel
        self.model_refs[rel].append(field)
        rel._meta.backrefs[field] = self.model
        rel._meta.model_backrefs[self.model].append(field)

    def remove_ref(self, field: ForeignKeyField) -> None:
        rel = field.rel_model
        del self.refs[field]
        self.model_refs[rel].remove(field)
        del rel._meta.backrefs[field]
        rel._meta.model_backrefs[self.model].remove(field)

    def add_manytomany(self, field: ManyToManyField) -> None:
        self.manytomany[field.name] = field

    def remove_manytomany(self, field: ManyToManyField) -> None:
        del self.manytomany[field.name]

    @property
    def table(self) -> Table:
        if self._table is None:
            self._table = Table(self.table_name, [f.column_name for f in self.sorted_fields],
                                schema=self.schema, _model=self.model,
                                _database=self.database)
        return self._table

    @table.setter
    def table(self, value: Any) -> None:
        raise AttributeError('Cannot set the "table" of a model; set table_name instead')

    @table.deleter
    def table(self) -> None:
        self._table = None
        self._shape_cache = {}     # compiled statements of the old table shape (orm.shapes)

    def table_entity(self) -> Entity:
        if self.schema:
            return Entity(self.schema, self.table_name)
        return Entity(self.table_name)

    entity = property(table_entity)

    @property
    def schema(self) -> str | None:
        return self._schema

    @schema.setter
    def schema(self, value: str | None) -> None:
        self._schema = value
        del self.table

    def set_table_name(self, table_name: str) -> None:
        self.table_name = table_name
        del self.table

    # -- fields ------------------------------------------------------------------------------
    def get_rel_for_model(self, model: Any) -> tuple[list, list]:
        if isinstance(model, ModelAlias):
            model = model.model
        forwards = self.model_refs.get(model, [])
        backwards = self.model_backrefs.get(model, [])
        return forwards, backwards

    def add_field(self, field_name: str, field: Field, set_attribute: bool = True) -> None:
        self.remove_field(field_name)
        if not isinstance(field, MetaField):
            del self.table
            field.bind(self.model, field_name, set_attribute)
            self.fields[field.name] = field
            self.columns[field.column_name] = field
            self.combined[field.name] = field
            self.combined[field.column_name] = field
            self._sorted_field_list.insert(field)
            self.sorted_fields = list(self._sorted_field_list)
            self.sorted_field_names = [f.name for f in self.sorted_fields]
            if isinstance(field, ForeignKeyField):
                self.add_ref(field)
            elif isinstance(field, ManyToManyField) and field.name:
                self.add_manytomany(field)
            if field.default is not None:
                self.defaults[field] = field.default
                if callable(field.default):
                    self._default_callables[field] = field.default
                    self._default_callable_list.append((field.name, field.default))
                else:
                    self._default_dict[field] = field.default
                    self._default_by_name[field.name] = field.default
        else:
            field.bind(self.model, field_name, set_attribute)

    def remove_field(self, field_name: str) -> None:
        if field_name not in self.fields:
            return
        del self.table
        original = self.fields.pop(field_name)
        del self.columns[original.column_name]
        self.combined.pop(field_name, None)
        self.combined.pop(original.column_name, None)
        self._sorted_field_list.remove(original)
        self.sorted_fields = list(self._sorted_field_list)
        self.sorted_field_names = [f.name for f in self.sorted_fields]
        if original.default is not None:
            del self.defaults[original]
            if self._default_callables.pop(original, None):
                self._default_callable_list = [(n, d) for n, d in self._default_callable_list
                                               if n != original.name]
            else:
                self._default_dict.pop(original, None)
                self._default_by_name.pop(original.name, None)
        if isinstance(original, ForeignKeyField):
            self.remove_ref(original)

    def set_primary_key(self, name: str, field: Field) -> None:
        self.composite_key = isinstance(field, CompositeKey)
        self.add_field(name, field)
        self.primary_key = field
        self.auto_increment = (field.auto_increment or bool(field.sequence))

    def get_primary_keys(self) -> tuple:
        if self.composite_key:
            return tuple(self.fields[name] for name in self.primary_key.field_names)
        if self.primary_key:
            return (self.primary_key,)
        return ()

    def get_default_dict(self) -> dict:
        dd = self._default_by_name.copy()
        for field_name, default in self._default_callable_list:
            dd[field_name] = default()
        return dd

    def fields_to_index(self) -> list:
        from .schema import fields_to_index
        return fields_to_index(self)

    def set_database(self, database: Any) -> None:
        self.database = database
        self._shape_cache = {}
        if self._table is not None:
            self._table._database = database
        for hook in self._db_hooks:
            hook(database)

    def add_index(self, *fields: Any, **kwargs: Any) -> None:
        """Add an index: a finished one (``SQL``, ``Index`` or ``Model.index(...)``), or
        fields / expressions / names with ``name=``, ``unique=``, ``where=``, ``using=``."""
        from .sql.queries import Index
        if len(fields) == 1 and isinstance(fields[0], (SQL, Index, ModelIndex)):
            if kwargs:
                raise ValueError('add_index() options (%s) apply to fields or expressions, '
                                 'not to a finished index' % ', '.join(sorted(kwargs)))
            self.indexes.append(fields[0])
        else:
            self.indexes.append(ModelIndex(self.model, fields, **kwargs))

    def database_required(self) -> Any:
        if self.database is None:
            raise ImproperlyConfigured(
                'Model %s has no database: set Meta.database, or bind it with '
                'db.bind([%s]) / %s.bind(db)' % (self.model.__name__, self.model.__name__,
                                                  self.model.__name__))
        return self.database


class SubclassAwareMetadata(Metadata):
    """Metadata that remembers every model class built with it (``models`` list)."""

    models: list = []

    def __init__(self, model: type, *args: Any, **kwargs: Any) -> None:
        super().__init__(model, *args, **kwargs)
        self.models.append(model)

    def map_models(self, fn: Callable) -> list:
        return [fn(model) for model in self.models]


class _SortedFieldList:
    """Fields kept in declaration order (primary key first)."""

    def __init__(self) -> None:
        self._items: list = []

    def __iter__(self) -> Iterator:
        return iter(self._items)

    def insert(self, item: Field) -> None:
        self._items.append(item)
        self._items.sort(key=lambda f: f._sort_key)

    def remove(self, item: Field) -> None:
        self._items = [f for f in self._items if f is not item]


# -- the metaclass ------------------------------------------------------------------------
# table-specific options (table_name, depends_on, without_rowid) are not inherited
_INHERITED_META = {'constraints', 'database', 'indexes', 'only_save_dirty', 'options',
                   'schema', 'table_function', 'temporary', 'strict_tables',
                   'legacy_table_names', 'table_settings'}
_MODEL_BASE = '_metaclass_helper_'


# Deliberately not declared with typing.dataclass_transform: type checkers would then build
# each model's constructor from its *annotated* attributes only, so pyright rejects
# ``User(username='a')`` for a plain ``username = CharField()`` model and mypy rejects every
# field that is not annotated.  Model.__init__ takes the fields as keyword arguments.
class ModelBase(type):
    """Builds ``_meta`` from the class body, its ``Meta`` and its bases' fields."""

    inheritable = _INHERITED_META

    if TYPE_CHECKING:
        # attributes the metaclass adds (backrefs, ``<fk>_id`` accessors, many-to-many
        # backrefs) are not in the class body: type checkers see them as Any
        def __getattr__(cls, name: str) -> Any: ...

    def __new__(cls, name: str, bases: tuple, attrs: dict, **kwargs: Any) -> Any:
        meta_options: dict = {}
        meta = attrs.pop('Meta', None)
        if meta:
            for key, value in meta.__dict__.items():
                if not key.startswith('_'):
                    meta_options[key] = value

        pk = getattr(meta, 'primary_key', None)
        pk_name = parent_pk = None

        # inherit what the bases declare
        base_meta = None
        for b in bases:
            if not hasattr(b, '_meta'):
                continue
            base_meta = b._meta
            if parent_pk is None:
                parent_pk = base_meta.primary_key
            all_inheritable = cls.inheritable | base_meta._additional_keys
            for k in base_meta.__dict__:
                if k in all_inheritable and k not in meta_options:
                    meta_options[k] = base_meta.__dict__[k]
            # a metadata class may keep the database in a property (ThreadSafeDatabaseMetadata);
            # subclasses are built with their base's metadata class
            if 'database' not in meta_options:
                meta_options['database'] = base_meta.database
            if 'model_metadata_class' not in meta_options and type(base_meta) is not Metadata:
                meta_options['model_metadata_class'] = type(base_meta)
            if 'schema' not in meta_options and base_meta._schema:
                meta_options['schema'] = base_meta._schema
            for (k, v) in b.__dict__.items():
                if k in attrs:
                    continue
                if isinstance(v, FieldAccessor) and not v.field.primary_key:
                    attrs[k] = _copy_field(v.field)
                elif isinstance(v, BackrefAccessor) or k == 'DoesNotExist':
                    continue
            for field in base_meta.sorted_fields:
                if field.name not in attrs and not field.primary_key and \
                        not isinstance(b.__dict__.get(field.name), FieldAccessor):
                    attrs[field.name] = _copy_field(field)

        sopts = meta_options.pop('schema', None)
        Meta = meta_options.get('model_metadata_class', Metadata)
        meta_options.pop('model_metadata_class', None)
        cls_obj = super().__new__(cls, name, bases, attrs, **kwargs)
        cls_obj.__data__ = cls_obj.__rel__ = None
        cls_obj._meta = Meta(cls_obj, schema=sopts, **meta_options)

        fields = []
        for key, value in list(cls_obj.__dict__.items()):
            if isinstance(value, Field):
                if value.primary_key and pk:
                    raise ValueError('%s declares both a primary-key field (%s) and '
                                     'Meta.primary_key' % (name, key))
                if value.primary_key and not pk:
                    pk, pk_name = value, key
                else:
                    fields.append((key, value))

        if pk is None:
            if parent_pk is not False and parent_pk is not None:
                pk, pk_name = _copy_field(parent_pk), parent_pk.name
            elif parent_pk is None:
                pk, pk_name = AutoField(), 'id'
        elif isinstance(pk, CompositeKey):
            pk_name = '__composite_key__'
            cls_obj._meta.composite_key = True

        if pk is not False and pk is not None:
            cls_obj._meta.set_primary_key(pk_name, pk)
        else:
            cls_obj._meta.primary_key = False

        for name_, field in fields:
            cls_obj._meta.add_field(name_, field)

        # indexes inherited from a base (Meta.indexes, add_index) index this model's table
        inherited = cls_obj._meta.indexes
        for i, index in enumerate(inherited):
            if isinstance(index, ModelIndex) and index.model is not cls_obj and \
                    isinstance(index.model, type) and issubclass(cls_obj, index.model):
                inherited[i] = index.clone()
                inherited[i].model = cls_obj

        if cls_obj._meta.composite_key:
            missing = [n for n in cls_obj._meta.primary_key.field_names
                       if n not in cls_obj._meta.fields]
            if missing:
                raise ValueError('%s: CompositeKey names %s, which %s not a field of the '
                                 'model; its fields are: %s' % (
                                     name, ', '.join(repr(n) for n in missing),
                                     'is' if len(missing) == 1 else 'are',
                                     ', '.join(cls_obj._meta.sorted_field_names)))

        # a DoesNotExist of its own, subclassing its parent's
        exc_name = '%sDoesNotExist' % cls_obj.__name__
        exc_bases = tuple(getattr(b, 'DoesNotExist', DoesNotExist) for b in bases
                          if hasattr(b, '_meta'))
        exc_attrs = {'__module__': cls_obj.__module__}
        cls_obj.DoesNotExist = type(exc_name, exc_bases or (DoesNotExist,), exc_attrs)

        if hasattr(cls_obj, 'validate_model'):
            cls_obj.validate_model()
        DeferredForeignKey.resolve(cls_obj)
        return cls_obj

    def __repr__(cls) -> str:
        return '<Model: %s>' % cls.__name__

    def __iter__(cls) -> Iterator:
        return iter(cls.select())

    def __getitem__(cls, key: Any) -> Any:
        return cls.get_by_id(key)

    def __setitem__(cls, key: Any, value: dict) -> None:
        cls.set_by_id(key, value)

    def __delitem__(cls, key: Any) -> None:
        cls.delete_by_id(key)

    def __contains__(cls, key: Any) -> bool:
        try:
            cls.get_by_id(key)
        except cls.DoesNotExist:
            return False
        return True

    def __len__(cls) -> int:
        return cls.select().count()

    def __bool__(cls) -> bool:
        return True

    def __sql__(cls, ctx: Context) -> Context:
        return ctx.sql(cls._meta.table)


def _copy_field(field: Field) -> Field:
    import copy
    if isinstance(field, DeferredForeignKey) and \
            any(f is field for f in DeferredForeignKey._unresolved):
        # still waiting for its model: the subclass's copy must wait (and resolve) too
        kwargs = dict(field.field_kwargs)
        if kwargs.get('backref') not in ('+', '!'):
            kwargs.pop('backref', None)       # the subclass gets its own backref name
        new = DeferredForeignKey(field.rel_model_name, **kwargs)
        new._order, new._sort_key = field._order, field._sort_key
        return new
    new = copy.copy(field)
    new.model = None
    new.name = None
    if isinstance(field, ForeignKeyField):
        new.rel_model = field.rel_model if field.rel_model is not field.model else 'self'
        new.backref = None
        if field.declared_backref and field.declared_backref not in '!+':
            # the subclass gets its own backref name
            new.declared_backref = None
    return new


class Model(metaclass=ModelBase):
    """Base class of application models."""

    __data__: dict
    __rel__: dict
    _dirty: set
    _meta: ClassVar[Metadata]
    DoesNotExist: ClassVar[type[_DoesNotExist]]

    if TYPE_CHECKING:
        #: the automatic primary key (absent when a model declares its own)
        id: Any

        # attributes added when the class is built (backrefs, ``<fk>_id`` accessors) and
        # values set by ``select(expr.alias('name'))`` are not declared: Any to checkers
        def __getattr__(self, name: str) -> Any: ...

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.pop('__no_default__', None):
            self.__data__ = {}
        else:
            self.__data__ = self._meta.get_default_dict()
        self._dirty = set(self.__data__)
        self.__rel__ = {}
        for k in kwargs:
            setattr(self, k, kwargs[k])

    def __str__(self) -> str:
        return str(self._pk) if self._meta.primary_key is not False else 'n/a'

    def __repr__(self) -> str:
        return '<%s: %s>' % (type(self).__name__, self.__str__())

    # -- class-level queries -----------------------------------------------------------------
    @classmethod
    def validate_model(cls) -> None:
        pass

    @classmethod
    def alias(cls, alias: str | None = None) -> 'ModelAlias':
        return ModelAlias(cls, alias)

    @classmethod
    def select(cls: type[M], *fields: Any) -> Any:
        from .query import ModelSelect
        is_default = not fields
        if not fields:
            fields = cls._meta.sorted_fields
        return ModelSelect(cls, fields, is_default=is_default)

    @classmethod
    def _normalize_data(cls, data: Any, kwargs: dict) -> dict:
        normalized: dict = {}
        if data:
            if not isinstance(data, dict):
                if kwargs:
                    raise ValueError('Data cannot mix positional and keyword arguments: %s'
                                     % data)
                raise ValueError('Data must be a dict of {field: value}, got %r' % (data,))
            for key in data:
                try:
                    field = key if isinstance(key, Field) else cls._meta.combined[key]
                except KeyError:
                    raise ValueError('%s has no field named %r; its fields are: %s'
                                     % (cls.__name__, key,
                                        ', '.join(cls._meta.sorted_field_names))) from None
                normalized[field] = data[key]
        if kwargs:
            for key in kwargs:
                try:
                    normalized[cls._meta.combined[key]] = kwargs[key]
                except KeyError:
                    normalized[getattr(cls, key)] = kwargs[key]
        return normalized

    @classmethod
    def update(cls, __data: Any = None, **update: Any) -> Any:
        from .query import ModelUpdate
        return ModelUpdate(cls, cls._normalize_data(__data, update))

    @classmethod
    def insert(cls, __data: Any = None, **insert: Any) -> Any:
        from .query import ModelInsert
        return ModelInsert(cls, cls._normalize_data(__data, insert))

    @classmethod
    def insert_many(cls, rows: Iterable, fields: Iterable | None = None) -> Any:
        from .query import ModelInsert
        return ModelInsert(cls, insert=rows, columns=fields)

    @classmethod
    def insert_from(cls, query: Any, fields: Iterable) -> Any:
        from .query import ModelInsert
        columns = [getattr(cls, field) if isinstance(field, str) else field
                   for field in fields]
        return ModelInsert(cls, insert=query, columns=columns)

    @classmethod
    def replace(cls, __data: Any = None, **insert: Any) -> Any:
        return cls.insert(__data, **insert).on_conflict('REPLACE')

    @classmethod
    def replace_many(cls, rows: Iterable, fields: Iterable | None = None) -> Any:
        return cls.insert_many(rows=rows, fields=fields).on_conflict('REPLACE')

    @classmethod
    def raw(cls, sql: str, *params: Any) -> Any:
        from .query import ModelRaw
        return ModelRaw(cls, sql, params)

    @classmethod
    def _delete_query(cls) -> Any:
        from .query import ModelDelete
        return ModelDelete(cls)

    delete = classmethod_only(_delete_query.__func__,  # type: ignore[attr-defined]
                              ' To delete this row use instance.delete_instance().')
    delete.func.__name__ = 'delete'

    @classmethod
    def create(cls: type[M], **query: Any) -> M:
        inst = cls(**query)
        inst.save(force_insert=True)
        return inst

    @classmethod
    def bulk_create(cls, model_list: Iterable, batch_size: int | None = None) -> None:
        from .query import bulk_create
        bulk_create(cls, model_list, batch_size)

    @classmethod
    def bulk_update(cls, model_list: Iterable, fields: Iterable,
                    batch_size: int | None = None) -> int:
        from .query import bulk_update
        return bulk_update(cls, model_list, fields, batch_size)

    @classmethod
    def noop(cls) -> Any:
        from .query import NoopModelSelect
        return NoopModelSelect(cls, ())

    @classmethod
    def get(cls: type[M], *query: Any, **filters: Any) -> M:
        sq = cls.select()
        if query:
            # Model.get(1) is a primary-key lookup
            if len(query) == 1 and isinstance(query[0], int):
                sq = sq.where(cls._meta.primary_key == query[0])
            else:
                sq = sq.where(*query)
        if filters:
            sq = sq.filter(**filters)
        return sq.get()

    @classmethod
    def get_or_none(cls: type[M], *query: Any, **filters: Any) -> M | None:
        try:
            return cls.get(*query, **filters)
        except DoesNotExist:
            return None

    @classmethod
    def get_by_id(cls: type[M], pk: Any) -> M:
        from .query import get_by_id
        return get_by_id(cls, pk)

    @classmethod
    def set_by_id(cls, key: Any, value: dict) -> int:
        if key is None:
            return cls.insert(value).execute()
        return (cls.update(value).where(cls._meta.primary_key == key).execute())

    @classmethod
    def delete_by_id(cls, pk: Any) -> int:
        return cls._delete_query().where(cls._meta.primary_key == pk).execute()

    @classmethod
    def get_or_create(cls: type[M], **kwargs: Any) -> tuple[M, bool]:
        defaults = kwargs.pop('defaults', {})
        query = cls.select()
        for field, value in kwargs.items():
            query = query.where(getattr(cls, field) == value)
        try:
            return query.get(), False
        except cls.DoesNotExist:
            try:
                if defaults:
                    kwargs.update(defaults)
                with cls._meta.database_required().atomic():
                    return cls.create(**kwargs), True
            except IntegrityError as exc:
                try:
                    return query.get(), False
                except cls.DoesNotExist:
                    raise exc from None

    @classmethod
    def filter(cls, *dq_nodes: Any, **filters: Any) -> Any:
        return cls.select().filter(*dq_nodes, **filters)

    # -- instance API --------------------------------------------------------------------------
    def get_id(self) -> Any:
        pk = self._meta.primary_key
        if pk is False:
            return None
        return getattr(self, pk.name) if not self._meta.composite_key else pk.__get__(self)

    _pk = property(get_id)

    @_pk.setter
    def _pk(self, value: Any) -> None:
        setattr(self, self._meta.primary_key.name, value)

    def _pk_expr(self) -> Any:
        return self._meta.primary_key == self._pk

    def _prune_fields(self, field_dict: dict, only: Iterable) -> dict:
        new_data = {}
        for field in only:
            if isinstance(field, str):
                field = self._meta.combined[field]
            if field.name in field_dict:
                new_data[field.name] = field_dict[field.name]
        return new_data

    def _populate_unsaved_relations(self, field_dict: dict) -> None:
        for foreign_key_field in self._meta.refs:
            foreign_key = foreign_key_field.name
            conditions = (
                foreign_key in field_dict and
                field_dict[foreign_key] is None and
                self.__rel__.get(foreign_key) is not None)
            if conditions:
                setattr(self, foreign_key, getattr(self, foreign_key))
                field_dict[foreign_key] = self.__data__[foreign_key]

    def save(self, force_insert: bool = False, only: Iterable | None = None) -> int | bool:
        """INSERT a new row or UPDATE the existing one; returns the number of rows saved."""
        field_dict = self.__data__.copy()
        if self._meta.primary_key is not False:
            pk_field = self._meta.primary_key
            pk_value = self._pk
        else:
            pk_field = pk_value = None
        if only is not None:
            field_dict = self._prune_fields(field_dict, only)
        elif self._meta.only_save_dirty and not force_insert:
            field_dict = self._prune_fields(field_dict, self.dirty_fields)
            if not field_dict:
                self._dirty.clear()
                return False

        self._populate_unsaved_relations(field_dict)
        saved = set(field_dict)
        rows = 1

        if self._meta.auto_increment and pk_value is None:
            field_dict.pop(pk_field.name, None)

        if pk_value is not None and not force_insert:
            if self._meta.composite_key:
                for pk_part_name in pk_field.field_names:
                    field_dict.pop(pk_part_name, None)
            else:
                field_dict.pop(pk_field.name, None)
            if not field_dict:
                raise ValueError('no data to save for %r: set a field first' % self)
            if _overrides(type(self), 'update'):
                rows = self.update(**field_dict).where(self._pk_expr()).execute()
            else:
                rows = update_row(type(self), field_dict, pk_value)
        elif pk_field is not None:
            if _overrides(type(self), 'insert'):
                pk = self.insert(**field_dict).execute()
            else:
                pk = insert_row(type(self), field_dict)
            if pk is not None and (self._meta.auto_increment or pk_value is None):
                self._pk = pk
                pk_value = pk
        else:
            self.insert(**field_dict).execute()

        if only is None:
            self._dirty.clear()
        else:
            # only the saved fields are clean now; the others keep their changes
            self._dirty.difference_update(saved)
            if pk_field is not None and not self._meta.composite_key:
                self._dirty.discard(pk_field.name)
        return rows

    def is_dirty(self) -> bool:
        return bool(self._dirty)

    @property
    def dirty_fields(self) -> list:
        return [f for f in self._meta.sorted_fields if f.name in self._dirty]

    def dependencies(self, search_nullable: bool = True, *, _unlink_nullable: bool = False
                     ) -> Iterator:
        """``(condition, foreign key)`` for every row depending on this one, deepest first.

        ``_unlink_nullable`` (used by ``delete_instance``): rows referencing through a
        nullable key will only have it set to NULL, so their own dependents are kept.
        """
        model_class = type(self)
        stack = [(type(self), None)]
        queries: dict = {}
        seen = set()
        while stack:
            klass, query = stack.pop()
            if klass in seen:
                continue
            seen.add(klass)
            for fk, rel_model in klass._meta.backrefs.items():
                if rel_model is model_class or query is None:
                    node = (fk == self.__data__[fk.rel_field.name])
                else:
                    node = fk << query
                subquery = (rel_model.select(rel_model._meta.primary_key)
                            .where(node))
                if not fk.null or search_nullable:
                    queries.setdefault(rel_model, []).append((node, fk))
                    if not (fk.null and _unlink_nullable):
                        stack.append((rel_model, subquery))
        for m in reversed(sort_models(queries)):
            for sq, fk in queries[m]:
                yield sq, fk

    def delete_instance(self, recursive: bool = False, delete_nullable: bool = False) -> int:
        """DELETE this row (with ``recursive``, first the rows that depend on it)."""
        if self._meta.primary_key is False:
            raise ValueError('%s has no primary key, so delete_instance() cannot find the row'
                             % type(self).__name__)
        if recursive:
            for query, fk in self.dependencies(_unlink_nullable=not delete_nullable):
                model = fk.model
                if fk.null and not delete_nullable:
                    model.update(**{fk.name: None}).where(query).execute()
                else:
                    model._delete_query().where(query).execute()
        return type(self)._delete_query().where(self._pk_expr()).execute()

    def __hash__(self) -> int:
        return hash((self.__class__, self._pk))

    def __eq__(self, other: Any) -> bool:
        return (other.__class__ == self.__class__ and self._pk is not None and
                self._pk == other._pk)

    def __ne__(self, other: Any) -> bool:
        return not self == other

    def __sql__(self, ctx: Context) -> Context:
        # an instance used in a query stands for its primary key
        if self._meta.composite_key:
            return ctx.sql(NodeList([Value(v) for v in self._pk], ', ', parens=True))
        return ctx.sql(Value(getattr(self, self._meta.primary_key.name),
                             converter=self._meta.primary_key.db_value))

    # -- schema -------------------------------------------------------------------------------
    @classmethod
    def bind(cls, database: Any, bind_refs: bool = True, bind_backrefs: bool = True,
             _exclude: set | None = None) -> bool:
        is_different = cls._meta.database is not database
        cls._meta.set_database(database)
        if bind_refs or bind_backrefs:
            if _exclude is None:
                _exclude = set()
            G = cls._meta.model_graph(refs=bind_refs, backrefs=bind_backrefs)
            for _, model, is_backref in G:
                if model not in _exclude:
                    model._meta.set_database(database)
                    _exclude.add(model)
        return is_different

    @classmethod
    def bind_ctx(cls, database: Any, bind_refs: bool = True, bind_backrefs: bool = True
                 ) -> Any:
        from .database import _BoundModelsContext
        return _BoundModelsContext((cls,), database, bind_refs, bind_backrefs)

    @classmethod
    def table_exists(cls) -> bool:
        M = cls._meta
        return cls._schema.database.table_exists(M.table.__name__, M.schema)

    @classmethod
    def create_table(cls, safe: bool = True, **options: Any) -> None:
        if 'fail_silently' in options:
            safe = options.pop('fail_silently')
        if safe and not cls._schema.database.safe_create_index and cls.table_exists():
            return
        if cls._meta.temporary:
            options.setdefault('temporary', cls._meta.temporary)
        cls._schema.create_all(safe, **options)

    @classmethod
    def drop_table(cls, safe: bool = True, drop_sequences: bool = True, **options: Any) -> None:
        if safe and not cls._schema.database.safe_drop_index and not cls.table_exists():
            return
        if cls._meta.temporary:
            options.setdefault('temporary', cls._meta.temporary)
        cls._schema.drop_all(safe, drop_sequences, **options)

    @classmethod
    def truncate_table(cls, **options: Any) -> None:
        cls._schema.truncate_table(**options)

    @classmethod
    def index(cls, *fields: Any, **kwargs: Any) -> Any:
        return ModelIndex(cls, fields, **kwargs)

    @classmethod
    def add_index(cls, *fields: Any, **kwargs: Any) -> None:
        cls._meta.add_index(*fields, **kwargs)


class _SchemaDescriptor:
    def __get__(self, instance: Any, owner: type) -> Any:
        from .schema import SchemaManager
        # Meta.schema_manager_class (as in peewee) swaps the DDL generator, e.g. for the
        # virtual tables of playhouse.sqlite_ext
        manager = getattr(owner._meta, 'schema_manager_class', None) or SchemaManager
        return manager(owner)


Model._schema = _SchemaDescriptor()  # type: ignore[attr-defined]


class ModelAlias(Node):
    """The same model under another name, for self-joins: ``Parent = Category.alias()``."""

    def __init__(self, model: type, alias: str | None = None) -> None:
        self.__dict__['model'] = model
        self.__dict__['alias'] = alias
        self.__dict__['_field_cache'] = {}

    def __getattr__(self, attr: str) -> Any:
        # fields come back bound to this alias; everything else is the model's
        if attr.startswith('__'):
            raise AttributeError(attr)
        cache = self.__dict__['_field_cache']
        if attr in cache:
            return cache[attr]
        # descriptors that build expressions (hybrid attributes) are bound to the alias,
        # so their SQL names the alias's columns
        for klass in self.model.__mro__:
            found = klass.__dict__.get(attr)
            if found is not None:
                if isinstance(found, ModelDescriptor):
                    return found.__get__(None, self)
                break
        model_attr = getattr(self.model, attr)
        if isinstance(model_attr, Field):
            from .fields import FieldAlias
            cache[attr] = FieldAlias.create(self, model_attr)
            return cache[attr]
        return model_attr

    def __setattr__(self, attr: str, value: Any) -> None:
        raise AttributeError('Cannot set attributes on ModelAlias instances')

    def get_field_aliases(self) -> list:
        return [getattr(self, n) for n in self.model._meta.sorted_field_names]

    def select(self, *selection: Any) -> Any:
        from .query import ModelSelect
        if not selection:
            selection = self.get_field_aliases()
        return ModelSelect(self, selection)

    def __call__(self, **kwargs: Any) -> Any:
        return self.model(**kwargs)

    def __hash__(self) -> int:
        return id(self)

    def get_sort_key(self, ctx: Context) -> tuple:
        return (self.alias or ctx.alias_manager[self],)

    @property
    def _alias(self) -> str | None:
        return self.__dict__['alias']

    def apply_column(self, ctx: Context) -> Context:
        return ctx.literal(ctx.dialect.quote_identifier(self.alias or ctx.alias_manager[self]))

    def __sql__(self, ctx: Context) -> Context:
        from .sql.context import SCOPE_SOURCE
        if ctx.scope == SCOPE_SOURCE:
            ctx.literal(ctx.dialect.quote_path(self.model._meta.table._path))
            ctx.literal(' AS ' + ctx.dialect.quote_identifier(
                self.alias or ctx.alias_manager[self]))
            return ctx
        return self.apply_column(ctx)


# -- Django-style lookups --------------------------------------------------------------------
class DQ(ColumnBase):
    """A node of Django-style lookups: ``DQ(name='x') | DQ(age__gt=3)``."""

    def __init__(self, **query: Any) -> None:
        super().__init__()
        self.query = query
        self._negated = False

    def __invert__(self) -> 'DQ':
        clone = DQ(**self.query)
        clone._negated = not self._negated
        return clone

    def clone(self) -> 'DQ':
        node = DQ(**self.query)
        node._negated = self._negated
        return node




def _overrides(model: type, name: str) -> bool:
    """True when ``model`` redefines the classmethod ``name`` (then it must be called)."""
    return getattr(model, name).__func__ is not getattr(Model, name).__func__


def sort_models(models: Iterable) -> list:
    """Models ordered so that each comes after the models it references."""
    models = set(models)
    seen: set = set()
    ordering: list = []

    def dfs(model: type) -> None:
        if model in models and model not in seen:
            seen.add(model)
            for foreign_key, rel_model in model._meta.refs.items():
                if not foreign_key.deferred:
                    dfs(rel_model)
            if model._meta.depends_on:
                for dependency in model._meta.depends_on:
                    dfs(dependency)
            ordering.append(model)

    names = lambda m: (m._meta.name, m._meta.table_name)  # noqa: E731
    for m in sorted(models, key=names):
        dfs(m)
    return ordering
