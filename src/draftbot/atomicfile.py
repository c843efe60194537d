"""Writing a file so that it holds either its old content or the complete new one, never a part.

Every file draftbot writes (drafts, Word files, the journal, the batch manifest, the data cache)
goes through `replace_file`: the new content goes to a temporary file that tempfile.mkstemp creates
exclusively (O_EXCL, a random name) in the target's own folder, so no existing file or symlink is
ever opened or followed; it is flushed and fsynced, then moved over the target with os.replace,
which is atomic within one folder. On failure the temporary file is removed and the target is as
it was. `save_file` adds what a command needs: the error in Chinese, and for content that cost
something (a drafted text), a rescue copy whose place the error names.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from draftbot.errors import InputError, os_message


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Read once at import, before any worker thread runs: os.umask can only be read by setting it.
_UMASK = _read_umask()


def backup_path(path: Path) -> Path:
    """Where the file about to be replaced goes: path.bak the first time (kept from then on: it is
    usually the user's own version), later path.bak.1, each time replacing the one before.
    Never more than two backups, however often --force is used."""
    first = path.with_name(path.name + ".bak")
    return first if not first.exists() else path.with_name(path.name + ".bak.1")


def move_aside(path: Path, to: Path) -> None:
    """Rename `path` to `to` (replacing `to`), e.g. a damaged file kept as its backup."""
    os.replace(path, to)


def replace_file(path: Path, data: bytes, *, keep_backup: bool = False, mode: int | None = None) -> Path | None:
    """Make `path` hold `data` atomically; with `keep_backup`, an old file moves to backup_path(path)
    first; `mode`: its permissions (e.g. 0o600 for a keys file), else those of the file it replaces
    or the usual ones. Returns the backup's path when one was made. Raises OSError, the target
    unchanged and no temporary file left behind."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    backup = None
    try:
        with os.fdopen(handle, "wb") as fh:
            if hasattr(os, "fchmod"):  # not on Windows, where the folder's permissions apply
                os.fchmod(fh.fileno(), _mode_for(path) if mode is None else mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if keep_backup and os.path.lexists(path):
            backup = backup_path(path)
            os.replace(path, backup)
        try:
            os.replace(tmp, path)
        except OSError:
            if backup is not None:
                _quietly(os.replace, backup, path)  # the old file back where it was
            raise
    except BaseException:
        _quietly(os.unlink, tmp)  # clean-up never raises a second error over the first
        raise
    return backup


def lock_file(fh, *, wait: bool) -> None:
    """Take an exclusive OS lock on the open file `fh` (released when it is closed, also when the
    process dies). `wait`: block until it is free; else raise OSError at once if another holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the lock file `path` (created if missing) while the block runs, waiting for another
    process that holds it: a read-modify-replace of a shared file inside it loses no one's update.
    Raises OSError when the lock file cannot be opened or locked."""
    with open(path, "a+b") as fh:
        lock_file(fh, wait=True)
        yield


def save_file(path: Path, data: bytes, *, what: str = "文件", keep_backup: bool = False,
              precious: bool = False) -> Path | None:
    """replace_file, with a failure reported as InputError in Chinese. `precious`: content that must
    not be lost (a drafted text): on failure it goes to a rescue file beside the target (else in the
    temporary folder, else the home folder), and the error says where."""
    try:
        return replace_file(path, data, keep_backup=keep_backup)
    except OSError as exc:
        error = InputError(f"无法写入{what}“{path}”：{os_message(exc)}")
        raise (rescued(error, path, data) if precious else error) from exc


def rescued(error: InputError, path: Path, data: bytes) -> InputError:
    """`error` about a file that could not be written, after saving `data` to a rescue file: the
    message then says where it went (`error` as it is when no rescue file can be written)."""
    rescue = rescue_copy(path, data)
    if rescue is None:
        return error
    return InputError(
        f"{error.message} 生成的内容没有丢失，已另存为：{rescue}",
        hint="把这个文件移到需要的位置（或检查输出文件夹后再运行一次）。",
    )


def rescue_copy(path: Path, data: bytes) -> Path | None:
    """Write `data` to a new file named after `path`: beside it, else in the temporary folder, else
    in the home folder. None if none of them can be written."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for folder in (path.parent, Path(tempfile.gettempdir()), Path.home()):
        try:
            handle, name = tempfile.mkstemp(prefix=f"{path.stem}-未保存-{stamp}-", suffix=path.suffix,
                                            dir=folder)
        except OSError:
            continue
        try:
            with os.fdopen(handle, "wb") as fh:
                fh.write(data)
            return Path(name)
        except OSError:
            _quietly(os.unlink, name)
    return None


def _mode_for(path: Path) -> int:
    """The permissions the file gets: those of the file it replaces, else the usual ones (umask),
    as if any editor had saved it (mkstemp alone would make it private)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_UMASK


def _quietly(action, *args) -> None:
    try:
        action(*args)
    except OSError:
        pass
