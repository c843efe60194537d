"""`draftbot check` on published reports against a reviewer's verdicts (../shared/real-reports).

Every finding the reviewer judged true (T) must still be reported at error level; none judged a false
alarm (F) may come back at error level; real reports get at most 2 errors on average. The reports are
others' texts: they are read from the shared folder beside the repository, never copied into it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from draftbot.checks.run import check_draft

REPO = Path(__file__).resolve().parent.parent


def shared_folder() -> Path | None:
    """shared/ beside the repository, or beside its parent (a worktree in wt/NAME; CI's clone)."""
    for candidate in (REPO.parent / "shared", REPO.parent.parent / "shared"):
        if (candidate / "real-reports" / "verdicts.tsv").is_file():
            return candidate
    return None


SHARED = shared_folder()
pytestmark = pytest.mark.skipif(
    SHARED is None, reason="../shared/real-reports (published reports and verdicts) is not beside the repository"
)


def table() -> list[tuple[Path, str, int]]:
    """(report file, plan, period) from the README table of the real-reports folder."""
    if SHARED is None:
        return []
    rows = []
    for line in (SHARED / "real-reports" / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[2].isdigit():
            continue
        for name in cells[0].replace("../seeds/", "").split(","):
            stem = name.strip().rstrip("…").strip().removesuffix(".txt")
            found = sorted((SHARED / "real-reports").glob(f"{stem}*.txt")) + sorted((SHARED / "seeds").glob(f"{stem}*.txt"))
            if stem and found:
                rows.append((found[0], cells[1], int(cells[2])))
    return rows


def verdicts() -> list[dict]:
    lines = (SHARED / "real-reports" / "verdicts.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, row.split("\t"), strict=False)) for row in lines[1:] if row.strip()]


def reported(verdict: dict, findings) -> bool:
    """Is the verdicted finding (file + rule + key) among `findings`?"""
    key = verdict["key"].strip()
    return any(f.rule == verdict["rule"] and (key in f.text.replace("\n", " ") or key in f.message) for f in findings)


ROWS = table()


@pytest.fixture(scope="module")
def reports() -> dict[str, object]:
    return {path.stem: check_draft(path, plan=plan, period=period) for path, plan, period in ROWS}


def test_the_table_names_every_report():
    assert len(ROWS) == 13
    assert all(path.is_file() for path, _, _ in ROWS)


@pytest.mark.parametrize("path", [row[0] for row in ROWS], ids=[row[0].stem[:12] for row in ROWS])
def test_true_findings_stay_errors_and_false_alarms_do_not_return(path: Path, reports):
    errors = [f for f in reports[path.stem].findings if f.level == "error"]
    mine = [v for v in verdicts() if v["file"] == path.stem]
    lost = [(v["rule"], v["key"]) for v in mine if v["verdict"] == "T" and not reported(v, errors)]
    back = [(v["rule"], v["key"]) for v in mine if v["verdict"] == "F" and reported(v, errors)]
    assert lost == [], "true findings no longer reported as errors"
    assert back == [], "false alarms reported as errors again"


def test_real_reports_average_few_errors_and_warnings(reports):
    """Errors (now including the true misspellings a proofreader marks) stay at 3 a report; errors and
    warnings together at most 4 (issue 19)."""
    real = [p.stem for p, _, _ in ROWS if p.parent.name == "real-reports"]
    errors = sum(1 for stem in real for f in reports[stem].findings if f.level == "error")
    loud = sum(1 for stem in real for f in reports[stem].findings if f.level in ("error", "warning"))
    assert len(real) == 8
    assert errors / len(real) <= 3
    assert loud / len(real) <= 4


def test_the_misspellings_a_proofreader_marks_are_found(reports):
    """The typos and doubled characters read by hand in the real reports (issue 19) are reported."""
    found = {f.text for stem, r in reports.items() for f in r.findings if f.rule in ("typo", "doubled-text")}
    for word in ("严于律已", "张驰有度", "淡薄名利", "份内", "衷爱", "急家长所及", "意见建设", "在在", "即"):
        assert word in found, word


def test_every_verdicted_true_finding_is_counted(reports):
    """The verdicts file has true findings for most reports: the comparison is not vacuous."""
    trues = [v for v in verdicts() if v["verdict"] == "T"]
    assert len(trues) >= 10
    assert all(reported(v, [f for f in reports[v["file"]].findings if f.level == "error"]) for v in trues)
