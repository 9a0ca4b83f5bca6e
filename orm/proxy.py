"""A placeholder object that forwards to a target chosen later (``Proxy``).

It sits at the bottom of the layers: fields use it for models whose database is chosen at
run time, and ``orm.database.DatabaseProxy`` builds on it.
"""
from __future__ import annotations

from typing import Any, Callable

from .exceptions import InterfaceError

__all__ = ['Proxy']


class _UninitializedProxyError(AttributeError, InterfaceError):
    """Raised when an uninitialised :class:`Proxy` is used."""


class Proxy:
    """A placeholder forwarding attribute access to an object given later.

    ``proxy.initialize(obj)`` sets the target and runs the callbacks added
    with :meth:`attach_callback`.
    """

    __slots__ = ('obj', '_callbacks')

    def __init__(self) -> None:
        object.__setattr__(self, '_callbacks', [])
        object.__setattr__(self, 'obj', None)

    def initialize(self, obj: Any) -> None:
        """Point the proxy at ``obj``, then tell every attached callback (in the order
        they were attached; one attached meanwhile waits for the next time)."""
        object.__setattr__(self, 'obj', obj)
        for callback in tuple(self._callbacks):
            callback(obj)

    def attach_callback(self, callback: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Have ``callback(obj)`` called each time the proxy is initialised; returns the
        callback, so this works as a decorator."""
        self._callbacks += [callback]
        return callback

    def _target(self) -> Any:
        obj = object.__getattribute__(self, 'obj')
        if obj is None:
            raise _UninitializedProxyError(
                'Proxy used before initialize(): it has no object to forward to yet.')
        return obj

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith('__') and attr.endswith('__'):
            raise AttributeError(attr)
        return getattr(self._target(), attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        if attr in Proxy.__slots__:
            object.__setattr__(self, attr, value)
        else:
            setattr(self._target(), attr, value)

    def __enter__(self) -> Any:
        return self._target().__enter__()

    def __exit__(self, *exc: Any) -> Any:
        return self._target().__exit__(*exc)
