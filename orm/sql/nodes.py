"""Dialect-free SQL expression nodes.

A node is a small immutable value: builder methods hand back a modified copy.  Every node
writes itself into a :class:`~orm.sql.context.Context` through ``__sql__(ctx)`` and asks
``ctx.dialect`` wherever engines spell things differently.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Callable, Concatenate, Iterable, Iterator, ParamSpec, TypeVar

from .context import Context, SCOPE_COLUMN, SCOPE_NORMAL, SCOPE_SOURCE, SCOPE_VALUES
from .context import substitute_params

__all__ = [
    'Node', 'SQL', 'Entity', 'Value', 'ValueLiterals', 'AsIs', 'NodeList', 'CommaNodeList',
    'EnclosedNodeList', 'ColumnBase', 'Column', 'Expression', 'StringExpression', 'Alias',
    'Negated', 'BitwiseMixin', 'BitwiseNegated', 'Ordering', 'Asc', 'Desc', 'Cast', 'Case',
    'Function', 'fn', 'Window', 'WindowAlias', 'Tuple', 'Star', 'WrappedNode', 'OP',
    'Check', 'Default', 'QualifiedNames', 'qualify_names', 'quote', 'qesc', 'unqesc',
    'ensure_entity', 'ensure_tuple', 'ensure_node', 'mutator', 'attrdict',
    'EntityFactory', 'NamespaceAttribute', 'Null', 'BindTo', 'EXCLUDED',
]

_MISSING = object()


class attrdict(dict):
    """A dict whose string keys can also be read and written as attributes."""

    def __getattr__(self, name: str) -> Any:
        found = self.get(name, _MISSING)
        if found is _MISSING:
            raise AttributeError(name)
        return found

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __add__(self, other: dict) -> 'attrdict':
        return attrdict({**self, **other})

    def __iadd__(self, other: dict) -> 'attrdict':
        dict.update(self, other)
        return self


class _Operators:
    """The operator names used in expressions; an unknown name is an error that says so."""

    AND = 'AND'
    OR = 'OR'
    ADD = '+'
    SUB = '-'
    MUL = '*'
    DIV = '/'
    BIN_AND = '&'
    BIN_OR = '|'
    XOR = '#'
    MOD = '%'
    EQ = '='
    LT = '<'
    LTE = '<='
    GT = '>'
    GTE = '>='
    NE = '!='
    IN = 'IN'
    NOT_IN = 'NOT IN'
    IS = 'IS'
    IS_NOT = 'IS NOT'
    LIKE = 'LIKE'
    ILIKE = 'ILIKE'
    BETWEEN = 'BETWEEN'
    REGEXP = 'REGEXP'
    IREGEXP = 'IREGEXP'
    CONCAT = '||'
    BITWISE_NEGATION = '~'

    def __getattr__(self, name: str) -> str:
        known = ', '.join(sorted(k for k in type(self).__dict__ if k.isupper()))
        raise AttributeError('OP has no operator %r; known operators: %s' % (name, known))

    def __getitem__(self, name: str) -> str:
        return getattr(self, name)

    def __contains__(self, name: str) -> bool:
        return name in type(self).__dict__


OP = _Operators()

# an operator token is a run of symbol characters or of upper-case words
_OPERATOR_RE = re.compile(r'^(?:[-+*/%<>=!~@#&|^?]{1,4}|[A-Za-z]+(?: [A-Za-z]+){0,3})$')
# operators whose right-hand side is a pattern, not a value of the column's type
_NO_CONVERT = {OP.LIKE, OP.ILIKE, OP.REGEXP, OP.IREGEXP, OP.IS, OP.IS_NOT, 'GLOB', 'MATCH',
               OP.CONCAT}


_S = TypeVar('_S')
_P = ParamSpec('_P')


def mutator(method: Callable[Concatenate[_S, _P], Any]) -> Callable[Concatenate[_S, _P], _S]:
    """Turn a method that edits ``self`` into a builder: it edits a clone instead and
    returns it (or returns what the method returned, when that is not ``None``).  To a
    type checker the builder returns the type of ``self``."""
    def builder(self: Any, *args: Any, **kwargs: Any) -> Any:
        twin = self.clone()
        outcome = method(twin, *args, **kwargs)
        return twin if outcome is None else outcome
    return functools.update_wrapper(builder, method)


class Node:
    """Base class of everything that renders to SQL."""

    __isabstractmethod__ = False  # lets ABC machinery probe nodes safely
    _coerce = True

    def clone(self) -> Any:
        cls = type(self)
        twin = cls.__new__(cls)
        twin.__dict__ = self.__dict__.copy()
        return twin

    copy = staticmethod(mutator)

    def __sql__(self, ctx: Context) -> Context:
        raise NotImplementedError('%s cannot be rendered to SQL' % type(self).__name__)

    def unwrap(self) -> Any:
        """The innermost node under any wrappers (aliases, orderings, casts)."""
        inner: Any = self
        while isinstance(inner, WrappedNode):
            inner = inner.node
        return inner

    def is_alias(self) -> bool:
        return False


def ensure_node(obj: Any, where: str = 'this position') -> Any:
    """Return ``obj`` if it is a node (or a model class), else raise a helpful TypeError."""
    if isinstance(obj, Node) or (isinstance(obj, type) and hasattr(obj, '_meta')):
        return obj
    if hasattr(obj, '__sql__') and not isinstance(obj, type):
        return obj
    raise TypeError(
        '%s expects a column, expression or SQL node, got %s %r. Wrap raw SQL in '
        'SQL("...") and plain values in Value(...).' % (where, type(obj).__name__, obj))


def ensure_tuple(value: Any) -> tuple:
    """``value`` as a tuple: ``None`` is empty, a list or tuple is copied, anything else
    is a one-item tuple."""
    return () if value is None else \
        tuple(value) if isinstance(value, (list, tuple)) else (value,)


def qesc(text: str, quote_char: str = '"') -> str:
    """Escape an identifier for use between ``quote_char`` quotes."""
    return text.replace(quote_char, quote_char * 2)


def unqesc(text: str, quote_char: str = '"') -> str:
    return text.replace(quote_char * 2, quote_char)


def quote(path: Iterable[str], quote_chars: str = '""') -> str:
    """Quote each part of a dotted identifier path: ('a', 'b') -> "a"."b"."""
    open_, close = quote_chars[0], quote_chars[-1]
    return '.'.join(open_ + str(part).replace(close, close * 2) + close for part in path)


def ensure_entity(value: Any) -> Any:
    """``value`` as an identifier node: a name becomes an Entity; nodes and ``None`` are
    returned as they are."""
    if value is None or isinstance(value, Node):
        return value
    return Entity(value)


class _Null(Node):
    def __sql__(self, ctx: Context) -> Context:
        return ctx.literal('NULL')


Null = _Null()


def _as_operand(value: Any) -> Any:
    return value if isinstance(value, Node) else Value(value)


# -- expressions --------------------------------------------------------------------------
class ColumnBase(Node):
    """What columns, expressions, functions and values share: Python operators that
    build SQL expressions, aliases, casts and orderings."""

    @property
    def _converter(self) -> Callable | None:
        """How values read back for this node are converted (fields and functions say,
        or ``converter()`` was given one)."""
        return self.__dict__.get('_read_converter')

    def _value_converter(self) -> Callable | None:
        """Converter applied to plain values compared with this node (fields set one)."""
        return None

    # reading selected values back: what a row builder does with this node's values
    @mutator
    def coerce(self, _coerce: bool = True) -> None:
        """Whether the values selected through this expression are converted when read
        back (``coerce(False)``: exactly as the driver gives them)."""
        self._coerce_given = bool(_coerce)

    def alias(self, alias: str | None) -> Any:
        return Alias(self, alias) if alias else self

    def unalias(self) -> Any:
        return self

    def converter(self, converter: Callable | None = None) -> Any:
        """This node, its values read back through ``converter`` (for instance a field's
        ``python_value`` for a column of a subquery)."""
        return _ReadAs(self, converter)

    def bind_to(self, dest: Any) -> 'BindTo':
        return BindTo(self, dest)

    def cast(self, as_type: str) -> 'Cast':
        return Cast(self, as_type)

    def asc(self, collation: str | None = None, nulls: str | None = None) -> 'Ordering':
        return Ordering(self, 'ASC', collation, nulls)

    def desc(self, collation: str | None = None, nulls: str | None = None) -> 'Ordering':
        return Ordering(self, 'DESC', collation, nulls)

    def __pos__(self) -> 'Ordering':
        return Ordering(self, 'ASC')

    def __neg__(self) -> 'Ordering':
        return Ordering(self, 'DESC')

    def __invert__(self) -> Any:
        return Negated(self)

    # Python operators, each building ``self <op> other`` (``other <op> self`` for the
    # reflected ones); written out so that type checkers see every one of them.
    def __and__(self, other: Any) -> Any:
        return Expression(self, OP.AND, other)

    def __rand__(self, other: Any) -> Any:
        return Expression(other, OP.AND, self)

    def __or__(self, other: Any) -> Any:
        return Expression(self, OP.OR, other)

    def __ror__(self, other: Any) -> Any:
        return Expression(other, OP.OR, self)

    def __add__(self, other: Any) -> Any:
        return Expression(self, OP.ADD, other)

    def __radd__(self, other: Any) -> Any:
        return Expression(other, OP.ADD, self)

    def __sub__(self, other: Any) -> Any:
        return Expression(self, OP.SUB, other)

    def __rsub__(self, other: Any) -> Any:
        return Expression(other, OP.SUB, self)

    def __mul__(self, other: Any) -> Any:
        return Expression(self, OP.MUL, other)

    def __rmul__(self, other: Any) -> Any:
        return Expression(other, OP.MUL, self)

    def __truediv__(self, other: Any) -> Any:
        return Expression(self, OP.DIV, other)

    def __rtruediv__(self, other: Any) -> Any:
        return Expression(other, OP.DIV, self)

    __div__ = __truediv__
    __rdiv__ = __rtruediv__

    def __xor__(self, other: Any) -> Any:
        return Expression(self, OP.XOR, other)

    def __rxor__(self, other: Any) -> Any:
        return Expression(other, OP.XOR, self)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        # comparing with None asks IS NULL, as SQL's = NULL never matches
        return Expression(self, OP.EQ if other is not None else OP.IS, other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return Expression(self, OP.NE if other is not None else OP.IS_NOT, other)

    def __lt__(self, other: Any) -> Any:
        return Expression(self, OP.LT, other)

    def __le__(self, other: Any) -> Any:
        return Expression(self, OP.LTE, other)

    def __gt__(self, other: Any) -> Any:
        return Expression(self, OP.GT, other)

    def __ge__(self, other: Any) -> Any:
        return Expression(self, OP.GTE, other)

    def __lshift__(self, other: Any) -> Any:
        return Expression(self, OP.IN, other)

    def __rshift__(self, other: Any) -> Any:
        return Expression(self, OP.IS, other)

    def __mod__(self, other: Any) -> Any:
        return Expression(self, OP.LIKE, other)

    def __pow__(self, other: Any) -> Any:
        return Expression(self, OP.ILIKE, other)

    __hash__ = Node.__hash__

    def bin_and(self, other: Any) -> Any:
        return Expression(self, OP.BIN_AND, other)

    def bin_or(self, other: Any) -> Any:
        return Expression(self, OP.BIN_OR, other)

    def in_(self, other: Any) -> Any:
        return Expression(self, OP.IN, other)

    def not_in(self, other: Any) -> Any:
        return Expression(self, OP.NOT_IN, other)

    def is_null(self, is_null: bool = True) -> Any:
        return Expression(self, (OP.IS_NOT, OP.IS)[bool(is_null)], None)

    def regexp(self, other: Any) -> Any:
        return Expression(self, OP.REGEXP, other)

    def iregexp(self, other: Any) -> Any:
        return Expression(self, OP.IREGEXP, other)

    def like(self, other: Any) -> Any:
        """Case-sensitive match, same as ``column % pattern``: ``LIKE`` (wildcards ``%``
        and ``_``), spelled ``GLOB`` on SQLite (wildcards ``*`` and ``?``)."""
        return Expression(self, OP.LIKE, other)

    def ilike(self, other: Any) -> Any:
        """Case-insensitive match with ``%`` and ``_``, same as ``column ** pattern``."""
        return Expression(self, OP.ILIKE, other)

    def concat(self, other: Any) -> Any:
        return StringExpression(self, OP.CONCAT, other)

    def __getitem__(self, item: Any) -> Any:
        """``column[low:high]`` is BETWEEN; ``column[value]`` is equality."""
        if not isinstance(item, slice):
            return self == item
        bounds = (item.start, item.stop)
        if None in bounds:
            raise ValueError('BETWEEN needs both ends: use column[low:high]')
        return self.between(*bounds)

    def between(self, lo: Any, hi: Any) -> Any:
        return Expression(self, OP.BETWEEN, _Range(lo, hi))

    def _matching(self, fragment: Any, leading: bool, trailing: bool) -> Any:
        """A case-insensitive match of ``fragment`` anywhere (both wildcards), at the start
        (trailing only) or at the end (leading only)."""
        if isinstance(fragment, Node):
            pattern: Any = fragment
            if leading:
                pattern = Value('%').concat(pattern)
            if trailing:
                pattern = pattern.concat('%')
            return Expression(self, OP.ILIKE, pattern)
        given = str(fragment)
        text = _escape_like(given)
        escaped = text != given
        text = ('%' if leading else '') + text + ('%' if trailing else '')
        return Expression(self, OP.ILIKE, _LikePattern(text, escaped))

    def contains(self, rhs: Any) -> Any:
        return self._matching(rhs, True, True)

    def startswith(self, rhs: Any) -> Any:
        return self._matching(rhs, False, True)

    def endswith(self, rhs: Any) -> Any:
        return self._matching(rhs, True, False)

    def distinct(self) -> Any:
        return _Affixed('DISTINCT ', self, '')

    def collate(self, collation: str) -> Any:
        return _Affixed('', self, ' COLLATE ' + _check_word(collation, 'collation'))

    def get_sort_key(self, ctx: Context) -> tuple:
        return ()

    def __iter__(self) -> Iterator:
        # indexing builds expressions (column[3] is column = 3), so without this Python
        # would "iterate" a node by indexing it forever
        raise TypeError('%s is an SQL expression, not a collection of values'
                        % type(self).__name__)


class _Range(Node):
    """The ``low AND high`` operand of BETWEEN (each end converted like the column)."""

    def __init__(self, low: Any, high: Any) -> None:
        self.low = low
        self.high = high

    def __sql__(self, ctx: Context) -> Context:
        ctx.sql(self.low)
        ctx.literal(' AND ')
        return ctx.sql(self.high)


class _Affixed(ColumnBase):
    """A node with fixed SQL text around it: ``DISTINCT x``, ``x COLLATE c``."""

    def __init__(self, prefix: str, node: Any, suffix: str) -> None:
        self.prefix = prefix
        self.node = node
        self.suffix = suffix

    def __sql__(self, ctx: Context) -> Context:
        ctx.literal(self.prefix)
        ctx.sql(self.node)
        return ctx.literal(self.suffix)


class SQL(ColumnBase):
    """Raw SQL text, with optional parameters for the placeholders it contains.

    Placeholders are the engine's own (``?`` for SQLite, ``%s`` for PostgreSQL).
    """

    def __init__(self, sql: str, params: Iterable | None = None) -> None:
        if not isinstance(sql, str):
            raise TypeError('SQL() takes a string of SQL, got %s' % type(sql).__name__)
        self.sql = sql
        self.params = None if params is None else list(params)

    def __sql__(self, ctx: Context) -> Context:
        params = self.params
        if not params:
            return ctx.literal(self.sql)
        if ctx.state.literal_values:
            # where the engine wants constants (a partial index's predicate, say), the
            # values are written into the text
            return ctx.literal(substitute_params(ctx.dialect, self.sql, params))
        return ctx.literal(self.sql).bind_params(params)

    def __repr__(self) -> str:
        return 'SQL(%r, %r)' % (self.sql, self.params)


class Entity(ColumnBase):
    """A quoted identifier, possibly dotted: ``Entity('schema', 'table')``."""

    def __init__(self, *path: str) -> None:
        if not path:
            raise ValueError('Entity() needs at least one name')
        bad = [part for part in path if not isinstance(part, str)]
        if bad:
            raise TypeError('Entity() names must be strings, got %r' % (bad[0],))
        self._path = path

    def __getattr__(self, attr: str) -> 'Entity':
        if attr.startswith('__'):
            raise AttributeError(attr)
        return Entity(*self._path, attr)

    def get_sort_key(self, ctx: Context) -> tuple:
        return self._path

    def __hash__(self) -> int:
        return hash((type(self), *self._path))

    def __sql__(self, ctx: Context) -> Context:
        return ctx.literal(ctx.dialect.quote_path(self._path))


def _escape_like(text: str) -> str:
    return text.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')


_WORD_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_ ."]*(\([0-9, ]*\))?(\[\])?$')


def _check_word(text: str, what: str) -> str:
    if not isinstance(text, str) or not _WORD_RE.match(text):
        raise ValueError('invalid %s %r: expected a name like "text" or "varchar(10)"'
                         % (what, text))
    return text


class _LikePattern(Node):
    """A LIKE pattern built by contains/startswith/endswith.  Where the text had
    wildcard characters of its own they were escaped, and ``ESCAPE ?`` says with what."""

    def __init__(self, pattern: str, escaped: bool = True) -> None:
        self.pattern = pattern
        self.escaped = escaped

    def __sql__(self, ctx: Context) -> Context:
        ctx.value(self.pattern, converter=_identity)
        if self.escaped:
            ctx.literal(' ESCAPE ').value('\\', converter=_identity)
        return ctx


def _identity(value: Any) -> Any:
    return value


class Column(ColumnBase):
    """A column of a table, subquery or CTE: ``Table.c.name``."""

    def __init__(self, source: Any, name: str) -> None:
        self.source = source
        self.name = name

    def get_sort_key(self, ctx: Context) -> tuple:
        owner = () if ctx.scope == SCOPE_VALUES else self.source.get_sort_key(ctx)
        return (*owner, self.name)

    def __hash__(self) -> int:
        return hash((Column, self.name, self.source))

    def __repr__(self) -> str:
        return '<Column %s.%s>' % (getattr(self.source, '_name', self.source), self.name)

    @property
    def _converter(self) -> Callable | None:
        """A column of a subquery (or CTE) reads back as what the subquery selects under
        that name: ``subq.c.ts`` as the DateTimeField selected there."""
        source = self.source
        query = getattr(source, '_query', source)         # a CTE stands for its query
        selected = getattr(query, '_returning', None)
        if not selected or isinstance(source, type):
            return None
        for node in selected:
            if _output_name(node) == self.name:
                return getattr(node, '_converter', None)
        return None

    def __sql__(self, ctx: Context) -> Context:
        quote = ctx.dialect.quote_identifier
        if ctx.scope == SCOPE_VALUES:
            return ctx.literal(quote(self.name))
        # the common case in one piece: a source that can say its name ("t1".name)
        reference_name = getattr(self.source, '_reference_name', None)
        if reference_name is not None:
            return ctx.literal(quote(reference_name(ctx)) + '.' + quote(self.name))
        _source_reference(ctx, self.source)
        return ctx.literal('.' + quote(self.name))


def _output_name(node: Any) -> Any:
    """The name a selected node's column comes back under (None: not known)."""
    if isinstance(node, Alias):
        return node._alias
    return getattr(node, 'column_name', None) or getattr(node, 'name', None)


def _source_reference(ctx: Context, source: Any) -> None:
    """Render the name by which a source's columns are qualified (its alias)."""
    apply_column = getattr(source, 'apply_column', None)
    if apply_column is not None and not isinstance(source, type):
        apply_column(ctx)          # an alias reference reads the same in every scope
        return
    with ctx.scope_normal():
        ctx.sql(source)


class WrappedNode(ColumnBase):
    """A node around another one; it reads back (converts values) as the inner node."""

    def __init__(self, node: Any) -> None:
        self.node = node

    @property
    def _coerce(self) -> bool:  # type: ignore[override]
        given = self.__dict__.get('_coerce_given')
        return getattr(self.node, '_coerce', True) if given is None else given

    @property
    def _converter(self) -> Callable | None:
        given = self.__dict__.get('_read_converter')
        if given is not None or self.__dict__.get('_coerce_given') is False:
            return given
        return getattr(self.node, '_converter', None)

    def is_alias(self) -> bool:
        return self.node.is_alias()

    def _value_converter(self) -> Callable | None:
        inner = self.node
        return inner._value_converter() if isinstance(inner, ColumnBase) else None


class _ReadAs(WrappedNode):
    """A node whose values are read back through a converter of the caller's choosing
    (``node.converter(func)``); its SQL is the node's."""

    def __init__(self, node: Any, converter: Callable | None) -> None:
        super().__init__(node)
        self._read_converter = converter

    @property
    def _converter(self) -> Callable | None:
        return self._read_converter

    def __sql__(self, ctx: Context) -> Context:
        return ctx.sql(self.node)


class Alias(WrappedNode):
    """``expr AS "name"`` in the select list and in FROM; the bare name elsewhere."""

    def __init__(self, node: Any, alias: str) -> None:
        super().__init__(node)
        self._alias = alias

    def __hash__(self) -> int:
        return hash((Alias, self._alias))

    def _get_name(self) -> str:
        return self._alias

    def _set_name(self, value: str) -> None:
        self._alias = value

    name = property(_get_name, _set_name)

    def alias(self, alias: str | None = None) -> Any:
        """Another name for the same expression (``None``: the expression unnamed)."""
        bare = self.unalias()
        return bare if alias is None else Alias(bare, alias)

    def unalias(self) -> Any:
        return self.node

    def converter(self, converter: Callable | None = None) -> Any:
        # the name stays outermost, so the column still reads back under it
        return Alias(_ReadAs(self.node, converter), self._alias)

    def is_alias(self) -> bool:
        return True

    def __sql__(self, ctx: Context) -> Context:
        scope = ctx.scope
        name = ctx.dialect.quote_identifier(self._alias)
        if scope != SCOPE_COLUMN and scope != SCOPE_SOURCE:
            return ctx.literal(name)
        with ctx(scope=SCOPE_NORMAL if scope == SCOPE_COLUMN else scope):
            ctx.sql(self.node)
        return ctx.literal(' AS ' + name)


class BindTo(WrappedNode):
    """Mark a selected expression as belonging to ``dest`` (a model) when rows are built."""

    def __init__(self, node: Any, dest: Any) -> None:
        super().__init__(node)
        self.dest = dest

    def __sql__(self, ctx: Context) -> Context:
        return ctx.sql(self.node)


class BitwiseMixin:
    """Makes ``&``, ``|``, ``-`` and ``~`` bitwise operations (flag fields use it)."""

    def __and__(self, other: Any) -> Any:
        return Expression(self, OP.BIN_AND, other)

    def __or__(self, other: Any) -> Any:
        return Expression(self, OP.BIN_OR, other)

    def __sub__(self, other: Any) -> Any:
        # clearing bits: ``self & ~other``; a plain integer is inverted in Python
        if isinstance(other, int) and not isinstance(other, bool):
            mask: Any = ~other
        else:
            mask = BitwiseNegated(_as_operand(other))
        return Expression(self, OP.BIN_AND, mask)

    def __invert__(self) -> Any:
        return BitwiseNegated(self)


class Negated(WrappedNode):
    """``NOT expr``; negating it again gives back ``expr``."""

    def __invert__(self) -> Any:
        return self.node

    def __sql__(self, ctx: Context) -> Context:
        ctx.literal('NOT ')
        with ctx(parentheses=True):
            return ctx.sql(self.node)


class BitwiseNegated(BitwiseMixin, Negated):
    """``~expr``; itself combined bitwise (``~Model.flags & 7``)."""

    def __invert__(self) -> Any:
        return self.node

    def __sql__(self, ctx: Context) -> Context:
        ctx.literal('~')
        return ctx.sql(self.node)


class Value(ColumnBase):
    """A bound parameter.  A list/tuple/set with ``unpack`` renders as ``(?, ?, ...)``."""

    _SEQUENCES = (list, tuple, set, frozenset)

    def __init__(self, value: Any, converter: Callable | bool | None = None,
                 unpack: bool = True) -> None:
        self.value = value
        # (a parameter's converter is an attribute, where other nodes have the method)
        self.converter = converter  # type: ignore[method-assign,assignment]
        self.multi = bool(unpack) and isinstance(value, self._SEQUENCES)
        if self.multi:
            # a nested tuple is a row value, (?, ?); any other item is one parameter
            self.values = [_item_value(item, converter) for item in value]

    def __sql__(self, ctx: Context) -> Context:
        if not self.multi:
            return ctx.value(self.value, self.converter)
        ctx.literal('(')
        separator = ''
        for item in self.values:
            ctx.literal(separator)
            ctx.sql(item)
            separator = ', '
        return ctx.literal(')')


def _item_value(item: Any, converter: Callable | bool | None) -> Any:
    if isinstance(item, Node):
        return item
    return Value(item, converter=converter, unpack=type(item) is tuple)


class ValueLiterals(WrappedNode):
    """Render the values inside as SQL literals instead of parameters (use with care)."""

    def __sql__(self, ctx: Context) -> Context:
        inner = ctx.dialect.context()
        inner.state = ctx.state()
        inner.alias_manager = ctx.alias_manager
        sql, params = inner.sql(self.node).query()
        return ctx.literal(substitute_params(ctx.dialect, sql, params))


def AsIs(value: Any, converter: Any = None) -> Value:
    """A parameter bound as one value (a list or tuple is not unpacked into several).
    The converter of the column it meets still applies (``Todo.tags == AsIs(['a'])``
    binds the field's ``db_value(['a'])``) unless ``converter=False``; a callable
    ``converter`` is used instead."""
    return Value(value, converter=converter, unpack=False)


class Cast(WrappedNode):
    """``CAST(expr AS type)``.

    The cast changes the type, so neither reading back nor comparing goes through the
    inner column's conversion (``CAST(id AS TEXT) = '1'`` binds ``'1'``, not ``1``).
    """

    def __init__(self, node: Any, cast: str) -> None:
        self._cast = _check_word(cast, 'type for CAST')
        super().__init__(_as_operand(node))

    @property
    def _coerce(self) -> bool:  # type: ignore[override]
        return bool(self.__dict__.get('_coerce_given'))

    @property
    def _converter(self) -> Callable | None:
        # read back as the inner expression only when asked to with coerce(True)
        given = self.__dict__.get('_read_converter')
        if given is not None or not self._coerce:
            return given
        return getattr(self.node, '_converter', None)

    def _value_converter(self) -> None:
        return None

    def __sql__(self, ctx: Context) -> Context:
        ctx.literal('CAST(')
        with ctx(parentheses=False):
            ctx.sql(self.node)
        return ctx.literal(' AS ' + ctx.dialect.cast_type(self._cast) + ')')


def _nulls_position(nulls: Any) -> str | None:
    """``nulls`` checked (first / last, in any case) and kept as it was written."""
    if nulls is None:
        return None
    if not isinstance(nulls, str) or nulls.upper() not in ('FIRST', 'LAST'):
        raise ValueError('nulls= must be "first" or "last", got %r' % (nulls,))
    return nulls


class Ordering(WrappedNode):
    """One ORDER BY term: ``expr ASC|DESC [COLLATE c] [NULLS FIRST|LAST]``.

    Engines without ``NULLS FIRST/LAST`` get the same order from a leading
    ``CASE WHEN expr IS NULL ...`` term.
    """

    def __init__(self, node: Any, direction: str, collation: str | None = None,
                 nulls: str | None = None) -> None:
        super().__init__(node)
        self.direction = direction
        self.collation = None if not collation else _check_word(collation, 'collation')
        self.nulls = _nulls_position(nulls)

    def collate(self, collation: str | None = None) -> 'Ordering':  # type: ignore[override]
        return Ordering(self.node, self.direction, collation, self.nulls)

    def __sql__(self, ctx: Context) -> Context:
        nulls = self.nulls
        native = nulls is not None and ctx.setting('nulls_ordering')
        if nulls is not None and not native:
            # a leading term that sorts the NULLs first (0) or last (1)
            first = nulls.upper() == 'FIRST'
            nulls_rank = Case(None, [(Expression(self.node, OP.IS, None), 0 if first else 1)],
                              1 if first else 0)
            ctx.sql(nulls_rank).literal(', ')
        ctx.sql(self.node)
        words = [self.direction]
        if self.collation:      # part of the sort key, so it comes before ASC/DESC
            words.insert(0, 'COLLATE ' + self.collation)
        if nulls is not None and native:
            words.append('NULLS ' + nulls)
        return ctx.literal(' ' + ' '.join(words))


def Asc(node: Any, collation: str | None = None, nulls: str | None = None) -> Ordering:
    return Ordering(ensure_node(node, 'Asc()'), 'ASC', collation, nulls)


def Desc(node: Any, collation: str | None = None, nulls: str | None = None) -> Ordering:
    return Ordering(ensure_node(node, 'Desc()'), 'DESC', collation, nulls)


#: operators already found well formed (an expression is built for every comparison)
_CHECKED_OPERATORS: set = set()


def _operator_ok(op: Any) -> bool:
    if not isinstance(op, str) or not _OPERATOR_RE.match(op.strip()):
        return False
    if len(_CHECKED_OPERATORS) < 1024:
        _CHECKED_OPERATORS.add(op)
    return True


class Expression(ColumnBase):
    """``lhs OP rhs``, parenthesised unless ``flat``."""

    def __init__(self, lhs: Any, op: str, rhs: Any, flat: bool = False) -> None:
        if op not in _CHECKED_OPERATORS and not _operator_ok(op):
            raise ValueError(
                'unknown operator %r: use one of the OP constants (OP.EQ, OP.IN, OP.LIKE, '
                '...) or an SQL operator such as "@>"' % (op,))
        if (op == 'IN' or op == 'NOT IN') and isinstance(rhs, Iterator):
            rhs = list(rhs)         # a generator is read once: keep its values
        self.lhs = lhs
        self.op = op
        self.rhs = rhs
        self.flat = flat

    def __sql__(self, ctx: Context) -> Context:
        dialect = ctx.dialect
        op = self.op
        lhs, rhs = self.lhs, self.rhs
        converter = None
        if op not in _NO_CONVERT and isinstance(lhs, ColumnBase):
            converter = lhs._value_converter()
        if op in _MEMBERSHIP:
            if not isinstance(rhs, Node):
                values = [rhs] if isinstance(rhs, (str, bytes)) else list(rhs)
                rhs = Value(values, converter=converter) if values else None
            elif isinstance(rhs, Value) and rhs.multi and not rhs.values:
                rhs = None
            if rhs is None:    # x IN () is always false, x NOT IN () always true
                return ctx.literal('(0 = 1)' if op == 'IN' else '(1 = 1)')
        elif rhs is None and op in _NULL_TESTS:
            rhs = Null
        elif type(rhs) is tuple and isinstance(lhs, NodeList) and lhs.parens:
            rhs = _row_value(lhs, rhs)
        if dialect.rewrite_operand is not None:
            rhs = dialect.rewrite_operand(op, rhs)
        if dialect.operator_functions is not None and op in dialect.operator_functions:
            return ctx.sql(Function(dialect.operator_functions[op], (lhs, rhs)))
        # frames are swapped by hand (and only when they change): this is the hottest node
        state = ctx.state
        if state.converter is not None:
            ctx.state = state(converter=None)
        if not self.flat:
            ctx.literal('(')
        ctx.sql(lhs)
        ctx.literal(' ' + dialect.render_operator(op) + ' ')
        if converter is not ctx.state.converter:
            ctx.state = state(converter=converter)
        if isinstance(rhs, Node):
            if op in _MEMBERSHIP:
                # a compound query on the right of IN may group its members as a set
                with ctx(membership_operand=rhs):
                    ctx.sql(rhs)
            else:
                ctx.sql(rhs)
        else:
            ctx.value(rhs, converter)
        if not self.flat:
            ctx.literal(')')
        ctx.state = state
        return ctx


_MEMBERSHIP = frozenset((OP.IN, OP.NOT_IN))
_NULL_TESTS = frozenset((OP.IS, OP.IS_NOT))


def _row_value(columns: 'NodeList', values: tuple) -> 'NodeList':
    """``(?, ?)`` for a row value compared with a tuple (``Tuple(a, b) == (1, 2)``), each
    value converted by the column it lines up with."""
    if len(values) != len(columns.nodes):
        raise ValueError('a row value of %d columns is compared with a tuple of %d values'
                         % (len(columns.nodes), len(values)))
    return EnclosedNodeList([
        value if isinstance(value, Node) else
        Value(value, converter=column._value_converter()
              if isinstance(column, ColumnBase) else None, unpack=False)
        for column, value in zip(columns.nodes, values)])


class StringExpression(Expression):
    """An expression of text: ``+`` concatenates it (``||``)."""

    def __add__(self, other: Any) -> Any:
        return StringExpression(self, OP.CONCAT, other)

    def __radd__(self, other: Any) -> Any:
        return StringExpression(other, OP.CONCAT, self)


class NodeList(ColumnBase):
    """Nodes joined by ``glue``, optionally in parentheses."""

    def __init__(self, nodes: Iterable, glue: str = ' ', parens: bool = False) -> None:
        self.nodes = list(nodes)
        self.glue = glue
        self.parens = parens

    def _enclosing(self) -> bool:
        """Whether to write the parentheses: a lone expression brings its own."""
        if not self.parens:
            return False
        nodes = self.nodes
        return len(nodes) != 1 or not isinstance(nodes[0], Expression) or nodes[0].flat

    def __sql__(self, ctx: Context) -> Context:
        literal = ctx.literal
        render = ctx.sql
        enclose = self._enclosing()
        if enclose:
            literal('(')
        separator = None
        for node in self.nodes:
            if separator is not None:
                literal(separator)
            render(node)
            separator = self.glue
        if enclose:
            literal(')')
        return ctx


def CommaNodeList(nodes: Iterable) -> NodeList:
    """Nodes separated by commas."""
    return NodeList(nodes, glue=', ')


def EnclosedNodeList(nodes: Iterable) -> NodeList:
    """Nodes separated by commas, in parentheses."""
    return NodeList(nodes, glue=', ', parens=True)


def Tuple(*args: Any) -> NodeList:
    """A row value: ``(a, b, ...)``."""
    return NodeList(args, glue=', ', parens=True)


class Star(Node):
    """``"alias".*`` for a source."""

    def __init__(self, source: Any) -> None:
        self.source = source

    def __sql__(self, ctx: Context) -> Context:
        _source_reference(ctx, self.source)
        return ctx.literal('.*')


class Case(ColumnBase):
    """``CASE [predicate] WHEN a THEN b ... [ELSE default] END``."""

    def __init__(self, predicate: Any, expression_tuples: Iterable, default: Any = None) -> None:
        pairs = [tuple(pair) for pair in expression_tuples]
        if not pairs:
            raise ValueError('Case() needs at least one (when, then) pair')
        self.predicate = predicate
        self.expression_tuples = pairs
        self.default = default

    def __sql__(self, ctx: Context) -> Context:
        with ctx(converter=None):
            ctx.literal('CASE')
            if self.predicate is not None:
                ctx.literal(' ').sql(self.predicate)
            for when, then in self.expression_tuples:
                ctx.literal(' WHEN ').sql(when)
                ctx.literal(' THEN ').sql(then)
            if self.default is not None:
                ctx.literal(' ELSE ').sql(self.default)
            ctx.literal(' END')
        return ctx


_FUNCTION_NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_.$]*$')


class Function(ColumnBase):
    """An SQL function call: ``fn.COUNT(x)``, with FILTER, OVER and ORDER BY options."""

    #: aggregates whose result is not of their argument's type (no read-back conversion)
    no_coerce_functions = frozenset(('sum', 'count', 'avg', 'cast', 'array_agg'))
    #: functions that take a subquery itself, not its value: EXISTS(SELECT ...)
    subquery_functions = frozenset(('exists', 'any', 'all', 'some', 'array'))

    def __init__(self, name: str, arguments: Iterable, coerce: bool = True,
                 python_value: Callable | None = None) -> None:
        if not _FUNCTION_NAME_RE.match(name):
            raise ValueError('invalid SQL function name %r' % (name,))
        self.name = name
        self.arguments = tuple(arguments)
        self._coerce = bool(coerce) and name.lower() not in self.no_coerce_functions
        self._python_value = python_value
        self._filter: Any = None
        self._order_by: Any = None

    def __getattr__(self, attr: str) -> Any:
        # fn.X(...).Y(...) builds a call of Y, as fn.Y(...) does
        if attr.startswith('__'):
            raise AttributeError(attr)
        return _FunctionName(attr)

    @mutator
    def filter(self, where: Any = None) -> None:
        """``FILTER (WHERE ...)`` on an aggregate."""
        self._filter = where

    @mutator
    def order_by(self, *ordering: Any) -> None:
        """``ORDER BY`` inside the call (ordered aggregates: ``string_agg``, ...)."""
        self._order_by = ordering

    @mutator
    def python_value(self, func: Callable | None = None) -> None:
        """Convert this function's values read back with ``func``."""
        self._python_value = func

    @mutator
    def coerce(self, coerce: bool = True) -> None:
        self._coerce = coerce

    @property
    def _converter(self) -> Callable | None:
        if self._python_value is not None:
            return self._python_value
        if not (self._coerce and self.arguments):
            return None
        # the result reads back as the first argument's column does (through casts and
        # aliases); another function's result lends no type
        first = self.arguments[0]
        while isinstance(first, WrappedNode):
            first = first.node
        return first._converter if hasattr(first, 'row_converter') else None

    def over(self, partition_by: Any = None, order_by: Any = None, start: Any = None,
             end: Any = None, frame_type: str | None = None, window: 'Window' | None = None,
             exclude: Any = None) -> NodeList:
        """``fn(...) OVER (...)``: over a named window (``window=`` or a Window as the
        first argument), or over a window defined inline by the other arguments."""
        named = window
        if named is None and isinstance(partition_by, Window):
            named = partition_by
        spec = _window_spec(named, partition_by, order_by, start, end, frame_type, exclude)
        return NodeList((self, SQL('OVER'), spec))

    def __sql__(self, ctx: Context) -> Context:
        arguments = self.arguments
        # EXISTS(SELECT ...) takes the query itself; elsewhere a subquery argument is a
        # value and keeps its own parentheses: ABS((SELECT ...))
        takes_query = len(arguments) == 1 and self.name.lower() in self.subquery_functions
        if len(arguments) == 1 and isinstance(arguments[0], Expression) and \
                not arguments[0].flat:
            # a sole expression argument needs no parentheses of its own: SUM(a + b)
            sole = object.__new__(type(arguments[0]))
            sole.__dict__.update(arguments[0].__dict__, flat=True)
            arguments = (sole,)
        ctx.literal(self.name + '(')
        with ctx(in_function=True, converter=None, parentheses=False,
                 sole_function_arg=arguments[0] if takes_query else None):
            for position, argument in enumerate(arguments):
                if position:
                    ctx.literal(', ')
                if isinstance(argument, Node) or (isinstance(argument, type) and
                                                  hasattr(argument, '_meta')):
                    ctx.sql(argument)       # a node, or a model class: its table's name
                else:
                    ctx.value(argument)
            if self._order_by:
                ctx.literal(' ORDER BY ')
                ctx.sql(CommaNodeList(self._order_by))
        ctx.literal(')')
        if self._filter is not None:
            ctx.literal(' FILTER (WHERE ')
            with ctx(parentheses=False):
                ctx.sql(self._filter)
            ctx.literal(')')
        return ctx


class _FunctionName:
    """``fn.name``: calling it builds the Function; a further attribute names a function
    inside a schema or package (``fn.pg_catalog.now()``)."""

    __slots__ = ('_name',)

    def __init__(self, name: str) -> None:
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Function:
        return Function(self._name, args, **kwargs)

    def __getattr__(self, attr: str) -> '_FunctionName':
        if attr.startswith('__'):
            raise AttributeError(attr)
        return _FunctionName(self._name + '.' + attr)


class _FunctionFactory:
    """``fn.ANY_NAME(*args)`` builds a Function."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith('__'):
            raise AttributeError(name)
        return _FunctionName(name)


fn: Any = _FunctionFactory()


# -- windows ------------------------------------------------------------------------------
def _fragment(value: Any) -> Any:
    """A frame bound or exclusion: text becomes SQL, SQL stays, None stays None."""
    if value is None or isinstance(value, SQL):
        return value
    return SQL(value)


_FRAME_TYPES = ('ROWS', 'RANGE', 'GROUPS')


class Window(Node):
    """A window for ``OVER``: defined inline in the call, or named in the query's
    ``WINDOW "w" AS (...)`` clause and referred to by that name."""

    # frame bounds and exclusions (SQL fragments) and frame types (words)
    CURRENT_ROW, GROUP, TIES, NO_OTHERS = (
        SQL(text) for text in ('CURRENT ROW', 'GROUP', 'TIES', 'NO OTHERS'))
    ROWS, RANGE, GROUPS = _FRAME_TYPES

    def __init__(self, partition_by: Any = None, order_by: Any = None, start: Any = None,
                 end: Any = None, frame_type: str | None = None, extends: Any = None,
                 exclude: Any = None, alias: str | None = None, _inline: bool = False) -> None:
        if start is None and end is not None:
            raise ValueError('a window frame with an end needs a start too')
        kind = None
        if frame_type is not None:
            kind = str(frame_type).upper()
            if kind not in _FRAME_TYPES:
                raise ValueError('frame_type must be ROWS, RANGE or GROUPS, got %r'
                                 % (frame_type,))
        self.partition_by = ensure_tuple(partition_by)
        self.order_by = ensure_tuple(order_by)
        self.start = _fragment(start)
        self.end = _fragment(end)
        self.frame_type = kind
        self._extends = extends
        self._exclude = _fragment(exclude)
        self._alias = alias or 'w'
        self._inline = _inline

    def alias(self, alias: str | None = None) -> 'Window':
        """Name this window (in place, as peewee does: a query that already uses the
        window then refers to it by the new name)."""
        self._alias = alias or 'w'
        return self

    @mutator
    def as_range(self) -> None:
        self.frame_type = 'RANGE'

    @mutator
    def as_rows(self) -> None:
        self.frame_type = 'ROWS'

    @mutator
    def as_groups(self) -> None:
        self.frame_type = 'GROUPS'

    @mutator
    def extends(self, window: Any = None) -> None:
        self._extends = window

    @mutator
    def exclude(self, frame_exclusion: Any = None) -> None:
        self._exclude = _fragment(frame_exclusion)

    @staticmethod
    def following(value: int | None = None) -> SQL:
        return SQL(_frame_offset(value) + ' FOLLOWING')

    @staticmethod
    def preceding(value: int | None = None) -> SQL:
        return SQL(_frame_offset(value) + ' PRECEDING')

    def _frame_clause(self) -> list:
        """The frame part of the definition: ``ROWS BETWEEN a AND b EXCLUDE x``."""
        if self.start is None and self.frame_type is None:
            return []
        words: list = [SQL(self.frame_type or 'ROWS')]
        if self.start is None:
            words.append(SQL('UNBOUNDED PRECEDING'))
        elif self.end is None:
            words.append(self.start)
        else:
            words += [SQL('BETWEEN'), self.start, SQL('AND'), self.end]
        if self._exclude is not None:
            words += [SQL('EXCLUDE'), self._exclude]
        return words

    def _definition(self, ctx: Context) -> Context:
        """``(base PARTITION BY ... ORDER BY ... frame)``."""
        terms: list = []
        base = self._extends
        if base is not None:
            terms.append(Entity(base._alias if isinstance(base, Window) else base))
        for keyword, nodes in (('PARTITION BY', self.partition_by),
                               ('ORDER BY', self.order_by)):
            if nodes:
                terms += [SQL(keyword), CommaNodeList(nodes)]
        terms += self._frame_clause()
        ctx.literal('(')
        with ctx(parentheses=False, converter=None):
            ctx.sql(NodeList(terms))
        return ctx.literal(')')

    def __sql__(self, ctx: Context) -> Context:
        if ctx.state.window_definitions:      # in the WINDOW clause: "w" AS (...)
            ctx.literal(ctx.dialect.quote_identifier(self._alias) + ' AS ')
        elif not self._inline:                # a named window in OVER: its name
            return ctx.literal(ctx.dialect.quote_identifier(self._alias))
        return self._definition(ctx)


def _frame_offset(value: int | None) -> str:
    return 'UNBOUNDED' if value is None else str(int(value))


def _window_spec(named: Any, partition_by: Any, order_by: Any, start: Any, end: Any,
                 frame_type: Any, exclude: Any) -> Node:
    """What follows OVER: a reference to a named window, or an inline definition."""
    if named is not None:
        return WindowAlias(named)
    return Window(partition_by=partition_by, order_by=order_by, start=start, end=end,
                  frame_type=frame_type, exclude=exclude, _inline=True)


class WindowAlias(Node):
    """A reference to a named window (``OVER "w"``)."""

    def __init__(self, window: Window) -> None:
        self.window = window

    def alias(self, window_alias: str) -> 'WindowAlias':
        """Rename the window this refers to (the window itself changes)."""
        self.window._alias = window_alias
        return self

    def __sql__(self, ctx: Context) -> Context:
        name = getattr(self.window, '_alias', None) or 'w'
        return ctx.literal(ctx.dialect.quote_identifier(name))


class Check(SQL):
    """A CHECK constraint: ``Check('price > 0', name=None)``."""

    def __init__(self, constraint: str, name: str | None = None) -> None:
        self.constraint_name = name or None
        self.constraint = constraint
        if name:
            super().__init__('CONSTRAINT %s CHECK (%s)' % (quote((name,)), constraint))
        else:
            super().__init__('CHECK (%s)' % constraint)

    def __sql__(self, ctx: Context) -> Context:
        if not self.constraint_name:
            return super().__sql__(ctx)
        # the name quoted as the engine quotes names (backticks on MySQL)
        return ctx.literal('CONSTRAINT %s CHECK (%s)' % (
            ctx.dialect.quote_identifier(self.constraint_name), self.constraint))


class Default(SQL):
    def __init__(self, value: str) -> None:
        super().__init__('DEFAULT %s' % value)


class QualifiedNames(WrappedNode):
    """Render columns inside as fully qualified even where they would not be."""

    def __sql__(self, ctx: Context) -> Context:
        with ctx(scope=SCOPE_NORMAL, qualify_names=True):
            return ctx.sql(self.node)


def qualify_names(node: Any) -> Any:
    """``node`` with every column in it rendered qualified by its table (the operands of
    an expression tree are wrapped one by one; the tree's shape is kept)."""
    if not isinstance(node, ColumnBase):
        return node
    if not isinstance(node, Expression):
        return QualifiedNames(node)
    return type(node)(qualify_names(node.lhs), node.op, qualify_names(node.rhs), node.flat)


class NamespaceAttribute(ColumnBase):
    """``namespace.attribute`` rendered without quoting the namespace (e.g. EXCLUDED)."""

    def __init__(self, namespace: Any, attribute: str) -> None:
        self._namespace = namespace
        self._attribute = attribute

    def __sql__(self, ctx: Context) -> Context:
        prefix = getattr(self._namespace, '_name', self._namespace)
        return ctx.literal('%s.%s' % (prefix, ctx.dialect.quote_identifier(self._attribute)))


class EntityFactory:
    """A bare SQL namespace: ``factory.name`` is the column ``NAMESPACE."name"``."""

    __slots__ = ('_name',)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> NamespaceAttribute:
        if attr.startswith('__'):
            raise AttributeError(attr)
        return NamespaceAttribute(self, attr)

    def __getitem__(self, name: str) -> NamespaceAttribute:
        return NamespaceAttribute(self, name)   # any name, '__x' too


EXCLUDED = EntityFactory('EXCLUDED')
