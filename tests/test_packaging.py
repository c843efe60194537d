"""The wheel carries prompts/, samples/ and the plan data; an installed draftbot drafts without the repo."""

import site
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from clirun import EXAMPLE_FACTS, REPO

pytest.importorskip("hatchling")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(REPO),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return next(out.glob("draftbot-*.whl"))


def test_wheel_contains_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "draftbot/_bundled/samples/003.md" in names
    assert any(n.startswith("draftbot/_bundled/prompts/") for n in names)
    assert "draftbot/data/plans/述职报告.yaml" in names
    assert "draftbot/data/sample_noise.yaml" in names


def see_our_packages(env_dir) -> None:
    """Let a new venv import the packages of the environment running the tests (a venv of its own
    or the system's): its site-packages folders go on the new venv's path, after its own."""
    inner = subprocess.run(
        [env_dir / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    ours = dict.fromkeys([*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (Path(inner) / "draftbot-test-outer.pth").write_text("\n".join(ours) + "\n", encoding="utf-8")


def test_installed_wheel_drafts_outside_the_repo(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)  # isolated: it sees our packages through see_our_packages only
    see_our_packages(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    work = tmp_path / "work"
    work.mkdir()
    facts = work / "facts.md"
    facts.write_bytes(EXAMPLE_FACTS.read_bytes())
    result = subprocess.run(
        [env_dir / "bin" / "draftbot", "write", "facts.md"], cwd=work, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    draft = (work / "facts.draft.md").read_text(encoding="utf-8")
    assert "## 四、聚焦主责主业" in draft and "56.8亿元" in draft
    where = subprocess.run(
        [python, "-c", "import draftbot.resources as r; print(r.samples_dir())"],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert "_bundled" in where.stdout and str(REPO) not in where.stdout
