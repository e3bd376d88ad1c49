"""Text pages in the styles live blogs use (issue 17, item 2): years from date headings, a
time and a title on one line, zones across midnight and daylight saving, numeric dates the
page settles, "Today" and "Yesterday", month names in other languages, bylines."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from storylog.importer import ImportRefused, parse_page
from tests.conftest import REPO, Cli

SEED = REPO / "src" / "storylog" / "data" / "pokrovsk-live.txt"


def stamps(text: str, **options: object) -> list[str]:
    options = {"year": None, "tz": "UTC", **options}
    return [u.stamp for u in parse_page(text, **options).updates]  # type: ignore[arg-type]


def refusal(text: str, **options: object) -> str:
    options = {"year": None, "tz": "UTC", **options}
    with pytest.raises(ImportRefused) as refused:
        parse_page(text, **options)  # type: ignore[arg-type]
    return str(refused.value)


def test_a_date_headings_year_carries_to_the_stamps_below_it() -> None:
    page = ("Standfirst.\nMarch 22, 2022\nUpdated: Mar. 22, noon\nText one.\n"
            "March 21\nUpdated: Mar. 21, 8:45 p.m.\nText two.\n")
    assert stamps(page) == ["2022-03-22 12:00", "2022-03-21 20:45"]


def test_a_time_and_a_title_on_one_line_start_an_update_with_that_title() -> None:
    page = parse_page(
        "Standfirst.\nThursday, August 14, 2025\n4:05 p.m. Containment reaches 20 percent\n"
        "Cal Fire said so.\n10:30 a.m. Evacuation order widened\nThe order grew.\n",
        year=None, tz="UTC")
    assert [(u.stamp, u.title, u.body) for u in page.updates] == [
        ("2025-08-14 16:05", "Containment reaches 20 percent", "Cal Fire said so."),
        ("2025-08-14 10:30", "Evacuation order widened", "The order grew."),
    ]
    assert page.unplaced == []


def test_a_sentence_after_a_time_is_text_not_a_title() -> None:
    page = parse_page("S.\nMay 1, 2025\n10:30\nFirst.\n9:00 a.m. Police said it was calm.\n",
                      year=None, tz="UTC")
    assert [u.title for u in page.updates] == [None]
    assert "Police said it was calm." in page.updates[0].body


def test_a_short_line_after_the_stamp_is_the_title_and_by_names_the_byline() -> None:
    [update] = parse_page("S.\nUpdated May 1, 2025, 10:00\nPower restored\nBy Ana Ruiz and "
                          "Tom Reed\nThe utility said power was back.\n",
                          year=None, tz="UTC").updates
    assert (update.title, update.byline) == ("Power restored", "Ana Ruiz and Tom Reed")
    assert update.body == "The utility said power was back."


def test_numeric_dates_are_settled_by_a_day_above_12_elsewhere_on_the_page() -> None:
    assert stamps("S.\n14/03/2025 16:20\nA.\n12/03/2025 11:05\nB.\n") == [
        "2025-03-14 16:20", "2025-03-12 11:05"]
    assert stamps("S.\n11/13/2024 4:10 PM\nA.\n11/06/2024 9:30 AM\nB.\n") == [
        "2024-11-13 16:10", "2024-11-06 09:30"]


def test_numeric_dates_nothing_settles_are_refused_naming_the_cli_options() -> None:
    message = refusal("S.\n03/04/2025 10:00\nA.\n")
    assert message.startswith("line 2:") and "--day-first" in message
    assert "day_first" not in message
    assert stamps("S.\n03/04/2025 10:00\nA.\n", day_first=True) == ["2025-04-03 10:00"]


def test_today_and_yesterday_headings_are_read_against_the_date_given() -> None:
    page = "S.\nToday\n16:30\nA.\nYesterday\n21:45\nB.\n"
    assert stamps(page, today=date(2025, 7, 1)) == ["2025-07-01 16:30", "2025-06-30 21:45"]
    assert "--date" in refusal(page)


@pytest.mark.parametrize(("heading", "day"), [
    ("Sonntag, 23. Februar 2025", "2025-02-23"), ("Lundi 31 mars 2025", "2025-03-31"),
    ("Miércoles, 30 de octubre de 2024", "2024-10-30"), ("Четвер, 24 квітня 2025", "2025-04-24"),
    ("Пятница, 16 мая 2025 г.", "2025-05-16"),
])
def test_month_and_weekday_names_in_other_languages(heading: str, day: str) -> None:
    assert stamps(f"S.\n{heading}\n22:48 Uhr\nA.\n12h05\nB.\n") == [
        f"{day} 22:48", f"{day} 12:05"]


def test_a_weekday_that_does_not_match_the_date_is_refused_in_any_language() -> None:
    assert "check the year" in refusal("S.\nMontag, 23. Februar 2025\n10:00\nA.\n")


def test_zone_abbreviations_are_converted_across_midnight_and_daylight_saving() -> None:
    page = ("S.\nUpdated 7 April 2025, 09:30 JST\nA.\nUpdated 7 April 2025, 06:45 AEST\nB.\n"
            "Updated March 9, 2025, 7:00 p.m. ET\nC.\nUpdated March 8, 2025, 10:15 p.m. ET\nD.\n")
    assert stamps(page, tz="Europe/London") == [
        "2025-04-07 01:30", "2025-04-06 21:45", "2025-03-09 23:00", "2025-03-09 03:15"]


def test_a_stamp_the_clocks_skipped_or_passed_twice_is_refused_naming_the_line() -> None:
    gap = refusal("S.\nUpdated March 9, 2025, 2:30 a.m. ET\nA.\n", tz="UTC")
    assert gap.startswith("line 2:") and "does not exist" in gap
    twice = refusal("S.\nUpdated November 2, 2025, 1:30 a.m.\nA.\n", tz="America/New_York")
    assert twice.startswith("line 2:") and "twice" in twice


def test_storylog_import_reads_relative_headings_with_date(cli: Cli, tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text("Heat: live\nA standfirst.\nToday\n16:30 Schools close\nThey close.\n")
    refused = cli("import", "heat", str(page), "--tz", "Europe/Paris")
    assert refused.exit_code == 1 and "--date" in refused.stderr
    cli.ok("import", "heat", str(page), "--tz", "Europe/Paris", "--date", "2025-07-01")
    view = json.loads(cli.ok("show", "heat", "--json"))
    assert [u["stamp"] for u in view["updates"]] == ["2025-07-01T16:30"]


def test_import_refusing_a_copy_edit_advises_only_options_import_takes(
    cli: Cli, tmp_path: Path,
) -> None:
    cli.ok("import", "seed", str(SEED), "--year", "2025", "--tz", "Europe/Kyiv")
    cli.ok("publish", "seed")
    changed = tmp_path / "later.txt"
    changed.write_text(SEED.read_text(encoding="utf-8").replace("about 85%", "about 95%"),
                       encoding="utf-8")
    result = cli("import", "seed", str(changed), "--year", "2025", "--kind", "copy-edit")
    assert result.exit_code == 1, result.stderr
    assert "--override" not in result.stderr.split("storylog edit")[0]
    assert "--kind correction" in result.stderr
