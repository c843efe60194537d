"""`draftbot batch DIR|GLOB`: draft every facts file at once, then a summary table and 千人一面 check."""

from __future__ import annotations

from pathlib import Path

import typer

from draftbot.cli import options as opt
from draftbot.cli.app import app, echo
from draftbot.errors import InputError, ModelError

BATCH_HELP = """一次起草一个文件夹（或通配符匹配）中的全部要点文件，适合组织部门、人事部门集中起草。

所有报告的大模型调用共用一个并发上限；一份失败不影响其他；进度记录在 draftbot-batch.json 中，
再次运行时已完成的报告直接跳过，只重做改动过的和失败的（失败的部分单独重做）。最后列出每份报告的
部分数、检查问题、词元和费用，并检查不同人的报告之间是否有几乎相同的段落（千人一面）。

示例：

  draftbot batch 述职要点/

  draftbot batch "述职要点/*.md" --concurrency 8 --docx

  draftbot batch 述职要点/ --mask --local-only          保密：名称换成占位符，只连本地模型

  draftbot batch 述职要点/ -o 草稿/ --format json > 汇总.json
"""


@app.command("batch", help=BATCH_HELP)
@opt.model_options(without=("concurrency",), on_draft=True)
def batch(
    source: str = typer.Argument(..., metavar="文件夹|通配符", help="要点文件所在的文件夹，或带引号的通配符（如 \"要点/*.md\"）。"),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="所有报告合计同时进行的模型调用数（默认 4）。"),
    docx: bool = typer.Option(False, "--docx", help="同时为每份报告导出 Word 文件。"),
    out_dir: Path | None = typer.Option(None, "-o", "--out-dir", help="草稿输出文件夹（默认：要点文件旁边）。"),
    force: bool = typer.Option(False, "--force", help="覆盖不是本批次生成的同名草稿（旧文件保留为 .bak）。"),
    fmt: str = typer.Option("text", "--format", help="汇总的格式：text 或 json（json 输出到标准输出）。"),
    repair: int | None = typer.Option(
        None, "--repair", min=0, help="每份写完后自动修复有错误的部分，最多几轮（默认：大模型 1 轮，离线 0）。"
    ),
    repair_budget: int | None = opt.REPAIR_BUDGET,
    plan: str | None = opt.PLAN,
    samples: Path | None = opt.SAMPLES,
    add_samples: bool = typer.Option(False, "--add-samples", help="在内置范文之外再加上 --samples 的范文。"),
    models: opt.ModelOptions = None,
) -> None:
    from draftbot.batch import Batch, BatchOptions, find_facts_files

    if fmt not in ("text", "json"):
        raise InputError(f"未知的输出格式“{fmt}”：可选 text 或 json。")
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"输出位置“{out_dir}”不是文件夹。")
    files = find_facts_files(source)
    flags = {**models.overrides(), "concurrency": concurrency}  # one bound for the whole batch
    options = BatchOptions(
        plan=plan, samples=samples, add_samples=add_samples, engine=models.engine, flags=flags,
        concurrency=concurrency, docx=docx, mask=models.mask, mask_names=models.mask_names, force=force, out_dir=out_dir,
        extra={k: v for k, v in (("repair", repair), ("repair_budget", repair_budget)) if v is not None},
    )  # fmt: skip
    _check_engine(options)
    runner = Batch(files, options)
    if runner.manifest.note:
        echo(f"提示：{runner.manifest.note}", err=True)
    if runner.mask_note:
        echo(f"提示：{runner.mask_note}", err=True)
    runner.prepare()  # refuses drafts that would overwrite each other before anything is made
    if out_dir is not None and not out_dir.is_dir():
        try:  # a folder the user names for the drafts is made, as a file manager would
            out_dir.mkdir(parents=True)
        except OSError as exc:
            raise InputError(f"无法创建输出文件夹“{out_dir}”：{exc.strerror or exc}") from exc
    model = opt.ENGINE_NAMES.get(runner.model, runner.model)
    echo(f"共 {len(files)} 份要点文件，模型：{model}，并发上限 {concurrency}。", err=True)
    result = _run_with_progress(runner)
    if runner.interrupted:
        echo("已中断：进行中的报告已完成并记录，未开始的留待下次运行。", err=True)
    if fmt == "json":
        import json  # here, not at the top: `draftbot --help` imports every command module

        echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        for line in summary_lines(result, _write_similar(result)):
            echo(line)
    if result.failed:
        names = "、".join(r.facts for r in result.failed[:5])
        raise ModelError(
            f"{len(result.reports)} 份报告中有 {len(result.failed)} 份失败：{names}。",
            hint=f"再次运行 draftbot batch {source} 只会重做失败和改动过的报告。",
        )


def _check_engine(options) -> None:
    """Refuse before any work: an unusable model setting (missing key, --local-only and a public host)."""
    from draftbot.config import choose_engine

    name, cfg, _ = choose_engine(options.engine, options.flags)
    if cfg is None:
        return
    if cfg.local_only and cfg.base_url:  # a public address is refused before a key is asked for
        from draftbot.localonly import require_local

        require_local(cfg.base_url)
    cfg.require_ready()


def _run_with_progress(runner):
    """A live progress table on a terminal; otherwise one line per finished report."""
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        import threading

        lock, count = threading.Lock(), [0]

        def done(outcome) -> None:  # reports finish on worker threads: one counter, counted here
            with lock:
                count[0] += 1
                echo(_done_line(count[0], len(runner.jobs), outcome), err=True)

        runner.on_done = done
        return runner.run()
    from rich.live import Live

    with Live(console=console, refresh_per_second=4, get_renderable=lambda: _progress(runner)):
        return runner.run()


def _progress(runner) -> str:
    from draftbot.config import money

    snap = runner.snapshot()
    tokens = snap["tokens"]
    cost = f"，费用约 {money(snap['cost'], snap.get('currency', ''))}" if snap["cost"] else ""
    return (
        f"报告：完成 {snap['done']}/{snap['total']}，失败 {snap['failed']}；正在生成的部分：{snap['running_sections']}；"
        f"词元 {tokens['input']}/{tokens['cached']}/{tokens['output']}{cost}"
    )


def _done_line(finished: int, total: int, outcome) -> str:
    state = {"done": "完成", "skipped": "跳过（已完成）", "failed": f"失败（{outcome.error}）"}.get(outcome.status, "")
    return f"[{finished}/{total}] {outcome.facts}：{state}"


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(1, width - _width(text))


STATUS = {"done": "完成", "skipped": "跳过", "failed": "失败"}


TOP_SIMILAR = 3  # report pairs shown on screen; the full list goes to a file


def _write_similar(result):
    """Every 千人一面 finding, one per line, in a file beside the manifest (None when there are none)."""
    if not result.similar:
        return None
    from draftbot.atomicfile import replace_file
    from draftbot.batch import SIMILAR_NAME

    path = Path(result.manifest).with_name(SIMILAR_NAME)
    ordered = sorted(result.similar, key=lambda s: -s.similarity)
    replace_file(path, ("\n".join(s.message() for s in ordered) + "\n").encode("utf-8"))
    return path


def similar_lines(similar: list, path) -> list[str]:
    """千人一面 as a count, the few most similar pairs of reports, and where the full list is."""
    if not similar:
        return []
    pairs: dict[tuple[str, str], list] = {}
    for s in similar:
        pairs.setdefault(tuple(sorted((s.a, s.b))), []).append(s)
    ranked = sorted(pairs.items(), key=lambda kv: (-max(s.similarity for s in kv[1]), -len(kv[1])))
    lines = [f"千人一面：{len(similar)} 处段落几乎相同，涉及 {len(pairs)} 对报告；最相似的 {min(TOP_SIMILAR, len(ranked))} 对："]
    for (a, b), items in ranked[:TOP_SIMILAR]:
        best = max(items, key=lambda s: s.similarity)
        lines.append(f"  {a} 与 {b}：{len(items)} 处，最高 {best.similarity:.0%}（{best.section_a}）")
    if path is not None:
        lines.append(f"  完整列表：{path}")
    return lines


def summary_lines(result, similar_file=None) -> list[str]:
    """The summary table (one line per report), 千人一面 in a few lines and the totals (Chinese)."""
    from draftbot.config import money

    widths = (30, 8, 8, 16, 24, 12)
    head = ("报告", "状态", "部分", "错误/警告/提示", "词元 入/缓存/出", "费用")
    lines = ["".join(_pad(h, w) for h, w in zip(head, widths, strict=True)).rstrip()]
    for r in result.reports:
        f, t = r.findings, r.tokens
        sections = f"{r.sections - r.failed_sections}/{r.sections}" if r.sections else "-"
        cost = money(r.cost, r.currency) if r.cost is not None else "-"
        cells = (
            r.facts, STATUS.get(r.status, r.status), sections, f"{f['error']}/{f['warning']}/{f['info']}",
            f"{t['input']}/{t['cached']}/{t['output']}", cost,
        )  # fmt: skip
        lines.append("".join(_pad(c, w) for c, w in zip(cells, widths, strict=True)).rstrip())
        if r.status == "failed" and r.error:
            lines.append(f"    原因：{r.error}")
    lines += similar_lines(result.similar, similar_file)
    totals = result.totals()
    t = totals["tokens"]
    share = f"{t['cached'] / t['input']:.0%}" if t["input"] else "0%"
    currency = next((r.currency for r in result.reports if r.currency), "")
    cost = f"，估算费用 {money(totals['cost'], currency)}" if totals["cost"] is not None else ""
    done = sum(1 for r in result.reports if r.status != "failed")
    lines.append(
        f"合计：{done}/{len(result.reports)} 份完成，词元 {t['input']}/{t['cached']}（缓存 {share}）/{t['output']}"
        f"{cost}，用时 {result.wall_s:.1f} 秒；千人一面 {len(result.similar)} 处。记录：{result.manifest}"
    )
    return lines
