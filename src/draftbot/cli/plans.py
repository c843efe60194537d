"""`draftbot plans` and `draftbot plans show NAME`."""

from __future__ import annotations

import typer

from draftbot.cli.app import app, echo

plans_app = typer.Typer(
    help="查看内置提纲（报告类型）。\n\n示例：\n\n  draftbot plans\n\n  draftbot plans show 述职报告",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(plans_app, name="plans")


@plans_app.callback()
def plans_list(ctx: typer.Context) -> None:
    """列出所有提纲。"""
    if ctx.invoked_subcommand is not None:
        return
    from draftbot.plans import list_plans

    for plan in list_plans():
        echo(f"{plan.name}（{plan.kind}，{len(plan.sections)} 个部分）：{plan.description}")
    echo()
    echo(
        "查看某个提纲：draftbot plans show 述职报告；使用自己的提纲：draftbot write 要点.md --plan 我的提纲.yaml"
    )


@plans_app.command("show")
def plans_show(name: str = typer.Argument(..., metavar="提纲", help="提纲名称或 .yaml 提纲文件路径。")) -> None:
    """显示一个提纲的各部分、必备表述和字数范围。

    示例：

      draftbot plans show 年度工作总结

      draftbot plans show 述职述廉报告
    """
    from draftbot.plans import load_plan

    plan = load_plan(name)
    echo(f"提纲：{plan.name}（{plan.kind}）")
    echo(plan.description)
    echo()
    _show_section("开头", plan.opening)
    for index, section in enumerate(plan.sections, start=1):
        from draftbot.headings import chinese_number

        _show_section(f"{chinese_number(index)}、{section.heading}", section)
    _show_section("结束语", plan.closing)


def _show_section(label: str, section) -> None:
    low, high = section.length
    echo(f"{label}  [{section.id}]  字数 {low}–{high}")
    if section.aliases:
        echo(f"    事实标题别名：{'、'.join(section.aliases)}")
    if section.required:
        echo(f"    必备表述：{'、'.join(section.required)}")
    if section.guidance:
        echo(f"    写作要求：{section.guidance}")
