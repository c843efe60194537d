"""`formulation-missing`: a plan section's required formulations, judged by the report's year.

A required formulation (plan `required:`, described in the rule files' `formulations:`) applies only
from the year it entered use; it is satisfied anywhere in its scope (the opening and the plan section,
or the whole document) by its name, a declared accepted form, its written-out form (patterns), or a
complete enumeration of its items (政治意识、大局意识、核心意识、看齐意识 for 四个意识). All that one
plan section lacks is one finding. In draftbot's own draft that finding is an error; in any other
document it has the level the formulation declares as `absent` (warning by default; 中央八项规定…… is
an error, the political study section's theory formulations are info: a reviewer judges their absence
in someone else's report debatable, never a required change).
"""

from __future__ import annotations

from draftbot.checks.base import Hit, Scope
from draftbot.checks.formulations import complete_enumeration, normalise
from draftbot.checks.registry import CheckContext, check
from draftbot.checks.rules import Formulation, RuleSet


@check("formulation-missing", label="缺少规范表述", needs=("plan",), order=40,
       level="自己的草稿：错误；其他文档：“中央八项规定及其实施细则精神”为错误，政治理论表述为提示",
       doc="缺少提纲要求、且报告年度适用的规范表述（如政治部分的“两个确立”“两个维护”），每部分一条")
def run(ctx: CheckContext) -> list[Hit]:
    from draftbot.checks.sections import plan_structure

    scopes = plan_structure(ctx)[1]
    hits, skipped = find_missing(ctx.plan, ctx.masked, scopes, ctx.rules, ctx.period, ctx.own_draft)
    if skipped:
        ctx.notes.append(f"按 {ctx.period} 年度检查，{'、'.join(skipped)}不作要求。")
    return hits


def is_present(formulation: Formulation, text: str, flat: str, rules: RuleSet) -> bool:
    """`text`: the scope's raw text; `flat`: the same, normalised (no quotes, no whitespace)."""
    for form in (formulation.name, *formulation.accepted):
        if normalise(form) in flat:
            return True
    if any(p.search(text) for p in formulation.patterns):
        return True
    name = formulation.enumeration
    if name:
        enum = next((e for e in rules.enumerations if e.name == name), None)
        return enum is not None and complete_enumeration(text, enum)
    return False


def find_missing(plan, text: str, scopes: dict[str, Scope], rules: RuleSet, period: int | None,
                 own_draft: bool) -> tuple[list[Hit], list[str]]:
    """Hits for the plan sections whose required formulations are absent, and the formulations not
    required because of the report's year (for a note)."""
    hits: list[Hit] = []
    skipped: list[str] = []
    whole = (text, normalise(text))
    for ps in plan.sections:
        scope = scopes.get(ps.id)
        if scope is None or not ps.required:
            continue
        local = "\n".join(text[s:e] for s, e in scope.spans)
        views = {"section": (local, normalise(local)), "document": whole}
        missing: list[Formulation] = []
        for name in ps.required:
            formulation = rules.formulation(name)
            if not formulation.applies(period):
                skipped.append(_when(formulation))
                continue
            raw, flat = views[formulation.scope]
            if not is_present(formulation, raw, flat, rules):
                missing.append(formulation)
        hits += _hits(ps, scope, missing, own_draft)
    return hits, sorted(set(skipped))


def _hits(ps, scope: Scope, missing: list[Formulation], own_draft: bool) -> list[Hit]:
    if not missing:
        return []
    if own_draft:
        return [_hit("error", scope, missing, f"“{scope.label}”缺少规范表述{_names(missing)}。",
                     f"在本部分写入{_names(missing)}。")]
    out = []
    for level in ("error", "warning", "info"):
        group = [f for f in missing if f.absent == level]
        if not group:
            continue
        if all(f.scope == "document" for f in group) or not scope.label:
            where = "全文"
        else:
            where = f"报告开头和“{scope.label}”" + ("等部分" if scope.several else "")
        message = f"{where}没有出现规范表述{_names(group)}（“{ps.heading}”方面）。{_basis(group)}"
        out.append(_hit(level, scope, group, message, f"在相应部分写入{_names(group)}。"))
    return out


def _hit(level: str, scope: Scope, missing: list[Formulation], message: str, suggestion: str) -> Hit:
    return Hit("formulation-missing", level, *scope.at, message, suggestion, scope.index)


def _names(group: list[Formulation]) -> str:
    return "、".join(f"“{f.name}”" for f in group)


def _basis(group: list[Formulation]) -> str:
    sources = [f"“{f.name}”：{f.source}" for f in group if f.source and f.absent == "error"]
    return f"（依据：{'；'.join(sources)}）" if sources else ""


def _when(formulation: Formulation) -> str:
    since = f"{formulation.since}年起使用" if formulation.since else ""
    until = f"{formulation.until}年后不再使用" if formulation.until else ""
    return f"“{formulation.name}”（{'，'.join(w for w in (since, until) if w)}）"
