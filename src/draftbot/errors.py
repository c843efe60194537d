"""The project's exceptions. The CLI turns each into one Chinese message and an exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECK_ERRORS = 1
EXIT_BAD_INPUT = 2
EXIT_MODEL_FAILURE = 3
EXIT_INTERNAL = 4


class DraftbotError(Exception):
    """Base class: `message` is shown to the user as is (Simplified Chinese)."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class InputError(DraftbotError):
    """A user's file or argument cannot be used."""


class FactsError(InputError):
    """The facts file is unreadable or malformed."""


class PlanError(InputError):
    """A section plan is missing or invalid."""


class SampleError(InputError):
    """A sample file or folder is unusable."""


class DraftFormatError(InputError):
    """A draft file cannot be parsed."""


class ConfigError(InputError):
    """Model configuration is missing or invalid."""


class Interrupted(DraftbotError):
    """Ctrl-C, after what was done had been kept: `message` says what and how to go on."""

    exit_code = 130


class ModelError(DraftbotError):
    """The model failed after retries."""

    exit_code = EXIT_MODEL_FAILURE


# Chinese for the OS errors a user meets (the system's own text is English on most machines).
_ERRNO_TEXT = {
    "ENOENT": "文件或文件夹不存在",
    "EACCES": "没有权限",
    "EPERM": "不允许这样操作",
    "ENOSPC": "磁盘空间已满",
    "EDQUOT": "磁盘配额已用完",
    "EFBIG": "文件太大，超过了系统允许的大小",
    "EROFS": "磁盘是只读的",
    "EISDIR": "这是一个文件夹",
    "ENOTDIR": "路径中的某一段不是文件夹",
    "EEXIST": "文件已存在",
    "ELOOP": "循环的符号链接",
    "ENAMETOOLONG": "文件名太长",
    "EMFILE": "打开的文件太多",
    "EIO": "读写磁盘出错",
    "EBUSY": "文件正被占用",
    "ETXTBSY": "文件正被占用",
    "EXDEV": "不能跨磁盘移动",
}


def os_message(exc: BaseException) -> str:
    """A Chinese description of an OSError (the English system text only when no better is known)."""
    import errno

    code = getattr(exc, "errno", None)
    name = errno.errorcode.get(code, "") if isinstance(code, int) else ""
    if name in _ERRNO_TEXT:
        return _ERRNO_TEXT[name]
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
