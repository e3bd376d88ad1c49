"""Canary strings in every internal field; none may appear in any exported file.

Internal: editors' names (unless opted in), command ids, reasons (edits, retractions,
retitles, takedowns, source merges), an override of the stealth-edit check, review
notes, confidential sources (name, via, link, and as another source's "via"; and a
name marked confidential in another story that a source of this one was merged into), what
takedowns removed (legal and source-safety: text, sources, media, its notes), and
every change made after the last publication.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli

SLUG = "canary-live"
EDITORS = ["CanaryEditorAlpha", "CanaryEditorBeta", "CanaryEditorGamma", "CanaryEditorDelta"]
INTERNAL = [
    *EDITORS,
    "canarycommandid",
    "CanaryReasonEdit", "CanaryReasonRetract", "CanaryReasonRetitle", "CanaryReasonLegal",
    "CanaryReasonSafety", "CanaryReasonMerge", "CanaryOverride", "CanaryReviewNote",
    "CanaryConfidentialName", "CanaryConfidentialVia", "canary-confidential-url",
    "CanaryTakedownBody", "CanaryTakedownSource", "CanaryTakedownCaption",
    "canary-takedown-link", "CanaryTakedownLabel", "CanaryTakedownNote", "CanaryErasedBody",
    "CanaryErasedSource", "CanaryUnpublishedBody", "CanaryUnpublishedSource",
    "CanaryUnpublishedEdit", "CanaryUnpublishedNote", "CanaryUnpublishedHeadline",
    "CanaryUnpublishedHeadlineNote", "CanaryUnpublishedRetraction",
    "CanaryUnpublishedStandfirst", "CanaryMergedConfidential", "CanaryOtherStoryReason",
]
MERGED_CONFIDENTIAL = "CanaryMergedConfidential"
PUBLIC = ["Canary anonymous officer", "Public opening text", "PublicCorrectionNote",
          "PublicHeadlineNote", "Reuters", "removed on legal grounds",
          "removed to protect a source", "PublicRetractionNote"]


def build(cli: Cli) -> None:
    """The canary story, through the command line as editors would make it."""
    a, b, g, d = EDITORS
    cid = iter(f"canarycommandid{n}" for n in range(1000))

    def run(editor: str, *args: str) -> str:
        return cli.ok(*args, "--command-id", next(cid), editor=editor)

    run(a, "new", SLUG, "--headline", "Public headline", "--tz", "Europe/Kyiv")
    run(a, "add", SLUG, "--id", "open", "--stamp", "2025-11-04 10:00",
        "--text", "Public opening text: 80 soldiers.", "--source", "Reuters",
        "--source", "CanaryConfidentialName,kind=anonymous,via=CanaryConfidentialVia,"
                    "url=https://canary-confidential-url.example/x,confidential",
        "--source", "Le Monde,kind=outlet,via=CanaryConfidentialName",
        "--source", "Canary anonymous officer,kind=anonymous")
    run(a, "add", SLUG, "--id", "legal", "--stamp", "2025-11-04 11:00",
        "--text", "CanaryTakedownBody", "--source", "CanaryTakedownSource",
        "--picture", "CanaryTakedownCaption", "--picture-url",
        "https://canary-takedown-link.example/p.jpg",
        "--link", "https://canary-takedown-link.example/", "--link-label", "CanaryTakedownLabel")
    run(a, "add", SLUG, "--id", "safety", "--stamp", "2025-11-04 12:00",
        "--text", "CanaryErasedBody", "--source", "CanaryErasedSource")
    run(a, "add", SLUG, "--id", "wrong", "--stamp", "2025-11-04 13:00", "--text", "A claim.",
        "--source", "Reuters newswire")
    run(b, "publish", SLUG, "--note", "Morning")
    run(a, "edit", SLUG, "legal", "--kind", "correction", "--reason", "CanaryReasonEdit",
        "--note", "CanaryTakedownNote", "--text", "CanaryTakedownBody, corrected")
    run(a, "edit", SLUG, "open", "--kind", "correction", "--reason", "CanaryReasonEdit",
        "--note", "PublicCorrectionNote", "--text", "Public opening text: 85 soldiers.")
    run(a, "edit", SLUG, "open", "--kind", "copy-edit", "--reason", "CanaryReasonEdit",
        "--override", "CanaryOverride", "--text", "Public opening text: 86 soldiers.")
    run(d, "review", SLUG, "open", "--revision", "2", "--note", "CanaryReviewNote")
    run(g, "retract", SLUG, "wrong", "--reason", "CanaryReasonRetract",
        "--note", "PublicRetractionNote")
    run(a, "retitle", SLUG, "--headline", "Public headline, clarified", "--kind",
        "clarification", "--reason", "CanaryReasonRetitle", "--note", "PublicHeadlineNote")
    run(a, "source", "merge", "Reuters newswire", "Reuters", "--reason", "CanaryReasonMerge")
    # Another story marks a name confidential; this story's anonymous source is merged
    # into it, with the decision recorded: the name must still never reach this site.
    run(a, "new", "canary-other", "--headline", "Other story")
    run(a, "add", "canary-other", "--text", "Other text.",
        "--source", f"{MERGED_CONFIDENTIAL},kind=official,confidential")
    run(b, "publish", "canary-other")
    run(a, "source", "merge", "Canary anonymous officer", MERGED_CONFIDENTIAL,
        "--reason", "CanaryOtherStoryReason", "--confidential-merge")
    run(b, "publish", SLUG, "--note", "Afternoon")
    run(a, "takedown", SLUG, "legal", "--grounds", "legal", "--reason", "CanaryReasonLegal")
    run(a, "takedown", SLUG, "safety", "--grounds", "source-safety", "--reason",
        "CanaryReasonSafety", "--yes")
    # Everything after this is unpublished: it must not reach the site.
    run(a, "add", SLUG, "--id", "later", "--stamp", "2025-11-05 09:00",
        "--text", "CanaryUnpublishedBody", "--source", "CanaryUnpublishedSource")
    run(a, "edit", SLUG, "open", "--kind", "correction", "--reason", "CanaryReasonEdit",
        "--note", "CanaryUnpublishedNote", "--text", "CanaryUnpublishedEdit")
    run(a, "retitle", SLUG, "--headline", "CanaryUnpublishedHeadline",
        "--standfirst", "CanaryUnpublishedStandfirst", "--kind", "correction",
        "--reason", "CanaryReasonRetitle", "--note", "CanaryUnpublishedHeadlineNote")
    run(g, "retract", SLUG, "open", "--reason", "CanaryReasonRetract",
        "--note", "CanaryUnpublishedRetraction")


@pytest.fixture(scope="module")
def canary_cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    cli = Cli(str(tmp_path_factory.mktemp("canary") / "canary.db"))
    build(cli)
    return cli


def exported(cli: Cli, out: Path, *extra: str) -> dict[str, bytes]:
    cli.ok("export", SLUG, str(out), *extra)
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_the_internal_fields_hold_the_canaries(canary_cli: Cli):
    """The canaries really are in the store (so that their absence below means something)."""
    log = canary_cli.ok("log", SLUG, "--json")
    current = canary_cli.ok("show", SLUG, "--json")
    for canary in ("CanaryReasonEdit", "CanaryReasonRetract", "CanaryReasonLegal",
                   "CanaryEditorAlpha", "canarycommandid"):
        assert canary in log, canary
    assert "CanaryOverride" in canary_cli.ok("corrections", "--story", SLUG, "--json")
    for canary in ("CanaryUnpublishedBody", "CanaryUnpublishedHeadline",
                   "CanaryConfidentialName", "CanaryUnpublishedRetraction"):
        assert canary in current, canary
    audit = canary_cli.ok("show", SLUG, "--version", "1", "--audit", "--json")
    assert "CanaryTakedownBody" in audit  # a legal takedown stays readable to auditors


def test_no_canary_reaches_any_exported_file(canary_cli: Cli, tmp_path: Path):
    files = exported(canary_cli, tmp_path / "site")
    assert any(p.startswith("sources/") for p in files)
    everything = b"\n".join(files.values()).decode().casefold()
    leaked = [c for c in INTERNAL if c.casefold() in everything]
    assert leaked == [], f"internal fields on the public site: {leaked}"
    for public in PUBLIC:
        assert public.casefold() in everything, f"{public!r} should be public"
    assert "public headline, clarified" in files["index.html"].decode().casefold()


def test_with_editors_opted_in_only_their_names_appear(canary_cli: Cli, tmp_path: Path):
    files = exported(canary_cli, tmp_path / "site", "--show-editors")
    everything = b"\n".join(files.values()).decode().casefold()
    assert "canaryeditorbeta" in everything  # who published
    assert "canaryeditorgamma" in everything  # who withdrew an update
    leaked = [c for c in INTERNAL if c not in EDITORS and c.casefold() in everything]
    assert leaked == []


def test_all_stories_export_leaks_nothing_either(canary_cli: Cli, tmp_path: Path):
    out = tmp_path / "all"
    canary_cli.ok("export", "--all", str(out))
    everything = b"\n".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    leaked = [c for c in INTERNAL if c.casefold() in everything.decode().casefold()]
    assert leaked == []
    assert (out / SLUG / "index.html").is_file() and (out / "index.html").is_file()


def test_the_merged_confidential_name_is_held_internally(canary_cli: Cli):
    """So that its absence from public outputs means something."""
    listed = canary_cli.ok("sources", "--json")
    assert MERGED_CONFIDENTIAL in listed and "Canary anonymous officer" in listed


def test_public_markdown_and_patch_views_never_show_the_merged_confidential_name(
        canary_cli: Cli):
    outputs = [canary_cli.ok("diff", SLUG, "1", "2", "--format", fmt)
               for fmt in ("markdown", "patch", "text")]
    outputs += [canary_cli.ok("show", SLUG, "--version", n, "--format", "markdown")
                for n in ("1", "2")]
    assert any("Canary anonymous officer" in out for out in outputs)
    for out in outputs:
        assert MERGED_CONFIDENTIAL.casefold() not in out.casefold()


def test_the_feed_keeps_the_anonymous_source_apart(canary_cli: Cli, tmp_path: Path):
    files = exported(canary_cli, tmp_path / "site")
    assert MERGED_CONFIDENTIAL.casefold() not in files["feed.atom"].decode().casefold()
    page = files["sources/canary-anonymous-officer.html"].decode()
    assert "Also cited as" not in page and "official" not in page
    assert not [p for p in files if "mergedconfidential" in p.replace("-", "")]
