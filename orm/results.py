"""Row adapters: wrap a DB-API cursor and turn its rows into tuples, dicts, namedtuples or
objects.  Rows are cached as they are read, so a result can be iterated again."""
from __future__ import annotations

import collections
from typing import Any, Callable, Iterator

__all__ = ['CursorWrapper', 'DictCursorWrapper', 'NamedTupleCursorWrapper',
           'ObjectCursorWrapper', 'ResultIterator']


class ResultIterator:
    """Iterates a CursorWrapper, reading from the cursor only past what is cached."""

    __slots__ = ('cursor_wrapper', 'index')

    def __init__(self, cursor_wrapper: 'CursorWrapper') -> None:
        self.cursor_wrapper = cursor_wrapper
        self.index = 0

    def __iter__(self) -> 'ResultIterator':
        return self

    def __next__(self) -> Any:
        wrapper = self.cursor_wrapper
        if self.index < wrapper.count:
            obj = wrapper.row_cache[self.index]
        elif not wrapper.populated:
            wrapper.iterate()
            obj = wrapper.row_cache[self.index]
        else:
            raise StopIteration
        self.index += 1
        return obj


class CursorWrapper:
    """Rows as tuples.  Subclasses override ``process_row`` (and ``initialize``)."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.count = 0
        self.index = 0
        self.initialized = False
        self.populated = False
        self.row_cache: list = []

    def __iter__(self) -> Iterator:
        if self.populated:
            return iter(self.row_cache)
        return ResultIterator(self)

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, slice):
            stop = item.stop
            if stop is None or stop < 0:
                self.fill_cache()
            else:
                self.fill_cache(stop)
            return self.row_cache[item]
        if isinstance(item, int):
            self.fill_cache(item + 1 if item >= 0 else None)
            return self.row_cache[item]
        raise TypeError('results are indexed by integers or slices, got %r' % (item,))

    def __len__(self) -> int:
        self.fill_cache()
        return self.count

    @property
    def columns(self) -> list[str]:
        return [col[0] for col in self.cursor.description or ()]

    def initialize(self) -> None:
        pass

    def iterate(self, cache: bool = True) -> Any:
        row = self.cursor.fetchone()
        if row is None:
            self.populated = True
            self.cursor.close()
            raise StopIteration
        if not self.initialized:
            self.initialize()
            self.initialized = True
        result = self.process_row(row)
        if cache:
            self.count += 1
            self.row_cache.append(result)
        return result

    def iterator(self) -> Iterator:
        """Iterate without caching rows (for large results)."""
        while True:
            try:
                yield self.iterate(False)
            except StopIteration:
                return

    def fill_cache(self, n: int | None = None) -> None:
        n = n or 0
        if self.populated:
            return
        if n <= 0:
            # read everything that is left in one go
            if not self.initialized and self.cursor.description is not None:
                self.initialize()
                self.initialized = True
            rows = self.cursor.fetchall() if self.cursor.description is not None else []
            process = self.process_row
            self.row_cache.extend(process(row) for row in rows)
            self.count = len(self.row_cache)
            self.populated = True
            self.cursor.close()
            return
        iterator = ResultIterator(self)
        iterator.index = self.count
        while not self.populated and n > self.count:
            try:
                next(iterator)
            except StopIteration:
                break

    def process_row(self, row: tuple) -> Any:
        return row


class DictCursorWrapper(CursorWrapper):
    """Rows as dicts keyed by column name."""

    def initialize(self) -> None:
        self._keys = tuple(self.columns)

    def process_row(self, row: tuple) -> dict:
        return dict(zip(self._keys, row))


class NamedTupleCursorWrapper(CursorWrapper):
    def initialize(self) -> None:
        self.tuple_class = collections.namedtuple('Row', self.columns, rename=True)

    def process_row(self, row: tuple) -> Any:
        return self.tuple_class(*row)


class ObjectCursorWrapper(DictCursorWrapper):
    """Rows passed as keyword arguments to ``constructor``."""

    def __init__(self, cursor: Any, constructor: Callable) -> None:
        super().__init__(cursor)
        self.constructor = constructor

    def process_row(self, row: tuple) -> Any:
        return self.constructor(**dict(zip(self._keys, row)))


# -- model rows ----------------------------------------------------------------------------
def _column_info(node: Any, default_source: Any, description_name: str) -> tuple:
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
        converter = node.python_value
        info = (source, node.name, converter, True)
    elif isinstance(node, Alias):
        inner = node.node
        converter = None
        if isinstance(inner, Field):
            converter = inner.python_value
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


class _ModelRowsBase(CursorWrapper):
    def __init__(self, cursor: Any, model: Any, columns: Any) -> None:
        super().__init__(cursor)
        self.model = model
        self.select = columns or ()

    def initialize(self) -> None:
        names = self.columns
        if self.select and len(self.select) == len(names):
            self.column_info = [_column_info(node, self.model, name)
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
                    info.append((self.model, field.name, field.python_value, True))
                else:
                    info.append((self.model, name, None, False))
            self.column_info = info
        self.keys = [attr for _, attr, _, _ in self.column_info]
        self.converters = [conv for _, _, conv, _ in self.column_info]

    def _convert(self, row: tuple) -> list:
        return [v if conv is None or v is None else conv(v)
                for v, conv in zip(row, self.converters)]


class ModelDictCursorWrapper(_ModelRowsBase):
    def process_row(self, row: tuple) -> dict:
        return dict(zip(self.keys, self._convert(row)))


class ModelTupleCursorWrapper(_ModelRowsBase):
    def process_row(self, row: tuple) -> tuple:
        return tuple(self._convert(row))


class ModelNamedTupleCursorWrapper(_ModelRowsBase):
    def initialize(self) -> None:
        super().initialize()
        self.tuple_class = collections.namedtuple('Row', self.keys, rename=True)

    def process_row(self, row: tuple) -> Any:
        return self.tuple_class(*self._convert(row))


def _new_instance(model: type) -> Any:
    """A model instance with no defaults applied (values come from the row)."""
    inst = model.__new__(model)
    inst.__data__ = {}
    inst.__rel__ = {}
    inst._dirty = set()
    return inst


class ModelObjectCursorWrapper(_ModelRowsBase):
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
            self.all_fields = all(self.is_field)

    def process_row(self, row: tuple) -> Any:
        if not self.is_model:
            return self.constructor(**dict(zip(self.keys, self._convert(row))))
        inst = _new_instance(self.constructor)
        values = self._convert(row)
        if self.all_fields:
            inst.__data__ = dict(zip(self.keys, values))
            return inst
        data = inst.__data__
        for key, value, is_field in zip(self.keys, values, self.is_field):
            if is_field:
                data[key] = value
            else:
                setattr(inst, key, value)
        inst._dirty.clear()
        return inst


class ModelCursorWrapper(_ModelRowsBase):
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
            if src not in sources:
                sources.append(src)
        if self.model not in sources:
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
        self.plan = []
        for (src, attr, _, is_field) in self.column_info:
            target = src.model if isinstance(src, ModelAlias) else src
            field_here = is_field and isinstance(target, type) and \
                attr in getattr(target, '_meta').fields
            self.plan.append((src, attr, field_here))
        self.links = []
        for src, joins in self.joins.items():
            for dest, attr, constructor, join_type in joins:
                src_target = src.model if isinstance(src, ModelAlias) else src
                fk = None
                meta = getattr(src_target, '_meta', None)
                if meta is not None and attr in meta.fields and \
                        meta.fields[attr] in meta.refs:
                    fk = meta.fields[attr]
                self.links.append((src, dest, attr, fk))

    def process_row(self, row: tuple) -> Any:
        objects = {}
        for src, target, is_model in self.constructors:
            objects[src] = _new_instance(target) if is_model else {}
        seen = set()
        for (src, attr, is_field), value in zip(self.plan, self._convert(row)):
            inst = objects[src]
            if value is not None:
                seen.add(src)
            if type(inst) is dict:
                inst[attr] = value
            elif is_field:
                inst.__data__[attr] = value
            else:
                setattr(inst, attr, value)
        for src, dest, attr, fk in reversed(self.links):
            if src not in objects or dest not in objects:
                continue
            inst = objects[src]
            dest_obj = objects[dest] if dest in seen else None
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
        for obj in objects.values():
            if type(obj) is not dict:
                obj._dirty.clear()
        return objects[self.model]
