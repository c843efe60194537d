"""Issue 11: bad or unusual inputs get one clear Chinese message, the right exit code, and no lost file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from clirun import EXAMPLE_FACTS, REPO, run_cli
from draftbot.draft import chinese_number, load_draft

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def work(tmp_path):
    shutil.copy(EXAMPLE_FACTS, tmp_path / "facts.md")
    return tmp_path


@pytest.fixture
def drafted(work):
    result = run_cli("write", "facts.md", "--engine", "offline", cwd=work)
    assert result.returncode == 0, result.stderr
    return work / "facts.draft.md"


def clean_failure(result, code: int = 2) -> str:
    """A refused command: the exit code, no traceback, a Chinese message on stderr."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert CHINESE.search(result.stderr), result.stderr
    return result.stderr


# ------------------------------------------------------------------ 2. 100 bullets or groups


def test_chinese_numbers_past_ninety_nine():
    assert [chinese_number(n) for n in (99, 100, 101, 110, 120, 1000, 1010, 1100)] == [
        "九十九", "一百", "一百零一", "一百一十", "一百二十", "一千", "一千零一十", "一千一百"
    ]


@pytest.mark.parametrize("grouped", [False, True])
def test_offline_write_with_a_hundred_bullets_or_groups(tmp_path, grouped):
    lines = ["# 履职成效"]
    for i in range(1, 101):
        lines += [f"## 专项{i}", f"- 完成第{i}项任务"] if grouped else [f"- 完成第{i}项任务"]
    (tmp_path / "f.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("write", "f.md", "--engine", "offline", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "f.draft.md").read_text(encoding="utf-8")
    assert ("（一百）专项100" if grouped else "一百是完成第100项任务") in text


def test_regen_section_zero_is_refused(drafted):
    before = drafted.read_bytes()
    err = clean_failure(run_cli("regen", drafted, "--section", "0", "--engine", "offline"))
    assert "没有“0”这一部分" in err
    assert drafted.read_bytes() == before


# ------------------------------------------------------------------ 5. draftbot.toml


def test_gbk_config_file_is_read(work):
    (work / "draftbot.toml").write_bytes('provider = "deepseek"\nmodel = "深度模型"\n'.encode("gbk"))
    result = run_cli("config", cwd=work)
    assert result.returncode == 0, result.stderr
    assert "深度模型" in result.stdout


@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda p: p.write_bytes(bytes(range(256)) * 20), "二进制"),
        (lambda p: p.mkdir(), "文件夹"),
        (lambda p: p.write_text("provider: deepseek\n", encoding="utf-8"), "第 1 行"),
    ],
    ids=["binary", "folder", "not-toml"],
)
@pytest.mark.parametrize("command", [("config",), ("write", "facts.md", "-o", "new.md"), ("regen", "facts.draft.md", "-s", "1")])
def test_broken_config_file_is_named(drafted, make, fragment, command):
    work = drafted.parent
    make(work / "draftbot.toml")
    before = [(work / name).read_bytes() for name in ("facts.md", "facts.draft.md")]
    err = clean_failure(run_cli(*command, cwd=work))
    assert "draftbot.toml" in err and fragment in err
    assert [(work / name).read_bytes() for name in ("facts.md", "facts.draft.md")] == before


# ------------------------------------------------------------------ 6. special files


def test_symlink_loop_as_output_or_facts(work):
    os.symlink("loop", work / "loop")
    err = clean_failure(run_cli("write", "facts.md", "-o", "loop", cwd=work))
    assert "符号链接" in err
    err = clean_failure(run_cli("write", "loop", cwd=work))
    assert "符号链接" in err
    run_cli("write", "facts.md", "--engine", "offline", cwd=work)
    err = clean_failure(run_cli("export", "facts.draft.md", "-o", "loop", cwd=work))
    os.symlink("loop2.docx", work / "loop2.docx")
    err = clean_failure(run_cli("export", "facts.draft.md", "-o", "loop2.docx", cwd=work))
    assert "符号链接" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_as_facts_is_refused_without_hanging(work):
    os.mkfifo(work / "pipe.md")
    err = clean_failure(run_cli("write", "pipe.md", cwd=work, timeout=20))
    assert "不是普通文件" in err
    err = clean_failure(run_cli("check", "pipe.md", cwd=work, timeout=20))
    assert "不是普通文件" in err


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_device_as_facts_is_refused(work):
    err = clean_failure(run_cli("write", "/dev/zero", cwd=work, timeout=20))
    assert "不是普通文件" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_pipe_as_output_is_refused_even_with_force(work):
    # a FIFO in the test's own folder, not /dev/null: a regression must not move a system device
    os.mkfifo(work / "pipe.md")
    err = clean_failure(run_cli("write", "facts.md", "-o", "pipe.md", "--force", cwd=work, timeout=20))
    assert "不是普通文件" in err
    assert (work / "pipe.md").is_fifo() and not list(work.glob("pipe.md.bak*"))


def test_oversized_facts_file_is_refused(work):
    big = work / "big.md"
    with open(big, "wb") as fh:
        fh.write(b"# \xe5\xb1\xa5\xe8\x81\x8c\n")
        fh.truncate(11_000_000)  # sparse: no 11 MB written to disk
    err = clean_failure(run_cli("write", "big.md", cwd=work))
    assert "太大" in err and "MB" in err
    assert not (work / "big.draft.md").exists()


# ------------------------------------------------------------------ 9. --base-url


@pytest.mark.parametrize("url", ["not a url::", "ftp://example.com/v1", "http://", "http://h:99999/v1"])
def test_bad_base_url_is_refused_before_any_request(work, url):
    err = clean_failure(run_cli("write", "facts.md", "--model", "m", "--base-url", url, cwd=work, timeout=20))
    assert "服务地址" in err and "--base-url" in err
    assert not (work / "facts.draft.md").exists()


def test_bad_base_url_in_config_names_the_file(work):
    (work / "draftbot.toml").write_text('base_url = "localhost:8000/v1"\nmodel = "m"\n', encoding="utf-8")
    err = clean_failure(run_cli("config", cwd=work))
    assert "服务地址" in err and "draftbot.toml" in err


def test_connection_failure_names_the_address(work):
    import socket

    with socket.socket() as s:  # a free loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    env = {"OPENAI_API_KEY": "sk-test-0123456789abcdef", "DRAFTBOT_HOME": str(work / "home")}
    (work / "home").mkdir()
    (work / "home" / "draftbot.toml").write_text("retries = 0\nbackoff = 0.01\n", encoding="utf-8")
    result = run_cli("write", "facts.md", "--model", "m", "--base-url", url, cwd=work, env=env)
    assert result.returncode == 3
    assert f"无法连接到 http://127.0.0.1:{port}：服务没有运行" in result.stderr + result.stdout


# ------------------------------------------------------------------ 10. empty bullets, NUL bytes


def test_empty_bullets_do_not_reach_the_draft(work):
    (work / "f.md").write_text("# 履职成效\n- \n-\n- 。\n- 完成项目18个\n* \n1. \n", encoding="utf-8")
    result = run_cli("write", "f.md", "--engine", "offline", cwd=work)
    assert result.returncode == 0, result.stderr
    draft = (work / "f.draft.md").read_text(encoding="utf-8")
    assert "完成项目18个" in draft
    assert not re.search(r"[是，]-[；，。]|是\*|是1\.", draft)


def test_nul_bytes_are_reported_with_their_line(work):
    data = ("# 履职成效\n" + "- 完成项目18个\n" * 400 + "- 坏\x00行\n").encode("utf-8")
    (work / "f.md").write_bytes(data)
    err = clean_failure(run_cli("write", "f.md", "--engine", "offline", cwd=work))
    assert "第 402 行" in err and "NUL" in err
    assert not (work / "f.draft.md").exists()


# ------------------------------------------------------------------ 11. what was not checked


def test_unclosed_front_matter_is_not_called_passed(drafted):
    text = drafted.read_text(encoding="utf-8")
    head, _, body = text.partition("\n---\n")
    drafted.write_text(head + "\n" + body, encoding="utf-8")  # the closing --- is gone
    result = run_cli("check", drafted)
    assert "检查通过：" not in result.stdout
    assert "没有结束的“---”" in result.stdout and "不能算检查通过" in result.stdout


def test_missing_facts_file_is_not_called_passed(drafted):
    (drafted.parent / "facts.md").unlink()
    result = run_cli("check", drafted)
    assert "检查通过：" not in result.stdout
    assert "找不到" in result.stdout and "不能算检查通过" in result.stdout
    as_json = run_cli("check", drafted, "--format", "json")
    assert '"complete": false' in as_json.stdout


def test_complete_check_still_passes(drafted):
    result = run_cli("check", drafted, "--format", "json")
    assert '"complete": true' in result.stdout


# ------------------------------------------------------------------ 13. Chinese help and usage errors


ENGLISH = ("Usage", "Options", "Arguments", "Commands", "[required]", "[default", "Show this message",
           "Missing", "No such", "Invalid value", "Error", "Try ")


@pytest.mark.parametrize(
    "args", [["--help"], ["write", "--help"], ["check", "--help"], ["regen", "--help"], ["export", "--help"],
             ["plans", "--help"], ["plans", "show", "--help"], ["config", "--help"]]
)
def test_help_is_chinese_and_wrapped_by_display_width(args):
    result = run_cli(*args, env={"COLUMNS": "80"})
    assert result.returncode == 0
    for word in ENGLISH:
        assert word not in result.stdout, word
    assert "用法：draftbot" in result.stdout and "选项：" in result.stdout
    width = lambda s: sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in s)  # noqa: E731
    assert max(width(line) for line in result.stdout.splitlines()) <= 80
    source = "".join(p.read_text(encoding="utf-8") for p in (REPO / "src" / "draftbot" / "cli").glob("*.py"))
    for word in set(re.findall(r"[A-Za-z][A-Za-z_]*", result.stdout)):  # no word cut in two
        assert re.search(rf"(?<![A-Za-z_]){word}(?![A-Za-z_])", source), word


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["write"], "缺少参数 要点文件"),
        (["write", "f.md", "--nope"], "没有 --nope 这个选项"),
        (["write", "f.md", "--concurrency", "0"], "--concurrency 的值无效"),
        (["write", "f.md", "--timeout", "abc"], "--timeout 的值无效"),
        (["nosuch"], "没有“nosuch”这个命令"),
        (["wrte", "f.md"], "没有“wrte”这个命令（是不是要用 write？）"),
        (["check", "x.md", "--period", "abc"], "--period 的值无效：“abc”不是整数"),
        (["plans", "shwo"], "没有“shwo”这个命令（是不是要用 show？）"),
        (["write", "a.md", "b.md"], "多余的参数"),
        (["check", "x.md", "--format"], "选项 --format 后面需要一个值"),
        (["plans", "show"], "缺少参数 提纲"),
    ],
)
def test_usage_errors_are_chinese(args, fragment):
    result = run_cli(*args)
    err = clean_failure(result)
    assert fragment in err and "--help 查看说明" in err
    for word in ENGLISH:
        assert word not in err, word


# ------------------------------------------------------------------ 14. small ones


def test_version():
    from draftbot import __version__

    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"draftbot {__version__}"


def test_debug_after_the_subcommand(work):
    result = run_cli("write", "nope.md", "--debug", cwd=work)
    assert result.returncode == 2
    assert "Traceback" in result.stderr and "找不到事实文件" in result.stderr


def test_internal_error_with_debug_exits_4(monkeypatch, capsys):
    import draftbot.plans
    from draftbot.cli import main

    def broken(name):
        raise RuntimeError("boom")

    monkeypatch.setattr(draftbot.plans, "load_plan", broken)
    for args in (["--debug", "plans", "show", "述职报告"], ["plans", "show", "述职报告"]):
        with pytest.raises(SystemExit) as exited:
            main(args)
        assert exited.value.code == 4
        err = capsys.readouterr().err
        assert "内部错误" in err and ("Traceback" in err) == ("--debug" in args)


def test_unknown_font_role_is_named(drafted):
    err = clean_failure(run_cli("export", drafted, "--font", "nosuch=宋体"))
    assert "nosuch" in err and "角色" in err


def test_repeated_section_is_regenerated_once(drafted):
    result = run_cli("regen", drafted, "--section", "3", "--section", "三", "--engine", "offline")
    assert result.returncode == 0, result.stderr
    done = next(line for line in result.stdout.splitlines() if line.startswith("已重新生成"))
    assert done.count("三、") == 1


def test_example_export_leaves_nothing_untracked():
    ignored = subprocess.run(
        ["git", "check-ignore", "examples/facts.docx", "examples/facts.docx.bak"], cwd=REPO,
        capture_output=True, text=True,
    )
    assert ignored.stdout.split() == ["examples/facts.docx", "examples/facts.docx.bak"]


def test_backups_are_bounded(drafted):
    for _ in range(4):
        assert run_cli("write", "facts.md", "--engine", "offline", "--force", cwd=drafted.parent).returncode == 0
    backups = sorted(p.name for p in drafted.parent.iterdir() if ".bak" in p.name)
    assert backups == ["facts.draft.md.bak", "facts.draft.md.bak.1"]
    assert load_draft(drafted.parent / "facts.draft.md.bak").sections


# ------------------------------------------------------------------ 1. failed opening and closing


def _fail_opening_and_closing(path):
    from draftbot.draft import make_failed_body

    draft = load_draft(path)
    draft.opening = make_failed_body("请求超时", "开头")
    draft.closing = make_failed_body("连接中断", "结尾")
    path.write_text(draft.render(), encoding="utf-8")


def test_failed_opening_and_closing_are_checked_commented_and_regenerated(drafted):
    import docx

    _fail_opening_and_closing(drafted)
    check = run_cli("check", drafted)
    assert check.returncode == 1
    assert "开头生成失败（请求超时）" in check.stdout and "结尾生成失败（连接中断）" in check.stdout
    assert "--section 开头" in check.stdout
    assert run_cli("export", drafted).returncode == 0
    comments = [c.text for c in docx.Document(drafted.with_name("facts.docx")).comments]
    assert any("开头生成失败" in c for c in comments) and any("结尾生成失败" in c for c in comments)
    result = run_cli("regen", drafted, "--failed", "--engine", "offline")
    assert result.returncode == 0, result.stderr
    assert "已重新生成：开头；结尾" in result.stdout
    after = load_draft(drafted)
    assert "draftbot:failed" not in after.opening + after.closing and "现将" in after.opening and after.closing
    assert run_cli("check", drafted).returncode == 0


def test_regen_opening_or_closing_by_name(drafted):
    _fail_opening_and_closing(drafted)
    result = run_cli("regen", drafted, "--section", "结尾", "--engine", "offline")
    assert result.returncode == 0, result.stderr
    after = load_draft(drafted)
    assert "draftbot:failed" in after.opening and "draftbot:failed" not in after.closing and after.closing


# ------------------------------------------------------------------ 3, 4. refuse before paying; never lose text


KEY = "sk-bad-input-0123456789abcdef"


def _llm_env(server):
    return {"OPENAI_BASE_URL": server.base_url, "DRAFTBOT_MODEL": "fake-model", "OPENAI_API_KEY": KEY}


def _unwritable_folder():
    for folder in ("/sys", "/proc"):
        try:
            open(os.path.join(folder, "draftbot-test-probe"), "x").close()
        except OSError:
            return folder
        os.unlink(os.path.join(folder, "draftbot-test-probe"))
    pytest.skip("no folder this user cannot write in")


def test_model_write_refuses_before_the_first_request(work, fake_openai):
    (work / "taken.md").write_text("我的稿子", encoding="utf-8")
    for out in ("nodir/x.md", f"{_unwritable_folder()}/x.md", "taken.md"):
        result = run_cli("write", "facts.md", "-o", out, cwd=work, env=_llm_env(fake_openai))
        clean_failure(result)
        assert fake_openai.chat_requests == [], out
    assert (work / "taken.md").read_text(encoding="utf-8") == "我的稿子"


def test_unwritable_output_folder_is_a_clean_refusal(drafted):
    folder = _unwritable_folder()
    err = clean_failure(run_cli("write", "facts.md", "--engine", "offline", "-o", f"{folder}/x.md",
                                cwd=drafted.parent))
    assert "不能写入" in err
    err = clean_failure(run_cli("export", drafted, "-o", f"{folder}/x.docx"))
    assert "不能写入" in err
    err = clean_failure(run_cli("export", drafted, "-o", "nodir/x.docx"))
    assert "不存在" in err


def test_failed_write_cleans_up_without_a_second_error(tmp_path, monkeypatch):
    from pathlib import Path

    from draftbot.errors import InputError
    from draftbot.textio import write_text_safely

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    monkeypatch.setattr(Path, "unlink", refuse)
    with pytest.raises(InputError) as raised:
        write_text_safely(tmp_path / "x.md", "正文")
    assert "无法写入" in raised.value.message


def test_text_is_rescued_when_the_folder_vanishes_during_a_model_write(work):
    import sys
    import time

    from clirun import cli_env
    from fake_openai import FakeOpenAI, Reply

    (work / "out").mkdir()
    with FakeOpenAI(default=Reply(content="本部分正文，一是抓学习；二是抓落实。", delay=1.0)) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "draftbot", "write", "facts.md", "-o", "out/x.md"], cwd=work,
            env=cli_env({**_llm_env(server), "TMPDIR": str(work)}), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )
        deadline = time.monotonic() + 30
        while not server.chat_requests and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.rmtree(work / "out")  # the folder goes away while the model writes
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "Traceback" not in err
    saved = re.search(r"已另存为：(\S+)", err)
    assert saved, err
    text = open(saved.group(1), encoding="utf-8").read()
    assert "本部分正文" in text and "## 四、" in text


# ------------------------------------------------------------------ 8. the retry hint after a failed regen


def test_failed_regen_hint_names_a_command_that_works(drafted):
    from fake_openai import FakeOpenAI, Reply

    (drafted.parent / "draftbot.toml").write_text("backoff = 0.01\nretries = 0\n", encoding="utf-8")
    with FakeOpenAI(default=Reply.error(500)) as server:
        server.on("第二部分", "第二部分的新正文。")  # 二 succeeds, 一 fails and keeps its old text
        result = run_cli("regen", drafted, "--section", "1", "--section", "2", cwd=drafted.parent,
                         env=_llm_env(server))
    assert result.returncode == 3
    assert not load_draft(drafted).section_by_number(1).failed  # so `--failed` would find nothing
    hint = re.search(r"稍后再次运行 (draftbot regen .+?)。", result.stderr)
    assert hint, result.stderr
    assert "--section 一" in hint.group(1) and "--section 二" not in hint.group(1)
    again = run_cli(*hint.group(1).split()[1:], "--engine", "offline", cwd=drafted.parent)
    assert again.returncode == 0, again.stderr


# ------------------------------------------------------------------ 14. a plain .txt


def test_check_hint_for_a_plain_text_works_and_regen_never_converts_it(drafted):
    text = drafted.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    text = text.replace("<!-- draftbot:closing -->\n", "").replace("56.8亿元", "99.9亿元")
    plain = drafted.with_name("述职报告.txt")
    plain.write_text(text, encoding="utf-8")
    err = clean_failure(run_cli("regen", plain, "--section", "4", "--engine", "offline", cwd=drafted.parent))
    assert "--facts" in err  # a plain text records no facts file
    check = run_cli("check", "述职报告.txt", "--facts", "facts.md", "--plan", "述职报告", cwd=drafted.parent)
    assert check.returncode == 1
    command = next(line.strip() for line in check.stdout.splitlines() if line.strip().startswith("draftbot regen"))
    assert "--facts facts.md --plan 述职报告" in command
    result = run_cli(*command.split()[1:], "--engine", "offline", cwd=drafted.parent)
    assert result.returncode == 0, result.stderr
    after = plain.read_text(encoding="utf-8")
    assert not after.startswith("---") and "56.8亿元" in after  # the one part rewritten, no front matter
    lines_before, lines_after = text.split("\n"), after.split("\n")
    assert lines_after[: lines_before.index(next(x for x in lines_before if x.startswith("## 四、")))] == \
        lines_before[: lines_before.index(next(x for x in lines_before if x.startswith("## 四、")))]


# ------------------------------------------------------------------ 15. sections without facts


def test_generic_text_of_a_section_without_facts_is_marked_and_reported(tmp_path):
    from draftbot.engines.offline import TO_CONFIRM

    (tmp_path / "f.md").write_text("---\nperiod: 2026年\n---\n# 履职成效\n- 全年新签约项目18个\n", encoding="utf-8")
    assert run_cli("write", "f.md", "--engine", "offline", cwd=tmp_path).returncode == 0
    draft = load_draft(tmp_path / "f.draft.md")
    marked = [s.number for s in draft.sections if TO_CONFIRM in s.body]
    assert "一" in marked and "四" not in marked  # 四 (履职成效) has the user's fact
    check = run_cli("check", "f.draft.md", "--format", "line", cwd=tmp_path)
    flagged = [line for line in check.stdout.splitlines() if TO_CONFIRM in line or "通用表述" in line]
    assert len(flagged) == len(marked)


def test_sections_with_facts_carry_no_marker(drafted):
    from draftbot.engines.offline import TO_CONFIRM

    assert TO_CONFIRM not in drafted.read_text(encoding="utf-8")


# ------------------------------------------------------------------ 7. huge drafts


def test_figures_by_blocks_are_the_figures_of_the_whole_text():
    from draftbot.figures import extract_figures, iter_figures

    text = "".join(f"第{i}项：完成投资{i}.5亿元，同比增长{i % 90}%，2026年{i % 12 + 1}月竣工。\n" for i in range(1, 3000))
    whole = [(f.start, f.end, f.text, f.dim, f.base) for f in extract_figures(text)]
    blocks = [(f.start, f.end, f.text, f.dim, f.base) for f in iter_figures(text, block=1000)]
    assert blocks == whole and len(whole) > 9000


def test_a_runaway_draft_lists_at_most_a_thousand_findings_per_rule(drafted):
    from draftbot.checks.run import MAX_PER_RULE

    text = drafted.read_text(encoding="utf-8")
    numbers = "".join(f"新签约项目{1000 + i}个；" for i in range(1500))
    drafted.write_text(text.replace("## 五、", numbers + "\n\n## 五、", 1), encoding="utf-8")
    result = run_cli("check", drafted, "--format", "line")
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if ":figure-ungrounded:" in line]
    assert len(lines) == MAX_PER_RULE + 1
    assert any("另有 500 处同类问题" in line for line in lines)
