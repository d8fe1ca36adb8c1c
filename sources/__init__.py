"""Sources: URLs in, raw pages out.

``http`` (the one guarded, capped, polite client) · ``guard`` (SSRF policy) · ``robots`` ·
``feeds`` (RSS/Atom/JSON Feed) · ``links`` (canonical URLs) · ``relevance`` (watch terms) ·
``pages`` (article HTML) · ``archive`` (Wayback, CDX, URL files, saved pages) ·
``kinds/`` (one class a source kind, ``SOURCE_KINDS``) · ``spec`` (SourceSpec) ·
``registry`` (``data/sources.yaml`` checked by each entry's kind) · ``health`` (back-off, silence).
"""
