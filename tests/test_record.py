"""draftbot.record.Record behaves as the dataclasses it replaces on the check path."""

from __future__ import annotations

import dataclasses
import pickle
from typing import ClassVar, NamedTuple

import pytest

from draftbot.record import Record, field


class Point(NamedTuple):
    x: int
    y: int


class Part(Record):
    """A record with required fields, plain defaults and a factory default."""

    rank: int
    heading: str
    end: int = 0
    parent: int | None = None
    children: list[int] = field(default_factory=list)
    LIMIT: ClassVar[int] = 40


@dataclasses.dataclass
class PartDC:
    rank: int
    heading: str
    end: int = 0
    parent: int | None = None
    children: list[int] = dataclasses.field(default_factory=list)


class Found(Record, frozen=True):
    rule: str
    line: int = 1
    where: Point | None = None


def test_init_like_a_dataclass():
    for cls in (Part, PartDC):
        a = cls(1, "一、总体", parent=3)
        assert (a.rank, a.heading, a.end, a.parent, a.children) == (1, "一、总体", 0, 3, [])
        b = cls(rank=2, heading="二")
        b.children.append(5)
        assert cls(1, "x").children == []  # each record has its own list
        with pytest.raises(TypeError):
            cls(1)  # heading is required
        with pytest.raises(TypeError):
            cls(1, "x", bogus=1)
        with pytest.raises(TypeError):
            cls(1, "x", rank=2)
        with pytest.raises(TypeError):
            cls(1, "x", 0, None, [], "extra")
    assert Part._fields == ("rank", "heading", "end", "parent", "children")  # ClassVar is no field
    assert Part.LIMIT == 40


def test_equality_repr_and_hash_like_a_dataclass():
    assert Part(1, "x") == Part(1, "x")
    assert Part(1, "x") != Part(1, "y")
    assert Part(1, "x") != PartDC(1, "x")  # another class is never equal
    assert repr(Part(1, "x")) == repr(PartDC(1, "x")).replace("PartDC", "Part")
    with pytest.raises(TypeError):
        hash(Part(1, "x"))  # mutable: unhashable, as a dataclass with eq
    assert len({Found("a"), Found("a"), Found("b")}) == 2


def test_frozen_records_refuse_changes():
    found = Found("stars", 3)
    with pytest.raises(AttributeError):
        found.line = 4
    with pytest.raises(AttributeError):
        del found.rule
    assert found.replace(line=4) == Found("stars", 4)
    assert found.line == 3


def test_replace_as_dict_and_pickle():
    part = Part(1, "x", children=[2])
    copy = part.replace(end=9)
    assert (copy.end, copy.children, part.end) == (9, [2], 0)
    assert part.as_dict() == dataclasses.asdict(PartDC(1, "x", children=[2]))
    nested = Found("a", 2, Point(1, 2)).as_dict()
    assert nested == {"rule": "a", "line": 2, "where": Point(1, 2)} and isinstance(nested["where"], Point)
    assert pickle.loads(pickle.dumps(Found("a", 2))) == Found("a", 2)
    assert pickle.loads(pickle.dumps(part)) == part


def test_subclass_adds_fields_and_a_default_before_required_is_refused():
    class Wider(Part):
        note: str = ""

    assert Wider(1, "x", note="n").note == "n"
    assert Wider._fields[-1] == "note"
    with pytest.raises(TypeError):
        class Bad(Record):  # noqa: F841 - defining it is the test
            a: int = 0
            b: str
    with pytest.raises(TypeError):
        class Shared(Record):  # noqa: F841 - one list for every record: refused, as by dataclasses
            items: list = []
