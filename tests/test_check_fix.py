"""`check --fix` and `--ignore` through the CLI: ignores first, no edit in URLs, code, file names or
figures, no ordinary-language "两个确定的", the file's encoding and line ends kept, symlinks written
through, a folder in place of the ignore file reported in Chinese."""

from __future__ import annotations

import os

import pytest

from clirun import run_cli

TEXT = "2024年度述职报告\n一、政治建设\n始终严于律已，坚决做到两个拥护。\n"


def write(tmp_path, text=TEXT, name="u.md", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_an_ignored_finding_is_never_fixed(tmp_path):
    path = write(tmp_path)
    run_cli(*["check", str(path), "--ignore", "typo:严于律已"])
    result = run_cli(*["check", str(path), "--fix"])
    fixed = path.read_text(encoding="utf-8")
    assert "严于律已" in fixed, result.stderr
    assert "两个维护" in fixed and "两个拥护" not in fixed


def test_ignore_and_fix_together_ignore_first_and_a_bad_ignore_leaves_the_file_alone(tmp_path):
    path = write(tmp_path)
    both = run_cli(*["check", str(path), "--ignore", "typo:严于律已", "--fix"])
    assert both.returncode != 2, both.stderr
    assert "严于律已" in path.read_text(encoding="utf-8")
    path = write(tmp_path, name="v.md")
    bad = run_cli(*["check", str(path), "--ignore", "formulation-noncanonical:不存在的提法", "--fix"])
    assert bad.returncode == 2 and "无法忽略" in bad.stderr
    assert path.read_text(encoding="utf-8") == TEXT
    assert not (tmp_path / "v.md.bak").exists()


def test_ordinary_words_urls_file_names_code_and_figures_are_not_changed(tmp_path):
    text = ("2024年度述职报告\n一、政治建设\n项目组明确了两个确定的时间节点和两个确定性目标，坚决做到两个拥护。\n"
            "资料见 http://example.cn/严于律已 和“严于律已.docx”，完成12\u200b3项。\n"
            "```\n严于律已\n```\n")
    path = write(tmp_path, text)
    result = run_cli(*["check", str(path), "--fix"])
    fixed = path.read_text(encoding="utf-8")
    assert "两个确定的时间节点和两个确定性目标" in fixed, result.stderr
    assert "两个维护" in fixed  # the real formulation is still fixed
    assert "http://example.cn/严于律已" in fixed and "“严于律已.docx”" in fixed
    assert "```\n严于律已\n```" in fixed
    assert "12\u200b3项" in fixed and "123项" not in fixed


@pytest.mark.parametrize("encoding,newline", [("gbk", "\r\n"), ("utf-8", "\r\n"), ("gbk", "\n")])
def test_fix_keeps_the_encoding_and_line_ends(tmp_path, encoding, newline):
    path = write(tmp_path, TEXT.replace("\n", newline), encoding=encoding)
    result = run_cli(*["check", str(path), "--fix"])
    data = path.read_bytes()
    text = data.decode(encoding)
    assert "严于律己" in text and "两个维护" in text, result.stderr
    assert text.count(newline) == TEXT.count("\n")
    if newline == "\n":
        assert b"\r" not in data


def test_fix_on_a_symlink_writes_through_to_its_target(tmp_path):
    target = write(tmp_path, name="real.md")
    link = tmp_path / "lnk.md"
    os.symlink(target, link)
    result = run_cli(*["check", str(link), "--fix"])
    assert link.is_symlink(), result.stderr
    assert "严于律己" in target.read_text(encoding="utf-8")


def test_an_ignore_file_that_is_a_folder_is_a_chinese_message(tmp_path):
    path = write(tmp_path)
    (tmp_path / "u.md.ignore.yaml").mkdir()
    for args in (["check", str(path)], ["check", str(path), "--ignore", "typo:严于律已"]):
        result = run_cli(*args)
        assert result.returncode == 2
        assert "文件夹" in result.stderr and "Errno" not in result.stderr + result.stdout
    assert path.read_text(encoding="utf-8") == TEXT
