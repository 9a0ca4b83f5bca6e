"""The catalogue of workloads: name, what it measures, and the statement budget
checked on SQLite (so an N+1 query pattern cannot hide behind a fast driver)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from .common import Params


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    # Most SELECT statements the timed region may run (None: not checked).
    max_selects: Optional[Callable[[Params], int]] = None


WORKLOADS: list[Workload] = [
    Workload('create', 'create(): N rows one at a time, one transaction'),
    Workload('insert_many', 'insert_many(): rows in multi-row INSERT batches'),
    Workload('select_models', 'SELECT every row as model instances', lambda p: 1),
    Workload('select_tuples', 'SELECT every row as tuples', lambda p: 1),
    Workload('select_dicts', 'SELECT every row as dicts', lambda p: 1),
    Workload('join', 'JOIN item -> collection, item.collection.name per row', lambda p: 1),
    Workload('prefetch', 'prefetch collections + items, read every item', lambda p: 2),
    Workload('get_by_id', 'get_by_id() calls, one per distinct id', lambda p: p.get_n),
    Workload('compile', 'build + compile joined queries, not run', lambda p: 0),
    Workload('update_delete', 'UPDATE qty = qty + 1 by expression, then DELETE', lambda p: 0),
]

BY_NAME = {w.name: w for w in WORKLOADS}
