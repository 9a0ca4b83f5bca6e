"""Mistakes the field typing must report: checked by tests/test_typing_fields.py.

Each line ending in an ``error`` comment must give exactly the mypy error it names, and no other
line any error.
"""
from __future__ import annotations

import datetime

from orm import CharField, DateTimeField, IntegerField, Model


class Thing(Model):
    name = CharField()
    count = IntegerField(null=True)
    created = DateTimeField()


def mistakes(t: Thing) -> None:
    t.name = None  # error: assignment
    t.name = 3  # error: assignment
    t.created = 'yesterday'  # error: assignment
    size: int = t.count  # error: assignment
    when: datetime.date = t.created
    CharField(max_lenght=10)  # error: call-overload
    IntegerField(nul=True)  # error: call-overload
    print(size, when)
