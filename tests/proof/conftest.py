"""The proof suites' shared fixtures.

Every suite records what it tried in a ``Tally`` (tests/conftest.py: cases, failures,
known bugs, i.e. the failures of its strict-xfail tests); at the end of the run
tests/conftest.py prints one line per suite with those counts and the suite's time, so
the slow stage's log says what was proven and how long it took.

These suites run only in the slow stage: every test here is marked slow, and a run
without ``-m`` (plain ``pytest``) leaves them out too; select them with ``-m slow``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Tally, tally_of


@pytest.fixture
def tally() -> Callable[[str], Tally]:
    """``tally("crash-sqlite")``: the suite's tally, to count this test's cases in."""

    def get(suite: str) -> Tally:
        found = tally_of(suite)
        found.counts_itself = True
        return found

    return get


@pytest.hookimpl(tryfirst=True)  # before -m deselects anything
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    ours = [item for item in items if item.nodeid.startswith("tests/proof/")]
    for item in ours:
        item.add_marker(pytest.mark.slow)
    if ours and not config.getoption("markexpr"):
        config.hook.pytest_deselected(items=ours)
        items[:] = [item for item in items if not item.nodeid.startswith("tests/proof/")]
