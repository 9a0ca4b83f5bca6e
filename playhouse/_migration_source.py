"""Writing a migration file from a :class:`playhouse.schema_diff.SchemaDiff`.

:func:`render` is what :func:`playhouse.migrations.template` returns: the source of a
migration whose ``up()`` makes the live schema agree with the models and whose
``down()`` undoes what can be undone for certain.  What cannot be written (a default
that has no source form, a partial index, a dropped column that ``down()`` cannot bring
back) is listed in ``# TODO:`` comments at the top.

New tables are written as model classes frozen into the file, so that later changes to
the application's models do not change what the migration does.  A table they refer to
that already exists gets a *stub* class: its table name, plus the fields a foreign key
needs from it (a primary key other than ``id``, a referenced column).
"""
from __future__ import annotations

import builtins
import datetime
import decimal
import enum
import importlib
import sys
from typing import Any, Callable, Optional

import orm
from orm import (AutoField, BigAutoField, BigIntegerField, CompositeKey, ForeignKeyField,
                 IntegerField, make_index_name)

__all__ = ['render']

#: field attributes that shape the column's type, written when they differ from the
#: value a field of that class gets by default
_TYPE_PARAMS = ('max_length', 'max_digits', 'decimal_places')

#: callables a default may be, named as the migration file writes them; the name's
#: first part is the module to import (builtins need none)
_NAMED_CALLABLES = ('datetime.datetime.now', 'datetime.datetime.utcnow',
                    'datetime.date.today', 'time.time', 'time.time_ns', 'uuid.uuid1',
                    'uuid.uuid4', 'dict', 'list', 'set')

#: what a migration file cannot do, as its TODO comments say it
_TODO = {
    'default': '{where}: default {value!r} must be added by hand',
    'constraints': '{where}: constraints {value!r} must be added by hand',
    'needs_default': '{where}: not-null column needs a default or allow_not_null backfill',
    'index_by_name': '{where}: create index {name} (partial/expression, details not '
                     'detected)',
    'index_gone': '{where}: dropped index {name} cannot be restored by down() ({why})',
    'column_gone': '{where}: dropped column cannot be restored by down()',
    'type_kept': '{where}: down() does not restore the type {value}',
}


def _resolve(dotted: str) -> Any:
    """The object a dotted name of :data:`_NAMED_CALLABLES` stands for."""
    head, _, rest = dotted.partition('.')
    if not rest:
        return getattr(builtins, head)
    found: Any = importlib.import_module(head)
    for part in rest.split('.'):
        found = getattr(found, part)
    return found


def _library_name() -> str:
    """The name the application imports this library by: ``peewee`` after
    :func:`orm.install_as_peewee`, otherwise ``orm``."""
    return 'peewee' if sys.modules.get('peewee') is orm else 'orm'


def _is_default_pk(field: Any) -> bool:
    """The ``id`` key a model gets when it declares none."""
    return type(field) is AutoField and field.name == 'id' and field.column_name == 'id'


def _storage_field(field: Any) -> Any:
    """The field whose column type a foreign key takes (following chains of keys)."""
    seen = 0
    while isinstance(field, ForeignKeyField) and field.rel_field is not None and seen < 20:
        field = field.rel_field
        seen += 1
    return field


def _storage_class(field: Any) -> type:
    """The plain field class for a column holding ``field``'s values: an auto-increment
    key becomes the integer of its size."""
    target = _storage_field(field)
    if isinstance(target, BigAutoField):
        return BigIntegerField
    if isinstance(target, AutoField):
        return IntegerField
    return type(target)


def _class_defaults(cls: type) -> dict:
    try:
        blank = cls()
    except Exception:
        return {}
    return {name: getattr(blank, name, None) for name in _TYPE_PARAMS}


def _field_names(meta: Any, items: Any) -> Optional[list]:
    """The field names of an index made of fields (given by name or as fields), else
    None."""
    names = []
    for item in items:
        field = meta.combined.get(item) if isinstance(item, str) else item
        if not isinstance(field, orm.Field):
            return None
        names.append(field.name)
    return names


def _q(value: Any) -> str:
    return repr(value)


class _Source:
    """Builds one migration file."""

    def __init__(self, diff: Any) -> None:
        self.diff = diff
        self.imports: set = set()
        self.todos: list = []
        self.stubs: dict = {}          # model -> names of the fields a stub must carry
        self.created = {m._meta.table_name: m for m in diff.create_tables}
        self.up_ops: list = []
        self.down_ops: list = []       # inverses, in the order of up (reversed at the end)

    def todo(self, kind: str, **parts: Any) -> None:
        self.todos.append(_TODO[kind].format(**parts))

    # -- names and imports -------------------------------------------------------------
    def _class_name(self, cls: type) -> str:
        public = getattr(orm, cls.__name__, None) is cls and \
            cls.__name__ in getattr(orm, '__all__', ())
        if not public:
            self.imports.add('from %s import %s' % (cls.__module__, cls.__name__))
        return cls.__name__

    def _stub(self, model: Any, field_name: Optional[str] = None) -> str:
        """The name of a stub class for ``model`` (an existing table), carrying
        ``field_name`` when a foreign key refers to it."""
        wanted = self.stubs.setdefault(model, [])
        if field_name and field_name not in wanted:
            wanted.append(field_name)
        return model.__name__

    def _default(self, value: Any, label: str) -> Optional[str]:
        """Source for a default value, or None (and a TODO) when it has none."""
        if isinstance(value, enum.Enum):
            value = value.value
        if isinstance(value, (bool, int, float, str, bytes)):
            return _q(value)
        if isinstance(value, decimal.Decimal):
            self.imports.add('import decimal')
            return 'decimal.%r' % value
        if isinstance(value, (datetime.datetime, datetime.date, datetime.time,
                              datetime.timedelta)):
            self.imports.add('import datetime')
            return 'datetime.%r' % value
        if callable(value):
            for dotted in _NAMED_CALLABLES:
                if _resolve(dotted) == value:
                    if '.' in dotted:
                        self.imports.add('import ' + dotted.split('.')[0])
                    return dotted
            source = self._importable(value)
            if source is not None:
                return source
        self.todo('default', where=label, value=value)
        return None

    def _importable(self, fn: Callable) -> Optional[str]:
        """``module.qualname`` for a callable that can be imported back, else None."""
        module = getattr(fn, '__module__', None)
        qualname = getattr(fn, '__qualname__', None)
        if not module or not qualname or '<' in qualname or module == '__main__':
            return None
        try:
            found: Any = importlib.import_module(module)
            for part in qualname.split('.'):
                found = getattr(found, part)
        except (ImportError, AttributeError):
            return None
        if found is not fn and found != fn:
            return None
        self.imports.add('import %s' % module)
        return '%s.%s' % (module, qualname)

    # -- fields ------------------------------------------------------------------------
    def field(self, field: Any, ref: Optional[str] = None, for_add: bool = False,
              plain: bool = False) -> str:
        """Source of a field declaration.

        ``ref`` names the class a foreign key refers to; ``for_add`` writes it for
        ``add_column()`` (the column name is given there, and a foreign key names its
        target field); ``plain`` writes a foreign key as the column holding its values.
        """
        is_fk = isinstance(field, ForeignKeyField) and not plain
        cls = type(field) if not plain else _storage_class(field)
        head: list = []
        if is_fk:
            target = field.rel_model
            head.append(ref or _q('self'))
            rel_field = field.rel_field
            if rel_field is not None and (for_add or rel_field is not target._meta.primary_key):
                head.append('field=%s.%s' % (ref or target.__name__, rel_field.name))
        # keyword -> source, in the order they are written; None leaves one out
        shown = (_storage_field(field) if plain else field)
        usual = {} if is_fk else _class_defaults(cls)
        indexed = bool(field.index)
        column = field.name + '_id' if is_fk else field.name
        keywords: list = [
            ('primary_key', 'True' if field.primary_key and
             not issubclass(cls, AutoField) else None),
            ('unique', 'True' if field.unique else None),
            # a foreign key is indexed unless told otherwise, other fields the reverse
            ('index', _q(indexed) if indexed != is_fk and not
             (field.primary_key or field.unique) else None),
        ]
        keywords.extend((name, _q(getattr(shown, name, None))) for name in _TYPE_PARAMS
                        if name in usual and getattr(shown, name, None) != usual[name])
        keywords.append(('null', 'True' if field.null else None))
        keywords.append(('default', None if field.default is None else
                         self._default(field.default, field.name)))
        keywords.append(('column_name', _q(field.column_name)
                         if not for_add and field.column_name != column else None))
        if is_fk:
            keywords.extend((action, _q(getattr(field, action)))
                            for action in ('on_delete', 'on_update')
                            if getattr(field, action))
        keywords.append(('collation', _q(getattr(field, 'collation', None))
                         if getattr(field, 'collation', None) else None))
        args = head + ['%s=%s' % (name, text) for name, text in keywords if text is not None]
        if getattr(field, 'constraints', None):
            self.todo('constraints', value=field.constraints, where='%s.%s' % (
                field.model._meta.table_name if field.model else '?', field.column_name))
        return '%s(%s)' % (self._class_name(cls), ', '.join(args))

    def _fk_ref(self, field: Any, owner: Any, creating: bool) -> str:
        """How a foreign key of ``owner`` names its target class."""
        target = field.rel_model
        if creating and target is owner:
            return _q('self')
        if target._meta.table_name in self.created and \
                self.created[target._meta.table_name] is target:
            return target.__name__
        rel_field = field.rel_field
        needs = None
        if rel_field is not None and rel_field is not target._meta.primary_key:
            needs = rel_field.name
        return self._stub(target, needs)

    # -- model classes -----------------------------------------------------------------
    def _meta_lines(self, model: Any) -> list:
        meta = model._meta
        lines = ['class Meta:', '    database = db',
                 '    table_name = %r' % meta.table_name]
        if getattr(meta, 'schema', None):
            lines.append('    schema = %r' % meta.schema)
        return lines

    def _model_class(self, model: Any) -> list:
        """A created table's model class, frozen."""
        meta = model._meta
        body = []
        for field in meta.sorted_fields:
            if _is_default_pk(field):
                continue
            if isinstance(field, ForeignKeyField):
                ref = self._fk_ref(field, model, creating=True)
                body.append('%s = %s' % (field.name, self.field(field, ref)))
            else:
                body.append('%s = %s' % (field.name, self.field(field)))
        meta_lines = self._meta_lines(model)
        pk = meta.primary_key
        if isinstance(pk, CompositeKey):
            meta_lines.append('    primary_key = CompositeKey(%s)' % ', '.join(
                _q(name) for name in pk.field_names))
        elif pk is None or pk is False:
            meta_lines.append('    primary_key = False')
        indexes = self._declared_indexes(model)
        if indexes:
            meta_lines.append('    indexes = (%s,)' % ', '.join(indexes))
        for flag in ('without_rowid', 'strict_tables'):
            if getattr(meta, flag, None):
                meta_lines.append('    %s = True' % flag)
        lines = ['class %s(Model):' % model.__name__]
        lines += ['    ' + line for line in body + meta_lines]
        return lines

    def _declared_indexes(self, model: Any) -> list:
        """``Meta.indexes`` entries made of plain fields, as source; the others (partial,
        expression, SQL) become TODOs."""
        meta = model._meta
        out = []
        for entry in meta.indexes:
            names: Optional[list] = None
            unique = False
            if isinstance(entry, (tuple, list)) and len(entry) == 2 and \
                    isinstance(entry[0], (tuple, list)):
                names, unique = _field_names(meta, entry[0]), bool(entry[1])
            elif getattr(entry, '_where', None) is None and \
                    isinstance(getattr(entry, '_fields', None), list):
                names = _field_names(meta, entry._fields)
                unique = bool(getattr(entry, '_unique', False))
            if names:
                out.append('(%r, %r)' % (tuple(names), unique))
            else:
                label = getattr(entry, 'name', None)
                self.todo('index_by_name', where=meta.table_name,
                          name=label if isinstance(label, str) else entry)
        return out

    def _stub_class(self, model: Any, field_names: list) -> list:
        meta = model._meta
        body = []
        pk = meta.primary_key
        if isinstance(pk, orm.Field) and not _is_default_pk(pk):
            plain = isinstance(pk, ForeignKeyField)
            body.append('%s = %s' % (pk.name, self.field(pk, plain=plain)))
        for name in field_names:
            field = meta.fields.get(name)
            if field is None or field is pk:
                continue
            plain = isinstance(field, ForeignKeyField)
            body.append('%s = %s' % (field.name, self.field(field, plain=plain)))
        lines = ['class %s(Model):' % model.__name__]
        lines += ['    ' + line for line in body + self._meta_lines(model)]
        return lines

    # -- operations --------------------------------------------------------------------
    def op(self, source: str, inverse: Optional[str] = None) -> None:
        self.up_ops.append('migrator.migrate(migrator.%s)' % source)
        if inverse is not None:
            self.down_ops.append('migrator.migrate(migrator.%s)' % inverse)

    def _add_index_call(self, table: str, columns: tuple, unique: bool) -> str:
        call = 'add_index(%r, %r' % (table, tuple(columns))
        return call + (', unique=True)' if unique else ')')

    def build(self) -> str:
        diff = self.diff
        created_blocks = []
        for model in diff.create_tables:
            lines = self._model_class(model)
            lines.append('db.create_tables([%s])' % model.__name__)
            created_blocks.append(lines)
            schema = getattr(model._meta, 'schema', None)
            drop = 'drop_table(%r%s)' % (model._meta.table_name,
                                         ', schema=%r' % schema if schema else '')
            self.down_ops.append('migrator.migrate(migrator.%s)' % drop)

        dropped = {pair for pair in diff.drop_columns}
        for index in diff.drop_indexes:
            call = 'drop_index(%r, %r)' % (index.table, index.name)
            if index.columns is None:
                self.op(call)
                self.todo('index_gone', where=index.table, name=index.name,
                          why='partial/expression')
            elif any((index.table, column) in dropped for column in index.columns):
                self.op(call)
                self.todo('index_gone', where=index.table, name=index.name,
                          why='column dropped')
            else:
                self.op(call, self._add_index_call(index.table, index.columns, index.unique))

        for fk in getattr(diff, 'drop_foreign_keys', ()):
            self.op('drop_foreign_key_constraint(%r, %r)' % (fk.table, fk.column),
                    'add_foreign_key_constraint(%r, %r, %r, %r)' % fk[:4])

        added = {}
        for field in diff.add_columns:
            table = field.model._meta.table_name
            added[(table, field.column_name)] = field
            if isinstance(field, ForeignKeyField):
                source = self.field(field, self._fk_ref(field, field.model, creating=False),
                                    for_add=True)
            else:
                source = self.field(field, for_add=True)
            has_server_default = any('DEFAULT' in str(getattr(c, 'sql', c)).upper()
                                     for c in (field.constraints or ()))
            if not field.null and field.default is None and not has_server_default:
                self.todo('needs_default', where='%s.%s' % (table, field.column_name))
            self.op('add_column(%r, %r, %s)' % (table, field.column_name, source),
                    'drop_column(%r, %r)' % (table, field.column_name))

        for change in getattr(diff, 'column_changes', ()):
            where = (change.table, change.column)
            if change.type_differs:
                self.op('alter_column_type(%r, %r, %s)' % (
                    change.table, change.column, self.field(change.field, for_add=True,
                                                            plain=True)))
                self.todo('type_kept', where='%s.%s' % (change.table, change.column),
                          value=change.live_type)
            if change.null_differs:
                make, undo = ('drop_not_null', 'add_not_null') if change.field.null else \
                    ('add_not_null', 'drop_not_null')
                self.op('%s(%r, %r)' % ((make,) + where), '%s(%r, %r)' % ((undo,) + where))

        for fk in getattr(diff, 'add_foreign_keys', ()):
            args = [_q(v) for v in fk[:4]]
            if fk.on_delete:
                args.append('on_delete=%r' % fk.on_delete)
            if fk.on_update:
                args.append('on_update=%r' % fk.on_update)
            self.op('add_foreign_key_constraint(%s)' % ', '.join(args),
                    'drop_foreign_key_constraint(%r, %r)' % (fk.table, fk.column))

        for index in diff.add_indexes:
            if index.columns is None:
                self.todo('index_by_name', where=index.table, name=index.name)
                continue
            name = make_index_name(index.table, list(index.columns))
            inverse = 'drop_index(%r, %r)' % (index.table, name)
            field = added.get((index.table, index.columns[0])) \
                if len(index.columns) == 1 else None
            if field is not None and bool(field.unique) == bool(index.unique) and \
                    (field.index or field.unique):
                self.down_ops.append('migrator.migrate(migrator.%s)' % inverse)
                continue        # add_column() makes this index itself
            self.op(self._add_index_call(index.table, index.columns, index.unique), inverse)

        for table, column in diff.drop_columns:
            self.op('drop_column(%r, %r)' % (table, column))
            self.todo('column_gone', where='%s.%s' % (table, column))

        stub_blocks = [self._stub_class(model, names) for model, names in
                       sorted(self.stubs.items(), key=lambda item: item[0].__name__)]
        blocks = stub_blocks + created_blocks + ([self.up_ops] if self.up_ops else [])

        out = ['# Drafted from the difference between models and database, %s.'
               % datetime.datetime.now().strftime('%Y-%m-%d %H:%M'),
               'from %s import *' % _library_name()]
        out += sorted(self.imports)
        out.append('')
        if self.todos:
            out += ['# TODO: ' + todo for todo in self.todos]
            out.append('')
        out.append('def up(migrator, db):')
        if not blocks:
            out.append('    pass')
        for number, block in enumerate(blocks):
            if number:
                out.append('')
            out += ['    ' + line for line in block]
        out += ['', '', 'def down(migrator, db):']
        out += ['    ' + line for line in reversed(self.down_ops)] or ['    pass']
        return '\n'.join(out) + '\n'


def render(diff: Any) -> str:
    """The source of a migration file for ``diff`` (see the module docstring)."""
    return _Source(diff).build()
