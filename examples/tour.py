"""A tour of orm on SQLite: declare models, create and change the schema, query.

From a fresh clone:

    python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python examples/tour.py

The tour keeps a recipe book in an in-memory SQLite database, so it leaves nothing
behind, and prints what each step does. To keep the database and look at it
afterwards, name a file:

    ORM_TOUR_DB=tour.db .venv/bin/python examples/tour.py

Each run starts from an empty recipe book: the tour drops its own tables (cook,
recipe, ingredient and ingredient_recipe_through) before creating them, so it can run
any number of times on the same file.
"""
from __future__ import annotations

import datetime
import os
import sys

# orm speaks peewee's API: an application may just as well `import orm as peewee`
from orm import (JOIN, CharField, DateField, ForeignKeyField, IntegerField,
                 ManyToManyField, Model, SqliteDatabase, TextField, fn, prefetch)
from playhouse.migrate import SchemaMigrator, migrate

path = os.environ.get('ORM_TOUR_DB') or ':memory:'
db = SqliteDatabase(path, pragmas={'foreign_keys': 1})


def step(title: str) -> None:
    print('\n== %s' % title)


# -- 1. the models ----------------------------------------------------------------------------
class RecipeBookModel(Model):
    class Meta:
        database = db


class Cook(RecipeBookModel):
    name = CharField(unique=True)
    since = DateField(default=datetime.date.today)


class Recipe(RecipeBookModel):
    cook = ForeignKeyField(Cook, backref='recipes', on_delete='CASCADE')
    title = CharField()
    method = TextField(default='')
    added = DateField()


class Ingredient(RecipeBookModel):
    name = CharField(unique=True)
    recipes = ManyToManyField(Recipe, backref='ingredients')


RecipeIngredient = Ingredient.recipes.get_through_model()
MODELS = [Cook, Recipe, Ingredient, RecipeIngredient]


def main() -> int:
    step('create the tables (each after the tables it refers to)')
    db.connect()
    db.drop_tables(MODELS, safe=True)      # a file kept from an earlier run starts afresh
    db.create_tables(MODELS)
    print('  tables:', db.get_tables())

    step('add rows inside one transaction')
    with db.atomic():
        noor = Cook.create(name='noor')
        pablo = Cook.create(name='pablo')
        pantry = {n: Ingredient.create(name=n) for n in ('flour', 'egg', 'lentils', 'lemon')}
        book = [(noor, 'lemon cake', ['flour', 'egg', 'lemon']),
                (noor, 'dal', ['lentils', 'lemon']),
                (pablo, 'pancakes', ['flour', 'egg']),
                (noor, 'flatbread', ['flour'])]
        for day, (cook, title, needs) in enumerate(book, start=1):
            recipe = Recipe.create(cook=cook, title=title, added=datetime.date(2026, 3, day))
            recipe.ingredients.add([pantry[n] for n in needs])
    print('  cooks: %d, recipes: %d' % (Cook.select().count(), Recipe.select().count()))

    step('a join read back as objects, in a single query')
    latest = (Recipe.select(Recipe, Cook).join(Cook)
              .order_by(Recipe.added.desc()).limit(3))
    for recipe in latest:
        print('  %s  %-10s by %s' % (recipe.added, recipe.title, recipe.cook.name))

    step('counting with GROUP BY; rows as dicts')
    per_ingredient = (Ingredient
                      .select(Ingredient.name, fn.COUNT(RecipeIngredient.id).alias('used_in'))
                      .join(RecipeIngredient, JOIN.LEFT_OUTER)
                      .group_by(Ingredient.name)
                      .order_by(fn.COUNT(RecipeIngredient.id).desc(), Ingredient.name))
    for row in per_ingredient.dicts():
        print('  ', row)

    step('prefetch: each cook with a list of their recipes, two queries in all')
    for cook in prefetch(Cook.select().order_by(Cook.name),
                         Recipe.select().order_by(Recipe.title)):
        print('  %s: %s' % (cook.name, ', '.join(r.title for r in cook.recipes)))

    step('following the many-to-many relation from the other side')
    lemon = Ingredient.get(Ingredient.name == 'lemon')
    print('  with lemon:', sorted(r.title for r in lemon.recipes))
    print('  in pancakes:', sorted(i.name for i in
                                   Recipe.get(Recipe.title == 'pancakes').ingredients))

    step('migrate: a new NOT NULL column, old rows filled from its default')
    # version 2 of the schema: recipes say how many they serve. SQLite rebuilds the
    # table for this, checking the foreign keys before it switches them back on.
    migrator = SchemaMigrator.from_database(db)
    migrate(migrator.add_column('recipe', 'serves', IntegerField(default=2)))
    Recipe._meta.add_field('serves', IntegerField(default=2))
    Recipe.update(serves=Recipe.serves * 4).where(Recipe.title == 'dal').execute()
    for recipe in Recipe.select().order_by(Recipe.serves.desc(), Recipe.title).limit(2):
        print('  %-10s serves %d' % (recipe.title, recipe.serves))
    print('  columns now:', [c.name for c in db.get_columns('recipe')])

    step('update, then delete with everything that depends on the row')
    Cook.update(name='pablo m.').where(Cook.name == 'pablo').execute()
    pablo = Cook.get(Cook.name == 'pablo m.')
    print('  renamed to', pablo.name)
    removed = pablo.delete_instance(recursive=True)
    print('  removed %d cook with his recipes and their ingredient links; recipes left: %d'
          % (removed, Recipe.select().count()))

    db.close()
    if path == ':memory:':
        print('\nDone. The database was in memory: nothing is left behind '
              '(ORM_TOUR_DB=FILE keeps it in FILE).')
    else:
        print('\nDone. The database file is', path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
