"""Dialect-free SQL expression nodes.

Nodes are immutable in use: builder methods return a modified copy.  Each node renders
itself through ``__sql__(ctx)``; differences between engines are asked of ``ctx.dialect``.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Callable, Iterable

from .context import (Context, SCOPE_COLUMN, SCOPE_NORMAL, SCOPE_SOURCE, SCOPE_VALUES)

__all__ = [
    'Node', 'SQL', 'Entity', 'Value', 'ValueLiterals', 'AsIs', 'NodeList', 'CommaNodeList',
    'EnclosedNodeList', 'ColumnBase', 'Column', 'Expression', 'StringExpression', 'Alias',
    'Negated', 'BitwiseMixin', 'BitwiseNegated', 'Ordering', 'Asc', 'Desc', 'Cast', 'Case',
    'Function', 'fn', 'Window', 'WindowAlias', 'Tuple', 'Star', 'WrappedNode', 'OP',
    'Check', 'Default', 'QualifiedNames', 'qualify_names', 'quote', 'qesc', 'unqesc',
    'ensure_entity', 'ensure_tuple', 'ensure_node', 'mutator', 'attrdict',
    'EntityFactory', 'NamespaceAttribute', 'Null', 'BindTo', 'EXCLUDED',
]


class attrdict(dict):
    """A dict whose keys are also attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __iadd__(self, other: dict) -> 'attrdict':
        self.update(other)
        return self

    def __add__(self, other: dict) -> 'attrdict':
        merged = attrdict(self)
        merged.update(other)
        return merged


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


def mutator(method: Callable) -> Callable:
    """Make a builder method work on a copy and return it (queries are immutable)."""
    @functools.wraps(method)
    def inner(self, *args, **kwargs):
        clone = self.clone()
        method(clone, *args, **kwargs)
        return clone
    return inner


class Node:
    """Base class of everything that renders to SQL."""

    __isabstractmethod__ = False  # lets ABC machinery probe nodes safely

    def clone(self) -> 'Node':
        obj = self.__class__.__new__(self.__class__)
        obj.__dict__ = self.__dict__.copy()
        return obj

    copy = staticmethod(mutator)

    def __sql__(self, ctx: Context) -> Context:
        raise NotImplementedError('%s cannot be rendered to SQL' % type(self).__name__)

    def unwrap(self) -> 'Node':
        return self

    def is_alias(self) -> bool:
        return False


def ensure_node(obj: Any, where: str = 'this position') -> Node:
    """Return ``obj`` if it is a node (or a model class), else raise a helpful TypeError."""
    if isinstance(obj, Node) or (isinstance(obj, type) and hasattr(obj, '_meta')):
        return obj
    if hasattr(obj, '__sql__') and not isinstance(obj, type):
        return obj
    raise TypeError(
        '%s expects a column, expression or SQL node, got %s %r. Wrap raw SQL in '
        'SQL("...") and plain values in Value(...).' % (where, type(obj).__name__, obj))


def ensure_tuple(value: Any) -> tuple:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,)


def qesc(text: str, quote_char: str = '"') -> str:
    """Escape an identifier for use between ``quote_char`` quotes."""
    return text.replace(quote_char, quote_char * 2)


def unqesc(text: str, quote_char: str = '"') -> str:
    return text.replace(quote_char * 2, quote_char)


def quote(path: Iterable[str], quote_chars: str = '""') -> str:
    """Quote each part of a dotted identifier path: ('a', 'b') -> "a"."b"."""
    open_, close = quote_chars[0], quote_chars[-1]
    return '.'.join(open_ + str(part).replace(close, close * 2) + close for part in path)


def ensure_entity(value: Any) -> Node:
    if value is not None:
        return value if isinstance(value, Node) else Entity(value)
    return value


class _Null(Node):
    def __sql__(self, ctx: Context) -> Context:
        return ctx.literal('NULL')


Null = _Null()


# -- operators ------------------------------------------------------------------------
def _binary(op: str, inverse: bool = False) -> Callable:
    def method(self, rhs):
        if inverse:
            return Expression(rhs, op, self)
        return Expression(self, op, rhs)
    return method


class ColumnBase(Node):
    """Mixin of operators shared by columns, expressions, functions and values."""

    _converter = None

    def _value_converter(self) -> Callable | None:
        """Converter applied to plain values compared with this node (fields set one)."""
        return None

    def alias(self, alias: str | None) -> Node:
        if alias:
            return Alias(self, alias)
        return self

    def unalias(self) -> Node:
        return self

    def bind_to(self, dest: Any) -> 'BindTo':
        return BindTo(self, dest)

    def cast(self, as_type: str) -> 'Cast':
        return Cast(self, as_type)

    def asc(self, collation: str | None = None, nulls: str | None = None) -> 'Asc':
        return Asc(self, collation=collation, nulls=nulls)

    __pos__ = asc

    def desc(self, collation: str | None = None, nulls: str | None = None) -> 'Desc':
        return Desc(self, collation=collation, nulls=nulls)

    __neg__ = desc

    def __invert__(self) -> 'Negated':
        return Negated(self)

    __and__ = _binary(OP.AND)
    __or__ = _binary(OP.OR)
    __add__ = _binary(OP.ADD)
    __sub__ = _binary(OP.SUB)
    __mul__ = _binary(OP.MUL)
    __truediv__ = __div__ = _binary(OP.DIV)
    __xor__ = _binary(OP.XOR)
    __radd__ = _binary(OP.ADD, inverse=True)
    __rsub__ = _binary(OP.SUB, inverse=True)
    __rmul__ = _binary(OP.MUL, inverse=True)
    __rtruediv__ = __rdiv__ = _binary(OP.DIV, inverse=True)
    __rand__ = _binary(OP.AND, inverse=True)
    __ror__ = _binary(OP.OR, inverse=True)
    __rxor__ = _binary(OP.XOR, inverse=True)

    def __eq__(self, rhs: Any) -> 'Expression':  # type: ignore[override]
        return Expression(self, OP.IS if rhs is None else OP.EQ, rhs)

    def __ne__(self, rhs: Any) -> 'Expression':  # type: ignore[override]
        return Expression(self, OP.IS_NOT if rhs is None else OP.NE, rhs)

    __lt__ = _binary(OP.LT)
    __le__ = _binary(OP.LTE)
    __gt__ = _binary(OP.GT)
    __ge__ = _binary(OP.GTE)
    __lshift__ = _binary(OP.IN)
    __rshift__ = _binary(OP.IS)
    __mod__ = _binary(OP.LIKE)
    __pow__ = _binary(OP.ILIKE)

    __hash__ = Node.__hash__

    bin_and = _binary(OP.BIN_AND)
    bin_or = _binary(OP.BIN_OR)

    def in_(self, rhs: Any) -> 'Expression':
        return Expression(self, OP.IN, rhs)

    def not_in(self, rhs: Any) -> 'Expression':
        return Expression(self, OP.NOT_IN, rhs)

    def is_null(self, is_null: bool = True) -> 'Expression':
        return Expression(self, OP.IS if is_null else OP.IS_NOT, None)

    def regexp(self, rhs: Any) -> 'Expression':
        return Expression(self, OP.REGEXP, rhs)

    def iregexp(self, rhs: Any) -> 'Expression':
        return Expression(self, OP.IREGEXP, rhs)

    def like(self, rhs: Any) -> 'Expression':
        """Case-sensitive match, same as ``column % pattern``: ``LIKE`` (wildcards ``%``
        and ``_``), spelled ``GLOB`` on SQLite (wildcards ``*`` and ``?``)."""
        return Expression(self, OP.LIKE, rhs)

    def ilike(self, rhs: Any) -> 'Expression':
        """Case-insensitive match with ``%`` and ``_``, same as ``column ** pattern``."""
        return Expression(self, OP.ILIKE, rhs)

    def concat(self, rhs: Any) -> 'StringExpression':
        return StringExpression(self, OP.CONCAT, rhs)

    def __getitem__(self, item: Any) -> 'Expression':
        if isinstance(item, slice):
            if item.start is None or item.stop is None:
                raise ValueError('BETWEEN needs both ends: use column[low:high]')
            return self.between(item.start, item.stop)
        return self == item

    def between(self, lo: Any, hi: Any) -> 'Expression':
        return Expression(self, OP.BETWEEN, NodeList((lo, SQL('AND'), hi)))

    def _like(self, pattern: str, op: str) -> 'Expression':
        return Expression(self, op, _LikePattern(pattern))

    def contains(self, rhs: Any) -> 'Expression':
        if isinstance(rhs, Node):
            return Expression(self, OP.ILIKE, Value('%').concat(rhs).concat('%'))
        return self._like('%' + _escape_like(str(rhs)) + '%', OP.ILIKE)

    def startswith(self, rhs: Any) -> 'Expression':
        if isinstance(rhs, Node):
            return Expression(self, OP.ILIKE, rhs.concat('%'))
        return self._like(_escape_like(str(rhs)) + '%', OP.ILIKE)

    def endswith(self, rhs: Any) -> 'Expression':
        if isinstance(rhs, Node):
            return Expression(self, OP.ILIKE, Value('%').concat(rhs))
        return self._like('%' + _escape_like(str(rhs)), OP.ILIKE)

    def distinct(self) -> 'NodeList':
        return NodeList((SQL('DISTINCT'), self))

    def collate(self, collation: str) -> 'NodeList':
        return NodeList((self, SQL('COLLATE %s' % _check_word(collation, 'collation'))))

    def get_sort_key(self, ctx: Context) -> tuple:
        return ()


class SQL(ColumnBase):
    """Raw SQL text, with optional parameters for the placeholders it contains.

    Placeholders are the engine's own (``?`` for SQLite, ``%s`` for PostgreSQL).
    """

    def __init__(self, sql: str, params: Iterable | None = None) -> None:
        if not isinstance(sql, str):
            raise TypeError('SQL() takes a string of SQL, got %s' % type(sql).__name__)
        self.sql = sql
        self.params = list(params) if params is not None else None

    def __sql__(self, ctx: Context) -> Context:
        if self.params and ctx.state.literal_values:
            return self._render_literals(ctx)
        ctx.literal(self.sql)
        if self.params:
            for param in self.params:
                ctx.value(param, converter=_identity, add_param=False)
        return ctx

    def _render_literals(self, ctx: Context) -> Context:
        # where the engine wants constants (e.g. a partial index's predicate), the
        # placeholders are replaced by the values written as SQL literals
        dialect = ctx.dialect
        parts = self.sql.split(dialect.param)
        if len(parts) != len(self.params) + 1:
            raise ValueError('SQL(%r) has %d placeholder(s) (%s) for %d parameter(s)' % (
                self.sql, len(parts) - 1, dialect.param, len(self.params)))
        out = [parts[0]]
        for value, tail in zip(self.params, parts[1:]):
            out.append(dialect.literal_value(value))
            out.append(tail)
        ctx.literal(''.join(out))
        return ctx

    def __repr__(self) -> str:
        return 'SQL(%r, %r)' % (self.sql, self.params)


class Entity(ColumnBase):
    """A quoted identifier, possibly dotted: ``Entity('schema', 'table')``."""

    def __init__(self, *path: str) -> None:
        if not path:
            raise ValueError('Entity() needs at least one name')
        for part in path:
            if not isinstance(part, str):
                raise TypeError('Entity() names must be strings, got %r' % (part,))
        self._path = tuple(path)

    def __getattr__(self, attr: str) -> 'Entity':
        if attr.startswith('__'):
            raise AttributeError(attr)
        return Entity(*self._path, attr)

    def get_sort_key(self, ctx: Context) -> tuple:
        return self._path

    def __hash__(self) -> int:
        return hash((self.__class__.__name__, self._path))

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
    """A LIKE pattern built by contains/startswith/endswith: escaped and ESCAPE-marked."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __sql__(self, ctx: Context) -> Context:
        ctx.value(self.pattern, converter=_identity)
        return ctx.literal(" ESCAPE '\\'")


def _identity(value: Any) -> Any:
    return value


class Column(ColumnBase):
    """A column of a table, subquery or CTE: ``Table.c.name``."""

    def __init__(self, source: Any, name: str) -> None:
        self.source = source
        self.name = name

    def get_sort_key(self, ctx: Context) -> tuple:
        if ctx.scope == SCOPE_VALUES:
            return (self.name,)
        return self.source.get_sort_key(ctx) + (self.name,)

    def __hash__(self) -> int:
        return hash((self.source, self.name))

    def __repr__(self) -> str:
        return '<Column %s.%s>' % (getattr(self.source, '_name', self.source), self.name)

    def __sql__(self, ctx: Context) -> Context:
        if ctx.scope == SCOPE_VALUES:
            return ctx.literal(ctx.dialect.quote_identifier(self.name))
        _source_reference(ctx, self.source)
        return ctx.literal('.' + ctx.dialect.quote_identifier(self.name))


def _source_reference(ctx: Context, source: Any) -> None:
    """Render the name by which a source's columns are qualified (its alias)."""
    apply_column = getattr(source, 'apply_column', None)
    if apply_column is not None and not isinstance(source, type):
        apply_column(ctx)          # an alias reference reads the same in every scope
        return
    with ctx.scope_normal():
        ctx.sql(source)


class WrappedNode(ColumnBase):
    """A node that wraps another and forwards its converter."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._coerce = getattr(node, '_coerce', True)
        self._converter = getattr(node, '_converter', None)

    def is_alias(self) -> bool:
        return self.node.is_alias()

    def unwrap(self) -> Node:
        return self.node.unwrap()

    def _value_converter(self):
        return self.node._value_converter() if isinstance(self.node, ColumnBase) else None


class Alias(WrappedNode):
    """``expr AS "name"`` in the select list; the bare name elsewhere."""

    def __init__(self, node: Node, alias: str) -> None:
        super().__init__(node)
        self._alias = alias

    def __hash__(self) -> int:
        return hash(self._alias)

    @property
    def name(self) -> str:
        return self._alias

    @name.setter
    def name(self, value: str) -> None:
        self._alias = value

    def alias(self, alias: str | None = None) -> Node:
        if alias is None:
            return self.node
        return Alias(self.node, alias)

    def unalias(self) -> Node:
        return self.node

    def is_alias(self) -> bool:
        return True

    def __sql__(self, ctx: Context) -> Context:
        if ctx.scope in (SCOPE_COLUMN, SCOPE_SOURCE):
            with ctx(scope=SCOPE_NORMAL if ctx.scope == SCOPE_COLUMN else ctx.scope):
                ctx.sql(self.node)
            return ctx.literal(' AS ' + ctx.dialect.quote_identifier(self._alias))
        return ctx.literal(ctx.dialect.quote_identifier(self._alias))


class BindTo(WrappedNode):
    """Mark a selected expression as belonging to ``dest`` (a model) when rows are built."""

    def __init__(self, node: Node, dest: Any) -> None:
        super().__init__(node)
        self.dest = dest

    def __sql__(self, ctx: Context) -> Context:
        return ctx.sql(self.node)


class BitwiseMixin:
    def __and__(self, other: Any) -> 'Expression':
        return self.bin_and(other)

    def __or__(self, other: Any) -> 'Expression':
        return self.bin_or(other)

    def __sub__(self, other: Any) -> 'Expression':
        # clear the bits of ``other``: ``self & ~other``
        if isinstance(other, int) and not isinstance(other, bool):
            return self.bin_and(~other)
        return self.bin_and(BitwiseNegated(other if isinstance(other, Node) else Value(other)))

    def __invert__(self) -> 'BitwiseNegated':
        return BitwiseNegated(self)


class Negated(WrappedNode):
    """``NOT expr``."""

    def __invert__(self) -> Node:
        return self.node

    def __sql__(self, ctx: Context) -> Context:
        ctx.literal('NOT ')
        with ctx(parentheses=True):
            return ctx.sql(self.node)


class BitwiseNegated(BitwiseMixin, Negated):
    """``~expr``; itself combined bitwise (``~Model.flags & 7``)."""

    def __invert__(self) -> Node:
        return self.node

    def __sql__(self, ctx: Context) -> Context:
        ctx.literal('~')
        return ctx.sql(self.node)


class Value(ColumnBase):
    """A bound parameter.  A list/tuple/set with ``unpack`` renders as ``(?, ?, ...)``."""

    def __init__(self, value: Any, converter: Callable | None = None,
                 unpack: bool = True) -> None:
        self.value = value
        self.converter = converter
        self.multi = unpack and isinstance(value, (list, tuple, set, frozenset))
        if self.multi:
            # a nested tuple is a row value, (?, ?); any other item is one parameter
            self.values = [v if isinstance(v, Node) else
                           Value(v, converter=converter, unpack=isinstance(v, tuple))
                           for v in value]

    def __sql__(self, ctx: Context) -> Context:
        if self.multi:
            return ctx.sql(EnclosedNodeList(self.values))
        return ctx.value(self.value, self.converter)


class ValueLiterals(WrappedNode):
    """Render the values inside as SQL literals instead of parameters (use with care)."""

    def __sql__(self, ctx: Context) -> Context:
        sub = ctx.dialect.context()
        sub.state = ctx.state()
        sub.alias_manager = ctx.alias_manager
        sub.sql(self.node)
        sql, params = sub.query()
        parts = sql.split(ctx.dialect.param)
        out = [parts[0]]
        for value, tail in zip(params, parts[1:]):
            out.append(ctx.dialect.literal_value(value))
            out.append(tail)
        return ctx.literal(''.join(out))


def AsIs(value: Any) -> Value:
    """A parameter bound exactly as given, with no field conversion."""
    return Value(value, converter=_identity, unpack=False)


class Cast(WrappedNode):
    """``CAST(expr AS type)``."""

    def __init__(self, node: Any, cast: str) -> None:
        super().__init__(node if isinstance(node, Node) else Value(node))
        self._cast = _check_word(cast, 'type for CAST')
        self._coerce = False
        self._converter = None

    def _value_converter(self) -> None:
        # the cast changes the type: a value compared with it is not the column's type
        # (CAST(id AS TEXT) = '1' binds '1', not the integer 1)
        return None

    def __sql__(self, ctx: Context) -> Context:
        ctx.literal('CAST(')
        with ctx(parentheses=False):
            ctx.sql(self.node)
        return ctx.literal(' AS %s)' % self._cast)


class Ordering(WrappedNode):
    """``expr ASC|DESC [COLLATE c] [NULLS FIRST|LAST]``."""

    def __init__(self, node: Node, direction: str, collation: str | None = None,
                 nulls: str | None = None) -> None:
        super().__init__(node)
        self.direction = direction
        self.collation = collation and _check_word(collation, 'collation')
        if nulls is not None:
            if not isinstance(nulls, str) or nulls.upper() not in ('FIRST', 'LAST'):
                raise ValueError('nulls= must be "first" or "last", got %r' % (nulls,))
            nulls = nulls.upper()
        self.nulls = nulls

    def collate(self, collation: str | None = None) -> 'Ordering':
        return Ordering(self.node, self.direction, collation, self.nulls)

    def __sql__(self, ctx: Context) -> Context:
        node = self.node
        if self.nulls and not ctx.dialect.nulls_ordering:
            # emulate: sort NULLs by a leading CASE expression
            first = 0 if self.nulls == 'FIRST' else 1
            ctx.sql(Case(None, [(node.is_null() if isinstance(node, ColumnBase)
                                 else Expression(node, OP.IS, None), first)], 1 - first))
            ctx.literal(', ')
        ctx.sql(node).literal(' ' + self.direction)
        if self.collation:
            ctx.literal(' COLLATE ' + self.collation)
        if self.nulls and ctx.dialect.nulls_ordering:
            ctx.literal(' NULLS ' + self.nulls)
        return ctx


def Asc(node: Node, collation: str | None = None, nulls: str | None = None) -> Ordering:
    return Ordering(ensure_node(node, 'Asc()'), 'ASC', collation, nulls)


def Desc(node: Node, collation: str | None = None, nulls: str | None = None) -> Ordering:
    return Ordering(ensure_node(node, 'Desc()'), 'DESC', collation, nulls)


class Expression(ColumnBase):
    """``lhs OP rhs``, parenthesised unless ``flat``."""

    def __init__(self, lhs: Any, op: str, rhs: Any, flat: bool = False) -> None:
        if not isinstance(op, str) or not _OPERATOR_RE.match(op.strip()):
            raise ValueError(
                'unknown operator %r: use one of the OP constants (OP.EQ, OP.IN, OP.LIKE, '
                '...) or an SQL operator such as "@>"' % (op,))
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
        if op in (OP.IN, OP.NOT_IN) and not isinstance(rhs, Node):
            values = list(rhs) if not isinstance(rhs, (str, bytes)) else [rhs]
            if not values:   # x IN () is always false, x NOT IN () always true
                return ctx.literal('(0 = 1)' if op == OP.IN else '(1 = 1)')
            rhs = Value(values, converter=converter)
        elif op in (OP.IS, OP.IS_NOT) and rhs is None:
            rhs = Null
        elif type(rhs) is tuple and isinstance(lhs, NodeList) and lhs.parens:
            if len(rhs) != len(lhs.nodes):
                raise ValueError('a row value of %d columns is compared with a tuple of %d '
                                 'values' % (len(lhs.nodes), len(rhs)))
            # a row value compared with a tuple: Tuple(a, b) == (1, 2) -> (a, b) = (?, ?),
            # each value converted by the column it lines up with
            rhs = EnclosedNodeList([
                v if isinstance(v, Node) else
                Value(v, converter=n._value_converter() if isinstance(n, ColumnBase) else None,
                      unpack=False)
                for n, v in zip(lhs.nodes, rhs)])
        if dialect.rewrite_operand is not None:
            rhs = dialect.rewrite_operand(op, rhs)
        # frames are swapped by hand (and only when they change): this is the hottest node
        state = ctx.state
        if state.converter is not None:
            ctx.state = state(converter=None)
        if not self.flat:
            ctx.literal('(')
        ctx.sql(lhs)
        ctx.literal(' %s ' % dialect.render_operator(op))
        if converter is not ctx.state.converter:
            ctx.state = state(converter=converter)
        if isinstance(rhs, Node):
            ctx.sql(rhs)
        else:
            ctx.value(rhs, converter)
        if not self.flat:
            ctx.literal(')')
        ctx.state = state
        return ctx


class StringExpression(Expression):
    def __add__(self, rhs: Any) -> 'StringExpression':
        return self.concat(rhs)

    def __radd__(self, lhs: Any) -> 'StringExpression':
        return StringExpression(lhs, OP.CONCAT, self)


class NodeList(ColumnBase):
    """Nodes joined by ``glue``, optionally in parentheses."""

    def __init__(self, nodes: Iterable, glue: str = ' ', parens: bool = False) -> None:
        self.nodes = list(nodes)
        self.glue = glue
        self.parens = parens
        if parens and len(self.nodes) == 1 and isinstance(self.nodes[0], Expression) \
                and not self.nodes[0].flat:
            self.nodes[0] = self.nodes[0].clone()
            self.nodes[0].flat = True

    def __sql__(self, ctx: Context) -> Context:
        n = len(self.nodes)
        if n == 0:
            return ctx.literal('()') if self.parens else ctx
        with ctx(parentheses=True):
            if self.parens:
                ctx.literal('(')
            for i, node in enumerate(self.nodes):
                if i:
                    ctx.literal(self.glue)
                ctx.sql(node)
            if self.parens:
                ctx.literal(')')
        return ctx


def CommaNodeList(nodes: Iterable) -> NodeList:
    return NodeList(nodes, ', ')


def EnclosedNodeList(nodes: Iterable) -> NodeList:
    return NodeList(nodes, ', ', True)


def Tuple(*args: Any) -> NodeList:
    return EnclosedNodeList(args)


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
        self.predicate = predicate
        self.expression_tuples = list(expression_tuples)
        if not self.expression_tuples:
            raise ValueError('Case() needs at least one (when, then) pair')
        self.default = default

    def __sql__(self, ctx: Context) -> Context:
        parts: list = [SQL('CASE')]
        if self.predicate is not None:
            parts.append(self.predicate)
        for when, then in self.expression_tuples:
            parts.extend((SQL('WHEN'), when, SQL('THEN'), then))
        if self.default is not None:
            parts.extend((SQL('ELSE'), self.default))
        parts.append(SQL('END'))
        with ctx(converter=None):
            return ctx.sql(NodeList(parts))


class Function(ColumnBase):
    """An SQL function call: ``fn.COUNT(x)``, with FILTER, OVER and ORDER BY options."""

    no_coerce_functions = {'sum', 'count', 'avg', 'cast', 'array_agg'}
    #: functions that take a subquery itself, not its value: EXISTS(SELECT ...)
    subquery_functions = {'exists', 'any', 'all', 'some', 'array'}

    def __init__(self, name: str, arguments: Iterable, coerce: bool = True,
                 python_value: Callable | None = None) -> None:
        if not re.match(r'^[A-Za-z_][A-Za-z0-9_.$]*$', name):
            raise ValueError('invalid SQL function name %r' % (name,))
        self.name = name
        self.arguments = tuple(arguments)
        self._filter = None
        self._order_by = None
        self._python_value = python_value
        self._coerce = coerce and name.lower() not in self.no_coerce_functions

    def __getattr__(self, attr: str) -> Callable:
        if attr.startswith('__'):
            raise AttributeError(attr)

        def decorator(*args: Any, **kwargs: Any) -> 'Function':
            return Function(attr, args, **kwargs)
        return decorator

    @mutator
    def filter(self, where: Any = None) -> None:
        self._filter = where

    @mutator
    def order_by(self, *ordering: Any) -> None:
        self._order_by = ordering

    @mutator
    def python_value(self, func: Callable | None = None) -> None:
        self._python_value = func

    @property
    def _converter(self):  # type: ignore[override]
        if self._python_value is not None:
            return self._python_value
        if self._coerce and self.arguments:
            return getattr(self.arguments[0], '_converter', None)
        return None

    @mutator
    def coerce(self, coerce: bool = True) -> None:
        self._coerce = coerce

    def over(self, partition_by: Any = None, order_by: Any = None, start: Any = None,
             end: Any = None, frame_type: str | None = None, window: 'Window' | None = None,
             exclude: Any = None) -> 'NodeList':
        if isinstance(partition_by, Window) and window is None:
            window = partition_by
        if window is not None:
            node = WindowAlias(window)
        else:
            node = Window(partition_by=partition_by, order_by=order_by, start=start, end=end,
                          frame_type=frame_type, exclude=exclude, _inline=True)
        return NodeList((self, SQL('OVER'), node))

    def __sql__(self, ctx: Context) -> Context:
        ctx.literal(self.name + '(')
        n = len(self.arguments)
        # EXISTS(SELECT ...) takes the query itself; elsewhere a subquery argument is a
        # value and keeps its own parentheses: ABS((SELECT ...))
        sole = self.arguments[0] if n == 1 and \
            self.name.lower() in self.subquery_functions else None
        with ctx(in_function=True, converter=None, parentheses=False, sole_function_arg=sole):
            for i, arg in enumerate(self.arguments):
                if i:
                    ctx.literal(', ')
                if isinstance(arg, Node):
                    ctx.sql(arg)
                else:
                    ctx.value(arg)
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


class _FunctionFactory:
    """``fn.ANY_NAME(*args)`` builds a Function."""

    def __getattr__(self, name: str) -> Callable:
        if name.startswith('__'):
            raise AttributeError(name)

        def make(*args: Any, **kwargs: Any) -> Function:
            return Function(name, args, **kwargs)
        return make


fn = _FunctionFactory()


class Window(Node):
    """A window definition for ``OVER (...)``, inline or named (``WINDOW w AS (...)``)."""

    CURRENT_ROW = SQL('CURRENT ROW')
    GROUP = SQL('GROUP')
    TIES = SQL('TIES')
    NO_OTHERS = SQL('NO OTHERS')
    GROUPS = 'GROUPS'
    RANGE = 'RANGE'
    ROWS = 'ROWS'

    def __init__(self, partition_by: Any = None, order_by: Any = None, start: Any = None,
                 end: Any = None, frame_type: str | None = None, extends: Any = None,
                 exclude: Any = None, alias: str | None = None, _inline: bool = False) -> None:
        self.partition_by = ensure_tuple(partition_by)
        self.order_by = ensure_tuple(order_by)
        if start is not None and not isinstance(start, SQL):
            start = SQL(start)
        if end is not None and not isinstance(end, SQL):
            end = SQL(end)
        if end is not None and start is None:
            raise ValueError('a window frame with an end needs a start too')
        self.start = start
        self.end = end
        if frame_type is not None and frame_type.upper() not in ('ROWS', 'RANGE', 'GROUPS'):
            raise ValueError('frame_type must be ROWS, RANGE or GROUPS, got %r' % frame_type)
        self.frame_type = frame_type and frame_type.upper()
        self._extends = extends
        if exclude is not None and not isinstance(exclude, SQL):
            exclude = SQL(exclude)
        self._exclude = exclude
        self._alias = alias or 'w'
        self._inline = _inline

    def alias(self, alias: str | None = None) -> 'Window':
        clone = self.clone()
        clone._alias = alias or 'w'
        return clone

    @mutator
    def as_range(self) -> None:
        self.frame_type = self.RANGE

    @mutator
    def as_rows(self) -> None:
        self.frame_type = self.ROWS

    @mutator
    def as_groups(self) -> None:
        self.frame_type = self.GROUPS

    @mutator
    def extends(self, window: Any = None) -> None:
        self._extends = window

    @mutator
    def exclude(self, frame_exclusion: Any = None) -> None:
        if isinstance(frame_exclusion, str):
            frame_exclusion = SQL(frame_exclusion)
        self._exclude = frame_exclusion

    @staticmethod
    def following(value: int | None = None) -> SQL:
        return SQL('UNBOUNDED FOLLOWING' if value is None else '%d FOLLOWING' % int(value))

    @staticmethod
    def preceding(value: int | None = None) -> SQL:
        return SQL('UNBOUNDED PRECEDING' if value is None else '%d PRECEDING' % int(value))

    def _definition(self, ctx: Context) -> Context:
        parts: list = []
        if self._extends is not None:
            ext = self._extends
            name = ext._alias if isinstance(ext, Window) else ext
            parts.append(Entity(name))
        if self.partition_by:
            parts.extend((SQL('PARTITION BY'), CommaNodeList(self.partition_by)))
        if self.order_by:
            parts.extend((SQL('ORDER BY'), CommaNodeList(self.order_by)))
        if self.start is not None or self.frame_type is not None:
            frame = self.frame_type or self.ROWS
            if self.start is not None and self.end is not None:
                parts.extend((SQL(frame), SQL('BETWEEN'), self.start, SQL('AND'), self.end))
            elif self.start is not None:
                parts.extend((SQL(frame), self.start))
            else:
                parts.append(SQL(frame + ' UNBOUNDED PRECEDING'))
            if self._exclude is not None:
                parts.extend((SQL('EXCLUDE'), self._exclude))
        ctx.literal('(')
        with ctx(parentheses=False, converter=None):
            ctx.sql(NodeList(parts))
        return ctx.literal(')')

    def __sql__(self, ctx: Context) -> Context:
        if ctx.state.window_definitions:
            ctx.literal(ctx.dialect.quote_identifier(self._alias) + ' AS ')
            return self._definition(ctx)
        if self._inline:
            return self._definition(ctx)
        return ctx.literal(ctx.dialect.quote_identifier(self._alias))


class WindowAlias(Node):
    def __init__(self, window: Window) -> None:
        self.window = window

    def alias(self, window_alias: str) -> 'WindowAlias':
        self.window._alias = window_alias
        return self

    def __sql__(self, ctx: Context) -> Context:
        return ctx.literal(ctx.dialect.quote_identifier(self.window._alias or 'w'))


class Check(SQL):
    """A CHECK constraint: ``Check('price > 0', name=None)``."""

    def __init__(self, constraint: str, name: str | None = None) -> None:
        if name:
            super().__init__('CONSTRAINT %s CHECK (%s)' % (quote((name,)), constraint))
        else:
            super().__init__('CHECK (%s)' % constraint)


class Default(SQL):
    def __init__(self, value: str) -> None:
        super().__init__('DEFAULT %s' % value)


class QualifiedNames(WrappedNode):
    """Render columns inside as fully qualified even where they would not be."""

    def __sql__(self, ctx: Context) -> Context:
        with ctx(scope=SCOPE_NORMAL, qualify_names=True):
            return ctx.sql(self.node)


def qualify_names(node: Node) -> Node:
    if isinstance(node, Expression):
        return node.__class__(qualify_names(node.lhs), node.op, qualify_names(node.rhs),
                              node.flat)
    if isinstance(node, ColumnBase):
        return QualifiedNames(node)
    return node


class NamespaceAttribute(ColumnBase):
    """``namespace.attribute`` rendered without quoting the namespace (e.g. EXCLUDED)."""

    def __init__(self, namespace: Any, attribute: str) -> None:
        self._namespace = namespace
        self._attribute = attribute

    def __sql__(self, ctx: Context) -> Context:
        return ctx.literal(self._namespace._name + '.' +
                           ctx.dialect.quote_identifier(self._attribute))


class EntityFactory:
    """``factory.name`` gives an Entity (or a namespaced column)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> NamespaceAttribute:
        if attr.startswith('__'):
            raise AttributeError(attr)
        return NamespaceAttribute(self, attr)


EXCLUDED = EntityFactory('EXCLUDED')
