"""The import corpus's targets (issue 17): every page imported exactly (count, stamps,
titles, bylines), and source recall and precision of at least 0.9 over the whole corpus.
bench/import_corpus.py prints the same figures, the held-out third apart."""

from __future__ import annotations

import pytest

from tests.importer.corpus import CorpusPage, pages, score, totals

PAGES = pages()


def test_the_corpus_has_at_least_30_pages_a_third_held_out() -> None:
    held_out = [page for page in PAGES if page.held_out]
    assert len(PAGES) >= 30
    assert len(PAGES) / 4 <= len(held_out) <= len(PAGES) / 2
    assert {page.path.suffix for page in PAGES} == {".txt", ".html"}


@pytest.mark.parametrize(
    "page", PAGES, ids=[f"{'held-out' if p.held_out else 'dev'}-{p.name}" for p in PAGES])
def test_every_corpus_page_imports_exactly(page: CorpusPage) -> None:
    result = score(page)
    assert result.error is None, result.error
    assert result.exact, result.mismatches


def test_source_recall_and_precision_reach_0_9_on_the_corpus() -> None:
    result = totals([score(page) for page in PAGES])
    assert result.recall >= 0.9
    assert result.precision >= 0.9
