"""The documentation's code examples and the example applications must stay true.

Each page is run top to bottom by docs/check_examples.py (SQLite always; the PostgreSQL
blocks against the test server), and examples/*.py are run as scripts on both engines.
"""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

from conftest import PG_DSN, require_postgres

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Every page: one without examples costs a fraction of a second.
PAGES = sorted(p.name for p in (ROOT / 'docs').glob('*.rst'))


def _run(args: list, **env: str) -> subprocess.CompletedProcess:
    environ = dict(os.environ, PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable] + args, cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize('page', PAGES)
def test_doc_page_examples(page: str, docs_pg_dsn: str) -> None:
    # The pages name their database orm_test; the checker runs them on the session's
    # documentation database instead (docs_pg_dsn, created and dropped by the fixture).
    result = _run(['docs/check_examples.py', '--require-postgres', 'docs/' + page],
                  ORM_PG_DSN=docs_pg_dsn)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize('postgres', [False, True], ids=['sqlite', 'postgres'])
def test_blog_example_runs(postgres: bool) -> None:
    args = ['examples/blog.py']
    if postgres:
        require_postgres()
        args.append('--postgres')
    result = _run(args, ORM_PG_DSN=PG_DSN)
    assert result.returncode == 0, result.stdout + result.stderr


def test_tour_runs(tmp_path: pathlib.Path) -> None:
    result = _run(['examples/tour.py'], ORM_TOUR_DB=str(tmp_path / 'tour.db'))
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Done.' in result.stdout
