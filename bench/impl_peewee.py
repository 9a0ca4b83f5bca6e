"""peewee, running the very code orm runs (the workloads live in impl_peeweelike)."""
from __future__ import annotations

from .common import Engine
from .impl_peeweelike import PeeweeLikeImpl


def available() -> bool:
    try:
        import peewee
    except ImportError:
        return False
    return bool(peewee.__version__)


def factory(engine: Engine) -> PeeweeLikeImpl:
    import peewee
    return PeeweeLikeImpl(engine, peewee, 'peewee')
