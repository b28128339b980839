"""The one error SDP parsing raises (kept apart so the grammar, the typed attribute views
and offer/answer can all raise it without importing each other)."""

from __future__ import annotations

from uc_media._core import MediaError


class SdpError(MediaError, ValueError):
    """A session description that does not follow RFC 8866 (or the RFC that defines one of
    its attributes). `line` is the 1-based line number when the text came from `parse`,
    None for a value built in code."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.problem = message
        self.line = line

    def at_line(self, line: int) -> SdpError:
        """The same problem, placed on a line of the text being parsed."""
        return SdpError(self.problem, line)


__all__ = ["SdpError"]
