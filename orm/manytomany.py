"""Many-to-many relations: ``tags = ManyToManyField(Tag, backref='notes')``.

The relation is stored in a *through* model with a foreign key to each side; unless one
is given, it is generated (``NoteTagThrough``, table ``note_tag_through``) the first time
it is needed.  ``note.tags`` is a query of the related rows that can also ``add()``,
``remove()`` and ``clear()`` them.

This module sits above ``orm.model``: it builds models and model queries.
"""
from __future__ import annotations

from typing import Any, cast

from .exceptions import IntegrityError
from .fields import FieldAccessor, MetaField
from .model import Model
from .modelbase import ModelCore, is_model
from .query import ModelSelect
from .relations import ForeignKeyField
from .sql.context import Context
from .sql.nodes import NodeList, Value
from .sql.queries import SelectQuery

__all__ = ['ManyToManyField', 'ManyToManyFieldAccessor', 'ManyToManyQuery',
           'ManyToManyModelSelect', 'DeferredThroughModel', 'UnsavedRelationError']


class DeferredThroughModel:
    """Stands in for a through model that is declared after the field that uses it; call
    ``set_model(TheThroughModel)`` once it exists."""

    def __init__(self) -> None:
        self._waiting: list = []

    def set_field(self, model: Any, field: 'ManyToManyField', name: str) -> None:
        self._waiting.append((model, field, name))

    def set_model(self, through_model: Any) -> None:
        waiting, self._waiting = self._waiting, []
        for owner, field, name in waiting:
            field.through_model = through_model
            owner._meta.add_field(name, field)


class UnsavedRelationError(IntegrityError, ValueError):
    """A row that was never saved was given as the other end of a many-to-many link.  The
    link row would point at nothing, so it is refused before it reaches the database:
    an ``IntegrityError`` (what the database would say of a link to no row) and a
    ``ValueError`` (a bad argument)."""


def _key_of(instance: Any, fk: Any) -> Any:
    """The value of ``instance`` that the through model's foreign key ``fk`` stores (read
    raw: a key that is itself a foreign key does not load its row)."""
    return instance.__data__.get(fk.rel_field.name)


class ManyToManyQuery(ModelSelect):
    """The query ``instance.<many-to-many>`` gives: the related rows, and the methods that
    change which rows are related."""

    _accessor: Any = None
    _instance: Any = None

    def _sides(self) -> tuple[Any, Any, Any]:
        """(through model, foreign key to the instance's side, foreign key to the related
        side)."""
        accessor = self._accessor
        return accessor.through_model, accessor.src_fk, accessor.dest_fk

    def _own_key(self) -> Any:
        _, src_fk, _ = self._sides()
        return _key_of(self._instance, src_fk)

    def _related_keys(self, value: Any) -> list:
        """The keys of the related rows named by ``value`` (instances or keys, one or many)."""
        _, _, dest_fk = self._sides()
        items = list(value) if isinstance(value, (list, tuple, set)) else [value]
        keys = []
        for item in items:
            if isinstance(item, ModelCore):
                key = _key_of(item, dest_fk)
                if key is None:
                    raise UnsavedRelationError(
                        '%r has not been saved, so it has no key to link to: save it first'
                        % (item,))
                item = key
            keys.append(item)
        return keys

    def add(self, value: Any, clear_existing: bool = False) -> None:
        """Relate the instance to ``value``: instances, keys, or a SELECT of related rows."""
        through, src_fk, dest_fk = self._sides()
        if clear_existing:
            self.clear()
        own = self._own_key()
        if own is None:
            raise ValueError('save %r before relating rows to it' % (self._instance,))
        if isinstance(value, SelectQuery):
            constant = Value(own, converter=src_fk.db_value, unpack=False)
            pairs = cast(Any, value).columns(constant, dest_fk.rel_field)
            through.insert_from(fields=[src_fk, dest_fk], query=pairs).execute()
            return
        keys = self._related_keys(value)
        if keys:
            through.insert_many([{src_fk.name: own, dest_fk.name: key} for key in keys]
                                ).execute()

    def remove(self, value: Any) -> int | None:
        """Unrelate the instance from ``value`` (instances, keys or a SELECT); the number
        of links removed (``None`` when ``value`` names no row at all)."""
        through, src_fk, dest_fk = self._sides()
        mine = src_fk == self._own_key()
        if isinstance(value, SelectQuery):
            query: Any = value
            wanted = query.columns(getattr(query.model, dest_fk.rel_field.name))
        else:
            wanted = self._related_keys(value)
            if not wanted:
                return None
        return through._delete_query().where(mine & (dest_fk << wanted)).execute()

    def clear(self) -> int:
        """Unrelate the instance from every row."""
        through, src_fk, _ = self._sides()
        return through._delete_query().where(src_fk == self._own_key()).execute()


#: the name this query class had in orm before it took peewee's
ManyToManyModelSelect = ManyToManyQuery


class ManyToManyFieldAccessor(FieldAccessor):
    """``note.tags``: the related rows of one instance (a list when ``prefetch()`` has
    loaded them); assigning replaces the whole set.  (A model inheriting the relation
    copies the field; building this accessor then fails, as the through model has no
    foreign key to the subclass.)"""

    def __init__(self, model: Any, field: 'ManyToManyField', name: str) -> None:
        super().__init__(model, field, name)
        self.model = field.model
        self.rel_model = field.rel_model
        self.through_model = through = field.through_model
        own_side = list(through._meta.model_refs[self.model])
        other_side = list(through._meta.model_refs[self.rel_model])
        for side, keys in ((self.model, own_side), (self.rel_model, other_side)):
            if not keys:
                raise ValueError('the through model %s of %s.%s has no foreign key to %s'
                                 % (through.__name__, self.model.__name__, name,
                                    side.__name__))
        if self.model is self.rel_model:
            # a relation of a model with itself: the through model's first key to it is the
            # owner's side, the second the other side; the backref reads them the other way
            if len(own_side) < 2:
                raise ValueError('%s.%s relates %s to itself, so its through model %s needs '
                                 'two foreign keys to it' % (self.model.__name__, name,
                                                            self.model.__name__,
                                                            through.__name__))
            first, second = own_side[0], own_side[1]
            self.src_fk, self.dest_fk = (second, first) if field._is_backref else \
                (first, second)
        else:
            self.src_fk, self.dest_fk = own_side[0], other_side[0]

    def __get__(self, instance: Any, instance_type: Any = None, force_query: bool = False
                ) -> Any:
        if instance is None:
            return self.field
        own = _key_of(instance, self.src_fk)
        if own is None and cast(Any, self.field)._prevent_unsaved:
            raise ValueError('%r has not been saved yet, so it has no %s to read or change: '
                             'save it first' % (instance, self.name))
        if not force_query and self.src_fk.backref not in ('+', '!'):
            loaded = getattr(instance, self.src_fk.backref)
            if isinstance(loaded, list):              # filled in by prefetch()
                return [getattr(link, self.dest_fk.name) for link in loaded]
        query: Any = ManyToManyQuery(self.rel_model, (self.rel_model,))
        query = query.join(self.through_model, on=(self.dest_fk.rel_field == self.dest_fk))
        query = query.where(self.src_fk == own)
        query._accessor = self
        query._instance = instance
        return query

    def __set__(self, instance: Any, value: Any) -> None:
        self.__get__(instance, force_query=True).add(value, clear_existing=True)


class ManyToManyField(MetaField):
    """A many-to-many relation with ``model`` (or ``'self'``), stored in ``through_model``
    (generated when not given).  The other model gets ``backref`` (by default the plural
    of this model's name) reading the relation from its side."""

    accessor_class = ManyToManyFieldAccessor

    def __init__(self, model: Any, backref: str | None = None, through_model: Any = None,
                 on_delete: str | None = None, on_update: str | None = None,
                 prevent_unsaved: bool = True, _is_backref: bool = False) -> None:
        if not (model == 'self' or is_model(model)):
            raise TypeError('ManyToManyField relates to a model class (or "self"); got %r'
                            % (model,))
        if through_model is not None and not (
                is_model(through_model) or isinstance(through_model, DeferredThroughModel)):
            raise TypeError('through_model is a model class or a DeferredThroughModel; got %r'
                            % (through_model,))
        if through_model is not None and (on_delete or on_update):
            raise ValueError('on_delete and on_update shape the foreign keys of the through '
                             'model that ManyToManyField generates; with through_model=, '
                             'declare them on that model\'s foreign keys instead')
        super().__init__()
        self.rel_model = model
        self.backref = backref
        self._through_model = through_model
        self._on_delete, self._on_update = on_delete, on_update
        self._prevent_unsaved = prevent_unsaved
        self._is_backref = _is_backref

    def bind(self, model: Any, name: str, set_attribute: bool = True) -> None:
        if isinstance(self._through_model, DeferredThroughModel):
            self._through_model.set_field(model, self, name)   # bound once it is known
            return
        self.model = model
        self.name = self.safe_name = name
        if self.rel_model == 'self':
            self.rel_model = model
        model._meta.add_manytomany(self)
        if not self._is_backref:
            self._bind_reverse(model, name)
        if set_attribute:
            setattr(model, name, self.accessor_class(model, self, name))

    def _bind_reverse(self, model: Any, name: str) -> None:
        """The same relation seen from the related model, under the backref name."""
        backref = self.backref or '%ss' % model._meta.name
        if backref in ('+', '!'):
            return
        other = self.rel_model
        reverse = ManyToManyField(model, backref=name, through_model=self.through_model,
                                  prevent_unsaved=self._prevent_unsaved, _is_backref=True)
        reverse.model, reverse.name, reverse.safe_name = other, backref, backref
        other._meta.add_manytomany(reverse)
        setattr(other, backref, reverse.accessor_class(other, reverse, backref))

    def get_models(self) -> list:
        """[the model that declares the relation, the other one]."""
        pair = [self.model, self.rel_model]
        return pair[::-1] if self._is_backref else pair

    @property
    def through_model(self) -> Any:
        """The model the relation is stored in; generated on first use unless given."""
        given = self._through_model
        return given if given is not None else self._create_through_model()

    @through_model.setter
    def through_model(self, value: Any) -> None:
        self._through_model = value

    def get_through_model(self) -> Any:
        return self.through_model

    def _create_through_model(self) -> type:
        owner, other = self.get_models()
        actions = {'on_delete': self._on_delete, 'on_update': self._on_update}
        if owner is other:
            # a model related to itself: from_<name> is the owner's side, to_<name> the
            # other; neither gets a backref, both would land on the same model
            names = ('from_%s' % owner._meta.name, 'to_%s' % owner._meta.name)
            keys = [ForeignKeyField(owner, backref='+', **actions),
                    ForeignKeyField(other, backref='+', **actions)]
        else:
            names = (owner._meta.name, other._meta.name)
            keys = [ForeignKeyField(owner, **actions), ForeignKeyField(other, **actions)]
        source = self.model._meta
        meta = type('Meta', (), {
            'database': source.database,
            'schema': source.schema,
            'table_name': '%s_%s_through' % (owner._meta.table_name, other._meta.table_name),
            'indexes': ((names, True),),
        })
        body: dict = dict(zip(names, keys))
        body['Meta'] = meta
        generated = type('%s%sThrough' % (owner.__name__, other.__name__), (Model,), body)
        self._through_model = generated
        return generated

    def __sql__(self, ctx: Context) -> Context:
        raise TypeError('%s.%s is a many-to-many relation, not a column: join %s to filter '
                        'on it' % (self.model.__name__, self.name, self.through_model.__name__))

    def ddl(self, ctx: Context) -> NodeList:
        raise TypeError('a many-to-many relation has no column of its own')

