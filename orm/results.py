"""Row adapters: wrap a DB-API cursor and turn its rows into tuples, dicts, namedtuples or
objects.  Rows are cached as they are read, so a result can be iterated again."""
from __future__ import annotations

import collections
import weakref
from typing import Any, Callable, Iterator, NamedTuple

from .exceptions import UnconvertibleValue
from .fields import Field, FieldAlias
from .modelbase import ModelAliasBase
from .rows import (CursorWrapper, DictCursorWrapper, NamedTupleCursorWrapper,
                   ObjectCursorWrapper, ResultIterator, clean_label, dedupe_names)
from .sql.nodes import Alias, BindTo, Cast, Column, Function, WrappedNode
from .sql.sources import JOIN

__all__ = ['CursorWrapper', 'DictCursorWrapper', 'NamedTupleCursorWrapper',
           'ObjectCursorWrapper', 'ResultIterator', 'BaseModelCursorWrapper']


_PACKAGE = __name__.partition('.')[0]


def is_model_class(obj: Any) -> bool:
    """A model class (duck-typed: a class carrying ``_meta``)."""
    return isinstance(obj, type) and hasattr(obj, '_meta')


def model_behind(obj: Any) -> Any:
    """The model class ``obj`` stands for: itself for a model class, the aliased model for
    a model alias (or a model's subquery); ``None`` for anything else."""
    if isinstance(obj, type):
        return obj if hasattr(obj, '_meta') else None
    inner = getattr(obj, 'model', None)
    if isinstance(inner, ModelAliasBase):            # a query of a model alias
        inner = inner.model
    return inner if is_model_class(inner) else None


_ORIGIN: dict = {}          # function -> defined by orm itself (a cache: functions live long)


def _ours(function: Any) -> bool:
    known = _ORIGIN.get(function)
    if known is None:
        if len(_ORIGIN) > 4096:
            _ORIGIN.clear()
        origin = getattr(function, '__module__', None) or ''
        known = _ORIGIN[function] = origin.partition('.')[0] == _PACKAGE
    return known


def library_default(model: type, attr: str) -> bool:
    """Whether ``model``'s ``attr`` (a method) is orm's own rather than one written by the
    application (or by playhouse) somewhere in its hierarchy: where the function was
    defined says it."""
    method = getattr(model, attr, None)
    return _ours(getattr(method, '__func__', method))


def _has_own_init(model: Any) -> bool:
    """Whether the rows of ``model`` must go through its constructor: some class between
    it and orm's base defines ``__init__`` (``playhouse.signals`` does), and peewee runs
    that ``__init__`` for every row it reads, so we do too."""
    return isinstance(model, type) and not _ours(getattr(model, '__init__'))


def not_found(model: Any, sql: str, params: Any) -> Exception:
    """The ``DoesNotExist`` error of ``model`` for a lookup that matched no row."""
    return model.DoesNotExist('no %s row matches this query\nSQL: %s\nParams: %s'
                              % (model.__name__, sql, params))


#: model's DoesNotExist class -> the class that is both it and UnconvertibleValue
_UNMATCHABLE: 'weakref.WeakKeyDictionary[type, type]' = weakref.WeakKeyDictionary()


def unmatchable(model: Any, error: UnconvertibleValue) -> Exception:
    """The error of a ``get()`` whose conditions hold a value the field cannot convert
    (``get(User.id == 'abc')``): no row can match, so it is ``model.DoesNotExist``, and it
    is also the ``UnconvertibleValue`` (a ``ValueError``) the field raised."""
    missing = model.DoesNotExist
    both = _UNMATCHABLE.get(missing)
    if both is None:
        both = _UNMATCHABLE[missing] = type(
            '%sUnmatchable' % model.__name__, (missing, UnconvertibleValue),
            {'__module__': missing.__module__})
    return both('no %s row can match: %s' % (model.__name__, error))


class Slot(NamedTuple):
    """Where the value of one selected column goes."""

    owner: Any                        # the model, alias or source whose object gets it
    name: str                         # the attribute (or dict key) it is stored under
    convert: Callable | None          # applied to non-NULL values; None: as read
    is_field: bool                    # a field of the owner's model (-> ``__data__``)
    #: a column of a subquery or table: when its name is a field of the model it lands
    #: on, it is read as that field
    by_name: bool = False


def _field_owner(field: Any) -> Any:
    return field.source if isinstance(field, FieldAlias) else field.model


def _forgiving(convert: Callable) -> Callable:
    """``convert`` for a value whose type is only guessed (a function's result read as its
    argument's column): a value it cannot convert is kept as the driver gave it."""
    def guarded(value: Any) -> Any:
        try:
            return convert(value)
        except (TypeError, ValueError):
            return value
    return guarded


def read_back(node: Any, dialect: Any, forced: bool = False) -> Callable | None:
    """The converter for the values selected through ``node`` (``None``: keep them as the
    driver gives them).

    A converter given with ``converter()`` (or ``Function.python_value()``) wins, and
    ``coerce(False)`` anywhere on the way in refuses conversion.  Fields convert as they
    do; aliases and ``bind_to()`` read as what they wrap; a cast is read as what it casts
    only when asked with ``coerce(True)`` (on it or on an alias around it).  A function
    is read as the column that is its first argument, when its result keeps that type
    (not ``COUNT``, ``SUM``...); a value that will not convert is then kept."""
    state = getattr(node, '__dict__', None) or {}
    given = state.get('_read_converter')
    if given is not None:
        return given
    choice = state.get('_coerce_given')
    if choice is False:
        return None
    forced = forced or choice is True
    if isinstance(node, Field):
        return node.row_converter(dialect)
    if isinstance(node, Cast):
        return read_back(node.node, dialect, True) if forced else None
    if isinstance(node, (Alias, BindTo)):
        return read_back(node.node, dialect, forced)
    if isinstance(node, Function):
        if node._python_value is not None:
            return node._python_value
        if not (node._coerce or forced) or not node.arguments:
            return None
        first = node.arguments[0]
        while isinstance(first, WrappedNode):
            first = first.node
        # (the field's full conversion: the result's type is only guessed, so what the
        # driver hands back natively for the column itself proves nothing)
        if isinstance(first, Field) and first._coerce:
            return _forgiving(first.python_value)
        return None
    if not getattr(node, '_coerce', True):
        return None
    return getattr(node, '_converter', None)


def _refused(node: Any) -> bool:
    """Whether ``coerce(False)`` was said of ``node`` or of what it wraps."""
    while True:
        if (getattr(node, '__dict__', None) or {}).get('_coerce_given') is False:
            return True
        if not isinstance(node, WrappedNode):
            return False
        node = node.node


def _slot(node: Any, fallback: Any, label: str, dialect: Any) -> Slot:
    """The slot of one selected ``node`` whose column the driver calls ``label``: a
    field goes to its model's object under its name; an alias keeps the name it gives; a
    column of a subquery or table goes to that source's object; anything else goes to
    ``fallback`` under the driver's label, cleaned of quotes and qualifiers."""
    outer = node
    target = name = None
    while isinstance(node, (Alias, BindTo)):     # the outermost of each says
        if isinstance(node, BindTo):
            target = node.dest if target is None else target
        elif name is None:
            name = node._alias
        node = node.node
    convert = read_back(outer, dialect)
    if isinstance(node, Field):
        if name is None:
            slot = Slot(_field_owner(node), node.name, convert, True)
        else:       # renamed: still read through the field, onto the field's own object
            slot = Slot(_field_owner(node), name, convert, False)
    elif isinstance(node, Column):
        guess = convert is None and not _refused(outer)
        slot = Slot(node.source, name or node.name, convert, False, guess)
    else:                                         # functions, SQL(), subqueries, ...
        slot = Slot(fallback, name or clean_label(label), convert, False)
    return slot if target is None else slot._replace(owner=target)


def _as_field_of(slot: Slot, model: Any, dialect: Any) -> Slot:
    """A column slot named like a field of ``model`` (the model whose object it lands on)
    is read as that field."""
    if slot.by_name and model is not None:
        field = model._meta.fields.get(slot.name)
        if field is not None:
            # (a subquery may have cast it: the full conversion, not the driver's shortcut)
            return slot._replace(convert=field.python_value if field._coerce else None,
                                 is_field=True)
    return slot


def convert_row(row: Any, conversions: Any) -> list:
    """``row`` as a list, each ``(position, converter)`` applied to non-NULL values."""
    values = list(row)
    for position, convert in conversions:
        if values[position] is not None:
            values[position] = convert(values[position])
    return values


# -- generated row builders ------------------------------------------------------------------
_CODE: dict[str, Any] = {}          # source text -> code object: compiled once per shape
_CODE_LIMIT = 512


def generated(lines: list, namespace: dict, name: str = 'build') -> Callable:
    """The function ``name`` defined by the source ``lines``, bound to ``namespace``.

    Callers write identifiers of their own; attribute names reach the text only as
    ``repr()`` literals, and every object through ``namespace``.  The compiled code is
    shared by every caller that writes the same text (one per shape)."""
    text = '\n'.join(lines)
    code = _CODE.get(text)
    if code is None:
        if len(_CODE) >= _CODE_LIMIT:
            _CODE.clear()
        code = _CODE[text] = compile(text, '<orm generated>', 'exec')
    scope = dict(namespace)
    exec(code, scope)
    return scope[name]


class _Writer:
    """Collects the text of one ``build`` function: over a batch of rows (the default) or
    over one row (``single``)."""

    def __init__(self, ncols: int, conversions: Any) -> None:
        self.namespace: dict = {'_setattr': setattr}
        self.body: list = []
        self.values = ['v%d' % i for i in range(ncols)]
        for position, convert in conversions:
            self.namespace['c%d' % position] = convert
            self.line('if v{0} is not None: v{0} = c{0}(v{0})'.format(position))

    def line(self, text: str) -> None:
        self.body.append(text)

    def bind(self, name: str, obj: Any) -> str:
        self.namespace[name] = obj
        return name

    def function(self, result: str, single: bool = False) -> Callable:
        unpack = '%s, ' % ', '.join(self.values) if self.values else '_'
        if single:
            lines = ['def build(row):', '    %s = row' % unpack]
            lines += ['    ' + text for text in self.body]
            lines.append('    return %s' % result)
        else:
            lines = ['def build(rows):', '    out = []', '    push = out.append',
                     '    for %s in rows:' % unpack]
            lines += ['        ' + text for text in self.body]
            lines += ['        push(%s)' % result, '    return out']
        return generated(lines, self.namespace)


def _dict_text(pairs: Any) -> str:
    """A dict display of ``(key, position)`` pairs."""
    return '{%s}' % ', '.join('%r: v%d' % (key, position) for key, position in pairs)


def _via_builder(self: Any, row: Any) -> Any:
    """One row through the batch builder (``iterator()`` reads rows one at a time)."""
    return self._build((row,))[0]


class BaseModelCursorWrapper(DictCursorWrapper):
    """The base of the model-aware adapters: the selected nodes of ``columns`` are matched
    with the cursor's columns (by name against the model's fields for raw SQL).

    After ``initialize()``: ``slots`` (one :class:`Slot` per column), ``keys`` (the name
    per column, each name once: a repeat gets ``_2``, ``_3``...), ``ncols``,
    ``converters`` (per column, ``None`` where the driver already returns the Python
    value) and ``conversions`` (the ``(position, converter)`` pairs that are not
    ``None``).  Rows come out as dicts of converted values; subclasses choose another
    shape by overriding ``_builder``, or per row with ``process_row``.
    """

    #: whether the names of the row are made usable as attributes (dict keys need not be)
    identifiers = False

    def __init__(self, cursor: Any, model: Any, columns: Any) -> None:
        super().__init__(cursor)
        self.model = model
        self.select = columns or ()

    def initialize(self) -> None:
        labels = self.columns
        if self.select and len(self.select) == len(labels):
            slots = [_slot(node, self.model, label, self.dialect)
                     for node, label in zip(self.select, labels)]
        else:
            slots = self._slots_by_name(labels)
        self.slots = self._arrange(slots)
        self.keys = [slot.name for slot in self.slots]
        self.ncols = len(self.slots)
        self.converters = [slot.convert for slot in self.slots]
        self.conversions = [(position, slot.convert)
                            for position, slot in enumerate(self.slots) if slot.convert]
        self._build = self._builder()

    def _arrange(self, slots: list) -> list:
        """Every column on one row: columns named like a field of the query's model read
        as that field, and the names are made unique."""
        model = self._row_model()
        names = dedupe_names([slot.name for slot in slots], self.identifiers)
        return [_as_field_of(slot, model, self.dialect)._replace(name=name)
                for slot, name in zip(slots, names)]

    def _row_model(self) -> Any:
        return model_behind(self.model)

    def _slots_by_name(self, labels: list) -> list:
        """Raw SQL: a column named like one of the model's gets that field's slot."""
        model = model_behind(self.model)
        by_column = model._meta.columns if model is not None else {}
        slots = []
        for label in labels:
            field = by_column.get(label)
            if field is None:
                slots.append(Slot(self.model, label, None, False))
            else:
                slots.append(Slot(self.model, field.name, field.row_converter(self.dialect),
                                  True))
        return slots

    def _writer(self) -> _Writer:
        return _Writer(self.ncols, self.conversions)

    def _builder(self) -> Callable:
        return self._writer().function(_dict_text((k, i) for i, k in enumerate(self.keys)))

    @property
    def fields(self) -> list:
        """The field each column reads (``None`` for other expressions)."""
        if self.select and len(self.select) == len(self.keys):
            found = []
            for node in self.select:
                while isinstance(node, (Alias, BindTo)):
                    node = node.node
                found.append(node if isinstance(node, Field) else None)
            return found
        model = model_behind(self.model)
        by_column = model._meta.columns if model is not None else {}
        return [by_column.get(label) for label in self.columns]

    process_row = _via_builder

    def process_rows(self, rows: list) -> list:
        if type(self).process_row is not _via_builder:
            # a subclass shapes its rows one by one: let it
            return [self.process_row(row) for row in rows]
        return self._build(rows)


class ModelDictCursorWrapper(BaseModelCursorWrapper):
    """Rows as dicts.  When two columns share a name (``Tweet.id`` and ``User.id`` in a
    join), the later ones get a numbered suffix (``id_2``)."""


class ModelTupleCursorWrapper(BaseModelCursorWrapper):
    """Rows as tuples of converted values."""

    def _builder(self) -> Callable:
        if not self.conversions:
            return _plain_tuples
        return self._writer().function('(%s)' % ''.join(
            'v%d, ' % i for i in range(self.ncols)))


def _plain_tuples(rows: Any) -> list:
    return [row if type(row) is tuple else tuple(row) for row in rows]


class ModelNamedTupleCursorWrapper(BaseModelCursorWrapper):
    """Rows as namedtuples whose fields are the column names (renamed where invalid)."""

    identifiers = True

    def _builder(self) -> Callable:
        make_type: Any = collections.namedtuple       # names known only at run time
        row_type = self.tuple_class = make_type('Row', self.keys, rename=True)
        writer = self._writer()
        writer.bind('T', row_type)
        return writer.function('T(%s)' % ', '.join(writer.values))


def _instance_lines(writer: _Writer, var: str, tag: str, model: type, data: str,
                    extras: list, with_rel: bool = False) -> None:
    """Emit the making of one instance of ``model`` in ``var`` from the dict text
    ``data`` (its fields), then ``extras`` (``(name, position)``) set as attributes."""
    own_init = _has_own_init(model)
    writer.bind('M' + tag, model)
    if own_init:
        writer.line('%s = M%s(__no_default__=True)' % (var, tag))
        writer.line('%s.__data__.update(%s)' % (var, data))
    else:
        writer.bind('new' + tag, model.__new__)
        writer.line('%s = new%s(M%s)' % (var, tag, tag))
        # (__rel__ and _dirty are made on first use, see ModelCore; an object that joined
        # objects hang on gets its __rel__ at once)
        extra = ", '__rel__': {}" if with_rel else ''
        writer.line("%s.__dict__ = {'__data__': %s%s}" % (var, data, extra))
    for name, position in extras:
        writer.line('_setattr(%s, %r, v%d)' % (var, name, position))
    if extras or own_init:
        writer.line('%s._dirty.clear()' % var)


def instance_maker(model: type, names: list, converters: list) -> Callable:
    """A function making one instance of ``model`` (whose ``__init__`` is orm's) from one
    row whose columns are the fields ``names``, ``converters`` applied (``None``: none)."""
    conversions = [(i, convert) for i, convert in enumerate(converters) if convert]
    writer = _Writer(len(names), conversions)
    _instance_lines(writer, 'obj', '', model,
                    _dict_text((name, i) for i, name in enumerate(names)), [])
    return writer.function('obj', single=True)


class ModelObjectCursorWrapper(BaseModelCursorWrapper):
    """Every column on one object per row: a model instance when ``constructor`` is a
    model class (fields into ``__data__``, anything else as an attribute), otherwise
    ``constructor(**row)``."""

    identifiers = True

    def __init__(self, cursor: Any, model: Any, columns: Any, constructor: Any) -> None:
        super().__init__(cursor, model, columns)
        self.constructor = constructor
        self.is_model = is_model_class(constructor)

    def _row_model(self) -> Any:
        return self.constructor if self.is_model else model_behind(self.model)

    def _builder(self) -> Callable:
        writer = self._writer()
        target = self.constructor
        if not self.is_model:
            writer.bind('C', target)
            pairs = ((k, i) for i, k in enumerate(self.keys))
            return writer.function('C(**%s)' % _dict_text(pairs))
        if _has_own_init(target):
            # the model's own __init__ runs for every row, given every column
            writer.bind('M', target)
            pairs = ((k, i) for i, k in enumerate(self.keys))
            writer.line('obj = M(__no_default__=True, **%s)' % _dict_text(pairs))
            writer.line('obj._dirty.clear()')
            return writer.function('obj')
        fields = target._meta.fields
        data: list = []
        extras: list = []
        for position, name in enumerate(self.keys):
            # every column lands on this object: one named like a field is its value
            (data if name in fields else extras).append((name, position))
        _instance_lines(writer, 'obj', '', target, _dict_text(data), extras)
        return writer.function('obj')


_OUTER = frozenset((JOIN.LEFT_OUTER, JOIN.RIGHT_OUTER, JOIN.FULL, JOIN.FULL_OUTER,
                    JOIN.LEFT_LATERAL))


def _none_test(positions: list) -> str:
    """Python text true when every one of ``positions`` holds NULL."""
    return ' and '.join('v%d is None' % i for i in positions)


class ModelCursorWrapper(BaseModelCursorWrapper):
    """Rows of a joined query rebuilt into a graph of objects: one object per selected
    source (model instances for models, aliases and model subqueries, dicts for other
    sources), linked as the joins say (``tweet.user.username``).

    A joined source none of whose columns is selected still gets an object (a shell)
    when something selected hangs below it.  The joined side is *missing* from a row
    when every column of it and of what hangs below it is NULL: after an outer join
    the relation then reads ``None`` (without a query).  After an inner join the row
    exists, so its object is built, unless the foreign key whose value was selected can
    load it on first use (an object of NULLs would hide what was not selected)."""

    identifiers = True

    def __init__(self, cursor: Any, model: Any, columns: Any, from_list: Any,
                 joins: dict) -> None:
        super().__init__(cursor, model, columns)
        self.from_list = from_list
        self.joins = joins
        #: what builds the object of each source of a row: a model class, or dict
        self.key_to_constructor: dict = {}

    def _edges(self) -> list:
        """``(source, dest, attr, what builds dest, join type)`` for every join."""
        return [(source, dest, attr, maker, join_type)
                for source, edges in self.joins.items()
                for dest, attr, maker, join_type in edges]

    def _sources(self) -> list:
        """Every source a row can make an object of: the query's model, then each end
        of a join in the order they were joined (by identity: a subquery compared with
        == would build SQL)."""
        sources = [self.model]
        for source, dest, _, _, _ in self._edges():
            for end in (source, dest):
                if not any(known is end for known in sources):
                    sources.append(end)
        return sources

    def _model_of(self, source: Any) -> Any:
        """The model class whose instances a source's objects are (None: dicts)."""
        target = model_behind(source)
        if target is None:
            for _, dest, _, maker, _ in self._edges():
                if dest is source:
                    target = maker
                    break
        return target if is_model_class(target) else None

    def _arrange(self, slots: list) -> list:
        # a column of a source that is not part of the join graph lands on the row's
        # main object; names are made unique per object
        sources = self._sources()
        placed = []
        for slot in slots:
            if not any(known is slot.owner for known in sources):
                slot = slot._replace(owner=self.model, is_field=False)
            placed.append(slot)
        for source in sources:
            model = self._model_of(source)
            mine = [i for i, slot in enumerate(placed) if slot.owner is source]
            names = dedupe_names([placed[i].name for i in mine], model is not None)
            for i, name in zip(mine, names):
                placed[i] = _as_field_of(placed[i], model, self.dialect)._replace(name=name)
        return placed

    def _builder(self) -> Callable:
        writer = self._writer()
        edges = self._edges()
        own: dict = {}                      # id(source) -> positions of its columns
        for position, slot in enumerate(self.slots):
            own.setdefault(id(slot.owner), []).append(position)
        below: dict = {}                    # id(source) -> positions of its subtree

        def subtree(source: Any, seen: frozenset) -> list:
            key = id(source)
            if key not in below:
                found = list(own.get(key, ()))
                for start, dest, _, _, _ in edges:
                    if start is source and id(dest) not in seen:
                        found += subtree(dest, seen | {id(dest)})
                below[key] = found
            return below[key]

        var: dict = {}                      # id(source) -> the variable of its object
        kind: dict = {}                     # id(source) -> model class, or None (dict)
        linked_from = {id(source) for source, _, _, _, _ in edges}
        for source in self._sources():
            if source is not self.model and not subtree(source, frozenset((id(source),))):
                continue                    # nothing of it, or below it, is selected
            number = len(var)
            model = self._model_of(source)
            name = var[id(source)] = 'o%d' % number
            kind[id(source)] = model
            self.key_to_constructor[source] = model or dict
            data, extras = [], []
            for position in own.get(id(source), ()):
                slot = self.slots[position]
                if model is not None and slot.is_field and slot.name in model._meta.fields:
                    data.append((slot.name, position))
                else:
                    extras.append((slot.name, position))
            if model is not None:
                _instance_lines(writer, name, str(number), model, _dict_text(data), extras,
                                with_rel=id(source) in linked_from)
            else:
                writer.line('%s = %s' % (name, _dict_text(data + extras)))
        for source, dest, attr, _, join_type in reversed(edges):
            if id(source) in var and id(dest) in var:
                self._link(writer, var, kind, below[id(dest)], own, source, dest, attr,
                           join_type)
        return writer.function(var[id(self.model)])

    def _fields_of(self, own: dict, source: Any) -> set:
        """The names of the fields a source's object gets from the row."""
        return {self.slots[i].name for i in own.get(id(source), ()) if self.slots[i].is_field}

    def _link(self, writer: _Writer, var: dict, kind: dict, subtree: list, own: dict,
              source: Any, dest: Any, attr: str, join_type: str) -> None:
        """Emit the hanging of ``dest``'s object on ``source``'s under ``attr``."""
        src, obj = var[id(source)], var[id(dest)]
        model, dest_model = kind[id(source)], kind[id(dest)]
        fk = None
        if model is not None:
            field = model._meta.fields.get(attr)
            if field is not None and field in model._meta.refs:
                fk = field
        outer = join_type in _OUTER
        selected = self._fields_of(own, source)
        # after an inner join every row has the joined row.  Only when its columns are
        # all NULL and the foreign key is there to load the row is it left to that (an
        # object of NULLs would hide what was not selected); otherwise it is built.  A
        # selected primary key cannot be NULL: then there is nothing to test.
        certain = not outer and (fk is None or attr not in selected)
        if not outer and dest_model is not None:
            key = dest_model._meta.primary_key
            certain = certain or bool(key) and key.name in self._fields_of(own, dest)
        if fk is not None and attr in selected and certain:
            writer.line('%s.__rel__[%r] = %s' % (src, attr, obj))
            return
        pad = ''
        if outer:
            writer.line('d = None if %s else %s' % (_none_test(subtree), obj))
        elif certain:
            writer.line('d = %s' % obj)
        else:
            writer.line('if not (%s):' % _none_test(subtree))
            writer.line('    d = %s' % obj)
            pad = '    '
        if model is None:
            writer.line('%s%s[%r] = d' % (pad, src, attr))
        elif fk is None:
            writer.line('%s%s.__dict__[%r] = d' % (pad, src, attr))
        else:
            key_name = fk.rel_field.name
            dest_has_key = key_name in self._fields_of(own, dest)
            if outer:
                writer.line('if d is None:')
                writer.line("    %s.__rel__[%r] = None" % (src, attr))
                writer.line('else:')
                pad = '    '
            writer.line('%s%s.__rel__[%r] = d' % (pad, src, attr))
            if attr not in selected:
                # the key from the joined object, when the key column was not selected
                writer.line('%s%s.__data__.setdefault(%r, d.__data__.get(%r))'
                            % (pad, src, attr, key_name))
            elif dest_model is not None and not dest_has_key:
                # a joined object that did not select its key gets it from ours
                writer.line('%sd.__data__.setdefault(%r, %s.__data__[%r])'
                            % (pad, key_name, src, attr))
