"""Errors a user can meet, each with a message that says what to do."""

from __future__ import annotations


class ExplorerError(Exception):
    """An error whose message is written for the user."""


class DataError(ExplorerError):
    """A data file is missing or is not the file it should be."""


class CheckpointError(ExplorerError):
    """A checkpoint file is missing, corrupt, truncated or not for this model."""


class TrainingError(ExplorerError):
    """Training cannot go on (the loss became NaN or infinite)."""


class JobError(ExplorerError):
    """A background job failed; the message is already written for the user."""


def describe_error(exc: BaseException) -> str:
    """A one-paragraph message for the user about ``exc``."""
    if isinstance(exc, ExplorerError):
        return str(exc)
    from explorer.core.runtime.memory import is_out_of_memory

    text = str(exc)
    if is_out_of_memory(exc):
        where = "GPU" if type(exc).__name__ == "OutOfMemoryError" or "out of memory" in text.lower() else "machine"
        return (
            f"The {where} ran out of memory. Lower the batch size or the model's width (or the number of "
            "samples), or run on another device. The model you had is unchanged."
        )
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
