"""The types a checker sees for fields: their values on instances (``str``,
``int | None`` ...), the fields themselves on model classes, and the mistakes it reports.

mypy checks the modules of ``tests/typing_samples`` as user code would be checked: orm
is imported through its annotations (it ships ``py.typed``), its own errors are not
reported.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

import orm

SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'typing_samples')
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(orm.__file__)))

CONFIG = '''
[mypy]
strict = True
warn_unused_ignores = True

[mypy-orm.*]
follow_imports = silent
'''


def run_mypy(tmp_path, sample: str) -> list[str]:
    """mypy's error lines for ``typing_samples/<sample>`` (``line: code: message``)."""
    pytest.importorskip('mypy', reason='mypy is not installed (the "test" extra has it)')
    config = tmp_path / 'mypy.ini'
    config.write_text(CONFIG)
    result = subprocess.run(
        [sys.executable, '-m', 'mypy', '--config-file', str(config), '--cache-dir',
         str(tmp_path / 'cache'), '--no-error-summary', '--show-error-codes',
         '--hide-error-context', os.path.join(SAMPLES, sample)],
        cwd=str(tmp_path), env=dict(os.environ, MYPYPATH=REPO_ROOT),
        capture_output=True, text=True, timeout=300)
    assert not result.stderr.strip() or 'error' not in result.stderr, result.stderr
    found = []
    for line in result.stdout.splitlines():
        match = re.match(r'.*?:(\d+): error: (.*)  \[([\w-]+)\]$', line)
        if match:
            found.append('%s: %s: %s' % (match.group(1), match.group(3), match.group(2)))
        elif ': error:' in line:
            found.append(line)
    return found


def test_field_values_and_fields_have_precise_types(tmp_path):
    # every assert_type of the sample holds, and nothing else is reported
    assert run_mypy(tmp_path, 'fields_sample.py') == []


def test_field_mistakes_are_reported(tmp_path):
    with open(os.path.join(SAMPLES, 'fields_mistakes.py'), encoding='utf-8') as f:
        expected = {number: line.split('# error:')[1].strip()
                    for number, line in enumerate(f, 1) if '# error:' in line}
    errors = run_mypy(tmp_path, 'fields_mistakes.py')
    reported = {int(e.split(':')[0]): e.split(': ')[1] for e in errors}
    assert reported == expected, '\n'.join(errors)


def test_typing_costs_nothing_at_run_time():
    # the constructors and descriptors a checker sees do not exist at run time: models
    # hold accessors, and creating a field runs Field.__init__ only
    for name in ('CharField', 'IntegerField', 'TimestampField', 'BigBitField', 'JSONField'):
        cls = getattr(orm, name)
        assert all('__new__' not in vars(k) for k in cls.__mro__
                   if k.__module__.startswith('orm.')), name
        assert all('__init__' not in vars(k) for k in cls.__mro__
                   if k.__module__.startswith('orm.') and k is not orm.Field), name
        assert not hasattr(cls, '__get__') and not hasattr(cls, '__set__'), name

    class Row(orm.Model):
        name = orm.CharField()
    assert isinstance(Row.__dict__['name'], orm.FieldAccessor)
