"""`last-year-recycled` and `last-year-figure`: the draft against last year's report (--last-year).
The comparison itself is draftbot.lastyear; the promises kept go to the inputs for the report."""

from __future__ import annotations

from draftbot.checks.base import Hit
from draftbot.checks.registry import CheckContext, Rule, check


@check("last-year", label="对照去年", needs=("last_year",), order=95, rules=(
    Rule("last-year-recycled", "照搬去年", "警告；带有去年的数字或年份为错误",
         "与去年报告几乎相同的句子（--last-year）；句中带有今年的事实里没有的去年数字、或把去年的年份当今年写，为错误"),
    Rule("last-year-figure", "沿用去年数字", "错误",
         "与去年报告相同的数字，而今年的事实在同样的语境里给了新的数字（--last-year）"),
))  # fmt: skip
def run(ctx: CheckContext) -> list[Hit]:
    from draftbot.lastyear import compare, plan_wording

    comparison = compare(ctx.text, ctx.inputs.last_year, facts=ctx.facts, period=ctx.period,
                         skip=plan_wording(ctx.plan), options=ctx.figure_options)  # fmt: skip
    ctx.inputs.promises = comparison.promises
    return comparison.hits
