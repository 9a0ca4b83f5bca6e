"""Eager loading of relations: ``User.select().with_related(Load(User.tweets))``.

A :class:`Load` names one relation of the rows a query returns; after the query
runs, each relation is read for all of its rows in one more query, so iterating
``user.tweets`` for every user costs no query per user:

* a back-reference (``Load(User.tweets)``): ``user.tweets`` becomes the list of that
  user's tweets, each with ``tweet.user`` set to the user;
* a foreign key (``Load(Tweet.user)``): ``tweet.user`` is set without a query.

``Load(rel, query=...)`` filters and orders the related rows with a query of the
related model, ``per_parent=n`` keeps the first ``n`` related rows of each parent
(a window function: SQLite 3.25+, PostgreSQL), and ``.then(Load(...))`` loads
relations of the related rows in turn.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional, Sequence

from .prefetch import link_related
from .relations import BackrefAccessor, ForeignKeyField
from .sql.nodes import fn
from .sql.queries import Select

__all__ = ['Load', 'load_related']


class Load:
    """One relation to load eagerly (see :meth:`ModelSelect.with_related`).

    :param relation: a back-reference accessor (``User.tweets``) or a foreign key
        (``Tweet.user``).
    :param query: a query of the related model whose conditions and order apply to
        the related rows (default: all of them, by primary key).
    :param per_parent: keep at most this many related rows per parent (back-references).
    """

    __slots__ = ('relation', 'query', 'per_parent', 'children', 'fk', 'is_backref')

    def __init__(self, relation: Any, query: Any = None, per_parent: Optional[int] = None,
                 _children: Sequence['Load'] = ()) -> None:
        if isinstance(relation, BackrefAccessor):
            self.fk = relation.field
            self.is_backref = True
        elif isinstance(relation, ForeignKeyField):
            self.fk = relation
            self.is_backref = False
        else:
            raise TypeError('Load() takes a back-reference (User.tweets) or a foreign key '
                            '(Tweet.user), not %r' % (relation,))
        if per_parent is not None:
            if not self.is_backref:
                raise ValueError('per_parent applies to back-references (one-to-many), not '
                                 'to the foreign key %r' % (relation,))
            if not isinstance(per_parent, int) or per_parent < 1:
                raise ValueError('per_parent must be a positive integer, got %r'
                                 % (per_parent,))
        related = self.related_model
        if query is not None and getattr(query, 'model', None) is not related:
            raise ValueError('the query of Load(%r) must select from %s'
                             % (relation, related.__name__))
        self.relation = relation
        self.query = query
        self.per_parent = per_parent
        self.children = tuple(_children)

    @property
    def related_model(self) -> Any:
        """The model of the rows this relation loads."""
        return self.fk.model if self.is_backref else self.fk.rel_model

    @property
    def parent_model(self) -> Any:
        return self.fk.rel_model if self.is_backref else self.fk.model

    def then(self, *loads: 'Load') -> 'Load':
        """A copy that also loads ``loads`` on the related rows."""
        for load in loads:
            if not isinstance(load, Load):
                raise TypeError('then() takes Load objects, got %r' % (load,))
        return Load(self.relation, self.query, self.per_parent, self.children + loads)

    def __repr__(self) -> str:
        text = 'Load(%s.%s' % (self.parent_model.__name__,
                               self.fk.backref if self.is_backref else self.fk.name)
        if self.per_parent:
            text += ', per_parent=%d' % self.per_parent
        return text + ')' + ''.join('.then(%r)' % child for child in self.children)


def _related_query(load: Load, keys: list, database: Any) -> Any:
    fk = load.fk
    model = load.related_model
    query = load.query.clone() if load.query is not None else model.select()
    if not load.is_backref:
        return query.where(fk.rel_field.in_(keys))
    query = query.where(fk.in_(keys))
    if not query._order_by:
        query = query.order_by(model._meta.primary_key)
    if load.per_parent is None:
        return query
    # the first n rows of each parent: rank them per foreign key in a subquery
    pk = model._meta.primary_key
    rank = fn.ROW_NUMBER().over(partition_by=[fk], order_by=list(query._order_by))
    ranked = query.clone().columns(pk, rank.alias('_orm_rank')).order_by().alias(
        '_orm_ranked')
    firsts = Select([ranked], [getattr(ranked.c, pk.column_name)]).where(
        ranked.c._orm_rank <= load.per_parent)
    base = load.query.clone() if load.query is not None else model.select()
    return base.where(pk.in_(firsts)).order_by(*query._order_by)


def load_related(instances: Iterable, loads: Sequence[Load], database: Any = None) -> list:
    """Load ``loads`` for the model ``instances`` (one query per relation); returns them."""
    instances = [obj for obj in instances if obj is not None]
    for load in loads:
        if not instances:
            break
        fk = load.fk
        rel_name = fk.rel_field.name
        if load.is_backref:
            keys = {obj.__data__.get(rel_name) for obj in instances}
        else:
            keys = {obj.__data__.get(fk.name) for obj in instances}
        keys.discard(None)
        related: list = []
        if keys:
            query = _related_query(load, sorted(keys, key=repr), database)
            if database is not None:
                query = query.bind(database)
            related = list(query)
        link_related(fk, instances, related, load.is_backref)
        if load.children:
            load_related(related, load.children, database)
    return instances


def check_loads(query: Any, loads: Sequence[Any]) -> tuple:
    """``loads`` checked for ``query.with_related()``: Load objects starting from the
    query's model."""
    model = getattr(query, 'model', None)
    for load in loads:
        if not isinstance(load, Load):
            raise TypeError('with_related() takes Load objects, got %r' % (load,))
        if model is not None and load.parent_model is not model and \
                not issubclass(model, load.parent_model):
            raise ValueError('%r does not start from %s, the model of this query'
                             % (load, model.__name__))
    return tuple(loads)
