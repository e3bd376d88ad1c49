"""The site grows linearly with the number of sources (issue 12, finding 5): a source's
page shows the update that cites it, but not all of that update's other sources."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli


def exported_bytes(tmp_path: Path, sources: int) -> tuple[int, Path]:
    cli = Cli(str(tmp_path / f"s{sources}.db"))
    cli.ok("new", "big", "--headline", "Big")
    args = ["add", "big", "--text", "Many sources."]
    for n in range(sources):
        args += ["--source", f"Source number {n},kind=person"]
    cli.ok(*args)
    cli.ok("publish", "big")
    out = tmp_path / f"site{sources}"
    cli.ok("export", "big", str(out))
    return sum(p.stat().st_size for p in out.rglob("*") if p.is_file()), out


def test_exported_site_grows_linearly_with_the_sources_of_one_update(tmp_path: Path):
    # Within the domain's limit of 50 sources an update (finding 5's other half).
    small, _ = exported_bytes(tmp_path, 24)
    large, out = exported_bytes(tmp_path, 48)
    assert len(list((out / "sources").glob("*.html"))) == 49
    # Quadratic growth would make this about 4 (every page listing every source).
    assert large / small < 2.3, (small, large)
    page = (out / "sources" / "source-number-7.html").read_text()
    assert page.count('href="../sources/') <= 13
    assert "This update cites 47 other sources" in page
    assert 'href="../index.html#u-u1"' in page
    index = (out / "index.html").read_text()
    assert index.count('href="sources/source-number-') == 96  # the update, the cited list
