"""Reading users' text files whatever Windows editor saved them, and writing files without losing any."""

from __future__ import annotations

import os
from pathlib import Path

from draftbot.errors import InputError

_ENCODINGS = ("utf-8", "gb18030")  # a UTF-8 BOM is stripped by _normalise (no utf-8-sig codec import)


def decode_bytes(data: bytes, label: str) -> str:
    """Decode UTF-8 (with or without BOM) or GB18030/GBK; normalise newlines to LF."""
    if b"\x00" in data[:4096]:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
            return _normalise(text)
        raise InputError(
            f"{label} 不是文本文件（疑似二进制文件），请提供 UTF-8 或 GBK 编码的 .md/.txt 文件。"
        )
    for encoding in _ENCODINGS:
        try:
            return _normalise(data.decode(encoding))
        except UnicodeDecodeError:
            continue
    raise InputError(f"{label} 无法识别编码：请另存为 UTF-8 或 GBK（ANSI）编码后重试。")


def _normalise(text: str) -> str:
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def read_bytes(path: Path, what: str = "文件") -> bytes:
    label = f"{what}“{path}”"
    if not path.exists():
        raise InputError(f"找不到{label}，请检查路径是否正确。")
    if path.is_dir():
        raise InputError(f"{label}是一个文件夹，请指定文件。")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"无法读取{label}：{exc.strerror or exc}") from exc


def read_text(path: str | os.PathLike[str], what: str = "文件") -> str:
    path = Path(path)
    return decode_bytes(read_bytes(path, what), f"{what}“{path}”")


def sha256_bytes(data: bytes) -> str:
    try:  # CPython's own SHA-256: the same digest, without hashlib loading OpenSSL (~4 ms at start-up)
        from _sha256 import sha256
    except ImportError:  # renamed in later Pythons
        from hashlib import sha256
    return sha256(data).hexdigest()


def backup_path(path: Path) -> Path:
    """The first free name of path.bak, path.bak.1, path.bak.2 …"""
    candidate = path.with_name(path.name + ".bak")
    index = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.bak.{index}")
        index += 1
    return candidate


def check_target(path: Path, *, force: bool = False, what: str = "文件") -> None:
    """Refuse, before any work, an output path that is a folder, sits in a missing folder, or
    names an existing file while `force` is off."""
    if path.is_dir():
        raise InputError(f"输出路径“{path}”是一个文件夹，请指定文件名。")
    if path.exists() and not force:
        raise InputError(
            f"{what}“{path}”已存在，未覆盖。",
            hint="加 --force 覆盖（旧文件会保留为 .bak 备份），或用 -o 指定新的文件名。",
        )
    if not path.parent.exists():
        raise InputError(f"输出文件夹“{path.parent}”不存在。")


def write_text_safely(path: Path, text: str, *, force: bool = False, what: str = "文件") -> Path | None:
    """Write atomically; never overwrite without `force`, and then keep the old file as a backup.

    Returns the backup's path when one was made.
    """
    check_target(path, force=force, what=what)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8", newline="\n")
        backup = None
        if path.exists():
            backup = backup_path(path)
            os.replace(path, backup)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"无法写入{what}“{path}”：{exc.strerror or exc}") from exc
    return backup
