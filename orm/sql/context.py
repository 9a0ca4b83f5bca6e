"""The rendering context: carries SQL text, bound values and scope while a node tree is compiled.

Every node renders itself with ``node.__sql__(ctx)``; the context is the only thing it talks
to.  A context belongs to one dialect and is used for one statement.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

from .. import seam

__all__ = [
    'Context', 'State', 'AliasManager', 'substitute_params',
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


_UNSET = object()


class AliasManager:
    """Hands out the short names ("t1", "t2", ...) by which each source of a query is
    referred to, one naming frame per (sub)query.

    A source is named where rendering first meets it (the select list comes before
    FROM).  A lookup sees the innermost frame that named the source, so a correlated
    subquery reaches its outer query's alias, and a subquery over a table the outer
    query has already named reuses that name (its own FROM then shadows the outer one).
    Numbering is shared by all frames, so two different sources never share a name.

    Subqueries side by side at one depth (one in SET, one in WHERE) name a source
    alike: each depth remembers the names its closed frames gave, and a later frame
    there reuses them, unless it was opened ``fresh`` (the right-hand member of a
    compound query names its sources apart from the left-hand one).

    ``_visible`` holds the name currently in force for every source (one dict lookup on
    the hot path); each frame records what it overwrote there, and ``pop()`` puts it
    back.  ``_earlier[d]`` holds the names closed frames at depth ``d`` gave.
    """

    __slots__ = ('_visible', '_frames', '_earlier', '_counter')

    def __init__(self) -> None:
        self._visible: dict = {}
        self._frames: list[dict] = [{}]
        self._earlier: list[dict] = [{}]
        self._counter = 0

    def push(self, fresh: bool = False) -> None:
        """Open the naming frame of a nested query (``fresh``: forgetting the names
        earlier frames at its depth gave)."""
        frames = self._frames
        frames.append({})
        earlier = self._earlier
        if len(earlier) < len(frames):
            earlier.append({})
        elif fresh:
            earlier[len(frames) - 1] = {}

    def pop(self) -> dict:
        """Close the innermost frame: its names give way to the outer ones again.
        Returns the names the frame gave to sources no outer frame had named."""
        if len(self._frames) < 2:
            raise ValueError('AliasManager.pop() has no nested frame to close')
        visible = self._visible
        introduced = {}
        for source, shadowed in self._frames.pop().items():
            if shadowed is _UNSET:
                introduced[source] = visible.pop(source)
            else:
                visible[source] = shadowed
        if introduced:
            self._earlier[len(self._frames)].update(introduced)
        return introduced

    def adopt(self, names: dict) -> None:
        """Give the innermost frame the names of ``names`` for sources it cannot see
        yet (what a closed frame introduced, see ``pop()``)."""
        visible = self._visible
        for source, alias in names.items():
            if source not in visible:
                self.set(source, alias)

    def next_name(self, prefix: str = 't') -> str:
        """A name not handed out before in this statement."""
        self._counter += 1
        return '%s%d' % (prefix, self._counter)

    def set(self, source: Any, alias: str) -> None:
        """Name ``source`` ``alias`` in the innermost frame."""
        frame = self._frames[-1]
        if source not in frame:
            frame[source] = self._visible.get(source, _UNSET)
        self._visible[source] = alias

    def add(self, source: Any) -> str:
        """The name of ``source`` in the innermost frame, given one if it has none."""
        if source in self._frames[-1]:
            return self._visible[source]
        alias = self._earlier[len(self._frames) - 1].get(source) or self.next_name()
        self.set(source, alias)
        return alias
    def get(self, source: Any, any_depth: bool = True) -> str:
        """The name in force for ``source`` (``any_depth=False``: in this frame only)."""
        if any_depth:
            alias = self._visible.get(source)
            if alias is not None:
                return alias
        return self.add(source)

    __getitem__ = get

    def __setitem__(self, source: Any, alias: str) -> None:
        self.set(source, alias)

    def __contains__(self, source: Any) -> bool:
        return source in self._visible


def substitute_params(dialect: Any, sql: str, params: Any) -> str:
    """``sql`` with each of the dialect's placeholders replaced by the matching parameter
    written as an SQL literal; ``ValueError`` when the counts disagree."""
    pieces = sql.split(dialect.param)
    values = list(params)
    if len(pieces) - 1 != len(values):
        raise ValueError('%r has %d placeholder(s) (%s) for %d parameter(s)'
                         % (sql, len(pieces) - 1, dialect.param, len(values)))
    literals = [dialect.literal_value(value) for value in values] + ['']
    return ''.join(piece + literal for piece, literal in zip(pieces, literals))


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
    __slots__ = ('ctx', 'fresh')

    def __init__(self, ctx: 'Context', fresh: bool = False) -> None:
        self.ctx = ctx
        self.fresh = fresh

    def __enter__(self) -> 'Context':
        self.ctx.alias_manager.push(self.fresh)
        return self.ctx

    def __exit__(self, *exc: Any) -> None:
        self.ctx.alias_manager.pop()


class Context:
    """Accumulates SQL text and parameters for one statement in one dialect."""

    __slots__ = ('dialect', 'state', 'alias_manager', '_sql', '_values')

    def __init__(self, dialect: Any = None, **options: Any) -> None:
        if dialect is None:
            dialect = seam.lookup('default_dialect')()
        if options:
            # peewee's names for two options: its value_literals is our literal_values,
            # and quote='``' quotes identifiers with other characters
            if 'value_literals' in options:
                options['literal_values'] = options.pop('value_literals')
            quote = options.pop('quote', None)
            if quote:
                dialect = dialect.quoted_with(quote)
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

    def setting(self, name: str) -> Any:
        """A rendering option: the value this context was given (``Context(limit_max=-1)``,
        or a frame ``ctx(limit_max=-1)``), else the dialect's attribute of that name."""
        values = self.state.__dict__
        if name in values:
            return values[name]
        return getattr(self.dialect, name, None)

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

    def push_alias(self, fresh: bool = False) -> _AliasFrame:
        """A naming frame for a nested query (see :class:`AliasManager`)."""
        return _AliasFrame(self, fresh)

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

    def value(self, value: Any, converter: Any = None,
              add_param: bool = True) -> 'Context':
        """Bind ``value`` as a parameter (nodes are rendered instead of bound).
        ``converter=False`` binds it unconverted, whatever converter is in force."""
        if converter is None:
            converter = self.state.converter
        if converter:
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

    def bind_params(self, params: Iterable) -> 'Context':
        """Bind ``params`` for placeholders already written in the SQL text (raw SQL):
        no conversion, no placeholder added."""
        adapt = self.dialect.adapt_param
        self._values.extend(params if adapt is None else map(adapt, params))
        return self

    def query(self) -> tuple[str, list]:
        return ''.join(self._sql), self._values

    def parse(self, node: Any) -> tuple[str, list]:
        """Render ``node`` and return ``(sql, params)`` (``ctx.sql(node).query()``)."""
        return self.sql(node).query()

    def __iter__(self) -> Iterator:
        return iter(self.query())
