"""Turn what a person types into a search box into a query FTS5 accepts.

FTS5's query language gives meaning to most punctuation, so raw user input often fails
to parse (``covid-19`` asks for a column named ``19``).  :func:`web_query` reads the
syntax people know from web search engines and writes an equivalent FTS5 query in
which every term is a quoted string, so the result always parses:

=============================  ====================================================
``python sqlite``              both terms (``AND`` may be written, or left out)
``python OR sqlite``           either term (``AND`` binds tighter than ``OR``)
``python -sqlite``             the first, excluding the second (also ``NOT``)
``"full text"``                the phrase
``pyth*``, ``"full te"*``      terms starting with ...
``title: python``              in the ``title`` column only (a known column)
``{title body}: python``       in either column
``(python OR sqlite) fast``    grouping, also after a column: ``title:(a OR b)``
=============================  ====================================================

Everything else is text: ``c++``, ``o'brien`` and ``covid-19`` are terms, a name that
is not a column (``re: hello``) is a word.  Broken input is mended rather than
refused: unclosed quotes and parentheses, stray operators, exclusions with nothing to
exclude from and nesting deeper than :data:`MAX_DEPTH` are dropped or flattened.
Input with nothing to search for gives ``""``, which matches no row.

:meth:`playhouse.sqlite_ext.FTS5Model.web_query` calls :func:`web_query` with the
model's indexed columns.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple, Union

__all__ = ['And', 'ColumnFilter', 'MAX_DEPTH', 'Not', 'Or', 'Phrase', 'parse', 'render',
           'web_query']

#: groups (and column filters) nested deeper than this are flattened into the
#: enclosing one, so no input can exhaust the stack
MAX_DEPTH = 32

#: the translation of input that has nothing to search for: an empty phrase
NOTHING = '""'


# -- the tree ------------------------------------------------------------------------------

class Phrase(NamedTuple):
    text: str
    prefix: bool = False


class And(NamedTuple):
    items: Tuple['Expr', ...]


class Or(NamedTuple):
    items: Tuple['Expr', ...]


class Not(NamedTuple):
    """``left NOT right``: rows matching ``left`` but not ``right``."""
    left: 'Expr'
    right: 'Expr'


class ColumnFilter(NamedTuple):
    """``expr`` searched in ``columns`` only (written ``{a b}:`` when ``braced``)."""
    columns: Tuple[str, ...]
    expr: 'Expr'
    braced: bool = False


Expr = Union[Phrase, And, Or, Not, ColumnFilter]


def _string(text: str) -> str:
    return '"%s"' % text.replace('"', '""')


def _operand(expr: Expr) -> str:
    return render(expr) if isinstance(expr, Phrase) else '(%s)' % render(expr)


def render(expr: Optional[Expr]) -> str:
    """The FTS5 text of a tree from :func:`parse` (``""`` for ``None``)."""
    if expr is None:
        return NOTHING
    if isinstance(expr, Phrase):
        return _string(expr.text) + ('*' if expr.prefix else '')
    if isinstance(expr, And):
        return ' AND '.join(_operand(item) for item in expr.items)
    if isinstance(expr, Or):
        return ' OR '.join(_operand(item) for item in expr.items)
    if isinstance(expr, Not):
        # NOT is left-associative: a chain of exclusions needs no parentheses
        left = render(expr.left) if isinstance(expr.left, Not) else _operand(expr.left)
        return '%s NOT %s' % (left, _operand(expr.right))
    if len(expr.columns) == 1 and not expr.braced:
        columns = _string(expr.columns[0])
    else:
        columns = '{%s}' % ' '.join(_string(name) for name in expr.columns)
    return '%s: %s' % (columns, _operand(expr.expr))


# -- reading the input ---------------------------------------------------------------------

_SPACE = re.compile(r'\s+')
_WORD = re.compile(r'[^\s()"]+')
_WORDLY = re.compile(r'\w')
_BARE_COLUMN = re.compile(r'(\w+):')
_BRACED_COLUMNS = re.compile(r'\{([^{}()"]*)\}:')
_KEYWORDS = {'AND': 'and', 'OR': 'or', 'NOT': 'not'}

Token = Tuple[str, Any]


def _tokens(text: str, columns: Dict[str, str]) -> List[Token]:
    """The input as tokens: ``word`` / ``phrase`` (text, prefix), ``cols`` (names, braced),
    ``neg``, ``lparen``, ``rparen``, ``and``, ``or``, ``not``."""
    out: List[Token] = []
    # SQLite reads a query only up to a NUL character: it would cut a phrase short
    text = text.replace('\x00', ' ')
    pos, end = 0, len(text)
    while pos < end:
        char = text[pos]
        if char.isspace():
            pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
        elif char == '(':
            out.append(('lparen', None))
            pos += 1
        elif char == ')':
            out.append(('rparen', None))
            pos += 1
        elif char == '"':
            close = text.find('"', pos + 1)
            if close < 0:       # an unclosed quote: the rest is read as words
                pos += 1
                continue
            phrase = text[pos + 1:close]
            pos = close + 1
            prefix = False
            while pos < end and text[pos] == '*':
                prefix, pos = True, pos + 1
            if _WORDLY.search(phrase):
                out.append(('phrase', (phrase.strip(), prefix)))
        elif char == '-':
            while pos < end and text[pos] == '-':
                pos += 1
            if pos < end and not text[pos].isspace():
                out.append(('neg', None))
        else:
            found = _column_marker(text, pos, columns)
            if found is not None:
                names, pos = found
                out.append(('cols', names))
                continue
            match = _WORD.match(text, pos)
            assert match is not None
            word = match.group()
            pos = match.end()
            if word in _KEYWORDS:
                out.append((_KEYWORDS[word], None))
                continue
            stem = word.rstrip('*')
            if _WORDLY.search(stem):
                out.append(('word', (stem, stem != word)))
    return out


def _column_marker(text: str, pos: int,
                   columns: Dict[str, str]
                   ) -> Optional[Tuple[Tuple[Tuple[str, ...], bool], int]]:
    """``name:`` or ``{name name}:`` at ``pos`` naming known columns:
    ((names, braced?), end)."""
    match = _BARE_COLUMN.match(text, pos)
    if match is not None:
        name = columns.get(match.group(1).lower())
        return (((name,), False), match.end()) if name is not None else None
    match = _BRACED_COLUMNS.match(text, pos)
    if match is not None:
        names = match.group(1).split()
        known = [columns.get(name.lower()) for name in names]
        if names and all(name is not None for name in known):
            return (tuple(dict.fromkeys(known)), True), match.end()  # type: ignore[arg-type]
    return None


class _Parser:
    def __init__(self, tokens: List[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.flattened = 0      # "(" read as nothing (too deep): their ")" go too

    def peek(self) -> str:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else 'end'

    def take(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def alternatives(self, depth: int) -> Optional[Expr]:
        """``conjunction (OR conjunction)*``, to the end or the ``)`` of this group."""
        found = [self.conjunction(depth)]
        while self.peek() == 'or':
            self.take()
            found.append(self.conjunction(depth))
        items = tuple(item for item in found if item is not None)
        if not items:
            return None
        return items[0] if len(items) == 1 else Or(items)

    def conjunction(self, depth: int) -> Optional[Expr]:
        """Operands AND-ed together; the excluded ones (``-x``, ``NOT x``) are taken out
        of the AND of the others."""
        included: List[Expr] = []
        excluded: List[Expr] = []
        exclude_next = False
        while True:
            kind = self.peek()
            if kind in ('end', 'or'):
                break
            if kind == 'rparen':
                if self.flattened:
                    self.flattened -= 1
                elif depth:
                    break
                self.take()             # a ")" that closes nothing
                continue
            if kind == 'and':
                self.take()
                continue
            if kind == 'not':
                self.take()
                # binary: a NOT with nothing on its left is dropped
                exclude_next = bool(included or excluded)
                continue
            item, negated = self.unary(depth)
            if item is None:
                continue
            (excluded if negated or exclude_next else included).append(item)
            exclude_next = False
        if not included:
            return None     # nothing left to exclude from
        result: Expr = included[0] if len(included) == 1 else And(tuple(included))
        for item in excluded:
            result = Not(result, item)
        return result

    def unary(self, depth: int) -> Tuple[Optional[Expr], bool]:
        """One operand, with the exclusion marks before it: (expression, excluded?)."""
        negated = False
        while True:
            kind = self.peek()
            if kind == 'neg':
                negated = True
            elif not (kind == 'cols' and depth >= MAX_DEPTH):
                break
            self.take()     # too deep for another column filter: it is left out
        kind = self.peek()
        if kind in ('word', 'phrase'):
            text, prefix = self.take()[1]
            return Phrase(text, prefix), negated
        if kind == 'lparen':
            self.take()
            if depth >= MAX_DEPTH:
                self.flattened += 1
                return None, negated
            inner = self.alternatives(depth + 1)
            if self.peek() == 'rparen':
                self.take()
            return inner, negated
        if kind == 'cols':
            names = self.take()[1]
            item, inner_negated = self.unary(depth + 1)
            if item is None:
                return None, negated
            columns, braced = names
            return ColumnFilter(columns, item, braced), negated or inner_negated
        return None, negated    # an operator, ")" or the end: no operand here


def parse(query: str, columns: Iterable[str] = ()) -> Optional[Expr]:
    """The tree of a search-box ``query`` (``None`` when it has nothing to search for).

    :param columns: the names that ``name:`` and ``{name ...}:`` may filter on
        (matched without regard to case); other ``name:`` text is a word.
    """
    known = {name.lower(): name for name in columns}
    return _Parser(_tokens(query or '', known)).alternatives(0)


def web_query(query: str, columns: Sequence[str] = ()) -> str:
    """``query`` as FTS5 query text (see the module's description)."""
    return render(parse(query, columns))
