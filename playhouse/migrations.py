"""Run numbered migration files in order, and remember which ran.

Migrations live in one folder, a file per step, numbered from 1::

    migrations/
        0001_initial.py
        0002_book_isbn.py

A file holds a function ``up(migrator, db)``; a second one, ``down(migrator, db)``,
undoes it when the step can be undone. For instance::

    from orm import *
    from playhouse.migrate import migrate

    def up(migrator, db):
        migrate(migrator.rename_column('book', 'code', 'isbn'),
                migrator.add_index('book', ('isbn',), unique=True))

    def down(migrator, db):
        migrate(migrator.drop_index('book', 'book_isbn'),
                migrator.rename_column('book', 'isbn', 'code'))

``up`` may also *return* operations (one, or a list) instead of calling ``migrate``.
Applied migrations are recorded by name in a history table (``migration_history``), so
running ``up`` again applies nothing.  Each migration runs in its own transaction
(:meth:`playhouse.migrate.SchemaMigrator.migration_context`), its history row included:
if it fails, its changes roll back, the error says which migration failed and why, and the
migrations before it stay applied.  On SQLite with foreign keys enforced the transaction
runs with foreign keys off (SQLite cannot toggle them inside a transaction, and a table
rebuild needs them off) and ``PRAGMA foreign_key_check`` runs before the commit.  On
CockroachDB each statement commits by itself, so a failed migration can leave part of
its changes behind.

From Python::

    from playhouse.migrations import Runner, run
    run(db, 'migrations')                    # apply everything pending
    Runner(db, 'migrations').down('0001')    # revert back to 0001

From the command line (the ``orm-migrate`` script, or ``python -m playhouse.migrations``)::

    orm-migrate --database app.db --dir migrations status
    orm-migrate --database postgresql://postgres@localhost/app up
    ... up 0003 | down [target] | create NAME | generate NAME --models app.models | fake [target]
"""
from __future__ import annotations

import argparse
import datetime
import importlib
import importlib.util
import inspect
import os
import re
import sys
import time
from typing import Any, Callable, Iterable, Optional

from orm import (AutoField, BigAutoField, BigIntegerField, CharField, DateTimeField,
                 DecimalField, ForeignKeyField, IntegerField, Model, PeeweeException,
                 SqliteDatabase, make_index_name)

from playhouse import reflection, schema_diff
from playhouse._cli import command_name
from playhouse.db_url import connect
from playhouse.migrate import Operation, SchemaMigrator

__all__ = ['Migration', 'MigrationError', 'Runner', 'run', 'template', 'main']

#: Source of a new migration file (``create``); formatted with ``name`` and ``created``.
template = '''"""{name}

Created {created}.
"""
from orm import *
from playhouse.migrate import migrate


def up(migrator, db):
    """Make the change. For example, to give a table a new column:

    migrate(migrator.add_column('book', 'pages', IntegerField(null=True)))
    """


def down(migrator, db):
    """Undo what up() did (delete this function if the change cannot be undone)."""
'''

_FILE_RE = re.compile(r'^(\d+)_(\w+)\.py$')


class MigrationError(PeeweeException):
    """A migration could not be found, loaded, applied or reverted.

    ``migration`` names it (when there is one); ``__cause__`` is the original error.
    """

    def __init__(self, message: str, migration: Optional['Migration'] = None) -> None:
        super().__init__(message)
        self.migration = migration


class Migration:
    """One migration file: ``<number>_<name>.py`` with ``up()`` and optional ``down()``."""

    def __init__(self, path: str) -> None:
        filename = os.path.basename(path)
        match = _FILE_RE.match(filename)
        if match is None:
            raise MigrationError('%r is not a migration file name (expected e.g. '
                                 '0001_add_users.py)' % filename)
        self.path = path
        self.number = int(match.group(1))
        self.name = filename[:-3]            # recorded in the history table
        self.title = match.group(2)
        self._module: Any = None

    def __repr__(self) -> str:
        return '<Migration %s>' % self.name

    @property
    def module(self) -> Any:
        """The migration's module, loaded on first use."""
        if self._module is None:
            module_name = '_orm_migration_%s' % re.sub(r'\W', '_', self.name)
            spec = importlib.util.spec_from_file_location(module_name, self.path)
            if spec is None or spec.loader is None:
                raise MigrationError('cannot load %s' % self.path, self)
            module = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(module)
            except Exception as exc:
                raise MigrationError('cannot load migration %s: %s: %s' % (
                    self.name, type(exc).__name__, exc), self) from exc
            if not callable(getattr(module, 'up', None)):
                raise MigrationError('migration %s has no up(migrator, db) function'
                                     % self.name, self)
            self._module = module
        return self._module

    @property
    def has_down(self) -> bool:
        return callable(getattr(self.module, 'down', None))

    def up(self, migrator: SchemaMigrator, db: Any) -> Any:
        return self.module.up(migrator, db)

    def down(self, migrator: SchemaMigrator, db: Any) -> Any:
        if not self.has_down:
            raise MigrationError('migration %s has no down() and cannot be reverted'
                                 % self.name, self)
        return self.module.down(migrator, db)


def _run_returned(result: Any) -> None:
    """Run operations an ``up()`` / ``down()`` returned instead of migrating itself."""
    if result is None:
        return
    if isinstance(result, Operation):
        result._perform()
    elif isinstance(result, (list, tuple)):
        for item in result:
            _run_returned(item)
    else:
        raise MigrationError('up()/down() returned %r; return operations (e.g. '
                             'migrator.add_column(...)) or nothing' % (result,))


class Runner:
    """Applies, reverts and reports the migrations of ``directory`` on ``database``.

    :param table_name: the history table (created when missing).
    :param out: a file for progress messages (default: ``sys.stdout``); ``None`` for
        silence.
    """

    def __init__(self, database: Any, directory: str = 'migrations',
                 table_name: str = 'migration_history',
                 migrator: Optional[SchemaMigrator] = None,
                 out: Any = 'stdout') -> None:
        self.database = database
        self.directory = directory
        self.table_name = table_name
        self._migrator = migrator
        self.out = out
        self._history: Any = None

    @property
    def migrator(self) -> SchemaMigrator:
        """The migrator passed to each migration (made for the database on first use)."""
        if self._migrator is None:
            self._migrator = SchemaMigrator.from_database(self.database)
        return self._migrator

    # -- output -------------------------------------------------------------------------
    def _say(self, text: str = '', end: str = '\n') -> None:
        out = sys.stdout if self.out == 'stdout' else self.out
        if out is not None:
            out.write(text + end)
            out.flush()

    # -- the history table -------------------------------------------------------------
    @property
    def history(self) -> Any:
        """The model of the history table (``name``, ``applied_at``)."""
        if self._history is None:
            history_table, history_db = self.table_name, self.database

            class MigrationHistory(Model):
                name = CharField(max_length=255, unique=True)
                applied_at = DateTimeField(default=datetime.datetime.now)

                class Meta:
                    database = history_db
                    table_name = history_table
            self._history = MigrationHistory
        return self._history

    def _ensure_history(self) -> None:
        if not self.database.table_exists(self.table_name):
            self.database.create_tables([self.history])

    def applied(self) -> dict:
        """``{name: applied_at}`` of recorded migrations, oldest first."""
        if not self.database.table_exists(self.table_name):
            return {}
        History = self.history
        return {row.name: row.applied_at
                for row in History.select().order_by(History.id)}

    # -- the migration files -------------------------------------------------------------
    def migrations(self) -> list:
        """The migration files of the directory, in order."""
        if not os.path.isdir(self.directory):
            return []
        found: dict = {}
        for filename in sorted(os.listdir(self.directory)):
            if not _FILE_RE.match(filename):
                continue
            migration = Migration(os.path.join(self.directory, filename))
            if migration.number in found:
                raise MigrationError('two migrations are numbered %d: %s and %s; renumber '
                                     'one of them' % (migration.number,
                                                      found[migration.number].name,
                                                      migration.name))
            found[migration.number] = migration
        return [found[number] for number in sorted(found)]

    def pending(self) -> list:
        applied = self.applied()
        return [m for m in self.migrations() if m.name not in applied]

    def _find(self, target: Any, migrations: list) -> Migration:
        text = str(target).strip()
        for migration in migrations:
            if text in (migration.name, migration.title, migration.name + '.py'):
                return migration
        if text.isdigit():
            for migration in migrations:
                if migration.number == int(text):
                    return migration
        names = ', '.join(m.name for m in migrations) or 'none'
        raise MigrationError('no migration %r in %s (migrations: %s)'
                             % (text, self.directory, names))

    # -- status ---------------------------------------------------------------------------
    def status(self) -> list:
        """``[(name, applied_at or None)]`` for every migration file, plus recorded
        migrations whose file is gone (``name + ' (file missing)'``)."""
        applied = self.applied()
        rows = [(m.name, applied.get(m.name)) for m in self.migrations()]
        known = {name for name, _ in rows}
        rows.extend((name + ' (file missing)', when) for name, when in applied.items()
                    if name not in known)
        return rows

    def print_status(self) -> None:
        rows = self.status()
        self._say('migrations in %s:' % self.directory)
        if not rows:
            self._say('  (none)')
        width = max([len(name) for name, _ in rows] + [10])
        for name, when in rows:
            if when is None:
                self._say('  [ ] %-*s  pending' % (width, name))
            else:
                self._say('  [x] %-*s  applied %s' % (
                    width, name, when.strftime('%Y-%m-%d %H:%M:%S')
                    if hasattr(when, 'strftime') else when))
        pending = sum(1 for _, when in rows if when is None)
        self._say('%d applied, %d pending' % (len(rows) - pending, pending))

    # -- applying -----------------------------------------------------------------------
    def _apply(self, migration: Migration, direction: str) -> None:
        db, migrator = self.database, self.migrator
        verb = 'Applying' if direction == 'up' else 'Reverting'
        self._say('%s %s ... ' % (verb, migration.name), end='')
        started = time.monotonic()
        try:
            migration.module                   # load errors are reported as failures
            with migrator.migration_context():
                if direction == 'up':
                    _run_returned(migration.up(migrator, db))
                    self.history.create(name=migration.name)
                else:
                    _run_returned(migration.down(migrator, db))
                    self.history.delete().where(
                        self.history.name == migration.name).execute()
        except Exception as exc:
            self._say('FAILED')
            rolled = ('its changes were rolled back' if migrator.transactional_ddl else
                      'this engine cannot roll back schema changes, so some of them may '
                      'have been applied')
            cause = exc.__cause__ if isinstance(exc, MigrationError) and exc.__cause__ \
                else exc
            raise MigrationError('migration %s failed (%s): %s: %s' % (
                migration.name, 'up' if direction == 'up' else 'down',
                type(cause).__name__, str(exc).strip() or repr(exc)) + '; ' + rolled,
                migration) from exc
        self._say('done (%.2fs)' % (time.monotonic() - started))

    def up(self, target: Any = None) -> list:
        """Apply pending migrations in order, up to and including ``target`` (a number,
        a name, or ``None`` for all).  Returns the migrations applied."""
        migrations = self.migrations()
        applied = self.applied()
        pending = [m for m in migrations if m.name not in applied]
        if target is not None:
            last = self._find(target, migrations)
            if last.name in applied and not [m for m in pending if m.number <= last.number]:
                self._say('%s is already applied; nothing to do' % last.name)
                return []
            pending = [m for m in pending if m.number <= last.number]
        if not pending:
            self._say('Nothing to apply: all %d migration(s) are applied.' % len(applied))
            return []
        self._ensure_history()
        done = []
        for migration in pending:
            self._apply(migration, 'up')
            done.append(migration)
        self._say('Applied %d migration(s).' % len(done))
        return done

    def down(self, target: Any = None) -> list:
        """Revert applied migrations, newest first.  Without ``target`` only the latest
        is reverted; with one, every migration after it (``'0'`` / ``'zero'``: all)."""
        migrations = self.migrations()
        applied = self.applied()
        by_name = {m.name: m for m in migrations}
        missing = [name for name in applied if name not in by_name]
        if missing:
            raise MigrationError('applied migration(s) %s have no file in %s; cannot revert '
                                 'past them' % (', '.join(missing), self.directory))
        applied_list = sorted((by_name[name] for name in applied), key=lambda m: m.number)
        if not applied_list:
            self._say('Nothing to revert: no migration is applied.')
            return []
        if target is None:
            to_revert = [applied_list[-1]]
        elif str(target).strip().lower() in ('0', 'zero', '0000'):
            to_revert = list(reversed(applied_list))
        else:
            keep = self._find(target, migrations)
            to_revert = [m for m in reversed(applied_list) if m.number > keep.number]
        if not to_revert:
            self._say('Nothing to revert.')
            return []
        for migration in to_revert:
            if not migration.has_down:
                raise MigrationError('migration %s has no down() and cannot be reverted; '
                                     'nothing was changed' % migration.name, migration)
        done = []
        for migration in to_revert:
            self._apply(migration, 'down')
            done.append(migration)
        self._say('Reverted %d migration(s).' % len(done))
        return done

    def fake(self, target: Any = None) -> list:
        """Record pending migrations (up to ``target``) as applied without running them,
        e.g. for a database whose schema was created some other way."""
        migrations = self.migrations()
        applied = self.applied()
        pending = [m for m in migrations if m.name not in applied]
        if target is not None:
            last = self._find(target, migrations)
            pending = [m for m in pending if m.number <= last.number]
        if not pending:
            self._say('Nothing to fake: all migrations are recorded.')
            return []
        self._ensure_history()
        with self.database.atomic():
            for migration in pending:
                self.history.create(name=migration.name)
                self._say('Faked %s (recorded, not run)' % migration.name)
        return pending

    # -- writing migration files -----------------------------------------------------------
    def _next_path(self, name: str) -> str:
        slug = re.sub(r'\W+', '_', name.strip().lower()).strip('_')
        if not slug:
            raise MigrationError('a migration needs a name made of letters, digits or _')
        numbers = [m.number for m in self.migrations()]
        number = max(numbers) + 1 if numbers else 1
        os.makedirs(self.directory, exist_ok=True)
        return os.path.join(self.directory, '%04d_%s.py' % (number, slug))

    def create(self, name: str, source: Optional[str] = None) -> str:
        """Write a new, empty migration (or ``source``); return its path."""
        path = self._next_path(name)
        if source is None:
            source = template.format(
                name=os.path.basename(path)[:-3],
                created=datetime.datetime.now().strftime('%Y-%m-%d %H:%M'))
        with open(path, 'x', encoding='utf-8') as fh:
            fh.write(source)
        self._say('Created %s' % path)
        return path

    def generate(self, name: str, models: Iterable) -> Optional[str]:
        """Write a draft migration turning the live schema into the one ``models``
        describe; return its path, or ``None`` when there is no difference."""
        models = schema_diff._expand(models)      # many-to-many through models included
        with self.database.bind_ctx(models, bind_refs=False, bind_backrefs=False):
            diff = schema_diff.diff_models(self.database, models, ignore_tables=[self.table_name])
            if not diff:
                self._say('No changes: the models match the database.')
                for line in diff.summary():
                    self._say('  ' + line)
                return None
            up_lines, down_lines, imports = _render_diff(self.database, diff)
        title = re.sub(r'\W+', '_', name.strip().lower()).strip('_')
        header = ['"""%s' % title, '',
                  'Generated %s from the difference between the models and the database:'
                  % datetime.datetime.now().strftime('%Y-%m-%d %H:%M')]
        header.extend('    ' + line for line in diff.summary())
        header.extend(['', 'Review it before applying: it is a draft.', '"""'])
        header.extend(sorted(imports))
        header.extend(['from orm import *', 'from playhouse.migrate import migrate', '', ''])
        body = ['def up(migrator, db):'] + ['    ' + line if line else ''
                                           for line in up_lines]
        body += ['', '', 'def down(migrator, db):'] + ['    ' + line if line else ''
                                                      for line in down_lines]
        source = '\n'.join(header + body) + '\n'
        path = self.create(name, source)
        for line in diff.summary():
            self._say('  ' + line)
        return path


# ---------------------------------------------------------------------------------------
# Drafting a migration from a SchemaDiff
# ---------------------------------------------------------------------------------------

def _callable_source(fn: Callable, imports: set) -> Optional[str]:
    """``module.qualname`` for an importable callable (``datetime.datetime.now``)."""
    owner = getattr(fn, '__self__', None)
    module = getattr(fn, '__module__', None) or getattr(owner, '__module__', None)
    qualname = getattr(fn, '__qualname__', None)
    if not module or not qualname or '<' in qualname or module == '__main__':
        return None
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split('.'):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return None
    if obj != fn:
        return None
    imports.add('import %s' % module)
    return '%s.%s' % (module, qualname)


# Keyword arguments a draft writes only when the field does not have the value the
# field class would give it anyway.
_SIGNIFICANT_ARGS = (
    (CharField, 'max_length', 255),
    (DecimalField, 'max_digits', 10),
    (DecimalField, 'decimal_places', 5),
)


def _column_class(fk: Any) -> type:
    """The plain field class holding a foreign key's values: the referenced field's,
    an auto-increment key becoming the integer of its size."""
    target = type(fk.rel_field)
    for auto, plain in ((BigAutoField, BigIntegerField), (AutoField, IntegerField)):
        if issubclass(target, auto):
            return plain
    return target


def _default_source(default: Any, imports: set) -> Optional[str]:
    """A Python expression for a field default, or None when it cannot be written."""
    if callable(default):
        return _callable_source(default, imports)
    if isinstance(default, (bool, int, float, str, bytes)):
        return repr(default)
    module = type(default).__module__
    if isinstance(default, (datetime.date, datetime.time)) or \
            (module == 'decimal' and type(default).__name__ == 'Decimal'):
        imports.add('import %s' % module)
        return '%s.%r' % (module, default)
    return None


def _field_source(field: Any, imports: set, plain_fk: bool = True) -> str:
    """Source of a field declaration equivalent to ``field`` for add_column(); with
    ``plain_fk`` a foreign key is written as the plain column that holds its values."""
    as_column = plain_fk and isinstance(field, ForeignKeyField)
    cls = _column_class(field) if as_column else type(field)
    described = field.rel_field if as_column else field
    args = ['%s=%r' % (attr, getattr(described, attr))
            for owner, attr, usual in _SIGNIFICANT_ARGS
            if isinstance(described, owner) and getattr(described, attr) != usual]
    if field.null:
        args.append('null=True')
    if field.default is not None:
        default = _default_source(field.default, imports)
        if default is not None:
            args.append('default=' + default)
    if field.unique or field.index:
        args.append('unique=True' if field.unique else 'index=True')
    if not cls.__module__.startswith('orm'):
        imports.add('from %s import %s' % (cls.__module__, cls.__name__))
    return '%s(%s)' % (cls.__name__, ', '.join(args))


def _live_field_source(database: Any, type_text: str, null: bool, imports: set) -> str:
    """Field source for a live column (for the reverse of a change)."""
    metadata: Any = reflection._metadata_for(database)
    if database.dialect.name == 'sqlite':
        field_class, extra = metadata._map_col(type_text)
    else:
        family, args = schema_diff._family(type_text)
        field_class = metadata.column_map.get(
            {'varchar': 'character varying', 'timestamp': 'timestamp without time zone',
             'decimal': 'numeric', 'double': 'double precision', 'char': 'character',
             'time': 'time without time zone'}.get(family, family))
        field_class = field_class or reflection.UnknownField
        extra = reflection._length_params(field_class, list(args))
    kwargs = ['%s=%r' % item for item in sorted(extra.items())]
    if null:
        kwargs.append('null=True')
    if field_class.__module__.startswith('playhouse'):
        imports.add('from %s import %s' % (field_class.__module__, field_class.__name__))
    return '%s(%s)' % (field_class.__name__, ', '.join(kwargs))


def _render_diff(database: Any, diff: Any) -> tuple:
    """``(up lines, down lines, imports)`` for a draft migration."""
    imports: set = set()
    up: list = []
    down: list = []            # built in the order of up, reversed at the end
    ops: list = []             # migrate(...) operations of up, in order
    rev: list = []             # their reverses

    def flush() -> None:
        if ops:
            up.append('migrate(')
            up.extend('    %s,' % op for op in ops)
            up.append(')')
            ops.clear()

    def q(value: Any) -> str:
        return repr(value)

    # new tables: their DDL for this engine, written out
    created = []
    for model in diff.tables_to_create:
        ctx = database.get_sql_context(literal_values=True)
        sql, _ = ctx.sql(model._schema._create_table(safe=False)).query()
        up.append('db.execute_sql(%s)' % q(sql))
        for index in model._meta.fields_to_index():
            if hasattr(index, 'safe'):
                index = index.safe(False)
            ctx = database.get_sql_context(literal_values=True)
            sql, _ = ctx.sql(index).query()
            up.append('db.execute_sql(%s)' % q(sql))
        created.append(model._meta.table_name)
    for table in created:
        down.append(('raw', 'db.execute_sql(%s)' % q(
            'DROP TABLE %s' % database.quote_identifier(table))))

    for index in diff.indexes_to_drop:
        ops.append('migrator.drop_index(%s, %s)' % (q(index.table), q(index.name)))
        rev.append('migrator.add_index(%s, %s, unique=%r)' % (
            q(index.table), q(tuple(index.columns)), index.unique))
    for fk in diff.foreign_keys_to_drop:
        ops.append('migrator.drop_foreign_key_constraint(%s, %s)' % (q(fk.table), q(fk.column)))
        rev.append('migrator.add_foreign_key_constraint(%s, %s, %s, %s)' % (
            q(fk.table), q(fk.column), q(fk.dest_table), q(fk.dest_column)))
    for model, field in diff.columns_to_add:
        table = model._meta.table_name
        source = _field_source(field, imports)
        note = ''
        if not field.null and field.default is None:
            note = '  # NOT NULL without a default: give one to fill existing rows'
        ops.append('migrator.add_column(%s, %s, %s)%s' % (q(table), q(field.column_name),
                                                          source, note))
        rev.append('migrator.drop_column(%s, %s)' % (q(table), q(field.column_name)))
    for change in diff.type_changes:
        ops.append('migrator.alter_column_type(%s, %s, %s)' % (
            q(change.table), q(change.column), _field_source(change.field, imports)))
        rev.append('migrator.alter_column_type(%s, %s, %s)' % (
            q(change.table), q(change.column),
            _live_field_source(database, change.live, change.field.null, imports)))
    for change in diff.nullability:
        if change.field.null:
            ops.append('migrator.drop_not_null(%s, %s)' % (q(change.table), q(change.column)))
            rev.append('migrator.add_not_null(%s, %s)' % (q(change.table), q(change.column)))
        else:
            ops.append('migrator.add_not_null(%s, %s)' % (q(change.table), q(change.column)))
            rev.append('migrator.drop_not_null(%s, %s)' % (q(change.table), q(change.column)))
    for table, column in diff.columns_to_drop:
        ops.append('migrator.drop_column(%s, %s)' % (q(table), q(column.name)))
        type_text = diff.live_types.get((table, column.name), column.data_type)
        rev.append('migrator.add_column(%s, %s, %s)  # the values are not restored' % (
            q(table), q(column.name),
            _live_field_source(database, type_text, True, imports)))
    for fk in diff.foreign_keys_to_add:
        args = [q(fk.table), q(fk.column), q(fk.dest_table), q(fk.dest_column)]
        if fk.on_delete:
            args.append('on_delete=%s' % q(fk.on_delete))
        if fk.on_update:
            args.append('on_update=%s' % q(fk.on_update))
        ops.append('migrator.add_foreign_key_constraint(%s)' % ', '.join(args))
        rev.append('migrator.drop_foreign_key_constraint(%s, %s)' % (q(fk.table),
                                                                     q(fk.column)))
    for index in diff.indexes_to_add:
        ops.append('migrator.add_index(%s, %s, unique=%r)' % (
            q(index.table), q(tuple(index.columns)), index.unique))
        rev.append('migrator.drop_index(%s, %s)' % (q(index.table),
                                                    q(_index_name(index))))
    flush()
    for table in diff.extra_tables:
        up.append('# table %r has no model; to drop it:' % table)
        up.append('# db.execute_sql(%s)' % q('DROP TABLE %s' % database.quote_identifier(table)))
    if not up:
        up.append('pass')

    down_lines: list = []
    if rev:
        down_lines.append('migrate(')
        down_lines.extend('    %s,' % op for op in reversed(rev))
        down_lines.append(')')
    for _kind, line in reversed(down):
        down_lines.append(line)
    if not down_lines:
        down_lines.append('pass')
    return up, down_lines, imports


def _index_name(index: Any) -> str:
    return make_index_name(index.table, list(index.columns))


# ---------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------

def run(database: Any, directory: str = 'migrations', target: Any = None,
        **kwargs: Any) -> list:
    """Apply the pending migrations of ``directory`` (up to ``target``)."""
    return Runner(database, directory, **kwargs).up(target)


def _open_database(spec: str) -> Any:
    """A connected database from a URL or a SQLite file path; SQLite gets foreign keys
    on."""
    database = connect(spec) if '://' in spec else SqliteDatabase(spec)
    database.connect()
    if database.dialect.name == 'sqlite':
        database.pragma('foreign_keys', 1, permanent=True)
    return database


def _load_models(spec: str) -> list:
    """Models named by ``module`` or ``module:attr`` (a model, or a list/tuple/dict of
    them); a module alone gives every model class it defines that no other extends."""
    module_name, _, attr = spec.partition(':')
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise MigrationError('cannot import models module %r: %s' % (module_name, exc)) \
            from exc

    def is_model(obj: Any) -> bool:
        return inspect.isclass(obj) and issubclass(obj, Model) and obj is not Model

    if attr:
        obj: Any = module
        for part in attr.split('.'):
            obj = getattr(obj, part, None)
            if obj is None:
                raise MigrationError('%s has no attribute %r' % (module_name, attr))
        if is_model(obj):
            return [obj]
        if isinstance(obj, dict):
            obj = list(obj.values())
        models = [m for m in obj if is_model(m)]
        if not models:
            raise MigrationError('%s holds no model classes' % spec)
        return models
    found = [obj for obj in vars(module).values() if is_model(obj)]
    bases = {base for model in found for base in model.__mro__[1:]}
    models = [m for m in found if m not in bases and not m.__module__.startswith('orm')]
    if not models:
        raise MigrationError('module %s defines no model classes' % module_name)
    return models


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=command_name('playhouse.migrations', 'orm-migrate'),
        description='Apply, revert and write numbered migrations (NNNN_name.py files with '
                    'up(migrator, db) and down(migrator, db)).')
    parser.add_argument('--database', '-d', default=os.environ.get('ORM_DATABASE'),
                        help='database URL (postgresql://user@host/name) or SQLite file '
                             '(default: $ORM_DATABASE)')
    parser.add_argument('--dir', default='migrations', help='migrations folder '
                        '(default: ./migrations)')
    parser.add_argument('--table', default='migration_history',
                        help='history table (default: migration_history)')
    commands = parser.add_subparsers(dest='command', metavar='COMMAND')
    commands.required = True
    commands.add_parser('status', help='list migrations, applied or pending')
    p = commands.add_parser('up', help='apply pending migrations (up to TARGET)')
    p.add_argument('target', nargs='?')
    p = commands.add_parser('down', help='revert the latest migration, or all after TARGET '
                                         '(0 reverts everything)')
    p.add_argument('target', nargs='?')
    p = commands.add_parser('create', help='write an empty migration')
    p.add_argument('name')
    p = commands.add_parser('generate', help='draft a migration from the difference '
                                             'between models and the database')
    p.add_argument('name')
    p.add_argument('--models', required=True,
                   help='module or module:attr naming the models')
    p = commands.add_parser('fake', help='record pending migrations (up to TARGET) as '
                                         'applied without running them')
    p.add_argument('target', nargs='?')
    return parser


def main(argv: Optional[list] = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == 'create':
        try:
            Runner(None, args.dir, args.table).create(args.name)
        except (MigrationError, OSError) as exc:
            sys.stderr.write('error: %s\n' % exc)
            return 1
        return 0
    if not args.database:
        sys.stderr.write('error: give --database URL_OR_FILE (or set ORM_DATABASE)\n')
        return 2
    try:
        database = _open_database(args.database)
    except Exception as exc:
        sys.stderr.write('error: cannot open database %s: %s\n' % (args.database, exc))
        return 2
    try:
        runner = Runner(database, args.dir, args.table)
        if args.command == 'status':
            runner.print_status()
        elif args.command == 'up':
            runner.up(args.target)
        elif args.command == 'down':
            runner.down(args.target)
        elif args.command == 'fake':
            runner.fake(args.target)
        elif args.command == 'generate':
            runner.generate(args.name, _load_models(args.models))
    except MigrationError as exc:
        sys.stderr.write('error: %s\n' % exc)
        return 1
    finally:
        database.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
