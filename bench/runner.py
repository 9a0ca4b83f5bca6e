"""Command line, the timing loop, verification and the report."""
from __future__ import annotations

import argparse
import datetime
import gc
import json
import math
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
import traceback
from typing import Any, Callable, Optional

from . import impl_orm, impl_peewee, impl_raw, impl_sqlalchemy
from .common import FULL, QUICK, Engine, Impl, Params, pg_schema
from .workloads import BY_NAME, WORKLOADS

DEFAULT_PG_DSN = 'host=127.0.0.1 port=5432 user=postgres dbname=orm_bench'

# (name, factory, is it importable?)
IMPLEMENTATIONS: list[tuple[str, Callable[[Engine], Impl], Callable[[], bool]]] = [
    ('raw', impl_raw.factory, lambda: True),
    ('orm', impl_orm.factory, lambda: True),
    ('peewee', impl_peewee.factory, impl_peewee.available),
    ('sqlalchemy', impl_sqlalchemy.factory, impl_sqlalchemy.available),
]
PEERS = ('peewee', 'sqlalchemy')


# --------------------------------------------------------------------------- helpers

def parse_dsn(dsn: str) -> dict:
    """'key=value key=value' (libpq style, no quoting) -> psycopg2.connect keywords."""
    out = {}
    for part in dsn.split():
        key, _, value = part.partition('=')
        out[key] = value
    return out


def prepare_postgres(pg: dict, impl_names: list[str]) -> str:
    """Create the database and one schema per implementation if missing; the server
    version."""
    import psycopg2
    try:
        conn = psycopg2.connect(**pg)
    except psycopg2.OperationalError as exc:
        if 'does not exist' not in str(exc):
            raise
        admin = psycopg2.connect(**dict(pg, dbname='postgres'))
        admin.autocommit = True
        admin.cursor().execute('CREATE DATABASE "%s"' % pg['dbname'])
        admin.close()
        conn = psycopg2.connect(**pg)
    conn.autocommit = True
    cur = conn.cursor()
    for name in impl_names:
        cur.execute('CREATE SCHEMA IF NOT EXISTS %s' % pg_schema(name))
    cur.execute('SHOW server_version')
    version = cur.fetchone()[0]
    conn.close()
    return version


class StatementCounter:
    """Counts statements on a sqlite3 connection through its trace callback."""

    def __init__(self, conn: Optional[sqlite3.Connection]) -> None:
        self.conn = conn
        self.selects = 0
        self.total = 0

    def _trace(self, sql: str) -> None:
        self.total += 1
        if sql.lstrip().upper().startswith(('SELECT', 'WITH')):
            self.selects += 1

    def __enter__(self) -> 'StatementCounter':
        if self.conn is not None:
            self.conn.set_trace_callback(self._trace)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.conn is not None:
            self.conn.set_trace_callback(None)


def run_once(impl: Impl, workload: str, p: Params, no_gc: bool,
             counter: Optional[StatementCounter] = None) -> tuple[float, Any]:
    """Reset (untimed), run the workload (timed), return (seconds, value)."""
    impl.reset(workload, p)
    impl.before(workload, p)
    fn = getattr(impl, workload)
    gc.collect()
    if no_gc:
        gc.disable()
    try:
        if counter is not None:
            with counter:
                t0 = time.perf_counter()
                value = fn(p)
                t1 = time.perf_counter()
        else:
            t0 = time.perf_counter()
            value = fn(p)
            t1 = time.perf_counter()
    finally:
        if no_gc:
            gc.enable()
        impl.after(workload)
    return t1 - t0, value


def short_error(exc: BaseException) -> str:
    text = '%s: %s' % (type(exc).__name__, exc)
    return text if len(text) < 300 else text[:297] + '...'


# --------------------------------------------------------------------------- engine run

def run_engine(engine: Engine, impl_specs: list, workloads: list, p: Params, rounds: int,
               no_gc: bool, verbose: bool) -> dict:
    impls: list[Impl] = []
    results: dict = {'impls': [], 'workloads': {}, 'errors': []}
    for name, factory in impl_specs:
        impl = factory(engine)
        try:
            impl.open()
        except Exception as exc:
            results['errors'].append('%s: cannot open: %s' % (name, short_error(exc)))
            print('  %s: cannot open (%s)' % (name, short_error(exc)), file=sys.stderr)
            continue
        impls.append(impl)
    results['impls'] = [i.name for i in impls]
    # Freeze the long-lived heap (imported libraries, model classes, connections): the
    # collections that run inside timed regions then scan only what the workloads
    # allocate, so their cost does not depend on which other libraries are loaded,
    # and the full collection before each run stays cheap.
    gc.collect()
    gc.freeze()

    for wl in workloads:
        spec = BY_NAME[wl]
        entry: dict = {impl.name: {'times': [], 'error': None, 'check': None,
                                   'selects': None, 'statements': None}
                       for impl in impls}
        results['workloads'][wl] = entry
        # 1. verification pass (also the warm-up): untimed, once per implementation
        checks: dict = {}
        for impl in impls:
            rec = entry[impl.name]
            counter = StatementCounter(impl.sqlite_connection())
            try:
                _, value = run_once(impl, wl, p, no_gc, counter)
                checks[impl.name] = (impl.canonical(wl, value), impl.state())
                rec['check'] = repr(checks[impl.name])
            except Exception as exc:
                impl.recover()
                rec['error'] = short_error(exc)
                if verbose:
                    traceback.print_exc()
                continue
            if counter.conn is not None:
                rec['selects'], rec['statements'] = counter.selects, counter.total
                limit = spec.max_selects(p) if spec.max_selects else None
                if limit is not None and counter.selects > limit:
                    rec['error'] = ('ran %d SELECT statements, at most %d expected'
                                    % (counter.selects, limit))
        reference_name = next((n for n in ('raw',) + tuple(checks) if n in checks), None)
        if reference_name is not None:
            reference = checks[reference_name]
            for name, got in checks.items():
                if got != reference and entry[name]['error'] is None:
                    entry[name]['error'] = ('result differs from %s: got %r, expected %r'
                                            % (reference_name, got, reference))
        active = [impl for impl in impls if entry[impl.name]['error'] is None]
        for impl in impls:
            if entry[impl.name]['error']:
                print('  %-13s %-10s FAILED: %s' % (wl, impl.name, entry[impl.name]['error']),
                      file=sys.stderr)

        # 2. timed rounds, alternating implementations (the order rotates each round)
        for r in range(rounds):
            k = r % len(active) if active else 0
            for impl in active[k:] + active[:k]:
                rec = entry[impl.name]
                if rec['error']:
                    continue
                try:
                    seconds, _ = run_once(impl, wl, p, no_gc)
                except Exception as exc:
                    impl.recover()
                    rec['error'] = short_error(exc)
                    continue
                rec['times'].append(seconds)
        for rec in entry.values():
            rec['median'] = statistics.median(rec['times']) if rec['times'] and \
                not rec['error'] else None
            rec['min'] = min(rec['times']) if rec['times'] else None
        if verbose:
            print('  %-13s %s' % (wl, '  '.join(
                '%s=%s' % (n, fmt_seconds(v['median'])) for n, v in entry.items())),
                file=sys.stderr)
    for impl in impls:
        try:
            impl.close()
        except Exception:
            pass
    gc.unfreeze()
    return results


# --------------------------------------------------------------------------- reporting

def fmt_seconds(v: Optional[float]) -> str:
    return '%.5f' % v if v is not None else '-'


def fmt_ratio(v: Optional[float]) -> str:
    return '%.2f' % v if v is not None else '-'


def ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    if a is None or b is None or b == 0:
        return None
    return a / b


def add_ratios(results: dict) -> None:
    for wl, entry in results['workloads'].items():
        med = {n: rec.get('median') for n, rec in entry.items()}
        r = {'orm/raw': ratio(med.get('orm'), med.get('raw'))}
        for peer in PEERS:
            if peer in med:
                r['%s/orm' % peer] = ratio(med.get(peer), med.get('orm'))
        entry['_ratios'] = r
    # geometric means over the workloads where the ratio exists
    means: dict = {}
    keys = {k for e in results['workloads'].values() for k in e['_ratios']}
    for key in sorted(keys):
        values = [e['_ratios'][key] for e in results['workloads'].values()
                  if e['_ratios'].get(key)]
        if values:
            means[key] = math.exp(sum(math.log(v) for v in values) / len(values))
    results['geomean'] = means


def print_table(engine_label: str, results: dict, rounds: int) -> None:
    impls = results['impls']
    ratio_cols = ['orm/raw'] + ['%s/orm' % p for p in PEERS if p in impls]
    head = ['workload'] + impls + ratio_cols
    rows = []
    for wl, entry in results['workloads'].items():
        row = [wl]
        for n in impls:
            rec = entry[n]
            row.append('FAIL' if rec['error'] else fmt_seconds(rec['median']))
        row += [fmt_ratio(entry['_ratios'].get(c)) for c in ratio_cols]
        rows.append(row)
    rows.append(['geomean'] + [''] * len(impls)
                + [fmt_ratio(results['geomean'].get(c)) for c in ratio_cols])
    widths = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    print()
    print('%s: median seconds over %d rounds (ratios >1 in peer/orm: orm is faster)'
          % (engine_label, rounds))
    line = '  '.join(h.ljust(widths[0]) if i == 0 else h.rjust(widths[i])
                     for i, h in enumerate(head))
    print(line)
    print('-' * len(line))
    for row in rows:
        print('  '.join(str(c).ljust(widths[0]) if i == 0 else str(c).rjust(widths[i])
                        for i, c in enumerate(row)))
    for wl, entry in results['workloads'].items():
        for n in impls:
            if entry[n]['error']:
                print('  FAIL %s / %s: %s' % (wl, n, entry[n]['error']))
    for err in results['errors']:
        print('  ERROR %s' % err)


def versions() -> dict:
    out = {'python': platform.python_version(), 'implementation': platform.python_implementation(),
           'platform': platform.platform(), 'sqlite': sqlite3.sqlite_version,
           'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}
    import orm
    out['orm'] = orm.__version__
    for mod in ('peewee', 'sqlalchemy', 'psycopg2'):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:
            out[mod] = None
    try:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=root,
                                capture_output=True, text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'],
                               cwd=root, capture_output=True, text=True,
                               timeout=5).stdout.strip()
        out['orm_commit'] = commit + ('+dirty' if dirty else '') if commit else None
    except Exception:
        out['orm_commit'] = None
    return out


# --------------------------------------------------------------------------- main

def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog='python -m bench',
                                 description='Benchmark orm against the raw driver, peewee '
                                             'and SQLAlchemy.')
    ap.add_argument('--engine', choices=('sqlite', 'postgres', 'all'), default='sqlite')
    ap.add_argument('--rounds', type=int, default=None,
                    help='timed rounds per workload and implementation (default 7; 2 '
                         'with --quick); the median is reported')
    ap.add_argument('--quick', action='store_true',
                    help='smoke run: small sizes and 2 rounds')
    ap.add_argument('--json', metavar='PATH', help='write every figure to PATH')
    ap.add_argument('--impl', default=None,
                    help='comma-separated subset of: ' + ', '.join(
                        n for n, _, _ in IMPLEMENTATIONS))
    ap.add_argument('--workload', default=None,
                    help='comma-separated subset of: ' + ', '.join(w.name for w in WORKLOADS))
    ap.add_argument('--no-gc', action='store_true',
                    help='disable the garbage collector inside timed regions '
                         '(default: enabled, collected before each run)')
    ap.add_argument('--pg-dsn', default=os.environ.get('BENCH_PG_DSN', DEFAULT_PG_DSN),
                    help='libpq keywords for PostgreSQL (default: %(default)s; '
                         'env BENCH_PG_DSN)')
    ap.add_argument('-v', '--verbose', action='store_true',
                    help='print progress and tracebacks to stderr')
    return ap


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    rounds = args.rounds if args.rounds is not None else (2 if args.quick else 7)
    if rounds < 1:
        raise SystemExit('--rounds must be at least 1')
    p = Params(**(QUICK if args.quick else FULL))

    wanted = args.impl.split(',') if args.impl else None
    impl_specs = []
    skipped = []
    for name, factory, available in IMPLEMENTATIONS:
        if wanted is not None and name not in wanted:
            continue
        if not available():
            skipped.append(name)
            continue
        impl_specs.append((name, factory))
    if wanted:
        unknown = set(wanted) - {n for n, _, _ in IMPLEMENTATIONS}
        if unknown:
            raise SystemExit('unknown implementation(s): %s' % ', '.join(sorted(unknown)))
    workloads = args.workload.split(',') if args.workload else [w.name for w in WORKLOADS]
    unknown = [w for w in workloads if w not in BY_NAME]
    if unknown:
        raise SystemExit('unknown workload(s): %s' % ', '.join(unknown))

    meta = versions()
    meta.update(rounds=rounds, quick=args.quick, gc_disabled_in_timed_region=args.no_gc,
                params=p.summary(), skipped_impls=skipped)
    print('orm %s (%s) | python %s | sqlite %s | peewee %s | sqlalchemy %s'
          % (meta['orm'], meta['orm_commit'], meta['python'], meta['sqlite'],
             meta['peewee'], meta['sqlalchemy']))
    print('sizes: %s' % ', '.join('%s=%s' % kv for kv in p.summary().items()))
    if skipped:
        print('not importable, skipped: %s' % ', '.join(skipped))

    engines = ['sqlite', 'postgres'] if args.engine == 'all' else [args.engine]
    report: dict = {'meta': meta, 'engines': {}}
    failed = False
    for name in engines:
        if name == 'sqlite':
            engine = Engine('sqlite', '?')
            label = 'SQLite %s (in memory)' % sqlite3.sqlite_version
        else:
            pg = parse_dsn(args.pg_dsn)
            try:
                meta['postgres'] = prepare_postgres(pg, [n for n, _ in impl_specs])
            except Exception as exc:
                print('\npostgres: cannot connect (%s)' % short_error(exc))
                report['engines'][name] = {'error': short_error(exc)}
                failed = True
                continue
            engine = Engine('postgres', '%s', pg)
            label = 'PostgreSQL %s (%s)' % (meta['postgres'], pg.get('host', 'local'))
        t0 = time.perf_counter()
        results = run_engine(engine, impl_specs, workloads, p, rounds, args.no_gc,
                             args.verbose)
        results['wall_seconds'] = time.perf_counter() - t0
        add_ratios(results)
        print_table(label, results, rounds)
        print('(%s: %.1fs wall)' % (name, results['wall_seconds']))
        report['engines'][name] = results
        if results['errors'] or any(rec['error'] for e in results['workloads'].values()
                                    for k, rec in e.items() if not k.startswith('_')):
            failed = True

    if args.json:
        with open(args.json, 'w') as fh:
            json.dump(report, fh, indent=2, sort_keys=True, default=str)
        print('figures written to %s' % args.json)
    return 1 if failed else 0
