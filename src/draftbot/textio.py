"""Reading users' text files whatever Windows editor saved them, and writing files without losing any."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from draftbot.atomicfile import rescued, save_file
from draftbot.errors import InputError, os_message

MAX_BYTES = 100_000_000  # a draft or sample (a real report is tens of KB)
MAX_FACTS_BYTES = 10_000_000
_ENCODINGS = ("utf-8", "gb18030")  # a UTF-8 BOM is stripped by _normalise (no utf-8-sig codec import)


def decode_bytes(data: bytes, label: str) -> str:
    """Decode UTF-8 (with or without BOM) or GB18030/GBK; normalise newlines to LF."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _normalise(data.decode("utf-16"))
        except UnicodeDecodeError:
            pass
    nul = data.find(b"\x00")
    if 0 <= nul < 4096:
        raise InputError(
            f"{label} 不是文本文件（疑似二进制文件），请提供 UTF-8 或 GBK 编码的文本文件（如 .md、.txt）。"
        )
    if nul != -1:
        line = data.count(b"\n", 0, nul) + 1
        raise InputError(
            f"{label}第 {line} 行有 NUL 控制字符，文件可能已损坏：请删去后重试。"
        )
    for encoding in _ENCODINGS:
        try:
            return _normalise(data.decode(encoding))
        except UnicodeDecodeError:
            continue
    raise InputError(f"{label} 无法识别编码：请另存为 UTF-8 或 GBK（ANSI）编码后重试。")


def _normalise(text: str) -> str:
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def regular_file(path: Path, label: str) -> int:
    """The size of `path` when it is a regular file; a clear InputError for everything else
    (missing, a folder, a symlink loop, a FIFO or device that would hang or never end)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"找不到{label}，请检查路径是否正确。") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{label}是循环的符号链接（指向自己），请指定真实的文件。") from None
        raise InputError(f"无法读取{label}：{os_message(exc)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{label}是一个文件夹，请指定文件。")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{label}不是普通文件（可能是管道或设备），请指定一个保存在磁盘上的文件。")
    return info.st_size


def read_bytes(path: Path, what: str = "文件", limit: int = MAX_BYTES) -> bytes:
    """A regular file's bytes, at most `limit` of them (a clear message for a larger file)."""
    label = f"{what}“{path}”"
    size = regular_file(path, label)
    try:
        with open(path, "rb") as fh:  # read(n) reserves n bytes at once: ask for what is there
            data = fh.read(min(size, limit) + 1)
    except OSError as exc:
        raise InputError(f"无法读取{label}：{os_message(exc)}") from exc
    if max(size, len(data)) > limit:
        raise InputError(
            f"{label}太大（{max(size, len(data)) / 1e6:.1f} MB），超过了 {limit / 1e6:g} MB 的上限。",
            hint="请确认文件选对了：述职报告和要点通常只有几十 KB。",
        )
    return data


def _check_kind(path: Path) -> None:
    """Refuse an output path that is a folder, a device, a pipe or a symlink loop."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"输出路径“{path}”是循环的符号链接，请指定新的文件名。") from None
        raise InputError(f"无法使用输出路径“{path}”：{os_message(exc)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"输出路径“{path}”是一个文件夹，请指定文件名。")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"输出路径“{path}”不是普通文件（可能是管道或设备），请指定新的文件名。")


def resolved(path: Path) -> Path:
    """path.resolve(), or the absolute path when it cannot be resolved (a symlink loop)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def read_text(path: str | os.PathLike[str], what: str = "文件", limit: int = MAX_BYTES) -> str:
    path = Path(path)
    return decode_bytes(read_bytes(path, what, limit), f"{what}“{path}”")


def sha256_bytes(data: bytes) -> str:
    try:  # CPython's own SHA-256: the same digest, without hashlib loading OpenSSL (~4 ms at start-up)
        from _sha256 import sha256
    except ImportError:  # renamed in later Pythons
        from hashlib import sha256
    return sha256(data).hexdigest()


def check_target(path: Path, *, force: bool = False, what: str = "文件") -> None:
    """Refuse, before any work, an output path that is a folder, a device, a pipe or a symlink loop,
    sits in a missing or unwritable folder, or names an existing file while `force` is off."""
    _check_kind(path)
    if path.exists() and not force:
        raise InputError(
            f"{what}“{path}”已存在，未覆盖。",
            hint="加 --force 覆盖（旧文件会保留为 .bak 备份），或用 -o 指定新的文件名。",
        )
    if not path.parent.exists():
        raise InputError(f"输出文件夹“{path.parent}”不存在。")
    check_writable_folder(path.parent)


def check_writable_folder(folder: Path) -> None:
    """Refuse a folder no file can be written in (read-only, no permission, not a folder): tried
    with a small file that is removed at once, since permission bits do not tell (root, mounts)."""
    try:
        handle, probe = tempfile.mkstemp(prefix=".draftbot-probe-", dir=folder)
        os.close(handle)
    except OSError as exc:
        raise InputError(
            f"输出文件夹“{folder}”不能写入（{os_message(exc)}）。",
            hint="请用 -o 指定一个可以写入的位置，或检查文件夹的权限。",
        ) from None
    _remove_quietly(Path(probe))


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def write_text_safely(path: Path, text: str, *, force: bool = False, what: str = "文件",
                      precious: bool = False) -> Path | None:
    """Write atomically (draftbot.atomicfile); never overwrite without `force`, and then keep the old
    file as a backup. `precious`: on failure the text goes to a rescue file the error names.

    Returns the backup's path when one was made.
    """
    from draftbot.redact import clean  # no secret is ever written into a user's file

    return write_bytes_safely(path, clean(text).encode("utf-8"), force=force, what=what, precious=precious)


def write_bytes_safely(path: Path, data: bytes, *, force: bool = False, what: str = "文件",
                       precious: bool = False) -> Path | None:
    """write_text_safely for bytes: the new file is complete before the old one moves to its backup."""
    try:
        check_target(path, force=force, what=what)
    except InputError as exc:
        if precious:
            raise rescued(exc, path, data) from exc
        raise
    return save_file(path, data, what=what, keep_backup=True, precious=precious)


@contextmanager
def folder_lock(folder: Path):
    """Hold an exclusive OS lock on `folder` (no file is made; released on exit, or by the OS when
    the process dies): read-then-write of a file in it by two draftbot runs happens one at a time.
    A no-op where folders cannot be locked (Windows)."""
    try:
        import fcntl

        handle = os.open(folder, os.O_RDONLY)
    except (ImportError, OSError):
        yield
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock
