"""Failures a document can have. Each carries a short reason a researcher can act on.

A `ParksError` is deterministic: the same file fails the same way every run, so
it becomes a `status: "failed"` record instead of a retry or a crash.
"""


class ParksError(Exception):
    """Base of every expected, per-document failure."""


class IngestError(ParksError):
    """The file could not be turned into text."""


class MissingFile(IngestError):
    pass


class NotReadable(IngestError):
    """A corpus entry that must not or cannot be read: a path leading out of the corpus folder,
    a symlink loop, a broken symlink, a folder without permission."""


class UnsupportedFormat(IngestError):
    pass


class EmptyDocument(IngestError):
    pass


class NotText(IngestError):
    """Binary content behind a text extension."""


class EncryptedPDF(IngestError):
    pass


class CorruptPDF(IngestError):
    pass


class NeedsOCR(IngestError):
    """A PDF whose pages carry images but no text layer."""


class TooLarge(IngestError):
    """A file or text over the configured size limit (`pipeline.limits`)."""


class TooSlow(ParksError):
    """A document whose extraction ran past its time budget (`pipeline.limits`)."""

    def __init__(self, message: str = "too slow: extraction took longer than its time limit"):
        super().__init__(message)
