"""One bad item is one recorded error: what a failure of a source, page or send becomes in a run.

Our own errors (core.errors) are expected and become their one line. Anything else is a bug in our
code or a library failing in a way we did not foresee: it becomes one line too, so that the run goes
on and the failure is shown where the others are, and its traceback goes to the run's log.
"""

from __future__ import annotations

import logging

from prefect.exceptions import MissingContextError
from prefect.logging import get_run_logger

from core.errors import ClaimwatchError, FetchError

_fallback = logging.getLogger("claimwatch")


def error_line(what: str, exc: Exception) -> str:
    """The recorded error for ``what`` (a URL, a source, a channel) that failed with ``exc``."""
    if isinstance(exc, ClaimwatchError):
        text = str(exc)
        return text if what in text else f"{what}: {text}"
    run_logger().error("internal error in %s", what, exc_info=exc)
    return f"{what}: internal error ({type(exc).__name__}: {exc})"


def may_pass(exc: BaseException) -> bool:
    """Whether a page that failed so may be read next time: network trouble that may pass, or the unforeseen
    (a library failing in a way we did not foresee); not a refusal, a missing page, a page with no text, one
    past its extraction deadline or one whose worker died on it (those would cost every poll again)."""
    if isinstance(exc, FetchError):
        return exc.transient
    return not isinstance(exc, ClaimwatchError)


def run_logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """The Prefect run's logger inside a flow or task run, else claimwatch's own."""
    try:
        return get_run_logger()
    except MissingContextError:
        return _fallback
