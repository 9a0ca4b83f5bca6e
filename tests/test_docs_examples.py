"""The documentation's code examples and the example applications must stay true.

Each page is run top to bottom by docs/check_examples.py (SQLite always; the PostgreSQL
blocks against the test server), and examples/*.py are run as scripts on both engines.
"""
from __future__ import annotations

import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import PG_DSN, require_postgres
from orm import SqliteDatabase

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Every page: one without examples costs a fraction of a second.
PAGES = sorted(p.name for p in (ROOT / 'docs').glob('*.rst'))


def _run(args: list, cwd: pathlib.Path = ROOT, **env: str) -> subprocess.CompletedProcess:
    environ = dict(os.environ, PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable] + args, cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize('page', PAGES)
def test_doc_page_examples(page: str, docs_pg_dsn: str, tmp_path: pathlib.Path) -> None:
    # The pages name their database orm_test; the checker runs them on the session's
    # documentation database instead (docs_pg_dsn, created and dropped by the fixture).
    # They run in a temporary folder: files they write (app.db ...) are not left behind.
    result = _run([str(ROOT / 'docs' / 'check_examples.py'), '--require-postgres',
                   str(ROOT / 'docs' / page)], cwd=tmp_path, ORM_PG_DSN=docs_pg_dsn)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize('postgres', [False, True], ids=['sqlite', 'postgres'])
def test_blog_example_runs(postgres: bool) -> None:
    args = ['examples/blog.py']
    if postgres:
        require_postgres()
        args.append('--postgres')
    result = _run(args, ORM_PG_DSN=PG_DSN)
    assert result.returncode == 0, result.stdout + result.stderr


def _tour(cwd: pathlib.Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != 'ORM_TOUR_DB'}
    environ.update(PYTHONPATH=str(ROOT), TMPDIR=str(cwd), **env)
    return subprocess.run([sys.executable, str(ROOT / 'examples' / 'tour.py')], cwd=cwd,
                          env=environ, capture_output=True, text=True, timeout=300)


def test_tour_runs_twice_and_leaves_nothing_behind(tmp_path: pathlib.Path) -> None:
    outputs = []
    for _ in range(2):
        result = _tour(tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert 'Done.' in result.stdout and 'nothing is left behind' in result.stdout
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    # neither the working directory nor the temporary directory got a file
    assert list(tmp_path.iterdir()) == []


def test_tour_keeps_its_database_when_asked(tmp_path: pathlib.Path) -> None:
    path = tmp_path / 'tour.db'
    outputs = []
    for _ in range(2):    # a second run on the same file starts afresh
        result = _tour(tmp_path, ORM_TOUR_DB=str(path))
        assert result.returncode == 0, result.stdout + result.stderr
        assert 'The database file is %s' % path in result.stdout
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ['tour.db']
    db = SqliteDatabase(str(path))
    try:
        assert sorted(db.get_tables()) == sorted(TOUR_TABLES)
        assert db.execute_sql('SELECT count(*) FROM recipe').fetchone() == (3,)
        assert 'serves' in [c.name for c in db.get_columns('recipe')]
    finally:
        db.close()


#: The tour's tables, as the documentation names them.
TOUR_TABLES = ['cook', 'recipe', 'ingredient', 'ingredient_recipe_through']


def test_getting_started_describes_the_tour() -> None:
    page = (ROOT / 'docs' / 'getting-started.rst').read_text()
    section = page[page.index('Running the tour'):]
    tour = (ROOT / 'examples' / 'tour.py').read_text()
    # the tour's own tables are the ones the page says it drops
    spec = importlib.util.spec_from_file_location('tour_for_test', ROOT / 'examples' / 'tour.py')
    module = importlib.util.module_from_spec(spec)
    environ = dict(os.environ)
    os.environ.pop('ORM_TOUR_DB', None)
    try:
        spec.loader.exec_module(module)
    finally:
        os.environ.clear()
        os.environ.update(environ)
    assert module.path == ':memory:'
    assert sorted(m._meta.table_name for m in module.MODELS) == sorted(TOUR_TABLES)
    for table in TOUR_TABLES:
        assert '``%s``' % table in section
    assert 'in-memory SQLite database' in section and 'ORM_TOUR_DB' in section
    assert "ORM_TOUR_DB" in tour and 'drop_tables' in tour
    # the page and the README give the same one-line command
    command = ("python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && "
               ".venv/bin/python examples/tour.py")
    assert command in section
    assert command in (ROOT / 'README.md').read_text()
