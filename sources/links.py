"""Canonical article links: one story, one URL, however a feed dressed it up."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit, urlunsplit

from courlan import normalize_url

# Redirect wrappers whose real target sits in a query parameter (Google Alerts / News, Bing News).
REDIRECT_WRAPPERS = {
    ("google.com", "/url"): ("q", "url"),
    ("bing.com", "/news/apiclick.aspx"): ("url",),
}
MOBILE_HOST_PREFIXES = ("m.", "mobile.", "amp.")  # same site, other skin
AMP_PATH = re.compile(r"(/amp/?|\.amp|/amp\.html)$", re.IGNORECASE)
AMP_QUERY_KEYS = frozenset({"amp", "outputtype", "output"})  # ?amp=1, ?outputType=amp, ?output=amp


def unwrap_redirect(url: str) -> str:
    """The target of a google.com/url?q=… style redirect link, else the URL itself."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    for (domain, path), keys in REDIRECT_WRAPPERS.items():
        if (host == domain or host.startswith(domain.split(".")[0] + ".")) and parts.path.lower() == path:
            query = parse_qs(parts.query)
            target = next((query[k][0] for k in keys if query.get(k)), None)
            if target and target.startswith(("http://", "https://")):
                return target
    return url


def canonical_url(url: str) -> str:
    """Unwrap redirects, drop tracking parameters and fragments, fold AMP and mobile variants."""
    url = unwrap_redirect(url.strip())
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return url
    normal = normalize_url(_fold_variants(url), strict=False)  # strict would drop article ids too
    return urlunsplit(urlsplit(normal)._replace(fragment=""))


def _fold_variants(url: str) -> str:
    """Turn AMP and mobile addresses into the desktop article's address."""
    parts = urlsplit(url)
    netloc = parts.netloc.lower()
    for prefix in MOBILE_HOST_PREFIXES:
        if netloc.startswith(prefix) and netloc.count(".") >= 2:
            netloc = "www." + netloc[len(prefix):]
            break
    path = AMP_PATH.sub("", parts.path) or "/"
    query = "&".join(p for p in parts.query.split("&") if p and not _is_amp_param(p))
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def _is_amp_param(pair: str) -> bool:
    """Whether a query pair only asks for the AMP rendering."""
    key, _, value = pair.partition("=")
    key = key.lower()
    return key == "amp" or (key in AMP_QUERY_KEYS and value.lower() == "amp")
