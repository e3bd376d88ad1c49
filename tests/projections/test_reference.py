"""Reference renderings in projections/ are what the code renders from events/samples/."""

from __future__ import annotations

import pytest

from storylog.devtools import renderings, samples
from tests.conftest import REPO

SAMPLES = samples(REPO)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_reference_renderings_are_current(sample):
    folder = REPO / "projections" / sample.stem
    expected = renderings(sample)
    on_disk = {str(p.relative_to(folder)): p.read_bytes()
               for p in folder.rglob("*") if p.is_file()}
    assert sorted(on_disk) == sorted(expected), "run: python -m storylog.devtools"
    for name, data in expected.items():
        assert on_disk[name] == data, f"{sample.stem}/{name} changed; review, then run: " \
                                      "python -m storylog.devtools"
