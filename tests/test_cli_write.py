import shutil

import pytest

from clirun import EXAMPLE_FACTS, run_cli
from draftbot.draft import load_draft


@pytest.fixture
def facts(tmp_path):
    path = tmp_path / "要点.md"
    shutil.copy(EXAMPLE_FACTS, path)
    return path


def test_write_default_output_next_to_facts(facts):
    result = run_cli("write", facts)
    assert result.returncode == 0, result.stderr
    out = facts.with_name("要点.draft.md")
    assert out.exists()
    assert "已生成草稿" in result.stdout and str(out) in result.stdout
    draft = load_draft(out)
    assert draft.meta["facts"] == "要点.md" and len(draft.sections) == 7
    assert "Traceback" not in result.stderr


def test_existing_draft_is_not_overwritten_without_force(facts):
    out = facts.with_name("要点.draft.md")
    out.write_text("我改过的草稿", encoding="utf-8")
    result = run_cli("write", facts)
    assert result.returncode == 2
    assert "已存在" in result.stderr and "--force" in result.stderr
    assert out.read_text(encoding="utf-8") == "我改过的草稿"
    forced = run_cli("write", facts, "--force")
    assert forced.returncode == 0, forced.stderr
    backup = out.with_name("要点.draft.md.bak")
    assert backup.read_text(encoding="utf-8") == "我改过的草稿"
    assert "备份" in forced.stdout
    again = run_cli("write", facts, "--force")
    assert again.returncode == 0
    assert out.with_name("要点.draft.md.bak.1").exists()  # older backups are kept too
    assert backup.read_text(encoding="utf-8") == "我改过的草稿"


def test_output_option_and_plan_option(facts, tmp_path):
    out = tmp_path / "述廉.md"
    result = run_cli("write", facts, "-o", out, "--plan", "述职述廉报告")
    assert result.returncode == 0, result.stderr
    draft = load_draft(out)
    assert draft.meta["plan"] == "述职述廉报告"
    assert any("一岗双责" in s.heading for s in draft.sections)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["write", "不存在.md"], "找不到事实文件"),
        (["write", "{facts}", "--plan", "不存在"], "没有名为“不存在”的提纲"),
        (["write", "{facts}", "--engine", "gpt"], "未知的引擎"),
        (["write", "{facts}", "--add-samples"], "--samples"),
        (["write", "{facts}", "-o", "{facts}"], "不能与事实文件相同"),
        (["write", "{facts}", "--samples", "不存在的目录"], "范文文件夹"),
    ],
)
def test_bad_input_exit_2_with_one_clear_message(facts, args, fragment):
    args = [a.format(facts=facts) for a in args]
    result = run_cli(*args)
    assert result.returncode == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert facts.read_text(encoding="utf-8") == EXAMPLE_FACTS.read_text(encoding="utf-8")


def test_binary_and_empty_facts(tmp_path):
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    binary = tmp_path / "img.md"
    binary.write_bytes(b"\x00\x01\x02" * 50)
    for path, fragment in ((empty, "空的"), (binary, "二进制")):
        result = run_cli("write", path)
        assert result.returncode == 2 and fragment in result.stderr
        assert "Traceback" not in result.stderr
        assert not path.with_name(path.stem + ".draft.md").exists()


def test_debug_shows_traceback(tmp_path):
    result = run_cli("--debug", "write", tmp_path / "nope.md")
    assert result.returncode == 2
    assert "Traceback" in result.stderr and "找不到事实文件" in result.stderr


def test_usage_error_exit_2():
    result = run_cli("write", "--no-such-flag")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_gbk_facts_and_routing_notes(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("# 其他工作\n- 全年签约项目5个\n".encode("gbk"))
    result = run_cli("write", path)
    assert result.returncode == 0, result.stderr
    assert "已按关键词归入" in result.stderr
    assert "全年签约项目5个" in path.with_name("gbk.draft.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args", [["--help"], ["write", "--help"], ["plans", "--help"], ["plans", "show", "--help"]]
)
def test_every_command_has_help_with_an_example(args):
    result = run_cli(*args)
    assert result.returncode == 0
    assert "示例" in result.stdout and "draftbot" in result.stdout


def test_plans_list_and_show():
    listed = run_cli("plans")
    assert listed.returncode == 0
    assert "述职报告" in listed.stdout and "年度工作总结" in listed.stdout
    shown = run_cli("plans", "show", "述职报告")
    assert shown.returncode == 0
    assert "一、坚定理想信念" in shown.stdout and "两个确立" in shown.stdout
    missing = run_cli("plans", "show", "没有")
    assert missing.returncode == 2 and "没有名为" in missing.stderr


def test_help_and_offline_write_import_no_heavy_modules(facts):
    probe = (
        "import sys, runpy; sys.argv = sys.argv[1:]\n"
        "try:\n    runpy.run_module('draftbot', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('langchain', 'langchain_core', "
        "'langchain_openai', 'openai', 'docx', 'tiktoken', 'jieba', 'opencc'))\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    import subprocess
    import sys

    from clirun import cli_env

    for argv in (["draftbot", "--help"], ["draftbot", "write", str(facts), "--force"]):
        result = subprocess.run(
            [sys.executable, "-c", probe, *argv], capture_output=True, text=True, env=cli_env()
        )
        assert "HEAVY=\n" in result.stdout, result.stdout + result.stderr
