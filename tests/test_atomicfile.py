"""Every file draftbot writes goes through one atomic write (draftbot.atomicfile): a temporary file
that no planted symlink can redirect, the old file untouched on failure, nothing left behind."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from clirun import EXAMPLE_FACTS, SRC, cli_env, run_cli


@pytest.fixture
def work(tmp_path):
    (tmp_path / "out").mkdir()
    shutil.copy(EXAMPLE_FACTS, tmp_path / "facts.md")
    return tmp_path


def _old_temp_names(name: str) -> list[str]:
    """The predictable temporary names draftbot's writers once used beside `name`."""
    pid = os.getpid()
    return [f".{name}.tmp{pid}", f".{name}.{pid}.tmp", f"{name}.{pid}.tmp"]


def _plant(folder, names, victim) -> list:
    links = [folder / f".draftbot-probe-{os.getpid()}"]
    links += [folder / temp for name in names for temp in _old_temp_names(name)]
    for link in links:
        link.symlink_to(victim)
    return links


def _write_draft_and_word(work):
    from draftbot.workflow import write_report

    result = write_report(work / "facts.md", output=work / "out" / "x.md", docx=True)
    assert result.export is not None and result.export_error is None


def _mark_reviewed(work):
    from draftbot.workflow import mark_reviewed, write_report

    write_report(work / "facts.md", output=work / "out" / "x.md")
    (work / "out" / "x.md.bak").write_text("旧备份", encoding="utf-8")
    mark_reviewed(work / "out" / "x.md", "三")
    assert "reviewed" in (work / "out" / "x.md").read_text(encoding="utf-8")


def _journal(work):
    from draftbot.journal import Journal

    journal = Journal.start(work / "out" / "x.journal.json", {"facts": "abc"})
    journal.sections["s1"] = {"body": "正文", "usage": None}
    journal.save()
    assert '"正文"' in (work / "out" / "x.journal.json").read_text(encoding="utf-8")


def _manifest(work):
    from draftbot.batch import Manifest

    manifest = Manifest(work / "out" / "draftbot-batch.json")
    manifest.put(work / "facts.md", status="done")
    assert '"done"' in (work / "out" / "draftbot-batch.json").read_text(encoding="utf-8")


def _keys_file(work):
    from draftbot.config import write_private

    write_private(work / "out" / "keys.toml", 'deepseek = "sk-test"\n', private=True)
    assert (work / "out" / "keys.toml").stat().st_mode & 0o777 == 0o600  # readable by its owner only


# each writer and the files it writes in out/
WRITERS = {"draft and Word file": (_write_draft_and_word, ["x.md", "x.docx"]),
           "review mark": (_mark_reviewed, ["x.md"]),
           "journal": (_journal, ["x.journal.json"]),
           "batch manifest": (_manifest, ["draftbot-batch.json"]),
           "keys file": (_keys_file, ["keys.toml"])}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_symlinks_planted_at_the_old_temporary_names_are_not_followed(work, writer):
    victim = work / "victim.txt"
    victim.write_text("别人的文件", encoding="utf-8")
    write, names = WRITERS[writer]
    links = _plant(work / "out", names, victim)
    write(work)
    assert victim.read_text(encoding="utf-8") == "别人的文件"
    for name in names:
        assert not (work / "out" / name).is_symlink() and (work / "out" / name).stat().st_size > 0
    assert all(link.is_symlink() and os.readlink(link) == str(victim) for link in links)
    assert not [p.name for p in (work / "out").iterdir() if p.name.endswith(".tmp") and not p.is_symlink()]


def test_the_data_cache_does_not_follow_a_planted_symlink(tmp_path, monkeypatch):
    from draftbot import datacache

    victim = tmp_path / "victim.txt"
    victim.write_text("别人的文件", encoding="utf-8")
    cache = datacache.cache_file()
    cache.parent.mkdir(parents=True, exist_ok=True)
    links = _plant(cache.parent, [cache.name], victim)
    monkeypatch.setattr(datacache, "_entries", None)  # as in a fresh process
    assert datacache.parsed("test-1", "名单", "甲\n乙", lambda text: text.split("\n")) == ["甲", "乙"]
    assert victim.read_text(encoding="utf-8") == "别人的文件"
    assert not cache.is_symlink() and datacache.read_marshal_dict(cache)
    assert all(link.is_symlink() for link in links)


def _limited_file_size(limit: int):
    def limit_size():
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_size


def test_a_failure_mid_write_leaves_the_old_draft_and_no_temporary_file(work):
    """A real failure in the middle of writing: files may not grow past 1,000 bytes (as on a full
    disk), and the new draft is longer. The old draft stays byte for byte, nothing is left over."""
    pytest.importorskip("resource")
    target = work / "out" / "x.md"
    target.write_text("我改过的旧稿", encoding="utf-8")
    spare = {name: work / name for name in ("tmp", "home")}
    for folder in spare.values():
        folder.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "draftbot", "write", "facts.md", "-o", "out/x.md", "--force"], cwd=work,
        env=cli_env({"TMPDIR": str(spare["tmp"]), "HOME": str(spare["home"]), "PYTHONDONTWRITEBYTECODE": "1"}),
        capture_output=True, text=True, encoding="utf-8", timeout=60, preexec_fn=_limited_file_size(1000),
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "无法写入草稿" in proc.stderr and str(SRC) not in proc.stderr
    assert target.read_text(encoding="utf-8") == "我改过的旧稿"
    # no backup, no temporary file: only the journal a --resume would use
    assert sorted(p.name for p in (work / "out").iterdir()) == ["x.md", "x.md.journal.json"]
    assert all(not any(folder.iterdir()) for folder in spare.values())  # failed rescue copies removed too


def test_a_drafted_text_that_cannot_be_saved_is_rescued_beside_the_target(work):
    """The old draft cannot move to its backup (x.md.bak.1 is a folder): the draft stays as it was
    and the new text is saved beside it, under a name the message gives."""
    target = work / "out" / "x.md"
    target.write_text("我改过的旧稿", encoding="utf-8")
    (work / "out" / "x.md.bak").write_text("第一版", encoding="utf-8")
    (work / "out" / "x.md.bak.1").mkdir()
    (work / "out" / "x.md.bak.1" / "别的文件").write_text("占位", encoding="utf-8")
    result = run_cli("write", "facts.md", "-o", "out/x.md", "--force", cwd=work)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "无法写入草稿" in result.stderr
    saved = re.search(r"已另存为：(\S+)", result.stderr)
    assert saved, result.stderr
    rescued = work / saved.group(1)
    assert rescued.parent == work / "out" and "## 一、" in rescued.read_text(encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "我改过的旧稿"
    assert (work / "out" / "x.md.bak").read_text(encoding="utf-8") == "第一版"
    left = sorted(p.name for p in (work / "out").iterdir())
    assert left == sorted(["x.md", "x.md.bak", "x.md.bak.1", "x.md.journal.json", rescued.name])


def test_write_force_into_a_folder_keeps_the_backups_as_before(work):
    """The first old file stays as .bak, the latest one before each --force as .bak.1; nothing else."""
    target = work / "out" / "x.md"
    assert run_cli("write", "facts.md", "-o", "out/x.md", cwd=work).returncode == 0
    versions = []
    for round_ in range(3):
        target.write_text(target.read_text(encoding="utf-8") + f"\n手改{round_}\n", encoding="utf-8")
        versions.append(target.read_text(encoding="utf-8"))
        result = run_cli("write", "facts.md", "-o", "out/x.md", "--force", cwd=work)
        assert result.returncode == 0, result.stderr
        assert "手改" not in target.read_text(encoding="utf-8")
    assert (work / "out" / "x.md.bak").read_text(encoding="utf-8") == versions[0]
    assert (work / "out" / "x.md.bak.1").read_text(encoding="utf-8") == versions[-1]
    assert sorted(p.name for p in (work / "out").iterdir()) == ["x.md", "x.md.bak", "x.md.bak.1"]
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())  # as any editor saves it


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
