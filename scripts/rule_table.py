"""Write the rule table generated from the check registry into README.md (between the
`<!-- rules:begin -->` and `<!-- rules:end -->` markers).

Usage: python scripts/rule_table.py [--check]   (--check: only report whether README.md is current)
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from draftbot.checks.run import rule_table  # noqa: E402

BEGIN, END = "<!-- rules:begin -->\n", "<!-- rules:end -->"


def updated(readme: str) -> str:
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return head + BEGIN + rule_table() + END + tail


def main() -> int:
    path = REPO / "README.md"
    text = path.read_text(encoding="utf-8")
    new = updated(text)
    if "--check" in sys.argv[1:]:
        print("README.md 的规则表是最新的。" if new == text else "README.md 的规则表需要更新：python scripts/rule_table.py")
        return 0 if new == text else 1
    path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
