"""Row sources: tables, joins, common table expressions and VALUES lists.

They are defined in :mod:`orm.sql.queries`, next to the queries they build
(``table.select()`` is a Select, and a Select is in turn a source); this module gives
them their own name to be imported from.
"""
from __future__ import annotations

from .queries import (CTE, JOIN, BaseTable, ColumnFactory, Join, Source, Table, ValuesList,
                      _BoundTableContext)

__all__ = ['JOIN', 'Source', 'BaseTable', 'Table', 'Join', 'CTE', 'ValuesList',
           'ColumnFactory', '_BoundTableContext']
