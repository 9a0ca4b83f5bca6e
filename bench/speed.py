"""The speed goals of issue 11: ``python -m bench speed``.

Five workloads, SQLite in memory, all in this one process.  Four of them are timed
against the bare ``sqlite3`` cursor running the same SQL and reading its rows with
``fetchall()``; the fifth (building queries and their SQL without running them) is
timed against peewee running the very same code.  Each figure is the best of
``--repeat`` runs (15 by default), and the whole set is measured ``--rounds`` times
(3 by default), so the spread between rounds shows how steady the figures are.

Before timing, every workload runs once per side (the warm-up) and the two results
are compared, so a fast but wrong implementation cannot pass.
"""
from __future__ import annotations

import argparse
import gc
import sqlite3
import sys
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Optional

ROWS = 2000          # rows of the two-column table and of the join
GETS = 300           # get_by_id calls
CREATES = 500        # create() calls, one transaction
QUERIES = 300        # queries built and compiled

DDL = [
    'CREATE TABLE person (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(60) NOT NULL)',
    'CREATE TABLE pet (id INTEGER NOT NULL PRIMARY KEY, '
    'owner_id INTEGER NOT NULL REFERENCES person (id), name VARCHAR(60) NOT NULL)',
    'CREATE INDEX pet_owner_id ON pet (owner_id)',
    'CREATE TABLE note (id INTEGER NOT NULL PRIMARY KEY, body VARCHAR(60) NOT NULL, '
    'rank INTEGER NOT NULL)',
]

PERSON_ROWS = [(i, 'person %04d' % i) for i in range(1, ROWS + 1)]
PET_ROWS = [(i, (i * 7) % ROWS + 1, 'pet %04d' % i) for i in range(1, ROWS + 1)]
NOTE_ROWS = [('note %03d' % i, i % 10) for i in range(CREATES)]
GET_IDS = [(k * 13) % ROWS + 1 for k in range(GETS)]

# the SQL both ORMs send (checked once against what they really send, see verify())
SQL_PEOPLE = 'SELECT "t1"."id", "t1"."name" FROM "person" AS "t1"'
SQL_JOIN = ('SELECT "t1"."id", "t1"."owner_id", "t1"."name", "t2"."id", '
            '"t2"."name" FROM "pet" AS "t1" INNER JOIN "person" AS "t2" '
            'ON ("t1"."owner_id" = "t2"."id")')
SQL_GET = ('SELECT "t1"."id", "t1"."name" FROM "person" AS "t1" WHERE ("t1"."id" = ?) '
           'LIMIT ?')
SQL_INSERT = 'INSERT INTO "note" ("body", "rank") VALUES (?, ?)'


def models(pw: ModuleType, db: Any) -> tuple:
    """Person, Pet and Note declared with ``pw`` (orm or peewee) on ``db``."""

    class Base(pw.Model):
        class Meta:
            database = db

    class Person(Base):
        name = pw.CharField(max_length=60)

        class Meta:
            table_name = 'person'

    class Pet(Base):
        owner = pw.ForeignKeyField(Person, backref='pets', column_name='owner_id')
        name = pw.CharField(max_length=60)

        class Meta:
            table_name = 'pet'

    class Note(Base):
        body = pw.CharField(max_length=60)
        rank = pw.IntegerField()

        class Meta:
            table_name = 'note'

    return Person, Pet, Note


def seed(conn: sqlite3.Connection) -> None:
    for statement in DDL:
        conn.execute(statement)
    conn.executemany('INSERT INTO person (id, name) VALUES (?, ?)', PERSON_ROWS)
    conn.executemany('INSERT INTO pet (id, owner_id, name) VALUES (?, ?, ?)', PET_ROWS)


class Raw:
    """The floor: the cursor, the SQL, ``fetchall()``; rows stay tuples."""

    def __init__(self) -> None:
        self.conn = sqlite3.connect(':memory:', isolation_level=None)
        seed(self.conn)

    def rows(self) -> Any:
        return self.conn.cursor().execute(SQL_PEOPLE).fetchall()

    def join(self) -> Any:
        return self.conn.cursor().execute(SQL_JOIN).fetchall()

    def get_by_id(self) -> Any:
        cursor = self.conn.cursor()
        return [cursor.execute(SQL_GET, (pk, 1)).fetchall()[0] for pk in GET_IDS]

    def create(self) -> Any:
        cursor = self.conn.cursor()
        ids = []
        cursor.execute('BEGIN')
        for values in NOTE_ROWS:
            cursor.execute(SQL_INSERT, values)
            ids.append(cursor.lastrowid)
        cursor.execute('COMMIT')
        return ids

    def clear_notes(self) -> None:
        self.conn.execute('DELETE FROM note')


class Library:
    """orm or peewee, through the same peewee API."""

    def __init__(self, pw: ModuleType) -> None:
        self.pw = pw
        self.db = pw.SqliteDatabase(':memory:')
        self.db.connect()
        seed(self.db.connection())
        self.Person, self.Pet, self.Note = models(pw, self.db)

    def rows(self) -> Any:
        return list(self.Person.select())

    def join(self) -> Any:
        Pet, Person = self.Pet, self.Person
        return list(Pet.select(Pet, Person).join(Person))

    def get_by_id(self) -> Any:
        get = self.Person.get_by_id
        return [get(pk) for pk in GET_IDS]

    def create(self) -> Any:
        create = self.Note.create
        with self.db.atomic():
            return [create(body=body, rank=rank).id for body, rank in NOTE_ROWS]

    def clear_notes(self) -> None:
        self.db.execute_sql('DELETE FROM note')

    def compile(self) -> Any:
        Pet, Person = self.Pet, self.Person
        out = None
        for i in range(QUERIES):
            query = (Pet.select(Pet, Person)
                     .join(Person)
                     .where((Pet.id >= i % 15) & (Person.name != 'nobody %d' % i))
                     .order_by(Pet.name, Pet.id.desc())
                     .limit(20))
            out = query.sql()
        return out


# -- workloads ------------------------------------------------------------------------------
@dataclass
class Workload:
    key: str
    title: str
    goal: float
    against: str                  # 'raw': orm/raw <= goal; 'peewee': peewee/orm >= goal
    run: Callable[[Any], Any]     # the timed region, given Raw or Library
    reset: Optional[Callable[[Any], None]] = None   # untimed, before every run


WORKLOADS = [
    Workload('rows', '%s two-column rows as models' % format(ROWS, ','), 3.0, 'raw',
             lambda side: side.rows()),
    Workload('join', 'a %s-row join rebuilt into objects' % format(ROWS, ','), 3.5, 'raw',
             lambda side: side.join()),
    Workload('get_by_id', '%d get_by_id calls' % GETS, 3.0, 'raw',
             lambda side: side.get_by_id()),
    Workload('create', '%d create() calls in one transaction' % CREATES, 4.0, 'raw',
             lambda side: side.create(), lambda side: side.clear_notes()),
    Workload('compile', 'building %d joined, filtered, ordered, limited queries and '
             'their SQL, vs peewee' % QUERIES, 2.5, 'peewee', lambda side: side.compile()),
]


def verify(raw: Raw, lib: Library, peer: Optional[Library]) -> list:
    """Warm every side up and compare what they return; a list of problems."""
    problems = []
    orm_sql = {
        'rows': lib.Person.select().sql()[0],
        'join': lib.Pet.select(lib.Pet, lib.Person).join(lib.Person).sql()[0],
    }
    for key, expected in (('rows', SQL_PEOPLE), ('join', SQL_JOIN)):
        if orm_sql[key] != expected:
            problems.append('%s: orm sends %r, the raw side runs %r'
                            % (key, orm_sql[key], expected))
    people = lib.rows()
    if [(p.id, p.name) for p in people] != raw.rows():
        problems.append('rows: the models differ from the raw rows')
    pets = lib.join()
    got = [(p.id, p.owner_id, p.name, p.owner.id, p.owner.name) for p in pets]
    if got != raw.join():
        problems.append('join: the objects differ from the raw rows')
    if [(p.id, p.name) for p in lib.get_by_id()] != raw.get_by_id():
        problems.append('get_by_id: the models differ from the raw rows')
    for side in (raw, lib):
        side.clear_notes()
    if lib.create() != raw.create():
        problems.append('create: the new ids differ')
    if peer is not None:
        if lib.compile() != peer.compile():
            problems.append('compile: orm and peewee build different SQL: %r / %r'
                            % (lib.compile(), peer.compile()))
    return problems


#: the clock of the timed runs: wall time by default; ``--clock cpu`` counts only this
#: process's CPU time, steadier on a machine that other work is sharing
CLOCK: Callable[[], float] = time.perf_counter


def timed(fn: Callable[[], Any], no_gc: bool) -> float:
    gc.collect()
    if no_gc:
        gc.disable()
    clock = CLOCK
    try:
        start = clock()
        fn()
        return clock() - start
    finally:
        if no_gc:
            gc.enable()


def measure(workload: Workload, sides: dict, repeat: int, no_gc: bool) -> tuple:
    """(orm seconds, reference seconds, ratio) for one round of one workload: the best
    of ``repeat`` runs on each side, the two sides taking turns run by run so that
    drift in the machine reaches both alike."""
    pair = (sides['orm'], sides[workload.against])
    best = [float('inf'), float('inf')]
    for attempt in range(repeat):
        for k in ((0, 1) if attempt % 2 == 0 else (1, 0)):
            side = pair[k]
            if workload.reset is not None:
                workload.reset(side)
            best[k] = min(best[k], timed(lambda: workload.run(side), no_gc))
    orm_time, ref_time = best
    if workload.against == 'raw':
        return orm_time, ref_time, orm_time / ref_time
    return orm_time, ref_time, ref_time / orm_time


def passes(workload: Workload, ratio: float) -> bool:
    return ratio <= workload.goal if workload.against == 'raw' else ratio >= workload.goal


def profile(key: str, repeat: int, top: int) -> int:
    """cProfile of orm running one workload ``repeat`` times (after a warm-up), sorted
    by the time spent in each function itself."""
    import cProfile
    import pstats

    import orm
    workload = next((w for w in WORKLOADS if w.key == key), None)
    if workload is None:
        raise SystemExit('unknown workload %r: one of %s'
                         % (key, ', '.join(w.key for w in WORKLOADS)))
    lib = Library(orm)
    if workload.reset is not None:
        workload.reset(lib)
    workload.run(lib)
    profiler = cProfile.Profile()
    for _ in range(repeat):
        if workload.reset is not None:
            workload.reset(lib)
        profiler.enable()
        workload.run(lib)
        profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats('tottime').print_stats(top)
    return 0


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(prog='python -m bench speed', description=__doc__.split(
        '\n\n')[0])
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--repeat', type=int, default=15,
                    help='runs per figure, the best is kept (default 15)')
    ap.add_argument('--only', default=None,
                    help='comma-separated subset of: ' + ', '.join(w.key for w in WORKLOADS))
    ap.add_argument('--no-gc', action='store_true',
                    help='switch the garbage collector off inside timed runs')
    ap.add_argument('--clock', choices=('wall', 'cpu'), default='wall',
                    help='wall: time.perf_counter (default); cpu: time.process_time, '
                         'which other processes on the machine disturb less')
    ap.add_argument('-v', '--verbose', action='store_true', help='print the seconds too')
    ap.add_argument('--profile', metavar='WORKLOAD', default=None,
                    help='instead of the table, profile orm on one workload (cProfile) '
                         'and print where the time goes')
    ap.add_argument('--top', type=int, default=25, help='lines of the profile (default 25)')
    args = ap.parse_args(argv)
    if args.profile:
        return profile(args.profile, args.repeat, args.top)

    global CLOCK
    CLOCK = time.process_time if args.clock == 'cpu' else time.perf_counter
    import orm
    try:
        import peewee
    except ImportError:
        peewee = None
    chosen = WORKLOADS if not args.only else [w for w in WORKLOADS
                                               if w.key in args.only.split(',')]
    raw = Raw()
    lib = Library(orm)
    peer = Library(peewee) if peewee is not None else None
    problems = verify(raw, lib, peer)
    for problem in problems:
        print('CHECK FAILED ' + problem)
    sides: dict = {'raw': raw, 'orm': lib, 'peewee': peer}
    gc.collect()
    gc.freeze()       # the long-lived heap stays out of the timed collections

    print('SQLite %s in memory, one process; best of %d runs, %d rounds, %s time%s'
          % (sqlite3.sqlite_version, args.repeat, args.rounds, args.clock,
             ', gc off while timing' if args.no_gc else ''))
    print('orm/raw: times the sqlite3 cursor + fetchall() (lower is better); '
          'vs peewee: how many times faster orm is (higher is better)')
    width = max(len(w.title) for w in chosen)
    head = '%-*s  %-8s' % (width, 'workload', 'goal') + ''.join(
        '  round %d' % (r + 1) for r in range(args.rounds)) + '  met'
    print(head)
    print('-' * len(head))
    failed = bool(problems)
    for workload in chosen:
        if workload.against == 'peewee' and peer is None:
            print('%-*s  (peewee is not installed)' % (width, workload.title))
            continue
        cells = []
        seconds = []
        met = True
        for _ in range(args.rounds):
            orm_time, ref_time, ratio = measure(workload, sides, args.repeat, args.no_gc)
            cells.append('%7.2fx' % ratio)
            seconds.append('%.2f/%.2f ms' % (orm_time * 1e3, ref_time * 1e3))
            met = met and passes(workload, ratio)
        failed = failed or not met
        goal = ('<= %.1fx' if workload.against == 'raw' else '>= %.1fx') % workload.goal
        print('%-*s  %-8s' % (width, workload.title, goal) + ''.join(
            '  ' + c for c in cells) + '  ' + ('yes' if met else 'NO'))
        if args.verbose:
            print('%-*s  orm/%s: %s' % (width, '', workload.against, ', '.join(seconds)))
        sys.stdout.flush()
    gc.unfreeze()
    return 1 if failed else 0
