"""Every help page: Chinese only (besides flags, file names, model and service names, and the values
and names a user types), paragraphs wrapped to the terminal, and examples that work as written."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clirun import EXAMPLE_FACTS, REPO, cli_env, run_cli
from fake_openai import FakeOpenAI

KEY = "sk-help-examples-0011223344556677"


def command_paths() -> list[list[str]]:
    import typer.main

    from draftbot.cli import app, register_commands

    register_commands([])
    paths: list[list[str]] = [[]]

    def walk(command, prefix):
        for name, sub in getattr(command, "commands", {}).items():
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(typer.main.get_command(app), [])
    return paths


PATHS = command_paths()


def help_page(path: list[str], width: int = 100) -> str:
    result = run_cli(*path, "--help", env={"COLUMNS": str(width)})
    assert result.returncode == 0, result.stderr
    return result.stdout


def allowed_words() -> set[str]:
    """What a help page may show in Latin letters, each for a reason."""
    from draftbot.checks.run import check_kinds
    from draftbot.config import CLI_SETTABLE, presets
    from draftbot.export.fonts import PRESETS, roles_sorted

    commands = {name for path in PATHS for name in path} | {"draftbot"}
    services = set(presets()) | {p.get("model") or "" for p in presets().values()}  # service and model names
    settings = set(CLI_SETTABLE) | {"context"}  # what `config set` takes
    values = {"text", "line", "json", "info", "warning", "error", "offline", "llm", "true"}  # option values
    rules = {rule for kind in check_kinds() for rule in kind.rule_ids} | {k.id for k in check_kinds()}  # --ignore
    fonts = set(PRESETS) | set(roles_sorted())  # --fonts, --font 角色=字体
    names = {"Word", "WPS", "Word/WPS", "Markdown", "GB/T", "GBK", "UTF-8", "A4", "API", "Linux", "Windows",
             "DeepSeek", "OpenAI", "CNY", "USD", "nano"}  # fmt: skip - formats, products, systems, currencies
    return commands | services | settings | values | rules | fonts | names


def english_words(text: str) -> set[str]:
    words = set()
    for word in re.findall(r"(?<![\w./-])[A-Za-z][A-Za-z0-9_.+/:-]*", text):
        word = word.rstrip(".:/")
        if re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+|EDITOR", word):  # an environment variable
            continue
        if re.search(r"\.(md|txt|docx|yaml|toml|json)$", word):  # a file name
            continue
        words.add(word)
    return words


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "draftbot")
def test_help_has_no_english_words(path):
    page = help_page(path)
    page = re.sub(r"(?<![\w-])--?[a-z][a-z0-9-]*", " ", page)  # flags are what the user types
    stray = english_words(page) - allowed_words()
    assert not stray, f"English in `draftbot {' '.join(path)} --help`: {sorted(stray)}"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "draftbot")
def test_help_paragraphs_follow_the_terminal_width(path):
    narrow, wide = help_page(path, 60), help_page(path, 120)
    width = lambda s: sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in s)  # noqa: E731
    assert max(width(line) for line in narrow.splitlines()) <= 60
    description = wide.split("\n\n")[1]  # the paragraph under the usage line: one line when it fits
    if width(description.strip()) <= 116:
        assert "\n" not in description.strip(), description


def examples(page: str) -> list[str]:
    """The example commands of a help page, without their explanations."""
    block = page.split("示例：", 1)[1] if "示例：" in page else ""
    block = re.split(r"\n\S", block, maxsplit=1)[0]
    found = []
    for line in block.splitlines():
        line = line.strip()
        if line.startswith("draftbot"):
            found.append(re.split(r"\s{2,}", line)[0])
    return found


ALL_EXAMPLES = [(path, example) for path in PATHS for example in examples(help_page(path, 200))]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "draftbot")
def test_every_help_page_has_examples(path):
    assert len(examples(help_page(path, 200))) >= 2


@pytest.fixture(scope="module")
def server():
    def answer(body):
        tail = body["messages"][-1]["content"]
        return "按照要求，" + tail.splitlines()[0][:20] + "，扎实推进各项工作。"

    with FakeOpenAI(responder=answer, usage_shape="deepseek") as srv:
        yield srv


@pytest.fixture(scope="module")
def office(tmp_path_factory, server):
    """A secretary's folder: facts, a draft (one part failed), the Word files, own samples and rules,
    a folder of everyone's facts, and a model set up (DeepSeek, here on the loopback server)."""
    from draftbot.draft import load_draft, make_failed_body

    root = tmp_path_factory.mktemp("office")
    shutil.copy(EXAMPLE_FACTS, root / "要点.md")
    shutil.copy(EXAMPLE_FACTS, root / "新要点.md")
    assert run_cli("write", "要点.md", "--engine", "offline", cwd=root).returncode == 0
    draft = load_draft(root / "要点.draft.md")
    draft.sections[5].body = make_failed_body("模型超时", draft.sections[5].number)
    (root / "要点.draft.md").write_text(draft.render(), encoding="utf-8")
    draft.sections[1].body += "坚持做好份内工作。"  # a typo for `check --ignore typo:份内`
    (root / "草稿.md").write_text(draft.render(), encoding="utf-8")
    (root / "报告.txt").write_text(draft.text(), encoding="utf-8")
    for name in ("报告.docx", "我改过的报告.docx", "2025年述职报告.docx"):  # the last one stands for last year's
        assert run_cli("export", "要点.draft.md", "-o", name, cwd=root).returncode == 0
    (root / "我的范文").mkdir()
    shutil.copy(REPO / "samples" / "000.md", root / "我的范文" / "范文.md")
    (root / "本单位规则").mkdir()
    (root / "本单位规则" / "本单位.yaml").write_text(
        "source: 本单位文件\nsubstitutions:\n  - wrong: 青溪开发区\n    right: 青溪经济开发区\n", encoding="utf-8"
    )
    (root / "述职要点").mkdir()
    text = EXAMPLE_FACTS.read_text(encoding="utf-8")
    for name, figure in (("王建华", "18"), ("李明", "21")):
        (root / "述职要点" / f"{name}.md").write_text(text.replace("王建华", name).replace("18个", f"{figure}个"),
                                                   encoding="utf-8")  # fmt: skip
    local = "\n".join(f'[providers.{p}]\nbase_url = "{server.base_url}"\n' for p in ("deepseek", "qwen", "ollama"))
    (root / "draftbot.toml").write_text(f'provider = "deepseek"\nbackoff = 0.01\n{local}', encoding="utf-8")
    return root


@pytest.mark.parametrize("path, example", ALL_EXAMPLES, ids=[e for _, e in ALL_EXAMPLES])
def test_examples_work_as_written(office, tmp_path, path, example):
    work = tmp_path / "work"
    shutil.copytree(office, work)
    words = example.split()
    if words[1] in ("write", "batch"):  # a first draft: nothing written before
        for old in work.rglob("*.draft.md"):
            old.unlink()
    env = cli_env({"DEEPSEEK_API_KEY": KEY, "DASHSCOPE_API_KEY": KEY, "COLUMNS": "100", "EDITOR": "true"})
    if words[1] == "log":  # a log to look at: one earlier model run
        assert run_cli("write", "新要点.md", "--repair", "0", cwd=work, env={"DEEPSEEK_API_KEY": KEY}).returncode == 0
    command = example.replace("draftbot", f'"{sys.executable}" -m draftbot', 1)
    result = subprocess.run(command, shell=True, cwd=work, env=env, input=KEY + "\n", capture_output=True,
                            text=True, encoding="utf-8", timeout=300)  # fmt: skip
    assert result.returncode in (0, 1), f"{example}\n{result.stdout[-1500:]}\n{result.stderr[-1500:]}"
    if result.returncode == 1:  # only check and review say 1: problems found, not a failure
        assert words[1] in ("check", "review"), result.stderr
    assert "Traceback" not in result.stderr and "错误：" not in result.stderr, result.stderr
    assert KEY not in result.stdout + result.stderr
    for redirect in re.findall(r"> (\S+)", example):
        assert Path(work / redirect).stat().st_size > 0
