"""Foreign keys: the field that points at another model's row, the descriptors that reach
the related object from either end, and foreign keys to models declared later.

Many-to-many relations need model queries and generated models, so they live higher up,
in ``orm/manytomany.py``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, cast, overload

from .fields import (_N, AutoField, BigAutoField, BigIntegerField, Field, FieldAccessor,
                     IntegerField, ObjectIdAccessor)
from .sql.context import Context
from .sql.nodes import SQL, Entity, NodeList

__all__ = ['ForeignKeyField', 'ForeignKeyAccessor', 'ForeignKeyIdAccessor', 'BackrefAccessor',
           'DeferredForeignKey']

if TYPE_CHECKING:
    from typing_extensions import TypeVar

    #: the related model: on an instance, ``tweet.user`` is one of these
    _M = TypeVar('_M', default=Any)
    _R = TypeVar('_R')
else:
    from typing import TypeVar

    _M = TypeVar('_M')


def _is_instance_of_model(obj: Any) -> bool:
    """A model *instance* (model classes and plain values are not)."""
    return not isinstance(obj, type) and hasattr(obj, '__data__') and hasattr(obj, '_meta')


# -- descriptors --------------------------------------------------------------------------------
class ForeignKeyAccessor(FieldAccessor):
    """``tweet.user``: the related object.  The first read of an unloaded relation runs one
    query and keeps the object in ``tweet.__rel__``; assigning an object or a key value
    updates both the stored key and that cache."""

    field: 'ForeignKeyField'

    def __init__(self, model: Any, field: 'ForeignKeyField', name: str) -> None:
        super().__init__(model, field, name)
        self.rel_model = field.rel_model

    def __get__(self, instance: Any, instance_type: Any = None) -> Any:
        if instance is None:
            return self.field
        loaded = instance.__rel__
        if self.name in loaded:
            return loaded[self.name]
        return self.get_rel_instance(instance)

    def get_rel_instance(self, instance: Any) -> Any:
        """The related object, loading it when it is not in the instance's cache yet."""
        loaded = instance.__rel__
        if self.name in loaded:
            return loaded[self.name]
        field = self.field
        key = instance.__data__.get(self.name)
        if not field.lazy_load:
            return key                   # lazy_load=False: the bare key, never a query
        if key is None:
            if field.null:
                return None
            raise self.rel_model.DoesNotExist(
                '%s.%s is empty, so there is no %s to load: set it to a %s or its key first'
                % (self.model.__name__, self.name, self.rel_model.__name__,
                   self.rel_model.__name__))
        related = loaded[self.name] = self.rel_model.get(field.rel_field == key)
        return related

    def __set__(self, instance: Any, value: Any) -> None:
        if _is_instance_of_model(value):
            self._point_at_object(instance, value)
        else:
            self._point_at_key(instance, value)
        instance._dirty.add(self.name)

    def _point_at_object(self, instance: Any, related: Any) -> None:
        instance.__data__[self.name] = getattr(related, self.field.rel_field.name)
        instance.__rel__[self.name] = related

    def _point_at_key(self, instance: Any, key: Any) -> None:
        instance.__data__[self.name] = key
        loaded = instance.__rel__
        if self.name in loaded:
            # the object held stays only when it is that key's row (a join that found no
            # row holds None: a key assigned now is loaded afresh)
            held = loaded[self.name]
            if key is None or held is None or \
                    held.__data__.get(self.field.rel_field.name) != key:
                del loaded[self.name]


class ForeignKeyIdAccessor(ObjectIdAccessor):
    """``tweet.user_id``: the key alone.  While the key is unset but an object is held
    (assigned before it was saved), the object's key is given once it has one."""

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        key = super().__get__(instance, owner)
        if key is None and instance is not None:
            held = instance.__dict__.get('__rel__', {}).get(self.field.name)
            if held is not None:
                return getattr(held, self.field.rel_field.name)
        return key


class BackrefAccessor:
    """``user.tweets``: a query of the rows whose foreign key points at ``user``.

    ``field`` is the foreign key, ``model`` the model it points at, ``rel_model`` the model
    that declares it."""

    def __init__(self, field: 'ForeignKeyField') -> None:
        self.field = field
        self.model = field.rel_model
        self.rel_model = field.model

    def __get__(self, instance: Any, instance_type: Any = None) -> Any:
        if instance is None:
            return self
        target = getattr(instance, self.field.rel_field.name)
        return self.rel_model.select().where(self.field == target)


# -- the field ------------------------------------------------------------------------------------
_ACTIONS = frozenset(('CASCADE', 'SET NULL', 'SET DEFAULT', 'RESTRICT', 'NO ACTION'))
_DEFERRABLE = frozenset(('INITIALLY DEFERRED', 'INITIALLY IMMEDIATE'))


def _normalise_clause(value: Any, allowed: frozenset, option: str) -> str:
    words = ' '.join(str(value).upper().split())
    if words not in allowed:
        raise ValueError('%s=%r is not a referential action this ORM writes; choose one of %s'
                         % (option, value, ', '.join(sorted(allowed))))
    return words


class _ForeignKey(Field[_M, _N]):
    """The behaviour of :class:`ForeignKeyField` (which adds only its typed signature: a
    type checker reads a class's ``__new__`` overloads only when its ``__init__`` is
    inherited)."""

    accessor_class = ForeignKeyAccessor
    backref_accessor_class = BackrefAccessor

    def __init__(self, model: Any, field: Any = None, backref: Any = None,
                 on_delete: str | None = None, on_update: str | None = None,
                 deferrable: str | None = None, _deferred: Any = None,
                 rel_model: Any = None, to_field: Any = None,
                 object_id_name: str | None = None, lazy_load: bool = True,
                 constraint_name: str | None = None, related_name: str | None = None,
                 *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault('index', True)
        super().__init__(*args, **kwargs)
        # peewee's older spellings (rel_model=, to_field=, related_name=) win when given
        target = model if rel_model is None else rel_model
        if not (target == 'self' or isinstance(target, (type, str))):
            raise TypeError('ForeignKeyField points at a model class (or "self"); got %r'
                            % (target,))
        self.rel_model = target
        self.rel_field = field if to_field is None else to_field
        self.declared_backref = backref if related_name is None else related_name
        self.backref: Any = None
        self.on_delete = on_delete and _normalise_clause(on_delete, _ACTIONS, 'on_delete')
        self.on_update = on_update and _normalise_clause(on_update, _ACTIONS, 'on_update')
        self.deferrable = deferrable and _normalise_clause(deferrable, _DEFERRABLE,
                                                           'deferrable')
        self.deferred = _deferred
        self.object_id_name = object_id_name
        self.lazy_load = lazy_load
        self.constraint_name = constraint_name

    # -- types and values follow the referenced field ------------------------------------------
    def _keeps_counter_type(self) -> bool:
        """An auto-incrementing key is referenced by a plain integer column."""
        return isinstance(self.rel_field, AutoField)

    @property
    def field_type(self) -> str:  # type: ignore[override]
        if not self._keeps_counter_type():
            return self.rel_field.field_type
        wide = isinstance(self.rel_field, BigAutoField)
        return (BigIntegerField if wide else IntegerField).field_type

    def get_modifiers(self) -> list | None:
        if self._keeps_counter_type():
            return super().get_modifiers()
        return self.rel_field.get_modifiers()

    def ddl_datatype(self, ctx: Context | None) -> SQL:
        if not self._keeps_counter_type():
            return self.rel_field.ddl_datatype(ctx)
        name = self.field_type
        return SQL(ctx.dialect.field_types.get(name, name) if ctx is not None else name)

    def adapt(self, value: Any) -> Any:
        return self.rel_field.adapt(value)

    def db_value(self, value: Any) -> Any:
        if _is_instance_of_model(value) and isinstance(value, self.rel_model):
            key = self.rel_field
            # a key that is itself a foreign key is read raw (no query for its object);
            # an instance of another model is left to that key to reduce
            value = value.__data__.get(key.name) if isinstance(key, _ForeignKey) else \
                getattr(value, key.name)
        return self.rel_field.db_value(value)

    def python_value(self, value: Any) -> Any:
        return value if _is_instance_of_model(value) else self.rel_field.python_value(value)

    def row_converter(self, dialect: Any) -> Any:
        # what a row holds here is a key: read it as the referenced field reads its values
        return self.rel_field.row_converter(dialect)

    # -- binding ----------------------------------------------------------------------------------
    def bind(self, model: Any, name: str, set_attribute: bool = True) -> None:
        self._name_columns(model, name)
        self._resolve_target(model, name)
        super().bind(model, name, set_attribute)
        self.safe_name = cast(str, self.object_id_name)
        declared = self.declared_backref
        self.backref = declared(self) if callable(declared) else \
            (declared or model._meta.name + '_set')
        if set_attribute:
            self._install_descriptors(model)

    def _name_columns(self, model: Any, name: str) -> None:
        if not self.column_name:
            self.column_name = name if name.endswith('_id') else '%s_id' % name
        id_name = self.object_id_name
        if id_name is None:
            id_name = self.column_name
            if id_name == name:
                id_name += '_id'
        elif not isinstance(id_name, str):
            raise ValueError('object_id_name must be a string, got %r' % (id_name,))
        if id_name == name:
            raise ValueError('%s.%s: object_id_name %r is the field\'s own name; the key '
                             'needs an attribute of its own' % (model.__name__, name, id_name))
        self.object_id_name = id_name

    def _resolve_target(self, model: Any, name: str) -> None:
        if self.rel_model == 'self':
            self.rel_model = model
        elif isinstance(self.rel_model, str):
            raise TypeError(
                '%s.%s refers to %r by name. Only "self" can be named; pass the class, or '
                'use DeferredForeignKey(%r) when that model is declared further down'
                % (model.__name__, name, self.rel_model, self.rel_model))
        rel_meta = self.rel_model._meta
        wanted = self.rel_field
        if wanted is None:
            wanted = rel_meta.primary_key
            if not wanted:
                raise ValueError('%s.%s: %s has no primary key to point at; name the column '
                                 'with field=' % (model.__name__, name,
                                                  self.rel_model.__name__))
        elif isinstance(wanted, str):
            found = rel_meta.combined.get(wanted)
            if found is None:
                raise ValueError('%s.%s: %s has no field %r (it has: %s)'
                                 % (model.__name__, name, self.rel_model.__name__, wanted,
                                    ', '.join(rel_meta.sorted_field_names)))
            wanted = found
        self.rel_field = wanted

    def _install_descriptors(self, model: Any) -> None:
        placed: list = [(model, self.object_id_name, ForeignKeyIdAccessor(cast(Any, self)))]
        if self.backref not in ('+', '!'):      # '+' and '!' mean: no backref
            placed.append((self.rel_model, self.backref,
                           self.backref_accessor_class(cast(Any, self))))
        for owner, attr, descriptor in placed:
            setattr(owner, attr, descriptor)

    # -- constraints ------------------------------------------------------------------------------
    def get_constraint_name(self) -> str:
        """The name of the constraint that ``SchemaManager.create_foreign_key()`` adds."""
        if self.constraint_name:
            return self.constraint_name
        return 'fk_%s_%s_refs_%s' % (self.model._meta.table_name, self.column_name,
                                     self.rel_model._meta.table_name)

    def foreign_key_constraint(self, ctx: Context | None = None) -> NodeList:
        """``[CONSTRAINT name] FOREIGN KEY (col) REFERENCES table (col) [ON ...]``."""
        rel_meta = self.rel_model._meta
        same_schema = ctx is not None and not ctx.dialect.references_schema_prefix
        referenced = Entity(rel_meta.table_name) if same_schema else rel_meta.table_entity()
        clause: list = []
        if self.constraint_name:
            clause += [SQL('CONSTRAINT'), Entity(self.constraint_name)]
        clause += [SQL('FOREIGN KEY'), NodeList([Entity(self.column_name)], parens=True),
                   SQL('REFERENCES'), referenced,
                   NodeList([Entity(self.rel_field.column_name)], parens=True)]
        for keyword, action in (('ON DELETE', self.on_delete), ('ON UPDATE', self.on_update),
                                ('DEFERRABLE', self.deferrable)):
            if action:
                clause.append(SQL('%s %s' % (keyword, action)))
        return NodeList(clause)

    def __getattr__(self, attr: str) -> Any:
        # Tweet.user.username: the related model's field, for joins written that way
        if attr.startswith('__'):
            raise AttributeError(attr)
        target = self.__dict__.get('rel_model')
        if isinstance(target, type):
            found = cast(Any, target)._meta.fields.get(attr)
            if found is not None:
                return found
        raise AttributeError('%r has no attribute %r (nor has the model it points at)'
                             % (self, attr))


class ForeignKeyField(_ForeignKey[_M, _N]):
    """A column holding the key of a row of another model (by default its primary key).

    ``ForeignKeyField(User, backref='tweets')`` gives ``tweet.user`` (the ``User``),
    ``tweet.user_id`` (the key alone) and ``user.tweets`` (a query of the user's tweets).
    To a type checker ``tweet.user`` is a ``User`` (``User | None`` with ``null=True``).
    """

    if TYPE_CHECKING:
        @overload
        def __new__(cls, model: type[_R], field: Any = ..., backref: Any = ...,
                    *args: Any, null: Literal[False] = ...,
                    **options: Any) -> ForeignKeyField[_R, Literal[False]]: ...
        @overload
        def __new__(cls, model: type[_R], field: Any = ..., backref: Any = ...,
                    *args: Any, null: Literal[True],
                    **options: Any) -> ForeignKeyField[_R, Literal[True]]: ...
        @overload
        def __new__(cls, model: type[_R], field: Any = ..., backref: Any = ...,
                    *args: Any, null: bool, **options: Any) -> ForeignKeyField[_R, bool]: ...
        @overload
        def __new__(cls, model: str, field: Any = ..., backref: Any = ...,
                    *args: Any, **options: Any) -> ForeignKeyField[Any, Any]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...


# -- foreign keys to models declared later ------------------------------------------------------
class DeferredForeignKey(Field):
    """A foreign key to a model that is not declared yet, named by its class name.  It
    becomes a real :class:`ForeignKeyField` when a model of that name is created (or when
    ``DeferredForeignKey.resolve(Model)`` is called).  The table is created without the
    constraint; add it later with ``Model._schema.create_foreign_key(field)``."""

    #: model name (lower case) -> the placeholders waiting for it
    _waiting: dict = {}

    def __init__(self, rel_model_name: str, **kwargs: Any) -> None:
        self.field_kwargs = kwargs
        self.rel_model_name = rel_model_name.lower()
        super().__init__(column_name=kwargs.get('column_name'),
                         null=kwargs.get('null', False),
                         primary_key=kwargs.get('primary_key', False))
        DeferredForeignKey._waiting.setdefault(self.rel_model_name, []).append(self)

    __hash__ = object.__hash__

    def is_pending(self) -> bool:
        return any(f is self for f in self._waiting.get(self.rel_model_name, ()))

    def fresh_copy(self) -> 'DeferredForeignKey':
        """A new placeholder for a subclass, waiting for the same model (with a backref of
        its own unless the backref was disabled)."""
        options = dict(self.field_kwargs)
        if options.get('backref') not in ('+', '!'):
            options.pop('backref', None)
        twin = DeferredForeignKey(self.rel_model_name, **options)
        twin._order, twin._sort_key = self._order, self._sort_key
        return twin

    def __deepcopy__(self, memo: Any = None) -> 'DeferredForeignKey':
        return DeferredForeignKey(self.rel_model_name, **self.field_kwargs)

    def set_model(self, rel_model: Any) -> None:
        """Replace this placeholder on its model by a foreign key to ``rel_model``."""
        real = ForeignKeyField(rel_model, _deferred=True, **self.field_kwargs)
        meta = self.model._meta
        if real.primary_key:
            meta.set_primary_key(self.name, real)
        else:
            meta.add_field(self.name, real)

    @staticmethod
    def resolve(model_cls: Any) -> None:
        """Turn every bound placeholder waiting for ``model_cls`` into a foreign key."""
        waiting = DeferredForeignKey._waiting.get(model_cls.__name__.lower())
        if not waiting:
            return
        ready = sorted((f for f in waiting if f.model is not None), key=lambda f: f._order)
        waiting[:] = [f for f in waiting if f.model is None]
        for placeholder in ready:
            placeholder.set_model(model_cls)

