"""Run an unmodified peewee application on orm and compare its report with real peewee's.

``examples/peewee_app/`` is an issue tracker written for peewee: it does ``import peewee``
and imports ``playhouse.db_url``, ``playhouse.migrate`` and ``playhouse.shortcuts``.
Each test runs it in a subprocess with a one-line shim module named ``peewee`` on
``PYTHONPATH`` that makes ``import peewee`` return ``orm`` (``playhouse`` is this
repository's package, installed with orm), on SQLite (a file) and on PostgreSQL, and
compares its stdout with ``golden_report.txt``.

The golden report was produced by the SAME application on real peewee 3.19, and real
peewee prints the same report on SQLite and on PostgreSQL, so there is one golden file
and nothing is normalised. To regenerate it, from a directory that is NOT the repo
root (so that peewee's own ``playhouse`` is imported), with a virtualenv that has
peewee and psycopg2 installed (here ``/tmp/bvenv``):

    cd /tmp && rm -f /tmp/tracker-golden.db && \\
      /tmp/bvenv/bin/python /work/main/examples/peewee_app/tracker.py \\
        sqlite:////tmp/tracker-golden.db > /work/main/examples/peewee_app/golden_report.txt

and check that ``.../tracker.py postgresql://postgres@127.0.0.1:5432/<empty db>``
prints the same. ``test_golden_report_is_real_peewees`` does this check automatically
when ``PEEWEE_PYTHON`` names such an interpreter.

The tracker also exercised a bug found this way: comparing a subquery with a value
(``subquery > 1``), which peewee supports, raised ``TypeError`` on orm; it is fixed and
``test_subquery_comparison`` keeps it so.
"""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from conftest import pg_connect_kwargs, require_postgres

APP_DIR = Path(__file__).resolve().parent.parent / 'examples' / 'peewee_app'
GOLDEN = APP_DIR / 'golden_report.txt'

#: ``import peewee`` -> orm, for everything the application touches.
SHIM = 'import sys\nimport orm\nsys.modules[__name__] = orm\n'


def _app_copy(tmp_path: Path) -> Path:
    """The application, unmodified, and the shim."""
    app = tmp_path / 'app'
    app.mkdir()
    for name in ('tracker.py', 'tracker_models.py'):
        (app / name).write_text((APP_DIR / name).read_text())
    shim = tmp_path / 'shim'
    shim.mkdir()
    (shim / 'peewee.py').write_text(SHIM)
    return app


def _run(app: Path, url: str, python: str = sys.executable,
         shim: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop('TRACKER_DATABASE_URL', None)
    if shim is not None:
        env['PYTHONPATH'] = os.pathsep.join(
            p for p in (str(shim), env.get('PYTHONPATH', '')) if p)
    # cwd is the app's directory, never the repo root: under real peewee the repo's
    # playhouse package must not shadow peewee's.
    return subprocess.run([python, str(app / 'tracker.py'), url], cwd=str(app), env=env,
                          capture_output=True, text=True, timeout=300)


def _run_on_orm(tmp_path: Path, url: str) -> subprocess.CompletedProcess:
    app = _app_copy(tmp_path)
    return _run(app, url, shim=tmp_path / 'shim')


def _assert_report(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == GOLDEN.read_text()


def _sqlite_url(tmp_path: Path) -> str:
    return 'sqlite:///%s' % (tmp_path / 'tracker.db')


def _postgres_url() -> str:
    require_postgres()
    params = pg_connect_kwargs()
    user = urllib.parse.quote(params.get('user') or 'postgres', safe='')
    password = params.get('password')
    auth = user + (':' + urllib.parse.quote(password, safe='') if password else '')
    host = params.get('host') or '127.0.0.1'
    port = params.get('port') or 5432
    return 'postgresql://%s@%s:%s/%s' % (auth, host, port,
                                         urllib.parse.quote(params['database'], safe=''))


def test_shim_resolves_to_orm(tmp_path):
    _app_copy(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(tmp_path / 'shim'))
    out = subprocess.run(
        [sys.executable, '-c', 'import peewee, orm, playhouse.shortcuts as s; '
         'print(peewee is orm, s.__file__)'],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, check=True).stdout
    is_orm, shortcuts = out.split()
    assert is_orm == 'True'
    assert Path(shortcuts).resolve().parent == APP_DIR.parent.parent / 'playhouse'


def test_report_sqlite(tmp_path):
    _assert_report(_run_on_orm(tmp_path, _sqlite_url(tmp_path)))


def test_report_postgres(tmp_path):
    _assert_report(_run_on_orm(tmp_path, _postgres_url()))


def test_report_postgres_psycopg3(tmp_path):
    pytest.importorskip('psycopg')
    _assert_report(_run_on_orm(tmp_path, _postgres_url() + '?prefer_psycopg3=true'))


def test_subquery_comparison():
    import orm as peewee

    db = peewee.SqliteDatabase(':memory:')

    class T(peewee.Model):
        x = peewee.IntegerField()

        class Meta:
            database = db

    db.create_tables([T])
    T.insert_many([(1,), (2,), (3,)], fields=[T.x]).execute()
    sub = T.select(peewee.fn.MAX(T.x))
    # On peewee 3.19 each comparison is an Expression and every count is 3.
    assert T.select().where(sub > 1).count() == 3
    assert T.select().where(sub <= 3).count() == 3
    assert T.select().where(sub == 3).count() == 3
    assert T.select().where(sub != 2).count() == 3


@pytest.mark.skipif(not os.environ.get('PEEWEE_PYTHON'),
                    reason='set PEEWEE_PYTHON to a python with real peewee (and psycopg2)')
def test_golden_report_is_real_peewees(tmp_path):
    """The golden file is what real peewee prints, on SQLite and on PostgreSQL."""
    python = os.environ['PEEWEE_PYTHON']
    for url in (_sqlite_url(tmp_path), _postgres_url()):
        proc = _run(APP_DIR, url, python=python)
        _assert_report(proc)
