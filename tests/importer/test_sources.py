"""Which sources an update cites: the gazetteer, attribution phrases and "via"."""

from __future__ import annotations

from pathlib import Path

import pytest

from storylog.domain.values import SourceKind
from storylog.importer import Gazetteer, ImportRefused, find_sources, parse_page


def cited(text: str, gazetteer: Gazetteer | None = None) -> list[dict[str, str]]:
    return find_sources(text, gazetteer or Gazetteer.default())[0]


def names(text: str, gazetteer: Gazetteer | None = None) -> list[str]:
    return [source["name"] for source in cited(text, gazetteer)]


@pytest.mark.parametrize("spelling", ["Röpcke", "Ropcke", "RÖPCKE", "ropcke", "Julian Ropcke"])
def test_gazetteer_alias_matches_whatever_the_case_and_accents(spelling: str) -> None:
    assert cited(f"{spelling} wrote that the line broke.") == [
        {"name": "Julian Röpcke", "kind": "analyst"}
    ]


def test_gazetteer_matches_only_whole_words() -> None:
    assert names("Bilderberg delegates met in the city.") == []
    assert names("The Bildungsministerium met.") == []


def test_gazetteer_name_in_plain_text_is_cited() -> None:
    assert names("A Ukrainian diplomat compared the situation to Bakhmut.") == [
        "Ukrainian diplomat"
    ]


def test_curly_and_straight_apostrophes_match_the_same_name() -> None:
    assert names("Ukraine’s General Staff denied it.") == ["Ukraine's General Staff"]
    assert names("Ukraine's General Staff denied it.") == ["Ukraine's General Staff"]


def test_according_to_names_a_source_not_in_the_gazetteer() -> None:
    assert cited("According to the Institute for the Study of War, troops advanced.") == [
        {"name": "Institute for the Study of War", "kind": "other"}
    ]


def test_x_said_names_a_person_not_in_the_gazetteer() -> None:
    assert cited("Governor Vadym Filashkin said the evacuation continues.") == [
        {"name": "Vadym Filashkin", "kind": "official"}
    ]


def test_quote_then_said_x_names_the_speaker() -> None:
    assert names("“We will hold,” said Andrii Koval.") == ["Andrii Koval"]


def test_x_reports_and_x_notes_name_the_outlet() -> None:
    assert names("The situation is critical, Deep State reports.") == ["Deep State"]
    assert names("At the same time, Deep State notes a gradual advance.") == ["Deep State"]


def test_x_told_outlet_is_x_via_the_outlet() -> None:
    assert cited("Koval told Reuters that the city was holding.") == [
        {"name": "Andrii Koval", "kind": "official", "via": "Reuters"}
    ]


def test_officer_who_told_le_monde_is_an_anonymous_officer_via_le_monde() -> None:
    text = ("The fall of the city, according to an officer from a motorized infantry brigade, "
            "is “a matter of days,” he told Le Monde.")
    assert cited(text) == [{"name": "Ukrainian officer", "kind": "anonymous", "via": "Le Monde"}]


def test_sources_quoted_by_an_outlet_are_anonymous_sources_via_the_outlet() -> None:
    text = ("Nevertheless, sources in the army and intelligence quoted by the German outlet "
            "Bild report growing fears of encirclement.")
    assert cited(text) == [
        {"name": "Sources in the army and intelligence", "kind": "anonymous", "via": "Bild"}
    ]


def test_journalist_named_with_the_outlet_speaks_via_it() -> None:
    assert cited("Bild military analyst Julian Röpcke reported that troops advanced.") == [
        {"name": "Julian Röpcke", "kind": "analyst", "via": "Bild"}
    ]
    assert cited("Oliver Carroll of The Economist wrote that the line broke.") == [
        {"name": "Oliver Carroll", "kind": "person", "via": "The Economist"}
    ]


def test_outlet_citing_unnamed_sources() -> None:
    assert cited("Reuters reported, citing two sources in the ministry, that it fell.") == [
        {"name": "Reuters", "kind": "agency"},
        {"name": "Sources in the ministry", "kind": "anonymous", "via": "Reuters"},
    ]


def test_interview_with_an_outlet_is_via_the_outlet() -> None:
    assert cited("Zelensky said in an interview with Axios that the city holds.") == [
        {"name": "Volodymyr Zelensky", "kind": "official", "via": "Axios"}
    ]


def test_names_inside_quotations_are_not_attributions() -> None:
    assert names("“Reuters said we lost, but Bild reported we won,” the mayor joked.") == []


def test_name_inside_what_another_source_reports_is_only_mentioned() -> None:
    sources, mentions = find_sources(
        "Bild reports debates over whether President Volodymyr Zelensky bears responsibility.",
        Gazetteer.default(),
    )
    assert [s["name"] for s in sources] == ["Bild"]
    assert mentions == ["Volodymyr Zelensky"]


def test_name_after_a_preposition_is_only_mentioned() -> None:
    sources, mentions = find_sources("Supporters of Zelensky argue otherwise.",
                                     Gazetteer.default())
    assert sources == []
    assert mentions == ["Volodymyr Zelensky"]


def test_pronoun_and_generic_speakers_are_not_sources() -> None:
    assert names("He said the city was holding. According to the outlet, it was not.") == []


def test_unverified_social_media_video_is_a_social_media_source() -> None:
    assert cited("A video circulating on social media allegedly shows troops.") == [
        {"name": "Social media video", "kind": "social-media"}
    ]


def test_update_with_no_source_is_unsourced() -> None:
    page = parse_page("Standfirst.\nUpdated November 5, 2:00 P.M.\nSirens sounded all night.\n",
                      year=2025, tz="Europe/Kyiv")
    assert page.updates[0].sources == []
    assert page.updates[0].unsourced is True


def test_picture_credit_is_a_credit_not_a_cited_source() -> None:
    page = parse_page(
        "Standfirst.\nUpdated November 5, 2:00 P.M.\nSirens sounded all night.\n"
        "Smoke rises over the city after a strike.\nPrivat\n",
        year=2025, tz="Europe/Kyiv",
    )
    [update] = page.updates
    assert update.media[0]["credit"] == "Privat"
    assert update.unsourced is True


def test_user_gazetteer_file_adds_sources_and_aliases(tmp_path: Path) -> None:
    path = tmp_path / "sources.txt"
    path.write_text(
        "# our own sources\n\n"
        "Kyiv Independent | outlet | The Kyiv Independent; KI | https://kyivindependent.com\n"
        "Julian Röpcke | | JR\n"
        "Vadym Filashkin | official\n",
        encoding="utf-8",
    )
    gazetteer = Gazetteer.from_file(path)
    assert cited("KI reported heavy shelling.", gazetteer) == [
        {"name": "Kyiv Independent", "kind": "outlet", "url": "https://kyivindependent.com"}
    ]
    assert names("JR wrote so.", gazetteer) == ["Julian Röpcke"]
    entry = gazetteer.lookup("Ropcke")
    assert entry is not None and entry.kind is SourceKind.ANALYST
    assert names("Filashkin's office was hit; Vadym Filashkin was unhurt.", gazetteer) == [
        "Vadym Filashkin"
    ]
    assert gazetteer.lookup("Le Monde") is not None


def test_user_gazetteer_without_defaults_knows_only_its_own_sources(tmp_path: Path) -> None:
    path = tmp_path / "sources.txt"
    path.write_text("Kyiv Independent | outlet\n", encoding="utf-8")
    gazetteer = Gazetteer.from_file(path, with_defaults=False)
    assert len(gazetteer) == 1 and gazetteer.lookup("Bild") is None


@pytest.mark.parametrize(("line", "complaint"), [
    ("Kyiv Independent | journo", "kind 'journo' is unknown"),
    (" | outlet", "no name"),
    ("Kyiv Independent | outlet | | ftp://x", "http:// or https://"),
    ("A | outlet | b | https://x.org | extra", "5 fields"),
])
def test_bad_gazetteer_line_is_refused_naming_the_file_and_line(
    tmp_path: Path, line: str, complaint: str,
) -> None:
    path = tmp_path / "sources.txt"
    path.write_text(f"# header\n{line}\n", encoding="utf-8")
    with pytest.raises(ImportRefused) as refused:
        Gazetteer.from_file(path)
    assert f"{path} line 2:" in str(refused.value)
    assert complaint in str(refused.value)


def test_missing_gazetteer_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportRefused, match="cannot read the gazetteer file"):
        Gazetteer.from_file(tmp_path / "nope.txt")


def test_large_gazetteer_still_finds_the_longest_name() -> None:
    entries = [f"Person Number {i} | person" for i in range(2000)]
    gazetteer = Gazetteer.from_text("\n".join([*entries, "Person Number 12 Junior | person"]))
    assert names("Person Number 12 Junior said so.", gazetteer) == ["Person Number 12 Junior"]
    assert names("Person Number 1999 said so.", gazetteer) == ["Person Number 1999"]


def test_name_before_a_description_between_commas_is_the_speaker() -> None:
    assert cited("Oleksandr Ivanov, the mayor, said the city was calm.") == [
        {"name": "Oleksandr Ivanov", "kind": "official"}
    ]


def test_known_name_inside_a_hyphenated_word_is_still_found() -> None:
    assert names("The a-Bild said so.") == ["Bild"]


# --- issue 17, item 4: institutions, offices, roles, agencies, "via" chains ---------------


@pytest.mark.parametrize(("text", "expected"), [
    ("Residents should boil water, the county health office said.",
     [{"name": "County health office", "kind": "official"}]),
    ("Police told reporters that the bridge would stay closed.",
     [{"name": "Police", "kind": "other"}]),
    ("The council clerk said a shelter had opened.",
     [{"name": "Council clerk", "kind": "official"}]),
    ("The utility reported that 9,000 homes were dark.",
     [{"name": "Utility", "kind": "other"}]),
    ("Judge Lewis Kaplan jailed him for 25 years, court records show.",
     [{"name": "Court records", "kind": "other"}]),
])
def test_institutions_and_offices_named_by_what_they_are_are_sources(
    text: str, expected: list[dict[str, str]],
) -> None:
    assert cited(text) == expected


def test_officials_said_according_to_an_agency_speak_via_the_agency() -> None:
    assert cited("Two people were rescued, officials said, according to AFP.") == [
        {"name": "Officials", "kind": "anonymous", "via": "AFP"}
    ]


@pytest.mark.parametrize(("text", "name", "via"), [
    ("Witnesses interviewed by N1 said a noise caused a stampede.", "Witnesses", "N1"),
    ("Economists polled by Reuters expect a cut.", "Economists", "Reuters"),
    ("Students who organised the protest told Reuters they wanted answers.", "Students",
     "Reuters"),
])
def test_people_interviewed_polled_or_quoted_by_an_outlet_speak_via_it(
    text: str, name: str, via: str,
) -> None:
    assert [(s["name"], s.get("via")) for s in cited(text)] == [(name, via)]


@pytest.mark.parametrize(("text", "name"), [
    ("Treasury Secretary Scott Bessent said the economy was fine.", "Scott Bessent"),
    ("Chief Superintendent Hazel Crawford said roads were closed.", "Hazel Crawford"),
    ("Judge Arun Subramanian told the jury to continue.", "Arun Subramanian"),
    ("His lawyer, Marc Mukasey, told the court he was sorry.", "Marc Mukasey"),
    ("The appeal failed, the Judiciary of England and Wales said.",
     "Judiciary of England and Wales"),
])
def test_roles_and_titles_are_not_part_of_the_name(text: str, name: str) -> None:
    assert names(text) == [name]


def test_a_surname_alone_is_the_person_the_update_named_in_full() -> None:
    assert cited("Jannik Sinner won in four sets. “A dream,” Sinner told the BBC.") == [
        {"name": "Jannik Sinner", "kind": "person", "via": "BBC"}
    ]


def test_unnamed_sources_after_an_outlets_reporting_speak_through_it() -> None:
    text = ("Sources quoted by Bild report fears. According to interviewed soldiers, the "
            "front is critical.\nThe General Staff denied it.")
    assert cited(text) == [
        {"name": "Sources", "kind": "anonymous", "via": "Bild"},
        {"name": "Interviewed soldiers", "kind": "anonymous", "via": "Bild"},
        {"name": "Ukraine's General Staff", "kind": "official"},
    ]


def test_a_noun_that_looks_like_a_speech_verb_names_nobody() -> None:
    assert names("Jurors sent a note saying they had a verdict, a court spokesperson said.") \
        == ["Court spokesperson"]


@pytest.mark.parametrize(("text", "name"), [
    ("Friedrich Merz sagte, er wolle regieren.", "Friedrich Merz"),
    ("Laut ARD liegt die Union vorn.", "ARD"),
    ("Jordan Bardella a déclaré que c'est fini.", "Jordan Bardella"),
    ("Selon l’AFP, elle a quitté la salle.", "AFP"),
    ("El número asciende a 51, según Efe.", "EFE"),
    ("Кількість загиблих зросла, повідомив Тимур Ткаченко.", "Тимур Ткаченко"),
    ("Владимир Мединский заявил, что всё хорошо.", "Владимир Мединский"),
])
def test_attributions_in_other_languages(text: str, name: str) -> None:
    assert names(text) == [name]
