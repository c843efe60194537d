"""Confidential mode (`--mask`): how many names are masked, how many ordinary words are, and what it costs.

1. Recall per kind, through the real command line: each labelled facts file of
   tests/fixtures/masking/ (names marked {人:…} {地:…} {单:…} {企:…}) is drafted with
   `draftbot write --mask` against the loopback server (tests/fake_openai.py), every request body is
   captured, and a name counts as masked when neither it nor its NFKC form occurs in any body
   (goals: >= 98% of person names, >= 95% of place, unit and company names; 0 names in any body
   is the target the tests hold for the issue's cases).
2. False masks: the masked spans of each facts file (the table the run builds, plus what the last
   gate adds for the facts text) that overlap no labelled name, as a share of all masked spans;
   and, for ordinary official prose, what the finder takes for names in the built-in samples
   (anonymised texts; in a run they are marked as the program's own and not searched).
3. Overhead, whole process and side by side: `draftbot write examples/facts.md` against the
   loopback server with and without `--mask` (goal: <= 1.5 s more).

Usage: python bench/bench_mask.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

from benchlib import REPO, cli_env, draftbot, print_table, side_by_side, write_results

sys.path[:0] = [str(REPO / "tests"), str(REPO / "src")]

import labelled  # noqa: E402
from fake_openai import FakeOpenAI  # noqa: E402

GOALS = {"person_recall": 0.98, "other_recall": 0.95, "overhead_s": 1.5}
KINDS = ("人名", "地名", "单位", "企业")


def answer(body: dict) -> str:
    import re

    tail = body["messages"][-1]["content"]
    found = list(dict.fromkeys(re.findall(r"【(?:人名|单位|地名|企业)\d+】", tail)))
    return "本部分正文。" + "、".join(found) + "。一是抓学习；二是抓落实。"


def recall(sets: list[labelled.Labelled]) -> tuple[dict, list]:
    totals = {k: [0, 0] for k in KINDS}
    missed = []
    env = {**cli_env(), "DRAFTBOT_HOME": tempfile.mkdtemp(prefix="bench-mask-")}
    for item in sets:
        folder = Path(tempfile.mkdtemp(prefix="bench-mask-"))
        (folder / "facts.md").write_text(item.text, encoding="utf-8")
        with FakeOpenAI(responder=answer) as srv:
            run_env = {**env, "OPENAI_BASE_URL": srv.base_url, "DRAFTBOT_MODEL": "fake", "OPENAI_API_KEY": "sk-x"}
            subprocess.run(draftbot("write", "facts.md", "--mask", "--repair", "0"), cwd=folder, env=run_env,
                           check=True, capture_output=True)  # fmt: skip
            sent = "\n".join(r.raw.decode("utf-8") + str(r.body) for r in srv.requests)
        folded = unicodedata.normalize("NFKC", sent)
        for name, kind in item.names.items():
            ok = name not in sent and unicodedata.normalize("NFKC", name) not in folded
            totals[kind][0] += ok
            totals[kind][1] += 1
            if not ok:
                missed.append(f"{kind}:{name}")
        shutil.rmtree(folder, ignore_errors=True)
    return totals, missed


def false_masks(sets: list[labelled.Labelled]) -> dict:
    from draftbot.facts import parse_facts
    from draftbot.masking import build_table
    from draftbot.samples import load_samples

    masked = wrong = 0
    examples = []
    for item in sets:
        table = build_table(parse_facts(item.text))
        table.search(item.text)
        spans = item.spans()
        for entry in table.entries:
            start = item.text.find(entry.text)
            while start >= 0:
                end = start + len(entry.text)
                masked += 1
                if not any(s < end and start < e for s, e in spans):
                    wrong += 1
                    examples.append(entry.text)
                start = item.text.find(entry.text, end)
    samples = "\n".join(s.text for s in load_samples())
    prose = build_table(parse_facts("# x\n- x\n"))
    prose.add_found(samples, "范文")
    return {
        "masked_spans": masked,
        "false_masks": wrong,
        "false_mask_rate": round(wrong / masked, 4) if masked else 0.0,
        "false_mask_examples": sorted(set(examples)),
        "prose_chars": len(samples),
        "prose_taken_for_names": len(prose.entries),
        "prose_per_10k_chars": round(len(prose.entries) / len(samples) * 10_000, 1),
    }


def overhead(runs: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="bench-mask-"))
    shutil.copy(REPO / "examples" / "facts.md", folder / "facts.md")
    (folder / "draftbot.toml").write_text("backoff = 0.01\n", encoding="utf-8")
    with FakeOpenAI(responder=answer) as srv:
        os.environ.update({"OPENAI_BASE_URL": srv.base_url, "DRAFTBOT_MODEL": "fake", "OPENAI_API_KEY": "sk-x",
                           "DRAFTBOT_HOME": tempfile.mkdtemp(prefix="bench-mask-")})  # fmt: skip
        write = ["write", "facts.md", "-o", "out.md", "--force", "--repair", "0", "--no-log"]
        times = side_by_side({"write": draftbot(*write), "write --mask": draftbot(*write, "--mask")}, runs, folder)
    medians = print_table(times)
    return {"medians_s": medians, "overhead_s": round(medians["write --mask"] - medians["write"], 3),
            "runs": runs}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sets = labelled.load_all()
    totals, missed = recall(sets)
    print(f"labelled set: {sum(len(s.bullets()) for s in sets)} bullets, "
          f"{sum(len(s.labels) for s in sets)} names ({sum(len(s.names) for s in sets)} distinct)")  # fmt: skip
    print(f"{'kind':<8}{'masked':>8}{'names':>8}{'recall':>9}")
    for kind, (ok, n) in totals.items():
        print(f"{kind:<8}{ok:>8}{n:>8}{ok / n:>9.1%}")
    print("missed:", " ".join(missed) or "none")
    fm = false_masks(sets)
    print(f"false masks: {fm['false_masks']} of {fm['masked_spans']} masked spans ({fm['false_mask_rate']:.1%}): "
          f"{' '.join(fm['false_mask_examples'])}")  # fmt: skip
    print(f"ordinary prose (built-in samples, {fm['prose_chars']} chars): {fm['prose_taken_for_names']} taken for "
          f"names ({fm['prose_per_10k_chars']} per 10,000 chars)")  # fmt: skip
    cost = overhead(args.runs)
    print(f"--mask overhead: {cost['overhead_s']:.3f} s (goal <= {GOALS['overhead_s']} s)")
    write_results("mask", {
        "command": f"python bench/bench_mask.py --runs {args.runs}",
        "goals": GOALS,
        "recall": {k: {"masked": ok, "names": n, "recall": round(ok / n, 4)} for k, (ok, n) in totals.items()},
        "missed": missed,
        **fm,
        "overhead": cost,
        "load_average_1min": round(os.getloadavg()[0], 2),
    })  # fmt: skip


if __name__ == "__main__":
    main()
