"""The seam: the one place where a lower layer of orm reaches a higher one.

orm is built in layers (see ``docs/layers.rst``): the SQL tree, then the dialects, then
databases, then fields, models and model queries.  Each module imports only from the
layers below it.  A few services run the other way, and each is *registered* here by the
layer that owns it, when that layer is imported, and *looked up* by the lower layer when
it is called:

``default_dialect``
    A zero-argument callable giving the dialect that ``Context()`` compiles with when it
    is given none (registered by ``orm.dialects.base``).
``sort_models``
    Orders model classes so that each follows the models it references
    (``Database.create_tables`` / ``drop_tables``; registered by the model layer).
``model_base``
    The ``Model`` class, for ``Database.Model`` (registered by the model layer).

``import orm`` imports every layer, so by the time application code runs, every service
is registered.  Nothing else may reach upwards: ``tests/test_layering.py`` fails the build
on any import that does.
"""
from __future__ import annotations

from typing import Any

__all__ = ['register', 'lookup']

#: the services this seam carries, and who provides them
SERVICES = {
    'default_dialect': 'orm.dialects.base',
    'sort_models': 'orm.modelbase',
    'model_base': 'orm.model',
}

_registry: dict[str, Any] = {}


def register(service: str, provider: Any) -> Any:
    """Record ``provider`` as the implementation of ``service``; returns it (so that it
    can decorate a function)."""
    if service not in SERVICES:
        raise KeyError('the seam carries %s, not %r' % (', '.join(sorted(SERVICES)), service))
    _registry[service] = provider
    return provider


def lookup(service: str) -> Any:
    """The implementation registered for ``service``."""
    try:
        return _registry[service]
    except KeyError:
        raise LookupError(
            '%s is provided by %s, which has not been imported yet: import orm first'
            % (service, SERVICES.get(service, 'no module'))) from None
