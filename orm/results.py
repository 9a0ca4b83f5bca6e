"""Row adapters: wrap a DB-API cursor and turn its rows into tuples, dicts, namedtuples or
objects.  Rows are cached as they are read, so a result can be iterated again."""
from __future__ import annotations

import collections
from typing import Any, Callable, Iterator, NamedTuple

from .fields import Field, FieldAlias
from .rows import (CursorWrapper, DictCursorWrapper, NamedTupleCursorWrapper,
                   ObjectCursorWrapper, ResultIterator)
from .sql.nodes import Alias, BindTo, Column
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


class Slot(NamedTuple):
    """Where the value of one selected column goes."""

    owner: Any                        # the model, alias or source whose object gets it
    name: str                         # the attribute (or dict key) it is stored under
    convert: Callable | None          # applied to non-NULL values; None: as read
    is_field: bool                    # a field of the owner's model (-> ``__data__``)


def _field_owner(field: Any) -> Any:
    return field.source if isinstance(field, FieldAlias) else field.model


def _slot(node: Any, fallback: Any, label: str, dialect: Any) -> Slot:
    """The slot of one selected ``node`` whose column the driver calls ``label``."""
    target = None
    if isinstance(node, BindTo):                  # select(...bind_to(Other)): its object
        target, node = node.dest, node.node
    if isinstance(node, Field):
        slot = Slot(_field_owner(node), node.name or label, node.row_converter(dialect), True)
    elif isinstance(node, Alias):
        inner = node.node
        if isinstance(inner, Field):
            # renamed, but still read through the field, onto the field's own object
            slot = Slot(_field_owner(inner), node._alias, inner.row_converter(dialect),
                        False)
        else:
            wanted = getattr(inner, '_coerce', True)
            slot = Slot(fallback, node._alias or label,
                        getattr(inner, '_converter', None) if wanted else None, False)
    elif isinstance(node, Column):
        slot = Slot(node.source, node.name, None, False)
    else:                                         # functions, SQL(), subqueries, ...
        wanted = getattr(node, '_coerce', True)
        slot = Slot(fallback, label, getattr(node, '_converter', None) if wanted else None,
                    False)
    return slot if target is None else slot._replace(owner=target)


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
    per column), ``ncols``, ``converters`` (per column, ``None`` where the driver already
    returns the Python value) and ``conversions`` (the ``(position, converter)`` pairs
    that are not ``None``).  Rows come out as dicts of converted values; subclasses
    choose another shape by overriding ``_builder``, or per row with ``process_row``.
    """

    def __init__(self, cursor: Any, model: Any, columns: Any) -> None:
        super().__init__(cursor)
        self.model = model
        self.select = columns or ()

    def initialize(self) -> None:
        labels = self.columns
        if self.select and len(self.select) == len(labels):
            self.slots = [_slot(node, self.model, label, self.dialect)
                          for node, label in zip(self.select, labels)]
        else:
            self.slots = self._slots_by_name(labels)
        self.keys = [slot.name for slot in self.slots]
        self.ncols = len(self.slots)
        self.converters = [slot.convert for slot in self.slots]
        self.conversions = [(position, slot.convert)
                            for position, slot in enumerate(self.slots) if slot.convert]
        self._build = self._builder()

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
        # a dict per row; a name selected twice keeps its last value, as dict(zip()) does
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
    join), the first one selected keeps it, as in peewee."""

    def _builder(self) -> Callable:
        firsts: dict = {}
        for position, key in enumerate(self.keys):
            firsts.setdefault(key, position)
        return self._writer().function(_dict_text(firsts.items()))


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

    def __init__(self, cursor: Any, model: Any, columns: Any, constructor: Any) -> None:
        super().__init__(cursor, model, columns)
        self.constructor = constructor
        self.is_model = is_model_class(constructor)

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
        data, extras = [], []
        for position, slot in enumerate(self.slots):
            # a field of the model, or a value selected under a field's name for it
            if slot.name in fields and (slot.is_field or slot.owner is target):
                data.append((slot.name, position))
            else:
                extras.append((slot.name, position))
        _instance_lines(writer, 'obj', '', target, _dict_text(data), extras)
        return writer.function('obj')


_OUTER = frozenset((JOIN.LEFT_OUTER, JOIN.RIGHT_OUTER, JOIN.FULL, JOIN.FULL_OUTER,
                    JOIN.LEFT_LATERAL))


class ModelCursorWrapper(BaseModelCursorWrapper):
    """Rows of a joined query rebuilt into a graph of objects: one object per selected
    source (model instances for models, aliases and model subqueries, dicts for other
    sources), linked as the joins say (``tweet.user.username``)."""

    def __init__(self, cursor: Any, model: Any, columns: Any, from_list: Any,
                 joins: dict) -> None:
        super().__init__(cursor, model, columns)
        self.from_list = from_list
        self.joins = joins

    def _owners(self) -> list:
        """Every object a row makes, by identity (a subquery compared with == would build
        SQL), the query's model first unless some column put another first."""
        owners: list = []
        for slot in self.slots:
            if not any(known is slot.owner for known in owners):
                owners.append(slot.owner)
        if not any(known is self.model for known in owners):
            owners.insert(0, self.model)
        return owners

    def _builder(self) -> Callable:
        writer = self._writer()
        made = {dest: maker for edges in self.joins.values() for dest, _, maker, _ in edges}
        var: dict = {}              # id(owner) -> the variable holding its object
        kind: dict = {}             # id(owner) -> model class, or None for a dict
        columns_of: dict = {}       # id(owner) -> positions of its columns
        for number, owner in enumerate(self._owners()):
            target = model_behind(owner) or made.get(owner)
            model = target if is_model_class(target) else None
            name = var[id(owner)] = 'o%d' % number
            kind[id(owner)] = model
            data, extras = [], []
            for position, slot in enumerate(self.slots):
                if slot.owner is not owner:
                    continue
                columns_of.setdefault(id(owner), []).append(position)
                if model is not None and slot.is_field and slot.name in model._meta.fields:
                    data.append((slot.name, position))
                else:
                    extras.append((slot.name, position))
            if model is not None:
                _instance_lines(writer, name, str(number), model, _dict_text(data), extras,
                                with_rel=any(owner is source for source in self.joins))
            else:
                writer.line('%s = %s' % (name, _dict_text(data + extras)))
        for owner, edges in reversed(list(self.joins.items())):
            for dest, attr, _, join_type in reversed(edges):
                if id(owner) in var and id(dest) in var:
                    self._link(writer, var, kind, columns_of, owner, dest, attr, join_type)
        return writer.function(var[id(self.model)])

    def _link(self, writer: _Writer, var: dict, kind: dict, columns_of: dict, owner: Any,
              dest: Any, attr: str, join_type: str) -> None:
        """Emit the hanging of ``dest``'s object on ``owner``'s under ``attr``."""
        src, obj = var[id(owner)], var[id(dest)]
        model = kind[id(owner)]
        fk = None
        if model is not None:
            field = model._meta.fields.get(attr)
            if field is not None and field in model._meta.refs:
                fk = field
        # only an outer join can give a row with nothing on the joined side: all NULL
        maybe_missing = join_type in _OUTER and columns_of.get(id(dest))
        key_selected = fk is not None and any(
            slot.owner is owner and slot.is_field and slot.name == attr
            for slot in self.slots)
        if fk is not None and key_selected and not maybe_missing:
            writer.line('%s.__rel__[%r] = %s' % (src, attr, obj))
            return
        if maybe_missing:
            empty = ' and '.join('v%d is None' % i for i in columns_of[id(dest)])
            writer.line('d = None if %s else %s' % (empty, obj))
        else:
            writer.line('d = %s' % obj)
        if model is None:
            writer.line('%s[%r] = d' % (src, attr))
        elif fk is None:
            writer.line('%s.__dict__[%r] = d' % (src, attr))
        else:
            # the related object, and the key from it when the key column was not selected
            writer.line('if d is not None:')
            writer.line('    %s.__rel__[%r] = d' % (src, attr))
            writer.line('    %s.__data__.setdefault(%r, d.__data__.get(%r))'
                        % (src, attr, fk.rel_field.name))
            writer.line('elif %s.__data__.get(%r) is None:' % (src, attr))
            writer.line('    %s.__rel__[%r] = None' % (src, attr))
