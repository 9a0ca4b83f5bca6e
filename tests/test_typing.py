"""Static typing: mypy accepts ordinary peewee-style model code written against orm.

The sample module is checked as a user's code would be: orm is imported (its own
annotations are read) but errors inside the package are not reported, as for an
installed package that ships ``py.typed``.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import orm

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(orm.__file__)))

SAMPLE = '''
import datetime
from typing import Optional

from orm import (JOIN, CharField, DateTimeField, DoesNotExist, ForeignKeyField,
                 IntegerField, ManyToManyField, Model, SqliteDatabase, fn, prefetch)

db = SqliteDatabase(':memory:')


class Stored(Model):
    """The sample's base: every model lives in ``db``, tables named in snake_case."""
    class Meta:
        database = db
        legacy_table_names = False


class User(Stored):
    username = CharField(unique=True)
    age = IntegerField(default=0)


class Tweet(Stored):
    user = ForeignKeyField(User, backref='tweets')
    content = CharField()
    created = DateTimeField(default=datetime.datetime.now)


class Tag(Stored):
    name: CharField = CharField()          # annotated with the field's own class
    tweets = ManyToManyField(Tweet, backref='tags')


def main() -> None:
    db.create_tables([User, Tweet, Tag, Tag.tweets.get_through_model()])
    with db.atomic():
        u = User(username='a', age=3)      # keyword arguments of the fields
        u.save()
        u2: User = User.create(username='b')
    t = Tweet.create(user=u2, content='hi')
    got: User = User.get(User.username == 'a')
    maybe: Optional[User] = User.get_or_none(User.username == 'zz')
    by_id: User = User.get_by_id(u.id)
    pair: tuple[User, bool] = User.get_or_create(username='c')
    name: str = u.username
    u.username = 'new'
    u.age += 1
    tag = Tag.create(name='x')
    tag.tweets.add(t)
    print([tw.content for tw in u2.tweets], t.user.username, t.user_id, list(t.tags))
    query = (Tweet.select(Tweet, User, fn.COUNT(Tweet.id).alias('n'))
             .join(User, JOIN.LEFT_OUTER)
             .where((User.age > 1) & User.username.contains('a'))
             .group_by(Tweet.id, User.id)
             .order_by(Tweet.created.desc()))
    for row in query:
        print(row.user.username, row.n)
    print(query.get_or_none(), User.select().where(User.id == 1).exists())
    for d in User.select().dicts():
        print(d['username'])
    print(prefetch(User.select(), Tweet.select()))
    try:
        User.get(User.id == 99)
    except User.DoesNotExist:
        pass
    except DoesNotExist:
        pass
    User.update(age=User.age + 1).where(User.id == 1).execute()
    User.delete().where(User.age > 100).execute()
    u.delete_instance()
    print(got, maybe, by_id, pair, name, User._meta.table_name)
    reveal_type(User.get_by_id(1))
    reveal_type(User.create(username='z'))
    reveal_type(User.get_or_none(User.id == 1))
    reveal_type(User.username)
'''

# mistakes mypy must still report (so the check above is not vacuous)
BAD = '''
from orm import CharField, Model


class User(Model):
    username = CharField()


def main() -> None:
    count: int = User.get_by_id(1)
    User.get_by_id()
'''

MYPY_INI = '''
[mypy]
strict = True

[mypy-orm.*]
follow_imports = silent
'''


def _run_mypy(tmp_path, *files: str) -> subprocess.CompletedProcess:
    pytest.importorskip('mypy', reason='mypy is not installed (pip install mypy, or the '
                                       '"test" extra: pip install -e .[test])')
    (tmp_path / 'mypy.ini').write_text(MYPY_INI)
    env = dict(os.environ, MYPYPATH=REPO_ROOT)
    return subprocess.run(
        [sys.executable, '-m', 'mypy', '--config-file', str(tmp_path / 'mypy.ini'),
         '--cache-dir', str(tmp_path / '.mypy_cache'), '--no-error-summary',
         '--show-error-codes', *files],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300)


def test_peewee_style_models_type_check(tmp_path):
    (tmp_path / 'sample.py').write_text(textwrap.dedent(SAMPLE))
    result = _run_mypy(tmp_path, 'sample.py')
    lines = result.stdout.splitlines()
    errors = [line for line in lines if ': error:' in line]
    assert not errors, '\n'.join(lines) + result.stderr
    revealed = [line.split('Revealed type is ', 1)[1] for line in lines
                if 'Revealed type is' in line]
    assert revealed == ['"sample.User"', '"sample.User"', '"sample.User | None"',
                        '"orm.fields.CharField[Literal[False]]"'], lines


def test_mistakes_are_still_reported(tmp_path):
    (tmp_path / 'bad.py').write_text(textwrap.dedent(BAD))
    result = _run_mypy(tmp_path, 'bad.py')
    errors = [line for line in result.stdout.splitlines() if ': error:' in line]
    assert any('bad.py:10:' in e and '[assignment]' in e for e in errors), result.stdout
    assert any('bad.py:11:' in e and '[call-arg]' in e for e in errors), result.stdout
    assert len(errors) == 2, result.stdout


def test_model_base_is_not_a_dataclass_transform():
    # dataclass_transform would make checkers build the constructor from annotated
    # attributes only, rejecting User(username='a') for a plain peewee-style model
    assert not hasattr(orm.ModelBase, '__dataclass_transform__')
    package_dir = os.path.dirname(os.path.abspath(orm.__file__))
    assert os.path.isfile(os.path.join(package_dir, 'py.typed'))


EXAMPLE_APP = os.path.join(REPO_ROOT, 'examples', 'typed_app.py')


def test_typed_example_app_checks_strictly(tmp_path):
    # every assert_type in the example states what mypy infers from the declarations
    result = _run_mypy(tmp_path, EXAMPLE_APP)
    errors = [line for line in result.stdout.splitlines() if ': error:' in line]
    assert not errors, result.stdout + result.stderr


def test_typed_example_app_runs():
    result = subprocess.run([sys.executable, EXAMPLE_APP], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'on loan to A-1: Solaris' in result.stdout
