"""Row adapters: wrap a DB-API cursor and turn its rows into tuples, dicts, namedtuples or
objects.  Rows are cached as they are read, so a result can be iterated again."""
from __future__ import annotations

import collections
from typing import Any, Callable

from .rows import (CursorWrapper, DictCursorWrapper, NamedTupleCursorWrapper,
                   ObjectCursorWrapper, ResultIterator)

__all__ = ['CursorWrapper', 'DictCursorWrapper', 'NamedTupleCursorWrapper',
           'ObjectCursorWrapper', 'ResultIterator', 'BaseModelCursorWrapper']


# -- model rows ----------------------------------------------------------------------------
def _column_info(node: Any, default_source: Any, description_name: str,
                 dialect: Any = None) -> tuple:
    """(source key, attribute name, converter or None, is a field) for one selected node."""
    from .fields import Field, FieldAlias
    from .sql.nodes import Alias, BindTo, Column, Function, WrappedNode
    source = default_source
    bind_dest = None
    if isinstance(node, BindTo):
        bind_dest = node.dest
        node = node.node
    if isinstance(node, Field):
        source = node.source if isinstance(node, FieldAlias) else node.model
        converter = node.row_converter(dialect)
        info = (source, node.name, converter, True)
    elif isinstance(node, Alias):
        inner = node.node
        converter = None
        if isinstance(inner, Field):
            # an aliased field belongs to its own model's instance, like the bare field
            source = inner.source if isinstance(inner, FieldAlias) else inner.model
            converter = inner.row_converter(dialect)
        elif getattr(inner, '_coerce', True):
            converter = getattr(inner, '_converter', None)
        info = (source, node._alias, converter, False)
    elif isinstance(node, Column):
        info = (node.source, node.name, None, False)
    elif isinstance(node, Function):
        info = (source, description_name, node._converter if node._coerce else None, False)
    else:
        converter = getattr(node, '_converter', None) if getattr(node, '_coerce', True) \
            else None
        info = (source, description_name, converter, False)
    if bind_dest is not None:
        info = (bind_dest,) + info[1:]
    return info


def convert_row(row: tuple, conversions: list) -> list:
    """``row`` as a list with ``(position, converter)`` applied to non-NULL values."""
    values = list(row)
    for i, conv in conversions:
        value = values[i]
        if value is not None:
            values[i] = conv(value)
    return values


class BaseModelCursorWrapper(DictCursorWrapper):
    """Base of the model-aware row adapters: matches the selected columns to the model's
    fields and their converters.

    After ``initialize()``: ``ncols`` (number of columns), ``keys`` (attribute name per
    column), ``converters`` (``python_value`` per column, ``None`` where the driver
    already returns the Python value), ``fields`` (the field per column, ``None`` for
    expressions).  ``process_row`` gives a dict of converted values.
    """

    def __init__(self, cursor: Any, model: Any, columns: Any) -> None:
        super().__init__(cursor)
        self.model = model
        self.select = columns or ()

    def initialize(self) -> None:
        names = self.columns
        if self.select and len(self.select) == len(names):
            self.column_info = [_column_info(node, self.model, name, self.dialect)
                                for node, name in zip(self.select, names)]
        else:
            # raw SQL: match columns to the model's fields by column name
            meta = getattr(self.model, '_meta', None)
            if meta is None and hasattr(self.model, 'model'):
                meta = self.model.model._meta
            info = []
            for name in names:
                field = meta.columns.get(name) if meta is not None else None
                if field is not None:
                    info.append((self.model, field.name, field.row_converter(self.dialect),
                                 True))
                else:
                    info.append((self.model, name, None, False))
            self.column_info = info
        self.keys = [attr for _, attr, _, _ in self.column_info]
        self.ncols = len(self.keys)
        self.converters = [conv for _, _, conv, _ in self.column_info]
        self.conversions = [(i, conv) for i, conv in enumerate(self.converters) if conv]

    def _convert(self, row: tuple) -> Any:
        """The row with converters applied (only to the columns that have one)."""
        return convert_row(row, self.conversions) if self.conversions else row

    @property
    def fields(self) -> list:
        """The field read by each column (``None`` for other expressions)."""
        from .fields import Field
        from .sql.nodes import Alias, BindTo
        if self.select and len(self.select) == len(self.keys):
            found = []
            for node in self.select:
                while isinstance(node, (Alias, BindTo)):
                    node = node.node
                found.append(node if isinstance(node, Field) else None)
            return found
        meta = getattr(self.model, '_meta', None)
        return [meta.columns.get(name) if meta is not None else None
                for name in self.columns]

    def process_row(self, row: tuple) -> Any:
        return dict(zip(self.keys, self._convert(row)))


#: the former name, for modules that imported it
_ModelRowsBase = BaseModelCursorWrapper


class ModelDictCursorWrapper(BaseModelCursorWrapper):
    """Rows as dicts.  When two columns share a name (``Tweet.id`` and ``User.id`` in a
    join), the first one selected keeps it, as in peewee."""

    def initialize(self) -> None:
        super().initialize()
        first: dict = {}
        for position, key in enumerate(self.keys):
            first.setdefault(key, position)
        self._firsts = None if len(first) == len(self.keys) else list(first.items())

    def process_row(self, row: tuple) -> dict:
        if self._firsts is None:
            return dict(zip(self.keys, self._convert(row)))
        values = self._convert(row)
        return {key: values[position] for key, position in self._firsts}


class ModelTupleCursorWrapper(BaseModelCursorWrapper):
    def process_row(self, row: tuple) -> tuple:
        return tuple(self._convert(row))


class ModelNamedTupleCursorWrapper(BaseModelCursorWrapper):
    def initialize(self) -> None:
        super().initialize()
        self.tuple_class = collections.namedtuple('Row', self.keys, rename=True)

    def process_row(self, row: tuple) -> Any:
        return self.tuple_class(*self._convert(row))


_OUTER_JOINS = frozenset(('LEFT OUTER JOIN', 'RIGHT OUTER JOIN', 'FULL JOIN', 'FULL OUTER JOIN',
                          'LEFT JOIN LATERAL'))


def _new_instance(model: type, data: dict | None = None) -> Any:
    """A model instance with no defaults applied (values come from the row)."""
    inst = model.__new__(model)
    inst.__dict__ = {'__data__': {} if data is None else data, '__rel__': {},
                     '_dirty': set()}
    return inst


_MODEL_INIT: Any = None


def _has_own_init(model: Any) -> bool:
    """Whether ``model`` overrides ``Model.__init__``: rows of such a model are built
    through its constructor (``model(__no_default__=True, **row)``) so that the override
    runs for them too, as it does in peewee (``playhouse.signals`` relies on it)."""
    global _MODEL_INIT
    if _MODEL_INIT is None:
        from .model import Model
        _MODEL_INIT = Model.__init__
    return isinstance(model, type) and model.__init__ is not _MODEL_INIT


class ModelObjectCursorWrapper(BaseModelCursorWrapper):
    """Every column on one object: a model instance (or whatever ``constructor`` makes)."""

    def __init__(self, cursor: Any, model: Any, columns: Any, constructor: Any) -> None:
        super().__init__(cursor, model, columns)
        self.constructor = constructor
        meta = getattr(constructor, '_meta', None)
        self.is_model = meta is not None and isinstance(constructor, type)

    def initialize(self) -> None:
        super().initialize()
        if self.is_model:
            fields = self.constructor._meta.fields
            self.is_field = [name in fields and (is_field or src is self.constructor)
                             for (src, name, _, is_field) in self.column_info]
            self.own_init = _has_own_init(self.constructor)
            self.all_fields = all(self.is_field) and not self.own_init

    def process_rows(self, rows: list) -> list:
        if not (self.is_model and self.all_fields):
            return super().process_rows(rows)
        # the hot path of Model.select(): one dict per row, converters only where needed
        keys = self.keys
        conversions = self.conversions
        model = self.constructor
        new = model.__new__
        out = []
        append = out.append
        for row in rows:
            if conversions:
                row = list(row)
                for i, conv in conversions:
                    value = row[i]
                    if value is not None:
                        row[i] = conv(value)
            inst = new(model)
            inst.__dict__ = {'__data__': dict(zip(keys, row)), '__rel__': {},
                             '_dirty': set()}
            append(inst)
        return out

    def process_row(self, row: tuple) -> Any:
        if not self.is_model:
            return self.constructor(**dict(zip(self.keys, self._convert(row))))
        values = self._convert(row)
        if self.all_fields:
            return _new_instance(self.constructor, dict(zip(self.keys, values)))
        if self.own_init:
            inst = self.constructor(__no_default__=True, **dict(zip(self.keys, values)))
            inst._dirty.clear()
            return inst
        inst = _new_instance(self.constructor)
        data = inst.__data__
        for key, value, is_field in zip(self.keys, values, self.is_field):
            if is_field:
                data[key] = value
            else:
                setattr(inst, key, value)
        inst._dirty.clear()
        return inst


class ModelCursorWrapper(BaseModelCursorWrapper):
    """Rows of a joined query rebuilt into an object graph (``tweet.user.username``)."""

    def __init__(self, cursor: Any, model: Any, columns: Any, from_list: Any,
                 joins: dict) -> None:
        super().__init__(cursor, model, columns)
        self.from_list = from_list
        self.joins = joins

    def initialize(self) -> None:
        from .model import ModelAlias
        super().initialize()
        sources = []
        for src, _, _, _ in self.column_info:
            # by identity: a subquery source compared with == would build SQL
            if not any(known is src for known in sources):
                sources.append(src)
        if not any(known is self.model for known in sources):
            sources.insert(0, self.model)
        self.sources = sources
        # a joined subquery of a model (``join(Tweet.select(...).alias('t'), on=...)``)
        # builds that model, as the join recorded; other sources build dicts
        join_constructors = {dest: constructor for joins in self.joins.values()
                             for dest, _, constructor, _ in joins}
        self.constructors = []
        for src in sources:
            target = src.model if isinstance(src, ModelAlias) else src
            if not (isinstance(target, type) and hasattr(target, '_meta')):
                target = join_constructors.get(src, dict)
            if isinstance(target, type) and hasattr(target, '_meta'):
                self.constructors.append((src, target, True))
            else:
                self.constructors.append((src, dict, False))
        # per source: which row positions are its fields, which are extra attributes
        constructor_of = {src: (target, is_model) for src, target, is_model in
                          self.constructors}
        groups = {src: ([], []) for src in sources}
        for i, (src, attr, _, is_field) in enumerate(self.column_info):
            target, is_model = constructor_of[src]
            if is_model and is_field and attr in target._meta.fields:
                groups[src][0].append((i, attr))
            else:
                groups[src][1].append((i, attr))
        self.groups = [(src, target, is_model, groups[src][0], groups[src][1])
                       for src, target, is_model in self.constructors]
        positions = {src: [i for i, _ in fields + extra]
                     for src, (fields, extra) in groups.items()}
        self.links = []
        for src, joins in self.joins.items():
            for dest, attr, constructor, join_type in joins:
                src_target = src.model if isinstance(src, ModelAlias) else src
                fk = None
                meta = getattr(src_target, '_meta', None)
                if meta is not None and attr in meta.fields and \
                        meta.fields[attr] in meta.refs:
                    fk = meta.fields[attr]
                # only an OUTER join can produce a row with nothing on the joined side
                outer = join_type in _OUTER_JOINS
                self.links.append((src, dest, attr, fk, outer and positions.get(dest)))
        self.links.reverse()

    def process_rows(self, rows: list) -> list:
        builder = self.__dict__.get('_builder')
        if builder is None:
            builder = self._builder = self._compile_builder()
        return builder(rows)

    def _compile_builder(self) -> Callable:
        """Generate a function that turns a batch of rows into object graphs.

        The plan (which row positions feed which object, how objects link) is fixed for a
        result, so it is written out once as straight-line code instead of being
        interpreted for every row.  Names and values reach the code only as ``repr()``
        literals of attribute names or through the namespace, never as raw text.
        """
        ns: dict = {'_set': setattr}
        lines = ['def build(rows):', '    out = []', '    append = out.append',
                 '    for row in rows:']
        if self.conversions:
            lines.append('        row = list(row)')
            for i, conv in self.conversions:
                ns['c%d' % i] = conv
                lines.append('        v = row[%d]' % i)
                lines.append('        if v is not None: row[%d] = c%d(v)' % (i, i))
        names = {}
        for k, (src, target, is_model, fields, extra) in enumerate(self.groups):
            names[src] = name = 'o%d' % k
            data = '{%s}' % ', '.join('%r: row[%d]' % (attr, i) for i, attr in fields)
            if is_model:
                ns['M%d' % k] = target
                own_init = _has_own_init(target)
                if own_init:
                    lines.append('        %s = M%d(__no_default__=True)' % (name, k))
                    lines.append('        %s.__data__.update(%s)' % (name, data))
                else:
                    ns['new%d' % k] = target.__new__
                    lines.append('        %s = new%d(M%d)' % (name, k, k))
                    lines.append("        %s.__dict__ = {'__data__': %s, '__rel__': {}, "
                                 "'_dirty': set()}" % (name, data))
                for i, attr in extra:
                    lines.append('        _set(%s, %r, row[%d])' % (name, attr, i))
                if extra or own_init:
                    lines.append('        %s._dirty.clear()' % name)
            else:
                lines.append('        %s = %s' % (name, data))
                for i, attr in extra:
                    lines.append('        %s[%r] = row[%d]' % (name, attr, i))
        for src, dest, attr, fk, outer_positions in self.links:
            if src not in names or dest not in names:
                continue
            o, d = names[src], names[dest]
            src_fields = {attr for _, attr in dict((g[0], g[3]) for g in self.groups)[src]}
            if fk is not None and not outer_positions and attr in src_fields:
                # inner join, key column selected: the related object is always there
                lines.append('        %s.__rel__[%r] = %s' % (o, attr, d))
                continue
            if outer_positions:
                test = ' and '.join('row[%d] is None' % i for i in outer_positions)
                lines.append('        d = None if (%s) else %s' % (test, d))
            else:
                lines.append('        d = %s' % d)
            src_is_dict = not dict((g[0], g[2]) for g in self.groups)[src]
            if src_is_dict:
                lines.append('        %s[%r] = d' % (o, attr))
            elif fk is not None:
                lines.append('        if d is not None:')
                lines.append('            %s.__rel__[%r] = d' % (o, attr))
                lines.append('            if %r not in %s.__data__:' % (attr, o))
                lines.append('                %s.__data__[%r] = d.__data__.get(%r)'
                             % (o, attr, fk.rel_field.name))
                lines.append('        elif %s.__data__.get(%r) is None:' % (o, attr))
                lines.append('            %s.__rel__[%r] = None' % (o, attr))
            else:
                lines.append('        %s.__dict__[%r] = d' % (o, attr))
        lines.append('        append(%s)' % names[self.model])
        lines.append('    return out')
        exec(compile('\n'.join(lines), '<orm row builder>', 'exec'), ns)
        return ns['build']

    def process_row(self, row: tuple) -> Any:
        values = self._convert(row)
        objects = {}
        for src, target, is_model, fields, extra in self.groups:
            if is_model:
                if _has_own_init(target):
                    inst = target(__no_default__=True)
                    inst.__data__.update({attr: values[i] for i, attr in fields})
                    inst._dirty.clear()
                else:
                    inst = target.__new__(target)
                    inst.__dict__ = {'__data__': {attr: values[i] for i, attr in fields},
                                     '__rel__': {}, '_dirty': set()}
                if extra:
                    for i, attr in extra:
                        setattr(inst, attr, values[i])
                    inst._dirty.clear()
            else:
                inst = {attr: values[i] for i, attr in fields}
                for i, attr in extra:
                    inst[attr] = values[i]
            objects[src] = inst
        for src, dest, attr, fk, outer_positions in self.links:
            inst = objects.get(src)
            if inst is None or dest not in objects:
                continue
            dest_obj = objects[dest]
            if outer_positions and all(values[i] is None for i in outer_positions):
                dest_obj = None       # the OUTER join found no row
            if type(inst) is dict:
                inst[attr] = dest_obj
            elif fk is not None:
                if dest_obj is not None:
                    inst.__rel__[attr] = dest_obj
                    if attr not in inst.__data__:
                        inst.__data__[attr] = dest_obj.__data__.get(fk.rel_field.name)
                elif inst.__data__.get(attr) is None:
                    inst.__rel__[attr] = None
            else:
                inst.__dict__[attr] = dest_obj
        return objects[self.model]
