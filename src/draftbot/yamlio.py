"""Loading YAML safely (the C loader when PyYAML has it); syntax errors carry their line.

Every YAML file draftbot reads (facts and draft front matter, plans, rules, Word properties, data)
goes through `load_yaml` or `compose_yaml`. Both refuse aliases (`*name`): an alias shares a node,
and nine lines of nested aliases expand to billions of values once anything walks the result (the
"billion laughs" bomb). draftbot's own files never use them. Dates stay the text they were written
as (`period: 2026-13-45` is text, not a crash), and a number too long to convert is a syntax error.

PyYAML is imported only when YAML is actually parsed: `draftbot check` usually gets by without it.
"""

from __future__ import annotations

ALIAS_PROBLEM = "用了 YAML 别名（*名称）；draftbot 不接受别名，请把内容直接写出来"


class YamlSyntaxError(ValueError):
    def __init__(self, line: int | None, problem: str):
        super().__init__(problem)
        self.line = line  # 1-based, within the text given to load_yaml
        self.problem = problem

    def where(self, offset: int = 0) -> str:
        """'第 N 行' (shifted by `offset` lines), or '' when the line is unknown."""
        return f"第 {self.line + offset} 行" if self.line is not None else ""


_LOADER = None


def _loader():
    """The safe loader, with timestamps kept as the text written (no date construction)."""
    global _LOADER
    if _LOADER is None:
        import yaml

        class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            pass

        Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
        _LOADER = Loader
    return _LOADER


def _refuse_aliases(text: str) -> None:
    """Raise YamlSyntaxError at the first alias in `text` (a cheap scan when there is no '*')."""
    if "*" not in text:
        return
    import yaml

    for event in yaml.parse(text, Loader=_loader()):
        if isinstance(event, yaml.AliasEvent):
            raise YamlSyntaxError(event.start_mark.line + 1, ALIAS_PROBLEM)


def _syntax_error(exc) -> YamlSyntaxError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return YamlSyntaxError(mark.line + 1 if mark is not None else None, problem)


def load_yaml(text: str):
    import yaml

    try:
        _refuse_aliases(text)
        return yaml.load(text, Loader=_loader())
    except yaml.YAMLError as exc:
        raise _syntax_error(exc) from exc
    except (ValueError, OverflowError, RecursionError) as exc:  # e.g. a 5000-digit number
        if isinstance(exc, YamlSyntaxError):
            raise
        raise YamlSyntaxError(None, "有无法读取的值（数字太长或嵌套太深）") from exc


def compose_yaml(text: str):
    """The node tree of `text` (None when empty), aliases refused as in `load_yaml`."""
    import yaml

    try:
        _refuse_aliases(text)
        return yaml.compose(text, Loader=_loader())
    except yaml.YAMLError as exc:
        raise _syntax_error(exc) from exc
    except RecursionError as exc:
        raise YamlSyntaxError(None, "嵌套太深") from exc


def dump_yaml(data) -> str:
    import yaml

    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
