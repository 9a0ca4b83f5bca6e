"""How rows become objects: column names, read-back conversions and joined object graphs,
checked on every engine (issue 12: peewee 4's row building)."""
from __future__ import annotations

import datetime

import pytest

from helpers import count_queries
from orm import (JOIN, SQL, CharField, CursorWrapper, DateField, ForeignKeyField,
                 IntegerField, Model, Select, Table, TextField, ValuesList, fn)


class Team(Model):
    title = CharField()


class Player(Model):
    team = ForeignKeyField(Team, null=True, backref='players')
    nick = CharField()
    joined = DateField(null=True)


class Goal(Model):
    scorer = ForeignKeyField(Player, null=True, backref='goals')
    minute = IntegerField()


class GoalStrict(Model):
    """The goal table again, its scorer declared NOT NULL."""
    scorer = ForeignKeyField(Player, backref='+')
    minute = IntegerField()

    class Meta:
        table_name = 'goal'


MODELS = [Team, Player, Goal]


@pytest.fixture
def league(db):
    db.bind(MODELS + [GoalStrict])
    db.create_tables(MODELS)
    reds = Team.create(title='reds')
    ann = Player.create(team=reds, nick='ann', joined=datetime.date(2020, 5, 1))
    bob = Player.create(team=None, nick='bob', joined=datetime.date(2021, 6, 2))
    Player.create(team=reds, nick='cid')                    # scores nothing
    Goal.create(scorer=ann, minute=10)
    Goal.create(scorer=None, minute=20)                     # an own goal: no scorer
    Goal.create(scorer=bob, minute=30)
    return {'reds': reds, 'ann': ann, 'bob': bob}


# -- column names -------------------------------------------------------------------------
def test_dedupe_columns_numbers_repeats_and_cleans_labels() -> None:
    wrapper = CursorWrapper(None)
    assert wrapper.dedupe_columns(['a', 'b', 'a', 'a']) == ['a', 'b', 'a_2', 'a_3']
    assert wrapper.dedupe_columns(['"t2"."total"', 'MAX("t2"."score")', 'COUNT(*)']) == \
        ['total', 'score', 'COUNT']
    assert wrapper.dedupe_columns(['x y', 'x y'], valid_identifiers=False) == ['x y', 'x y_2']


def test_repeated_names_get_suffixes_in_every_row_type(league) -> None:
    query = (Player.select(Player.nick, Team.title.alias('nick'), fn.UPPER(Player.nick)
                           .alias('nick'))
             .join(Team).where(Player.nick == 'ann'))
    assert query.dicts().get() == {'nick': 'ann', 'nick_2': 'reds', 'nick_3': 'ANN'}
    row = query.namedtuples().get()
    assert (row.nick, row.nick_2, row.nick_3) == ('ann', 'reds', 'ANN')
    flat = query.objects().get()
    assert (flat.nick, flat.nick_2, flat.nick_3) == ('ann', 'reds', 'ANN')


def test_an_alias_named_like_a_field_is_that_fields_value(league) -> None:
    # the alias comes first, so it is the model's field; the field itself is renamed
    row = (Player.select(fn.UPPER(Player.nick).alias('nick'), Player.nick)
           .where(Player.nick == 'bob').objects().get())
    assert row.nick == 'BOB' and row.nick_2 == 'bob'


@pytest.mark.engines('sqlite')     # (PostgreSQL names an unaliased MIN() "min")
def test_unnamed_expressions_are_named_after_their_column(league) -> None:
    query = Player.select(fn.MIN(Player.joined), fn.MAX(Player.joined).alias('last'))
    row = query.get()
    assert row.joined == datetime.date(2020, 5, 1) and row.last == datetime.date(2021, 6, 2)
    assert query.dicts().get()['joined'] == datetime.date(2020, 5, 1)


def test_an_explicit_alias_is_a_dict_key_as_written(league) -> None:
    row = Player.select(Player.nick.alias('who (nick)')).where(Player.id == 1).dicts().get()
    assert list(row) == ['who (nick)']


@pytest.mark.engines('sqlite')
def test_a_made_up_label_is_cleaned_for_attributes_and_keys(league) -> None:
    # SQLite names an unaliased expression after its text
    query = (Player.select(Player.nick, fn.COUNT(SQL('1')))
             .join(Goal, JOIN.LEFT_OUTER).group_by(Player.nick).order_by(Player.nick))
    assert [(p.nick, p.COUNT) for p in query] == [('ann', 1), ('bob', 1), ('cid', 1)]
    row = Player.select(SQL('LOWER("t1"."nick")')).order_by(Player.id).dicts().first()
    assert row == {'nick': 'ann'}


# -- read-back conversions ------------------------------------------------------------------
@pytest.mark.engines('sqlite')     # (where dates come back as text, conversion shows)
def test_function_results_read_as_their_argument_column(league) -> None:
    base = fn.MIN(Player.joined)
    first = datetime.date(2020, 5, 1)
    assert Player.select(base).scalar() == first
    assert Player.select(fn.MIN(Player.joined.cast('text'))).scalar() == first
    assert Player.select(base.alias('j').coerce(True)).scalar() == first
    assert Player.select(base.cast('text').coerce(True)).scalar() == first
    assert Player.select(base.cast('text').alias('j').coerce(True)).scalar() == first
    # an inner function lends no type; a cast or coerce(False) refuses conversion
    assert Player.select(fn.LOWER(base)).scalar() == '2020-05-01'
    assert Player.select(base.cast('text')).scalar() == '2020-05-01'
    assert Player.select(base.alias('j').coerce(False)).scalar() == '2020-05-01'
    assert Player.select(base.coerce(False)).scalar() == '2020-05-01'


def test_function_results_convert_on_every_engine(league) -> None:
    first = datetime.date(2020, 5, 1)
    assert Player.select(fn.MIN(Player.joined)).scalar() == first
    assert Player.select(fn.MIN(Player.joined).alias('j')).get().j == first
    # COUNT / SUM keep the engine's number
    assert Player.select(fn.COUNT(Player.joined)).scalar() == 2


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_a_guessed_conversion_that_fails_keeps_the_value(league) -> None:
    # GROUP_CONCAT / STRING_AGG of an integer column is text, not an integer
    joined = fn.GROUP_CONCAT(Goal.minute) if league['ann']._meta.database.dialect.name \
        .startswith('sqlite') else fn.STRING_AGG(Goal.minute.cast('text'), ',')
    query = Goal.select(joined.alias('minute'))
    assert query.get().minute == '10,20,30' and query.scalar() == '10,20,30'


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_converter_on_a_subquery_column(league) -> None:
    inner = Player.select(Player.nick, Player.joined.cast('text').alias('day')).alias('p')
    query = (Select([inner], [inner.c.nick, inner.c.day.converter(Player.joined.python_value)])
             .order_by(inner.c.nick).bind(league['ann']._meta.database))
    assert list(query.tuples())[0] == ('ann', datetime.date(2020, 5, 1))
    model_rows = (Player.select(inner.c.nick, inner.c.day.converter(Player.joined.python_value)
                                .alias('day')).from_(inner).order_by(inner.c.nick))
    assert model_rows.first().day == datetime.date(2020, 5, 1)


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_a_subquery_column_named_like_a_field_reads_as_it(league) -> None:
    text_ids = Player.select(Player.id.cast('text').alias('id')).alias('s')
    query = Player.select(text_ids.c.id).from_(text_ids).order_by(text_ids.c.id)
    assert [p.id for p in query] == [1, 2, 3]
    raw = Player.select(text_ids.c.id.coerce(False)).from_(text_ids).order_by(text_ids.c.id)
    assert [p.id for p in raw] == ['1', '2', '3']


# -- joined object graphs -----------------------------------------------------------------------
def goals(query, attr='scorer'):
    out = []
    for goal in query.order_by(Goal.minute):
        scorer = getattr(goal, attr)
        out.append((goal.minute, scorer.nick if scorer is not None else None))
    return out


def test_outer_join_misses_read_none_without_a_query(league) -> None:
    with count_queries() as counter:
        assert goals(Goal.select(Goal, Player).join(Player, JOIN.LEFT_OUTER)) == \
            [(10, 'ann'), (20, None), (30, 'bob')]
        # a miss on a NOT NULL key (the join condition excluded the row): None, no query
        cond = (GoalStrict.scorer == Player.id) & (Player.nick != 'bob')
        rows = list(GoalStrict.select(GoalStrict, Player)
                    .join(Player, JOIN.LEFT_OUTER, on=cond).order_by(GoalStrict.minute))
        assert [g.scorer is None for g in rows] == [False, True, True]
    assert counter.count == 2
    # the key is kept; assigning it again forgets the miss and loads the row
    last = rows[2]
    assert last.scorer_id == league['bob'].id and not last.is_dirty()
    last.scorer_id = league['bob'].id
    with count_queries() as counter:
        assert last.scorer.nick == 'bob'
    assert counter.count == 1


def test_inner_join_with_null_columns_loads_through_the_key(league) -> None:
    rows = list(Goal.select(Goal, Player.team).join(Player).order_by(Goal.minute))
    assert [g.minute for g in rows] == [10, 30]
    with count_queries() as counter:
        assert rows[0].scorer.team_id == league['reds'].id     # built from the row
    assert counter.count == 0
    with count_queries() as counter:
        assert rows[1].scorer.nick == 'bob'      # bob's team is NULL: loaded by key
    assert counter.count == 1


def test_a_joined_model_without_columns_carries_what_hangs_below_it(league) -> None:
    query = (Goal.select(Goal, Team.title).join(Player, JOIN.LEFT_OUTER)
             .join(Team, JOIN.LEFT_OUTER))
    with count_queries() as counter:
        seen = []
        for goal in query.order_by(Goal.minute):
            scorer = goal.scorer
            seen.append(None if scorer is None else
                        (scorer.nick, scorer.team.title if scorer.team else None))
    assert counter.count == 1
    # ann: a shell (nick not selected) holding her team; the others: nothing below
    assert seen == [(None, 'reds'), None, None]
    inner = Goal.select(Goal.minute, Team.title).join(Player).join(Team)
    assert [(g.minute, g.scorer.team.title) for g in inner] == [(10, 'reds')]


@pytest.mark.engines('sqlite', 'postgres')  # not on MySQL: see docs/mysql.rst
def test_a_column_of_an_unnamed_joined_source_lands_on_the_row(league, db) -> None:
    if db.dialect.name.startswith('sqlite'):
        pytest.skip('a VALUES list joined with columns needs PostgreSQL')
    names = ValuesList([('ann',), ('cid',)], columns=['nick'])
    query = (Player.select(names.c.nick).join(names, on=(Player.nick == names.c.nick))
             .order_by(names.c.nick))
    assert [p.nick for p in query] == ['ann', 'cid']


def test_a_model_joined_from_a_cte_hangs_on_its_row(league) -> None:
    counts = (Goal.select(Goal.scorer.alias('pid'), fn.COUNT(Goal.id).alias('n'))
              .group_by(Goal.scorer).cte('per_player'))
    query = (Goal.select(Goal.minute, counts.c.n, Player.nick)
             .join(counts, on=(Goal.scorer == counts.c.pid))
             .join_from(counts, Player, on=(counts.c.pid == Player.id))
             .with_cte(counts).order_by(Goal.minute))
    assert [(g.minute, g.per_player['n'], g.per_player['player'].nick) for g in query] == \
        [(10, 1, 'ann'), (30, 1, 'bob')]


def test_a_subquery_of_a_model_joined_by_its_key_rebuilds_that_model(league) -> None:
    players = Player.select()
    query = (Goal.select(Goal.minute, players.c.nick)
             .join(players, on=(Goal.scorer == players.c.id)).order_by(Goal.minute))
    with count_queries() as counter:
        assert [(g.minute, g.scorer.nick) for g in query] == [(10, 'ann'), (30, 'bob')]
    assert counter.count == 1


def test_key_to_constructor_names_what_builds_each_source(league) -> None:
    alias = Goal.alias('g')
    cursor = alias.select(alias, Player).join(Player, on=(alias.scorer == Player.id)).execute()
    assert [g.scorer.nick for g in cursor] == ['ann', 'bob']
    assert cursor.key_to_constructor[Player] is Player
    assert Goal not in cursor.key_to_constructor


# -- reading -------------------------------------------------------------------------------
def test_rows_are_shaped_only_as_far_as_asked(league) -> None:
    cursor = Player.select().order_by(Player.id).execute()
    assert cursor[1].nick == 'bob'
    assert len(cursor.row_cache) == 2 and not cursor.populated
    cursor.fill_cache(3)
    assert cursor.populated and len(cursor.row_cache) == 3
    with pytest.raises(ValueError):
        cursor.fill_cache(-1)
    with pytest.raises(ValueError):
        cursor['first']
    with pytest.raises(TypeError):      # (both: Python's sequences raise TypeError)
        cursor['first']


def test_plain_table_dicts_number_repeated_names(league, db) -> None:
    player = Table('player', ('id', 'nick')).bind(db)
    team = Table('team', ('id', 'title')).bind(db)
    row = (player.select(player.id, team.id).join(team, on=(player.c.team_id == team.id))
           .order_by(player.id).dicts().first())
    assert row == {'id': 1, 'id_2': 1}
