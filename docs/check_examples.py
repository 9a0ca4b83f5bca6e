"""Run the code examples of the documentation pages, so that they stay true.

    PYTHONPATH=. python3 docs/check_examples.py docs/models.rst docs/fields.rst ...

Each page is run top to bottom as one script: ``code-block:: python`` blocks are
executed, ``code-block:: pycon`` blocks are run as doctests (their printed output
must match). An rST comment just before a block changes how it is run:

``.. check: skip``
    not run (fragments that cannot run on their own).
``.. check: postgres``
    run in a separate namespace shared by the page's PostgreSQL blocks, only when
    PostgreSQL is reachable; ``--require-postgres`` turns a missing server into a
    failure.
``.. check: fresh``
    run in a new namespace that later blocks then share.

The pages connect to a database named ``orm_test`` on ``127.0.0.1`` as ``postgres``,
which a reader can create with ``createdb orm_test``.  The checker runs them on the
database that ``ORM_PG_DSN`` names (default: ``orm_test``): every ``orm_test`` in the
examples stands for that name, so the test suite points the pages at a database it
made for the session (see ``docs_pg_dsn`` in ``tests/conftest.py``).  A database the
checker has to create, it drops again when it is done.
"""
from __future__ import annotations

import doctest
import os
import re
import sys
import textwrap
from typing import Optional

DIRECTIVE = re.compile(r'^\.\. code-block:: (python|pycon)\s*$')
MARKER = re.compile(r'^\.\. check: (\w+)\s*$')


def blocks(path: str):
    """Yield (line number, language, marker, code) for each example of an rST file."""
    lines = open(path, encoding='utf-8').read().splitlines()
    marker = None
    i = 0
    while i < len(lines):
        line = lines[i]
        m = MARKER.match(line)
        if m:
            marker = m.group(1)
            i += 1
            continue
        m = DIRECTIVE.match(line)
        if not m:
            if line.strip():
                marker = None
            i += 1
            continue
        start = i + 1
        i += 1
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith(' ')):
            i += 1
        body = lines[start:i]
        while body and body[0].strip().startswith(':'):   # directive options
            body.pop(0)
        yield start + 1, m.group(1), marker, textwrap.dedent('\n'.join(body)).strip('\n')
        marker = None


PAGES_DSN = 'dbname=orm_test host=127.0.0.1 user=postgres'
#: The database name the pages use; it stands for the database of ``ORM_PG_DSN``.
PAGES_DATABASE = re.compile(r'\borm_test\b')


def target_dsn() -> str:
    return os.environ.get('ORM_PG_DSN') or PAGES_DSN


def target_database() -> str:
    """The name of the database the examples run on."""
    match = re.search(r'(?:^|\s)dbname=(\S+)', target_dsn())
    return match.group(1) if match else 'orm_test'


def retarget(code: str, database: str) -> str:
    """``code`` with the pages' database name replaced by ``database``."""
    return PAGES_DATABASE.sub(database, code) if database != 'orm_test' else code


def postgres_available() -> tuple[bool, Optional[str]]:
    """``(reachable, created)``: whether the examples' database can be used, and its
    name when it was missing and had to be created (the caller drops it)."""
    try:
        import psycopg2
    except ImportError:
        return False, None
    dsn = target_dsn()
    try:
        psycopg2.connect(dsn).close()
        return True, None
    except psycopg2.OperationalError as exc:
        if 'does not exist' not in str(exc):
            return False, None
    try:
        _admin(dsn, 'CREATE DATABASE "%s"')
        psycopg2.connect(dsn).close()
    except psycopg2.Error:
        return False, None
    return True, target_database()


def _admin(dsn: str, statement: str) -> None:
    """Run ``statement`` (``%s`` is the quoted database name of ``dsn``) on the server's
    ``postgres`` database."""
    import psycopg2
    from psycopg2.extensions import parse_dsn
    params = parse_dsn(dsn)
    name = params.pop('dbname')
    admin = psycopg2.connect(dbname='postgres', **params)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(statement % name.replace('"', '""'))
    finally:
        admin.close()


def run_page(path: str, have_pg: bool) -> int:
    database = target_database()
    examples = 0
    namespaces = {'main': {'__name__': '__docs__'}, 'postgres': {'__name__': '__docs__'}}
    failures = 0
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS |
                                   doctest.NORMALIZE_WHITESPACE)
    parser = doctest.DocTestParser()
    for lineno, lang, marker, code in blocks(path):
        if marker == 'skip':
            continue
        if marker == 'postgres':
            if not have_pg:
                continue
            ns = namespaces['postgres']
        else:
            if marker == 'fresh':
                namespaces['main'] = {'__name__': '__docs__'}
            ns = namespaces['main']
        where = '%s:%d' % (path, lineno)
        code = retarget(code, database)
        if lang == 'python':
            examples += 1
            try:
                exec(compile(code, where, 'exec'), ns)
            except Exception as exc:
                failures += 1
                print('FAIL %s: %s: %s' % (where, type(exc).__name__, exc))
        else:
            test = parser.get_doctest(code, ns, where, path, lineno)
            examples += len(test.examples)
            result = runner.run(test, clear_globs=False)
            ns.update(test.globs)   # DocTest works on a copy of the namespace
            failures += result.failed
    print('%s: %d examples, %d failed' % (path, examples, failures))
    return failures


def main(argv: list[str]) -> int:
    require_pg = '--require-postgres' in argv
    paths = [a for a in argv if not a.startswith('--')]
    have_pg, created = postgres_available()
    if require_pg and not have_pg:
        print('PostgreSQL is not reachable')
        return 1
    try:
        failures = sum(run_page(p, have_pg) for p in paths)
    finally:
        if created:
            _admin(target_dsn(), 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)')
    print('%d failure(s)%s' % (failures, '' if have_pg else ' (PostgreSQL blocks skipped)'))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
