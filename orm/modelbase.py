"""The model layer's core: the metaclass that turns a class body into a model, the
``_meta`` object that describes it, and what every model instance can do on its own.

Nothing here builds a query: the public :class:`orm.Model` (``orm/model.py``) adds
``select()``, ``save()`` and the rest on top of :class:`ModelCore`.  This module knows
fields (the layer below) and nothing above it.

How a class becomes a model (``ModelBase.__new__``):

1. ``_ClassPlan`` reads the class body and its bases: the ``Meta`` options (its own, then
   what the bases pass down), the fields the class declares, the fields it inherits
   (each inherited field is copied, so that every model owns its fields) and which field
   is the primary key.
2. The class object is created and a ``Metadata`` is attached as ``_meta``.
3. The primary key and the other fields are registered with the metadata, which binds
   them to the class (installing their descriptors) and records foreign keys on both
   ends of the relation.
4. The class gets its own ``DoesNotExist``, and foreign keys that were waiting for it
   (``DeferredForeignKey``) are resolved.
"""
from __future__ import annotations

import copy
import heapq
import re
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Iterator, cast

from . import seam
from .exceptions import DoesNotExist, ImproperlyConfigured
from .fields import AutoField, Field, FieldAccessor, FieldAlias, MetaField
from .proxy import Proxy
from .relations import DeferredForeignKey, ForeignKeyField
from .schema import ModelIndex, fields_to_index
from .sql.context import SCOPE_SOURCE, Context
from .sql.nodes import SQL, Entity, Node, NodeList, Value
from .sql.queries import Index
from .sql.sources import Table

__all__ = ['ModelBase', 'Metadata', 'SubclassAwareMetadata', 'CompositeKey', 'ModelCore',
           'ClassOnlyMethodError',
           'ModelAliasBase', 'ModelDescriptor', 'classmethod_only', 'is_model',
           'make_snake_case', 'make_identifier', 'sort_models']


# -- small helpers ---------------------------------------------------------------------------
def _ascii_upper(ch: str) -> bool:
    return 'A' <= ch <= 'Z'


def _ascii_lower(ch: str) -> bool:
    return 'a' <= ch <= 'z'


def make_snake_case(name: str) -> str:
    """``HTTPRequestLog`` -> ``http_request_log``, ``CatA1`` -> ``cat_a1``: the table name
    a model gets when ``Meta.legacy_table_names`` is false.  A word break goes before a
    capital that follows a small letter or a digit, and before a capital that begins a
    capitalised word; runs of underscores become one (``API_Response`` -> ``api_response``)."""
    pieces = []
    last = len(name) - 1
    for i, ch in enumerate(name):
        if i and _ascii_upper(ch):
            before = name[i - 1]
            after = name[i + 1] if i < last else ''
            if _ascii_lower(before) or before.isdigit() or _ascii_lower(after):
                pieces.append('_')
        pieces.append(ch)
    return re.sub('_{2,}', '_', ''.join(pieces)).lower()


def make_identifier(name: str) -> str:
    """``name`` with every run of characters that cannot stand in an identifier made a
    single underscore."""
    return re.sub(r'\W+', '_', name)


def is_model(obj: Any) -> bool:
    """Whether ``obj`` is a model class (not an instance, not an alias)."""
    return isinstance(obj, ModelBase)


class ModelDescriptor:
    """Marker base for descriptors that live on model classes (hybrid attributes, ...):
    a :class:`ModelAlias` binds them to itself instead of to the model."""


class ClassOnlyMethodError(AttributeError, TypeError):
    """A method that works on the whole table was called on an instance.  It is an
    ``AttributeError`` (the instance offers no such method) and, as peewee raises for the
    same mistake, a ``TypeError``."""


class classmethod_only:
    """A class-level method that refuses to run on an instance, with a hint of what to
    call instead (``Model.delete()`` deletes rows in bulk; an instance wants
    ``delete_instance()``)."""

    def __init__(self, func: Callable, hint: str = '') -> None:
        self.func = func
        self.hint = hint
        self.__doc__ = func.__doc__
        self.__name__ = func.__name__

    def __get__(self, instance: Any, owner: type) -> Callable:
        if instance is None:
            return self.func.__get__(owner, type(owner))
        raise ClassOnlyMethodError(
            '%s.%s() works on the whole table, so it is called on the class, not on an '
            'instance.%s' % (owner.__name__, self.func.__name__, self.hint))


# -- composite primary keys --------------------------------------------------------------------
class CompositeKey(MetaField):
    """A primary key over several columns: ``primary_key = CompositeKey('a', 'b')`` in
    ``Meta``.  On an instance it reads and writes a tuple of the parts' values; in a query
    ``Model._meta.primary_key == (1, 2)`` compares every part."""

    sequence = None

    def __init__(self, *field_names: str) -> None:
        if not field_names:
            raise ValueError('CompositeKey() needs the names of the fields it is made of')
        self.field_names = tuple(field_names)
        self._is_composite = True

    def _parts(self) -> list:
        fields = self.model._meta.fields
        return [fields[name] for name in self.field_names]

    @property
    def safe_field_names(self) -> list:
        return [part.safe_name for part in self._parts()]

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        return tuple(getattr(instance, name) for name in self.safe_field_names)

    def __set__(self, instance: Any, value: Any) -> None:
        size = len(self.field_names)
        if not isinstance(value, (list, tuple)) or len(value) != size:
            problem = ValueError if isinstance(value, (list, tuple)) else TypeError
            raise problem('%s.%s is a composite key of %d parts (%s); assign a tuple of %d '
                          'values' % (self.model.__name__, self.name, size,
                                      ', '.join(self.field_names), size))
        for attr, part in zip(self.safe_field_names, value):
            setattr(instance, attr, part)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        parts = self._parts()
        if not isinstance(other, (list, tuple)) or len(other) != len(parts):
            raise ValueError('%s.%s is a composite key of %d parts (%s): compare it with a '
                             'tuple of %d values, not %r'
                             % (self.model.__name__, self.name, len(parts),
                                ', '.join(self.field_names), len(parts), other))
        terms = [part == value for part, value in zip(parts, other)]
        combined = terms[0]
        for term in terms[1:]:
            combined = combined & term
        return combined

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return ~(self == other)

    def __hash__(self) -> int:
        return hash((getattr(self, 'model', None), self.field_names))

    def __sql__(self, ctx: Context) -> Context:
        return ctx.sql(NodeList(self._parts(), ', ', parens=True))

    def bind(self, model: type, name: str, set_attribute: bool = True) -> None:
        self.model = model
        self.name = self.column_name = self.safe_name = name
        setattr(model, name, self)


# -- Metadata ------------------------------------------------------------------------------------
#: ``Meta`` options with their defaults, as Metadata takes them
_OPTION_DEFAULTS: dict[str, Any] = {
    'database': None, 'table_name': None, 'indexes': None, 'primary_key': None,
    'constraints': None, 'schema': None, 'only_save_dirty': False, 'depends_on': None,
    'options': None, 'db_table': None, 'table_function': None, 'table_settings': None,
    'without_rowid': False, 'temporary': False, 'strict_tables': None,
    'legacy_table_names': True,
}

#: options a model passes on to its subclasses (the table-specific ones are not)
INHERITED_OPTIONS = frozenset((
    'constraints', 'database', 'indexes', 'only_save_dirty', 'options', 'schema',
    'table_function', 'temporary', 'strict_tables', 'legacy_table_names', 'table_settings'))


def _field_order(field: Any) -> tuple:
    """Fields are kept primary key first, then in the order they were created."""
    return field._sort_key


class _RelationIndex(dict):
    """``{model: [fields]}`` that answers ``[]`` for a model it has not seen (without
    storing it), like the ``model_refs`` / ``model_backrefs`` of peewee's metadata."""

    def __missing__(self, key: Any) -> list:
        return []

    def attach(self, key: Any, field: Any) -> None:
        self.setdefault(key, []).append(field)

    def detach(self, key: Any, field: Any) -> None:
        remaining = [f for f in self.get(key, ()) if f is not field]
        if remaining:
            self[key] = remaining
        else:
            self.pop(key, None)


class Metadata:
    """What a model knows about itself, reached as ``Model._meta``.

    Fields are registered with :meth:`add_field` (the metaclass does it for the class
    body) and every lookup table (``fields``, ``columns``, ``combined``,
    ``sorted_fields``, ``defaults``...) is rebuilt from the one ordered registry after
    each change, so they can never disagree.
    """

    # the Meta options, set from the constructor's arguments
    database: Any
    indexes: list
    primary_key: Any
    constraints: Any
    only_save_dirty: bool
    depends_on: Any
    options: dict
    table_function: Any
    table_settings: Any
    without_rowid: bool
    temporary: bool
    strict_tables: Any
    legacy_table_names: bool

    def __init__(self, model: type, database: Any = None, table_name: str | None = None,
                 indexes: Iterable | None = None, primary_key: Any = None,
                 constraints: Iterable | None = None, schema: str | None = None,
                 only_save_dirty: bool = False, depends_on: Iterable | None = None,
                 options: dict | None = None, db_table: str | None = None,
                 table_function: Callable | None = None, table_settings: Any = None,
                 without_rowid: bool = False, temporary: bool = False,
                 strict_tables: bool | None = None, legacy_table_names: bool = True,
                 **kwargs: Any) -> None:
        given = dict(locals())
        given.pop('self')
        given.pop('model')
        extra = given.pop('kwargs')
        self.model = model
        self.name = model.__name__.lower()
        for option in _OPTION_DEFAULTS:
            value = given[option]
            if option == 'indexes':
                value = list(value or ())
            elif option == 'options':
                value = dict(value or {})
            elif option in ('table_name', 'db_table', 'schema'):
                continue
            setattr(self, option, value)
        self._schema = schema
        # the registry every lookup table is derived from: name -> field
        self._registry: dict[str, Field] = {}
        self.fields: dict[str, Field] = {}
        self.columns: dict[str, Field] = {}
        self.combined: dict[str, Field] = {}
        self.sorted_fields: list = []
        self.sorted_field_names: list = []
        self.defaults: dict = {}
        self._constant_defaults: dict = {}
        self._factory_defaults: tuple = ()
        # relations: both ends are kept, on this model and on the related one
        self.refs: dict = {}
        self.backrefs: dict = {}
        self.model_refs: _RelationIndex = _RelationIndex()
        self.model_backrefs: _RelationIndex = _RelationIndex()
        self.manytomany: dict = {}
        self.composite_key = False
        self.auto_increment = False
        self.table_name = db_table or table_name or self.make_table_name()
        self._table: Table | None = None
        self._shape_cache: dict = {}
        self._plain_names: frozenset | None = None
        self._db_hooks: list = []
        for key, value in extra.items():
            setattr(self, key, value)
        self._additional_keys = set(extra)

    def __repr__(self) -> str:
        return '<Metadata of %s>' % self.model.__name__

    def make_table_name(self) -> str:
        """The default table name: ``Meta.table_function(model)`` when given, else the class
        name lower-cased (the default, ``legacy_table_names``) or in snake_case."""
        if self.table_function is not None:
            return self.table_function(self.model)
        if not self.legacy_table_names:
            return make_snake_case(self.model.__name__)
        return make_identifier(self.model.__name__.lower())

    # -- the table ----------------------------------------------------------------------------
    @property
    def table(self) -> Table:
        table = self._table
        if table is None:
            table = self._table = Table(
                self.table_name, [f.column_name for f in self.sorted_fields],
                schema=self._schema, _model=self.model, _database=self.database)
        return table

    @table.setter
    def table(self, value: Any) -> None:
        raise AttributeError('%s._meta.table is derived from the table name and the fields: '
                             'change Meta.table_name (set_table_name()) instead'
                             % self.model.__name__)

    @table.deleter
    def table(self) -> None:
        self._forget_table()

    def _forget_table(self) -> None:
        """The table's shape changed: drop what was derived from the old one."""
        self._table = None
        self._shape_cache = {}

    def table_entity(self) -> Entity:
        """The table's (schema-qualified) name as an identifier node."""
        return Entity(*(part for part in (self._schema, self.table_name) if part))

    entity = property(table_entity)

    @property
    def schema(self) -> str | None:
        return self._schema

    @schema.setter
    def schema(self, value: str | None) -> None:
        self._schema = value
        self._forget_table()

    def set_table_name(self, table_name: str) -> None:
        self.table_name = table_name
        self._forget_table()

    # -- the database --------------------------------------------------------------------------
    def set_database(self, database: Any) -> None:
        self.database = database
        self._shape_cache = {}
        if self._table is not None:
            self._table._database = database
        for hook in self._db_hooks:
            hook(database)

    def get_database_instance(self) -> Any:
        """The database itself, looking through a ``DatabaseProxy``; ``None`` when the model
        is unbound or its proxy not initialised yet."""
        database = self.database
        if isinstance(database, Proxy):
            return object.__getattribute__(database, 'obj')
        return database

    def database_required(self) -> Any:
        if self.database is None:
            name = self.model.__name__
            raise ImproperlyConfigured(
                '%s is not bound to a database. Give it one with Meta.database, '
                'db.bind([%s]) or %s.bind(db)' % (name, name, name))
        return self.database

    # -- fields ----------------------------------------------------------------------------
    def add_field(self, field_name: str, field: Field, set_attribute: bool = True) -> None:
        """Bind ``field`` to the model as ``field_name`` (replacing a field of that name)."""
        self._unregister(field_name)
        field.bind(self.model, field_name, set_attribute)
        if isinstance(field, MetaField):
            return        # composite keys, many-to-many: no column of their own
        self._registry[field.name] = field
        if isinstance(field, ForeignKeyField):
            self.add_ref(field)
        self._reindex()

    def remove_field(self, field_name: str) -> None:
        if self._unregister(field_name):
            self._reindex()

    def _unregister(self, field_name: str) -> bool:
        field = self._registry.pop(field_name, None)
        if field is None:
            return False
        if field in self.refs:
            self.remove_ref(field)
        return True

    def _reindex(self) -> None:
        ordered = sorted(self._registry.values(), key=_field_order)
        self.sorted_fields = ordered
        self.sorted_field_names = [f.name for f in ordered]
        self.fields = {f.name: f for f in ordered}
        self.columns = {f.column_name: f for f in ordered}
        self.combined = dict(self.columns)
        self.combined.update(self.fields)
        self.defaults = {f: f.default for f in ordered if f.default is not None}
        self._constant_defaults = {f.name: d for f, d in self.defaults.items()
                                   if not callable(d)}
        self._factory_defaults = tuple((f.name, d) for f, d in self.defaults.items()
                                       if callable(d))
        self._plain_names = None
        self._forget_table()

    def plain_field_names(self) -> frozenset:
        """The fields whose descriptor on the class is the plain :class:`FieldAccessor`:
        writing one of them is storing the value and marking it dirty, which the hot paths
        (``Model(**values)``, ``save()``) do without going through the descriptor."""
        names = self._plain_names
        if names is None:
            model = self.model
            names = self._plain_names = frozenset(
                name for name in self.fields
                if type(_class_attribute(model, name)) is FieldAccessor)
        return names

    def set_primary_key(self, name: str, field: Any) -> None:
        self.add_field(name, field)
        self.primary_key, self.composite_key = field, isinstance(field, CompositeKey)
        self.auto_increment = bool(getattr(field, 'auto_increment', False) or field.sequence)

    def get_primary_keys(self) -> tuple:
        key = self.primary_key
        if not key:
            return ()
        if self.composite_key:
            return tuple(self.fields[part] for part in key.field_names)
        return (key,)

    def get_default_dict(self) -> dict:
        """Field name -> default value, with callable defaults called afresh."""
        values = dict(self._constant_defaults)
        for name, factory in self._factory_defaults:
            values[name] = factory()
        return values

    def fields_to_index(self) -> list:
        return fields_to_index(self)

    def add_index(self, *fields: Any, **kwargs: Any) -> None:
        """Add an index: a finished one (``SQL``, ``Index``, ``Model.index(...)``), or fields,
        expressions or field names with ``name=``, ``unique=``, ``where=``, ``using=``."""
        if len(fields) == 1 and isinstance(fields[0], (SQL, Index, ModelIndex)):
            if kwargs:
                raise ValueError('add_index(%s) takes no options (%s) when given a finished '
                                 'index; put them on the index itself'
                                 % (type(fields[0]).__name__, ', '.join(sorted(kwargs))))
            self.indexes.append(fields[0])
            return
        self.indexes.append(ModelIndex(self.model, fields, **kwargs))

    # -- relations -----------------------------------------------------------------------------
    def add_ref(self, field: Any) -> None:
        """Record the foreign key ``field`` (of this model) on both of its ends."""
        target = field.rel_model
        self.refs[field] = target
        self.model_refs.attach(target, field)
        target._meta.backrefs[field] = self.model
        target._meta.model_backrefs.attach(self.model, field)

    def remove_ref(self, field: Any) -> None:
        target = self.refs.pop(field)
        self.model_refs.detach(target, field)
        target._meta.backrefs.pop(field, None)
        target._meta.model_backrefs.detach(self.model, field)

    def add_manytomany(self, field: Any) -> None:
        self.manytomany[field.name] = field

    def remove_manytomany(self, field: Any) -> None:
        self.manytomany.pop(field.name, None)

    def get_rel_for_model(self, model: Any) -> tuple[list, list]:
        """(foreign keys of ours pointing at ``model``, foreign keys of ``model`` pointing
        at us)."""
        model = getattr(model, 'model', model) if isinstance(model, ModelAliasBase) else model
        return list(self.model_refs[model]), list(self.model_backrefs[model])

    def model_graph(self, refs: bool = True, backrefs: bool = True,
                    depth_first: bool = True) -> list:
        """Every model reachable from this one, as ``(foreign key, model, is_backref)``
        triples, starting with ``(None, this model, None)``."""
        if not (refs or backrefs):
            raise ValueError('model_graph() follows refs, backrefs or both; both were off')
        found: list = [(None, self.model, None)]
        visited: set = set()
        pending: list = [self.model]
        while pending:
            current = pending.pop() if depth_first else pending.pop(0)
            if current in visited:
                continue
            visited.add(current)
            meta = current._meta
            edges: list = []
            if refs:
                edges.extend((fk, target, False) for fk, target in meta.refs.items())
            if backrefs:
                edges.extend((fk, source, True) for fk, source in meta.backrefs.items())
            for edge in edges:
                found.append(edge)
                pending.append(edge[1])
        return found


class SubclassAwareMetadata(Metadata):
    """Metadata that keeps a list of every model class built with it (``models``), so that
    something can be done to all of them (``map_models``)."""

    models: list = []

    def __init__(self, model: type, *args: Any, **kwargs: Any) -> None:
        super().__init__(model, *args, **kwargs)
        self.models.append(model)

    def map_models(self, fn: Callable) -> list:
        return [fn(model) for model in self.models]


# -- dependency order ----------------------------------------------------------------------------
def sort_models(models: Iterable) -> list:
    """The models ordered so that each comes after every model it references (through a
    non-deferred foreign key or ``Meta.depends_on``).  Among models free to go next, the
    one whose name sorts first goes first, so the order does not depend on the input's."""
    members = set(models)
    requires: dict = {m: set() for m in members}
    required_by: dict = {m: set() for m in members}
    for model in members:
        meta = model._meta
        needed = [target for fk, target in meta.refs.items() if not fk.deferred]
        needed.extend(meta.depends_on or ())
        for target in needed:
            if target in members and target is not model:
                requires[model].add(target)
                required_by[target].add(model)

    def rank(model: Any) -> tuple:
        return (model._meta.name, model._meta.table_name, id(model))

    ready = [(rank(m), m) for m in members if not requires[m]]
    heapq.heapify(ready)
    ordered: list = []
    while ready:
        _, model = heapq.heappop(ready)
        ordered.append(model)
        for dependant in required_by[model]:
            waiting = requires[dependant]
            waiting.discard(model)
            if not waiting:
                heapq.heappush(ready, (rank(dependant), dependant))
    if len(ordered) < len(members):
        # a cycle: the models caught in it follow in name order
        placed = set(ordered)
        ordered.extend(sorted((m for m in members if m not in placed), key=rank))
    return ordered


seam.register('sort_models', sort_models)


# -- the metaclass ----------------------------------------------------------------------------
class _ClassPlan:
    """What a class body and its bases say about the model to be built."""

    def __init__(self, name: str, bases: tuple, attrs: dict,
                 inheritable: frozenset = INHERITED_OPTIONS) -> None:
        self.name = name
        self.inheritable = inheritable
        meta = attrs.pop('Meta', None)
        self.options = {key: value for key, value in vars(meta).items()
                        if not key.startswith('_')} if meta is not None else {}
        self.declared_pk = self.options.get('primary_key')
        self.parent_pk: Any = None
        self.metadata_class: type = Metadata
        model_bases = [base for base in bases if isinstance(base, ModelBase)]
        #: the root of a model hierarchy (``orm.Model`` itself) gets no automatic key: its
        #: subclasses each get their own
        self.is_root = not model_bases
        for base in model_bases:
            self._inherit_options(base)
        # the first model base decides the inherited primary key
        for base in model_bases:
            if self.parent_pk is None:
                self.parent_pk = base._meta.primary_key
        self._inherit_fields(model_bases, attrs)

    def _inherit_options(self, base: Any) -> None:
        base_meta = base._meta
        options = self.options
        passed_on = self.inheritable | base_meta._additional_keys
        for key in passed_on:
            if key in options or key == 'schema' or key == 'database':
                continue
            if key in vars(base_meta):
                options[key] = vars(base_meta)[key]
        # read through properties: a metadata class may keep these computed
        options.setdefault('database', base_meta.database)
        if base_meta.schema and 'schema' not in options:
            options['schema'] = base_meta.schema
        if 'model_metadata_class' not in options and type(base_meta) is not Metadata:
            options['model_metadata_class'] = type(base_meta)

    def _inherit_fields(self, model_bases: list, attrs: dict) -> None:
        # every field a base has (and any field whose descriptor it still carries after
        # the field was removed from its metadata), except the primary key and what the
        # class body redefines
        for base in model_bases:
            candidates = list(base._meta.sorted_fields)
            candidates.extend(value.field for value in vars(base).values()
                              if isinstance(value, FieldAccessor))
            for field in candidates:
                if not field.primary_key and field.name not in attrs:
                    attrs[field.name] = _copy_field(field)

    def metadata_options(self) -> tuple[type, dict]:
        options = dict(self.options)
        metadata_class = options.pop('model_metadata_class', None) or Metadata
        options.pop('primary_key', None)
        return metadata_class, options


def _copy_field(field: Any) -> Any:
    """A subclass's own copy of an inherited field."""
    if isinstance(field, DeferredForeignKey) and field.is_pending():
        return field.fresh_copy()
    twin = copy.copy(field)
    twin.model = None
    twin.name = None
    if isinstance(field, ForeignKeyField):
        twin.rel_model = 'self' if field.rel_model is field.model else field.rel_model
        twin.backref = None
        declared = field.declared_backref
        if declared and declared not in ('+', '!') and not callable(declared):
            # the subclass's backref gets its own name (a callable names it afresh)
            twin.declared_backref = None
    return twin


def _own_exception(cls: type, bases: tuple) -> type:
    parents = tuple(base.DoesNotExist for base in bases
                    if isinstance(base, ModelBase)) or (DoesNotExist,)
    return type('%sDoesNotExist' % cls.__name__, parents, {'__module__': cls.__module__})


# Not declared with typing.dataclass_transform on purpose: type checkers would then build each
# model's constructor from annotated attributes only and reject ``User(username='a')`` for a
# plain ``username = CharField()``.  ``Model.__init__`` takes the fields as keyword arguments.
class ModelBase(type):
    """The metaclass of models: builds ``_meta`` from the class body, ``Meta`` and bases."""

    inheritable = INHERITED_OPTIONS

    if TYPE_CHECKING:
        # attributes added while the class is built (backrefs, ``<fk>_id``, many-to-many
        # backrefs) are not in the class body: type checkers see them as Any
        def __getattr__(cls, name: str) -> Any: ...

    def __new__(mcs, name: str, bases: tuple, attrs: dict, **kwargs: Any) -> Any:
        plan = _ClassPlan(name, bases, attrs, mcs.inheritable)
        cls: Any = super().__new__(mcs, name, bases, attrs, **kwargs)
        metadata_class, options = plan.metadata_options()
        cls._meta = metadata_class(cls, **options)
        mcs._install_fields(cls, plan)
        cls.DoesNotExist = _own_exception(cls, bases)
        validate = getattr(cls, 'validate_model', None)
        if validate is not None:
            validate()
        DeferredForeignKey.resolve(cls)
        return cls

    @staticmethod
    def _install_fields(cls: Any, plan: _ClassPlan) -> None:
        meta = cls._meta
        declared = [(key, value) for key, value in list(vars(cls).items())
                    if isinstance(value, Field)]
        key_fields = [(key, value) for key, value in declared if value.primary_key]
        pk = plan.declared_pk
        if key_fields and pk is not None:
            raise ValueError('%s names its primary key twice: field %r says primary_key=True '
                             'and Meta.primary_key is %r. Keep one.'
                             % (plan.name, key_fields[0][0], pk))
        if len(key_fields) > 1:
            raise ValueError('%s has more than one primary-key field (%s); use '
                             'Meta.primary_key = CompositeKey(...) for a key of several '
                             'columns' % (plan.name, ', '.join(k for k, _ in key_fields)))
        if key_fields:
            pk_name, pk = key_fields[0]
        elif isinstance(pk, CompositeKey):
            pk_name = '__composite_key__'
        elif pk is False:
            pk_name = None
        elif plan.parent_pk is not None and plan.parent_pk is not False:
            pk_name, pk = plan.parent_pk.name, _copy_field(plan.parent_pk)
        elif plan.parent_pk is False:
            pk_name, pk = None, False
        elif plan.is_root and not declared:
            pk_name, pk = None, None
        else:
            pk_name, pk = 'id', AutoField()
        if pk_name is None:
            meta.primary_key = False if pk is False else None
        else:
            meta.set_primary_key(pk_name, pk)
        for key, value in declared:
            if value is not pk:
                meta.add_field(key, value)
        # indexes passed down by a base index this model's own table
        meta.indexes = [index.retarget(cls) if isinstance(index, ModelIndex) else index
                        for index in meta.indexes]
        if meta.composite_key:
            unknown = [part for part in meta.primary_key.field_names if part not in meta.fields]
            if unknown:
                raise ValueError('%s: the CompositeKey names %s, which the model does not have '
                                 '(its fields: %s)' % (plan.name, ', '.join(map(repr, unknown)),
                                                      ', '.join(meta.sorted_field_names)))

    def __repr__(cls) -> str:
        return '<Model: %s>' % cls.__name__

    def __iter__(cls) -> Iterator:
        return iter(cls.select())

    def __len__(cls) -> int:
        return cls.select().count()

    def __bool__(cls) -> bool:
        return True

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

    def __sql__(cls, ctx: Context) -> Context:
        return ctx.sql(cls._meta.table)


# -- instances ----------------------------------------------------------------------------------
class ModelCore:
    """What a model instance is and can do without running a query: its values, which of
    them changed, its identity.  ``orm.Model`` builds on it.

    An instance keeps three things in its ``__dict__``: ``__data__`` (field name -> value),
    ``__rel__`` (related objects already loaded, by field name) and ``_dirty`` (the names of
    the fields set since the row was last written or read).  A row read from the database
    starts with ``__data__`` alone: the other two are made on first use, since most rows
    are never changed and never follow a relation.
    """

    __data__: dict
    __rel__: dict
    _dirty: set
    _meta: ClassVar[Metadata]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        meta = self._meta
        if kwargs.pop('__no_default__', False):
            data: dict = {}
        else:
            data = meta.get_default_dict()
        dirty = set(data)
        self.__dict__.update({'__data__': data, '__rel__': {}, '_dirty': dirty})
        if kwargs:
            plain = meta._plain_names or meta.plain_field_names()
            for name, value in kwargs.items():
                if name in plain:
                    data[name] = value
                    dirty.add(name)
                else:
                    setattr(self, name, value)      # foreign keys, properties, extras

    def __getattr__(self, name: str) -> Any:
        # only reached for attributes the instance does not have yet
        if name == '_dirty':
            made: Any = set()
        elif name == '__rel__':
            made = {}
        else:
            # a descriptor of the class that refused (``classmethod_only``) says why again
            refused = _class_attribute(type(self), name)
            if refused is not None and hasattr(refused, '__get__'):
                return refused.__get__(self, type(self))
            raise AttributeError('%r object has no attribute %r' % (type(self).__name__, name))
        self.__dict__[name] = made
        return made

    def __str__(self) -> str:
        if self._meta.primary_key is False:
            return 'n/a'
        return str(self.get_id())

    def __repr__(self) -> str:
        return '<%s: %s>' % (type(self).__name__, self)

    def get_id(self) -> Any:
        key = self._meta.primary_key
        if key is False:
            return None
        if self._meta.composite_key:
            return key.__get__(self)
        # (through the key's value attribute: a primary key that is a foreign key gives
        # the related row's key, without loading that row)
        return getattr(self, key.safe_name)

    @property
    def _pk(self) -> Any:
        return self.get_id()

    @_pk.setter
    def _pk(self, value: Any) -> None:
        setattr(self, self._meta.primary_key.name, value)

    def _pk_expr(self) -> Any:
        return self._meta.primary_key == self.get_id()

    def is_dirty(self) -> bool:
        return bool(self._dirty)

    @property
    def dirty_fields(self) -> list:
        changed = self._dirty
        return [field for field in self._meta.sorted_fields if field.name in changed]

    @property
    def dirty_field_names(self) -> list:
        """The names of the fields set since the row was last written or read, in field
        order (test a field with ``name in obj.dirty_field_names``: ``in`` on a list of
        fields would compare them in SQL)."""
        return [field.name for field in self.dirty_fields]

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is not self.__class__:
            return False
        mine = self.get_id()
        return mine is not None and mine == other.get_id()

    def __ne__(self, other: Any) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash((self.__class__, self.get_id()))

    def __sql__(self, ctx: Context) -> Context:
        # an instance in a query stands for its primary key
        meta = self._meta
        if meta.composite_key:
            parts = [Value(value) for value in self.get_id()]
            return ctx.sql(NodeList(parts, ', ', parens=True))
        key = meta.primary_key
        return ctx.sql(Value(getattr(self, key.name), converter=key.db_value))


# -- aliases --------------------------------------------------------------------------------------
class ModelAliasBase(Node):
    """A model under another name, for self-joins (``Parent = Category.alias()``).

    Field attributes come back bound to the alias (a ``FieldAlias``), so conditions name
    the alias's columns; other attributes are the model's.  ``orm.ModelAlias`` adds
    ``select()``.
    """

    def __init__(self, model: type, alias: str | None = None) -> None:
        state = self.__dict__
        state['model'] = model
        state['alias'] = alias
        state['_field_cache'] = {}

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith('__'):
            raise AttributeError(attr)
        cache = self.__dict__['_field_cache']
        if attr in cache:
            return cache[attr]
        model = self.__dict__['model']
        descriptor = _class_attribute(model, attr)
        if isinstance(descriptor, ModelDescriptor):
            return cast(Any, descriptor).__get__(None, self)   # e.g. a hybrid, on the alias
        value = getattr(model, attr)
        if isinstance(value, Field):
            value = cache[attr] = FieldAlias.create(self, value)
        return value

    def __setattr__(self, attr: str, value: Any) -> None:
        raise AttributeError('a model alias is read-only; set %r on %s itself'
                             % (attr, self.model.__name__))

    def get_field_aliases(self) -> list:
        return [getattr(self, name) for name in self.model._meta.sorted_field_names]

    def __call__(self, **kwargs: Any) -> Any:
        return self.model(**kwargs)

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return '<ModelAlias %s%s>' % (self.model.__name__,
                                      ' AS %s' % self.alias if self.alias else '')

    @property
    def _alias(self) -> str | None:
        return self.__dict__['alias']

    def _reference(self, ctx: Context) -> str:
        return ctx.dialect.quote_identifier(self.alias or ctx.alias_manager[self])

    def get_sort_key(self, ctx: Context) -> tuple:
        return (self.alias or ctx.alias_manager[self],)

    def apply_column(self, ctx: Context) -> Context:
        return ctx.literal(self._reference(ctx))

    def __sql__(self, ctx: Context) -> Context:
        if ctx.scope != SCOPE_SOURCE:
            return self.apply_column(ctx)
        table = ctx.dialect.quote_path(self.model._meta.table._path)
        return ctx.literal('%s AS %s' % (table, self._reference(ctx)))


def _class_attribute(model: type, attr: str) -> Any:
    """The raw attribute ``attr`` of ``model`` or its bases, before descriptors run."""
    for klass in model.__mro__:
        if attr in vars(klass):
            return vars(klass)[attr]
    return None

