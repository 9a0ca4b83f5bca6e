"""Run the code examples of the documentation pages, so that they stay true.

    PYTHONPATH=. python3 docs/check_examples.py docs/models.rst docs/fields.rst ...

Each page is run top to bottom as one script: ``code-block:: python`` blocks are
executed, ``code-block:: pycon`` blocks are run as doctests (their printed output
must match). An rST comment just before a block changes how it is run:

``.. check: skip``
    not run (fragments that cannot run on their own).
``.. check: postgres``
    run in a separate namespace shared by the page's PostgreSQL blocks, only when
    PostgreSQL is reachable (``ORM_PG_DSN``, default
    ``dbname=orm_test host=127.0.0.1 user=postgres``, the database the pages
    use; it is created when missing); ``--require-postgres``
    turns a missing server into a failure.
``.. check: fresh``
    run in a new namespace that later blocks then share.
"""
from __future__ import annotations

import doctest
import os
import re
import sys
import textwrap

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


def postgres_available() -> bool:
    """True when the pages' database (``orm_test``) is reachable; created if missing."""
    try:
        import psycopg2
    except ImportError:
        return False
    dsn = os.environ.get('ORM_PG_DSN', PAGES_DSN)
    try:
        psycopg2.connect(dsn).close()
        return True
    except psycopg2.OperationalError as exc:
        if 'does not exist' not in str(exc):
            return False
    try:
        from psycopg2.extensions import parse_dsn
        params = parse_dsn(dsn)
        name = params.pop('dbname')
        admin = psycopg2.connect(dbname='postgres', **params)
        admin.autocommit = True
        try:
            with admin.cursor() as cur:
                cur.execute('CREATE DATABASE "%s"' % name.replace('"', '""'))
        finally:
            admin.close()
        psycopg2.connect(dsn).close()
        return True
    except psycopg2.Error:
        return False


def run_page(path: str, have_pg: bool) -> int:
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
    have_pg = postgres_available()
    if require_pg and not have_pg:
        print('PostgreSQL is not reachable')
        return 1
    failures = sum(run_page(p, have_pg) for p in paths)
    print('%d failure(s)%s' % (failures, '' if have_pg else ' (PostgreSQL blocks skipped)'))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
