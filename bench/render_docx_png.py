"""Render pages 1-2 of the example's .docx to PNG (docs/example-page1.png, -page2.png); time the export.

Steps: the offline draft of examples/facts.md -> docs/example.docx (GB/T 9704, fixed date) ->
LibreOffice headless PDF -> pdftoppm PNGs of pages 1 and 2. The 公文 fonts (仿宋_GB2312, 方正小标宋简体,
黑体, 楷体, 宋体) are rarely installed on Linux; a temporary fontconfig file maps them to Noto CJK
(and 楷体 to AR PL UKai when fonts-arphic-ukai is installed), only for this rendering.

It also measures, side by side: building the .docx in-process, and a cold `draftbot export`
against `python -c pass`; the table is printed and written to bench/results/render_docx.json
with the command that reproduces it.

Usage: python bench/render_docx_png.py [--dpi 96] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import REPO, time_command  # noqa: E402

sys.path.insert(0, str(REPO / "src"))
DOCS = REPO / "docs"
RESULTS = REPO / "bench" / "results" / "render_docx.json"
CREATED = "2027-01-08T09:00:00+08:00"  # fixed, so docs/example.docx only changes when the writer does

FONT_MAP = {
    # family in the .docx: (replacement, bold)
    "方正小标宋简体": ("Noto Serif CJK SC", True),
    "仿宋_GB2312": ("Noto Serif CJK SC", False),
    "仿宋": ("Noto Serif CJK SC", False),
    "黑体": ("Noto Sans CJK SC", False),
    "楷体": ("AR PL UKai CN", False),
    "楷体_GB2312": ("AR PL UKai CN", False),
    "宋体": ("Noto Serif CJK SC", False),
}


def fontconfig_file(folder: Path) -> Path:
    rules = []
    for family, (target, bold) in FONT_MAP.items():
        weight = (
            '<edit name="weight" mode="assign" binding="strong"><const>bold</const></edit>' if bold else ""
        )
        rules.append(
            f'<match target="pattern"><test name="family"><string>{family}</string></test>'
            f'<edit name="family" mode="prepend" binding="strong"><string>{target}</string>'
            f"<string>Noto Serif CJK SC</string></edit>{weight}</match>"
        )
    path = folder / "fonts.conf"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        + "\n".join(rules)
        + "\n</fontconfig>\n",
        encoding="utf-8",
    )
    return path


def example_draft():
    from draftbot.compose import compose_draft
    from draftbot.engines import get_engine
    from draftbot.facts import load_facts
    from draftbot.plans import resolve_plan
    from draftbot.samples import load_samples

    facts = load_facts(REPO / "examples" / "facts.md")
    draft, _, _ = compose_draft(
        facts,
        resolve_plan(None, facts),
        load_samples(),
        get_engine("offline"),
        out_path=DOCS / "example.draft.md",
    )
    draft.meta["created"] = CREATED
    draft.meta["facts"] = "../examples/facts.md"
    return draft


def render(docx: Path, pngs: list[Path], dpi: int) -> float:
    """PDF through LibreOffice, then page N of it to pngs[N-1] (grey PNG)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not shutil.which("pdftoppm"):
        sys.exit("需要 LibreOffice（soffice）和 poppler-utils（pdftoppm）。")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = dict(os.environ, FONTCONFIG_FILE=str(fontconfig_file(tmp)))
        start = time.perf_counter()
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={(tmp / 'profile').as_uri()}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(tmp),
                str(docx),
            ],
            check=True,
            capture_output=True,
            env=env,
            timeout=300,
        )
        seconds = time.perf_counter() - start
        pdf = tmp / f"{docx.stem}.pdf"
        for page, png in enumerate(pngs, start=1):
            subprocess.run(
                [
                    "pdftoppm",
                    "-f",
                    str(page),
                    "-l",
                    str(page),
                    "-r",
                    str(dpi),
                    "-gray",
                    "-png",
                    "-singlefile",
                    str(pdf),
                    str(png.with_suffix("")),
                ],
                check=True,
            )
    return seconds


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def cold(args: list[str], runs: int, cwd: Path) -> list[float]:
    time_command(args, cwd)  # warm the bytecode and file caches once
    return timed(lambda: time_command(args, cwd), runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=int, default=96)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()

    from draftbot.export.docx_writer import build_docx, write_docx

    DOCS.mkdir(exist_ok=True)
    draft = example_draft()
    docx = write_docx(draft, DOCS / "example.docx", source_text=draft.render())
    pngs = [DOCS / "example-page1.png", DOCS / "example-page2.png"]
    soffice_s = render(docx, pngs, options.dpi)

    build = timed(lambda: build_docx(draft, source_text=draft.render()), options.runs)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "d.draft.md").write_text(draft.render(), encoding="utf-8")
        shutil.copy(REPO / "examples" / "facts.md", tmp / "facts.md")
        text = (tmp / "d.draft.md").read_text(encoding="utf-8").replace("../examples/facts.md", "facts.md")
        (tmp / "d.draft.md").write_text(text, encoding="utf-8")
        baseline = cold([sys.executable, "-c", "pass"], options.runs, tmp)
        export = cold(
            [sys.executable, "-m", "draftbot", "export", "d.draft.md", "-o", "d.docx", "--force"],
            options.runs,
            tmp,
        )
        plain = cold(
            [
                sys.executable,
                "-m",
                "draftbot",
                "export",
                "d.draft.md",
                "-o",
                "d.docx",
                "--force",
                "--no-comments",
            ],
            options.runs,
            tmp,
        )

    rows = [
        ("python -c pass (baseline)", baseline),
        ("draftbot export (check + comments), cold", export),
        ("draftbot export --no-comments, cold", plain),
        ("build_docx in-process", build),
    ]
    print(f"{'measure':<44}{'median s':>10}{'min s':>10}")
    for name, values in rows:
        print(f"{name:<44}{statistics.median(values):>10.3f}{min(values):>10.3f}")
    print(
        f"LibreOffice PDF conversion: {soffice_s:.2f} s; pages 1-2 -> {', '.join(p.name for p in pngs)} in docs/"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "command": f"python bench/render_docx_png.py --dpi {options.dpi} --runs {options.runs}",
                "python": platform.python_version(),
                "machine": platform.machine(),
                "docx_bytes": docx.stat().st_size,
                "results_s": {
                    name: {"median": round(statistics.median(v), 4), "min": round(min(v), 4)}
                    for name, v in rows
                },
                "soffice_pdf_s": round(soffice_s, 2),
                "png": [str(p.relative_to(REPO)) for p in pngs],
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
