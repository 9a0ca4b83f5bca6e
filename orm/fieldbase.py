"""The field machinery: the :class:`Field` base class, the accessors a model class holds,
and the field kinds that are not plain columns.

How a field is built
    Every constructor argument of a field is a class attribute holding its default
    (``Field.null = False``, ``CharField.max_length = 255`` ...).  ``Field.__init__`` is
    the one constructor: it binds the call against the argument names the class declares
    (``_leading`` names a class puts in front of its parent's positional arguments,
    ``_keyword_only`` the ones it accepts by keyword only) and stores on the instance only
    the arguments that were given: class attributes answer for the others.  A class that
    needs to derive something from its options does it in ``_configure()``.  (Field
    classes define no ``__init__`` of their own: a type checker would prefer it to their
    typed ``__new__``, see below.)  Subclasses written in peewee's style, with their own
    ``__init__`` passing ``*args, **kwargs`` on, work unchanged.

How values are converted
    ``db_value()`` (Python to driver) and ``python_value()`` (driver to Python) are the
    public, overridable conversions; both go through ``adapt()`` by default.  Reading rows
    is the hot path, so a row builder asks ``row_converter(dialect)`` once per query:
    ``None`` when the driver already returns this field's Python type on that engine
    (``native_dialects``), else the cheapest callable equal to ``python_value()`` for
    non-NULL values (``_reader()``).  A class that changes ``python_value()`` or
    ``adapt()`` keeps only the shortcuts it declares itself: a subclass converting
    differently from its parent loses the parent's automatically.

How fields are typed
    ``Field`` is generic in its value type and its nullability.  Declared on a model,
    ``username = CharField()`` is a ``CharField[Literal[False]]``: ``User.username`` is the
    field and ``user.username`` a ``str``; with ``null=True`` it is ``str | None``.  At run
    time the model class holds a :class:`FieldAccessor` instead: none of the typing costs
    anything when rows are read or values bound.
"""
from __future__ import annotations

import itertools
from typing import (TYPE_CHECKING, Any, Callable, ClassVar, Generic, Iterable, Literal,
                    cast, overload)

from .proxy import Proxy
from .sql.context import SCOPE_VALUES, Context
from .sql.nodes import SQL, Column, ColumnBase, Entity, Node, NodeList, Value

if TYPE_CHECKING:
    from typing_extensions import Self, TypeVar

    #: the Python type of the field's values
    _T = TypeVar('_T', default=Any)
    #: whether the column accepts NULL: ``Literal[False]``, ``Literal[True]``, or ``bool``
    #: when the call does not tell; unknown (``Any``) in a bare annotation such as
    #: ``-> Field`` or ``name: CharField``, which so accepts a field of either kind
    _N = TypeVar('_N', bound=bool, default=Any)
else:
    from typing import TypeVar

    _T = TypeVar('_T')
    _N = TypeVar('_N', bound=bool)

__all__ = ['Field', 'FieldAccessor', 'ObjectIdAccessor', 'FieldAlias', 'MetaField',
           'VirtualField', 'FieldDatabaseHook']

#: what ``name`` and ``column_name`` hold until the field is bound to a model
_UNBOUND: Any = None

#: fields remember the order they were created in: it is the order of their columns
_creation_order = itertools.count(1)


def _is_model_instance(value: Any) -> bool:
    """Whether ``value`` is a model instance (this layer knows models only by shape)."""
    return not isinstance(value, type) and getattr(type(value), '_meta', None) is not None


# -- accessors --------------------------------------------------------------------------------
class FieldAccessor:
    """What a model class holds under a field's name.

    Read from the class it gives the field (``User.username`` builds queries); read from
    an instance it gives the value in ``instance.__data__``; assigning stores the value
    and marks the field dirty.
    """

    def __init__(self, model: Any, field: Field[Any, Any], name: str) -> None:
        self.model = model
        self.field = field
        self.name = name

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        return self.field if instance is None else instance.__data__.get(self.name)

    def __set__(self, instance: Any, value: Any) -> None:
        key = self.name
        instance.__data__[key] = value
        instance._dirty.add(key)


class ObjectIdAccessor:
    """``tweet.user_id``: the raw value of a foreign key, without loading the related
    row.  When a related instance is held in place of the key, its key is given."""

    def __init__(self, field: Any) -> None:
        self.field = field

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self.field
        held = instance.__data__.get(self.field.name)
        if held is None or not _is_model_instance(held):
            return held
        return getattr(held, self.field.rel_field.name)

    def __set__(self, instance: Any, value: Any) -> None:
        setattr(instance, self.field.name, value)


# -- the base class ---------------------------------------------------------------------------
class Field(ColumnBase, Generic[_T, _N]):
    """One column of a model: its SQL type and options, and how its values convert.

    A field is an SQL expression too: it renders as its table-qualified column, and the
    operators of :class:`ColumnBase` build conditions with it (``User.age > 18``).
    """

    # what a class declares --------------------------------------------------------------------
    #: the column type, looked up in the dialect's ``field_types`` (``'INT'`` -> ``INTEGER``)
    field_type: str = 'DEFAULT'
    #: the descriptor the model class holds for this field
    accessor_class: Any = FieldAccessor
    #: whether the database fills in the value on INSERT (auto-incrementing keys)
    auto_increment: bool = False
    #: the index method used when ``index_type`` is not given (PostgreSQL)
    default_index_type: str | None = None
    #: the engines whose driver already returns this field's Python type (rows need no
    #: conversion there); see ``row_converter``
    native_dialects: ClassVar[tuple[str, ...]] = ('sqlite', 'postgres', 'cockroach')

    # the constructor's arguments, with their defaults -----------------------------------------
    null: bool = False
    index: bool = False
    unique: bool = False
    column_name: str = _UNBOUND
    default: Any = None
    primary_key: bool = False
    constraints: Iterable[Node] | None = None
    sequence: str | None = None
    collation: str | None = None
    unindexed: bool = False
    choices: Any = None
    help_text: str | None = None
    verbose_name: str | None = None
    index_type: str | None = None
    _hidden: bool = False

    #: the positional arguments, in order (a class's ``_leading`` ones come first)
    _positional: ClassVar[tuple[str, ...]] = (
        'null', 'index', 'unique', 'column_name', 'default', 'primary_key', 'constraints',
        'sequence', 'collation', 'unindexed', 'choices', 'help_text', 'verbose_name',
        'index_type', 'db_column', '_hidden')
    #: positional arguments a class adds in front of its parent's
    _leading: ClassVar[tuple[str, ...]] = ()
    #: arguments a class accepts by keyword only
    _keyword_only: ClassVar[tuple[str, ...]] = ()
    #: every argument name the constructor accepts
    _accepted: ClassVar[frozenset[str]] = frozenset(_positional)

    # binding state ------------------------------------------------------------------------------
    model: Any = None
    name: str = _UNBOUND
    safe_name: str = _UNBOUND
    #: whether values selected through this field are converted by it (see ``coerce``)
    _coerce: bool = True
    #: (python_value, adapt) as of the class that last changed them: the conversion that
    #: ``native_dialects`` and ``_reader`` describe
    _vouched: ClassVar[tuple[Any, Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__
        if '_leading' in own:
            cls._positional = cls._leading + cls._positional
        cls._accepted = cls._accepted.union(cls._positional, own.get('_keyword_only', ()))
        conversion = (cls.python_value, cls.adapt)
        if conversion != cls._vouched:
            # this class converts values its own way: of the reading shortcuts, it keeps
            # only those it declares itself (the inherited ones describe its ancestor)
            if 'native_dialects' not in own:
                cls.native_dialects = ()
            if '_reader' not in own:
                cls._reader = Field._reader  # type: ignore[method-assign]
            cls._vouched = conversion

    def __init__(self, *args: Any, **options: Any) -> None:
        if args:
            names = self._positional
            if len(args) > len(names):
                raise TypeError('%s() takes at most %d positional arguments, got %d'
                                % (type(self).__name__, len(names), len(args)))
            for name, value in zip(names, args):
                if name in options:
                    raise TypeError('%s() got %s both by position and by keyword'
                                    % (type(self).__name__, name))
                options[name] = value
        unknown = options.keys() - self._accepted
        if unknown:
            raise TypeError('%s() has no option %s' % (type(self).__name__,
                                                       ', '.join(sorted(unknown))))
        renamed = options.pop('db_column', None)      # peewee 2's spelling
        if renamed is not None:
            options['column_name'] = renamed
        vars(self).update(options)
        self._configure()
        self._order = next(_creation_order)
        # the primary key sorts first, then fields in the order they were declared
        self._sort_key = (not self.primary_key, self._order)

    def _configure(self) -> None:
        """Derive what depends on the options, once they are stored (subclasses extend
        it, calling ``super()._configure()``)."""
        if self.index_type is None and self.default_index_type:
            self.index_type = self.default_index_type

    # fields are dict keys all over the model layer: they hash by identity (== builds SQL)
    __hash__ = ColumnBase.__hash__

    if TYPE_CHECKING:
        # what a type checker sees; at run time the model class holds a FieldAccessor
        @overload
        def __new__(cls, *args: Any, null: Literal[False] = ...,
                    **options: Any) -> Field[Any, Literal[False]]: ...
        @overload
        def __new__(cls, *args: Any, null: Literal[True],
                    **options: Any) -> Field[Any, Literal[True]]: ...
        @overload
        def __new__(cls, *args: Any, null: bool, **options: Any) -> Field[Any, bool]: ...
        def __new__(cls, *args: Any, **options: Any) -> Any: ...

        @overload
        def __get__(self, instance: None, owner: Any) -> Self: ...
        @overload
        def __get__(self: Field[_T, Literal[False]], instance: object, owner: Any) -> _T: ...
        @overload
        def __get__(self: Field[_T, Literal[True]], instance: object,
                    owner: Any) -> _T | None: ...
        @overload
        def __get__(self: Field[_T, bool], instance: object, owner: Any) -> _T | None: ...
        def __get__(self, instance: Any, owner: Any) -> Any: ...

        @overload
        def __set__(self: Field[_T, Literal[False]], instance: object, value: _T) -> None: ...
        @overload
        def __set__(self: Field[_T, Literal[True]], instance: object,
                    value: _T | None) -> None: ...
        @overload
        def __set__(self: Field[_T, bool], instance: object, value: _T | None) -> None: ...
        def __set__(self, instance: Any, value: Any) -> None: ...

    def __repr__(self) -> str:
        owner = getattr(self.model, '__name__', None)
        where = '%s.%s' % (owner, self.name) if owner and self.name else '(unbound)'
        return '<%s: %s>' % (type(self).__name__, where)

    # -- binding ------------------------------------------------------------------------------
    def bind(self, model: Any, name: str, set_attribute: bool = True) -> None:
        """Attach the field to ``model`` as its attribute ``name`` (the column is named
        after it unless ``column_name`` was given)."""
        self.model = model
        self.name = self.safe_name = name
        if not self.column_name:
            self.column_name = name
        if set_attribute:
            setattr(model, name, self.accessor_class(model, self, name))

    @property
    def column(self) -> Column:
        """The :class:`Column` of the field in its model's table."""
        return Column(self.model._meta.table, self.column_name)

    def clone(self) -> Self:
        return cast('Self', super().clone())

    # -- values -------------------------------------------------------------------------------
    def adapt(self, value: Any) -> Any:
        """The value in the field's Python type (both directions use it by default)."""
        return value

    def db_value(self, value: Any) -> Any:
        """``value`` as it is sent to the driver."""
        return None if value is None else self.adapt(value)

    def python_value(self, value: Any) -> Any:
        """A value read from the driver, as the application sees it."""
        return None if value is None else self.adapt(value)

    def get_default(self) -> Any:
        """The default for a new instance (a callable default is called each time)."""
        default = self.default
        if callable(default):
            return default()
        return default

    def to_value(self, value: Any) -> Value:
        """``value`` as a query parameter converted by this field."""
        return Value(value, self.db_value, unpack=False)

    def _value_converter(self) -> Callable[[Any], Any] | None:
        # a value compared with the field goes through db_value()
        return self.db_value

    @property
    def _converter(self) -> Callable[[Any], Any]:  # type: ignore[override]
        return self.python_value

    def coerce(self, _coerce: bool = True) -> Self:
        """The field itself or, with ``coerce(False)``, a copy whose selected values are
        read back exactly as the driver gives them."""
        if bool(_coerce) is self._coerce:
            return self
        copy = self.clone()
        copy._coerce = bool(_coerce)
        return copy

    def row_converter(self, dialect: Any) -> Callable[[Any], Any] | None:
        """The converter a row builder applies to this field's non-NULL values read
        through ``dialect`` (``None``: use them as they come)."""
        if not self._coerce:
            return None
        mine = vars(self)
        if 'python_value' in mine or 'adapt' in mine:
            return self.python_value          # a conversion given to this instance
        if dialect is not None and dialect.name in self.native_dialects:
            return None
        return self._reader()

    def _reader(self) -> Callable[[Any], Any]:
        """A callable equal to ``python_value()`` for non-NULL values (classes give a
        cheaper one where they can)."""
        return self.python_value

    # -- SQL ----------------------------------------------------------------------------------
    def get_sort_key(self, ctx: Context) -> tuple:
        return self._sort_key

    #: the last qualified column text rendered: (dialect, table alias, column, text)
    _rendered: tuple[Any, Any, Any, str] = (None, None, None, '')

    def __sql__(self, ctx: Context) -> Context:
        model = self.model
        if model is None:
            raise TypeError('%r is not bound to a model, so it has no column to render'
                            % self)
        dialect = ctx.dialect
        if ctx.state.scope == SCOPE_VALUES:
            return ctx.literal(dialect.quote_identifier(self.column_name))
        table = model._meta.table
        qualifier = table._alias or ctx.alias_manager.get(table)
        # a field is rendered over and over under the same alias ("t1"."name"): keep the
        # text of the last rendering and reuse it while nothing it depends on changed
        memo = self._rendered
        if memo[1] != qualifier or memo[0] is not dialect or memo[2] is not self.column_name:
            quote = dialect.quote_identifier
            memo = self._rendered = (dialect, qualifier, self.column_name,
                                     quote(qualifier) + '.' + quote(self.column_name))
        return ctx.literal(memo[3])

    def get_modifiers(self) -> list | None:
        """The type's parameters, e.g. ``[max_length]`` for ``VARCHAR(max_length)``."""
        return None

    def ddl_datatype(self, ctx: Context | None) -> SQL:
        """The column type on ``ctx``'s dialect, with its modifiers (``ctx=None``: the
        declared ``field_type``)."""
        declared = self.field_type
        spelled = declared if ctx is None else ctx.dialect.field_types.get(declared, declared)
        modifiers = self.get_modifiers()
        if spelled and modifiers:
            spelled = '%s(%s)' % (spelled, ', '.join(map(str, modifiers)))
        return SQL(spelled)

    def ddl(self, ctx: Context) -> NodeList:
        """The column definition of CREATE TABLE and ADD COLUMN: the name, the type, then
        the constraints the options ask for."""
        datatype = self.ddl_datatype(ctx)
        pieces: list[Any] = [Entity(self.column_name)]
        if datatype is not None and datatype.sql:
            pieces.append(datatype)
        pieces.extend(SQL(word) for word in self._column_keywords(ctx))
        pieces.extend(self.constraints or ())
        if self.collation:
            pieces.append(SQL('COLLATE ' + self.collation))
        return NodeList(pieces)

    def _column_keywords(self, ctx: Context) -> list[str]:
        flags = (('UNINDEXED', self.unindexed), ('NOT NULL', not self.null),
                 ('PRIMARY KEY', self.primary_key))
        words = [word for word, wanted in flags if wanted]
        if self.sequence:
            schema = getattr(getattr(self.model, '_meta', None), 'schema', None)
            target = ctx.dialect.quote_path((schema, self.sequence)) if schema \
                else self.sequence
            words.append("DEFAULT NEXTVAL('%s')" % target.replace("'", "''"))
        return words


Field._vouched = (Field.python_value, Field.adapt)


# -- fields seen through a model alias --------------------------------------------------------
class FieldAlias(Field[Any, Any]):
    """A field reached through a :class:`ModelAlias` (``Author = User.alias();
    Author.username``): it renders against the alias and converts like the field.

    The object is an instance of the field's own class too, so whatever the field offers
    (``DateTimeField.year``, ``JSONField`` paths ...) works on the alias.
    """

    #: the alias class of each field class, built on first use
    _classes: ClassVar[dict[tuple[type, type], type]] = {}

    def __init__(self, source: Any, field: Field[Any, Any]) -> None:
        self.source = source
        self.model = source.model
        self.field = field
        self.name = field.name
        self.column_name = field.column_name

    @classmethod
    def create(cls, source: Any, field: Field[Any, Any]) -> FieldAlias:
        key = (cls, type(field))
        alias_class = FieldAlias._classes.get(key)
        if alias_class is None:
            alias_class = type(key[1].__name__ + 'Alias', key, {})
            FieldAlias._classes[key] = alias_class
        alias = cast(FieldAlias, object.__new__(alias_class))
        vars(alias).update(vars(field))
        FieldAlias.__init__(alias, source, field)
        return alias

    def clone(self) -> Self:
        return cast('Self', FieldAlias.create(self.source, self.field))

    # conversions are the field's own, even when it changes after the alias was made
    def adapt(self, value: Any) -> Any:
        return self.field.adapt(value)

    def db_value(self, value: Any) -> Any:
        return self.field.db_value(value)

    def python_value(self, value: Any) -> Any:
        return self.field.python_value(value)

    def row_converter(self, dialect: Any) -> Callable[[Any], Any] | None:
        return self.field.row_converter(dialect) if self._coerce else None

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.field, attr)

    def __hash__(self) -> int:
        return hash((id(self.source), self.name))

    def __sql__(self, ctx: Context) -> Context:
        if ctx.state.scope == SCOPE_VALUES:
            return ctx.literal(ctx.dialect.quote_identifier(self.column_name))
        return ctx.sql(Column(self.source, self.column_name))


# -- fields that are not columns --------------------------------------------------------------
class MetaField(Field[Any, Any]):
    """A model attribute that lives in the metadata only: it has no column of its own and
    no DDL (``CompositeKey``, ``ManyToManyField``)."""


class VirtualField(Field[Any, Any]):
    """A field without a column of its own (extensions' virtual tables); values convert
    as those of ``field_class`` would."""

    _leading = ('field_class',)
    field_class: Any = None
    field_instance: Field[Any, Any] | None = None

    def _configure(self) -> None:
        super()._configure()
        kind = self.field_class or type(self).field_class
        self.field_instance = kind() if kind is not None else None

    def db_value(self, value: Any) -> Any:
        inner = self.field_instance
        return value if inner is None else inner.db_value(value)

    def python_value(self, value: Any) -> Any:
        inner = self.field_instance
        return value if inner is None else inner.python_value(value)

    def bind(self, model: Any, name: str, set_attribute: bool = True) -> None:
        # the column is always the attribute's name, and the accessor always installed
        self.column_name = name
        super().bind(model, name, True)


# -- fields that depend on their model's database -------------------------------------------------
_NEVER_HOOKED: Any = object()


class FieldDatabaseHook:
    """Mixin for a field whose behaviour depends on the database of its model.

    ``_db_hook(database)`` runs with the database the model is bound to (seen through a
    :class:`DatabaseProxy`; ``None`` when there is none) before the field first works
    with it, and again whenever the model has been bound to another database since.
    ``_check_db_hook()`` brings the field up to date and returns that database.
    """

    _hooked_database: Any = _NEVER_HOOKED

    def _db_hook(self, database: Any) -> None:
        """Adapt the field to ``database`` (``None``: the model has no database)."""

    def bind(self, model: Any, name: str, set_attribute: bool = True) -> None:
        super().bind(model, name, set_attribute)  # type: ignore[misc]
        # Model.bind()/bind_ctx() announce a new database through the metadata's hooks; a
        # DatabaseProxy initialised later is noticed the next time the field is used
        listeners = getattr(getattr(model, '_meta', None), '_db_hooks', None)
        if isinstance(listeners, list):
            listeners.append(self._database_changed)
        self._check_db_hook()

    def _database_changed(self, database: Any) -> None:
        self._check_db_hook()

    def _model_database(self) -> Any:
        meta = getattr(getattr(self, 'model', None), '_meta', None)
        database = getattr(meta, 'database', None)
        if isinstance(database, Proxy):
            database = object.__getattribute__(database, 'obj')
        return database

    def _check_db_hook(self) -> Any:
        database = self._model_database()
        if database is not self._hooked_database:
            self._hooked_database = database
            self._db_hook(database)
        return database
