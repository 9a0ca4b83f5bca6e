"""Eager loading: ``User.select().with_related(Load(User.tweets))``.

A :class:`Load` names one relation of the rows a query returns.  When the query runs,
each relation is read for all of those rows with one more query, so walking
``user.tweets`` for every user costs nothing more:

* a back-reference (``Load(User.tweets)``): ``user.tweets`` becomes the list of that
  user's tweets, and each tweet's ``tweet.user`` is the user;
* a foreign key (``Load(Tweet.user)``): ``tweet.user`` is set from the loaded users.

``Load(rel, query)`` loads the related rows through ``query`` (its conditions, order,
joins and limit apply); ``per_parent=n`` keeps the first ``n`` related rows of each
parent (a window function: SQLite 3.25+, PostgreSQL); ``.then(...)`` loads relations of
the loaded rows in turn.  ``strategy`` chooses how the related query is restricted to the
parents' rows: ``PREFETCH_TYPE.WHERE`` nests the parent query in ``IN (...)``,
``PREFETCH_TYPE.JOIN`` joins a derived table of its distinct keys, and
``PREFETCH_TYPE.MATERIALIZE`` sends the keys the parents already hold as parameters.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional, Sequence

from .fields import FieldAlias
from .prefetch import PREFETCH_TYPE, link_related
from .relations import BackrefAccessor, ForeignKeyField
from .results import model_behind
from .sql.nodes import SQL, Alias, Ordering, fn
from .sql.queries import ROW, CompoundSelectQuery, Select
from .sql.sources import JOIN

__all__ = ['Load', 'load_related']

_ROWS: Any = ROW           # the row types of a query (attributes made at run time)
_STRATEGIES = (PREFETCH_TYPE.WHERE, PREFETCH_TYPE.JOIN, PREFETCH_TYPE.MATERIALIZE)


def _relation_of(relation: Any) -> tuple:
    """``(foreign key, is_backref)`` for a relation given to :class:`Load`; seen through
    a model alias, it is the model's own relation."""
    if isinstance(relation, BackrefAccessor):
        return relation.field, True
    if isinstance(relation, FieldAlias):
        relation = relation.field
    if isinstance(relation, ForeignKeyField):
        return relation, False
    raise ValueError('Load() takes a back-reference (User.tweets) or a foreign key '
                     '(Tweet.user), not %r' % (relation,))


def _as_load(item: Any) -> 'Load':
    return item if isinstance(item, Load) else Load(item)


class Load:
    """One relation to load eagerly (see ``ModelSelect.with_related``).

    :param relation: a back-reference (``User.tweets``) or a foreign key
        (``Tweet.user``), possibly seen through a model alias.
    :param query: a model query of the related model to load the rows with (default:
        all of them, by primary key).
    :param strategy: ``PREFETCH_TYPE.WHERE`` (default), ``JOIN`` or ``MATERIALIZE``.
    :param per_parent: keep at most this many related rows per parent
        (back-references only), ranked by the query's order.
    """

    __slots__ = ('relation', 'query', 'strategy', 'per_parent', 'children', 'fk',
                 'is_backref')

    def __init__(self, relation: Any, query: Any = None,
                 strategy: int = PREFETCH_TYPE.WHERE, per_parent: Optional[int] = None,
                 _children: Sequence['Load'] = ()) -> None:
        self.fk, self.is_backref = _relation_of(relation)
        if strategy not in _STRATEGIES:
            raise ValueError('strategy is one of PREFETCH_TYPE.WHERE, JOIN or MATERIALIZE, '
                             'not %r' % (strategy,))
        if per_parent is not None:
            if not self.is_backref:
                raise ValueError('per_parent applies to back-references (one-to-many), '
                                 'not to the foreign key %r' % (relation,))
            if not isinstance(per_parent, int) or isinstance(per_parent, bool) or \
                    per_parent < 1:
                raise ValueError('per_parent must be a positive integer, got %r'
                                 % (per_parent,))
        related = self.related_model
        if query is not None:
            if model_behind(getattr(query, 'model', None)) is not related:
                raise ValueError('the query of Load(%r) must select from %s'
                                 % (relation, related.__name__))
            if not _builds_models(query):
                raise ValueError('the query of Load(%r) must return model instances, '
                                 'not dicts, tuples or other objects' % (relation,))
        self.relation = relation
        self.query = query
        self.strategy = strategy
        self.per_parent = per_parent
        self.children = tuple(_children)

    @property
    def related_model(self) -> Any:
        """The model of the rows this relation loads."""
        return self.fk.model if self.is_backref else self.fk.rel_model

    @property
    def parent_model(self) -> Any:
        """The model of the rows this relation hangs on."""
        return self.fk.rel_model if self.is_backref else self.fk.model

    def then(self, *loads: Any) -> 'Load':
        """A copy that also loads ``loads`` (Load objects, or bare relations) on the
        rows this one loads."""
        more = tuple(_as_load(load) for load in loads)
        for load in more:
            _check_start(load, self.related_model)
        return Load(self.relation, self.query, self.strategy, self.per_parent,
                    self.children + more)

    def __repr__(self) -> str:
        text = 'Load(%s.%s' % (self.parent_model.__name__,
                               self.fk.backref if self.is_backref else self.fk.name)
        if self.per_parent:
            text += ', per_parent=%d' % self.per_parent
        return text + ')' + ''.join('.then(%r)' % child for child in self.children)


def _builds_models(query: Any) -> bool:
    """Whether ``query`` returns model instances (not dicts, tuples, ...)."""
    kind = getattr(query, '_row_type', None)
    if kind is None or kind == _ROWS.MODEL:
        return True
    constructor = getattr(query, '_constructor', None)
    return kind == _ROWS.CONSTRUCTOR and isinstance(constructor, type) and \
        model_behind(constructor) is not None


def _check_start(load: Load, model: Any) -> None:
    start = load.parent_model
    if model is not None and start is not model and not (
            isinstance(model, type) and issubclass(model, start)):
        raise ValueError('%r does not start from %s, the model of the rows it would '
                         'hang on' % (load, model.__name__))


def check_loads(query: Any, loads: Sequence[Any]) -> tuple:
    """``loads`` checked for ``query.with_related()``: Load objects (bare relations are
    wrapped) starting from the query's model."""
    checked = tuple(_as_load(load) for load in loads)
    model = model_behind(getattr(query, 'model', None))
    for load in checked:
        _check_start(load, model)
    return checked


# -- the related queries ----------------------------------------------------------------
class _Parents:
    """The rows a load hangs on: the instances, and the query that fetched them (when
    known, for the strategies that nest it)."""

    def __init__(self, rows: list, query: Any = None) -> None:
        self.rows = rows
        self.query = query

    def key_query(self, field: Any, name: str) -> Any:
        """A query of the parents' values of ``field`` (a field of their model): the
        parent query re-selected to that one column."""
        query = self.query
        if isinstance(query, CompoundSelectQuery):
            table = query.alias(name)
            return Select([table], [getattr(table.c, field.column_name)])
        source = query.model
        keys = query.select(getattr(source, field.name))
        if query._limit is None and query._offset is None:
            return keys.order_by()
        # a limited parent keeps its order and limit, inside a derived table
        table = keys.alias(name)
        return Select([table], [getattr(table.c, field.column_name)])

    def values(self, field: Any) -> list:
        """The parents' values of ``field``, each once, NULLs left out."""
        seen: dict = {}
        for row in self.rows:
            value = row.__data__.get(field.name)
            if value is not None:
                seen.setdefault(value, None)
        return list(seen)


def _restrict(load: Load, query: Any, parents: _Parents, depth: int) -> Any:
    """``query`` (of the related model) restricted to rows related to ``parents``."""
    fk = load.fk
    source = query.model
    if load.is_backref:
        mine, theirs = getattr(source, fk.name), fk.rel_field
    else:
        mine, theirs = getattr(source, fk.rel_field.name), fk
    if load.strategy == PREFETCH_TYPE.MATERIALIZE or parents.query is None:
        return query.where(mine.in_(parents.values(theirs)))
    keys = parents.key_query(theirs, '_load_parent_%d' % depth)
    if load.strategy == PREFETCH_TYPE.WHERE:
        return query.where(mine.in_(keys))
    table = keys.distinct().alias('_load_keys_%d' % depth)
    return query.switch(source).join(table, JOIN.INNER,
                                     on=(mine == getattr(table.c, theirs.column_name)),
                                     attr='_load_keys_%d' % depth).switch(source)


def _ranking_term(term: Any) -> Any:
    """One ORDER BY term of a per-parent relation, aggregated over the rows a to-many
    join may repeat a child in: its lowest value ascending, its highest descending."""
    node, direction, nulls = term, 'ASC', None
    if isinstance(term, Ordering):
        node, direction, nulls = term.node, term.direction, term.nulls
    while isinstance(node, Alias):
        node = node.node
    if isinstance(node, SQL):
        raise ValueError('per_parent ranks the related rows by their order_by(), which '
                         'cannot be an SQL() literal: order by fields or expressions')
    summary = fn.MAX(node) if direction.upper() == 'DESC' else fn.MIN(node)
    return Ordering(summary, direction, nulls=nulls)


def _per_parent(load: Load, query: Any, parents: _Parents, depth: int) -> Any:
    """The related query keeping each parent's first ``per_parent`` rows: the rows are
    ranked per foreign key in a common table expression, and the query joined to it."""
    if query._group_by:
        raise ValueError('per_parent cannot rank a grouped relation query (GROUP BY); '
                         'load it whole or rank it yourself')
    model = load.related_model
    source = query.model
    key_fields = _key_fields(model)
    keys = [getattr(source, f.name) for f in key_fields]
    fk = getattr(source, load.fk.name)
    order = list(query._order_by or ()) or keys
    rank = fn.ROW_NUMBER().over(partition_by=[fk],
                                order_by=[_ranking_term(term) for term in order])
    base = query.clone().limit(None).offset(None).order_by()
    # one row per related row (a to-many join may repeat it), ranked within its parent
    ranked = _restrict(load, base, parents, depth).select(
        *(keys + [rank.alias('_load_rank')])).group_by(*(keys + [fk])) \
        .cte('_load_ranked_%d' % depth)
    on = None
    for field in key_fields:
        test = getattr(source, field.name) == getattr(ranked.c, field.column_name)
        on = test if on is None else (on & test)
    return (base.with_cte(ranked).switch(source)
            .join(ranked, JOIN.INNER, on=on, attr='_load_ranked_%d' % depth)
            .switch(source)
            .where(ranked.c._load_rank <= load.per_parent)
            .order_by(ranked.c._load_rank))


def _related_query(load: Load, parents: _Parents, depth: int) -> Any:
    model = load.related_model
    query = load.query.clone() if load.query is not None else model.select()
    if load.per_parent is not None:
        return _per_parent(load, query, parents, depth)
    if load.is_backref and not query._order_by:
        query = query.order_by(*[getattr(query.model, f.name) for f in _key_fields(model)])
    return _restrict(load, query, parents, depth)


def _key_fields(model: Any) -> list:
    """The fields of ``model``'s primary key (several for a composite key)."""
    meta = model._meta
    if meta.composite_key:
        return [meta.fields[name] for name in meta.primary_key.field_names]
    return [meta.primary_key]


def _unique(rows: list, model: Any) -> list:
    """``rows`` with each primary key once (a to-many join in a ranked relation query
    repeats its rows)."""
    names = [f.name for f in _key_fields(model)]
    seen = set()
    kept = []
    for row in rows:
        key = tuple(row.__data__.get(name) for name in names)
        if key not in seen:
            seen.add(key)
            kept.append(row)
    return kept


def _load(loads: Iterable[Load], parents: _Parents, database: Any, depth: int) -> None:
    for load in loads:
        if not parents.rows:
            return
        query = _related_query(load, parents, depth)
        if database is not None:
            related = list(query.execute(database))
        else:
            related = list(query)
        related = [row for row in related if hasattr(row, '__data__')]
        if load.per_parent is not None:
            related = _unique(related, load.related_model)
        link_related(load.fk, parents.rows, related, load.is_backref)
        if load.children:
            _load(load.children, _Parents(related, query), database, depth + 1)


def load_related(instances: Iterable, loads: Sequence[Any], database: Any = None,
                 query: Any = None) -> list:
    """Load ``loads`` for the model ``instances`` (one query per relation); returns the
    instances.  ``query`` is the query that fetched them: the WHERE and JOIN strategies
    nest it; without it, every strategy sends the keys the instances hold."""
    rows = [row for row in instances if row is not None and hasattr(row, '__data__')]
    _load([_as_load(load) for load in loads], _Parents(rows, query), database, 0)
    return rows
