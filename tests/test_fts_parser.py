"""playhouse.fts_parser and FTS5Model.web_query(): search-box text into FTS5 queries that
always parse, checked against real FTS5 tables (sqlite3 memory and file, APSW)."""
from __future__ import annotations

import random

import pytest

from playhouse.fts_parser import (MAX_DEPTH, And, ColumnFilter, Not, Or, Phrase, parse,
                                  render, web_query)
from playhouse.sqlite_ext import FTS5Model, SearchField

pytestmark = pytest.mark.skipif(not FTS5Model.fts5_installed(),
                                reason='this SQLite has no FTS5')


class Recipe(FTS5Model):
    title = SearchField()
    body = SearchField(column_name='instructions')
    source = SearchField(unindexed=True)


RECIPES = {
    1: ('Tomato soup', 'simmer tomatoes with basil and garlic', 'grandma'),
    2: ('Garlic bread', 'toast bread then rub with garlic and oil', 'blog'),
    3: ('Basil pesto', 'pound basil, pine nuts and garlic', 'book'),
    4: ('Plain toast', 'toast bread', 'tomato blog'),
    5: ('C++ cookies', "o'brien's recipe for covid-19 lockdown baking", 'forum'),
}


@pytest.fixture
def recipes(sqlite_db):
    Recipe.bind(sqlite_db)
    sqlite_db.create_tables([Recipe])
    for rowid, (title, body, source) in RECIPES.items():
        Recipe.insert(rowid=rowid, title=title, body=body, source=source).execute()
    yield Recipe
    sqlite_db.drop_tables([Recipe])


def found(model, text):
    query = model.web_query(text)
    return sorted(row.rowid for row in model.select(model.rowid).where(model.match(query)))


COLUMNS = ('title', 'instructions')


@pytest.mark.parametrize('text,expected', [
    ('garlic', '"garlic"'),
    ('garlic basil', '"garlic" AND "basil"'),
    ('garlic AND basil', '"garlic" AND "basil"'),
    ('garlic OR basil toast', '"garlic" OR ("basil" AND "toast")'),
    ('"pine nuts" bas*', '"pine nuts" AND "bas"*'),
    ('"pine n"*', '"pine n"*'),
    ('garlic -bread -toast', '"garlic" NOT "bread" NOT "toast"'),
    ('garlic oil NOT bread', '("garlic" AND "oil") NOT "bread"'),
    ('-bread garlic', '"garlic" NOT "bread"'),
    ('garlic -(bread OR toast)', '"garlic" NOT ("bread" OR "toast")'),
    ('TITLE: soup', '"title": "soup"'),
    ('instructions:(basil -garlic)', '"instructions": ("basil" NOT "garlic")'),
    ('{instructions title}:toast x', '({"instructions" "title"}: "toast") AND "x"'),
    ('{title nope}: toast', '"{title" AND "nope}:" AND "toast"'),
    ('body: toast', '"body:" AND "toast"'),          # the field's name is not the column's
    ('source: blog', '"source:" AND "blog"'),        # unindexed: never a filter
    ('title:', '""'),
    ('and or not', '"and" AND "or" AND "not"'),      # only upper-case words are operators
    ('"AND"', '"AND"'),
    ('a " b', '"a" AND "b"'),
    ('say "hi" "', '"say" AND "hi"'),
    ('x --- y', '"x" AND "y"'),
    ('*** ??? ...', '""'),
    ('caf\xe9 na\xefve', '"caf\xe9" AND "na\xefve"'),
])
def test_translations(text, expected):
    assert web_query(text, COLUMNS) == expected


def test_parse_gives_a_tree_that_renders_back():
    tree = parse('(soup OR bread) title:tom* -"pine nuts"', COLUMNS)
    assert tree == Not(And((Or((Phrase('soup'), Phrase('bread'))),
                            ColumnFilter(('title',), Phrase('tom', True)))),
                       Phrase('pine nuts'))
    assert render(tree) == ('(("soup" OR "bread") AND ("title": "tom"*)) '
                            'NOT "pine nuts"')
    assert parse('   ') is None and render(None) == '""'
    # without columns every "name:" is text
    assert web_query('title: soup') == '"title:" AND "soup"'


def test_deep_nesting_is_flattened_not_recursed():
    text = '(' * 5000 + 'a OR b' + ')' * 5000 + ' c'
    assert web_query(text) == '("a" OR "b") AND "c"'
    assert web_query('title:' * 5000 + 'x', COLUMNS).count('"title":') == MAX_DEPTH
    deep = '(' * (MAX_DEPTH + 3) + 'a' + ')' * (MAX_DEPTH + 3) + ' OR b'
    assert web_query(deep) == '"a" OR "b"'


def test_searches_on_a_real_index(recipes):
    assert found(recipes, 'garlic') == [1, 2, 3]
    assert found(recipes, 'garlic -bread') == [1, 3]
    assert found(recipes, 'toast OR pesto') == [2, 3, 4]
    assert found(recipes, '"toast bread"') == [2, 4]
    assert found(recipes, '"bread then"') == [2]
    assert found(recipes, 'tom*') == [1]
    assert found(recipes, 'title: toast') == [4]
    assert found(recipes, 'instructions: toast') == [2, 4]
    assert found(recipes, '{title instructions}: (basil OR toast) -garlic') == [4]
    assert found(recipes, 'tomato') == [1]              # "tomato" in source is not indexed
    assert found(recipes, 'covid-19') == [5]
    assert found(recipes, "o'brien") == [5]
    assert found(recipes, 'c++ cookies') == [5]
    assert found(recipes, '') == []
    # search() scrubs its term: a translation passes through it unchanged
    assert sorted(r.rowid for r in recipes.search(recipes.web_query('garlic -soup'))) == [2, 3]


def test_odd_column_names(sqlite_db):
    class Odd(FTS5Model):
        dashed = SearchField(column_name='x-y')
        keyword = SearchField(column_name='OR')

    Odd.bind(sqlite_db)
    sqlite_db.create_tables([Odd])
    Odd.insert(rowid=7, dashed='alpha', keyword='beta').execute()
    assert Odd.web_query('{x-y}: alpha') == '{"x-y"}: "alpha"'
    assert Odd.web_query('OR: beta') == '"OR": "beta"'
    assert found(Odd, '{x-y}: alpha') == [7]
    assert found(Odd, '{x-y OR}: beta') == [7]
    assert found(Odd, 'OR: alpha') == []
    assert found(Odd, 'x-y: alpha') == []     # "x-y:" is a word, not in any row
    sqlite_db.drop_tables([Odd])


ALPHABET = ['a', 'bb', 'garlic', ' ', ' ', '"', '(', ')', '-', '*', ':', '{', '}', '^',
            '+', "'", 'AND', 'OR', 'NOT', 'NEAR', 'title', 'instructions', 'source', ',',
            '.', '\\', '\x00', '\u2603', 'é']


def test_random_input_always_gives_a_valid_query(recipes):
    rng = random.Random(1616)
    for _ in range(400):
        text = ''.join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 14)))
        translated = recipes.web_query(text)
        # FTS5 accepts it (a syntax error would raise here) ...
        list(recipes.select(recipes.rowid).where(recipes.match(translated)))
        # ... and search()'s scrubbing leaves it alone
        assert recipes.clean_query(translated) == translated, text


def test_fts5_installed_answers_without_a_database(sqlite_db):
    class Bound(FTS5Model):
        text = SearchField()

    Bound.bind(sqlite_db)
    # an unbound model (FTS5Model itself here) asks the sqlite3 module; a bound one its
    # database: both have FTS5 wherever this suite runs these tests
    assert FTS5Model.fts5_installed() is True
    assert Bound.fts5_installed() is True
