"""What an office user reads: an opening that joins unit and position as the genre does, the
leadership named from the facts, and sections named the way people name them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from clirun import EXAMPLE_FACTS, run_cli
from draftbot.draft import load_draft

FACT = "# 履职成效\n- 全年新签约项目18个\n"


def write(tmp_path: Path, meta: str) -> str:
    (tmp_path / "f.md").write_text(f"---\nperiod: 2026年\n{meta}---\n{FACT}", encoding="utf-8")
    result = run_cli("write", "f.md", "--engine", "offline", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return load_draft(tmp_path / "f.draft.md").opening


@pytest.mark.parametrize(
    "unit, position, expected",
    [
        ("清河县人民政府", "县委常委、副县长", "本人任清河县委常委、副县长"),
        ("青溪经济开发区", "党工委委员、管委会副主任", "本人任青溪经济开发区党工委委员、管委会副主任"),
        ("清河县", "县委常委、副县长", "本人任清河县委常委、副县长"),
        ("中共清河县委", "常委、组织部部长", "本人任中共清河县委常委、组织部部长"),
        ("王庄镇人民政府", "镇党委副书记、镇长", "本人任王庄镇党委副书记、镇长"),
        ("市教育局", "党组书记、局长", "本人任市教育局党组书记、局长"),
        ("清河县人民政府", "副县长", "本人任清河县人民政府副县长"),
        ("清河县人民政府", "清河县委常委、副县长", "本人任清河县委常委、副县长"),
    ],
)
def test_opening_joins_unit_and_position_as_the_genre_does(tmp_path, unit, position, expected):
    opening = write(tmp_path, f"unit: {unit}\nposition: {position}\n")
    assert f"{expected}。" in opening or f"{expected}，" in opening, opening


def test_leadership_comes_from_the_facts_else_the_generic_form(tmp_path):
    named = write(tmp_path, "unit: 清河县人民政府\nposition: 副县长\nleader: 县委、县政府\n")
    assert "在县委、县政府的坚强领导下" in named and "上级党委、政府" not in named
    (tmp_path / "f.draft.md").unlink()
    generic = write(tmp_path, "unit: 清河县人民政府\nposition: 副县长\n")
    assert "在上级党委、政府的坚强领导下" in generic and "{leader}" not in generic


def test_the_model_is_told_the_joined_role_and_the_leadership(tmp_path):
    (tmp_path / "f.md").write_text(
        f"---\nunit: 清河县人民政府\nposition: 县委常委、副县长\nleader: 县委、县政府\n---\n{FACT}", encoding="utf-8"
    )
    result = run_cli("write", "f.md", "--provider", "vllm", "--base-url", "http://127.0.0.1:9/v1", "--model", "m",
                     "--dry-run", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "本人任清河县委常委、副县长" in result.stdout
    assert "在县委、县政府的坚强领导下" in result.stdout and "{leader}" not in result.stdout


@pytest.fixture
def drafted(tmp_path):
    shutil.copy(EXAMPLE_FACTS, tmp_path / "facts.md")
    assert run_cli("write", "facts.md", "--engine", "offline", cwd=tmp_path).returncode == 0
    return tmp_path / "facts.draft.md"


@pytest.mark.parametrize(
    "spec, rewritten",
    [
        ("1", "一、坚定理想信念"),
        ("三", "三、勤勉敬业"),
        ("第三部分", "三、勤勉敬业"),
        ("履职成效", "四、聚焦主责主业"),  # the plan's name for the section (the example in regen --help)
        ("清正廉洁", "五、严守纪律规矩"),  # words of the heading
        ("（二）", "第四部分中的（二）项目建设"),  # a sub-item: only it is rewritten
        ("项目建设", "第四部分中的（二）项目建设"),  # the sub-item's words
        ("开头", "开头"),
        ("结尾", "结尾"),
    ],
)
def test_section_is_named_the_way_people_do(drafted, spec, rewritten):
    result = run_cli("regen", drafted, "--section", spec, "--engine", "offline")
    assert result.returncode == 0, result.stderr
    assert re.search(rf"已重新生成：{rewritten}", result.stdout), result.stdout


def test_a_missed_section_lists_the_sections_with_their_numbers(drafted):
    before = drafted.read_bytes()
    result = run_cli("regen", drafted, "--section", "精神文明", "--engine", "offline")
    assert result.returncode == 2
    assert "没有“精神文明”这一部分" in result.stderr
    for row in ("开头", "一、坚定理想信念，始终做到对党忠诚", "四、聚焦主责主业，推动各项工作取得实效",
                "（一）招商引资（在第四部分中）", "七、下一步工作打算", "结尾"):  # fmt: skip
        assert row in result.stderr, row
    assert drafted.read_bytes() == before


def test_small_things_a_secretary_trips_over(drafted, tmp_path):
    hint = run_cli("regen", drafted, "--section", "3", "--engine", "offline", "--hint", "更简练")
    assert hint.returncode == 0 and "不使用 --hint 的修改意见" in hint.stderr
    masked = run_cli("write", drafted.parent / "facts.md", "--engine", "offline", "--mask", "--force")
    assert masked.returncode == 0 and "保密模式无需生效" in masked.stderr
    assert "已换成占位符" not in masked.stderr  # offline sends nothing: no second, contradicting line
    local = run_cli("write", drafted.parent / "facts.md", "--local-only", "--provider", "deepseek", "--force")
    assert local.returncode == 2 and "仅限本地" in local.stderr and "密钥" not in local.stderr
    drafted.write_text(drafted.read_text(encoding="utf-8").replace("新签约项目18个", "新签约项目81个"), encoding="utf-8")
    line = run_cli("check", drafted, "--format", "line")
    rows = line.stdout.splitlines()
    assert rows and all(row.split(":")[3] in ("error", "warning", "info") for row in rows)
