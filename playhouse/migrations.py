"""Run numbered migration files in order, and remember which ran.

A project keeps its migrations in one folder, a file per step, the name starting with
a number::

    migrations/
        0001_initial.py
        0002_book_isbn.py

A file defines ``up(migrator, db)`` and, when the step can be undone,
``down(migrator, db)``; ``migrator`` is a :class:`playhouse.migrate.SchemaMigrator` for
the database and ``db`` the database::

    from orm import *

    def up(migrator, db):
        migrator.migrate(migrator.rename_column('book', 'code', 'isbn'),
                         migrator.add_index('book', ('isbn',), unique=True))

    def down(migrator, db):
        migrator.migrate(migrator.drop_index('book', 'book_isbn'),
                         migrator.rename_column('book', 'isbn', 'code'))

Files run in the order of their numbers (``2_x`` before ``10_y``).  Each applied file is
recorded by name in a history table (``schema_migration``), so running again applies
nothing; the history is a set, so a file merged in from another branch runs even when
its number is not the highest.  Each migration and its history row run in one
transaction where the engine allows it (a module-level ``atomic = False`` opts out), and
on SQLite with foreign keys off, checked before the commit.

From Python::

    from playhouse.migrations import Runner, run
    run(db)                                   # apply everything pending in migrations/
    Runner(db, 'migrations').down('0002_book_isbn')

From the command line, ``orm-migrate`` (or ``python -m playhouse.migrations``)::

    orm-migrate sqlite:///app.db status
    orm-migrate app.settings.db up
    orm-migrate app.settings.db generate book_pages app.models
"""
from __future__ import annotations

import argparse
import datetime
import importlib
import importlib.util
import inspect
import logging
import os
import re
import sys
from collections import namedtuple
from typing import Any, Iterable, Optional

from orm import (CharField, Database, DatabaseProxy, DateTimeField, Model, PeeweeException,
                 SqliteDatabase, sort_models)

from playhouse import _migration_source
from playhouse._cli import command_name
from playhouse.db_url import UnknownSchemeError, connect
from playhouse.migrate import Operation, SchemaMigrator
from playhouse.schema_diff import SchemaDiff, diff_models

__all__ = ['Migration', 'MigrationError', 'Runner', 'main', 'run', 'template']


class MigrationError(PeeweeException):
    """A migration cannot be found, loaded, applied or reverted as asked.

    ``migration`` names it when there is one.  (An error raised *by* a migration while
    it runs propagates unchanged, with a note naming the migration.)
    """

    def __init__(self, message: str, migration: Optional[str] = None) -> None:
        super().__init__(message)
        self.migration = migration


#: one migration, as :meth:`Runner.status` reports it: ``idx`` its number, ``name`` the
#: file name without ``.py``, ``path`` the file (None when it is gone), ``applied`` when
#: it was applied (None while pending).
Migration = namedtuple('Migration', ('idx', 'name', 'path', 'applied'))

_NUMBERED = re.compile(r'^(\d+)_\w*\.py$')


def template(diff: SchemaDiff) -> str:
    """The source of a migration file that applies ``diff`` (see
    :mod:`playhouse.schema_diff`); pass it to :meth:`Runner.create` as ``body``."""
    return _migration_source.render(diff)


def _scaffold(name: str) -> str:
    return '\n'.join([
        '# %s: written %s.' % (name, datetime.datetime.now().strftime('%Y-%m-%d %H:%M')),
        'from %s import *' % _migration_source._library_name(),
        '',
        '',
        'def up(migrator, db):',
        '    # e.g. migrator.migrate(migrator.add_column(\'book\', \'pages\', '
        'IntegerField(null=True)))',
        '    pass',
        '',
        '',
        'def down(migrator, db):',
        '    # undo what up() did; delete this function if it cannot be undone',
        '    pass',
        ''])


def _number(name: str) -> int:
    digits = re.match(r'\d+', name)
    return int(digits.group(0)) if digits else sys.maxsize


def _order(entry: Any) -> tuple:
    return (entry.idx, entry.name)


def _add_note(exc: BaseException, text: str) -> None:
    if hasattr(exc, 'add_note'):
        exc.add_note(text)
    else:                                   # Python 3.10
        try:
            exc.__notes__ = list(getattr(exc, '__notes__', [])) + [text]  # type: ignore
        except AttributeError:
            pass


def _run_returned(result: Any, name: str) -> None:
    """Run the operations an ``up()`` / ``down()`` returned instead of running them."""
    if result is None:
        return
    if isinstance(result, Operation):
        result._perform()
    elif isinstance(result, (list, tuple)):
        for item in result:
            _run_returned(item, name)
    else:
        raise MigrationError('%s returned %r: return operations (such as '
                             'migrator.add_column(...)) or nothing' % (name, result), name)


def _history_model(database: Any, table_name: str) -> Any:
    history_db, history_table = database, table_name

    class History(Model):
        name = CharField(max_length=255, unique=True)
        applied_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            database = history_db
            table_name = history_table
            legacy_table_names = False      # its index is named after the table

    return History


class Runner:
    """Applies, reverts and reports the migrations of ``directory`` on ``database``.

    :param database: a database or an initialised :class:`orm.DatabaseProxy`.
    :param directory: the folder of migration files.
    :param table_name: the history table (created when first needed).
    :param migrator: the migrator handed to migrations (default: the database's).
    :param out: a file to write progress lines to (default: none).
    """

    def __init__(self, database: Any, directory: str = 'migrations',
                 table_name: str = 'schema_migration',
                 migrator: Optional[SchemaMigrator] = None, out: Any = None) -> None:
        self.database = database
        self.directory = directory
        self.table_name = table_name
        self._migrator = migrator
        self.out = out
        #: the history table's model (``name``, ``applied_at``), for repairs by hand
        self.History = _history_model(database, table_name)

    @property
    def migrator(self) -> SchemaMigrator:
        """The migrator passed to each migration (made on first use)."""
        if self._migrator is None:
            self._migrator = SchemaMigrator.from_database(self.database)
        return self._migrator

    def _say(self, text: str) -> None:
        if self.out is not None:
            self.out.write(text + '\n')

    # -- what there is ---------------------------------------------------------------------
    def files(self) -> list:
        """:class:`Migration` records of the migration files (``applied`` None), in
        order."""
        if not os.path.isdir(self.directory):
            return []
        found = []
        for filename in os.listdir(self.directory):
            match = _NUMBERED.match(filename)
            if match:
                found.append(Migration(int(match.group(1)), filename[:-3],
                                       os.path.join(self.directory, filename), None))
        return sorted(found, key=_order)

    def applied(self) -> dict:
        """``{name: applied_at}`` of the recorded migrations."""
        if not self.database.table_exists(self.table_name):
            return {}
        History = self.History
        query = History.select(History.name, History.applied_at).tuples()
        return dict(query)

    def status(self) -> list:
        """Every migration, files and history rows together, in order: a
        :class:`Migration` each (``applied`` None while pending, ``path`` None when the
        file of an applied migration is gone)."""
        applied = self.applied()
        entries = {m.name: m._replace(applied=applied.get(m.name)) for m in self.files()}
        for name, when in applied.items():
            if name not in entries:
                entries[name] = Migration(_number(name), name, None, when)
        return sorted(entries.values(), key=_order)

    def pending(self) -> list:
        """The migrations not applied yet, in order."""
        return [m for m in self.status() if m.applied is None]

    def _find(self, target: Any, entries: list) -> Migration:
        """The entry ``target`` names: its name (``0002_add_karma``), its file name, or,
        when only one matches, its number (``2``) or the part after the number
        (``add_karma``)."""
        text = str(target).strip()
        for entry in entries:
            if text in (entry.name, entry.name + '.py'):
                return entry
        if text.isdigit():
            matches = [e for e in entries if e.idx == int(text)]
        else:
            matches = [e for e in entries if e.name.split('_', 1)[-1] == text]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise MigrationError('%r could be any of %s: give the full name' % (
                text, ', '.join(e.name for e in matches)))
        raise MigrationError('no migration %r in %s (there are: %s)' % (
            text, self.directory, ', '.join(e.name for e in entries) or 'none'))

    # -- loading ------------------------------------------------------------------------------
    def _load(self, entry: Migration) -> Any:
        if entry.path is None or not os.path.exists(entry.path):
            raise MigrationError('the file of migration %s is missing from %s'
                                 % (entry.name, self.directory), entry.name)
        module_name = '_orm_migration_%s' % re.sub(r'\W', '_', entry.name)
        spec = importlib.util.spec_from_file_location(module_name, entry.path)
        if spec is None or spec.loader is None:
            raise MigrationError('cannot load %s' % entry.path, entry.name)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise MigrationError('cannot load migration %s: %s: %s' % (
                entry.name, type(exc).__name__, exc), entry.name) from exc
        if not callable(getattr(module, 'up', None)):
            raise MigrationError('migration %s has no up(migrator, db) function'
                                 % entry.name, entry.name)
        return module

    def _ensure_history(self) -> None:
        if not self.database.table_exists(self.table_name):
            self.database.create_tables([self.History])

    # -- running -----------------------------------------------------------------------------
    def _run(self, entry: Migration, module: Any, direction: str) -> None:
        migrator, db = self.migrator, self.database
        History = self.History
        self._say('%s %s' % ('applying' if direction == 'up' else 'reverting', entry.name))
        try:
            with migrator.migration_context(atomic=bool(getattr(module, 'atomic', True))):
                step = getattr(module, direction)
                _run_returned(step(migrator, db), '%s.%s()' % (entry.name, direction))
                if direction == 'up':
                    History.create(name=entry.name)
                else:
                    History.delete().where(History.name == entry.name).execute()
        except Exception as exc:
            kept = ('its changes were rolled back' if migrator.transactional_ddl and
                    getattr(module, 'atomic', True) else
                    'changes made before the error may remain')
            _add_note(exc, 'in migration %s (%s): %s' % (entry.name, direction, kept))
            raise

    def up(self, target: Any = None) -> list:
        """Apply the pending migrations in order, up to and including ``target`` when
        given.  Returns the names applied."""
        status = self.status()
        pending = [m for m in status if m.applied is None]
        if target is not None:
            last = self._find(target, status)
            pending = [m for m in pending if _order(m) <= _order(last)]
        plan = [(entry, self._load(entry)) for entry in pending]   # all load, or none runs
        if plan:
            self._ensure_history()
        for entry, module in plan:
            self._run(entry, module, 'up')
        return [entry.name for entry, _ in plan]

    def down(self, target: Any = None) -> list:
        """Revert the latest applied migration, or, given ``target``, every applied
        migration back to and including it, newest first (``'zero'`` reverts them all).
        Nothing is reverted unless every one of them can be.  Returns the names
        reverted."""
        status = self.status()
        done = [m for m in status if m.applied is not None]
        if target is None:
            plan = done[-1:]
        elif str(target).strip().lower() == 'zero':
            plan = done[::-1]
        else:
            first = self._find(target, status)
            if first.applied is None:
                raise MigrationError('migration %s is not applied' % first.name, first.name)
            plan = [m for m in reversed(done) if _order(m) >= _order(first)]
        loaded = [(entry, self._load(entry)) for entry in plan]
        for entry, module in loaded:
            if not callable(getattr(module, 'down', None)):
                raise MigrationError('migration %s has no down() and cannot be reverted; '
                                     'nothing was reverted' % entry.name, entry.name)
        for entry, module in loaded:
            self._run(entry, module, 'down')
        return [entry.name for entry in plan]

    def fake(self, target: Any = None) -> list:
        """Record the pending migrations (up to and including ``target``) as applied
        without running them, e.g. for a schema made some other way.  Returns the
        names recorded."""
        status = self.status()
        pending = [m for m in status if m.applied is None and m.path is not None]
        if target is not None:
            last = self._find(target, status)
            pending = [m for m in pending if _order(m) <= _order(last)]
        if pending:
            self._ensure_history()
            with self.database.atomic():
                for entry in pending:
                    self.History.create(name=entry.name)
                    self._say('faked %s' % entry.name)
        return [entry.name for entry in pending]

    # -- writing migration files --------------------------------------------------------------
    def create(self, name: str, body: Optional[str] = None) -> str:
        """Write the next numbered migration file, ``body`` or a skeleton to fill in, and
        return its path."""
        slug = re.sub(r'[^a-z0-9]+', '_', name.strip().lower()).strip('_')
        if not slug:
            raise MigrationError('a migration name needs letters or digits: %r' % name)
        numbers = [m.idx for m in self.files()]
        filename = '%04d_%s.py' % (max(numbers) + 1 if numbers else 1, slug)
        os.makedirs(self.directory, exist_ok=True)
        path = os.path.join(self.directory, filename)
        with open(path, 'x', encoding='utf-8') as fh:
            fh.write(body if body is not None else _scaffold(filename[:-3]))
        self._say('created %s' % path)
        return path

    def generate(self, name: str, models: Iterable) -> Optional[str]:
        """Write a migration that brings the live schema to the one ``models`` describe
        (see :func:`template`); None, and no file, when they already agree."""
        diff = diff_models(self.database, list(models))
        if not diff:
            return None
        return self.create(name, template(diff))


def run(database: Any, directory: str = 'migrations', target: Any = None,
        **kwargs: Any) -> list:
    """Apply the pending migrations of ``directory``: ``Runner(database, directory,
    **kwargs).up(target)``."""
    return Runner(database, directory, **kwargs).up(target)


# ---------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------

class _Stop(Exception):
    """An error the command line reports as ``error: ...`` (exit status 2)."""


class _Usage(_Stop):
    """A command line that cannot be run as typed: reported the way argparse reports
    its own usage errors, ``<command>: error: ...``."""


_COMMANDS = {
    # command: (positional arguments after it, how many are required)
    'status': ((), 0), 'up': (('target',), 0), 'down': (('target',), 0),
    'fake': (('target',), 0), 'create': (('name',), 1),
    'generate': (('name', 'models'), 1), 'diff': (('models',), 0),
    'initial': (('models',), 0),
}
_CONFIG_KEYS = ('database', 'directory', 'models', 'table')
_DOTFILE = '.pwmigrate'
_BLANK_OR_COMMENT = re.compile(r'^\s*(#.*)?$')
_SETTING = re.compile(r'^\s*([\w.-]+)\s*=(.*)$')


def _read_config(path: Optional[str]) -> dict:
    """``key = value`` lines of the config file (``path``, else ``./.pwmigrate`` when it
    exists); ``#`` starts a comment line.  Unknown keys are reported on stderr."""
    explicit = path is not None
    path = path or _DOTFILE
    if not os.path.isfile(path):
        if explicit:
            raise _Stop('config file "%s" not found' % path)
        return {}
    settings = {}
    with open(path, encoding='utf-8') as fh:
        text = fh.read()
    for number, line in enumerate(text.splitlines(), 1):
        if _BLANK_OR_COMMENT.match(line):
            continue
        pair = _SETTING.match(line)
        if pair is None:
            sys.stderr.write('warning: %s line %d is not "key = value": ignored\n'
                             % (path, number))
        elif pair.group(1) in _CONFIG_KEYS:
            settings[pair.group(1)] = pair.group(2).strip()
        else:
            sys.stderr.write('warning: unknown key "%s" in %s (known: %s)\n'
                             % (pair.group(1), path, ', '.join(_CONFIG_KEYS)))
    return settings


def _connect_url(spec: str) -> Any:
    try:
        database = connect(spec)
    except UnknownSchemeError as exc:
        raise _Stop('cannot connect to "%s": Unrecognized database URL scheme (%s)'
                    % (spec, exc)) from exc
    except Exception as exc:
        raise _Stop('cannot connect to "%s": %s' % (spec, exc)) from exc
    if not database.database and not isinstance(database, SqliteDatabase):
        scheme, _, rest = spec.partition('://')
        raise _Stop('cannot connect to "%s": the URL has no database name (a name right '
                    'after "//" is a host; for a local server write %s:///%s)'
                    % (spec, scheme, rest.split('/')[0]))
    return database


def _import_database(spec: str) -> Any:
    """The database at ``package.module.attribute``."""
    module_name, _, attr = spec.rpartition('.')
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        looks_like_file = ' There is no file "%s" either.' % spec if '/' not in spec else ''
        raise _Stop('cannot import "%s" (for the database "%s"): %s.%s'
                    % (module_name, spec, exc, looks_like_file)) from exc
    if not hasattr(module, attr):
        raise _Stop('module "%s" has no attribute "%s"' % (module_name, attr))
    database = getattr(module, attr)
    if isinstance(database, DatabaseProxy):
        if object.__getattribute__(database, 'obj') is None:
            raise _Stop('"%s" is an uninitialized DatabaseProxy: initialize it when the '
                        'module is imported, or give a database URL' % spec)
        return database
    if not isinstance(database, Database):
        raise _Stop('"%s" is a %s, not a database' % (spec, type(database).__name__))
    if database.deferred:
        raise _Stop('"%s" is a deferred database (its name is given later by init()): '
                    'initialize it when the module is imported, or give a database URL'
                    % spec)
    return database


def _open(spec: str, create_file: bool) -> tuple:
    """``(database, opened here?)`` for a URL, a SQLite file or ``module.attribute``;
    ``create_file`` lets a path name a SQLite file that does not exist yet."""
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    if '://' in spec:
        database, ours = _connect_url(spec), True
    elif os.path.isfile(spec) or create_file:
        database, ours = SqliteDatabase(spec), True
    elif re.match(r'^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$', spec):
        database, ours = _import_database(spec), False
    else:
        raise _Stop('no database "%s": give a URL (sqlite:///app.db), the path of a SQLite '
                    'file, or module.attribute of a database' % spec)
    try:
        if database.is_closed():
            database.connect()
        else:
            ours = False
    except Exception as exc:
        raise _Stop('cannot connect to "%s": %s' % (spec, exc)) from exc
    if ours and isinstance(database, SqliteDatabase):
        database.pragma('foreign_keys', 1, permanent=True)
    return database, ours


def _is_model(obj: Any) -> bool:
    return inspect.isclass(obj) and issubclass(obj, Model) and obj is not Model


def _load_models(spec: str) -> list:
    """The models ``module`` defines, or those ``module:attribute`` names (a model, or a
    list, tuple or dict of them).  Discovery skips, and reports on stderr, models without
    fields of their own (base classes) and virtual tables."""
    module_name, _, attr = spec.partition(':')
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise _Stop('cannot import "%s" (for the models): %s' % (module_name, exc)) from exc
    if attr:
        found: Any = module
        for part in attr.split('.'):
            if not hasattr(found, part):
                raise _Stop('module "%s" has no attribute "%s"' % (module_name, attr))
            found = getattr(found, part)
        if _is_model(found):
            return [found]
        if isinstance(found, dict):
            found = list(found.values())
        models = [m for m in found if _is_model(m)] \
            if isinstance(found, (list, tuple, set)) else []
        if not models:
            raise _Stop('"%s" holds no model classes' % spec)
        return models
    models = []
    for obj in vars(module).values():
        if not _is_model(obj) or obj.__module__ != module.__name__:
            continue
        meta = obj._meta
        if getattr(meta, 'extension_module', None):
            sys.stderr.write('skipped: %s (virtual table)\n' % obj.__name__)
        elif not [f for f in meta.sorted_fields if not _migration_source._is_default_pk(f)]:
            sys.stderr.write('skipped: %s (no fields)\n' % obj.__name__)
        else:
            models.append(obj)
    if not models:
        raise _Stop('module "%s" defines no model with fields' % module_name)
    return models


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=command_name('playhouse.migrations', 'orm-migrate'),
        usage='%(prog)s [DATABASE] COMMAND [ARGS] [-d DIR] [-t TABLE] [-c CONFIG] [-v]',
        description='Apply, revert, list and write numbered migrations '
                    '(NNNN_name.py files with up(migrator, db) and down(migrator, db)).',
        epilog='commands: status; up [TARGET]; down [TARGET]; fake [TARGET]; create NAME; '
               'generate NAME [MODELS]; diff [MODELS]; initial [MODELS].  DATABASE is a '
               'URL, a SQLite file or module.attribute; MODELS is a module or '
               'module:attribute.  Defaults come from ./.pwmigrate (or -c FILE).')
    parser.add_argument('words', nargs='*', help=argparse.SUPPRESS)
    parser.add_argument('-d', '--dir', '--directory', dest='directory',
                        help='migrations folder (default: migrations)')
    parser.add_argument('-t', '--table', help='history table (default: schema_migration)')
    parser.add_argument('-c', '--config', help='config file (default: ./.pwmigrate)')
    parser.add_argument('-v', '--verbose', action='store_true', help='echo SQL as it runs')
    parser.add_argument('--database', help='database URL or SQLite file (created when '
                                           'missing); default: $ORM_DATABASE')
    parser.add_argument('--models', help='models module (or module:attribute) for '
                                         'generate, diff and initial')
    return parser


class _EchoSQL(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        msg = record.msg
        if isinstance(msg, tuple) and len(msg) == 2:
            sql, params = msg
            sys.stderr.write('%s%s\n' % (sql, '  %r' % (params,) if params else ''))
        else:
            sys.stderr.write('%s\n' % record.getMessage())


def _split_words(words: list) -> tuple:
    """``(database, command, arguments)`` from the positional words."""
    if words and words[0] in _COMMANDS:
        return None, words[0], words[1:]
    if len(words) >= 2 and words[1] in _COMMANDS:
        return words[0], words[1], words[2:]
    raise _Usage('no command: give one of %s' % ', '.join(_COMMANDS))


def main(argv: Optional[list] = None) -> int:
    """The ``orm-migrate`` command.  Exit status: 0 done, 1 (``status``) migrations are
    pending, 2 an error."""
    try:
        args = _parser().parse_intermixed_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    loggers = [logging.getLogger(name) for name in ('orm', 'peewee')]
    echo = _EchoSQL()
    saved = [(lg, lg.level) for lg in loggers]
    if args.verbose:
        for lg in loggers:
            lg.addHandler(echo)
            lg.setLevel(logging.DEBUG)
    try:
        return _command(args)
    except _Usage as exc:
        # named as the command was typed (orm-migrate, or python -m playhouse.migrations)
        sys.stderr.write('%s: error: %s\n'
                         % (command_name('playhouse.migrations', 'orm-migrate'), exc))
        return 2
    except _Stop as exc:
        sys.stderr.write('error: %s\n' % (exc,))
        return 2
    finally:
        if args.verbose:
            for lg, level in saved:
                lg.removeHandler(echo)
                lg.setLevel(level)


def _command(args: argparse.Namespace) -> int:
    spec, command, rest = _split_words(args.words)
    names, required = _COMMANDS[command]
    if len(rest) > len(names) or len(rest) < required:
        raise _Usage('usage: %s %s' % (command, ' '.join(
            n.upper() if i < required else '[%s]' % n.upper() for i, n in enumerate(names))))
    given = dict(zip(names, rest))
    config = _read_config(args.config)
    directory = args.directory or config.get('directory') or 'migrations'
    table = args.table or config.get('table') or 'schema_migration'
    models_spec = given.get('models') or args.models or config.get('models')

    if command == 'create':
        path = Runner(None, directory, table).create(given['name'])
        print(path)
        return 0
    if command in ('generate', 'diff', 'initial') and not models_spec:
        raise _Stop('%s requires a models module.' % command)
    if command == 'initial' and models_spec:
        if Runner(None, directory, table).files():
            raise _Stop('migrations already exist in "%s".' % directory)
        models = _load_models(models_spec)
        body = template(SchemaDiff(create_tables=sort_models(models)))
        print(Runner(None, directory, table).create('initial', body))
        return 0

    create_file = False
    if spec is None:
        spec = args.database or os.environ.get('ORM_DATABASE')
        create_file = spec is not None
        spec = spec or config.get('database')
    if not spec:
        raise _Usage('no database given: name it first (orm-migrate DATABASE %s), with '
                    '--database, in $ORM_DATABASE or as "database = ..." in %s'
                    % (command, _DOTFILE))
    database, opened = _open(spec, create_file)
    try:
        return _run_command(Runner(database, directory, table), command, given, models_spec)
    except MigrationError as exc:
        raise _Stop(str(exc)) from exc
    except Exception as exc:
        notes = ' '.join(getattr(exc, '__notes__', []))
        raise _Stop('%s: %s%s' % (type(exc).__name__, str(exc).strip() or repr(exc),
                                  ' (%s)' % notes if notes else '')) from exc
    finally:
        if opened:
            database.close()


def _run_command(runner: Runner, command: str, given: dict, models_spec: Any) -> int:
    if command == 'status':
        entries = runner.status()
        if not entries:
            print('no migrations in %s' % runner.directory)
        for entry in entries:
            mark = '[ ]' if entry.applied is None else '[x]' if entry.path else '[?]'
            when = entry.applied.strftime('%Y-%m-%d %H:%M:%S') \
                if hasattr(entry.applied, 'strftime') else entry.applied
            print('%s %s%s' % (mark, entry.name, '  %s' % when if when else ''))
        return 1 if any(entry.applied is None for entry in entries) else 0
    if command in ('up', 'down', 'fake'):
        names = getattr(runner, command)(given.get('target'))
        verb = {'up': 'applied', 'down': 'reverted', 'fake': 'faked'}[command]
        print('\n'.join('%s: %s' % (verb, name) for name in names) or 'nothing to do.')
        return 0
    models = _load_models(models_spec)
    diff = diff_models(runner.database, models)
    if command == 'diff':
        print(str(diff) if diff else 'schema matches models.')
        return 0
    if not diff:                                   # generate
        print('Nothing to generate: schema matches models.')
        return 0
    print(runner.create(given['name'], template(diff)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
