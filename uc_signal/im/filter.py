"""The IM filter: block or flag text messages by the links and file names they carry
(Lync's "intelligent IM filter": URL filtering and the file-transfer filter by extension).

A URL is anything starting with a scheme (`http://`, `https://`, `ftp://`, `file://`) or
`www.`; each is matched case-blind against the configured globs (fnmatch: `*` any run,
`?` one character), e.g. `*://*.malware.test/*` or `*casino*`. A file name is a word
ending in `.<extension>`; a blocked extension blocks the message wherever it appears,
in a plain file name or at the end of a URL's path.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from .policy import FilterRules

_URL = re.compile(r"(?i)\b(?:(?:https?|ftp|file)://|www\.)[^\s<>\"']+")
_FILE_NAME = re.compile(r"[\w\-]\.([A-Za-z0-9]{1,10})(?![\w\-])")


@dataclass(frozen=True)
class FilterVerdict:
    blocked: str | None = None   # the reason, for the 403
    warn: bool = False           # deliver with the warning prefix

    @property
    def passed(self) -> bool:
        return self.blocked is None and not self.warn


class ImFilter:
    def __init__(self, rules: FilterRules) -> None:
        self.rules = rules
        self._block = [re.compile(fnmatch.translate(p.lower())) for p in rules.block_urls]
        self._warn = [re.compile(fnmatch.translate(p.lower())) for p in rules.warn_urls]
        self._extensions = {e.lower().lstrip(".") for e in rules.blocked_extensions}

    @property
    def active(self) -> bool:
        return bool(self._block or self._warn or self._extensions)

    def check(self, text: str) -> FilterVerdict:
        if not self.active:
            return FilterVerdict()
        urls = [match.group(0).rstrip(".,;:!?)").lower() for match in _URL.finditer(text)]
        for url in urls:
            for pattern, compiled in zip(self.rules.block_urls, self._block):
                if compiled.match(url):
                    return FilterVerdict(blocked=f"link matches blocked pattern {pattern}")
        if self._extensions:
            for match in _FILE_NAME.finditer(text):
                extension = match.group(1).lower()
                if extension in self._extensions:
                    return FilterVerdict(blocked=f"names a file of blocked type .{extension}")
        warn = any(compiled.match(url) for url in urls for compiled in self._warn)
        return FilterVerdict(warn=warn)

    def warned(self, text: str) -> str:
        return self.rules.warn_prefix + text
