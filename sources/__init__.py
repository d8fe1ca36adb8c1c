"""Sources: URLs in, raw pages out.

``http`` (the one guarded, capped, polite client) · ``guard`` (SSRF policy) · ``robots`` ·
``feeds`` (RSS/Atom/JSON Feed) · ``links`` (canonical URLs) · ``relevance`` (watch terms) ·
``pages`` (article HTML) · ``archive`` (Wayback, CDX, URL files, saved pages) ·
``registry`` (``data/sources.yaml``, ``SOURCE_KINDS``) · ``health`` (back-off, silence).
"""
