"""pwiz, peewee's model generator, on orm.

An application or script written for peewee that uses pwiz from Python finds here the
functions it calls: ``make_introspector``, ``print_models`` and ``print_header``. What
they print is what peewee's pwiz prints, ``from peewee import *`` included, so the
printed module runs on orm through :func:`orm.install_as_peewee` (or on peewee).

After ``orm.install_as_peewee()``, ``import pwiz`` gives this module. It is not
installed as a top-level ``pwiz``, which would clash with peewee's own.

``python -m playhouse.pwiz`` is the command line, with the options of ``orm-pwiz``;
``orm-pwiz`` prints the same models importing ``orm`` instead.
"""
from __future__ import annotations

import datetime
import sys
from typing import Any, Iterable, Optional

from orm import __version__ as peewee_version

from playhouse._cli import command_name
from playhouse.reflection import (Introspector, connect_database, generate_header,
                                  generate_source, run_command)

__all__ = ['Introspector', 'main', 'make_introspector', 'peewee_version', 'print_header',
           'print_models']

#: the module the printed source imports
MODULE = 'peewee'


def make_introspector(database_type: Optional[str], database_name: str,
                      **kwargs: Any) -> Introspector:
    """An :class:`~playhouse.reflection.Introspector` for a database given as on the
    command line: ``make_introspector('sqlite', 'app.db')``,
    ``make_introspector('postgresql', 'my_app', host='localhost', user='postgres')``
    (``schema=`` too), or a URL as ``database_name``."""
    schema = kwargs.pop('schema', None)
    database = connect_database(database_name, database_type, **kwargs)
    return Introspector.from_database(database, schema=schema)


def print_models(introspector: Introspector, tables: Optional[Iterable[str]] = None,
                 preserve_order: bool = False, include_views: bool = False,
                 ignore_unknown: bool = False, snake_case: bool = True) -> None:
    """Print a module of model classes for the introspected database, importing
    ``peewee``."""
    sys.stdout.write(generate_source(introspector, tables, preserve_order, include_views,
                                     ignore_unknown, snake_case, module=MODULE))


def print_header(cmdline: str, introspector: Introspector) -> None:
    """Print the comment pwiz's ``-i`` puts first: ``python -m pwiz <cmdline>``, the
    date, the database and the version."""
    sys.stdout.write(generate_header(introspector, 'python -m pwiz %s' % cmdline, MODULE,
                                     when=datetime.datetime.now()))


def main(argv: Optional[list] = None) -> int:
    """``python -m playhouse.pwiz``: ``orm-pwiz``'s options, models importing peewee."""
    prog = command_name('playhouse.pwiz', 'python -m playhouse.pwiz')
    return run_command(argv, prog, MODULE)


if __name__ == '__main__':
    sys.exit(main())
