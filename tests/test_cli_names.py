"""The command-line tools call themselves by the name they were started with.

``orm-migrate`` and ``orm-pwiz`` are console scripts installed with the package; the same
programs run as ``python -m playhouse.migrations`` / ``python -m playhouse.reflection``.
Their ``--help`` and their usage errors must name the command as the user typed it, so
that the usage lines can be copied.
"""
from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys

import pytest

from playhouse import migrations, pwiz, reflection

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)

TOOLS = [('orm-migrate', 'playhouse.migrations', migrations.main),
         ('orm-pwiz', 'playhouse.reflection', reflection.main)]


def _run(args: list) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=ROOT))


def _script(name: str) -> str:
    path = os.path.join(BIN, name)
    if not os.path.exists(path):
        pytest.skip('the %s console script is not installed next to %s (pip install -e .)'
                    % (name, sys.executable))
    return path


@pytest.mark.parametrize('script, module, main', TOOLS, ids=[t[0] for t in TOOLS])
def test_console_script_help_names_the_script(script, module, main):
    result = _run([_script(script), '--help'])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('usage: %s ' % script)
    assert 'python -m' not in result.stdout


@pytest.mark.parametrize('script, module, main', TOOLS, ids=[t[0] for t in TOOLS])
def test_module_help_names_the_module(script, module, main):
    result = _run([sys.executable, '-m', module, '--help'])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('usage: python -m %s ' % module)
    assert script not in result.stdout.splitlines()[0]


@pytest.mark.parametrize('script, module, main', TOOLS, ids=[t[0] for t in TOOLS])
def test_usage_errors_name_the_command(script, module, main):
    result = _run([_script(script)])
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith('%s: error: ' % script)
    result = _run([sys.executable, '-m', module])
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith('python -m %s: error: ' % module)


@pytest.mark.parametrize('script, module, main', TOOLS, ids=[t[0] for t in TOOLS])
def test_main_called_from_python_uses_the_script_name(script, module, main):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:                        # a main() may return its exit status or raise it
            status = main(['--help'])
        except SystemExit as exit_:
            status = exit_.code
    assert status in (0, None)
    assert out.getvalue().startswith('usage: %s ' % script)


def test_playhouse_pwiz_names_itself_as_a_module():
    """``python -m playhouse.pwiz`` has no console script: it is named as the module
    both when started that way and when its main() is called from Python."""
    result = _run([sys.executable, '-m', 'playhouse.pwiz', '--help'])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('usage: python -m playhouse.pwiz ')
    result = _run([sys.executable, '-m', 'playhouse.pwiz'])
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith('python -m playhouse.pwiz: error: ')
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        with pytest.raises(SystemExit) as exit_:
            pwiz.main(['--help'])
    assert exit_.value.code == 0
    assert out.getvalue().startswith('usage: python -m playhouse.pwiz ')
