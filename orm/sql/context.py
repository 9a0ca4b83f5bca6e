"""The rendering context: carries SQL text, bound values and scope while a node tree is compiled.

Every node renders itself with ``node.__sql__(ctx)``; the context is the only thing it talks
to.  A context belongs to one dialect and is used for one statement.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

__all__ = [
    'Context', 'State', 'AliasManager',
    'SCOPE_NORMAL', 'SCOPE_SOURCE', 'SCOPE_VALUES', 'SCOPE_CTE', 'SCOPE_COLUMN',
]

#: Scopes tell a node where it stands in the statement.
SCOPE_NORMAL = 1   # expressions: columns render qualified, tables as their alias
SCOPE_SOURCE = 2   # FROM / JOIN: tables render as  "name" AS "alias"
SCOPE_VALUES = 4   # INSERT / UPDATE targets: tables and columns render unqualified
SCOPE_CTE = 8      # WITH clause: a CTE renders its definition
SCOPE_COLUMN = 16  # select list / RETURNING: aliases render as  expr AS "alias"


_NO_KEY = object()


def _instance_key(value: Any) -> Any:
    """The primary key of a model instance (duck-typed: this layer knows no models),
    else ``_NO_KEY``."""
    if isinstance(value, type) or getattr(type(value), '_meta', None) is None:
        return _NO_KEY
    get_id = getattr(value, 'get_id', None)
    return _NO_KEY if get_id is None else get_id()


class State:
    """One frame of rendering options.  Unknown options read as ``None``.

    Backed by the instance ``__dict__`` so that deriving a frame is two dict operations:
    compiling pushes many frames, and this is on the hot path.
    """

    def __init__(self, scope: int = SCOPE_NORMAL, parentheses: bool = False,
                 subquery: bool = False, converter: Callable | None = None,
                 in_function: bool = False, **extra: Any) -> None:
        values = self.__dict__
        values['scope'] = scope
        values['parentheses'] = parentheses
        values['subquery'] = subquery
        values['converter'] = converter
        values['in_function'] = in_function
        values['literal_values'] = False   # read for every bound value: keep it off __getattr__
        values.update(extra)

    def __getattr__(self, name: str) -> Any:
        # only reached for options nobody set
        if name.startswith('__'):
            raise AttributeError(name)
        return None

    def __call__(self, **overrides: Any) -> 'State':
        state = State.__new__(State)
        values = self.__dict__.copy()
        values.update(overrides)
        state.__dict__ = values
        return state


class AliasManager:
    """Assigns short aliases ("t1", "t2", ...) to the sources of each (sub)query.

    Lookups walk outward through enclosing queries so that a correlated subquery refers
    to its outer query's alias; the counter is shared so aliases never collide.
    """

    __slots__ = ('_levels', '_counter')

    def __init__(self) -> None:
        self._levels: list[dict] = [{}]
        self._counter = 0

    def push(self) -> None:
        self._levels.append({})

    def pop(self) -> None:
        if len(self._levels) == 1:
            raise RuntimeError('AliasManager.pop() without a matching push()')
        self._levels.pop()

    def add(self, source: Any) -> str:
        level = self._levels[-1]
        if source not in level:
            self._counter += 1
            level[source] = 't%d' % self._counter
        return level[source]

    def set(self, source: Any, alias: str) -> None:
        self._levels[-1][source] = alias

    def get(self, source: Any, any_depth: bool = True) -> str:
        if any_depth:
            for level in reversed(self._levels):
                if source in level:
                    return level[source]
        return self.add(source)

    __getitem__ = get

    def __setitem__(self, source: Any, alias: str) -> None:
        self.set(source, alias)

    def __contains__(self, source: Any) -> bool:
        return any(source in level for level in self._levels)


class _StateFrame:
    __slots__ = ('ctx', 'overrides', 'saved')

    def __init__(self, ctx: 'Context', overrides: dict) -> None:
        self.ctx = ctx
        self.overrides = overrides

    def __enter__(self) -> 'Context':
        self.saved = self.ctx.state
        self.ctx.state = self.saved(**self.overrides)
        return self.ctx

    def __exit__(self, *exc: Any) -> None:
        self.ctx.state = self.saved


class _AliasFrame:
    __slots__ = ('ctx',)

    def __init__(self, ctx: 'Context') -> None:
        self.ctx = ctx

    def __enter__(self) -> 'Context':
        self.ctx.alias_manager.push()
        return self.ctx

    def __exit__(self, *exc: Any) -> None:
        self.ctx.alias_manager.pop()


class Context:
    """Accumulates SQL text and parameters for one statement in one dialect."""

    __slots__ = ('dialect', 'state', 'alias_manager', '_sql', '_values')

    def __init__(self, dialect: Any = None, **options: Any) -> None:
        if dialect is None:
            from ..dialects.base import Dialect
            dialect = Dialect()
        self.dialect = dialect
        self.state = State(**options)
        self.alias_manager = AliasManager()
        self._sql: list[str] = []
        self._values: list[Any] = []

    # -- scope ---------------------------------------------------------------------
    @property
    def scope(self) -> int:
        return self.state.scope

    @property
    def parentheses(self) -> bool:
        return self.state.parentheses

    @property
    def subquery(self) -> bool:
        return self.state.subquery

    def __call__(self, **overrides: Any) -> _StateFrame:
        return _StateFrame(self, overrides)

    def scope_normal(self, **kw: Any) -> _StateFrame:
        return _StateFrame(self, dict(kw, scope=SCOPE_NORMAL))

    def scope_source(self, **kw: Any) -> _StateFrame:
        return _StateFrame(self, dict(kw, scope=SCOPE_SOURCE))

    def scope_values(self, **kw: Any) -> _StateFrame:
        return _StateFrame(self, dict(kw, scope=SCOPE_VALUES))

    def scope_cte(self, **kw: Any) -> _StateFrame:
        return _StateFrame(self, dict(kw, scope=SCOPE_CTE))

    def scope_column(self, **kw: Any) -> _StateFrame:
        return _StateFrame(self, dict(kw, scope=SCOPE_COLUMN))

    def push_alias(self) -> _AliasFrame:
        return _AliasFrame(self)

    # -- output --------------------------------------------------------------------
    def sql(self, obj: Any) -> 'Context':
        """Render a node, a model class, or (anything else) a bound value."""
        render = getattr(obj, '__sql__', None)
        if render is not None and not isinstance(obj, type):
            render(self)
            return self
        meta = getattr(obj, '_meta', None)
        if meta is not None and isinstance(obj, type):   # a model class: its table
            return self.sql(meta.table)
        return self.value(obj)

    def literal(self, text: str) -> 'Context':
        self._sql.append(text)
        return self

    def value(self, value: Any, converter: Callable | None = None,
              add_param: bool = True) -> 'Context':
        """Bind ``value`` as a parameter (nodes are rendered instead of bound)."""
        if converter is None:
            converter = self.state.converter
        if converter is not None:
            try:
                value = converter(value)
            except (TypeError, ValueError):
                # a model instance compared with a column (User.id == user) stands for
                # its primary key, as in peewee; looked at only once conversion failed
                key = _instance_key(value)
                if key is _NO_KEY:
                    raise
                value = converter(key)
        if hasattr(value, '__sql__') and not isinstance(value, type):
            # a converter may turn a value into a node (e.g. a subquery or expression)
            with self(converter=None):
                value.__sql__(self)
            return self
        if self.state.literal_values:   # where the engine wants constants, not parameters
            self._sql.append(self.dialect.literal_value(value))
            return self
        adapt = self.dialect.adapt_param
        if adapt is not None:
            value = adapt(value)
        self._values.append(value)
        if add_param:
            self._sql.append(self.dialect.param)
        return self

    def query(self) -> tuple[str, list]:
        return ''.join(self._sql), self._values

    def __iter__(self) -> Iterator:
        return iter(self.query())
