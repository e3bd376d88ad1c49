"""Stealth edits: a "copy edit" that changes facts.

A copy edit may fix spelling and style; it must not change numbers, names, places, dates,
negation, modality, quotations, attribution, outcomes or the sources cited. This module
compares the text before and after and names every such change, so that the policy (in
``Story.edit_update``) can refuse it on a published update.

How: both texts are brought to a canonical form in which the things a copy edit may change
vanish (quote and dash styles, punctuation, case, accents, number formatting, house
abbreviations, UK/US spelling, common transliterations, dates written either way round), and
the remaining words are compared as a bag, so that moving a clause or splitting a sentence
changes nothing. What is left over, removed or added, is a change of fact, unless it pairs up
as a spelling fix (a one-letter slip between words of which at most one is an English word,
judged by ``wordfreq``), a compound written apart or together, an acronym and its expansion,
or a transliteration of the same name. Three order checks catch what a bag cannot see: what a
negation applies to ("rise, not fall"), what a number counts ("2 killed and 5 hurt"), and
what a comparison is against. Quotations are compared word for word.

The figures on the labelled corpus in tests/standards/stealth_corpus/ are in the README
(``bench/stealth.py`` prints them).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache

from storylog.domain.values import Source

# ---------------------------------------------------------------- character level

_CHARS = str.maketrans({
    "’": "'", "‘": "'", "`": "'", "´": "'", "‛": "'", "′": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"', "″": '"',
    "‹": "'", "›": "'",
    "‐": "-", "‑": "-", "‒": " - ", "–": " - ", "—": " - ", "―": " - ", "−": "-",
    "…": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ",
    "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss",
    "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "ı": "i", "§": " ", "¶": " ",
})


def _fold(text: str) -> str:
    """Typographic variants and accents away; case kept (names are found by it)."""
    text = re.sub(r"(?<=\w)[‒–—―](?=\w)", "-", unicodedata.normalize("NFKC", text))
    text = text.replace("--", " - ").translate(_CHARS)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", re.sub(r"\s*\n\s*", " ¶ ", text))


def _list(words: str) -> list[str]:
    return words.split()


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# ---------------------------------------------------------------- numbers

_UNITS = {w: i for i, w in enumerate(_list(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"))}
_TENS = {w: 10 * i for i, w in enumerate(_list(
    "_ _ twenty thirty forty fifty sixty seventy eighty ninety")) if w != "_"}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 10**9,
           "trillion": 10**12, "bn": 10**9, "tn": 10**12}
_ORDINALS = {w: i + 1 for i, w in enumerate(_list(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth "
    "twentieth"))}
_NUMWORD = "|".join([*_UNITS, *_TENS, "hundred", "thousand", "million", "billion",
                     "trillion"])
_WORD_NUMBER = re.compile(
    rf"\b(?:an?\s+(?=(?:hundred|thousand|million|billion)\b))?"
    rf"(?:{_NUMWORD})(?:(?:\s+|-|\s+and\s+)(?:{_NUMWORD}))*\b", re.I)
_DIGITS = r"\d+(?:\.\d+)?"
_SCALED = re.compile(rf"(?<![\w.])({_DIGITS})\s?(million|billion|trillion|thousand|bn|tn)\b",
                     re.I)
_CURRENCY = re.compile(
    rf"([$£€])\s?({_DIGITS})(?:\s?(m|bn|tn|k|million|billion|trillion|thousand)\b)?", re.I)
_CURRENCY_NAMES = {"$": "dollars", "£": "pounds", "€": "euros"}


def _words_to_number(phrase: str) -> str:
    total, current = 0, 0
    for w in re.split(r"[\s-]+", phrase.lower()):
        if w in ("a", "an"):
            current = 1
        elif w == "and":
            continue
        elif w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        else:
            total += max(current, 1) * _SCALES[w]
            current = 0
    return str(total + current)


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _numbers(text: str) -> str:
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)           # 230,000; 1,200bn
    text = re.sub(r"(?<=\b\d)\s(?=\d{3}\b)|(?<=\b\d\d)\s(?=\d{3}\b)|(?<=\b\d\d\d)\s(?=\d{3}\b)",
                  "", text)                                        # 2 500
    text = re.sub(r"(?<![\w.])\.(?=\d)", "0.", text)               # .5
    text = _CURRENCY.sub(lambda m: f"{_fmt(Decimal(m[2]) * _scale(m[3]))} "
                         f"{_CURRENCY_NAMES[m[1]]}", text)
    text = _SCALED.sub(lambda m: _fmt(Decimal(m[1]) * _scale(m[2])), text)
    text = _WORD_NUMBER.sub(lambda m: _words_to_number(m[0]), text)
    text = _SCALED.sub(lambda m: _fmt(Decimal(m[1]) * _scale(m[2])), text)
    text = re.sub(r"\b(\d+)(?:st|nd|rd|th)\b", r"#\1", text)
    text = re.sub(rf"\b(?:{'|'.join(_ORDINALS)})\b",
                  lambda m: f"#{_ORDINALS[m[0].lower()]}", text, flags=re.I)
    return re.sub(r"\s*%|\bper\s+cent\b", " percent", text, flags=re.I)


def _scale(word: str | None) -> int:
    if not word:
        return 1
    word = word.lower()
    return {"m": 10**6, "k": 1000}.get(word) or _SCALES[word]


# ---------------------------------------------------------------- dates and times

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"]
_MONTH_ABBR = {m[:3]: m for m in _MONTHS} | {"sept": "september"}
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAY_ABBR = {"mon": "monday", "tue": "tuesday", "tues": "tuesday", "wed": "wednesday",
                 "thu": "thursday", "thur": "thursday", "thurs": "thursday", "fri": "friday",
                 "sat": "saturday", "sun": "sunday"}
_MONTH = "|".join(_MONTHS)


def _times(text: str) -> str:
    def clock(h: int, m: int, half: str | None) -> str:
        if half:
            h = h % 12 + (12 if half.lower() == "p" else 0)
        return f" §t{h:02d}{m:02d} "

    text = re.sub(r"\b(\d{1,2}) o'clock(?: in the (morning|afternoon|evening))?",
                  lambda m: clock(int(m[1]), 0, None if not m[2] else
                                  "a" if m[2] == "morning" else "p"), text, flags=re.I)
    text = re.sub(r"\b(\d{1,2})(?:[:.](\d\d))?\s?([ap])\.?\s?m\b\.?",
                  lambda m: clock(int(m[1]), int(m[2] or 0), m[3]), text, flags=re.I)
    text = re.sub(r"\b(\d{1,2}):(\d\d)\b", lambda m: clock(int(m[1]), int(m[2]), None), text)
    text = re.sub(r"\b(" + "|".join(_MONTH_ABBR) + r")(?:\.(?=\s)|(?=\s+\d))",
                  lambda m: _MONTH_ABBR[m[1].lower()], text, flags=re.I)
    text = re.sub(r"\b(" + "|".join(_WEEKDAY_ABBR) + r")\.(?=\s|,)",
                  lambda m: _WEEKDAY_ABBR[m[1].lower()], text, flags=re.I)
    # "3 March" and "March 3" are one date.
    text = re.sub(rf"\b#?(\d{{1,2}})\s+(?:of\s+)?({_MONTH})\b",
                  lambda m: f" §d{m[2].lower()}{int(m[1])} ", text, flags=re.I)
    return re.sub(rf"\b({_MONTH})\s+#?(\d{{1,2}})\b(?!:|\.\d)",
                  lambda m: f" §d{m[1].lower()}{int(m[2])} ", text, flags=re.I)


# ---------------------------------------------------------------- house style

_PHRASES = [(re.compile(p, re.I), r) for p, r in [
    (r"\bkilomet(?:re|er)s? per hour\b|\bkm/h\b|\bkph\b", "kmh"),
    (r"\bmiles per hour\b", "mph"),
    (r"\bkilomet(?:re|er)s?\b", "km"), (r"\bcentimet(?:re|er)s?\b", "cm"),
    (r"\bmillimet(?:re|er)s?\b", "mm"), (r"(?<=\d)\s?m\b(?!\.)", " m"),
    (r"\bmet(?:re|er)s\b|\bmet(?:re|er)\b", "m"), (r"\bkilo(?:gram|gramme)s?\b|\bkgs?\b", "kg"),
    (r"\bfederal reserve\b", "fed"), (r"\blieutenant\b|\blt\.", "lt"),
    (r"\bgen\.", "general"), (r"\bcol\.", "colonel"), (r"\bmaj\.", "major"),
    (r"\bsgt\.", "sergeant"), (r"\bcapt\.", "captain"), (r"\bprof\.", "professor"),
    (r"\bgov\.", "governor"), (r"\bsen\.", "senator"), (r"\brep\.", "representative"),
    (r"\bpres\.", "president"), (r"\bdoctor\b|\bdr\b\.?", "dr"), (r"\bmister\b|\bmr\b\.?", "mr"),
    (r"\bmrs\b\.?", "mrs"), (r"\bms\b\.?", "ms"), (r"\bsaint\b|\bst\b\.?(?=\s+[A-Z])", "st"),
    (r"\bcorp\b\.?|\bcorporation\b", "corp"), (r"\binc\b\.?|\bincorporated\b", "inc"),
    (r"\bltd\b\.?|\blimited\b(?=\W*$)", "ltd"), (r"\bco\.(?=\s)", "company"),
    (r"\bmt\.?(?=\s+[A-Z])|\bmount\b", "mount"), (r"\bft\.?(?=\s+[A-Z])|\bfort\b", "fort"),
    (r"\bave\b\.?|\bavenue\b", "avenue"), (r"\bapprox\b\.?|\bapproximately\b", "about"),
    (r"\bno\.(?=\s?\d)", "number"), (r"\bmidday\b|\bnoon\b", " §t1200 "),
    (r"\bmidnight\b", " §t0000 "),
    (r"\bper cent\b", "percent"), (r"\bcannot\b", "can not"), (r"\bwon't\b", "will not"),
    (r"\bcan't\b", "can not"), (r"n't\b", " not"), (r"'re\b", " are"), (r"'ve\b", " have"),
    (r"'ll\b", " will"), (r"'d\b", " would"), (r"'s\b|(?<=s)'(?=\s)", ""),
]]
_DOTTED = re.compile(r"\b(?:[A-Za-z]\.){2,}")

# Canonical spellings: transliterations of one name, and a few fixed UK/US pairs.
_SAME = {
    "kiev": "kyiv", "kharkov": "kharkiv", "odessa": "odesa", "lugansk": "luhansk",
    "zaporozhye": "zaporizhzhia", "zaporizhia": "zaporizhzhia", "zaporozhie": "zaporizhzhia",
    "artemovsk": "artemivsk", "mirnograd": "myrnohrad", "chernigov": "chernihiv",
    "nikolaev": "mykolaiv", "nikolayev": "mykolaiv", "mykolayiv": "mykolaiv", "lvov": "lviv",
    "rovno": "rivne", "donbass": "donbas",
    "zelenskyy": "zelensky", "zelenskiy": "zelensky", "zelenskyi": "zelensky",
    "zelenskij": "zelensky", "zaluzhny": "zaluzhnyi", "zaluzhniy": "zaluzhnyi",
    "zaluzhnyy": "zaluzhnyi", "andriy": "andrii", "andrij": "andrii", "olexandr": "oleksandr",
    "syrsky": "syrskyi", "syrskiy": "syrskyi", "navalnyy": "navalny",
    "gadhafi": "gaddafi", "qaddafi": "gaddafi", "kadafi": "gaddafi", "qadhafi": "gaddafi",
    "gaddafy": "gaddafi", "moammar": "muammar", "moamar": "muammar", "muammer": "muammar",
    "mohammed": "muhammad", "mohammad": "muhammad", "mohamed": "muhammad",
    "muhammed": "muhammad", "qaeda": "qaida", "peking": "beijing",
    "defence": "defense", "offence": "offense",
    "licence": "license", "pretence": "pretense", "programme": "program",
    "programmes": "programs", "judgement": "judgment", "acknowledgement": "acknowledgment",
    "ageing": "aging", "towards": "toward", "whilst": "while", "amongst": "among",
    "amidst": "amid", "grey": "gray", "afterwards": "afterward", "upwards": "upward",
    "downwards": "downward", "forwards": "forward", "backwards": "backward",
    "catalogue": "catalog", "dialogue": "dialog", "analogue": "analog", "tyre": "tire",
    "tyres": "tires", "storey": "story", "storeys": "stories", "manoeuvre": "maneuver",
    "manoeuvres": "maneuvers", "sceptical": "skeptical", "sceptic": "skeptic",
    "practise": "practice", "practised": "practiced", "artefact": "artifact",
    "artefacts": "artifacts", "draught": "draft", "jewellery": "jewelry", "mould": "mold",
    "plough": "plow", "aluminium": "aluminum", "aeroplane": "airplane",
    "aeroplanes": "airplanes", "enrolment": "enrollment", "fulfil": "fulfill",
    "skilful": "skillful", "chernobyl": "chornobyl", "kyiv's": "kyiv",
    "are": "is", "were": "was", "has": "have", "had": "have",
}
_LL_STEMS = ("travel", "cancel", "label", "model", "signal", "fuel", "total", "level",
             "channel", "counsel", "dial", "equal", "marshal", "quarrel", "tunnel", "rival",
             "shovel", "jewel", "marvel", "panel", "pedal", "program", "enrol", "fulfil")


@lru_cache(maxsize=8192)
def _canon(word: str) -> str:
    """One spelling for a word: lower case, UK/US variants and transliterations merged."""
    w = word.lower()
    if w in _SAME:
        return _SAME[w]
    if len(w) > 6 and (word.islower() or word.isupper()):   # haemorrhage, foetus
        w = re.sub(r"(?<=[a-z])[ao]e(?=[a-z])", "e", w)
    if len(w) > 5:
        w = re.sub(r"(?<=[a-z]{2})our(s|ed|ing|ite|ites|able|hood|er|ers)?$", r"or\1", w)
        w = re.sub(r"(?<=[a-z]{3})is(e|es|ed|ing|ation|ations|er|ers)$", r"iz\1", w)
        w = re.sub(r"(?<=[a-z]{3})ys(e|es|ed|ing)$", r"yz\1", w)
        w = re.sub(r"(?<=[a-z]{3})tre(s)?$", r"ter\1", w)
        for stem in _LL_STEMS:
            if w.startswith(stem + "l") and w[len(stem) + 1:] in ("ed", "ing", "er", "ers"):
                w = stem + w[len(stem) + 1:]
    return w


@lru_cache(maxsize=8192)
def _skeleton(word: str) -> str:
    """What survives transliteration: Röpcke, Roepcke, Ropcke; Zelensky, Zelenskyy."""
    w = word.lower()
    w = re.sub(r"([aou])e", r"\1", w).replace("y", "i").replace("kh", "h").replace("j", "i")
    return re.sub(r"(.)\1+", r"\1", w)


# ---------------------------------------------------------------- words and their roles

STOPWORDS = _set(
    "a an the and that which who whom it its this these those also then so however "
    "meanwhile moreover of they them their there here just")
NEGATION = _set(
    "not no never none nobody nothing neither nor without deny denies denied denying "
    "refute refutes refuted reject rejects rejected false unable longer")
ATTRIBUTION = _set(
    "said says say told tells tell reported reports report according quoted wrote writes "
    "claim claims claimed confirmed confirms confirm stated states announced noted notes "
    "insisted insists admitted admits admit warned warns added adds acknowledged denied "
    "alleged allegedly cited citing sources source")
MODALITY = _set(
    "may might could would should must can will shall likely unlikely probably possibly "
    "perhaps apparently appears appear appeared seem seems seemed suggest suggests "
    "suggested expected believed thought reportedly alleged allegedly purportedly "
    "supposedly certain certainly uncertain unconfirmed confirmed unverified verified "
    "provisional final preliminary genuine")
QUANTITY = _set(
    "dozen dozens hundred hundreds thousand thousands millions several few many most some "
    "all none half quarter majority minority handful numerous scores more less fewer "
    "only about around nearly almost least at over under")
DIRECTION = _set(
    "north south east west northern southern eastern western northeast northwest southeast "
    "southwest northeastern northwestern southeastern southwestern northward southward "
    "eastward westward up down upward downward toward away into from left right inside "
    "outside rise fall rose fell")
TIME_WORDS = frozenset(_MONTHS) | frozenset(_WEEKDAYS) | _set(
    "yesterday today tomorrow tonight morning afternoon evening "
     "night overnight noon midnight dawn dusk week weekend month year spring summer autumn "
     "fall winter last next earlier later ago")
PRONOUNS = _set("he she we i you")
# A form of "be" put in or taken out alone ("Shelling reported" -> "Shelling was
# reported") only moves between headline style and a full sentence; one form swapped
# for another ("is" -> "was") changes the tense, and stays a finding.
AUXILIARIES = _set("is are was were be been being")
_ORDERED = _set("not no never than from into by against over versus")
_CLAUSE = _set("that which who whom whose where when while because")
_NOT_NAMES = STOPWORDS | TIME_WORDS
_PLACE = _set("in at on near across around outside inside throughout within along off")
# Words commonly confused for one another: putting the right one in is a spelling fix.
_CONFUSED = [frozenset(p.split("/")) for p in _set(
    "capitol/capital capitols/capitals affect/effect affects/effects lose/loose "
    "principal/principle complement/compliment council/counsel discreet/discrete "
    "lead/led past/passed stationary/stationery breath/breathe advice/advise "
    "elicit/illicit ensure/insure cite/site/sight peak/peek/pique reign/rein pore/pour "
    "wave/waive hoard/horde bare/bear brake/break canvas/canvass flair/flare "
    "loath/loathe pedal/peddle role/roll naval/navel marshal/martial hanger/hangar "
    "than/then whose/who's your/you're there/their/they're its/it's")]


# ---------------------------------------------------------------- tokens

_SPECIAL = re.compile(r"§t\d{4}|§d[a-z]+\d+")
_TOKEN = re.compile(r"§t\d{4}|§d[a-z]+\d+|#\d+|\d+(?:\.\d+)?|[A-Za-z]+")
_QUOTE = re.compile(r'"([^"]+)"|(?<![A-Za-z])\'([^\']+?)\'(?![A-Za-z])')


class _Text:
    """One version of a text in canonical form."""

    def __init__(self, raw: str) -> None:
        text = _fold(raw)
        self.quotes = Counter(" ".join(_canon(t) for t in _TOKEN.findall(
            _numbers(q[0] or q[1]))) for q in _QUOTE.findall(text))
        text = text.replace('"', " ")
        text = _DOTTED.sub(lambda m: m[0].replace(".", "") + " ", text)
        text = _times(_numbers(text))
        for pattern, repl in _PHRASES:
            text = pattern.sub(repl, text)
        text = text.replace(" - ", " ; ").replace("-", " ")
        self.capitalised: set[str] = set()
        self.named: set[str] = set()    # written with a capital inside a sentence
        self.acronyms: set[str] = set()
        tokens: list[str] = []
        self.breaks: set[int] = set()   # token indices that follow punctuation
        pos = 0
        for m in _TOKEN.finditer(text):
            word = m[0]
            gap = text[pos:m.start()]
            pos = m.end()
            if re.search(r"[.,;:!?()\[\]¶]", gap) or not tokens:
                self.breaks.add(len(tokens))
            special = _SPECIAL.fullmatch(word)
            if not special and word[0].isupper():
                self.capitalised.add(_canon(word))
                if word.isupper() and 2 <= len(word) <= 6:
                    self.acronyms.add(word.lower())
                if tokens and not self._starts(gap) and _canon(word) not in _NOT_NAMES:
                    self.named.add(_canon(word))
            tokens.append(word if special else _canon(word))
        self.tokens = tokens
        self.bag = Counter(tokens)
        self.expansions = _expansions(text)

    @staticmethod
    def _starts(gap: str) -> bool:
        return bool(re.search(r"[.!?¶]\W*$", gap))

    def ordered(self, named: set[str], respelt: dict[str, str]) -> Counter[tuple[str, str]]:
        """What each negation, comparison, number and 'from' applies to, and who did what."""
        out: Counter[tuple[str, str]] = Counter()
        tokens = [respelt.get(t, t) for t in self.tokens]
        content = [(i, t) for i, t in enumerate(tokens) if t not in STOPWORDS]
        for k, (_, t) in enumerate(content[:-1]):
            j, nxt = content[k + 1]
            if t in _ORDERED or (_is_number(t) and j not in self.breaks):
                out[(t, nxt)] += 1
            if t == "by" and k:     # who did it: "made by the army", "denied by the rebels"
                out[(content[k - 1][1], "by " + nxt)] += 1
        # Who did what to whom: two names in one clause with a word between them
        # ("Ukraine attacked Russia"), but not a list ("Reuters and The Economist").
        last, between = None, False
        for i, t in enumerate(tokens):
            if i in self.breaks or t in _CLAUSE:
                last, between = None, False
            if t in named and i and tokens[i - 1] in _PLACE:
                continue    # "in Kyiv": where, not who; it may move about the sentence
            if t in named:
                if last is not None and between and last != t:
                    out[(last, t)] += 1
                last, between = t, False
            elif t not in STOPWORDS and t not in ("or", "nor"):
                between = True
        return out


def _is_number(t: str) -> bool:
    return t[0].isdigit() or t[0] == "#"


_RUN = r"[A-Z][A-Za-z']*(?:\s+(?:(?:of|the|and|for)\s+)*[A-Z][A-Za-z']*)+"


def _expansions(text: str) -> list[tuple[list[str], str]]:
    """Names of several words with the acronym they may be written as."""
    found = []
    for m in re.finditer(rf"({_RUN}|[A-Z][A-Za-z']*)(?:\s*\(([A-Z]{{2,6}})\))?", text):
        words = [_canon(w) for w in re.findall(r"[A-Za-z']+", m[1])
                 if w.lower() not in ("of", "the", "and", "for")]
        if len(words) > 1:
            found.append((words, "".join(w[0] for w in words)))
        if m[2]:
            found.append((words, m[2].lower()))
    return found


# ---------------------------------------------------------------- pairing the leftovers

def _damerau(a: str, b: str, limit: int) -> int:
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


COMMON_ZIPF = 3.3   # "teh" is 3.04, "encirclement" 2.29, "capitol" 4.0, "west" 5.29


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str] | None:
    """English words at or above ``COMMON_ZIPF``, read straight from wordfreq's small list.

    ``import wordfreq`` costs over half a second (it loads ftfy, langcodes and regex), which
    every copy edit with a typo in it would pay; its word list alone loads in a tenth of
    that. The list is wordfreq's documented cBpack (``{"format": "cB", "version": 1}`` then
    one bucket of words per centibel, so bucket i holds words of Zipf value 9 - i/100). If
    the file is not where or what it should be, None: the public API is used instead.
    """
    import gzip
    import importlib.util
    import os

    import msgpack

    spec = importlib.util.find_spec("wordfreq")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(spec.submodule_search_locations[0], "data", "small_en.msgpack.gz")
    try:
        with open(path, "rb") as f:
            data = msgpack.unpackb(gzip.decompress(f.read()), raw=False)
    except (OSError, ValueError, msgpack.ExtraData):
        return None
    if not data or data[0] != {"format": "cB", "version": 1}:
        return None
    last = round((9 - COMMON_ZIPF) * 100)
    return frozenset(w for bucket in data[1:last + 2] for w in bucket)


def _is_word(word: str) -> bool:
    """An English word in common use (so that a change to or from it is not a typo)."""
    common = _common_words()
    if common is not None:
        return word in common
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en", wordlist="small") >= COMMON_ZIPF


_PREFIXES = ("un", "in", "im", "ir", "il", "non", "dis", "de", "re", "mis", "anti", "pre")


def _typo(a: str, b: str) -> bool:
    """a and b are one slip of the keyboard apart, and not two different words."""
    if not (a.isalpha() and b.isalpha()) or a == b:
        return False
    short = min(len(a), len(b))
    limit = 2 if short >= 8 else 1 if short >= 4 else 0
    if limit == 0:
        if not (len(a) == len(b) == 3 and sorted(a) == sorted(b)
                and sum(x != y for x, y in zip(a, b, strict=True)) == 2):
            return False
    elif _damerau(a, b, limit) > limit:
        return False
    longer, other = (a, b) if len(a) > len(b) else (b, a)
    if any(longer == p + other for p in _PREFIXES) or longer in (other + "s", other + "es"):
        return False
    return not (_is_word(a) and _is_word(b))


def _participle(a: str, b: str) -> bool:
    """One is the -ing participle of the other: "citing" / "cited", "cutting" / "cut".

    Never a base form against its past ("resign" / "resigned"): that is a change of tense.
    """
    if a.endswith("ing") == b.endswith("ing"):
        return False
    ing, other = (a, b) if a.endswith("ing") else (b, a)
    stem = re.sub(r"(.)\1$", r"\1", ing[:-3])
    if len(stem) < 3:
        return False
    other = re.sub(r"(?:e?d)$", "", other) if len(other) > 4 else other
    other = re.sub(r"(.)\1$", r"\1", other)
    return stem.rstrip("e") == other.rstrip("e")


def _respelt(g: str, a: str, old: _Text, new: _Text) -> bool:
    """The same name transliterated anew, or one commonly confused word for another."""
    if any(g in pair and a in pair for pair in _CONFUSED):
        return True
    if not (g.isalpha() and a.isalpha() and g in old.capitalised and a in new.capitalised):
        return False
    sg, sa = _skeleton(g), _skeleton(a)
    if sg == sa:
        return True
    limit = 2 if min(len(sg), len(sa)) >= 8 else 1 if min(len(sg), len(sa)) >= 5 else 0
    return (limit > 0 and _damerau(sg, sa, limit) <= limit
            and not (_is_word(g) and _is_word(a)))


def _explain(gone: Counter[str], added: Counter[str], old: _Text, new: _Text
             ) -> dict[str, str]:
    """Take out of ``gone`` and ``added`` the pairs that are the same thing written anew.

    Returns the words respelt (old spelling to new), for the order checks.
    """
    respelt: dict[str, str] = {}
    # An acronym for its expansion: "European Union" / "EU"; "Directorate (HUR)" / "HUR".
    for this, that, mine, other in ((gone, added, old, new), (added, gone, new, old)):
        for run, acronym in mine.expansions:
            if acronym not in other.bag:
                continue
            # "Ukraine's Main Intelligence Directorate (HUR)": the expansion may be the tail.
            for start in range(len(run) - 1 if len(run) > 1 else 1):
                words = run[start:]
                if all(this[w] for w in words):
                    for w in words:
                        this[w] -= 1
                    if that[acronym]:
                        that[acronym] -= 1
                    break
    # A compound written together or apart: "counter offensive" / "counteroffensive".
    for this, that, side in ((gone, added, new), (added, gone, old)):
        for first, second in zip(side.tokens, side.tokens[1:], strict=False):
            joined = first + second
            if this[joined] and that[first] and that[second]:
                this[joined] -= 1
                that[first] -= 1
                that[second] -= 1
    # A transliteration or a spelling fix.
    for g in sorted(gone):
        for a in sorted(added):
            if gone[g] and added[a] and (_respelt(g, a, old, new) or _typo(g, a)):
                n = min(gone[g], added[a])
                gone[g] -= n
                added[a] -= n
                respelt[g] = a
    # A sentence joined or split turns a verb into its participle: "She cited" / "citing".
    for g in sorted(gone):
        for a in sorted(added):
            if gone[g] and added[a] and _participle(g, a):
                n = min(gone[g], added[a])
                gone[g] -= n
                added[a] -= n
    # A sentence split restates its subject ("... and no flag" / "... . He wrote that no
    # flag"): a pronoun, or a reporting verb already there, added or dropped on one side only.
    for this, that, other in ((gone, added, new), (added, gone, old)):
        for w in list(this):
            restated = (
                (w in PRONOUNS and not any(that[p] for p in PRONOUNS))
                or (w in ATTRIBUTION and other.bag[w] and not any(that[a] for a in ATTRIBUTION)))
            if restated:
                this[w] = 0
    gone += Counter()
    added += Counter()
    return respelt


# ---------------------------------------------------------------- findings

_LABELS = [
    ("numbers", lambda t: _is_number(t) or t in ("percent", "percentage", "points")),
    ("dates and times", lambda t: t[0] == "§" or t in TIME_WORDS),
    ("negation", lambda t: t in NEGATION),
    ("modality and certainty", lambda t: t in MODALITY),
    ("attribution", lambda t: t in ATTRIBUTION or t in PRONOUNS),
    ("quantity words", lambda t: t in QUANTITY),
    ("direction", lambda t: t in DIRECTION),
]


def _label(token: str, old: _Text, new: _Text) -> str:
    for label, test in _LABELS:
        if test(token):
            return label
    if token in old.capitalised or token in new.capitalised:
        return "names"
    return "wording"


def _show(token: str) -> str:
    if re.fullmatch(r"§t\d{4}", token):
        return f"{token[2:4]}:{token[4:]}"
    if re.fullmatch(r"§d[a-z]+\d+", token):
        m = re.fullmatch(r"§d([a-z]+)(\d+)", token)
        assert m
        return f"{m[1].capitalize()} {m[2]}"
    return token


def text_findings(old: str, new: str) -> list[str]:
    """Factual changes between two versions of a body, each as one line."""
    if old == new:
        return []
    before, after = _Text(old), _Text(new)
    gone, added = before.bag - after.bag, after.bag - before.bag
    respelt = _explain(gone, added, before, after) if gone or added else {}
    found: dict[str, tuple[list[str], list[str]]] = {}
    one_sided_aux = not (set(gone) & AUXILIARIES and set(added) & AUXILIARIES)
    for tokens, side in ((gone, 0), (added, 1)):
        for token in sorted(tokens.elements()):
            if token in STOPWORDS or (one_sided_aux and token in AUXILIARIES):
                continue
            found.setdefault(_label(token, before, after), ([], []))[side].append(_show(token))
    if not found:
        named = {respelt.get(w, w) for w in before.named} | after.named
        was, now = before.ordered(named, respelt), after.ordered(named, {})
        order_gone, order_added = was - now, now - was
        if order_gone or order_added:
            found["word order"] = ([" ".join(p) for p in sorted(order_gone)],
                                   [" ".join(p) for p in sorted(order_added)])
    if before.quotes != after.quotes:
        found["quotations"] = (sorted((before.quotes - after.quotes).elements()),
                               sorted((after.quotes - before.quotes).elements()))
    lines = []
    for label, (g, a) in found.items():
        parts = []
        if g:
            parts.append("removed " + ", ".join(repr(x) for x in g[:4]))
        if a:
            parts.append("added " + ", ".join(repr(x) for x in a[:4]))
        lines.append(f"{label}: {'; '.join(parts)}")
    return lines


def source_findings(old: Iterable[Source], new: Iterable[Source]) -> list[str]:
    before = {(s.name, s.via, s.kind) for s in old}
    after = {(s.name, s.via, s.kind) for s in new}
    if before == after:
        return []
    gone = sorted(n for n, _, _ in before - after)
    added = sorted(n for n, _, _ in after - before)
    return [f"sources cited: removed {gone or 'none'}; added {added or 'none'}"]
