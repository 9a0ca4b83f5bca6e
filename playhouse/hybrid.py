"""Hybrid attributes: one name that computes in Python on an instance and builds a
SQL expression on the model class.

.. code-block:: python

    class Shift(Model):
        clock_in = IntegerField()       # hour of the day
        clock_out = IntegerField()

        @hybrid_property
        def hours(self):
            return self.clock_out - self.clock_in

        @hybrid_method
        def covers(self, hour):
            return (self.clock_in <= hour) & (self.clock_out > hour)

``Shift(clock_in=8, clock_out=17).hours`` is ``9``, a plain integer; ``Shift.hours``
is the expression ``clock_out - clock_in``, which fits in ``where()``, ``order_by()``
and ``select()``.

Both classes derive from :class:`orm.ModelDescriptor`, so a model alias
(``Late = Shift.alias()``) passes itself as the owner and ``Late.hours`` is written
over the alias's columns.
"""
from __future__ import annotations

import types
from typing import Any, Callable, Optional

from orm import ModelDescriptor

__all__ = ['hybrid_method', 'hybrid_property']


class _Hybrid(ModelDescriptor):
    """What both hybrids share: an instance-side function, an optional class-side one
    (SQL), and the name and docstring of the decorated function."""

    __name__: str
    __qualname__: str
    __doc__: Optional[str]
    __wrapped__: Callable

    def __init__(self, python_side: Callable, sql_side: Optional[Callable]) -> None:
        self._sql_side = sql_side
        for attr in ('__module__', '__name__', '__qualname__', '__doc__'):
            if hasattr(python_side, attr):
                setattr(self, attr, getattr(python_side, attr))
        self.__wrapped__ = python_side

    def _python_side(self) -> Callable:
        raise NotImplementedError

    @property
    def expr(self) -> Callable:
        """The class-side function: the one given to :meth:`expression`, else the
        instance-side one."""
        return self._sql_side or self._python_side()

    def expression(self, sql_side: Callable) -> Any:
        """Decorator: the function used when the attribute is read on the class."""
        self._sql_side = sql_side
        return self


class hybrid_method(_Hybrid):
    """A method: on an instance, the decorated function; on the class, the function
    given with :meth:`expression` (the decorated one when there is none), with the class
    in place of ``self``."""

    def __init__(self, func: Callable, expr: Optional[Callable] = None) -> None:
        self.func = func
        super().__init__(func, expr)

    def _python_side(self) -> Callable:
        return self.func

    def __get__(self, instance: Any, instance_type: Optional[type] = None) -> Any:
        if instance is not None:
            return types.MethodType(self.func, instance)
        return types.MethodType(self.expr, instance_type)


class hybrid_property(_Hybrid):
    """A property: computed by ``fget`` on an instance, and on the class by the
    function given with :meth:`expression` (``fget`` when there is none).
    :meth:`getter`, :meth:`setter` and :meth:`deleter` behave as ``property``'s do."""

    def __init__(self, fget: Callable, fset: Optional[Callable] = None,
                 fdel: Optional[Callable] = None, expr: Optional[Callable] = None) -> None:
        self.fget = fget
        self.fset = fset
        self.fdel = fdel
        super().__init__(fget, expr)

    def _python_side(self) -> Callable:
        return self.fget

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, instance_type: Optional[type] = None) -> Any:
        if instance is not None:
            return self.fget(instance)
        return self.expr(instance_type)

    def _refuse(self, what: str) -> AttributeError:
        return AttributeError('cannot %s %s: the hybrid property defines no %s (add one '
                              'with @%s.%s)' % ({'setter': 'assign', 'deleter': 'delete'}[what],
                                                self.__name__, what, self.__name__, what))

    def __set__(self, instance: Any, value: Any) -> None:
        if self.fset is None:
            raise self._refuse('setter')
        self.fset(instance, value)

    def __delete__(self, instance: Any) -> None:
        if self.fdel is None:
            raise self._refuse('deleter')
        self.fdel(instance)

    def getter(self, fget: Callable) -> 'hybrid_property':
        """Decorator: a new instance-side function (the class side follows it unless
        :meth:`expression` gave one)."""
        self.fget = fget
        return self

    def setter(self, fset: Callable) -> 'hybrid_property':
        """Decorator: what ``instance.attr = value`` runs."""
        self.fset = fset
        return self

    def deleter(self, fdel: Callable) -> 'hybrid_property':
        """Decorator: what ``del instance.attr`` runs."""
        self.fdel = fdel
        return self
