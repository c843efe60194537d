"""Loading YAML safely (the C loader when PyYAML has it); syntax errors carry their line.

PyYAML is imported only when YAML is actually parsed: `draftbot check` usually gets by without it.
"""

from __future__ import annotations


class YamlSyntaxError(ValueError):
    def __init__(self, line: int | None, problem: str):
        super().__init__(problem)
        self.line = line  # 1-based, within the text given to load_yaml
        self.problem = problem

    def where(self, offset: int = 0) -> str:
        """'第 N 行' (shifted by `offset` lines), or '' when the line is unknown."""
        return f"第 {self.line + offset} 行" if self.line is not None else ""


def load_yaml(text: str):
    import yaml

    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlSyntaxError(mark.line + 1 if mark is not None else None, problem) from exc


def dump_yaml(data) -> str:
    import yaml

    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
