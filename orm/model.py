"""``orm.Model``: the base class of application models, with everything that builds or
runs a query (``select()``, ``create()``, ``save()``, ``delete_instance()``, table DDL).

The class itself is made by :class:`orm.modelbase.ModelBase`; its values, dirty tracking
and identity come from :class:`orm.modelbase.ModelCore`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Iterator, TypeVar, cast

from . import seam, shapes
from .exceptions import DoesNotExist, IntegrityError
from .fields import Field
from .modelbase import ModelAliasBase, ModelBase, ModelCore, classmethod_only, sort_models
from .query import (ModelDelete, ModelInsert, ModelRaw, ModelSelect, ModelUpdate,
                    NoopModelSelect)
from .schema import ModelIndex, SchemaManager
from .sql.nodes import Case, Node
from .sql.queries import chunked

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ['Model', 'ModelAlias']

_T = TypeVar('_T')
_NotFound = DoesNotExist


_REDEFINED: dict = {}     # (model, method name) -> whether the model has its own version
_PLAIN_CREATE: dict = {}  # model -> whether create() may take the direct path


def _redefines(model: Any, name: str) -> bool:
    """Whether ``model`` has its own version of the classmethod ``name`` (save() must then
    go through it rather than through a cached statement).  Remembered per class."""
    known = _REDEFINED.get((model, name))
    if known is None:
        known = _REDEFINED[(model, name)] = \
            getattr(model, name).__func__ is not getattr(Model, name).__func__
    return known


def _bind_models(models: list, database: Any, done: set) -> None:
    """Give each of ``models`` not in ``done`` the database, and add it to ``done``."""
    for model in models:
        if model not in done:
            done.add(model)
            model._meta.set_database(database)


class _SchemaDescriptor:
    """``Model._schema``: the DDL helper of the model (``Meta.schema_manager_class`` swaps
    it, e.g. for SQLite virtual tables)."""

    def __get__(self, instance: Any, owner: Any) -> Any:
        manager = getattr(owner._meta, 'schema_manager_class', None) or SchemaManager
        return manager(owner)


class Model(ModelCore, metaclass=ModelBase):
    """Base class of application models: subclass it and declare fields.

    ``Model.select()`` and friends build queries on the table; an instance is a row, written
    with ``save()`` and removed with ``delete_instance()``.
    """

    _schema: ClassVar[Any] = _SchemaDescriptor()
    DoesNotExist: ClassVar[type[_NotFound]]

    if TYPE_CHECKING:
        #: the automatic primary key (absent when a model declares its own)
        id: Any

        # attributes added when the class is built (backrefs, ``<fk>_id`` accessors) and
        # values set by ``select(expr.alias('name'))`` are not declared: Any to checkers
        def __getattr__(self, name: str) -> Any: ...

    # -- building queries ------------------------------------------------------------------------
    @classmethod
    def validate_model(cls) -> None:
        """Called once the class is built; override to check its declaration."""

    @classmethod
    def alias(cls, alias: str | None = None) -> 'ModelAlias':
        return ModelAlias(cls, alias)

    @classmethod
    def select(cls, *fields: Any) -> ModelSelect[Self]:
        if fields:
            return ModelSelect(cls, fields)
        return ModelSelect(cls, cls._meta.sorted_fields, is_default=True)

    @classmethod
    def _field_for(cls, key: Any, lenient: bool) -> Any:
        """The field a data key names: a field itself, a field or column name, or (for
        keyword arguments, ``lenient``) any attribute that renders as a column.  Another
        SQL node (an array element ``tags[0]`` ...) is taken as the target it names."""
        if isinstance(key, Node):
            return key
        field = cls._meta.combined.get(key)
        if field is not None:
            return field
        if lenient:
            return getattr(cls, key)
        raise ValueError('%s has no field %r; its fields are: %s'
                         % (cls.__name__, key, ', '.join(cls._meta.sorted_field_names)))

    @classmethod
    def _normalize_data(cls, data: Any, kwargs: dict) -> dict:
        """``{field: value}`` from a dict keyed by fields or names and keyword arguments."""
        if data and not isinstance(data, dict):
            if kwargs:
                raise ValueError('pass the values either as one dict or as keyword arguments, '
                                 'not both (got %r and %r)' % (data, kwargs))
            raise ValueError('expected a dict of {field: value}, got %r' % (data,))
        resolved = {cls._field_for(key, False): value for key, value in (data or {}).items()}
        for key, value in kwargs.items():
            resolved[cls._field_for(key, True)] = value
        return resolved

    @classmethod
    def update(cls, __data: Any = None, **update: Any) -> ModelUpdate:
        return ModelUpdate(cls, cls._normalize_data(__data, update))

    @classmethod
    def insert(cls, __data: Any = None, **insert: Any) -> ModelInsert:
        """INSERT one row (a dict of values, or keyword arguments); a list of rows is an
        ``insert_many()``."""
        if isinstance(__data, (list, tuple)) and not insert:
            return cls.insert_many(__data)
        return ModelInsert(cls, cls._normalize_data(__data, insert))

    @classmethod
    def insert_many(cls, rows: Iterable, fields: Iterable | None = None) -> ModelInsert:
        return ModelInsert(cls, insert=rows, columns=fields)

    @classmethod
    def insert_from(cls, query: Any, fields: Iterable) -> ModelInsert:
        columns = [getattr(cls, f) if isinstance(f, str) else f for f in fields]
        return ModelInsert(cls, insert=query, columns=columns)

    @classmethod
    def replace(cls, __data: Any = None, **insert: Any) -> ModelInsert:
        return cast(ModelInsert, cls.insert(__data, **insert).on_conflict('REPLACE'))

    @classmethod
    def replace_many(cls, rows: Iterable, fields: Iterable | None = None) -> ModelInsert:
        return cast(ModelInsert, cls.insert_many(rows=rows, fields=fields).on_conflict('REPLACE'))

    @classmethod
    def raw(cls, sql: str, *params: Any) -> ModelRaw:
        return ModelRaw(cls, sql, params)

    @classmethod
    def _delete_query(cls) -> ModelDelete:
        return ModelDelete(cls)

    delete = classmethod_only(_delete_query.__func__,  # type: ignore[attr-defined]
                              ' To delete this row, call delete_instance().')
    delete.func.__name__ = delete.__name__ = 'delete'

    @classmethod
    def noop(cls) -> NoopModelSelect:
        return NoopModelSelect(cls, ())

    @classmethod
    def filter(cls, *dq_nodes: Any, **filters: Any) -> ModelSelect[Self]:
        return cls.select().filter(*dq_nodes, **filters)

    # -- reading rows ------------------------------------------------------------------------
    @classmethod
    def _lookup(cls, query: tuple, filters: dict) -> ModelSelect[Self]:
        """The SELECT behind ``get()``: the conditions (a lone integer is a primary-key
        value), then the keyword lookups."""
        if len(query) == 1 and isinstance(query[0], int) and not isinstance(query[0], bool):
            query = (cls._meta.primary_key == query[0],)
        selection = cls.select().where(*query) if query else cls.select()
        return selection.filter(**filters) if filters else selection

    @classmethod
    def get(cls, *query: Any, **filters: Any) -> Self:
        """The row matching the conditions (``Model.get(5)`` looks up the primary key);
        ``DoesNotExist`` when there is none."""
        return cls._lookup(query, filters).get()

    @classmethod
    def get_or_none(cls, *query: Any, **filters: Any) -> Self | None:
        try:
            return cls.get(*query, **filters)
        except DoesNotExist:
            return None

    @classmethod
    def get_by_id(cls, pk: Any) -> Self:
        """The row whose primary key is ``pk``: one statement per model, compiled once (a
        model with its own ``select()`` or ``__init__`` takes the query path)."""
        return shapes.get_by_id(cls, pk)

    @classmethod
    def set_by_id(cls, key: Any, value: dict) -> Any:
        if key is None:
            return cls.insert(value).execute()
        return cls.update(value).where(cls._meta.primary_key == key).execute()

    @classmethod
    def delete_by_id(cls, pk: Any) -> int:
        return cls._delete_query().where(cls._meta.primary_key == pk).execute()

    @classmethod
    def get_or_create(cls, **kwargs: Any) -> tuple[Self, bool]:
        """``(row, False)`` for the row matching ``kwargs``, else ``(new row, True)``,
        created with ``kwargs`` plus ``defaults``.  A concurrent insert of the same row
        (an IntegrityError) falls back to reading it."""
        defaults = kwargs.pop('defaults', None) or {}
        conditions = [getattr(cls, name) == value for name, value in kwargs.items()]
        lookup = cls.select().where(*conditions) if conditions else cls.select()
        found = lookup.get_or_none()
        if found is not None:
            return found, False
        values = dict(kwargs, **defaults)
        try:
            with cls._meta.database_required().atomic():
                return cls.create(**values), True
        except IntegrityError as failure:
            found = lookup.get_or_none()
            if found is None:
                raise failure from None
            return found, False

    # -- writing rows ----------------------------------------------------------------------------
    @classmethod
    def create(cls, **query: Any) -> Self:
        """A new row: ``Model(**query)`` saved with an INSERT."""
        meta = cls._meta
        direct = _PLAIN_CREATE.get(cls)
        if direct is None:
            direct = _PLAIN_CREATE[cls] = cls._creates_directly()
        if not (direct and (meta._plain_names or meta.plain_field_names()).issuperset(query)):
            row = cls(**query)
            row.save(force_insert=True)
            return row
        # the direct path: the row's data is the defaults overlaid with ``query``, and it is
        # INSERTed as it is (what the constructor and save() would do, without the detours)
        if meta._factory_defaults:
            data = dict(meta._constant_defaults)
            for name, factory in meta._factory_defaults:
                data[name] = factory()
            data.update(query)
        else:
            data = {**meta._constant_defaults, **query}
        made = cls.__new__(cls)
        made.__dict__ = {'__data__': data}        # __rel__ and _dirty come on first use
        key_field = meta.primary_key
        if key_field is False:
            shapes.insert_row(cls, data)
            return made
        name = key_field.name
        key = data.get(name)
        if key is None and name in data and meta.auto_increment:
            values = dict(data)               # an explicit None key: let the engine pick
            del values[name]
            new_key = shapes.insert_row(cls, values)
        else:
            new_key = shapes.insert_row(cls, data)
        if new_key is not None and (key is None or meta.auto_increment):
            data[name] = new_key
        return made

    @classmethod
    def _creates_directly(cls) -> bool:
        """Whether ``create()`` may skip the constructor and ``save()`` (when every value
        is for a plain field): the model keeps orm's own ``__init__``, ``save()`` and
        ``insert()`` and has a single-column key."""
        return (cls.__init__ is ModelCore.__init__ and cls.save is Model.save and
                not _redefines(cls, 'insert') and not cls._meta.composite_key)

    @classmethod
    def bulk_create(cls, model_list: Iterable, batch_size: int | None = None) -> None:
        """INSERT the (unsaved) instances in batches; with RETURNING the new keys are set
        on them."""
        rows = list(model_list)
        if not rows:
            return
        if batch_size is not None and batch_size < 1:
            raise ValueError('batch_size must be at least 1, got %r' % (batch_size,))
        meta = cls._meta
        database = meta.database_required()
        fields = [f for f in meta.sorted_fields
                  if not (meta.auto_increment and f is meta.primary_key)]
        reads_keys = bool(database.dialect.returning_clause) and \
            meta.primary_key is not False and not meta.composite_key
        for batch in chunked(rows, batch_size or len(rows)):
            for row in batch:
                row._populate_unsaved_relations(row.__data__)
            values = [[row.__data__.get(f.name) for f in fields] for row in batch]
            query = cls.insert_many(values, fields=fields)
            if reads_keys:
                keys = query.returning(meta.primary_key).tuples().execute()
                for row, (key,) in zip(batch, keys):
                    row._pk = key
            else:
                query.execute()
            for row in batch:
                row._dirty.clear()

    @classmethod
    def bulk_update(cls, model_list: Iterable, fields: Iterable,
                    batch_size: int | None = None) -> int:
        """UPDATE ``fields`` of the saved instances, one statement per batch (a CASE on the
        primary key picks each row's value); returns the rows changed."""
        rows = list(model_list)
        if not rows:
            return 0
        meta = cls._meta
        key = meta.primary_key
        if key is None or key is False or meta.composite_key:
            raise ValueError('bulk_update() needs a model whose primary key is one column')
        targets = [meta.combined[f] if isinstance(f, str) else f for f in fields]
        if not targets:
            raise ValueError('bulk_update() needs the fields to write')
        changed = 0
        for batch in chunked(rows, batch_size or len(rows)):
            keys = [row.get_id() for row in batch]
            if None in keys:
                raise ValueError('bulk_update() was given an instance that was never saved '
                                 '(it has no primary key)')
            assignments = {}
            for field in targets:
                branches = []
                for row, row_key in zip(batch, keys):
                    value = row.__data__.get(field.name)
                    branches.append((key.to_value(row_key),
                                     value if isinstance(value, Node) else
                                     field.to_value(value)))
                assignments[field] = Case(key, branches)
            changed += cls.update(assignments).where(key.in_(keys)).execute()
            names = {field.name for field in targets}
            for row in batch:
                row._dirty -= names
        return changed

    def _prune_fields(self, field_dict: dict, only: Iterable) -> dict:
        """The entries of ``field_dict`` for the fields (or names) in ``only``, in that
        order."""
        combined = self._meta.combined
        names = [(combined[f] if isinstance(f, str) else f).name for f in only]
        return {name: field_dict[name] for name in names if name in field_dict}

    def _populate_unsaved_relations(self, field_dict: dict) -> None:
        """A related object that was assigned before it had a key has one now: copy it."""
        loaded = self.__rel__
        for fk in self._meta.refs:
            name = fk.name
            related = loaded.get(name)
            if related is None or name not in field_dict or field_dict[name] is not None:
                continue
            setattr(self, name, related)
            field_dict[name] = self.__data__[name]

    def save(self, force_insert: bool = False, only: Iterable | None = None) -> Any:
        """Write the row: an UPDATE when it has a primary key (unless ``force_insert``),
        else an INSERT.  ``only`` limits the columns written.  Returns the number of rows
        written (``False`` when ``only_save_dirty`` finds nothing to write)."""
        meta = self._meta
        if only is not None or (meta.only_save_dirty and not force_insert):
            return self._save_selected(force_insert, only)
        values = dict(self.__data__)
        if meta.refs:
            self._populate_unsaved_relations(values)
        rows = self._write(values, force_insert)
        self._dirty.clear()
        return rows

    def _save_selected(self, force_insert: bool, only: Iterable | None) -> Any:
        """save() of some fields: those named by ``only``, else the dirty ones."""
        meta = self._meta
        if only is not None:
            values = self._prune_fields(self.__data__, only)
        else:
            values = self._prune_fields(self.__data__, self.dirty_fields)
            if not values:
                self._dirty.clear()
                return False
        if meta.refs:
            self._populate_unsaved_relations(values)
        written = set(values)
        rows = self._write(values, force_insert)
        if only is None:
            self._dirty.clear()
        else:
            # the fields left out keep their pending changes
            self._dirty -= written
            if meta.primary_key is not False and not meta.composite_key:
                self._dirty.discard(meta.primary_key.name)
        return rows

    def _write(self, values: dict, force_insert: bool) -> Any:
        """UPDATE or INSERT ``values`` (field name -> value) as save() decided."""
        key_field = self._meta.primary_key
        if key_field is False:
            return self._insert_row(values, None, False)
        name = key_field.name
        if name in self._meta.plain_field_names():
            key = self.__data__.get(name)
        else:
            key = self.get_id()       # a composite key, or a foreign key as primary key
        if key is not None and not force_insert:
            return self._update_row(values, key)
        return self._insert_row(values, key, True)

    def _update_row(self, values: dict, key: Any) -> int:
        meta = self._meta
        key_names = meta.primary_key.field_names if meta.composite_key else \
            (meta.primary_key.name,)
        for name in key_names:
            values.pop(name, None)
        if not values:
            raise ValueError('nothing to save for %r: no field besides its primary key is set'
                             % self)
        model = type(self)
        if _redefines(model, 'update'):
            return model.update(**values).where(self._pk_expr()).execute()
        return shapes.update_row(model, values, key)

    def _insert_row(self, values: dict, key: Any, keyed: bool) -> int:
        meta = self._meta
        model = type(self)
        if meta.auto_increment and key is None:
            values.pop(meta.primary_key.name, None)
        if _redefines(model, 'insert'):
            new_key = model.insert(**values).execute()
        else:
            new_key = shapes.insert_row(model, values)
        if keyed and new_key is not None and (meta.auto_increment or key is None):
            name = meta.primary_key.name
            if name in meta.plain_field_names():
                self.__data__[name] = new_key       # (save() clears the dirty set next)
            else:
                self._pk = new_key
        return 1

    # -- deleting rows ---------------------------------------------------------------------------
    def dependencies(self, search_nullable: bool = True, exclude_null_children: bool = False
                     ) -> Iterator:
        """``(condition, foreign key)`` for each set of rows that refer to this row, directly
        or through other rows, the most distant first (the order they can be deleted in).

        ``search_nullable=False`` leaves out rows that refer through a nullable key.
        ``exclude_null_children``: rows that refer through a nullable key are listed, but
        what refers to *them* is not (``delete_instance`` only sets such keys to NULL, so
        those rows stay).
        """
        origin = type(self)
        found: dict = {}
        expanded: set = set()
        pending: list = [(origin, None)]          # (model, query of its affected keys)
        while pending:
            model, affected = pending.pop()
            if model not in expanded:
                expanded.add(model)
                pending.extend(self._collect_referrers(model, affected, found,
                                                       search_nullable, exclude_null_children))
        for model in reversed(sort_models(found)):
            yield from found[model]

    def _collect_referrers(self, model: Any, affected: Any, found: dict,
                           search_nullable: bool, unlink_nullable: bool) -> list:
        """Record in ``found`` the rows referring to ``model``'s affected rows (this row
        itself when ``affected`` is None); return the models to look at next, each with the
        query of its own affected keys."""
        follow = []
        for fk, referrer in model._meta.backrefs.items():
            if fk.null and not search_nullable:
                continue
            direct = affected is None or referrer is type(self)
            condition = (fk == self.__data__[fk.rel_field.name]) if direct else \
                (fk << affected)
            found.setdefault(referrer, []).append((condition, fk))
            if not (fk.null and unlink_nullable):      # unlinked rows keep what refers to them
                follow.append((referrer, referrer.select(referrer._meta.primary_key)
                               .where(condition)))
        return follow

    def delete_instance(self, recursive: bool = False, delete_nullable: bool = False) -> int:
        """DELETE this row; ``recursive`` first deletes (or, for nullable keys unless
        ``delete_nullable``, unlinks) the rows that refer to it."""
        model = type(self)
        if self._meta.primary_key is False:
            raise ValueError('%s has no primary key, so delete_instance() cannot tell which row '
                             'is this one; use %s.delete().where(...)'
                             % (model.__name__, model.__name__))
        if recursive:
            for condition, fk in self.dependencies(exclude_null_children=not delete_nullable):
                if fk.null and not delete_nullable:
                    fk.model.update({fk: None}).where(condition).execute()
                else:
                    fk.model._delete_query().where(condition).execute()
        return model._delete_query().where(self._pk_expr()).execute()

    # -- databases and tables ----------------------------------------------------------------------
    @classmethod
    def bind(cls, database: Any, bind_refs: bool = True, bind_backrefs: bool = True,
             _exclude: set | None = None) -> bool:
        """Use ``database`` for this model (and, by default, the models related to it);
        returns whether that changed this model's database."""
        previous = cls._meta.database
        cls._meta.set_database(database)
        if bind_refs or bind_backrefs:
            graph = cls._meta.model_graph(refs=bind_refs, backrefs=bind_backrefs)
            _bind_models([entry[1] for entry in graph], database,
                         set() if _exclude is None else _exclude)
        return previous is not database

    @classmethod
    def bind_ctx(cls, database: Any, bind_refs: bool = True, bind_backrefs: bool = True
                 ) -> Any:
        return database.bind_ctx([cls], bind_refs, bind_backrefs)

    @classmethod
    def table_exists(cls) -> bool:
        meta = cls._meta
        return cls._schema.database.table_exists(meta.table_name, meta.schema)

    @classmethod
    def create_table(cls, safe: bool = True, **options: Any) -> None:
        safe = options.pop('fail_silently', safe)
        manager = cls._schema
        if safe and not manager.database.safe_create_index and cls.table_exists():
            return          # no IF NOT EXISTS for the indexes: nothing to do at all
        if cls._meta.temporary:
            options.setdefault('temporary', True)
        manager.create_all(safe, **options)

    @classmethod
    def drop_table(cls, safe: bool = True, drop_sequences: bool = True, **options: Any) -> None:
        manager = cls._schema
        if safe and not manager.database.safe_drop_index and not cls.table_exists():
            return
        if cls._meta.temporary:
            options.setdefault('temporary', True)
        manager.drop_all(safe, drop_sequences, **options)

    @classmethod
    def truncate_table(cls, **options: Any) -> None:
        cls._schema.truncate_table(**options)

    @classmethod
    def index(cls, *fields: Any, **kwargs: Any) -> ModelIndex:
        return ModelIndex(cls, fields, **kwargs)

    @classmethod
    def add_index(cls, *fields: Any, **kwargs: Any) -> None:
        cls._meta.add_index(*fields, **kwargs)


class ModelAlias(ModelAliasBase):
    """A model under another name, for joining a model to itself:
    ``Parent = Category.alias('parent')``."""

    def select(self, *selection: Any) -> ModelSelect:
        return ModelSelect(self, selection or self.get_field_aliases())


seam.register('model_base', Model)
