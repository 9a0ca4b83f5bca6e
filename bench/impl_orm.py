"""orm, through its peewee-compatible API (the workloads live in impl_peeweelike)."""
from __future__ import annotations

from .common import Engine
from .impl_peeweelike import PeeweeLikeImpl


def factory(engine: Engine) -> PeeweeLikeImpl:
    import orm
    return PeeweeLikeImpl(engine, orm, 'orm')
