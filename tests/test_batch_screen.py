"""`draftbot batch` output that fits a screen: one line per report and a summary, 千人一面 as a count
with the most similar pairs (the full list in a file), a counter that only goes up, money with its
currency."""

from __future__ import annotations

import re

from clirun import run_cli
from fake_openai import FakeOpenAI
from test_batch import KEY, echo_section, facts_text

NAMES = ["赵一", "钱二", "孙三", "李四", "周五", "吴六", "郑七", "王八", "冯九", "陈十"]


def copied_folder(tmp_path):
    """Ten reports whose work facts are word for word the same: every pair is 千人一面."""
    root = tmp_path / "facts"
    root.mkdir()
    for name in NAMES:
        (root / f"{name}.md").write_text(facts_text(name, "东山镇", "走访农户", 101), encoding="utf-8")
    (tmp_path / "draftbot.toml").write_text("backoff = 0.01\n", encoding="utf-8")
    return root


def test_offline_batch_fits_a_screen_and_writes_the_full_similar_list(tmp_path):
    folder = copied_folder(tmp_path)
    result = run_cli("batch", folder, "--engine", "offline", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) <= len(NAMES) + 8, result.stdout  # header, one per report, 千人一面 in a few, total
    for name in NAMES:
        assert sum(1 for line in lines if line.startswith(f"{name}.md")) == 1
    (head,) = [line for line in lines if line.startswith("千人一面：")]
    count, pairs = map(int, re.search(r"(\d+) 处段落几乎相同，涉及 (\d+) 对报告", head).groups())
    assert pairs == len(NAMES) * (len(NAMES) - 1) // 2 and count >= pairs
    listed = folder / "draftbot-batch-similar.txt"
    assert f"完整列表：{listed}" in result.stdout
    assert len(listed.read_text(encoding="utf-8").splitlines()) == count
    assert result.stdout.splitlines()[-1].startswith("合计：")
    again = run_cli("batch", folder, "--engine", "offline", cwd=tmp_path)  # the list is no facts file
    assert again.returncode == 0 and "draftbot-batch-similar.txt：" not in again.stderr


def test_counter_goes_up_by_one_when_not_a_terminal_and_costs_carry_the_currency(tmp_path):
    folder = copied_folder(tmp_path)
    with FakeOpenAI(responder=echo_section, usage_shape="deepseek") as srv:
        env = {"DEEPSEEK_API_KEY": KEY}
        result = run_cli("batch", folder, "--provider", "deepseek", "--base-url", srv.base_url,
                         "--concurrency", "8", cwd=tmp_path, env=env, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    counters = [int(n) for n in re.findall(r"^\[(\d+)/10\]", result.stderr, flags=re.M)]
    assert counters == list(range(1, 11))
    rows = [line for line in result.stdout.splitlines() if line.split(" ")[0].endswith(".md")]
    assert len(rows) == 10 and all("¥" in row for row in rows)
    assert re.search(r"估算费用 ¥\d", result.stdout)
