"""README.md's examples run as written.

The README's code blocks are read from the file and run the way a reader would run
them: the model example is saved as ``library.py`` and run (twice) with the project's
Python, its ``orm-migrate`` and ``orm-pwiz`` lines run in a shell from the folder that
holds it, on SQLite and on PostgreSQL (there the database name ``library`` stands for
the test database). No CockroachDB cluster is available to the tests, so the
CockroachDB version is only built: the database object is made, never connected, and
the tables' DDL and the example's join are compiled for CockroachDB.

Every block must be run here or be listed in ``NOT_RUN`` with the reason; a new block
that is neither fails the test.
"""
from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
from typing import Any

import pytest

from conftest import pg_connect_kwargs

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / 'README.md'

FENCE = re.compile(r'^```(\w*)\n(.*?)^```\n', re.M | re.S)

#: The commands at the top of the README, exactly.
TOUR_COMMAND = ("python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && "
                ".venv/bin/python examples/tour.py")
TEST_COMMAND = ("python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && "
                ".venv/bin/python -m pytest")

#: Blocks the tests do not run, recognised by a line they hold, with the reason.
NOT_RUN = {
    "pip install -e '.[postgres]'": 'installs packages (the test extra is installed here)',
    '/tmp/bench-venv/bin/python -m bench': 'the benchmarks take minutes and need peewee',
    'sphinx-build -W docs': '.ci/run builds the documentation itself',
}


def readme_blocks() -> list:
    """``[(language, code)]`` for each fenced block of the README, in order."""
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(README.read_text())]


def the_block(language: str, holding: str) -> str:
    found = [code for lang, code in readme_blocks() if lang == language and holding in code]
    assert len(found) == 1, 'README: expected one %s block with %r, found %d' % (
        language, holding, len(found))
    return found[0]


def model_code() -> str:
    return the_block('python', "db = SqliteDatabase('library.db')")


def expected_output() -> str:
    blocks = readme_blocks()
    index = next(i for i, (lang, code) in enumerate(blocks)
                 if lang == 'python' and "db = SqliteDatabase('library.db')" in code)
    lang, text = blocks[index + 1]
    assert lang == 'text', 'README: the model example should be followed by its output'
    return text


def with_database_line(code: str, replacement: str) -> str:
    """The model example with its ``db = ...`` line replaced by ``replacement``."""
    line = "db = SqliteDatabase('library.db')\n"
    assert line in code
    return code.replace(line, replacement.rstrip('\n') + '\n')


def commands(holding: str) -> list:
    """The command lines of the sh block that holds ``holding``."""
    return [line for line in the_block('sh', holding).splitlines()
            if line.strip() and not line.lstrip().startswith('#')]


@pytest.fixture
def project(tmp_path: pathlib.Path) -> pathlib.Path:
    """A reader's folder: ``.venv/bin`` has ``python``, ``orm-migrate`` and ``orm-pwiz``
    (the installed scripts when there are any, else the modules behind them)."""
    bin_dir = tmp_path / '.venv' / 'bin'
    bin_dir.mkdir(parents=True)
    here = pathlib.Path(sys.executable).parent
    tools = {'python': [sys.executable],
             'orm-migrate': [sys.executable, '-m', 'playhouse.migrations'],
             'orm-pwiz': [sys.executable, '-m', 'playhouse.reflection']}
    for name, fallback in tools.items():
        target = [str(here / name)] if name != 'python' and (here / name).exists() \
            else fallback
        script = bin_dir / name
        script.write_text('#!/bin/sh\nexec %s "$@"\n' % ' '.join(
            "'%s'" % part for part in target))
        script.chmod(0o755)
    return tmp_path


def sh(folder: pathlib.Path, line: str) -> str:
    result = subprocess.run(['bash', '-c', line], cwd=folder, capture_output=True,
                            text=True, timeout=120,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 0, '%s\n%s%s' % (line, result.stdout, result.stderr)
    return result.stdout


def add_pages_field(folder: pathlib.Path) -> None:
    """Make the edit the README asks for before the migration."""
    field = the_block('python', 'pages = IntegerField(default=0)').rstrip('\n')
    path = folder / 'library.py'
    code = path.read_text()
    anchor = '    year = IntegerField()\n'
    assert anchor in code
    path.write_text(code.replace(anchor, anchor + field + '\n'))


#: Reads the library back through a module printed by orm-pwiz.
JOIN_QUERY = ('from {module} import Author, Book; '
              'query = Book.select(Book, Author).join(Author).order_by(Book.year); '
              '[print((b.title, b.author.name, b.pages)) for b in query]')


# ---------------------------------------------------------------------------------------

def test_every_block_is_run_or_excused() -> None:
    covered = [model_code(), expected_output(),
               the_block('python', 'PostgresqlDatabase('),
               the_block('python', 'CockroachDatabase('),
               the_block('python', 'pages = IntegerField(default=0)'),
               the_block('sh', 'orm-migrate'), the_block('sh', 'orm-pwiz'),
               the_block('sh', TOUR_COMMAND)]
    for lang, code in readme_blocks():
        if code in covered:
            continue
        reason = next((why for mark, why in NOT_RUN.items() if mark in code), None)
        assert reason, 'README block not run by tests/test_readme.py:\n' + code


def test_the_two_commands_come_first() -> None:
    lang, code = readme_blocks()[0]
    assert lang == 'sh'
    lines = [line for line in code.splitlines() if not line.startswith('#')]
    assert lines == [TOUR_COMMAND, TEST_COMMAND]
    # .ci/run runs the test command exactly as the README gives it
    assert TEST_COMMAND in (ROOT / '.ci' / 'run').read_text()
    assert (ROOT / 'examples' / 'tour.py').exists()


def test_readme_links_point_at_pages() -> None:
    text = README.read_text()
    links = re.findall(r'\]\((docs/[^)#]+)\)', text)
    assert links
    for link in links:
        assert (ROOT / link).exists(), link
    for module in re.findall(r'^- `(playhouse\.\w+)`', text, re.M):
        assert (ROOT / (module.replace('.', '/') + '.py')).exists(), module


def test_sqlite_example_migration_and_pwiz(project: pathlib.Path) -> None:
    (project / 'library.py').write_text(model_code())
    for _ in range(2):      # "twice, if you like"
        assert sh(project, '.venv/bin/python library.py') == expected_output()

    add_pages_field(project)
    out = [sh(project, line) for line in commands('orm-migrate')]
    assert (project / 'migrations' / '0001_add_pages.py').exists()
    assert '[x] 0001_add_pages' in out[-1]
    assert sh(project, '.venv/bin/python library.py') == expected_output()

    pwiz_sqlite = [line for line in commands('orm-pwiz') if 'library.db' in line]
    assert len(pwiz_sqlite) == 1
    sh(project, pwiz_sqlite[0])
    # the printed module names the file as given (library.db): use it from the folder
    out = sh(project, '.venv/bin/python -c "%s"' % JOIN_QUERY.format(module='library_models'))
    assert out.splitlines() == [
        "('A Wizard of Earthsea', 'Ursula K. Le Guin', 0)",
        "('The Dispossessed', 'Ursula K. Le Guin', 0)"]


@pytest.mark.engines('psycopg2')     # the README's code uses the default driver
def test_postgresql_example_migration_and_pwiz(pg_db: Any, project: pathlib.Path) -> None:
    params = pg_connect_kwargs()
    name = params['database']
    pg_line = the_block('python', 'PostgresqlDatabase(')
    assert "'library'" in pg_line
    pg_line = pg_line.replace("'library'", repr(name))
    if params.get('host', '127.0.0.1') != '127.0.0.1' or params.get('port', 5432) != 5432:
        pytest.skip('the README connects to 127.0.0.1:5432; ORM_PG_DSN points elsewhere')
    (project / 'library.py').write_text(with_database_line(model_code(), pg_line))
    for _ in range(2):
        assert sh(project, '.venv/bin/python library.py') == expected_output()
    assert set(pg_db.get_tables()) >= {'author', 'book'}

    # the migration, with the URL the README mentions for PostgreSQL
    add_pages_field(project)
    url = 'postgresql://postgres@127.0.0.1/library'
    assert url in README.read_text()
    url = url.replace('/library', '/' + name)
    out = [sh(project, line.replace('library.db', url)) for line in commands('orm-migrate')]
    assert '[x] 0001_add_pages' in out[-1]
    assert 'pages' in [c.name for c in pg_db.get_columns('book')]

    pwiz_pg = [line for line in commands('orm-pwiz') if 'postgresql' in line]
    assert len(pwiz_pg) == 1
    source = sh(project, re.sub(r'\blibrary$', name, pwiz_pg[0].rstrip()))
    (project / 'pg_library_models.py').write_text(source)
    out = sh(project, '.venv/bin/python -c "%s"' % JOIN_QUERY.format(module='pg_library_models'))
    assert out.splitlines() == [
        "('A Wizard of Earthsea', 'Ursula K. Le Guin', 0)",
        "('The Dispossessed', 'Ursula K. Le Guin', 0)"]


def test_cockroachdb_example_builds_without_a_cluster() -> None:
    """There is no CockroachDB cluster here: build the models on CockroachDatabase and
    compile their SQL, without connecting."""
    from playhouse.cockroachdb import CockroachDatabase
    from playhouse.reflection import get_table_sql
    code = with_database_line(model_code(), the_block('python', 'CockroachDatabase('))
    namespace: dict = {'__name__': 'readme_library_crdb'}   # not __main__: no connection
    exec(compile(code, 'README.md (CockroachDB)', 'exec'), namespace)
    db, Author, Book = namespace['db'], namespace['Author'], namespace['Book']
    assert isinstance(db, CockroachDatabase)
    assert (db.database, db.connect_params) == ('library', {
        'host': '127.0.0.1', 'port': 26257, 'user': 'root'})
    ddl = [get_table_sql(model) for model in (Author, Book)]
    assert ddl[1].startswith('CREATE TABLE IF NOT EXISTS "book" (')
    assert 'REFERENCES "author" ("id")' in ddl[1]
    sql, params = Book.select(Book, Author).join(Author).order_by(Book.year).sql()
    assert 'INNER JOIN "author"' in sql and params == []
    assert db.is_closed()
