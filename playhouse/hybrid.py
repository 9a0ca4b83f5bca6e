"""Hybrid attributes: Python on instances, SQL expressions on the model class.

.. code-block:: python

    class Interval(Model):
        start = IntegerField()
        end = IntegerField()

        @hybrid_property
        def length(self):
            return self.end - self.start

        @hybrid_method
        def contains(self, point):
            return (self.start <= point) & (point < self.end)

``Interval(start=1, end=5).length`` is ``4``; ``Interval.length`` is the expression
``end - start``, usable in ``where()``, ``order_by()`` and ``select()``.

Both are :class:`orm.ModelDescriptor` subclasses: a model alias
(``Outer = Interval.alias()``) that hands itself to model descriptors as the class gets
the expression over its own columns (``Outer.length``).
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Optional

from orm import ModelDescriptor

__all__ = ['hybrid_method', 'hybrid_property']


class hybrid_method(ModelDescriptor):
    """A method run on instances as written and, called on the class, returning the SQL
    expression (the same function with the class as ``self``, or the one given with
    :meth:`expression`)."""

    def __init__(self, func: Callable, expr: Optional[Callable] = None) -> None:
        self.func = func
        self.expr = expr or func
        functools.update_wrapper(self, func)

    def __get__(self, instance: Any, instance_type: Optional[type] = None) -> Callable:
        if instance is None:
            return self.expr.__get__(instance_type, type(instance_type))
        return self.func.__get__(instance, instance_type)

    def expression(self, expr: Callable) -> 'hybrid_method':
        """Decorator giving the class-level (SQL) implementation."""
        self.expr = expr
        return self


class hybrid_property(ModelDescriptor):
    """A property computed in Python on instances and, read on the class, the SQL
    expression (``fget`` with the class as ``self``, or the function given with
    :meth:`expression`). :meth:`setter` and :meth:`deleter` work as for ``property``."""

    def __init__(self, fget: Callable, fset: Optional[Callable] = None,
                 fdel: Optional[Callable] = None, expr: Optional[Callable] = None) -> None:
        self.fget = fget
        self.fset = fset
        self.fdel = fdel
        self.expr = expr or fget
        functools.update_wrapper(self, fget)

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, instance_type: Optional[type] = None) -> Any:
        if instance is None:
            return self.expr(instance_type)
        return self.fget(instance)

    def __set__(self, instance: Any, value: Any) -> None:
        if self.fset is None:
            raise AttributeError('hybrid property %r has no setter: decorate one with '
                                 '@%s.setter' % (self.__name__, self.__name__))
        self.fset(instance, value)

    def __delete__(self, instance: Any) -> None:
        if self.fdel is None:
            raise AttributeError('hybrid property %r has no deleter: decorate one with '
                                 '@%s.deleter' % (self.__name__, self.__name__))
        self.fdel(instance)

    def getter(self, fget: Callable) -> 'hybrid_property':
        """Decorator replacing the instance-level implementation."""
        expr_is_fget = self.expr is self.fget
        self.fget = fget
        if expr_is_fget:
            self.expr = fget
        return self

    def setter(self, fset: Callable) -> 'hybrid_property':
        """Decorator giving the setter (``instance.prop = value``)."""
        self.fset = fset
        return self

    def deleter(self, fdel: Callable) -> 'hybrid_property':
        """Decorator giving the deleter (``del instance.prop``)."""
        self.fdel = fdel
        return self

    def expression(self, expr: Callable) -> 'hybrid_property':
        """Decorator giving the class-level (SQL) implementation."""
        self.expr = expr
        return self
