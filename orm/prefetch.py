"""prefetch(): a query and the rows related to its rows, in one query per relation.

``prefetch(User.select(), Tweet.select())`` runs the users' query, then one query for
the tweets of *those* users, and hangs each user's tweets on it as a list
(``user.tweets``) and each tweet's user on the tweet (``tweet.user``): no query per row.

Each argument after the first is a *step*: a query (or a model, or a model alias, meaning
all of its rows).  A step attaches to the nearest earlier step it shares a foreign key
with, looking back from the most recent one; ``(query, target)`` names the earlier step
(by its model, or by the very alias it selects from) when several would do.  Between the
two, the step either holds the foreign keys (its rows are *children* of the earlier
step's rows) or is pointed at by them (its rows are *referenced*).

A step's query runs restricted to the rows its earlier step really fetched, by nesting
that step's own (restricted) query: ``PREFETCH_TYPE.WHERE`` as ``key IN (SELECT ...)``,
``PREFETCH_TYPE.JOIN`` as a join to a derived table of the distinct keys.
"""
from __future__ import annotations

import functools
import operator
from collections import defaultdict
from typing import Any, Iterable, Optional

from .results import is_model_class, model_behind
from .sql.nodes import attrdict
from .sql.queries import BaseQuery, Select
from .sql.sources import JOIN

__all__ = ['PREFETCH_TYPE', 'PrefetchQuery', 'prefetch', 'prefetch_add_subquery']

#: how a step is restricted to the rows of the step it hangs on.  MATERIALIZE (sending
#: the keys already in memory) needs fetched parents, so only ``with_related()`` has it
PREFETCH_TYPE = attrdict(WHERE=1, JOIN=2, MATERIALIZE=3)


class PrefetchQuery:
    """One step of a prefetch: its query, the source it selects from, and how its rows
    relate to the rows of ``parent`` (the earlier step), through ``fields`` (foreign
    keys, each on the side that holds it)."""

    def __init__(self, query: Any, source: Any = None, parent: 'PrefetchQuery | None' = None,
                 fields: Iterable = (), holds_keys: bool = False) -> None:
        self.query = query
        self.source = source if source is not None else query.model
        self.model = model_behind(self.source)
        self.parent = parent
        self.fields = list(fields)
        #: this step's rows hold the foreign keys (children of the parent's rows);
        #: otherwise the parent's rows hold them and point at this step's rows
        self.holds_keys = holds_keys
        self.restricted = query       # the query as it runs (set by prefetch())
        self.instances: list = []

    # the names earlier versions used
    is_backref = property(lambda self: self.holds_keys)

    def column(self, field: Any) -> Any:
        """``field`` as a column of this step's source (an alias has its own)."""
        return getattr(self.source, field.name)

    def matches(self, target: Any) -> bool:
        """Whether ``(query, target)`` names this step."""
        return self.source is target or (is_model_class(target) and self.model is target)

    def __repr__(self) -> str:
        return '<PrefetchQuery %s>' % self.model.__name__


def _step(item: Any) -> tuple:
    """An argument of prefetch() as ``(query, source, target)``."""
    target = None
    if isinstance(item, tuple):
        item, target = item
    if isinstance(item, BaseQuery):
        return item, getattr(item, 'model', None), target
    if model_behind(item) is None:
        raise TypeError('prefetch() takes model queries, models or model aliases, not %r'
                        % (item,))
    return item.select(), item, target


def _relation(model: Any, earlier: PrefetchQuery) -> tuple:
    """``(foreign keys, holds_keys)`` between a step of ``model`` and ``earlier``; no
    keys when the two are not related."""
    keys = model._meta.model_refs.get(earlier.model)
    if keys:
        return list(keys), True
    keys = earlier.model._meta.model_refs.get(model)
    return list(keys or ()), False


def prefetch_add_subquery(sq: Any, subqueries: Iterable,
                          prefetch_type: int = PREFETCH_TYPE.WHERE) -> list:
    """The steps of ``prefetch(sq, *subqueries)``, each tied to the earlier step it hangs
    on (``AttributeError`` for a step related to none of them)."""
    query, source, _ = _step(sq)
    steps = [PrefetchQuery(query, source)]
    for item in subqueries:
        query, source, target = _step(item)
        model = model_behind(source)
        for earlier in reversed(steps):
            if target is not None and not earlier.matches(target):
                continue
            keys, holds_keys = _relation(model, earlier)
            if keys:
                steps.append(PrefetchQuery(query, source, earlier, keys, holds_keys))
                break
        else:
            raise AttributeError(
                'prefetch(): %s has no foreign key to or from %s' % (
                    model.__name__, ' or '.join(
                        s.model.__name__ for s in steps
                        if target is None or s.matches(target)) or 'the target given'))
    return steps


def _keys_of(step: PrefetchQuery, field: Any) -> tuple:
    """``(column on step, column on its parent)`` that ``field`` pairs up."""
    parent = step.parent
    assert parent is not None
    if step.holds_keys:
        return step.column(field), parent.column(field.rel_field)
    return step.column(field.rel_field), parent.column(field)


def _restricted(step: PrefetchQuery, prefetch_type: int) -> Any:
    """The step's query, keeping only rows related to those its parent fetched."""
    parent = step.parent
    assert parent is not None
    outer = parent.restricted
    # under LIMIT/OFFSET the parent's order decides which of its rows are fetched: keep it
    bounded = outer._limit is not None or outer._offset is not None
    query = step.query
    tests = []
    for number, field in enumerate(step.fields):
        mine, theirs = _keys_of(step, field)
        keys = outer.select(theirs)
        if not bounded:
            keys = keys.order_by()
        if prefetch_type == PREFETCH_TYPE.WHERE:
            tests.append(mine.in_(keys))
            continue
        name = '_pf%d' % number
        column = theirs.column_name
        if bounded:
            # SELECT DISTINCT beside an ORDER BY of other columns is refused: nest it
            rows = keys.alias(name + 'r')
            keys = Select([rows], [getattr(rows.c, column)])
        table = keys.distinct().alias(name)
        key = getattr(table.c, column)
        # distinct keys: the join matches each row at most once per foreign key.  With
        # several keys a row may qualify through any of them (outer joins, one match
        # required); with one, an inner join is the whole restriction
        several = len(step.fields) > 1
        query = query.switch(step.source).join(
            table, JOIN.LEFT_OUTER if several else JOIN.INNER, on=(mine == key), attr=name)
        if several:
            tests.append(key.is_null(False))
    if tests:
        query = query.where(functools.reduce(operator.or_, tests))
    return query.switch(step.source)


def prefetch(sq: Any, *subqueries: Any, prefetch_type: int = PREFETCH_TYPE.WHERE) -> Any:
    """Run ``sq`` and one query per subquery, and hang the related rows on each other;
    the rows of ``sq`` as a list (``sq`` itself when there is nothing to prefetch)."""
    if not subqueries:
        return sq
    if prefetch_type == PREFETCH_TYPE.MATERIALIZE:
        raise ValueError('prefetch() cannot use PREFETCH_TYPE.MATERIALIZE: it sends keys '
                         'already fetched, which only with_related(Load(...)) has')
    if prefetch_type not in (PREFETCH_TYPE.WHERE, PREFETCH_TYPE.JOIN):
        raise ValueError('prefetch_type is PREFETCH_TYPE.WHERE or PREFETCH_TYPE.JOIN, '
                         'not %r' % (prefetch_type,))
    steps = prefetch_add_subquery(sq, subqueries, prefetch_type)
    for step in steps:
        if step.parent is not None:
            step.restricted = _restricted(step, prefetch_type)
        step.instances = list(step.restricted)
    for step in steps[1:]:
        assert step.parent is not None
        for field in step.fields:
            link_related(field, step.parent.instances, step.instances, step.holds_keys)
    return steps[0].instances


def link_related(fk: Any, instances: list, related: list, is_backref: bool) -> None:
    """Hang ``related`` rows on ``instances`` (and back) through the foreign key ``fk``.

    ``is_backref``: the ``related`` rows hold ``fk`` and point at ``instances``: each
    instance gets the list of its rows under ``fk``'s backref name (unless the backref is
    disabled) and each row gets its instance.  Otherwise the ``instances`` hold ``fk``
    and each gets the related row it points at.  Nothing is marked dirty.
    """
    target = fk.rel_field.name
    if is_backref:
        children: dict = defaultdict(list)
        for row in related:
            children[row.__data__.get(fk.name)].append(row)
        listed = fk.backref if fk.backref and fk.backref not in ('+', '!') else None
        for obj in instances:
            mine = children.get(obj.__data__.get(target), [])
            if listed is not None:
                obj.__dict__[listed] = mine
            for row in mine:
                row.__rel__[fk.name] = obj
        return
    by_key: dict = {}
    for row in related:
        by_key.setdefault(row.__data__.get(target), row)
    for obj in instances:
        found: Optional[Any] = by_key.get(obj.__data__.get(fk.name))
        if found is not None:
            obj.__rel__[fk.name] = found
