"""Relations between models: foreign keys, backrefs and many-to-many fields."""
from __future__ import annotations

from typing import Any

from .fields import (AutoField, BigAutoField, Field, FieldAccessor, IntegerField,
                     BigIntegerField, MetaField, ObjectIdAccessor)
from .sql.context import Context
from .sql.nodes import SQL, Entity, NodeList

__all__ = ['ForeignKeyField', 'ForeignKeyAccessor', 'BackrefAccessor', 'DeferredForeignKey',
           'ManyToManyField', 'ManyToManyFieldAccessor', 'DeferredThroughModel']


def _is_model_instance(obj: Any) -> bool:
    return hasattr(obj, '_meta') and not isinstance(obj, type) and hasattr(obj, '__data__')


class ForeignKeyAccessor(FieldAccessor):
    """``tweet.user``: the related object, loaded on first access (one query) and cached."""

    def __init__(self, model: type, field: 'ForeignKeyField', name: str) -> None:
        super().__init__(model, field, name)
        self.rel_model = field.rel_model

    def get_rel_instance(self, instance: Any) -> Any:
        value = instance.__data__.get(self.name)
        if value is not None or self.name in instance.__rel__:
            if self.name not in instance.__rel__ and self.field.lazy_load:
                obj = self.rel_model.get(self.field.rel_field == value)
                instance.__rel__[self.name] = obj
            return instance.__rel__.get(self.name, value)
        if not self.field.null and self.field.lazy_load:
            raise self.rel_model.DoesNotExist(
                '%s.%s is not set: the instance has no related %s'
                % (self.model.__name__, self.name, self.rel_model.__name__))
        return value

    def __get__(self, instance: Any, instance_type: type | None = None) -> Any:
        if instance is not None:
            rel = instance.__rel__
            if self.name in rel:           # loaded by a join or an earlier access
                return rel[self.name]
            return self.get_rel_instance(instance)
        return self.field

    def __set__(self, instance: Any, obj: Any) -> None:
        if _is_model_instance(obj):
            instance.__data__[self.name] = getattr(obj, self.field.rel_field.name)
            instance.__rel__[self.name] = obj
        else:
            fk_value = instance.__data__.get(self.name)
            instance.__data__[self.name] = obj
            if (obj != fk_value or obj is None) and self.name in instance.__rel__:
                del instance.__rel__[self.name]
        instance._dirty.add(self.name)


class BackrefAccessor:
    """``user.tweets``: a query of the objects whose foreign key points at this one."""

    def __init__(self, field: 'ForeignKeyField') -> None:
        self.field = field
        self.model = field.rel_model
        self.rel_model = field.model

    def __get__(self, instance: Any, instance_type: type | None = None) -> Any:
        if instance is not None:
            dest = self.field.rel_field.name
            return (self.rel_model.select()
                    .where(self.field == getattr(instance, dest)))
        return self


class ForeignKeyField(Field):
    """A reference to another model's row (by default its primary key)."""

    accessor_class = ForeignKeyAccessor
    backref_accessor_class = BackrefAccessor

    def __init__(self, model: Any, field: Any = None, backref: str | None = None,
                 on_delete: str | None = None, on_update: str | None = None,
                 deferrable: str | None = None, _deferred: Any = None,
                 rel_model: Any = None, to_field: Any = None,
                 object_id_name: str | None = None, lazy_load: bool = True,
                 constraint_name: str | None = None, related_name: str | None = None,
                 *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault('index', True)
        super().__init__(*args, **kwargs)
        if rel_model is not None:
            model = rel_model
        if to_field is not None:
            field = to_field
        if related_name is not None:
            backref = related_name
        if not (model == 'self' or isinstance(model, type) or isinstance(model, str)):
            raise TypeError('ForeignKeyField needs a model class or "self", got %r' % (model,))
        self.rel_model = model
        self.rel_field = field
        self.declared_backref = backref
        self.backref = None
        self.on_delete = on_delete
        self.on_update = on_update
        self.deferrable = deferrable
        self.deferred = _deferred
        self.object_id_name = object_id_name
        self.lazy_load = lazy_load
        self.constraint_name = constraint_name

    @property
    def field_type(self) -> str:  # type: ignore[override]
        if not isinstance(self.rel_field, AutoField):
            return self.rel_field.field_type
        if isinstance(self.rel_field, BigAutoField):
            return BigIntegerField.field_type
        return IntegerField.field_type

    def get_modifiers(self) -> list | None:
        if not isinstance(self.rel_field, AutoField):
            return self.rel_field.get_modifiers()
        return super().get_modifiers()

    def ddl_datatype(self, ctx: Context) -> SQL:
        if isinstance(self.rel_field, AutoField):
            return SQL(ctx.dialect.field_types[self.field_type])
        return self.rel_field.ddl_datatype(ctx)

    def adapt(self, value: Any) -> Any:
        return self.rel_field.adapt(value)

    def db_value(self, value: Any) -> Any:
        if _is_model_instance(value):
            value = getattr(value, self.rel_field.name)
        return self.rel_field.db_value(value)

    def python_value(self, value: Any) -> Any:
        if _is_model_instance(value):
            return value
        return self.rel_field.python_value(value)

    def row_converter(self, dialect: Any) -> Any:
        # values read from the database are keys: convert them as the referenced field does
        return self.rel_field.row_converter(dialect)

    def bind(self, model: type, name: str, set_attribute: bool = True) -> None:
        if not self.column_name:
            self.column_name = name if name.endswith('_id') else name + '_id'
        if not self.object_id_name:
            self.object_id_name = self.column_name
            if self.object_id_name == name:
                self.object_id_name += '_id'
        elif not isinstance(self.object_id_name, str):
            raise ValueError('object_id_name must be a string')
        if self.object_id_name == name:
            raise ValueError('ForeignKeyField "%s"."%s" needs an object_id_name different '
                             'from the field name' % (model.__name__, name))
        if self.rel_model == 'self':
            self.rel_model = model
        elif isinstance(self.rel_model, str):
            raise TypeError(
                '%s.%s: ForeignKeyField(%r) names a model by string, which only works for '
                '"self"; pass the model class, or use DeferredForeignKey(%r) for a model '
                'declared later' % (model.__name__, name, self.rel_model, self.rel_model))
        if isinstance(self.rel_field, str):
            target = self.rel_model._meta.combined.get(self.rel_field)
            if target is None:
                raise ValueError('%s.%s: %s has no field %r to refer to; its fields are: %s'
                                 % (model.__name__, name, self.rel_model.__name__,
                                    self.rel_field,
                                    ', '.join(self.rel_model._meta.sorted_field_names)))
            self.rel_field = target
        elif self.rel_field is None:
            self.rel_field = self.rel_model._meta.primary_key
            if self.rel_field is None or self.rel_field is False:
                raise ValueError('%s has no primary key for %s.%s to refer to; pass field='
                                 % (self.rel_model.__name__, model.__name__, name))
        if self.on_delete is not None:
            self.on_delete = _check_action(self.on_delete, 'on_delete')
        if self.on_update is not None:
            self.on_update = _check_action(self.on_update, 'on_update')

        super().bind(model, name, set_attribute)
        self.safe_name = self.object_id_name

        if callable(self.declared_backref):
            self.backref = self.declared_backref(self)
        else:
            self.backref = self.declared_backref or '%s_set' % model._meta.name

        if set_attribute:
            setattr(model, self.object_id_name, ObjectIdAccessor(self))
            if self.backref not in '!+':
                setattr(self.rel_model, self.backref, self.backref_accessor_class(self))

    def get_constraint_name(self) -> str:
        """The name of the constraint ``SchemaManager.create_foreign_key()`` adds."""
        return self.constraint_name or 'fk_%s_%s_refs_%s' % (
            self.model._meta.table_name, self.column_name, self.rel_model._meta.table_name)

    def foreign_key_constraint(self, ctx: Context | None = None) -> NodeList:
        parts: list = []
        if self.constraint_name:
            parts.extend((SQL('CONSTRAINT'), Entity(self.constraint_name)))
        rel_meta = self.rel_model._meta
        if ctx is not None and not ctx.dialect.references_schema_prefix:
            target = Entity(rel_meta.table_name)   # same schema as the referencing table
        else:
            target = rel_meta.table_entity()
        parts.extend([
            SQL('FOREIGN KEY'), NodeList((Entity(self.column_name),), parens=True),
            SQL('REFERENCES'), target,
            NodeList((Entity(self.rel_field.column_name),), parens=True)])
        if self.on_delete:
            parts.append(SQL('ON DELETE %s' % self.on_delete))
        if self.on_update:
            parts.append(SQL('ON UPDATE %s' % self.on_update))
        if self.deferrable:
            parts.append(SQL('DEFERRABLE %s' % _check_deferrable(self.deferrable)))
        return NodeList(parts)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith('__'):
            raise AttributeError(attr)
        rel_model = self.__dict__.get('rel_model')
        if isinstance(rel_model, type) and attr in rel_model._meta.fields:
            return rel_model._meta.fields[attr]
        raise AttributeError('%r has no attribute %s, nor does the related model'
                             % (self, attr))


_ACTIONS = ('CASCADE', 'SET NULL', 'SET DEFAULT', 'RESTRICT', 'NO ACTION')


def _check_action(action: str, what: str) -> str:
    normal = ' '.join(str(action).upper().split())
    if normal not in _ACTIONS:
        raise ValueError('%s must be one of %s, got %r' % (what, ', '.join(_ACTIONS), action))
    return normal


def _check_deferrable(value: str) -> str:
    normal = ' '.join(str(value).upper().split())
    if normal not in ('INITIALLY DEFERRED', 'INITIALLY IMMEDIATE'):
        raise ValueError('deferrable must be "INITIALLY DEFERRED" or "INITIALLY IMMEDIATE"')
    return normal


class DeferredForeignKey(Field):
    """A foreign key to a model declared later; resolved when that model is defined."""

    _unresolved: set = set()

    def __init__(self, rel_model_name: str, **kwargs: Any) -> None:
        self.field_kwargs = kwargs
        self.rel_model_name = rel_model_name.lower()
        DeferredForeignKey._unresolved.add(self)
        super().__init__(column_name=kwargs.get('column_name'), null=kwargs.get('null', False),
                         primary_key=kwargs.get('primary_key', False))

    __hash__ = object.__hash__

    def __deepcopy__(self, memo: Any = None) -> 'DeferredForeignKey':
        return DeferredForeignKey(self.rel_model_name, **self.field_kwargs)

    def set_model(self, rel_model: type) -> None:
        field = ForeignKeyField(rel_model, _deferred=True, **self.field_kwargs)
        if field.primary_key:
            # a deferred primary-key foreign key (rare): bind directly
            self.model._meta.set_primary_key(self.name, field)
        else:
            self.model._meta.add_field(self.name, field)

    @staticmethod
    def resolve(model_cls: type) -> None:
        unresolved = sorted(DeferredForeignKey._unresolved, key=lambda f: f._order)
        for dr in unresolved:
            if dr.rel_model_name == model_cls.__name__.lower() and dr.model is not None:
                dr.set_model(model_cls)
                DeferredForeignKey._unresolved.discard(dr)


class DeferredThroughModel:
    """Stands in for a ManyToManyField's through model until it is declared."""

    def __init__(self) -> None:
        self._refs: list = []

    def set_field(self, model: type, field: 'ManyToManyField', name: str) -> None:
        self._refs.append((model, field, name))

    def set_model(self, through_model: type) -> None:
        for src_model, m2mfield, name in self._refs:
            m2mfield.through_model = through_model
            src_model._meta.add_field(name, m2mfield)


class ManyToManyFieldAccessor(FieldAccessor):
    def __init__(self, model: type, field: 'ManyToManyField', name: str) -> None:
        super().__init__(model, field, name)
        self.model = field.model
        self.rel_model = field.rel_model
        self.through_model = field.through_model
        src_fks = self.through_model._meta.model_refs[self.model]
        dest_fks = self.through_model._meta.model_refs[self.rel_model]
        if not src_fks:
            raise ValueError('through model %s has no foreign key to %s'
                             % (self.through_model.__name__, self.model.__name__))
        if not dest_fks:
            raise ValueError('through model %s has no foreign key to %s'
                             % (self.through_model.__name__, self.rel_model.__name__))
        self.src_fk = src_fks[0]
        self.dest_fk = dest_fks[0]
        if self.model is self.rel_model:
            # self-referential: the through model's first key to the model is the "from"
            # side (the instance owning the field), the second the "to" side; the backref
            # field reads the same rows the other way round
            if len(src_fks) < 2:
                raise ValueError('through model %s of the self-referential many-to-many '
                                 '%s.%s needs two foreign keys to %s'
                                 % (self.through_model.__name__, self.model.__name__, name,
                                    self.model.__name__))
            self.src_fk, self.dest_fk = src_fks[0], src_fks[1]
            if field._is_backref:
                self.src_fk, self.dest_fk = self.dest_fk, self.src_fk

    def __get__(self, instance: Any, instance_type: type | None = None, force_query: bool = False
                ) -> Any:
        if instance is not None:
            if not force_query and self.src_fk.backref != '+':
                backref = getattr(instance, self.src_fk.backref)
                if isinstance(backref, list):    # filled by prefetch()
                    return [getattr(obj, self.dest_fk.name) for obj in backref]
            src_id = getattr(instance, self.src_fk.rel_field.name)
            from .query import ManyToManyModelSelect
            query = (ManyToManyModelSelect(self.rel_model, (self.rel_model,))
                     .join(self.through_model, on=(self.dest_fk.rel_field == self.dest_fk))
                     .where(self.src_fk == src_id))
            query._accessor = self
            query._instance = instance
            return query
        return self.field

    def __set__(self, instance: Any, value: Any) -> None:
        query = self.__get__(instance, force_query=True)
        query.add(value, clear_existing=True)


class ManyToManyField(MetaField):
    """A many-to-many relation through a (generated or given) through model."""

    accessor_class = ManyToManyFieldAccessor

    def __init__(self, model: Any, backref: str | None = None, through_model: Any = None,
                 on_delete: str | None = None, on_update: str | None = None,
                 prevent_unsaved: bool = True, _is_backref: bool = False) -> None:
        if through_model is not None:
            if not (isinstance(through_model, DeferredThroughModel) or
                    (isinstance(through_model, type) and hasattr(through_model, '_meta'))):
                raise TypeError('through_model must be a model class or DeferredThroughModel')
        if not (model == 'self' or isinstance(model, type)):
            raise TypeError('ManyToManyField needs a model class or "self", got %r' % (model,))
        self.rel_model = model
        self.backref = backref
        self._through_model = through_model
        self._on_delete = on_delete
        self._on_update = on_update
        self._prevent_unsaved = prevent_unsaved
        self._is_backref = _is_backref
        super().__init__()

    def bind(self, model: type, name: str, set_attribute: bool = True) -> None:
        if isinstance(self._through_model, DeferredThroughModel):
            self._through_model.set_field(model, self, name)
            return
        self.model = model
        self.name = self.safe_name = name
        if self.rel_model == 'self':
            self.rel_model = model
        model._meta.manytomany[name] = self
        if not self._is_backref:
            backref = self.backref or model._meta.name + 's'
            if backref not in '!+':
                reverse = ManyToManyField(model, backref=name, through_model=self.through_model,
                                          on_delete=self._on_delete, on_update=self._on_update,
                                          _is_backref=True)
                reverse.model = self.rel_model
                reverse.name = backref
                self.rel_model._meta.manytomany[backref] = reverse
                setattr(self.rel_model, backref, reverse.accessor_class(
                    self.rel_model, reverse, backref))
        if set_attribute:
            setattr(model, name, self.accessor_class(model, self, name))

    def get_models(self) -> list:
        return [model for _, model in sorted((
            (self._is_backref, self.model),
            (not self._is_backref, self.rel_model)))]

    @property
    def through_model(self) -> type:
        if self._through_model is None:
            self._through_model = self._create_through_model()
        return self._through_model

    @through_model.setter
    def through_model(self, value: type) -> None:
        self._through_model = value

    def _create_through_model(self) -> type:
        lhs, rhs = self.get_models()
        tables = [model._meta.table_name for model in (lhs, rhs)]
        params = {'on_delete': self._on_delete, 'on_update': self._on_update}
        if lhs is rhs:
            # ManyToManyField('self'): keys from_<name> (the owner) and to_<name>, with no
            # backrefs (both would land on the same model under one name)
            names = ('from_' + lhs._meta.name, 'to_' + lhs._meta.name)
            fks = (ForeignKeyField(lhs, backref='+', **params),
                   ForeignKeyField(rhs, backref='+', **params))
        else:
            names = (lhs._meta.name, rhs._meta.name)
            fks = (ForeignKeyField(lhs, **params), ForeignKeyField(rhs, **params))
        meta_options = {
            'database': self.model._meta.database,
            'schema': self.model._meta.schema,
            'table_name': '%s_%s_through' % tuple(tables),
            'indexes': ((names, True),),
        }
        attrs = {
            names[0]: fks[0],
            names[1]: fks[1],
            'Meta': type('Meta', (object,), meta_options),
        }
        klass_name = '%s%sThrough' % (lhs.__name__, rhs.__name__)
        from .model import Model
        return type(klass_name, (Model,), attrs)

    def get_through_model(self) -> type:
        return self.through_model

    def __sql__(self, ctx: Context) -> Context:
        raise TypeError('%r is a many-to-many relation, not a column; join through %s to '
                        'filter on it' % (self, self.through_model.__name__))

    def ddl(self, ctx: Context) -> NodeList:  # never a column
        raise TypeError('ManyToManyField has no column')
