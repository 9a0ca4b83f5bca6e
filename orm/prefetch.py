"""prefetch(): load related rows for a whole result in one query per relation (no N+1)."""
from __future__ import annotations

import functools
import operator
from collections import defaultdict
from typing import Any

from .modelbase import ModelAliasBase as ModelAlias, is_model
from .sql.nodes import attrdict
from .sql.queries import Select
from .sql.sources import JOIN

__all__ = ['PREFETCH_TYPE', 'PrefetchQuery', 'prefetch', 'prefetch_add_subquery']

PREFETCH_TYPE = attrdict(WHERE=1, JOIN=2)


class PrefetchQuery:
    """One query of a prefetch chain and how it relates to an earlier one."""

    def __init__(self, query: Any, fields: Any = None, is_backref: bool | None = None,
                 rel_models: Any = None, field_to_name: Any = None, model: Any = None,
                 parent: 'PrefetchQuery | None' = None) -> None:
        self.query = query
        self.fields = fields or []
        self.is_backref = is_backref
        self.rel_models = rel_models or []
        self.field_to_name = field_to_name
        self.model = model or query.model
        self.parent = parent
        self.restricted = query       # the query as run: restricted by its parent's rows
        self.instances: list = []

    def __repr__(self) -> str:
        return '<PrefetchQuery %s>' % self.model.__name__


def _model_of(obj: Any) -> Any:
    return obj.model if isinstance(obj, ModelAlias) else obj


def prefetch_add_subquery(sq: Any, subqueries: Any, prefetch_type: int = PREFETCH_TYPE.WHERE
                          ) -> list:
    """Resolve each subquery's relation to an earlier query of the chain."""
    fixed = [PrefetchQuery(sq)]
    for i, subquery in enumerate(subqueries):
        if isinstance(subquery, tuple):
            subquery, target_model = subquery
        else:
            target_model = None
        if is_model(subquery) or isinstance(subquery, ModelAlias):
            subquery = subquery.select()
        sub_model = _model_of(subquery.model)
        found = None
        for prior in reversed(fixed):
            prior_model = _model_of(prior.model)
            if target_model is not None and prior_model is not _model_of(target_model):
                continue
            # the subquery's model points at the earlier one: children of each parent
            fks = sub_model._meta.model_refs.get(prior_model, [])
            if fks:
                found = PrefetchQuery(subquery, fields=fks, is_backref=True,
                                      model=subquery.model, parent=prior)
                break
            # the earlier model points at the subquery's: one object per parent
            fks = prior_model._meta.model_refs.get(sub_model, [])
            if fks:
                found = PrefetchQuery(subquery, fields=fks, is_backref=False,
                                      model=subquery.model, parent=prior)
                break
        if found is None:
            raise AttributeError('prefetch(): %s has no foreign key to or from any earlier '
                                 'query in the chain (%s)' % (sub_model.__name__, ', '.join(
                                     _model_of(p.model).__name__ for p in fixed)))
        fixed.append(found)
    return fixed


def _restrict(pq: PrefetchQuery, prefetch_type: int) -> Any:
    """The subquery limited to rows related to the parent query's (restricted) rows.

    With several foreign keys between the two models (``Message.sender`` and
    ``Message.receiver``) a row qualifies through any of them.
    """
    parent_query = pq.parent.restricted
    limited = parent_query._limit is not None or parent_query._offset is not None
    several = len(pq.fields) > 1
    query = pq.query
    conditions = []
    for fk in pq.fields:
        if pq.is_backref:
            # children: fk IN (SELECT parent key FROM parent query)
            child_col, parent_col = fk, fk.rel_field
        else:
            child_col, parent_col = fk.rel_field, fk
        inner = parent_query.select(parent_col)
        if not limited:
            inner = inner.order_by()          # with LIMIT, the order decides which rows
        if prefetch_type == PREFETCH_TYPE.WHERE:
            conditions.append(child_col << inner)
            continue
        name = '_prefetch_%s' % fk.name
        if limited:
            # DISTINCT cannot sit beside an ORDER BY on other columns: wrap the query
            wrapped = inner.alias(name + '_rows')
            inner = Select([wrapped], [getattr(wrapped.c, parent_col.column_name)])
        sub = inner.distinct().alias(name)
        key = getattr(sub.c, parent_col.column_name)
        # distinct keys: each join matches a row at most once, so nothing is repeated
        query = query.switch(pq.query.model).join(
            sub, JOIN.LEFT_OUTER if several else JOIN.INNER, on=(child_col == key),
            attr=name)
        if several:
            conditions.append(key.is_null(False))
    if conditions:
        query = query.where(functools.reduce(operator.or_, conditions))
    return query.switch(pq.query.model)


def prefetch(sq: Any, *subqueries: Any, prefetch_type: int = PREFETCH_TYPE.WHERE) -> list:
    """Run ``sq`` and each subquery once, attaching related objects to the results.

    ``prefetch(User.select(), Tweet.select())`` gives users whose ``tweets`` backref is a
    list already loaded; a foreign key pointing the other way is set to the loaded object.
    Each subquery is restricted to the rows related to the (restricted) query before it.
    """
    if not subqueries:
        return list(sq)
    if prefetch_type not in (PREFETCH_TYPE.WHERE, PREFETCH_TYPE.JOIN):
        raise ValueError('prefetch_type must be PREFETCH_TYPE.WHERE or PREFETCH_TYPE.JOIN')
    chain = prefetch_add_subquery(sq, subqueries, prefetch_type)
    chain[0].restricted = chain[0].query
    chain[0].instances = list(chain[0].query)
    for pq in chain[1:]:
        pq.restricted = _restrict(pq, prefetch_type)
        pq.instances = list(pq.restricted)
        _attach(pq)
    return chain[0].instances


def link_related(fk: Any, instances: list, related: list, is_backref: bool) -> None:
    """Hang ``related`` rows on ``instances`` through the foreign key ``fk``.

    ``is_backref``: ``related`` hold ``fk`` and point at ``instances`` (each instance
    gets the list of its children under the backref name, each child its parent);
    otherwise ``instances`` hold ``fk`` and each gets the row it points at.
    """
    rel_name = fk.rel_field.name
    if is_backref:
        by_key: dict = defaultdict(list)
        for child in related:
            by_key[child.__data__.get(fk.name)].append(child)
        backref = fk.backref if fk.backref and fk.backref not in '+!' else None
        for obj in instances:
            children = by_key.get(obj.__data__.get(rel_name), [])
            if backref:
                obj.__dict__[backref] = children
            for child in children:
                child.__rel__[fk.name] = obj
    else:
        by_pk = {target.__data__.get(rel_name): target for target in related}
        for obj in instances:
            value = obj.__data__.get(fk.name)
            if value in by_pk:
                obj.__rel__[fk.name] = by_pk[value]


def _attach(pq: PrefetchQuery) -> None:
    for fk in pq.fields:
        link_related(fk, pq.parent.instances, pq.instances, pq.is_backref)
