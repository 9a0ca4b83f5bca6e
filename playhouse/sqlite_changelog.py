"""A change log kept by SQLite itself: triggers record every insert, update and delete.

.. code-block:: python

    from playhouse.sqlite_changelog import ChangeLog

    changelog = ChangeLog(db)                 # a ``changelog`` table in ``db``
    changelog.install(Person)                 # triggers on Person's table
    changelog.install(Note, skip_fields=['updated'], delete=False)

    for entry in changelog.model.select().order_by(changelog.model.id):
        print(entry.timestamp, entry.action, entry.table, entry.changes)

Each change is one row of the log: ``action`` (``'INSERT'``, ``'UPDATE'`` or
``'DELETE'``), the ``table``, and ``changes``, a JSON object mapping each column to
``[old, new]`` -- ``old`` is NULL for an insert, ``new`` for a delete, and an update lists
only the columns whose value changed.  Since triggers do the work, writes made with
raw SQL or by other programs are logged too.  It needs SQLite's JSON functions
(built in since SQLite 3.38, and in most builds before).
"""
from __future__ import annotations

from typing import Any, Iterable, List, Optional, Sequence

from orm import SQL, AutoField, DateTimeField, Field, JSONField, Model, TextField

__all__ = ['ChangeLog']

ACTIONS = ('INSERT', 'UPDATE', 'DELETE')


def _ident(name: str) -> str:
    return '"%s"' % name.replace('"', '""')


def _literal(text: str) -> str:
    return "'%s'" % text.replace("'", "''")


class ChangeLog:
    """The log table of ``database`` (named ``table_name``) and the triggers that fill
    it.  :attr:`model` is the log's model class: ``id``, ``timestamp`` (set by SQLite,
    UTC), ``action``, ``table`` and ``changes`` (a JSON field)."""

    def __init__(self, database: Any, table_name: str = 'changelog') -> None:
        self.database = database
        self.table_name = table_name
        self.model: Any = self._log_model()

    def _log_model(self) -> type:
        meta = type('Meta', (), {'database': self.database, 'table_name': self.table_name})
        body = {
            '__module__': __name__,
            'Meta': meta,
            'id': AutoField(),
            'timestamp': DateTimeField(constraints=[SQL('DEFAULT CURRENT_TIMESTAMP')]),
            'action': TextField(),
            'table': TextField(),
            'changes': JSONField(),
        }
        return type('ChangeLogEntry', (Model,), body)

    # -- the triggers --------------------------------------------------------------------
    def _columns(self, model: Any, skip_fields: Optional[Iterable[Any]]) -> List[Field]:
        skipped = set()
        for item in skip_fields or ():
            if isinstance(item, Field):
                skipped.add(item.name)
            else:
                skipped.add(str(item))
        columns = []
        for field in model._meta.sorted_fields:
            if field.primary_key or field.name in skipped or field.column_name in skipped:
                continue
            columns.append(field)
        return columns

    @staticmethod
    def _value(field: Field, row: str) -> str:
        """The SQL for one column of ``OLD``/``NEW`` as a JSON value: JSON columns as
        documents (not strings), BLOBs as hex text (JSON holds no bytes)."""
        ref = '%s.%s' % (row, _ident(field.column_name))
        if isinstance(field, JSONField):
            return 'json(%s)' % ref
        if field.field_type == 'BLOB':
            return 'CASE WHEN %s IS NOT NULL THEN hex(%s) END' % (ref, ref)
        return ref

    def trigger_name(self, model: Any, action: str) -> str:
        return '%s_changelog_%s' % (model._meta.table_name, action.lower())

    def trigger_sql(self, model: Any, action: str,
                    skip_fields: Optional[Sequence[Any]] = None) -> str:
        """The ``CREATE TRIGGER`` statement that logs ``action`` on ``model``'s table."""
        action = action.upper()
        if action not in ACTIONS:
            raise ValueError('a change is one of %s, not %r' % (', '.join(ACTIONS), action))
        columns = self._columns(model, skip_fields)
        pairs = []
        for field in columns:
            key = _literal(field.column_name)
            old, new = self._value(field, 'OLD'), self._value(field, 'NEW')
            if action == 'INSERT':
                pairs.append('%s, json_array(NULL, %s)' % (key, new))
            elif action == 'DELETE':
                pairs.append('%s, json_array(%s, NULL)' % (key, old))
            else:
                # a NULL value in a merge patch removes its key: the unchanged columns
                # drop out of the object
                raw = '%s.%s' % ('OLD', _ident(field.column_name))
                pairs.append('%s, CASE WHEN %s IS NOT NEW.%s THEN json_array(%s, %s) END'
                             % (key, raw, _ident(field.column_name), old, new))
        changes = 'json_object(%s)' % ', '.join(pairs)
        if action == 'UPDATE':
            changes = "json_patch('{}', %s)" % changes
        schema = model._meta.schema
        name = _ident(self.trigger_name(model, action))
        if schema:
            name = '%s.%s' % (_ident(schema), name)
        return ('CREATE TRIGGER IF NOT EXISTS %s AFTER %s ON %s FOR EACH ROW BEGIN '
                'INSERT INTO %s (%s, %s, %s) VALUES (%s, %s, %s); END'
                % (name, action, _ident(model._meta.table_name),
                   _ident(self.table_name), _ident('action'), _ident('table'),
                   _ident('changes'), _literal(action),
                   _literal(model._meta.table_name), changes))

    def drop_trigger_sql(self, model: Any, action: str) -> str:
        name = _ident(self.trigger_name(model, action))
        if model._meta.schema:
            name = '%s.%s' % (_ident(model._meta.schema), name)
        return 'DROP TRIGGER IF EXISTS %s' % name

    def install(self, model: Any, skip_fields: Optional[Sequence[Any]] = None,
                drop: bool = True, insert: bool = True, update: bool = True,
                delete: bool = True, create_table: bool = True) -> None:
        """Log the changes to ``model``'s table (which must exist).

        :param skip_fields: fields (or their names) left out of ``changes``; an update
            that changes only those is still logged, with ``{}``.
        :param drop: replace the triggers this log installed before (otherwise an
            existing one is kept as it is).
        :param insert, update, delete: which actions to log.
        :param create_table: create the log table first if it is missing.
        """
        if create_table:
            self.model.create_table(safe=True)
        wanted = {'INSERT': insert, 'UPDATE': update, 'DELETE': delete}
        with self.database.atomic():
            for action in ACTIONS:
                if drop:
                    self.database.execute_sql(self.drop_trigger_sql(model, action))
                if wanted[action]:
                    self.database.execute_sql(self.trigger_sql(model, action, skip_fields))

    def uninstall(self, model: Any) -> None:
        """Stop logging ``model``'s table (the log itself is kept)."""
        with self.database.atomic():
            for action in ACTIONS:
                self.database.execute_sql(self.drop_trigger_sql(model, action))
