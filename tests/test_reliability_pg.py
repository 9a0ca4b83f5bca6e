"""Faults on PostgreSQL, on psycopg2 and psycopg 3: links cut by a real TCP proxy and
backends killed with pg_terminate_backend (ReconnectMixin never sends a statement
twice), and values the two drivers used to treat differently (infinite decimals, NUL
characters in text)."""
from __future__ import annotations

import decimal
import math
import select
import time

import pytest

import orm
from conftest import engine_driver
from orm import (CharField, DataError, DecimalField, IntegerField, Model, OperationalError,
                 OutcomeUnknownError, PostgresqlDatabase, TextField)
from playhouse import shortcuts
from playhouse.cockroachdb import AmbiguousCommitError
from playhouse.shortcuts import ReconnectMixin
from tcp_proxy import TcpProxy


class ReconnectingPg(ReconnectMixin, PostgresqlDatabase):
    pass


def reconnecting(pg_db, port=None):
    """A ReconnectingPg on ``pg_db``'s database and driver, through ``port`` if given."""
    params = dict(pg_db.connect_params,
                  prefer_psycopg3=engine_driver(pg_db) == 'psycopg3')
    if port is not None:
        params.update(host='127.0.0.1', port=port)
    return ReconnectingPg(pg_db.database, **params)


@pytest.fixture
def proxy(pg_db):
    params = pg_db.connect_params
    with TcpProxy(params.get('host') or '127.0.0.1', int(params.get('port') or 5432)) as p:
        yield p


def backend_pid(db):
    return db.execute_sql('SELECT pg_backend_pid()').fetchone()[0]


def terminate_and_wait(pg_db, pid):
    """Kill backend ``pid`` and wait until it has left pg_stat_activity."""
    assert pg_db.execute_sql('SELECT pg_terminate_backend(%s)', (pid,)).fetchone()[0]
    for _ in range(1000):
        if not pg_db.execute_sql('SELECT 1 FROM pg_stat_activity WHERE pid = %s',
                                 (pid,)).fetchone():
            return
        time.sleep(0.005)
    raise AssertionError('backend %s did not exit' % pid)


def values(pg_db, table='outcome'):
    return sorted(row[0] for row in pg_db.execute_sql('SELECT x FROM %s' % table))


# ---------------------------------------------------------------------------------------
# ReconnectMixin: reconnect before sending, never resend
# ---------------------------------------------------------------------------------------

def test_outcome_unknown_is_exported_and_an_operational_error():
    assert shortcuts.OutcomeUnknownError is orm.OutcomeUnknownError is OutcomeUnknownError
    assert issubclass(OutcomeUnknownError, OperationalError)


def test_reply_lost_after_an_autocommitted_insert_is_not_resent(pg_db, proxy):
    """The proxy passes the INSERT to the server and cuts the link before the reply: the
    row exists once, the caller is told the outcome is unknown, the next statement
    reconnects and runs once."""
    pg_db.execute_sql('CREATE TABLE outcome (x INT)')
    rdb = reconnecting(pg_db, proxy.port)
    try:
        first_pid = backend_pid(rdb)
        proxy.drop_next_reply()
        with pytest.raises(OutcomeUnknownError, match='may or may not have run') as info:
            rdb.execute_sql('INSERT INTO outcome VALUES (1)')
        assert proxy.wait_cut()
        assert isinstance(info.value.orig, Exception)
        assert 'server closed the connection' in str(info.value)
        assert values(pg_db) == [1]                  # run once, by the server
        rdb.execute_sql('INSERT INTO outcome VALUES (2)')
        assert values(pg_db) == [1, 2]
        assert backend_pid(rdb) != first_pid
    finally:
        rdb.close()


def test_reply_lost_for_a_model_save(pg_db, proxy):
    class Ticket(Model):
        code = CharField()

    pg_db.bind([Ticket])
    pg_db.create_tables([Ticket])
    rdb = reconnecting(pg_db, proxy.port)
    try:
        with Ticket.bind_ctx(rdb):
            Ticket.create(code='a')
            proxy.drop_next_reply()
            with pytest.raises(OutcomeUnknownError):
                Ticket.create(code='b')
            Ticket.create(code='c')
        assert sorted(t.code for t in Ticket.select()) == ['a', 'b', 'c']
    finally:
        rdb.close()


def test_reply_lost_for_commit_says_the_commit_outcome_is_unknown(pg_db, proxy):
    pg_db.execute_sql('CREATE TABLE outcome (x INT)')
    rdb = reconnecting(pg_db, proxy.port)
    try:
        with pytest.raises(OutcomeUnknownError, match='may or may not have committed'):
            with rdb.atomic():
                rdb.execute_sql('INSERT INTO outcome VALUES (1)')
                rdb.execute_sql('INSERT INTO outcome VALUES (2)')
                proxy.drop_next_reply()          # the next request is the COMMIT
        assert proxy.wait_cut()
        assert values(pg_db) == [1, 2]           # here the server did commit
        assert rdb.execute_sql('SELECT count(*) FROM outcome').fetchone() == (2,)
    finally:
        rdb.close()


def test_link_lost_inside_a_transaction_raises_and_keeps_nothing(pg_db, proxy):
    pg_db.execute_sql('CREATE TABLE outcome (x INT)')
    rdb = reconnecting(pg_db, proxy.port)
    try:
        with pytest.raises(OperationalError) as info:
            with rdb.atomic():
                rdb.execute_sql('INSERT INTO outcome VALUES (1)')
                proxy.drop_next_reply()
                rdb.execute_sql('INSERT INTO outcome VALUES (2)')
        assert not isinstance(info.value, OutcomeUnknownError)
        assert values(pg_db) == []               # the transaction died with the link
        rdb.execute_sql('INSERT INTO outcome VALUES (3)')
        assert values(pg_db) == [3]
    finally:
        rdb.close()


def test_backend_killed_while_idle_reconnects_and_runs_once(pg_db):
    pg_db.execute_sql('CREATE TABLE outcome (x INT)')
    rdb = reconnecting(pg_db)
    try:
        for n in range(10):
            pid = backend_pid(rdb)
            terminate_and_wait(pg_db, pid)
            rdb.execute_sql('INSERT INTO outcome VALUES (%s)', (n,))
            assert backend_pid(rdb) != pid
        assert values(pg_db) == list(range(10))
    finally:
        rdb.close()


def test_link_cut_while_idle_reconnects_and_runs_once(pg_db, proxy):
    pg_db.execute_sql('CREATE TABLE outcome (x INT)')
    rdb = reconnecting(pg_db, proxy.port)
    try:
        for n in range(5):
            conn = rdb.connection()
            rdb.execute_sql('SELECT 1')
            proxy.cut_all()
            # wait until the hang-up has reached the client's socket
            assert select.select([conn.fileno()], [], [], 10)[0]
            rdb.execute_sql('INSERT INTO outcome VALUES (%s)', (n,))
            assert rdb.connection() is not conn
        assert values(pg_db) == list(range(5))
    finally:
        rdb.close()


def test_connection_closed_on_our_side_reconnects(pg_db):
    rdb = reconnecting(pg_db)
    try:
        pid = backend_pid(rdb)
        rdb.connection().close()
        assert backend_pid(rdb) != pid
    finally:
        rdb.close()


def test_without_the_mixin_the_error_is_plain(pg_db, proxy):
    params = dict(pg_db.connect_params, host='127.0.0.1', port=proxy.port,
                  prefer_psycopg3=engine_driver(pg_db) == 'psycopg3')
    plain = PostgresqlDatabase(pg_db.database, **params)
    try:
        plain.execute_sql('SELECT 1')
        proxy.drop_next_reply()
        with pytest.raises(OperationalError) as info:
            plain.execute_sql('SELECT 2')
        assert not isinstance(info.value, OutcomeUnknownError)
    finally:
        plain.close()


def test_commit_reply_lost_without_the_mixin_is_outcome_unknown_too(pg_db, proxy):
    """Any PostgreSQL database: a COMMIT whose answer never came raises
    OutcomeUnknownError (an OperationalError), pooled or not, mixin or not."""
    pg_db.execute_sql('CREATE TABLE outcome (x INT)')
    params = dict(pg_db.connect_params, host='127.0.0.1', port=proxy.port,
                  prefer_psycopg3=engine_driver(pg_db) == 'psycopg3')
    plain = PostgresqlDatabase(pg_db.database, **params)
    try:
        with pytest.raises(OutcomeUnknownError, match='may or may not have been committed'):
            with plain.atomic():
                plain.execute_sql('INSERT INTO outcome VALUES (1)')
                proxy.drop_next_reply()
        assert values(pg_db) == [1]
        plain.close()                  # without the mixin, dropping the dead link is ours
        # a COMMIT the server refuses has a definite answer: not "unknown"
        pg_db.execute_sql('CREATE TABLE parent (id INT PRIMARY KEY)')
        pg_db.execute_sql('CREATE TABLE child (p INT REFERENCES parent (id) '
                          'DEFERRABLE INITIALLY DEFERRED)')
        with pytest.raises(orm.IntegrityError):
            with plain.atomic():
                plain.execute_sql('INSERT INTO child VALUES (7)')
    finally:
        plain.close()


def test_cockroach_ambiguous_commit_is_an_outcome_unknown_error():
    assert issubclass(AmbiguousCommitError, OutcomeUnknownError)


def test_a_notification_on_an_idle_connection_is_not_taken_for_a_dead_one(pg_db):
    """Something to read on an idle socket may be a NOTIFY: the round trip tells, and
    the connection is kept."""
    rdb = reconnecting(pg_db)
    try:
        rdb.execute_sql('LISTEN orm_reliability')
        conn = rdb.connection()
        pg_db.execute_sql("NOTIFY orm_reliability, 'hello'")
        assert select.select([conn.fileno()], [], [], 10)[0]
        assert rdb.execute_sql('SELECT 1').fetchone() == (1,)
        assert rdb.connection() is conn
    finally:
        rdb.close()


# ---------------------------------------------------------------------------------------
# Values: the same input, the same outcome on both drivers
# ---------------------------------------------------------------------------------------

class Price(Model):
    amount = DecimalField(max_digits=10, decimal_places=2, null=True)


@pytest.mark.parametrize('value', [decimal.Decimal('Infinity'), decimal.Decimal('-Infinity'),
                                   float('inf'), float('-inf')],
                         ids=['Decimal-inf', 'Decimal-minus-inf', 'float-inf', 'float-minus-inf'])
def test_infinite_decimal_is_refused(pg_db, value):
    pg_db.bind([Price])
    pg_db.create_tables([Price])
    with pytest.raises(DataError, match='numeric field overflow'):
        Price.create(amount=value)
    assert Price.select().count() == 0


def test_nan_decimal_is_kept_as_nan(pg_db):
    """NUMERIC has a NaN: a NaN given (Decimal or float) is stored and read back."""
    pg_db.bind([Price])
    pg_db.create_tables([Price])
    Price.create(amount=decimal.Decimal('NaN'))
    Price.create(amount=float('nan'))
    got = [p.amount for p in Price.select()]
    assert len(got) == 2 and all(isinstance(v, decimal.Decimal) and v.is_nan() for v in got)
    assert Price.select().where(Price.amount == decimal.Decimal('NaN')).count() == 2


def test_infinity_in_an_unconstrained_numeric_is_kept(pg_db):
    """A NUMERIC without precision holds infinities (PostgreSQL 14+), on both drivers."""
    pg_db.execute_sql('CREATE TABLE amounts (v NUMERIC)')
    for value in (decimal.Decimal('Infinity'), decimal.Decimal('-Infinity')):
        pg_db.execute_sql('INSERT INTO amounts VALUES (%s)', (value,))
    got = sorted(row[0] for row in pg_db.execute_sql('SELECT v FROM amounts'))
    assert got == [decimal.Decimal('-Infinity'), decimal.Decimal('Infinity')]
    assert math.isinf(float(got[1]))


def test_finite_decimals_unchanged(pg_db):
    pg_db.bind([Price])
    pg_db.create_tables([Price])
    for value in (decimal.Decimal('12.34'), decimal.Decimal('-0.5'), 7, 2.25):
        Price.create(amount=value)
    assert sorted(p.amount for p in Price.select()) == [
        decimal.Decimal('-0.50'), decimal.Decimal('2.25'), decimal.Decimal('7.00'),
        decimal.Decimal('12.34')]


class Memo(Model):
    title = CharField()
    body = TextField(default='')
    n = IntegerField(default=0)


def test_nul_character_in_text_is_a_data_error(pg_db):
    pg_db.bind([Memo])
    pg_db.create_tables([Memo])
    with pytest.raises(DataError, match='NUL') as info:
        Memo.create(title='a\x00b')
    assert info.value.orig is not None
    with pytest.raises(DataError):
        pg_db.execute_sql('SELECT %s', ('\x00',))
    # inside a transaction too, and the transaction can go on
    with pg_db.atomic():
        Memo.create(title='kept')
        with pytest.raises(DataError):
            Memo.update(body='x\x00').execute()
        Memo.create(title='also kept')
    assert sorted(m.title for m in Memo.select()) == ['also kept', 'kept']
