"""A small lending library, written the way an application is written with orm, and
checked by mypy: every ``assert_type`` below states what a type checker infers from the
field declarations alone.  Nothing in the models is annotated by hand.

Run it:            python examples/typed_app.py
Check its types:   python -m mypy --strict examples/typed_app.py
(``tests/test_typing.py`` does both.)
"""
from __future__ import annotations

import datetime
import decimal
import sys
from typing import Any, Literal, Optional

if sys.version_info >= (3, 11):
    from typing import assert_type
else:                                   # Python 3.10: the typing_extensions backport
    from typing_extensions import assert_type

from orm import (BooleanField, CharField, DateField, DecimalField, ForeignKeyField,
                 IntegerField, Model, ModelSelect, SqliteDatabase, TextField, fn)

db = SqliteDatabase(':memory:')


class Base(Model):
    class Meta:
        database = db


class Member(Base):
    card = CharField(max_length=12, unique=True)
    name = TextField()
    fines = DecimalField(max_digits=6, decimal_places=2, default=decimal.Decimal('0'))


class Book(Base):
    title = TextField()
    pages = IntegerField(null=True)
    reference_only = BooleanField(default=False)


class Loan(Base):
    book = ForeignKeyField(Book, backref='loans')
    member = ForeignKeyField(Member, backref='loans')
    returned_on = DateField(null=True)
    renewed_by = ForeignKeyField(Member, null=True, backref='renewals')


def open_library() -> None:
    db.create_tables([Member, Book, Loan])
    ada = Member.create(card='A-1', name='Ada')
    assert_type(ada, Member)
    for title, pages in (('Flatland', 96), ('Solaris', 204), ('Atlas', None)):
        Book.create(title=title, pages=pages, reference_only=pages is None)
    Loan.create(book=Book.get(Book.title == 'Solaris'), member=ada)


def report() -> list[str]:
    lines: list[str] = []

    # on the class, a declaration is the field itself (it builds queries) ...
    assert_type(Book.pages, IntegerField[Literal[True]])
    assert_type(Loan.member, ForeignKeyField[Member, Literal[False]])

    # ... and on an instance it is a value of the field's Python type
    book = Book.get(Book.title == 'Solaris')
    assert_type(book, Book)
    assert_type(book.title, str)
    assert_type(book.pages, Optional[int])
    assert_type(book.reference_only, bool)

    # a foreign key gives the related model; null=True makes it optional
    loan = Loan.get_by_id(1)
    assert_type(loan.member, Member)
    assert_type(loan.member.fines, decimal.Decimal)
    assert_type(loan.renewed_by, Optional[Member])
    assert_type(loan.returned_on, Optional[datetime.date])

    # queries keep the model through where(), join(), order_by() ...
    query = (Book.select()
             .where(Book.reference_only == False)  # noqa: E712 (SQL, not Python)
             .order_by(Book.title))
    assert_type(query, ModelSelect[Book])
    for row in query:
        assert_type(row, Book)
        lines.append('%s (%s pages)' % (row.title, row.pages or '?'))

    on_loan = (Book.select().join(Loan).join(Member, on=Loan.member)
               .where(Member.card == 'A-1').get_or_none())
    assert_type(on_loan, Optional[Book])
    if on_loan is not None:
        lines.append('on loan to A-1: %s' % on_loan.title)

    member, created = Member.get_or_create(card='B-2', defaults={'name': 'Bea'})
    assert_type(member, Member)
    assert_type(created, bool)

    # rows in another shape say so
    for counted in (Book.select(Book.reference_only, fn.COUNT(Book.id).alias('n'))
                    .group_by(Book.reference_only).dicts()):
        assert_type(counted, dict[str, Any])
        lines.append('reference_only=%s: %d' % (counted['reference_only'], counted['n']))

    # and values keep their types when written
    book.pages = 205
    book.save()
    return lines


if __name__ == '__main__':
    open_library()
    print('\n'.join(report()))
