"""The one exception tree of claimwatch.

::

    ClaimwatchError
    ├── ConfigError          bad or missing configuration (names file, key, problem)
    ├── InputError           a document or URL we were handed is unusable (names it)
    ├── FetchError           network trouble; .transient says whether a retry may help
    │   └── BlockedError     refused by policy: SSRF guard, robots.txt, size cap, scheme
    ├── ExtractionError      text or claims could not be read from a document
    ├── StorageError         the database refused or is unreachable
    └── DeliveryError        a channel failed; the alert stays pending

Failure is always one of these, never ``None``; "nothing changed" is never an exception.
The CLI turns any of them into one line on stderr and a non-zero exit; anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations


class ClaimwatchError(Exception):
    """Base class of every error claimwatch raises on purpose."""


class ConfigError(ClaimwatchError):
    """Bad or missing configuration; the message names the file, the key and the problem."""


class InputError(ClaimwatchError):
    """A document, date or URL we were handed is unusable; the message names it."""


class FetchError(ClaimwatchError):
    """Network trouble while fetching a URL."""

    def __init__(self, message: str, *, url: str | None = None, transient: bool = False) -> None:
        super().__init__(message)
        self.url = url
        self.transient = transient


class BlockedError(FetchError):
    """A request refused by policy: SSRF guard, robots.txt, size cap or scheme."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message, url=url, transient=False)


class ExtractionError(ClaimwatchError):
    """Text or claims could not be read from a document."""


class StorageError(ClaimwatchError):
    """The database refused an operation or cannot be reached."""


class DeliveryError(ClaimwatchError):
    """A notification channel failed; the alert stays pending."""

    def __init__(self, message: str, *, channel: str | None = None, transient: bool = True) -> None:
        super().__init__(message)
        self.channel = channel
        self.transient = transient
