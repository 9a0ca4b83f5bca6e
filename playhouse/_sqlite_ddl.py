"""A small parser for SQLite's ``CREATE TABLE`` statements (used by the table rebuild
of :class:`playhouse.migrate.SqliteMigrator`).

The statement is split into tokens (strings, quoted names and comments stay whole), the
body into column definitions and table constraints, and each column definition into its
name, type and constraint clauses, so that one clause can be added, replaced or removed
and everything else is written back as it was.
"""
from __future__ import annotations

import re
from collections import namedtuple
from typing import Any, Optional

from orm import NotSupportedError

__all__ = ['TableDef', 'mentions', 'render_atoms']


_TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<string>'(?:[^']|'')*'|[xX]'[0-9A-Fa-f]*')
  | (?P<ident>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
  | (?P<word>[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*)
  | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<op>.)
""", re.X | re.S)

_Token = namedtuple('_Token', ('kind', 'text'))


def _tokenize(sql: str) -> list:
    return [_Token(m.lastgroup, m.group()) for m in _TOKEN_RE.finditer(sql)]


def _unquote(token: Any) -> str:
    text = token.text
    if token.kind == 'ident':
        if text[0] == '[':
            return text[1:-1]
        q = text[0]
        return text[1:-1].replace(q + q, q)
    if token.kind == 'string' and text.startswith("'"):
        return text[1:-1].replace("''", "'")
    return text


class _Atom:
    """A significant token, or a whole parenthesised group, with its spacing."""

    __slots__ = ('kind', 'text', 'space', 'tokens')

    def __init__(self, kind: str, text: str, space: bool, tokens: list) -> None:
        self.kind = kind
        self.text = text
        self.space = space
        self.tokens = tokens

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == 'word' else ''

    def names(self) -> set:
        """Lower-cased identifiers in the atom (for "does this mention column X")."""
        return {_unquote(t).lower() for t in self.tokens if t.kind in ('ident', 'word')}


def _atomize(tokens: list) -> list:
    atoms: list = []
    space = False
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        if tok.kind in ('ws', 'comment'):
            space = True
            i += 1
            continue
        if tok.kind == 'op' and tok.text == '(':
            depth, j = 0, i
            while j < n:
                t = tokens[j]
                if t.kind == 'op' and t.text == '(':
                    depth += 1
                elif t.kind == 'op' and t.text == ')':
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            group = tokens[i:j + 1]
            atoms.append(_Atom('group', ''.join(t.text for t in group), space, group))
            i = j + 1
        else:
            atoms.append(_Atom(tok.kind, tok.text, space, [tok]))
            i += 1
        space = False
    return atoms


def render_atoms(atoms: list) -> str:
    out = []
    for k, atom in enumerate(atoms):
        if k and atom.space:
            out.append(' ')
        out.append(atom.text)
    return ''.join(out)


def _new_atoms(sql: str) -> list:
    atoms = _atomize(_tokenize(sql))
    if atoms:
        atoms[0].space = True
    return atoms


_COLUMN_STARTERS = frozenset(('CONSTRAINT', 'PRIMARY', 'NOT', 'NULL', 'UNIQUE', 'CHECK',
                              'DEFAULT', 'COLLATE', 'REFERENCES', 'GENERATED', 'AS'))
_TABLE_CONSTRAINTS = frozenset(('CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN'))


class _Clause:
    """One column constraint: ``kind`` is NOT NULL, NULL, PRIMARY, UNIQUE, CHECK, DEFAULT,
    COLLATE, REFERENCES or GENERATED; ``name`` its CONSTRAINT name if any."""

    def __init__(self, kind: str, atoms: list, name: Optional[str] = None) -> None:
        self.kind = kind
        self.atoms = atoms
        self.name = name

    def names(self) -> set:
        out: set = set()
        for atom in self.atoms:
            out |= atom.names()
        return out


def _skip_conflict(atoms: list, j: int) -> int:
    if j + 1 < len(atoms) and atoms[j].upper == 'ON' and atoms[j + 1].upper == 'CONFLICT':
        return min(j + 3, len(atoms))
    return j


def _parse_references(atoms: list, j: int) -> int:
    """``j`` is just after REFERENCES: skip the table, columns and actions."""
    n = len(atoms)
    j += 1                                  # the parent table
    if j < n and atoms[j].kind == 'group':
        j += 1
    while j < n:
        up = atoms[j].upper
        if up == 'ON' and j + 1 < n and atoms[j + 1].upper in ('DELETE', 'UPDATE'):
            j += 2
            if j < n and atoms[j].upper in ('SET', 'NO'):
                j += 2
            else:
                j += 1
        elif up == 'MATCH':
            j += 2
        elif up == 'NOT' and j + 1 < n and atoms[j + 1].upper == 'DEFERRABLE':
            j += 2
        elif up == 'DEFERRABLE':
            j += 1
        elif up == 'INITIALLY':
            j += 2
        else:
            break
    return min(j, n)


def _parse_clause(atoms: list, j: int) -> tuple:
    """Parse one column constraint starting at ``j``; return (clause, next index)."""
    n = len(atoms)
    start = j
    name = None
    if atoms[j].upper == 'CONSTRAINT':
        name = _unquote(atoms[j + 1].tokens[0]) if j + 1 < n else None
        j += 2
        if j >= n:
            return _Clause('CONSTRAINT', atoms[start:], name), n
    kind = atoms[j].upper
    j += 1
    if kind == 'NOT':
        j = _skip_conflict(atoms, j + 1)        # NOT NULL [ON CONFLICT x]
        kind = 'NOT NULL'
    elif kind == 'NULL':
        j = _skip_conflict(atoms, j)
    elif kind == 'PRIMARY':
        j += 1                                  # KEY
        if j < n and atoms[j].upper in ('ASC', 'DESC'):
            j += 1
        j = _skip_conflict(atoms, j)
        if j < n and atoms[j].upper == 'AUTOINCREMENT':
            j += 1
    elif kind == 'UNIQUE':
        j = _skip_conflict(atoms, j)
    elif kind in ('CHECK', 'COLLATE'):
        j += 1
    elif kind == 'DEFAULT':
        if j < n and atoms[j].kind == 'op' and atoms[j].text in '+-':
            j += 2
        else:
            j += 1
    elif kind == 'REFERENCES':
        j = _parse_references(atoms, j - 1)
    elif kind in ('GENERATED', 'AS'):
        kind = 'GENERATED'
        while j < n and atoms[j].upper in ('ALWAYS', 'AS'):
            j += 1
        if j < n and atoms[j].kind == 'group':
            j += 1
        if j < n and atoms[j].upper in ('STORED', 'VIRTUAL'):
            j += 1
    else:
        while j < n and atoms[j].upper not in _COLUMN_STARTERS:
            j += 1
    return _Clause(kind, atoms[start:min(j, n)], name), min(j, n)


class _ColumnDef:
    """A column definition: name, type and constraint clauses."""

    kind = 'column'

    def __init__(self, atoms: list) -> None:
        self.name_atom = atoms[0]
        self.name = _unquote(atoms[0].tokens[0])
        j = 1
        self.type_atoms: list = []
        while j < len(atoms) and atoms[j].upper not in _COLUMN_STARTERS:
            self.type_atoms.append(atoms[j])
            j += 1
        self.clauses: list = []
        while j < len(atoms):
            clause, j = _parse_clause(atoms, j)
            self.clauses.append(clause)

    @property
    def generated(self) -> bool:
        return any(c.kind == 'GENERATED' for c in self.clauses)

    def has(self, kind: str) -> bool:
        return any(c.kind == kind for c in self.clauses)

    def remove(self, kind: str) -> int:
        before = len(self.clauses)
        self.clauses = [c for c in self.clauses if c.kind != kind]
        return before - len(self.clauses)

    def add(self, kind: str, sql: str) -> None:
        self.clauses.append(_Clause(kind, _new_atoms(sql)))

    def set_type(self, type_sql: str) -> None:
        self.type_atoms = _new_atoms(type_sql)

    def render(self) -> str:
        atoms = [self.name_atom] + list(self.type_atoms)
        for clause in self.clauses:
            if clause.atoms:
                clause.atoms[0].space = True
            atoms.extend(clause.atoms)
        return render_atoms(atoms)


class _ConstraintDef:
    """A table constraint: PRIMARY KEY (...), UNIQUE (...), CHECK (...), FOREIGN KEY ..."""

    kind = 'constraint'

    def __init__(self, atoms: list) -> None:
        self.atoms = atoms
        self.name: Optional[str] = None
        j = 0
        if atoms[0].upper == 'CONSTRAINT' and len(atoms) > 1:
            self.name = _unquote(atoms[1].tokens[0])
            j = 2
        self.type = atoms[j].upper if j < len(atoms) else ''
        self.columns: list = []
        for atom in atoms[j:]:
            if atom.kind == 'group':
                self.columns = _group_columns(atom)
                break

    def names(self) -> set:
        out: set = set()
        for atom in self.atoms:
            out |= atom.names()
        return out

    def render(self) -> str:
        return render_atoms(self.atoms)


def _group_columns(group: _Atom) -> list:
    """The column names of ``(a, "b" COLLATE x DESC)``."""
    inner = group.tokens[1:-1]
    columns, current = [], None
    depth = 0
    for tok in inner:
        if tok.kind == 'op' and tok.text == '(':
            depth += 1
        elif tok.kind == 'op' and tok.text == ')':
            depth -= 1
        elif tok.kind == 'op' and tok.text == ',' and depth == 0:
            if current is not None:
                columns.append(current)
            current = None
        elif current is None and tok.kind in ('word', 'ident') and depth == 0:
            current = _unquote(tok)
    if current is not None:
        columns.append(current)
    return columns


class TableDef:
    """A parsed ``CREATE TABLE``: its column and constraint items and trailing options."""

    def __init__(self, sql: str) -> None:
        tokens = _tokenize(sql)
        open_at = next((i for i, t in enumerate(tokens) if t.kind == 'op' and t.text == '('),
                       None)
        if open_at is None:
            raise NotSupportedError('cannot rebuild a table created with CREATE TABLE ... AS')
        depth, close_at = 0, None
        for i in range(open_at, len(tokens)):
            t = tokens[i]
            if t.kind == 'op' and t.text == '(':
                depth += 1
            elif t.kind == 'op' and t.text == ')':
                depth -= 1
                if depth == 0:
                    close_at = i
                    break
        if close_at is None:
            raise ValueError('unbalanced parentheses in %r' % sql)
        self.suffix = ''.join(t.text for t in tokens[close_at + 1:]).strip()
        self.items: list = []
        current: list = []
        depth = 0
        for tok in tokens[open_at + 1:close_at]:
            if tok.kind == 'op' and tok.text == '(':
                depth += 1
            elif tok.kind == 'op' and tok.text == ')':
                depth -= 1
            if tok.kind == 'op' and tok.text == ',' and depth == 0:
                self._add_item(current)
                current = []
            else:
                current.append(tok)
        self._add_item(current)

    def _add_item(self, tokens: list) -> None:
        atoms = _atomize(tokens)
        if not atoms:
            return
        first = atoms[0]
        if first.kind == 'word' and first.upper in _TABLE_CONSTRAINTS:
            self.items.append(_ConstraintDef(atoms))
        else:
            self.items.append(_ColumnDef(atoms))

    def columns(self) -> list:
        return [item for item in self.items if item.kind == 'column']

    def constraints(self) -> list:
        return [item for item in self.items if item.kind == 'constraint']

    def column(self, name: str) -> _ColumnDef:
        for item in self.columns():
            if item.name.lower() == name.lower():
                return item
        raise ValueError('table has no column %r (columns: %s)'
                         % (name, ', '.join(c.name for c in self.columns())))

    def add_constraint(self, sql: str) -> None:
        self.items.append(_ConstraintDef(_atomize(_tokenize(sql))))

    def render(self, quoted_name: str) -> str:
        body = ',\n  '.join(item.render() for item in self.items)
        sql = 'CREATE TABLE %s (\n  %s\n)' % (quoted_name, body)
        if self.suffix:
            sql += ' ' + self.suffix
        return sql


def mentions(sql: Optional[str], column: str) -> bool:
    """Whether ``sql`` names ``column`` as an identifier (not inside a string)."""
    if not sql:
        return False
    column = column.lower()
    return any(_unquote(t).lower() == column
               for t in _tokenize(sql) if t.kind in ('word', 'ident'))
