"""Who an update cites: known sources by name, and attributions by their phrasing.

Quotations are masked first, so that only the page's own words attribute. In
each sentence the importer looks for attribution phrases ("according to X",
"X said/reported/wrote/notes/...", "X told Y", "quoted by Y", "covered by X",
"citing X", "in an interview with Y") and takes the speaker from the words next
to them: a source from the gazetteer, a run of capitalised words ("Andrii
Koval"), or an unnamed description ("sources in the army and intelligence"),
which becomes an anonymous source. "via" records the outlet a source spoke
through: "X told Le Monde", "X quoted by Bild", and journalists named with
their outlet ("Bild military analyst Julian Röpcke", "Oliver Carroll of The
Economist"). A pronoun ("he told Le Monde") is taken to be the last speaker
named before it.

A known source that the update only mentions is not a cited source: a name
inside what someone else is reported to say ("Bild reports debates over
whether President Zelensky ..."), or after a preposition ("supporters of
Zelensky"). Those names are returned as mentions.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from storylog.domain.values import SourceKind
from storylog.importer.gazetteer import Gazetteer, GazetteerMatch
from storylog.importer.text import (
    fold,
    key,
    mask_quotes,
    phrase_pattern,
    sentence_spans,
    words,
)

ANONYMOUS_HEADS = words(
    "officer officers soldier soldiers source sources official officials diplomat diplomats "
    "resident residents witness witnesses eyewitness eyewitnesses commander commanders "
    "serviceman servicemen servicewoman fighter fighters insider insiders volunteer "
    "volunteers medic medics aide aides lawmaker lawmakers expert experts analyst analysts "
    "spokesperson spokesman spokeswoman marine marines paratrooper paratroopers operator "
    "operators people person prosecutors investigators monitors observers organisers "
    "organizers students economists analysts traders protesters rescuers firefighters doctors "
    "jurors"
)
# Institutions and records named by what they are ("the county health office said",
# "police told reporters", "court records show"): cited under that description.
INSTITUTION_HEADS = {
    SourceKind.OFFICIAL: words(
        "office board department ministry police council clerk court commission committee "
        "bureau authority government administration junta prosecutor prosecutors regulator "
        "sheriff agency service"
    ),
    SourceKind.OTHER: words(
        "utility district media records data exchange company operator union hospital"
    ),
}
_INSTITUTIONS = frozenset().union(*INSTITUTION_HEADS.values())
PRONOUNS = words("he she they it we i you him her them us me")
GENERIC = words(
    "outlet outlets newspaper paper agency publication report reports media channel website "
    "site statement ministry another others one some many both all everyone someone who "
    "which this that these those"
)
DETERMINERS = words(
    "a an the one two three four five several some many another other its his her their our "
    "both few multiple numerous"
)
RELATIVES = words("who that which")
CLAUSE_WORDS = words(
    "that which who whom whose while whereas but because although though when if as after "
    "before since so where saying adding claiming noting according"
)
SPEECH_VERBS = words(
    "said says say reported reports report wrote writes write noted notes note stated states "
    "told tells claimed claims announced announces confirmed confirms denied denies added "
    "adds posted tweeted warned warns estimated estimates explained stressed insisted "
    "acknowledged admitted admits admit observed observes quoted cited show shows showed "
    "projected"
)
# Speech verbs and "according to" in the other languages the importer reads (folded).
FOREIGN_VERBS = words(
    "sagte sagt erklarte erklart teilte berichtete berichtet meldete meldet "
    "declare annonce affirme indique precise explique "
    "dijo afirmo informo declaro anuncio explico aseguro "
    "повідомив повідомила повідомили повідомляє заявив заявила заявили сказав сказала "
    "сообщил сообщила сообщили сообщает заявил заявила заявили сказал сказала"
)
FOREIGN_ACCORDING = ("laut", "selon", "segun", "за словами", "по словам", "согласно")
ADVERBS = words(
    "again also earlier later previously now then separately further recently yesterday "
    "today reportedly has have had was were is are a hat ha"
)
VIA_STOP = words(
    "on in at during last this yesterday today earlier about over after before while when "
    "via from with to"
)
MENTION_WORDS = words(
    "of about over against with for on to into at from toward towards whether by under "
    "between than like"
)
CONNECTORS = words("of de von van der al bin la le du da del for the")
RUN_STOP = words(
    "on in at as by for from with to of and but meanwhile however nevertheless according a "
    "an it he she they we i this that these those his her their its our after before while "
    "when if notably also then earlier later separately the x laut selon según segun"
)
CALENDAR = words(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday"
)
JOURNALIST_ROLES = words(
    "analyst correspondent reporter journalist columnist editor commentator blogger host "
    "anchor writer contributor"
)
MEDIA_NOUNS = words(
    "outlet newspaper daily tabloid magazine broadcaster channel website publication agency "
    "paper site"
)
_ROLE_KINDS = {
    SourceKind.OFFICIAL: words(
        "spokesperson spokesman spokeswoman minister president governor mayor general "
        "commander ambassador prosecutor deputy chief head official"
    ),
    SourceKind.ANALYST: words("analyst expert researcher"),
    SourceKind.PERSON: words("correspondent reporter journalist columnist editor"),
    SourceKind.OUTLET: words("outlet newspaper daily tabloid magazine broadcaster"),
    SourceKind.AGENCY: frozenset(["agency"]),
}
_ORG_WORDS = words(
    "ministry institute agency staff forces office service council army command committee "
    "directorate department police guard university center centre group news times post "
    "journal press media tv radio"
)
_PUBLISHERS = (SourceKind.OUTLET, SourceKind.AGENCY)
TITLES = _ROLE_KINDS[SourceKind.OFFICIAL] | JOURNALIST_ROLES | words(
    "mr mrs ms dr prime foreign defence defense interior vice lieutenant colonel major captain "
    "sergeant senator sen rep representative sheriff superintendent inspector justice judge "
    "solicitor attorney secretary treasury commerce sir dame lord lady coach manager "
    "chancellor pollster meteorologist"
)

_TOKEN = re.compile(r"\w(?:[\w’'\-.&]*\w)?")
_CUE_KINDS: dict[str, str] = {
    "according to": "according", "in an interview with": "interview", "citing": "citing",
    "told": "told", "tells": "told",
    **{f"{as_}{verb} by": "quoted" for verb in ("quoted", "cited") for as_ in ("", "as ")},
    **{
        f"{as_}{verb} by": "by" for as_ in ("", "as ") for verb in words(
            "covered reported echoed confirmed denied published posted shared announced "
            "stated said")
    },
}
_CUE_KINDS.update({
    f"{verb} by": "quoted" for verb in ("interviewed", "polled", "surveyed", "questioned")})
_CUE_KINDS.update({verb: "verb" for verb in SPEECH_VERBS | FOREIGN_VERBS
                   if verb not in _CUE_KINDS})
_CUE_KINDS.update(dict.fromkeys(FOREIGN_ACCORDING, "according"))
_CUE_KINDS.update({key(cue): kind for cue, kind in list(_CUE_KINDS.items())})
_CUES = phrase_pattern(_CUE_KINDS)
_ROLE_BEFORE = re.compile(
    r"(?:['’]s)?\s+(?:[a-z][\w-]*\s+){0,2}(?P<role>"
    + "|".join(sorted(JOURNALIST_ROLES | _ROLE_KINDS[SourceKind.OFFICIAL])) + r")s?\s+$"
    r"|['’]s\s+$"
)
_APPOSITIVE = re.compile(r",\s+[a-z][\w’'-]*(?:\s+[\w’'-]+){0,7},\s*$")
_AFFILIATED = re.compile(r"\s*,?\s+(?:of|from|at)\s+(?:the\s+)?$", re.I)
_OF_AFTER = re.compile(r"\s*,?\s*(?:of|from|at|with)\s+(?:the\s+)?")
_SOCIAL = re.compile(
    r"\b(?P<what>videos?|footage|clips?|recordings?|photos?|images?|posts?)\b[^.;:]{0,60}?"
    r"\b(?:on|across)\s+social\s+(?:media|networks)\b"
    r"|\bsocial[\s-]media\s+(?P<what2>videos?|footage|clips?|posts?)\b",
    re.I,
)


@dataclass
class Cited:
    """A source the update cites, in the shape storylog's Source takes."""

    name: str
    kind: SourceKind
    start: int
    via: str | None = None
    url: str | None = None
    head: str | None = None

    def as_dict(self) -> dict[str, str]:
        out = {"name": self.name, "kind": self.kind.value}
        if self.via:
            out["via"] = self.via
        if self.url:
            out["url"] = self.url
        return out


_Token = re.Match[str]


def _low(token: _Token) -> str:
    return token.group().lower()


def _cap(token: _Token) -> bool:
    return token.group()[0].isupper()


@dataclass
class _Entity:
    start: int
    end: int
    name: str
    kind: SourceKind
    url: str | None = None
    pronoun: bool = False
    head: str | None = None


def find_sources(body: str, gazetteer: Gazetteer) -> tuple[list[dict[str, str]], list[str]]:
    """The sources ``body`` cites (as dicts for storylog's Source) and the names it only
    mentions."""
    finder = _Finder(gazetteer)
    offset = 0
    for paragraph in body.split("\n"):
        finder.read_paragraph(paragraph, offset)
        offset += len(paragraph) + 1
    return finder.result()


@dataclass
class _Finder:
    gazetteer: Gazetteer
    cited: list[Cited] = field(default_factory=list)
    mentioned: list[tuple[int, str]] = field(default_factory=list)
    last_speaker: Cited | None = None
    paragraphs: list[str] = field(default_factory=list)

    def read_paragraph(self, paragraph: str, offset: int) -> None:
        self.paragraphs.append(paragraph)
        masked = mask_quotes(paragraph)
        folded = fold(masked)
        matches = self.gazetteer.find(masked, folded)
        for start, end in sentence_spans(masked):
            inside = [m for m in matches if start <= m.start and m.end <= end]
            _Sentence(self, masked, folded, start, end, inside, offset).read()
        if "social" in folded:
            self._social_media(masked, offset)

    def cite(self, entity: _Entity, via: str | None, offset: int) -> Cited:
        cited = Cited(entity.name, entity.kind, offset + entity.start, via, entity.url, entity.head)
        self.cited.append(cited)
        if cited.kind not in _PUBLISHERS:
            self.last_speaker = cited
        return cited

    def _social_media(self, masked: str, offset: int) -> None:
        found = _SOCIAL.search(masked)
        if found is None:
            return
        what = (found.group("what") or found.group("what2")).lower()
        moving = what[:3] in ("vid", "foo", "cli", "rec")
        name = "Social media video" if moving else "Social media post"
        entry = self.gazetteer.lookup(name)
        kind = entry.kind if entry else SourceKind.SOCIAL_MEDIA
        self.cited.append(Cited(entry.name if entry else name, kind, offset + found.start()))

    def result(self) -> tuple[list[dict[str, str]], list[str]]:
        _carried(self.cited)
        _full_names(self.cited, "\n".join(self.paragraphs))
        sources = _deduplicated(self.cited)
        names = {key(s.name) for s in sources}
        mentions: dict[str, None] = {}
        for _, name in sorted(self.mentioned):
            if key(name) not in names:
                mentions[name] = None
        return [s.as_dict() for s in sources], list(mentions)


def _carried(cited: list[Cited]) -> None:
    """Unnamed sources after an outlet's reporting speak through that outlet: in "sources
    quoted by Bild report fears ... According to interviewed soldiers ...", the soldiers are
    Bild's too."""
    carrier: str | None = None
    for source in sorted(cited, key=lambda s: s.start):
        if source.kind is SourceKind.ANONYMOUS and source.via is None and carrier:
            source.via = carrier
        if source.kind in _PUBLISHERS:
            carrier = source.name
        elif source.via:
            carrier = source.via


_FULL_NAME = r"(?<![\w’'])((?:[A-ZÀ-ÞА-ЯІЇЄҐ][\w’'-]+\s+){{1,2}}){name}(?![\w’'])"


def _full_names(cited: list[Cited], body: str) -> None:
    """A person cited by surname alone ("Sinner told the BBC") under the full name the
    update gives them elsewhere ("Jannik Sinner won ...")."""
    for source in cited:
        if " " in source.name or source.kind not in (SourceKind.PERSON, SourceKind.OTHER):
            continue
        for found in re.finditer(_FULL_NAME.format(name=re.escape(source.name)), body):
            given = found.group(1).split()
            while given and given[0].lower() in TITLES | RUN_STOP:
                given.pop(0)
            if given:
                source.name = " ".join([*given, source.name])
                source.kind = SourceKind.PERSON
                break


def _deduplicated(cited: list[Cited]) -> list[Cited]:
    unique: dict[tuple[str, str], Cited] = {}
    for source in sorted(cited, key=lambda s: s.start):
        unique.setdefault((key(source.name), key(source.via or "")), source)
    with_via = {name for name, via in unique if via}
    plural_heads = {s.head for s in unique.values() if s.head and s.head.endswith("s")}
    return [
        source for (name, via), source in unique.items()
        if (via or name not in with_via) and f"{source.head}s" not in plural_heads
    ]


class _Sentence:
    """One sentence of masked text, and what its attribution phrases say."""

    def __init__(
        self, finder: _Finder, text: str, folded: str, start: int, end: int,
        matches: list[GazetteerMatch], offset: int,
    ) -> None:
        self.finder, self.text, self.folded = finder, text, folded
        self.start, self.end = start, end
        self.matches, self.offset = matches, offset
        self.speakers: list[tuple[_Entity, Cited]] = []
        self.taken: list[tuple[int, int]] = []
        self.reported: list[tuple[int, int]] = []

    @cached_property
    def tokens(self) -> list[_Token]:
        return list(_TOKEN.finditer(self.text, self.start, self.end))

    def read(self) -> None:
        assert _CUES is not None
        for cue in _CUES.finditer(self.folded, self.start, self.end):
            kind = _CUE_KINDS.get(cue.group()) or _CUE_KINDS[key(cue.group())]
            getattr(self, f"_{kind}")(cue)
        for match in self.matches:
            self._plain(match)

    # --- the attribution phrases -------------------------------------------------

    def _according(self, cue: re.Match[str]) -> None:
        span = self._after(cue.end(), stop_at_prepositions=False)
        objects = self._objects(span)
        earlier = [c for e, c in self.speakers if e.end <= cue.start() and c.via is None]
        if earlier and objects and not objects[0].pronoun \
                and self.text[self.start:cue.start()].rstrip().endswith(","):
            # "officials said, according to AFP": the officials, as AFP carried them
            earlier[-1].via = objects[0].name
            self.taken.append((objects[0].start, objects[0].end))
            self.reported.append((self.start, self.end))
        elif self._speakers(objects):
            self.reported.append((self.start, self.end))

    def _quoted(self, cue: re.Match[str]) -> None:
        via = self._via(self._after(cue.end()))
        speakers = self._speakers(self._objects(self._before(cue.start())), via)
        if via is not None and not speakers:
            self._speaker(via)

    def _by(self, cue: re.Match[str]) -> None:
        self._speakers(self._objects(self._after(cue.end())))

    def _interview(self, cue: re.Match[str]) -> None:
        via = self._via(self._after(cue.end()))
        if via is None:
            return
        earlier = [cited for _, cited in self.speakers if cited.via is None]
        for cited in earlier:
            cited.via = via.name
        if earlier:
            self.taken.append((via.start, via.end))
        else:
            self._speaker(via)

    def _citing(self, cue: re.Match[str]) -> None:
        main = self._via_entity(self.speakers[-1][0]) if self.speakers else None
        self._speakers(self._objects(self._after(cue.end(), stop_at_prepositions=False)), main)

    def _told(self, cue: re.Match[str]) -> None:
        via = self._via(self._after(cue.end()))
        subject = self._subject(self._before(cue.start())) or self._named_apposition(cue.start())
        if subject is not None and not subject.pronoun:
            self._speaker(subject, via)
            return
        antecedent = self._antecedent(via)
        if antecedent is not None and via is not None:
            antecedent.via = antecedent.via or via.name
            self.taken.append((via.start, via.end))
        elif via is not None:
            self._speaker(via)

    def _verb(self, cue: re.Match[str]) -> None:
        index = self._token_index(cue.start())
        if index > 0 and cue.group() in SPEECH_VERBS \
                and _low(self.tokens[index - 1]) in DETERMINERS - {"one"}:
            return  # "sent a note", "the report": a noun, not a verb
        span = self._before(cue.start())
        if span and self._is_taken(self.tokens[span[1] - 1].end()):
            return
        subject = self._subject(span) or self._appositive(cue.start()) \
            or self._named_apposition(cue.start())
        if subject is None and self._follows_quote(cue.start()):
            subject = next(iter(self._objects(self._after(cue.end()))), None)
        if subject is not None and not subject.pronoun:
            self._speaker(subject)
            self.reported.append((cue.end(), self.end))

    def _appositive(self, position: int) -> _Entity | None:
        """The name before a description between commas: "Oleksandr Ivanov, the mayor, said"."""
        found = _APPOSITIVE.search(self.text, max(self.start, position - 120), position)
        if found is None:
            return None
        entity = self._name_ending_at(found.start(), self.start)
        if entity is not None and entity.kind in (SourceKind.PERSON, SourceKind.OTHER):
            described = _guess_kind(entity.name, re.findall(r"[a-z]+", found.group().lower()))
            entity.kind = described if described is not SourceKind.PERSON else entity.kind
        return entity

    def _named_apposition(self, position: int) -> _Entity | None:
        """The name between commas before the verb: "His lawyer, Marc Mukasey, told"."""
        before = self.text[self.start:position].rstrip()
        if not before.endswith(","):
            return None
        end = self.start + len(before) - 1
        entity = self._name_ending_at(end, self.start)
        if entity is None or not self.text[self.start:entity.start].rstrip().endswith(","):
            return None
        return entity

    def _plain(self, match: GazetteerMatch) -> None:
        if self._is_taken(match.end) or any(
            e.start <= match.start < e.end for e, _ in self.speakers
        ):
            return
        entry = match.entry
        entity = _Entity(match.start, match.end, entry.name, entry.kind, entry.url)
        if self._is_mention(match):
            self.finder.mentioned.append((self.offset + match.start, entry.name))
        else:
            self._speaker(entity)

    # --- speakers ----------------------------------------------------------------

    def _speakers(self, entities: list[_Entity], via: _Entity | None = None) -> list[_Entity]:
        """Cite each entity that is not a pronoun; the last first, so that in "Reuters and
        The Economist correspondent Oliver Carroll" The Economist is Carroll's outlet."""
        cited = []
        for entity in reversed(entities):
            if not entity.pronoun and not self._is_taken(entity.end):
                self._speaker(entity, via)
                cited.append(entity)
        return cited

    def _speaker(self, entity: _Entity, via: _Entity | None = None) -> None:
        if via is not None:
            self.taken.append((via.start, via.end))
        via_name = via.name if via is not None else self._affiliation(entity)
        cited = self.finder.cite(entity, via_name, self.offset)
        self.speakers.append((entity, cited))
        self.taken.append((entity.start, entity.end))

    @staticmethod
    def _via_entity(entity: _Entity) -> _Entity:
        """A speaker as the outlet that others speak through (without taking its place)."""
        return _Entity(-1, -1, entity.name, entity.kind, entity.url)

    def _antecedent(self, via: _Entity | None) -> Cited | None:
        for _, cited in reversed(self.speakers):
            if via is None or key(cited.name) != key(via.name):
                return cited
        return self.finder.last_speaker

    def _affiliation(self, entity: _Entity) -> str | None:
        """The outlet a journalist is named with: "Bild analyst X", "X of The Economist"."""
        role = _ROLE_BEFORE.search(self.text, max(self.start, entity.start - 80), entity.start)
        if role is not None:
            organisation = self._ending_at(role.start())
            if organisation is not None and (
                organisation.kind in _PUBLISHERS or role.group("role") in JOURNALIST_ROLES
            ):
                self.taken.append((organisation.start, organisation.end))
                return organisation.name
        after = _OF_AFTER.match(self.text, entity.end, self.end)
        if after is not None:
            for match in self.matches:
                if match.start == after.end() and match.entry.kind in _PUBLISHERS:
                    self.taken.append((match.start, match.end))
                    return match.entry.name
        return None

    def _ending_at(self, position: int) -> _Entity | None:
        return self._name_ending_at(position, self.start)

    def _is_taken(self, position: int) -> bool:
        return any(start < position <= end for start, end in self.taken)

    def _is_mention(self, match: GazetteerMatch) -> bool:
        if any(start <= match.start < end for start, end in self.reported):
            return True
        index = self._token_index(match.start)
        while 0 < index < len(self.tokens) and not self._gap(index - 1, index) and (
            _cap(self.tokens[index - 1]) or _low(self.tokens[index - 1]) in ("the", "a", "an")
        ):
            index -= 1
        return index > 0 and _low(self.tokens[index - 1]) in MENTION_WORDS

    def _follows_quote(self, position: int) -> bool:
        before = self.text[self.start:position].rstrip()
        return bool(before) and before[-1] in ",”\""

    # --- noun phrases ------------------------------------------------------------

    def _before(self, position: int) -> tuple[int, int] | None:
        """Token range of the phrase that ends just before ``position``."""
        last = self._token_index(position)
        edge = position
        while last > 0 and _low(self.tokens[last - 1]) in ADVERBS and self._clear(last - 1, edge):
            last -= 1
            edge = self.tokens[last].start()
        first = last
        while first > 0 and last - first < 10:
            token = self.tokens[first - 1]
            right = self.tokens[first].start() if first < last else edge
            if not self._clear(first - 1, right) or _low(token) in CLAUSE_WORDS | SPEECH_VERBS:
                break
            first -= 1
        return (first, last) if first < last else None

    def _after(self, position: int, stop_at_prepositions: bool = True) -> tuple[int, int] | None:
        """Token range of the phrase that starts just after ``position``."""
        first = self._token_index(position)
        last = first
        stops = CLAUSE_WORDS | SPEECH_VERBS | (VIA_STOP if stop_at_prepositions else frozenset())
        while last < len(self.tokens) and last - first < 10:
            left = self.tokens[last - 1].end() if last > first else position
            token = self.tokens[last]
            if self.text[left:token.start()].strip() or _low(token) in stops:
                break
            last += 1
        return (first, last) if first < last else None

    def _subject(self, span: tuple[int, int] | None) -> _Entity | None:
        """Who the phrase before a verb names: the name that ends right at the verb."""
        if span is None:
            return None
        first, last = span
        named = self._name_ending_at(self.tokens[last - 1].end(), self.tokens[first].start())
        if named is None:
            found = self._pronoun(first, last) or self._anonymous(first, last)
            if found is None and first > 0 and _low(self.tokens[first - 1]) in RELATIVES:
                # "Students who organised the protest told Reuters"
                return self._subject(self._before(self.tokens[first - 1].start()))
            return found
        head = _AFFILIATED.search(self.text, self.tokens[first].start(), named.start)
        if head is not None:
            return self._name_ending_at(head.start(), self.tokens[first].start()) or named
        return named

    def _name_ending_at(self, position: int, earliest: int) -> _Entity | None:
        """A known name or a capitalised name that ends at ``position``."""
        for match in self.matches:
            if match.end == position and match.start >= earliest:
                entry = match.entry
                return _Entity(match.start, match.end, entry.name, entry.kind, entry.url)
        last = self._token_index(position)
        for run_first, run_last in self._runs(self._token_index(earliest), last):
            if run_last == last and self.tokens[run_last - 1].end() == position:
                return self._run_entity(run_first, run_last)
        return None

    def _objects(self, span: tuple[int, int] | None) -> list[_Entity]:
        """The sources a phrase names: known names, names in coordination, or a description."""
        if span is None:
            return []
        first, last = span
        lo, hi = self.tokens[first].start(), self.tokens[last - 1].end()
        found = [
            _Entity(m.start, m.end, m.entry.name, m.entry.kind, m.entry.url)
            for m in self.matches if lo <= m.start and m.end <= hi
        ]
        for run_first, run_last in self._runs(first, last):
            if self._heads_phrase(first, run_first):
                entity = self._run_entity(run_first, run_last)
                if not any(e.start < entity.end and entity.start < e.end for e in found):
                    found.append(entity)
        described = self._anonymous(first, last)
        if found and described is not None and all(
            e.kind is SourceKind.ANONYMOUS and described.start <= e.start and e.end <= described.end
            and (e.start, e.end) != (described.start, described.end) for e in found
        ):
            return [described]  # "a marine officer", not the gazetteer's "officer"
        if found:
            return sorted(found, key=lambda e: e.start)
        single = self._pronoun(first, last) or described
        return [single] if single else []

    def _via(self, span: tuple[int, int] | None) -> _Entity | None:
        """The outlet a phrase names (after "told", "quoted by", "an interview with")."""
        if span is None:
            return None
        first, last = span
        lo, hi = self.tokens[first].start(), self.tokens[last - 1].end()
        for match in self.matches:
            if lo <= match.start and match.end <= hi:
                entry = match.entry
                return _Entity(match.start, match.end, entry.name, entry.kind, entry.url)
        for run_first, run_last in self._runs(first, last):
            if self._heads_phrase(first, run_first):
                return self._run_entity(run_first, run_last)
        return None

    def _heads_phrase(self, first: int, index: int) -> bool:
        """Whether a name at token ``index`` opens the phrase, a coordination or an apposition."""
        before = [_low(t) for t in self.tokens[first:index]]
        while before and before[0] in DETERMINERS:
            before.pop(0)
        return not before or before[-1] == "and" or before[-1] in MEDIA_NOUNS | JOURNALIST_ROLES

    def _pronoun(self, first: int, last: int) -> _Entity | None:
        token = self.tokens[first]
        if last - first == 1 and _low(token) in PRONOUNS:
            start, end = token.span()
            return _Entity(start, end, token.group(), SourceKind.OTHER, pronoun=True)
        return None

    def _anonymous(self, first: int, last: int) -> _Entity | None:
        """An unnamed source described by the phrase: "sources in the army and intelligence",
        or an institution named by what it is: "the county health office"."""
        heads = [i for i in range(first, last)
                 if _low(self.tokens[i]) in ANONYMOUS_HEADS | _INSTITUTIONS
                 and not (i > first and _low(self.tokens[i - 1]) == "social")]
        if not heads or (last - first == 1 and _low(self.tokens[first]) in GENERIC):
            return None
        head = heads[0]
        begin = first
        while begin < head and _low(self.tokens[begin]) in DETERMINERS:
            begin += 1
        stop = head + 1
        while stop < last and stop - begin < 8 and not self._ends_description(stop):
            stop += 1
        name = self.text[self.tokens[begin].start():self.tokens[stop - 1].end()]
        noun = head  # of a compound ("sheriff's department spokesperson"): its last noun
        while noun + 1 < stop and _low(self.tokens[noun + 1]) in ANONYMOUS_HEADS | _INSTITUTIONS:
            noun += 1
        return _Entity(
            self.tokens[begin].start(), self.tokens[stop - 1].end(), name[0].upper() + name[1:],
            _head_kind(_low(self.tokens[noun])), head=_low(self.tokens[head]),
        )

    def _ends_description(self, index: int) -> bool:
        word, previous = _low(self.tokens[index]), _low(self.tokens[index - 1])
        if word in CLAUSE_WORDS:
            return True
        participle = word.endswith(("ed", "ing")) and len(word) > 4
        return participle and previous not in DETERMINERS | MENTION_WORDS

    def _runs(self, first: int, last: int) -> list[tuple[int, int]]:
        """Token ranges of capitalised names ("Andrii Koval", "Institute for the Study of War")
        among tokens ``first`` to ``last``."""
        return [
            run for run in _capital_runs(self.tokens, self._gap, first, last)
            if _is_name([_low(t) for t in self.tokens[run[0]:run[1]]])
        ]

    def _run_entity(self, first: int, last: int) -> _Entity:
        start, end = self.tokens[first].start(), self.tokens[last - 1].end()
        name = self.text[start:end]
        entry = self.finder.gazetteer.lookup(name)
        if entry is not None:
            return _Entity(start, end, entry.name, entry.kind, entry.url)
        roles = [_low(t) for t in self.tokens[max(0, first - 3):first]]
        kind = _guess_kind(name, roles)
        if kind is SourceKind.PERSON and first > 0 and self.tokens[first - 1].group() == "The":
            kind = SourceKind.OTHER
        return _Entity(start, end, name, kind)

    # --- tokens ------------------------------------------------------------------

    @cached_property
    def _starts(self) -> list[int]:
        return [token.start() for token in self.tokens]

    def _token_index(self, position: int) -> int:
        """Index of the first token that starts at or after ``position``."""
        return bisect_left(self._starts, position)

    def _gap(self, left: int, right: int) -> bool:
        """Whether anything but spaces stands between tokens ``left`` and ``right``."""
        return bool(self.text[self.tokens[left].end():self.tokens[right].start()].strip())

    def _clear(self, index: int, position: int) -> bool:
        """Whether only spaces stand between token ``index`` and ``position``."""
        return not self.text[self.tokens[index].end():position].strip()


def _capital_runs(
    tokens: list[_Token], has_gap: Callable[[int, int], bool], start: int, stop: int,
) -> list[tuple[int, int]]:
    """Ranges of capitalised tokens, joined by connectors ("of", "de", "the")."""
    runs: list[tuple[int, int]] = []
    index = start
    while index < stop:
        if not _cap(tokens[index]):
            index += 1
            continue
        first = last = index
        probe = index + 1
        while probe < stop and not has_gap(probe - 1, probe):
            if _cap(tokens[probe]):
                last = probe
            elif _low(tokens[probe]) == "and" and any(
                _low(t) == "of" for t in tokens[first:probe]
            ) and probe + 1 < stop and _cap(tokens[probe + 1]):
                pass  # "Judiciary of England and Wales"
            elif _low(tokens[probe]) not in CONNECTORS:
                break
            probe += 1
        while first <= last and _low(tokens[first]) in RUN_STOP:
            first += 1
        while first < last and _low(tokens[first]) in TITLES and not all(
            _low(t) in _ORG_WORDS for t in tokens[first + 1:last + 1]
        ):
            first += 1
        if first <= last:
            runs.append((first, last + 1))
        index = last + 1
    return runs


def _head_kind(head: str) -> SourceKind:
    for kind, heads in INSTITUTION_HEADS.items():
        if head in heads:
            return kind
    return SourceKind.ANONYMOUS


def _is_name(lowered: list[str]) -> bool:
    if lowered[-1].endswith(("'s", "’s")):
        return False
    if all(w in CALENDAR or w in RUN_STOP or len(w) == 1 for w in lowered):
        return False
    return not (len(lowered) == 1 and lowered[0] in ANONYMOUS_HEADS | GENERIC)


def _guess_kind(name: str, roles: list[str]) -> SourceKind:
    for kind, role_words in _ROLE_KINDS.items():
        if any(role in role_words for role in roles):
            return kind
    parts = name.lower().split()
    if any(w.strip("’'s") in _ORG_WORDS or w in _ORG_WORDS for w in parts):
        return SourceKind.OTHER
    if 2 <= len(parts) <= 3 and all(w[:1].isalpha() for w in parts):
        return SourceKind.PERSON
    return SourceKind.OTHER
