"""A small stock ledger on MySQL or MariaDB: upserts, a transaction, a JSON column.

    python examples/mysql_inventory.py            # database orm_example on 127.0.0.1
    ORM_MYSQL_DB=mine python examples/mysql_inventory.py

The database is created when missing; the example's tables are dropped at the end.
Connection settings come from ORM_MYSQL_HOST / _PORT / _USER / _PASSWORD (default:
127.0.0.1:3306, root, no password).
"""
import os

from orm import (CharField, ForeignKeyField, IntegerField, IntegrityError, JSONField, Model,
                 MySQLDatabase, fn)

params = {'host': os.environ.get('ORM_MYSQL_HOST', '127.0.0.1'),
          'port': int(os.environ.get('ORM_MYSQL_PORT', '3306')),
          'user': os.environ.get('ORM_MYSQL_USER', 'root'),
          'password': os.environ.get('ORM_MYSQL_PASSWORD', '')}
name = os.environ.get('ORM_MYSQL_DB', 'orm_example')

# create the database itself through a connection to the server's own `mysql` database
server = MySQLDatabase('mysql', **params)
server.execute_sql('CREATE DATABASE IF NOT EXISTS %s' % server.quote_identifier(name))
server.close()

db = MySQLDatabase(name, **params)


class Item(Model):
    sku = CharField(max_length=20, unique=True)
    stock = IntegerField(default=0)
    attributes = JSONField(default=dict)

    class Meta:
        database = db


class Movement(Model):
    item = ForeignKeyField(Item, backref='movements')
    change = IntegerField()

    class Meta:
        database = db


db.create_tables([Item, Movement])
print('server:', 'MariaDB' if db.mariadb else 'MySQL', '.'.join(map(str, db.server_version)))

# INSERT ... ON DUPLICATE KEY UPDATE: a delivery adds to the stock of an existing sku
for sku, quantity in [('bolt', 100), ('nut', 40), ('bolt', 25)]:
    (Item.insert(sku=sku, stock=quantity, attributes={'unit': 'piece'})
     .on_conflict(update={Item.stock: Item.stock + quantity})
     .execute())
print('stock:', [(i.sku, i.stock) for i in Item.select().order_by(Item.sku)])

# a sale in a transaction: the movement and the stock change land together or not at all
bolt = Item.get(Item.sku == 'bolt')
with db.atomic():
    Movement.create(item=bolt, change=-30)
    Item.update(stock=Item.stock - 30).where(Item.id == bolt.id).execute()
try:
    with db.atomic():
        Movement.create(item=bolt, change=-5)
        Item.create(sku='bolt')          # a duplicate sku: the whole block is undone
except IntegrityError as exc:
    print('refused:', exc.errno)
print('movements:', Movement.select().count(),
      'bolt stock:', Item.get_by_id(bolt.id).stock)

# JSON: read a key, then set one in place (JSON_SET)
Item.update(attributes=Item.attributes['colour'].set('silver')).where(
    Item.sku == 'nut').execute()
print('nut attributes:', Item.get(Item.sku == 'nut').attributes)
print('pieces:', Item.select(fn.SUM(Item.stock)).where(
    Item.attributes['unit'] == 'piece').scalar())

db.drop_tables([Item, Movement])
db.close()
print('Done.')
