"""`draftbot log`: list, show and verify the local audit log of model calls."""

from __future__ import annotations

import typer

from draftbot.cli.app import app, echo
from draftbot.errors import InputError

LOG_HELP = """查看本机的审计日志：每次调用大模型的时间、服务、模型、草稿、部分、用量、费用、耗时、结果，
以及发出的请求和收到的回答原文（保密模式下只有替换过名称的文本；密钥从不记录）。

示例：

  draftbot log                     列出最近 20 次调用

  draftbot log --limit 100 --format json

  draftbot log show 1              查看第 1 条记录的请求和回答全文

  draftbot log verify              校验日志是否被改动过
"""

FORMAT = typer.Option("text", "--format", help="输出格式：text 或 json。")

log_app = typer.Typer(help=LOG_HELP, invoke_without_command=True, no_args_is_help=False)
app.add_typer(log_app, name="log")


def _log():
    from draftbot.auditlog import AuditLog

    return AuditLog()


def _check_format(fmt: str) -> None:
    if fmt not in ("text", "json"):
        raise InputError(f"未知的输出格式“{fmt}”：可选 text 或 json。")


@log_app.callback()
def log_list(
    ctx: typer.Context,
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="显示最近多少条（默认 20）。"),
    run: str | None = typer.Option(None, "--run", help="只看某一次运行（运行编号见列表）。"),
    fmt: str = FORMAT,
) -> None:
    """列出最近的模型调用。"""
    if ctx.invoked_subcommand is not None:
        return
    _check_format(fmt)
    log = _log()
    rows = log.rows(limit=limit, run=run)
    if fmt == "json":
        import json  # here, not at the top: `draftbot --help` imports every command module

        echo(json.dumps([_summary(r) for r in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        echo(f"审计日志中还没有记录（{log.path}）。")
        return
    echo(f"审计日志：{log.path}（最近 {len(rows)} 条；draftbot log show 编号 查看全文）")
    for r in rows:
        echo(_line(r))


def _summary(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("request", "response")}


STATUS_NAMES = {"ok": "成功", "error": "失败"}


def _line(r: dict) -> str:
    cost = f"，费用 {r['cost']:.4f} {r['currency']}" if r["cost"] is not None else ""
    error = f"（{r['error']}）" if r["error"] else ""
    masked = "，保密" if r["masked"] else ""
    return (
        f"#{r['id']} {r['time'][:19]} {STATUS_NAMES.get(r['status'], r['status'])}{error} "
        f"{r['provider']}/{r['model_asked']}@{r['host']} "
        f"运行 {r['run']} 草稿 {r['draft'] or '-'} 部分 {_part(r['section'])} 第 {r['attempt']} 次"
        f"{'，修改第 ' + str(r['repair_round']) + ' 轮' if r['repair_round'] else ''}{masked}，"
        f"词元 {r['input_tokens']}/{r['cached_tokens']}/{r['output_tokens']}{cost}，{r['duration_s']:.1f} 秒"
    )


def _part(section: str) -> str:
    """The part as the user names it (开头, 三、……): the log keeps the plan's id before it."""
    sid, _, label = (section or "").partition(" ")
    return label or sid or "-"


@log_app.command("show")
def log_show(row_id: int = typer.Argument(..., metavar="编号", help="记录编号。"), fmt: str = FORMAT) -> None:
    """显示一条记录的全部内容（请求和回答原文）。

    示例：

      draftbot log show 1

      draftbot log show 1 --format json
    """
    import json  # here, not at the top: `draftbot --help` imports every command module

    _check_format(fmt)
    row = _log().get(row_id)
    if row is None:
        raise InputError(f"审计日志中没有第 {row_id} 条记录。", hint="运行 draftbot log 查看记录编号。")
    if fmt == "json":
        echo(json.dumps(row, ensure_ascii=False, indent=2))
        return
    echo(_line(row))
    echo(f"回答的模型：{row['model_answered'] or '（未报告）'}")
    if row["notes"]:
        echo(f"备注：{row['notes']}")
    try:
        messages = json.loads(row["request"])
    except ValueError:
        messages = [{"role": "?", "content": row["request"]}]
    echo("===== 请求 =====")
    for message in messages:
        echo(f"----- {message.get('role')} -----")
        echo(message.get("content") or "")
    echo("===== 回答 =====")
    echo(row["response"] or "（无）")


@log_app.command("verify")
def log_verify() -> None:
    """校验哈希链：任何一条记录被改动、删除或插入都会被发现。

    示例：

      draftbot log verify                校验本机的审计日志

      draftbot log verify --debug        出错时显示详细信息
    """
    log = _log()
    count, problems, head = log.verify()
    if problems:
        for problem in problems:
            echo(f"问题：{problem}", err=True)
        echo(f"审计日志校验未通过：{log.path}，共 {count} 条记录，发现 {len(problems)} 处问题。", err=True)
        raise typer.Exit(1)
    echo(f"审计日志校验通过：{log.path}，共 {count} 条记录。")
    echo(f"最新哈希：{head}（可另行记下，日后比对，以发现整条链被重算）")
