"""Plain data records: fields declared as class annotations, as in a dataclass, without generated code.

Why not dataclasses or NamedTuples: a dataclass generates and compiles its __init__, __repr__ and
__eq__ when its class is defined (about 0.5 ms per class), and a NamedTuple compiles its __new__ and
each string annotation (0.15-0.3 ms). A cold `draftbot check` defined 31 such classes (facts, plan,
samples, draft, rules, hits, findings): over 15 ms of its own ~60 ms. A Record costs ~20 µs to
define; its methods are ordinary ones shared by every record.

What a Record does, like a dataclass: `__init__` takes the fields in order, positionally or by
keyword, a field without a default is required, `field(default_factory=list)` gives each record its
own list; `==` compares records of the same class field by field; `repr` lists the fields.
`frozen=True` (class keyword) makes the fields read-only and the record hashable. `replace(**changes)`
is a copy with some fields changed, `as_dict()` the fields as plain data.
"""

from __future__ import annotations

_MISSING = object()


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make):
        self.make = make


def field(*, default_factory):
    """A default made afresh for each record (a list, a dict …), as dataclasses.field spells it."""
    return _Factory(default_factory)


class Record:
    """Base class of the data records; see the module docstring."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _defaults: dict[str, object] = {}

    def __init_subclass__(cls, frozen: bool = False, **kwargs):
        super().__init_subclass__(**kwargs)
        names, defaults = list(cls._fields), dict(cls._defaults)
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():
            if str(annotation).split("[")[0].split(".")[-1] == "ClassVar":
                continue
            if name not in names:
                names.append(name)
            if name in cls.__dict__:
                defaults[name] = cls.__dict__[name]
                if isinstance(defaults[name], (list, dict, set)):
                    raise TypeError(f"mutable default for field {name!r}: use field(default_factory=...)")
                if isinstance(defaults[name], _Factory):
                    delattr(cls, name)
            elif name in defaults and not isinstance(defaults[name], _Factory):
                del defaults[name]  # redeclared without a default: required again
        required_after_default = [n for i, n in enumerate(names) if n not in defaults
                                  and any(m in defaults for m in names[:i])]
        if required_after_default:
            raise TypeError(f"non-default field {required_after_default[0]!r} follows a default field")
        cls._fields, cls._defaults = tuple(names), defaults
        if frozen:
            cls.__setattr__, cls.__delattr__, cls.__hash__ = _no_setattr, _no_delattr, Record._hash

    def __init__(self, *args, **kwargs):
        fields = self._fields
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__}() takes {len(fields)} arguments but {len(args)} were given")
        values = dict(zip(fields, args, strict=False))  # the rest come by keyword or default
        if kwargs:
            self._check_keywords(kwargs, values)
            values.update(kwargs)
        if len(values) < len(fields):
            for name in fields:
                if name not in values:
                    values[name] = self._default(name)
        self.__dict__.update(values)

    def _check_keywords(self, kwargs: dict, positional: dict) -> None:
        for name in kwargs:
            if name not in self._fields:
                raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {name!r}")
            if name in positional:
                raise TypeError(f"{type(self).__name__}() got multiple values for argument {name!r}")

    def _default(self, name: str):
        value = self._defaults.get(name, _MISSING)
        if value is _MISSING:
            raise TypeError(f"{type(self).__name__}() missing required argument: {name!r}")
        return value.make() if isinstance(value, _Factory) else value

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    __hash__ = None  # mutable records are not hashable (as with dataclasses)

    def _hash(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__qualname__}({inner})"

    def replace(self, **changes):
        """A copy with some fields changed."""
        return type(self)(**{name: getattr(self, name) for name in self._fields} | changes)

    def as_dict(self) -> dict:
        """The fields as plain data (records inside become dicts too; lists, tuples and dicts are copied)."""
        return {name: _plain(getattr(self, name)) for name in self._fields}


def _no_setattr(self, name, value):
    raise AttributeError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")


def _no_delattr(self, name):
    raise AttributeError(f"cannot delete field {name!r} of a frozen {type(self).__name__}")


def _plain(value):
    if isinstance(value, Record):
        return value.as_dict()
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple
        return type(value)(*(_plain(v) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
