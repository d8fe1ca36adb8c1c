"""Documents from .txt and .html files, and the one-line errors for unusable input."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ExtractionError, InputError
from core.periods import LooseDate
from extractors.text import document_from_html, load_document

PAGE = """<html><head><title>Alibaba Cloud results</title>
<meta property="og:site_name" content="Example News">
<meta property="article:published_time" content="2025-11-25T08:00:00Z"></head><body><article>
<h1>Alibaba Cloud results</h1><p>Alibaba Cloud's revenue rose 34% year-over-year to RMB39.8 billion in the
September quarter of 2025, the company said on Tuesday in its quarterly report to investors.</p>
<table><tr><th>Segment</th><th>Revenue</th></tr>
<tr><td>Cloud Intelligence Group</td><td>RMB 39,824 million</td></tr></table>
<p>AI-related product revenue posted triple-digit growth for the ninth consecutive quarter, it added.</p>
</article></body></html>"""


def test_txt_as_it_is_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "seed.txt"
    path.write_bytes("\ufeffQwen passed 700 million downloads.\n".encode())
    doc = load_document(path, published=LooseDate.parse("2026-02"))
    assert (doc.source, doc.text, str(doc.published)) == (
        "seed",
        "Qwen passed 700 million downloads.\n",
        "2026-02",
    )


def test_html_text_tables_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    doc = load_document(path)
    assert "RMB39.8 billion" in doc.text and "39,824" in doc.text
    assert doc.title == "Alibaba Cloud results" and str(doc.published) == "2025-11-25"
    assert load_document(path, published=LooseDate.parse("2025-12")).published == LooseDate.parse("2025-12")


def test_fetched_html_keeps_the_url() -> None:
    doc = document_from_html(PAGE.encode(), "https://example.com/a")
    assert doc.source == doc.url == "https://example.com/a" and "ninth consecutive" in doc.text


def test_html_without_text_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError):
        document_from_html("<html><body></body></html>", "https://example.com/empty")


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.txt", b"  \n", "empty"),
        ("bin.txt", b"abc\x00def", "binary"),
        ("latin.txt", "café".encode("latin-1"), "not UTF-8"),
    ],
)
def test_unusable_files(tmp_path: Path, name: str, content: bytes, problem: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=problem) as info:
        load_document(path)
    assert name in str(info.value) and "\n" not in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_document(tmp_path / "nope.txt")


def test_fetched_bytes_in_a_declared_charset() -> None:
    page = (
        '<html><head><meta charset="gbk"></head><body><article><p>阿里云季度收入达398亿元，同比增长34%。'
        "这是一个很长的句子，用来确保提取器认为这是正文内容而不是模板噪声。</p></article></body></html>"
    ).encode("gbk")
    doc = document_from_html(page, "https://example.cn/a")
    assert "阿里云季度收入达398亿元" in doc.text
