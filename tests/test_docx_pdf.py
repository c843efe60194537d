"""The exported .docx as LibreOffice prints it: text, page numbers, 28 characters and 22 lines.

Needs soffice and pdftotext (CI installs libreoffice-writer-nogui, poppler-utils, fonts-noto-cjk).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("docx")

from draftbot.export.docx_writer import write_docx  # noqa: E402
from test_docx_export import sample_draft  # noqa: E402

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
pytestmark = pytest.mark.skipif(not (SOFFICE and PDFTOTEXT), reason="LibreOffice or pdftotext not installed")

LONG = "全面落实安全生产责任制度推动园区产业转型升级持续优化营商环境服务企业发展" * 6  # no punctuation


def to_pdf(docx_path: Path, tmp: Path) -> Path:
    profile = (tmp / "lo-profile").as_uri()
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp),
            str(docx_path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = tmp / (docx_path.stem + ".pdf")
    assert pdf.exists()
    return pdf


def pdf_text(pdf: Path, *args: str) -> str:
    return subprocess.run(
        [PDFTOTEXT, *args, str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pdf")
    draft = sample_draft()
    filler = "\n".join([LONG] * 12)
    draft.sections[2].body += "\n" + filler
    return to_pdf(write_docx(draft, tmp / "report.docx"), tmp)


def pages(pdf: Path) -> list[str]:
    return pdf_text(pdf).split("\f")[:-1]


def test_text_is_in_the_pdf(pdf):
    text = re.sub(r"\s+", "", pdf_text(pdf))
    for expected in (
        "2026年度个人述职报告",
        "一、坚定理想信念，始终做到对党忠诚",
        "（一）加强理论武装。",
        "协议总投资56.8亿元",
        "以上述职，请各位领导和同志们评议。",
    ):
        assert expected in text


def test_page_numbers_with_dashes(pdf):
    texts = pages(pdf)
    assert len(texts) >= 3
    for number, page in enumerate(texts, start=1):
        assert re.search(rf"—\s*{number}\s*—", page), page[-200:]


def test_odd_page_numbers_right_even_left(pdf):
    boxes = pdf_text(pdf, "-bbox")
    width = float(re.search(r'<page width="([\d.]+)"', boxes).group(1))
    for number, page in enumerate(boxes.split("<page ")[1:4], start=1):
        words = re.findall(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', page
        )
        digits = [(float(x0), float(x1)) for x0, x1, word in words if re.fullmatch(rf"—?{number}—?", word)]
        assert digits, page[-500:]
        x0, x1 = digits[-1]
        if number % 2:
            assert x0 > width / 2, (number, x0)
        else:
            assert x1 < width / 2, (number, x1)


def test_28_characters_per_line_and_22_lines_per_page(pdf):
    lines = [line.strip() for line in pdf_text(pdf).split("\n")]
    runs = [line for line in lines if line and line in LONG * 2]
    # neither a paragraph's first (indented) line nor its last one
    full = [line for line in runs if not LONG.startswith(line) and not LONG.endswith(line)]
    assert full and {len(line) for line in full} == {28}
    firsts = [line for line in runs if LONG.startswith(line) and len(line) < 28]
    assert firsts and {len(line) for line in firsts} == {26}  # two characters of indent
    body_page = pages(pdf)[1]
    body_lines = [
        line for line in body_page.split("\n") if line.strip() and not re.fullmatch(r"—\s*\d+\s*—", line)
    ]
    assert len(body_lines) == 22


def test_resaved_by_libreoffice_reads_back_the_same(tmp_path):
    """A user opens the export in another word processor and saves it: the draft survives."""
    from draftbot.draft import load_draft

    original = sample_draft()
    exported = write_docx(original, tmp_path / "report.docx")
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "docx:MS Word 2007 XML",
         "--outdir", str(tmp_path / "resaved"), str(exported)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    resaved = tmp_path / "resaved" / "report.docx"
    assert resaved.read_bytes() != exported.read_bytes()
    assert load_draft(resaved).render() == original.render()
