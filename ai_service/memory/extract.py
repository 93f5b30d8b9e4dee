"""From what the user says to memories, deterministically (the local path's `remember`).

Statements about the user ("I'm Sam", "I live in Porto", "my wife is called Ana", "I like
jazz") become short third-person facts with a slot; questions, hypotheticals, negations and
statements about other people do not. The same rules recognise a question a memory answers
("Where do I live?" -> slot "home") and what the user asks to forget.

How: the text is cut into sentences and clauses (a new clause starts where "and"/"but"/a comma
is followed by "I"/"my"); a sentence that asks, imagines or sets a condition is skipped whole,
a clause with a modal ("would", "going to", "want to") alone. Each clause must *start* with a
statement pattern, after harmless openers ("Hi,", "Actually", "Remember that"); that anchoring is
what keeps "my friend lives in Porto" and "she thinks I'm a nurse" out. Negated forms never
match ("I don't live in Porto" has no "I live"), except the likes, whose negation is a dislike
on the same slot. Precision matters more than recall here: a wrong memory is worse than none.

Slots: "name", "home", "origin", "work", "job", "study", "birthday", "birthyear",
"birthplace", "age", "nationality", "diet", "person:<relation>" ("person:wife",
"person:mother", "person:dog"), and families keyed by their object: "likes:<thing>",
"favourite:<thing>", "allergy:<thing>", "intolerance:<thing>", "avoids:<food>",
"speaks:<language>", "has:<thing>". `asked_slot` may return a family name alone ("likes",
"allergy") for a question about all of them; `slot_matches` says which slots it covers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from shared.models.base import Frozen
from shared.models.memory import MemoryKind

# Retrieval: top RECALL_K memories whose cosine distance to the prompt is under MAX_DISTANCE.
# MAX_DISTANCE was chosen on the dev users of eval/retrieval.jsonl (bench/bench_memory.py).
RECALL_K = 3
MAX_DISTANCE = 0.5


class Candidate(Frozen):
    """A fact to remember: `text` in the third person ("Lives in Porto"), its `slot` (a newer
    fact on the same slot replaces the older), and the bare `value` ("Porto")."""

    text: str
    kind: MemoryKind
    slot: str | None = None
    value: str


# -- vocabulary -----------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Openers that may precede a statement in its clause ("Hi Aura, I'm Sam", "Actually I moved").
_OPENER = (
    r"(?:hi|hello|hey|hiya|howdy|yo|greetings|good (?:morning|afternoon|evening)|aura|there"
    r"|ok|okay|so|well|oh|ah|also|and|plus|actually|btw|by the way|fyi|anyway|anyways|now|right"
    r"|yes|yeah|yep|yup|no|nope|sure|just so you know|for the record|for your information"
    r"|just to let you know|to let you know|quick note|note that|please note that|for context"
    r"|(?:please |just )?remember(?: that)?|(?:please )?(?:don'?t|do not) forget(?: that)?"
    r"|i should (?:mention|say|tell you)(?: that)?|you should know(?: that)?|as you know"
    r"|for reference|update|correction|news|fun fact|in fact|honestly|to be honest|tbh"
    r"|nice to meet you|pleased to meet you|thanks|thank you)"
)
_OPENERS = rf"^(?:{_OPENER}\b[\s,!.:;-]*)*"
# Fillers that may close a clause ("I'm vegan btw", "I live in Porto now, lol").
_CLOSERS = (
    r"(?:[\s,]+(?:btw|by the way|fyi|lol|haha|hehe|though|ok|okay|thanks|thank you|aura|:\)|:d)"
    r"[\s.!]*)+$"
)
# Adverbs allowed between "I" and the verb ("I really like", "I've just moved").
_ADVERBS = (
    r"(?:(?:also|really|actually|currently|now|still|just|recently|truly|absolutely|totally"
    r"|definitely|honestly|genuinely|kind of|kinda|sort of|mostly|usually|generally|do|quite"
    r"|especially|basically|officially|finally|happily|proudly|personally|certainly|seriously"
    r"|deeply|simply|already|properly|permanently|originally)\s+)*"
)
_I_AM = r"(?:i'?m|i\s+am)"
_I_HAVE = r"(?:i'?ve|i\s+have)"

# A sentence that imagines or sets a condition states nothing ("If I lived in Paris, ...").
_CONDITIONAL = re.compile(
    r"\b(?:if|unless|wish|wished|imagine|imagining|suppose|supposing|pretend|pretending"
    r"|hypothetically|let'?s say|say that|in a parallel universe|in another life|dreamt|dreamed"
    r"|dream of|whether)\b",
    re.IGNORECASE,
)
# A clause with a modal or a future states nothing about now ("I'd like", "I'm going to move").
_MODAL = re.compile(
    r"\b(?:would|wouldn'?t|could|couldn'?t|might|should|maybe|perhaps|i'?d|want to"
    r"|wanna|going to|gonna|plan to|planning|hope|hoping|thinking of|thinking about"
    r"|considering|about to|someday|one day|i'?ll|used to)\b",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"^(?:do|does|did|don'?t|doesn'?t|didn'?t|am|is|isn'?t|are|aren'?t|was|were|can|can'?t|could"
    r"|will|would|should|shall|have|has|had|may|might|where|what|what'?s|whats|who|who'?s|whom"
    r"|whose|when|why|how|which|tell me|guess|remind|any)\b",
    re.IGNORECASE,
)
# "I'm X" is a name only when X is not one of these (states, feelings, places, fillers).
_NOT_NAMES = _words(
    """
    a an the not no so very really just here there back home fine ok okay good great well bad
    sorry sure ready done busy free tired sleepy hungry thirsty bored sick ill happy sad angry
    mad upset cold hot warm late early new old young lost confused stressed nervous excited
    glad afraid scared worried lonely alone awake asleep alive dead right wrong serious kidding
    joking curious interested in on at from with into out off up down over away about trying
    going looking leaving coming working thinking feeling doing getting having being still
    also already almost never always sorta kinda literally pretty quite too fairly fed stuck
    single married divorced engaged pregnant retired unemployed vegetarian vegan pescatarian
    allergic lactose gluten human male female christian catholic muslim jewish hindu buddhist
    atheist gay straight bi trans it this that ready bored finished hooked obsessed addicted
    feeling fine better worse okay alright exhausted starving freezing cool awesome lucky
    everything nothing someone somebody nobody anybody one two three four five six seven
    eight nine ten online offline outside inside driving cooking eating sleeping walking
    """
)
_NATIONALITIES = _words(
    """
    portuguese spanish french german italian dutch belgian swiss austrian irish scottish welsh
    english british american canadian mexican brazilian argentinian argentine chilean
    colombian peruvian venezuelan cuban australian kiwi indian pakistani bangladeshi chinese
    japanese korean vietnamese thai filipino indonesian malaysian singaporean russian
    ukrainian polish czech slovak hungarian romanian bulgarian greek turkish swedish
    norwegian danish finnish icelandic estonian latvian lithuanian croatian serbian slovenian
    israeli egyptian moroccan algerian tunisian nigerian ghanaian kenyan ethiopian
    south-african iranian iraqi lebanese syrian saudi emirati angolan mozambican
    capeverdean cape-verdean
    """
)
_JOBS = _words(
    """
    nurse doctor physician surgeon dentist vet veterinarian pharmacist paramedic midwife
    therapist psychologist psychiatrist teacher professor lecturer tutor student researcher
    scientist engineer developer programmer coder designer architect manager director
    accountant lawyer solicitor barrister attorney judge consultant analyst banker trader
    broker clerk secretary receptionist assistant administrator cashier waiter waitress
    bartender barista chef cook baker butcher farmer gardener plumber electrician carpenter
    builder mechanic technician driver pilot sailor fisherman soldier officer policeman
    policewoman detective firefighter journalist writer author editor translator
    interpreter photographer artist painter musician singer actor actress dancer
    athlete coach trainer librarian cleaner housekeeper nanny carer caregiver hairdresser
    tailor entrepreneur founder ceo cto cfo freelancer contractor intern postman courier
    miner surveyor optician pharmacologist biologist chemist physicist mathematician
    economist historian geologist statistician specialist executive salesman saleswoman
    salesperson marketer recruiter producer animator illustrator ux ui
    """
)
_RELATIONS: dict[str, str] = {
    "wife": "wife",
    "husband": "husband",
    "partner": "partner",
    "spouse": "spouse",
    "boyfriend": "boyfriend",
    "girlfriend": "girlfriend",
    "fiance": "fiance",
    "fiancé": "fiance",
    "fiancee": "fiance",
    "fiancée": "fiance",
    "son": "son",
    "daughter": "daughter",
    "baby": "baby",
    "kid": "child",
    "child": "child",
    "brother": "brother",
    "sister": "sister",
    "mum": "mother",
    "mom": "mother",
    "mother": "mother",
    "mummy": "mother",
    "mommy": "mother",
    "mam": "mother",
    "dad": "father",
    "father": "father",
    "daddy": "father",
    "grandma": "grandmother",
    "granny": "grandmother",
    "grandmother": "grandmother",
    "nan": "grandmother",
    "grandpa": "grandfather",
    "grandad": "grandfather",
    "granddad": "grandfather",
    "grandfather": "grandfather",
    "best friend": "best friend",
    "boss": "boss",
    "dog": "dog",
    "puppy": "dog",
    "cat": "cat",
    "kitten": "cat",
    "hamster": "hamster",
    "rabbit": "rabbit",
    "bunny": "rabbit",
    "parrot": "parrot",
    "horse": "horse",
    "pet": "pet",
}
_RELATION = "|".join(sorted((re.escape(r) for r in _RELATIONS), key=len, reverse=True))
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_HAS_DATE = re.compile(rf"\b{_MONTHS}\b|\b\d{{1,2}}[/.-]\d{{1,2}}\b", re.IGNORECASE)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_DIETS = ("vegetarian", "vegan", "pescatarian", "pescetarian", "flexitarian")
_PRONOUNS = _words(
    """
    it that this these those them him her you yours your me myself us everything nothing
    anything something everyone anyone someone how what when where why which whatever
    there here one
    """
)

# Where a value ends: punctuation or a word that starts a new thought ("Porto since 2020").
_PLACE_END = re.compile(
    rf"\s+(?:in|on|since|from)\s+(?:{_MONTHS}|(?:19|20)\d\d|\d{{1,2}}(?:st|nd|rd|th)?\b)\b"
    r"|\s*[,;:!?()]|\.(?:\s|$)|\s+(?:and|but|with|since|for|because|so|now|currently|at the moment"
    r"|these days|last|this year|ago|recently|anymore|any more|too|as well|though|which|where"
    r"|who|when|while|after|before|until|right now|nowadays|permanently|temporarily|lol"
    r"|haha|i|it|they|near me|full time|part time|full-time|part-time)\b",
    re.IGNORECASE,
)
_WORK_END = re.compile(
    r"\s*[,;:!?()]|\.(?:\s|$)|\s+(?:and|but|since|because|so|now|currently|at the moment"
    r"|these days|for (?:a|the|about|over|almost|nearly|\d+|two|three|four|five|six|ten|many"
    r"|several|years|months)|ago|recently|anymore|any more|as a|as an|as|though|which|where"
    r"|who|when|while|i|it|full time|part time|full-time|part-time|lol|haha)\b",
    re.IGNORECASE,
)
_LIKE_END = re.compile(
    r"\s*[;:!?()]|\.(?:\s|$)|,\s*(?:it|it'?s|they|they'?re|that|that'?s|this|which|who"
    r"|especially|but|though|so|since|because|as|and (?:it|i)|thanks|thank you|please|lol"
    r"|haha|i)\b|\s+(?:but|because|since|when|whenever|while|if|though|although|so much"
    r"|very much|a lot|a bit|quite a bit|too|as well|anymore|any more|lol|haha|these days"
    r"|nowadays|at all|more than anything|the most)\b",
    re.IGNORECASE,
)
_NAME_END = re.compile(
    r"\s*[,;:!?()]|\.(?:\s|$)|\s+(?:and|but|from|by|here|btw|nice|please|lol|haha|i|it|who|so"
    r"|if|the|a|an|not|now|though|too|for)\b",
    re.IGNORECASE,
)


# -- extraction -----------------------------------------------------------------------------------


def extract_memories(text: str) -> list[Candidate]:
    """The facts about the user stated in `text`; [] for questions, hypotheticals, etc.

    Several statements give several candidates, in order; two on one slot keep the last."""
    by_slot: dict[str, Candidate] = {}
    loose: list[Candidate] = []
    for clause in _statement_clauses(text):
        candidate = _match_clause(clause)
        if candidate is None:
            continue
        if candidate.slot is None:
            loose.append(candidate)
        else:
            by_slot.pop(candidate.slot, None)
            by_slot[candidate.slot] = candidate
    return [*by_slot.values(), *loose]


def _statement_clauses(text: str) -> Iterator[str]:
    """The clauses of `text` that may state something: not in a question or a conditional,
    without a modal, with their openers removed."""
    for sentence in _sentences(text):
        if sentence.endswith("?") or _CONDITIONAL.search(sentence):
            continue
        for clause in _clauses(sentence):
            body = _strip_openers(clause)
            if not body or _QUESTION_START.match(body) or _MODAL.search(body):
                continue
            yield body


def _sentences(text: str) -> list[str]:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    parts = re.split(r"(?<=[.!?])\s+|\n+|(?<=\?)(?=\S)", text)
    return [p.strip() for p in parts if p and p.strip()]


# A new clause starts at ", " / " and " / " but " / " - " before "I ..." or "my ...".
_CLAUSE_SPLIT = re.compile(
    r"\s*(?:[,;]|\s-\s|\s(?:and|but|also|plus|so)\b)\s*(?:(?:and|but|also|so|btw)\s+)?"
    r"(?=(?:i|i'm|im|i've|ive|my)\b)",
    re.IGNORECASE,
)


def _clauses(sentence: str) -> list[str]:
    return [c.strip() for c in _CLAUSE_SPLIT.split(sentence) if c.strip()]


def _strip_openers(clause: str) -> str:
    body = re.sub(_OPENERS, "", clause, flags=re.IGNORECASE).strip()
    body = re.sub(_CLOSERS, "", body, flags=re.IGNORECASE)
    return body.rstrip(" .!")


def _match_clause(clause: str) -> Candidate | None:
    for rule in _RULES:
        found = rule(clause)
        if found is not None:
            return found
    return None


def _cut(value: str, end: re.Pattern[str], *, max_words: int = 6) -> str:
    """`value` up to where `end` says it stops, at most `max_words` words, no article-only."""
    stop = end.search(value)
    if stop is not None:
        value = value[: stop.start()]
    words = value.strip().strip("'\"").split()
    if len(words) > max_words:
        return ""
    return " ".join(words).rstrip(".")


def _key(value: str) -> str:
    """The slot key of a value: lower case, no article, words joined by spaces."""
    words = re.sub(r"[^\w\s-]", " ", value.lower()).split()
    while words and words[0] in {"a", "an", "the", "my", "some"}:
        words = words[1:]
    return " ".join(words)[:60]


def _is_pronoun_like(value: str) -> bool:
    first = value.lower().split()[0] if value.split() else ""
    return not first or first in _PRONOUNS


def _has_capital(value: str) -> bool:
    return any(w[:1].isupper() for w in value.split())


def _title(value: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in value.split())


Rule = Callable[[str], Candidate | None]


def _flags() -> int:
    return re.IGNORECASE


def _name(clause: str) -> Candidate | None:  # noqa: PLR0911 - one refusal per reason
    explicit = re.match(
        r"^(?:my\s+(?:first\s+)?name\s+is|my\s+name'?s|(?:the\s+)?name'?s|(?:you\s+can\s+|please\s+)?"
        r"call\s+me|i\s+go\s+by|i'?m\s+called|i\s+am\s+called)\s+(?P<v>.+)$",
        clause,
        _flags(),
    )
    if explicit is not None:
        value = _cut(explicit["v"], _NAME_END, max_words=3)
        if not value or value.lower().split()[0] in _NOT_NAMES | _PRONOUNS:
            return None
        if value.lower().split()[0] in {"tomorrow", "later", "back", "soon", "tonight", "when"}:
            return None
        return _name_candidate(value)
    said = re.match(
        rf"^{_I_AM}\s+(?P<v>[A-Za-z][\w'-]*(?:\s+[A-Z][\w'-]*)?)\s*(?:,.*)?$", clause, _flags()
    )
    if said is None:
        return None
    value = said["v"]
    if "'" in value:
        return None  # "I'm Sam's mum"
    first = value.split()[0]
    lowered = first.lower()
    if lowered in _NOT_NAMES or lowered in _NATIONALITIES or lowered in _JOBS:
        return None
    if (
        re.search(r"(?:ing|ed|ly|ful|ous|ive|less|able|ible|ish|y)$", lowered)
        and not first[:1].isupper()
    ):
        return None
    # Lower-case text ("hi im sam") gives no capital to check; then only the first word counts.
    if not first[:1].isupper() and (clause != clause.lower() or len(value.split()) > 1):
        return None
    return _name_candidate(value)


def _name_candidate(value: str) -> Candidate:
    value = _title(value)
    return Candidate(text=f"Is called {value}", kind=MemoryKind.FACT, slot="name", value=value)


def _home(clause: str) -> Candidate | None:
    found = re.match(
        rf"^(?:i\s+{_ADVERBS}(?:live|reside)|{_I_AM}\s+{_ADVERBS}(?:living|based|settled|residing)"
        rf"|{_I_HAVE}\s+{_ADVERBS}been\s+living|my\s+home\s+is|i\s+{_ADVERBS}call)\s+(?:in|at)\s+"
        r"(?P<v>.+)$",
        clause,
        _flags(),
    )
    lived = re.match(
        rf"^{_I_HAVE}\s+{_ADVERBS}lived\s+in\s+(?P<v>.+?)\s+(?:for|since)\s+\S.*$",
        clause,
        _flags(),
    )
    moved = re.match(
        rf"^(?:i|{_I_HAVE}|we|we'?ve)\s+{_ADVERBS}(?:moved|relocated)\s+(?:back\s+)?(?:to)\s+(?P<v>.+)$",
        clause,
        _flags(),
    )
    match = found or lived or moved
    if match is None:
        return None
    value = _cut(match["v"], _PLACE_END)
    if not value or _is_pronoun_like(value) or value.lower() in {"home", "a house", "a flat"}:
        return None
    if not _has_capital(value) and clause != clause.lower():
        return None
    return Candidate(text=f"Lives in {value}", kind=MemoryKind.FACT, slot="home", value=value)


def _origin(clause: str) -> Candidate | None:
    found = re.match(
        rf"^(?:{_I_AM}\s+{_ADVERBS}from|i\s+{_ADVERBS}(?:come|hail)\s+from)\s+(?P<v>.+)$",
        clause,
        _flags(),
    )
    grew = re.match(rf"^i\s+{_ADVERBS}grew\s+up\s+in\s+(?P<v>.+)$", clause, _flags())
    match = found or grew
    if match is None:
        return None
    value = _cut(match["v"], _PLACE_END)
    if not value or _is_pronoun_like(value):
        return None
    if not _has_capital(value) and clause != clause.lower():
        return None
    text = f"Grew up in {value}" if grew else f"Is from {value}"
    return Candidate(text=text, kind=MemoryKind.FACT, slot="origin", value=value)


def _work(clause: str) -> Candidate | None:
    found = re.match(
        rf"^(?:i\s+{_ADVERBS}work|{_I_AM}\s+{_ADVERBS}(?:working|employed)|{_I_HAVE}\s+{_ADVERBS}"
        r"been\s+working)\s+(?:at|for|by)\s+(?P<v>.+)$",
        clause,
        _flags(),
    )
    employer = re.match(r"^my\s+(?:employer|company)\s+is\s+(?P<v>.+)$", clause, _flags())
    match = found or employer
    if match is None:
        return None
    value = _cut(match["v"], _WORK_END)
    if not value or _is_pronoun_like(value) or value.lower() in {"home", "myself", "night"}:
        return None
    return Candidate(text=f"Works at {value}", kind=MemoryKind.FACT, slot="work", value=value)


def _job(clause: str) -> Candidate | None:  # noqa: PLR0911 - one form per return
    as_job = re.match(
        rf"^(?:i\s+{_ADVERBS}work|{_I_AM}\s+{_ADVERBS}working)\s+as\s+(?P<v>.+)$", clause, _flags()
    )
    my_job = re.match(r"^my\s+(?:job|profession|occupation)\s+is\s+(?P<v>.+)$", clause, _flags())
    a_job = re.match(
        rf"^{_I_AM}\s+{_ADVERBS}(?P<v>(?:a|an)\s+[\w\s-]+?)(?:\s+by\s+(?:profession|trade))?"
        r"(?:\s+(?:at|in|for)\s+(?P<at>.+))?$",
        clause,
        _flags(),
    )
    retired = re.match(
        rf"^{_I_AM}\s+{_ADVERBS}(?P<v>retired|unemployed|self-employed|self employed|a student)$",
        clause,
        _flags(),
    )
    if retired is not None:
        value = retired["v"].lower()
        return Candidate(text=f"Is {value}", kind=MemoryKind.FACT, slot="job", value=value)
    match = as_job or my_job
    if match is not None:
        value = _cut(match["v"], _WORK_END, max_words=5)
        value = re.split(r"\s+(?:in|at|for|with)\s+", value, maxsplit=1)[0]  # "a chef in a hotel"
        if not value or _is_pronoun_like(value):
            return None
        return Candidate(text=f"Works as {value}", kind=MemoryKind.FACT, slot="job", value=value)
    if a_job is None:
        return None
    value = a_job["v"].strip()
    words = value.lower().split()
    if len(words) > 4 or words[-1] not in _JOBS:
        return None
    if words[-1] == "student":
        return Candidate(text=f"Is {value}", kind=MemoryKind.FACT, slot="job", value=value)
    return Candidate(text=f"Works as {value}", kind=MemoryKind.FACT, slot="job", value=value)


def _study(clause: str) -> Candidate | None:
    found = re.match(
        rf"^(?:i\s+{_ADVERBS}study|{_I_AM}\s+{_ADVERBS}(?:studying|a student))\s+at\s+(?P<v>.+)$",
        clause,
        _flags(),
    )
    if found is None:
        return None
    value = _cut(found["v"], _WORK_END)
    if not value or (not _has_capital(value) and clause != clause.lower()):
        return None
    return Candidate(text=f"Studies at {value}", kind=MemoryKind.FACT, slot="study", value=value)


def _birthday(clause: str) -> Candidate | None:
    found = re.match(
        r"^(?:my\s+(?:birthday|bday|b-day|date\s+of\s+birth|dob)(?:\s+is|'s)|i\s+was\s+born)"
        r"\s+(?:on\s+)?(?:the\s+)?(?P<v>.+)$",
        clause,
        _flags(),
    )
    if found is None:
        return None
    raw = re.sub(r"\s*[,;!?]?\s*$", "", found["v"]).strip()
    year = re.fullmatch(r"in\s+((?:19|20)\d\d)", raw, re.IGNORECASE)
    if year is not None:
        return Candidate(
            text=f"Was born in {year[1]}", kind=MemoryKind.DATE, slot="birthyear", value=year[1]
        )
    place = re.fullmatch(r"in\s+(?P<v>.+)", raw, re.IGNORECASE)
    if place is not None and not _HAS_DATE.search(raw):
        value = _cut(place["v"], _PLACE_END)
        if not value or (not _has_capital(value) and clause != clause.lower()):
            return None
        return Candidate(
            text=f"Was born in {value}", kind=MemoryKind.FACT, slot="birthplace", value=value
        )
    value = re.sub(r"^(?:in|on)\s+", "", raw, flags=re.IGNORECASE)
    value = re.split(r"\s+(?:and|but|so|which|lol)\b|[,;]", value, maxsplit=1)[0].strip()
    if not _HAS_DATE.search(value) or len(value.split()) > 5:
        return None
    return Candidate(
        text=f"Birthday is {value}", kind=MemoryKind.DATE, slot="birthday", value=value
    )


def _age(clause: str) -> Candidate | None:
    found = re.match(
        rf"^{_I_AM}\s+(?P<v>\d{{1,3}})(?:\s+years?\s+old|\s*y/?o|\s+years\s+of\s+age)?$",
        clause,
        _flags(),
    )
    if found is None or not 3 <= int(found["v"]) <= 120:
        return None
    value = found["v"]
    return Candidate(text=f"Is {value} years old", kind=MemoryKind.FACT, slot="age", value=value)


def _person(clause: str) -> Candidate | None:
    named = re.match(
        rf"^my\s+(?:(?:little|big|older|younger|eldest|oldest|youngest|baby|new|lovely)\s+)?"
        rf"(?P<rel>{_RELATION})(?:'s\s+name\s+is|'s\s+name'?s|\s+is\s+(?:called|named)"
        rf"|'s\s+called|\s+goes\s+by|(?P<bare>\s+is|'s))\s+(?P<v>.+)$",
        clause,
        _flags(),
    )
    have = re.match(
        rf"^{_I_HAVE}\s+(?:got\s+)?(?:a|an)\s+(?:[a-z]+\s+)?(?P<rel>{_RELATION})\s+"
        r"(?:called|named)\s+(?P<v>.+)$",
        clause,
        _flags(),
    )
    match = named or have
    if match is None:
        return None
    value = _cut(match["v"], _NAME_END, max_words=2)
    if not value or value.lower().split()[0] in _NOT_NAMES | _PRONOUNS:
        return None
    if named is not None and named["bare"] and not value[:1].isupper():
        return None  # "my wife is tired": a bare "is" needs a capitalised name
    relation = match["rel"].lower()
    slot = f"person:{_RELATIONS[relation]}"
    value = _title(value)
    label = relation[:1].upper() + relation[1:]
    return Candidate(
        text=f"{label} is called {value}", kind=MemoryKind.PERSON, slot=slot, value=value
    )


def _likes(clause: str) -> Candidate | None:
    dislike = re.match(
        rf"^(?:i\s+{_ADVERBS}(?:hate|dislike|detest|loathe|despise)|i\s+(?:don'?t|do\s+not)\s+"
        rf"{_ADVERBS}(?:like|enjoy|love|care\s+for)|i\s+can'?t\s+stand|{_I_AM}\s+not\s+(?:a\s+"
        r"(?:big\s+|huge\s+)?fan\s+of|into|keen\s+on))\s+(?P<v>.+)$",
        clause,
        _flags(),
    )
    like = re.match(
        rf"^(?:i\s+{_ADVERBS}(?:like|love|enjoy|adore)|{_I_AM}\s+{_ADVERBS}(?:a\s+(?:big\s+|huge\s+)?"
        rf"fan\s+of|into|obsessed\s+with|passionate\s+about|keen\s+on)|i\s+{_ADVERBS}prefer)"
        r"\s+(?P<v>.+)$",
        clause,
        _flags(),
    )
    fan = re.match(
        rf"^{_I_AM}\s+{_ADVERBS}(?:a|an)\s+(?:big|huge|massive|great|die-hard|diehard|lifelong)\s+"
        r"(?P<v>[\w'&-]+(?:\s+[\w'&-]+){0,3}?)\s+(?:fan|supporter)$",
        clause,
        _flags(),
    )
    match = dislike or like or fan
    if match is None:
        return None
    value = _cut(match["v"], _LIKE_END, max_words=8)
    if re.match(r"^to\s+(?:be|think|say|know|see|hear|get|have|make|keep|let)\b", value, re.I):
        return None  # "I don't like to be called Sam", "I like to think so"
    if not value or _is_pronoun_like(value):
        return None
    if re.match(r"^(?:your|ur|talking to you|chatting|you|the way)\b", value, re.IGNORECASE):
        return None
    slot_value = re.split(r"\s+(?:over|to|than|more than|instead of)\s+", value)[0]
    slot_value = re.sub(r"^to\s+", "", slot_value, flags=re.IGNORECASE)
    key = _key(slot_value)
    if not key:
        return None
    if dislike is not None:
        text = f"Dislikes {value}"
    elif re.search(r"\bprefer\b", clause, re.IGNORECASE):
        text = f"Prefers {value}"
    else:
        text = f"Likes {value}"
    return Candidate(text=text, kind=MemoryKind.PREFERENCE, slot=f"likes:{key}", value=value)


def _favourite(clause: str) -> Candidate | None:
    found = re.match(
        r"^my\s+(?:all[- ]time\s+)?fav(?:ou?rite|e)?\s+(?P<thing>[\w\s]{1,25}?)\s+(?:is|are|'s)\s+"
        r"(?P<v>.+)$",
        clause,
        _flags(),
    )
    if found is None:
        return None
    value = _cut(found["v"], _LIKE_END, max_words=6)
    thing = _key(found["thing"])
    if not value or not thing or _is_pronoun_like(value):
        return None
    return Candidate(
        text=f"Favourite {thing} is {value}",
        kind=MemoryKind.PREFERENCE,
        slot=f"favourite:{thing}",
        value=value,
    )


def _allergy(clause: str) -> Candidate | None:
    to = re.match(
        rf"^(?:{_I_AM}\s+{_ADVERBS}(?:very\s+|severely\s+|mildly\s+|slightly\s+)?allergic\s+to"
        rf"|{_I_HAVE}\s+(?:got\s+)?(?:an?\s+)?(?:severe\s+|mild\s+)?allerg(?:y|ies)\s+to)\s+(?P<v>.+)$",
        clause,
        _flags(),
    )
    noun = re.match(
        rf"^{_I_HAVE}\s+(?:got\s+)?(?:a|an)\s+(?:severe\s+|mild\s+)?(?P<v>[\w\s-]{{2,25}}?)\s+allergy$",
        clause,
        _flags(),
    )
    intolerant = re.match(
        rf"^{_I_AM}\s+{_ADVERBS}(?P<v>lactose|gluten|fructose|histamine)[\s-]intolerant$",
        clause,
        _flags(),
    )
    coeliac = re.match(rf"^{_I_AM}\s+{_ADVERBS}(?:a\s+)?(?:coeliac|celiac)$", clause, _flags())
    if intolerant is not None:
        value = intolerant["v"].lower()
        return Candidate(
            text=f"Is {value} intolerant",
            kind=MemoryKind.FACT,
            slot=f"intolerance:{value}",
            value=value,
        )
    if coeliac is not None:
        return Candidate(
            text="Is coeliac (cannot eat gluten)",
            kind=MemoryKind.FACT,
            slot="intolerance:gluten",
            value="gluten",
        )
    match = to or noun
    if match is None:
        return None
    value = _cut(match["v"], _LIKE_END, max_words=5)
    if not value or _is_pronoun_like(value):
        return None
    return Candidate(
        text=f"Is allergic to {value}",
        kind=MemoryKind.FACT,
        slot=f"allergy:{_key(value)}",
        value=value,
    )


def _diet(clause: str) -> Candidate | None:
    found = re.match(
        rf"^{_I_AM}\s+{_ADVERBS}(?:(?:a|an)\s+)?(?:strict\s+)?(?P<v>{'|'.join(_DIETS)})$",
        clause,
        _flags(),
    )
    if found is not None:
        value = found["v"].lower()
        return Candidate(text=f"Is {value}", kind=MemoryKind.FACT, slot="diet", value=value)
    avoids = re.match(
        rf"^i\s+(?:don'?t|do\s+not|never|can'?t|cannot|can\s+not)\s+{_ADVERBS}(?:eat|drink)\s+"
        r"(?P<v>.+)$",
        clause,
        _flags(),
    )
    if avoids is None:
        return None
    value = _cut(avoids["v"], _LIKE_END, max_words=4)
    if not value or _is_pronoun_like(value) or value.lower() in {"anything", "much", "today"}:
        return None
    verb = "drink" if re.search(r"\bdrink\b", clause, re.IGNORECASE) else "eat"
    return Candidate(
        text=f"Does not {verb} {value}",
        kind=MemoryKind.FACT,
        slot=f"avoids:{_key(value)}",
        value=value,
    )


def _nationality(clause: str) -> Candidate | None:
    found = re.match(rf"^{_I_AM}\s+{_ADVERBS}(?P<v>[\w-]+)$", clause, _flags())
    if found is None or found["v"].lower() not in _NATIONALITIES:
        return None
    value = _title(found["v"])
    return Candidate(text=f"Is {value}", kind=MemoryKind.FACT, slot="nationality", value=value)


def _languages(clause: str) -> Candidate | None:
    found = re.match(
        rf"^i\s+{_ADVERBS}speak\s+(?:(?:fluent|some|a\s+little|a\s+bit\s+of|basic)\s+)?"
        r"(?P<v>[A-Z][a-z]+)$",
        clause,
        _flags(),
    )
    if found is None:
        return None
    value = _title(found["v"])
    return Candidate(
        text=f"Speaks {value}", kind=MemoryKind.FACT, slot=f"speaks:{value.lower()}", value=value
    )


_HAS_THINGS = (
    r"dogs?|cats?|kids|children|sons?|daughters?|brothers?|sisters?|twins|grandchildren"
    r"|grandkids|hamsters?|rabbits?|parrots?|horses?|a\s+car|a\s+bike|a\s+garden"
)


def _has(clause: str) -> Candidate | None:
    found = re.match(
        rf"^{_I_HAVE}\s+(?:got\s+)?(?P<v>(?:a|an|one|two|three|four|five|\d)\s+(?:[a-z]+\s+)?"
        rf"(?:{_HAS_THINGS})|a\s+(?:car|bike|garden))$",
        clause,
        _flags(),
    )
    if found is None:
        return None
    value = found["v"].lower()
    noun = value.split()[-1]
    noun = {"children": "child", "kids": "child", "grandkids": "grandchild"}.get(noun, noun)
    noun = noun[:-1] if noun.endswith("s") and noun not in {"twins"} else noun
    return Candidate(text=f"Has {value}", kind=MemoryKind.FACT, slot=f"has:{noun}", value=value)


_RULES: tuple[Rule, ...] = (
    _person,
    _allergy,
    _diet,
    _birthday,
    _age,
    _home,
    _origin,
    _work,
    _study,
    _job,
    _nationality,
    _favourite,
    _likes,
    _languages,
    _has,
    _name,
)


# -- questions ------------------------------------------------------------------------------------

_ASKED: tuple[tuple[str, str], ...] = (
    # (slot, pattern); the first that matches the question wins.
    (
        "home",
        r"where\s+(?:do|did)\s+i\s+(?:say\s+i\s+)?(?:live|reside|stay)|where\s+am\s+i\s+(?:living"
        r"|based)|(?:what|which)\s+(?:city|town|country|place|part\s+of\s+\w+)\s+(?:do\s+i\s+live"
        r"|am\s+i\s+(?:living|based)|is\s+my\s+home)|where(?:'s|\s+is)\s+(?:my\s+home|home\s+for\s+me)"
        r"|(?:what|where)(?:'s|\s+is)\s+my\s+(?:home|address|city)"
        r"|(?:know|remember)\s+where\s+i\s+live",
    ),
    (
        "origin",
        r"where\s+am\s+i\s+(?:originally\s+)?from|where\s+(?:do|did)\s+i\s+(?:come\s+from|grow\s+up)"
        r"|where\s+was\s+i\s+raised",
    ),
    ("birthplace", r"where\s+was\s+i\s+born"),
    (
        "birthday",
        r"when(?:'s|\s+is)\s+my\s+(?:birthday|bday|b-day)|when\s+was\s+i\s+born"
        r"|what(?:'s|\s+is)\s+my\s+(?:birthday|date\s+of\s+birth|dob|birth\s+date)"
        r"|(?:know|remember)\s+(?:when\s+)?my\s+birthday|what\s+day\s+(?:is|was)\s+i\s+born",
    ),
    ("age", r"how\s+old\s+am\s+i|what(?:'s|\s+is)\s+my\s+age"),
    (
        "work",
        r"where\s+(?:do|did)\s+i\s+work|who\s+(?:do\s+i\s+work\s+for|is\s+my\s+employer|employs\s+me)"
        r"|(?:what|which)\s+(?:company|firm|organi[sz]ation)\s+(?:do\s+i\s+work|am\s+i\s+working)"
        r"|what(?:'s|\s+is)\s+my\s+(?:employer|company|workplace)|(?:know|remember)\s+where\s+i\s+work",
    ),
    (
        "job",
        r"what\s+(?:do\s+i\s+do|is\s+my\s+job|'s\s+my\s+job)|what(?:'s|\s+is)\s+my\s+(?:job|profession"
        r"|occupation|line\s+of\s+work)|what\s+do\s+i\s+work\s+as|what\s+am\s+i\s+by\s+profession",
    ),
    ("study", r"where\s+do\s+i\s+study|what\s+(?:school|university|college)\s+do\s+i"),
    (
        "name",
        r"what(?:'s|\s+is)\s+my\s+(?:first\s+)?name|who\s+am\s+i\b|(?:know|remember)\s+(?:my\s+name"
        r"|who\s+i\s+am|what\s+i'?m\s+called)|what\s+(?:am\s+i\s+called|do\s+you\s+call\s+me"
        r"|should\s+you\s+call\s+me)",
    ),
    ("nationality", r"what(?:'s|\s+is)\s+my\s+nationality|what\s+nationality\s+am\s+i"),
    ("diet", r"am\s+i\s+(?:a\s+)?(?:vegetarian|vegan|pescatarian)|what(?:'s|\s+is)\s+my\s+diet"),
    (
        "allergy",
        r"what\s+am\s+i\s+allergic\s+to|(?:do\s+i\s+have|what\s+are)\s+(?:any\s+|my\s+)?allerg",
    ),
    (
        "likes",
        r"what\s+(?:do\s+i\s+(?:like|love|enjoy|hate|dislike)|don'?t\s+i\s+like)"
        r"|what\s+are\s+my\s+(?:hobbies|interests|likes|dislikes|preferences)",
    ),
)


def asked_slot(text: str) -> str | None:
    """The slot a question asks about ("Where do I live?" -> "home"), or None.

    A family name alone ("likes", "allergy") asks about every slot of the family; see
    `slot_matches`. Statements ("I live in Porto") ask nothing."""
    for sentence in _sentences(text):
        body = _strip_openers(sentence).rstrip("?!. ")
        asking = sentence.endswith("?") or _QUESTION_START.match(body) is not None
        asking = (
            asking or re.match(r"^(?:tell\s+me|remind\s+me|say)\b", body, re.IGNORECASE) is not None
        )
        if not asking:
            continue
        found = _asked_in(body)
        if found is not None:
            return found
    return None


def _asked_in(body: str) -> str | None:
    person = re.search(
        rf"(?:what(?:'s|\s+is)|tell\s+me|(?:know|remember))\s+(?:the\s+name\s+of\s+)?my\s+"
        rf"(?P<rel>{_RELATION})(?:'s\s+name|\s+called)|(?:what\s+is|what'?s)\s+my\s+(?P<rel2>"
        rf"{_RELATION})\s+called|who(?:'s|\s+is)\s+my\s+(?P<rel3>{_RELATION})\b"
        rf"|what\s+(?:do\s+i\s+call|did\s+i\s+name)\s+my\s+(?P<rel4>{_RELATION})",
        body,
        re.IGNORECASE,
    )
    if person is not None:
        relation = next(g for g in person.group("rel", "rel2", "rel3", "rel4") if g)
        return f"person:{_RELATIONS[relation.lower()]}"
    favourite = re.search(
        r"what(?:'s|\s+is|\s+are)\s+my\s+fav(?:ou?rite|e)?\s+(?P<thing>[\w\s]{1,25}?)$",
        body,
        re.IGNORECASE,
    )
    if favourite is not None:
        return f"favourite:{_key(favourite['thing'])}"
    allergic = re.search(r"am\s+i\s+allergic\s+to\s+(?P<v>.+)$", body, re.IGNORECASE)
    if allergic is not None:
        return f"allergy:{_key(allergic['v'])}"
    likes = re.search(
        r"^do\s+i\s+(?:like|love|enjoy|hate|dislike)\s+(?P<v>[\w\s-]{1,40})$", body, re.IGNORECASE
    )
    if likes is not None and not _is_pronoun_like(likes["v"]):
        return f"likes:{_key(likes['v'])}"
    for slot, pattern in _ASKED:
        if re.search(pattern, body, re.IGNORECASE):
            return slot
    return None


def slot_matches(asked: str, slot: str | None) -> bool:
    """Whether a memory on `slot` answers a question about `asked` ("likes" covers
    "likes:jazz"; "person:wife" only itself)."""
    if slot is None:
        return False
    return slot == asked or (":" not in asked and slot.startswith(f"{asked}:"))


# -- forgetting -----------------------------------------------------------------------------------

_FORGET_VERB = (
    r"(?:please\s+)?(?:forget|delete|erase|remove|drop|wipe|clear|stop\s+remembering|unlearn)"
    r"(?:\s+about)?"
)
# "forget where I live" and friends: what is forgotten is the slot, whatever its value.
_FORGET_SLOT: tuple[tuple[str, str], ...] = (
    ("home", r"where\s+i\s+(?:live|am\s+living|reside)|my\s+(?:home|address|city|location)"),
    ("origin", r"where\s+i'?m\s+from|where\s+i\s+(?:am|come)\s+from|where\s+i\s+grew\s+up"),
    ("work", r"where\s+i\s+work|who\s+i\s+work\s+for|my\s+(?:employer|workplace|company)"),
    ("job", r"what\s+i\s+do(?:\s+for\s+a\s+living)?|my\s+(?:job|profession|occupation)"),
    ("birthday", r"my\s+(?:birthday|bday|date\s+of\s+birth)|when\s+i\s+was\s+born"),
    ("age", r"my\s+age|how\s+old\s+i\s+am"),
    ("name", r"my\s+name|what\s+i'?m\s+called|who\s+i\s+am"),
    ("diet", r"my\s+diet"),
    ("allergy", r"my\s+allerg(?:y|ies)|what\s+i'?m\s+allergic\s+to"),
    ("likes", r"what\s+i\s+(?:like|love|enjoy)|my\s+(?:likes|preferences|interests|hobbies)"),
)
_ANYMORE = re.compile(r"\b(?:any\s*more|no\s+longer)\b", re.IGNORECASE)


def forget_target(text: str) -> tuple[str | None, str | None] | None:
    """For "forget where I live" / "forget that I live in Porto": (slot, words) to match, or
    None when the text asks to forget nothing.

    Also a statement that a fact stopped being true ("I don't live in Porto anymore", "I no
    longer work at Acme"): the user expects Aura to stop believing it, so it is a target too;
    the caller confirms before deleting. A dislike ("I don't like jazz anymore") is not: it is
    extracted as a memory that replaces the like."""
    for sentence in _sentences(text):
        body = _strip_openers(sentence).rstrip("?!. ")
        target = _forget_in(body)
        if target is not None:
            return target
        target = _stopped_being_true(body)
        if target is not None:
            return target
    return None


def _forget_in(body: str) -> tuple[str | None, str | None] | None:
    command = re.match(
        rf"^(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?{_FORGET_VERB}\s+(?P<rest>.+)$",
        body,
        re.IGNORECASE,
    )
    if command is None:
        return None
    rest = re.sub(
        r"\s+(?:please|for me|from (?:your\s+)?memory|now)$",
        "",
        command["rest"].strip(),
        flags=re.IGNORECASE,
    )
    that = re.match(
        r"^(?:the\s+(?:fact|memory)\s+)?(?:that\s+)?(?P<s>(?:i|i'm|im|my)\b.+)$",
        rest,
        re.IGNORECASE,
    )
    for slot, pattern in _FORGET_SLOT:
        if re.fullmatch(pattern, rest, re.IGNORECASE):
            return slot, None
    person = re.fullmatch(
        rf"(?:my\s+)?(?P<rel>{_RELATION})(?:'s\s+name|\s+name|'s\s+details)?", rest, re.IGNORECASE
    )
    if person is not None and rest.lower().startswith("my"):
        return f"person:{_RELATIONS[person['rel'].lower()]}", None
    if that is not None:
        stated = extract_memories(that["s"])
        if stated:
            first = stated[0]
            return first.slot, first.value
    return None


def _stopped_being_true(body: str) -> tuple[str | None, str | None] | None:
    if not _ANYMORE.search(body) or body.endswith("?"):
        return None
    positive = re.sub(r"\s*\b(?:any\s*more|now)\b", "", body, flags=re.IGNORECASE)
    positive = re.sub(
        r"^i\s+(?:don'?t|do\s+not|no\s+longer)\s+", "i ", positive, flags=re.IGNORECASE
    )
    positive = re.sub(
        r"^(?:i'?m|i\s+am)\s+(?:not|no\s+longer)\s+", "i'm ", positive, flags=re.IGNORECASE
    )
    positive = re.sub(
        r"^my\s+(.+?)\s+is\s+(?:not|no\s+longer)\s+", r"my \1 is ", positive, flags=re.IGNORECASE
    )
    if positive.lower() == body.lower():
        return None
    stated = extract_memories(positive)
    if not stated:
        return None
    first = stated[0]
    if first.slot is not None and first.slot.startswith(("likes:", "avoids:")):
        return None
    return first.slot, first.value


# -- embedding ------------------------------------------------------------------------------------

# The shared encoder is fine-tuned on intents, so a question lands near other questions of its
# intent, not near the statement that answers it ("What's my name?" is 0.81 from "Is called
# Sam"). A memory is therefore embedded in the first person, followed by the questions it
# answers and, where it bears on advice, the requests it matters to (bench/bench_memory.py:
# recall@3 on the dev users 0.84 -> 0.91 at a threshold with 0.15 false retrieval).
_SLOT_QUESTIONS: dict[str, str] = {
    "name": "What is my name? Who am I?",
    "home": "Where do I live? Which city is my home?",
    "origin": "Where am I from? Where did I grow up?",
    "work": "Where do I work? Which company do I work for?",
    "job": "What is my job? What do I do for a living?",
    "study": "Where do I study? Which university do I go to?",
    "birthday": "When is my birthday? When was I born?",
    "birthyear": "What year was I born? How old am I?",
    "birthplace": "Where was I born?",
    "age": "How old am I? What is my age?",
    "nationality": "What is my nationality? Where am I from?",
    "diet": "What food can I eat? Do I eat meat? Suggest a meal or a recipe for me.",
    "likes": "What do I like? What are my hobbies and interests? Recommend something I would "
    "enjoy.",
    "dislikes": "What don't I like? What do I hate? What should I avoid?",
    "favourite": "What is my favourite {detail}?",
    "allergy": "What am I allergic to? What food can't I eat? Suggest a meal, a snack or a pet "
    "for me.",
    "intolerance": "What food can't I eat? What should I avoid eating? Suggest a meal, a drink "
    "or a recipe for me.",
    "avoids": "What food or drink do I avoid? Suggest a meal or a drink for me.",
    "speaks": "What languages do I speak?",
    "has": "Do I have pets or children? How do I get around?",
    "person": "What is my {detail}'s name? Who is my {detail}?",
}
# Third person (as stored) -> first person (as the user says it), by the text's first words.
_FIRST_PERSON: tuple[tuple[str, str], ...] = (
    ("Is called ", "My name is "),
    ("Is ", "I am "),
    ("Lives", "I live"),
    ("Works", "I work"),
    ("Likes", "I like"),
    ("Dislikes", "I dislike"),
    ("Prefers", "I prefer"),
    ("Speaks", "I speak"),
    ("Has ", "I have "),
    ("Studies", "I study"),
    ("Grew up", "I grew up"),
    ("Was born", "I was born"),
    ("Does not", "I do not"),
    ("Birthday", "My birthday"),
    ("Favourite", "My favourite"),
)


def embedding_text(*, text: str, slot: str | None) -> str:
    """What is embedded for a memory, so that the questions it answers land near it: the fact
    in the first person, then the questions its slot answers ("I live in Porto. Where do I
    live? Which city is my home?"). A memory without a known slot is embedded as it is."""
    family, _, detail = (slot or "").partition(":")
    if family == "likes" and text.startswith("Dislikes"):
        family = "dislikes"
    questions = _SLOT_QUESTIONS.get(family)
    if questions is None:
        return text
    return f"{_first_person(text, family)}. {questions.format(detail=detail)}"


def _first_person(text: str, family: str) -> str:
    if family == "person":
        return f"My {text[:1].lower()}{text[1:]}"
    for third, first in _FIRST_PERSON:
        if text.startswith(third):
            return first + text[len(third) :]
    return text
