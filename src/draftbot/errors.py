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


class ModelError(DraftbotError):
    """The model failed after retries."""

    exit_code = EXIT_MODEL_FAILURE
