"""Words from requests and tool definitions: identifier splitting, tokens, stems, stop words.

Relevance is computed between two very different kinds of text (a user's chatty sentence and a
tool's terse name and schema), so both go through the same normalization: identifiers are split
(`main__sales__get_order_status`, `worldClock.getTime`, `find-restaurants`), multiword phrases
become one token ("time off" -> "leave"), words are lowercased, stop words dropped, and a small
suffix-stripping stemmer maps "bookings"/"booked"/"booking" to one stem. The stemmer is
deliberately crude: it only needs to be consistent on both sides, not linguistically right.
"""

from __future__ import annotations

import re
from functools import lru_cache

STOP_WORDS = frozenset(
    """a an the is are was were be been being am do does did doing have has had having i me my mine
    myself we us our ours you your yours he him his she her it its they them their this that these
    those what which who whom whose when where why how of in on at to for from by with about as into
    onto through over under up out off and or but if then so than too very can could would
    should will shall may might must just also please pls plz any some all there here not no yes
    let like want wanna need needs gonna get got gets tell give show know much many more most other
    such only own same again now right well ok okay hey hi hello thanks thank kindly whether yet
    still really actually maybe lot bit one ones between among each every last next previous ago
    recent recently current currently latest today tonight s t d ll m re ve don doesn didn isn aren
    wasn weren won't can't i'm i'd i've you're we're they're let's it's that's what's there's where's
    who's how's e g eg ie etc via per""".split()
)

# Words that appear in almost every tool definition and say nothing about what the tool is for.
DOC_STOP_WORDS = frozenset(
    """get gets return returns returned given specified specify optional optionally default
    omitted provided used use using tool function api call calls value values string integer
    number type object param parameter parameters field list e.g example such""".split()
)

# Multiword expressions mapped to one token before splitting (applied to requests and tools).
PHRASES: tuple[tuple[str, str], ...] = (
    (r"\btime[- ]off\b", "leave"),
    (r"\bdays? off\b", "leave"),
    (r"\bout of (?:the )?office\b", "leave"),
    (r"\bmoney back\b", "refund"),
    (r"\bsend back (?:their|his|her|my|the) money\b", "refund"),
    (r"\blook(?:ing)? up\b", "lookup"),
    (r"\bin stock\b", "inventory"),
    (r"\bon hand\b", "inventory"),
    (r"\bsign(?:ed)? in\b", "login"),
    (r"\blog(?:ged)? in\b", "login"),
    (r"\blocked out\b", "locked"),
    (r"\btl;?dr\b", "summarize"),
    (r"\be-mail", "email"),
    (r"\bwi-?fi\b", "wifi"),
    (r"\bper diem\b", "allowance"),
    (r"\bhelp ?desk\b", "helpdesk"),
    (r"\bpick ?up\b", "pickup"),
    (r"\bdrop ?off\b", "dropoff"),
    (r"\bshow ?times?\b", "showtime"),
    (r"\bexchange rates?\b", "exchange rate"),
    (r"\bto-?do\b", "todo"),
    (r"\bsign ?up\b", "signup"),
    (r"\bnot received\b|\bnever (?:received|arrived|got)\b", "undelivered"),
    (r"\b(?:plane|airline|air|flight) tickets?\b", "flight"),
    (r"\b(?:movie|cinema|film) tickets?\b", "movie"),
    (r"\blast night\b", "yesterday"),
    (
        r"^\s*(?:can|may|could) (?:i|we|employees|staff|customers?|users?|people|guests?|contractors?"
        r"|visitors?|interns?|managers?) (?=\w)",
        "allowed ",
    ),
    (r"\b(?:am i|are we|is it ok(?:ay)?|is it fine) (?:allowed )?to\b", "allowed"),
    # a limit asked about, not an action asked for: "how many days do I have to return a laptop?"
    (
        r"\bhow (?:many \w+|much time|long) (?:do|does|will) (?:i|we|you|they|customers?|employees?|staff"
        r"|people|one) (?:have|get) to\b",
        "allowed",
    ),
    (r"\b(uber|lyft|cab)\b", r"\1 taxi"),
    (r"\b(gmail|outlook)\b", r"\1 email"),
    (r"\b(zoom|teams) (call|meeting)\b", r"\1 \2 meeting"),
    (r"\bpto\b", "pto vacation"),
    (r"\bgoogle\b(?! (?:stock|shares?|docs?|drive|sheets?|calendar|maps?))", "google websearch"),
    (r"\bhow far\b", "distance"),
    (
        r"\b(?:does ?n[o']?t|do ?n[o']?t|is ?n[o']?t|wo ?n[o']?t|not|stopped|can ?n[o']?t|cannot|unable to"
        r"|keeps? failing to) (?:work|working|connect|connecting|load|loading|open|opening|start|starting"
        r"|print|printing|turn on|login|sync)\w*\b",
        "broken",
    ),
)

_IRREGULAR = {
    "children": "child",
    "people": "person",
    "men": "man",
    "women": "woman",
    "flew": "fly",
    "went": "go",
    "bought": "buy",
    "sold": "sell",
    "spent": "spend",
    "paid": "pay",
    "sent": "send",
    "ran": "run",
    "won": "win",
    "took": "take",
    "left": "left",
    "feet": "foot",
    "teeth": "tooth",
    "ate": "eat",
    "gave": "give",
    "made": "make",
    "wrote": "write",
    "found": "find",
    "brought": "bring",
    "news": "news",
    "status": "status",
    "analysis": "analysis",
    "bus": "bus",
    "gas": "gas",
    "location": "location",
    "locations": "location",
    "marketing": "marketing",
    "accounting": "accounting",
    "engineering": "engineering",
    "training": "training",
    "evening": "evening",
    "morning": "morning",
    "string": "string",
    "building": "building",
    "wedding": "wedding",
    "clothing": "clothing",
    "nothing": "nothing",
    "something": "something",
    "anything": "anything",
    "everything": "everything",
    "thing": "thing",
    "things": "thing",
    "during": "during",
    "spring": "spring",
    "bring": "bring",
    "this": "this",
    "its": "its",
    "has": "has",
    "was": "was",
    "does": "does",
    "series": "series",
    "computer": "computer",  # not "compute": a laptop is not a calculation
    "computers": "computer",
}

_CAMEL_1 = re.compile(r"([a-z0-9])([A-Z])")
_CAMEL_2 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_WORD = re.compile(r"[^\W\d_](?:[^\W_]|')*|[0-9]+(?:\.[0-9]+)?")  # letters in any script: "zürich", "café"
_VOWEL = re.compile(r"[aeiouy]")


def split_identifier(name: str) -> str:
    """`main__sales__get_order_status` / `worldClock.getTime` / `find-restaurants` -> spaced words."""
    spaced = _CAMEL_2.sub(r"\1 \2", _CAMEL_1.sub(r"\1 \2", name))
    return re.sub(r"[._\-/:]+", " ", spaced).lower()


def apply_phrases(text: str) -> str:
    """Rewrite multiword expressions ("time off", "money back") to single tokens."""
    text = text.lower()
    for pattern, token in PHRASES:
        text = re.sub(pattern, token, text)
    return text


def words(text: str) -> list[str]:
    """Lowercase word tokens (no stemming, stop words kept), after phrase rewriting."""
    return [w.strip("'") for w in _WORD.findall(apply_phrases(text)) if w.strip("'")]


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """A small suffix stripper: plurals, -ing, -ed, -ly, -ment, -ation, -er, final -e."""
    w = word.lower().strip("'")
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) <= 3 or not w.isalpha() or not w.isascii():
        return w
    for suffix, repl, min_left in (
        ("ies", "y", 2),
        ("ied", "y", 2),
        ("sses", "ss", 2),
        ("ations", "at", 3),
        ("ation", "at", 3),
        ("ators", "at", 3),
        ("ator", "at", 3),
        ("ments", "", 4),
        ("ment", "", 4),
        ("ness", "", 3),
        ("ings", "", 3),
        ("ing", "", 3),
        ("edly", "", 3),
        ("ly", "", 4),
        ("ed", "", 3),
        ("ers", "", 4),
        ("er", "", 4),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= min_left:
            base = w[: len(w) - len(suffix)] + repl
            if suffix in ("ers", "er") and len(w) < 6:
                continue
            if _VOWEL.search(base):
                w = base
                break
    else:
        if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
            w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz" and not w[-1].isdigit():
        w = w[:-1]  # shipp -> ship, runn -> run
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


# Abbreviations common in tool and parameter names, read as the word they stand for.
ABBREVIATIONS = {
    "temp": "temperature",
    "calc": "calculate",
    "info": "information",
    "db": "database",
    "config": "configuration",
    "auth": "authentication",
    "avg": "average",
    "amt": "amount",
    "dept": "department",
    "emp": "employee",
    "mgr": "manager",
    "loc": "location",
    "lang": "language",
    "tz": "timezone",
    "pct": "percent",
    "acct": "account",
    "txn": "transaction",
    "qty": "quantity",
    "cust": "customer",
    "msg": "message",
    "addr": "address",
    "num": "number",
    "img": "image",
    "stats": "statistics",
    "repo": "repository",
    "env": "environment",
    "convo": "conversation",
    "appt": "appointment",
}


_NEGATED = re.compile(
    r"\b(?:not|never)\s+(?:meant\s+|intended\s+|to\s+be\s+used\s+|suitable\s+)?for\b[^.;\n]*"
    r"|\b(?:do\s+not|don't|never)\s+use\s+(?:it|this(?:\s+tool)?|this\s+function)?\s*(?:for|to|when)\b"
    r"[^.;\n]*",
    re.I,
)


def negated_spans(description: str) -> list[tuple[int, int]]:
    """Where a tool description says what the tool is *not* for ("...; not for one order's status",
    "Do not use it for refunds."), up to the end of the sentence."""
    return [m.span() for m in _NEGATED.finditer(description)]


def split_negated(description: str) -> tuple[str, str]:
    """(what the description says the tool is for, what it says the tool is not for)."""
    spans = negated_spans(description)
    kept, dropped, pos = [], [], 0
    for a, b in spans:
        kept.append(description[pos:a])
        dropped.append(description[a:b])
        pos = b
    kept.append(description[pos:])
    return " ".join(kept), " ".join(dropped)


def content_words(text: str, *, extra_stop: frozenset[str] = frozenset()) -> list[str]:
    """Stemmed content words of free text, in order (stop words and bare numbers removed)."""
    out = []
    for w in words(text):
        if w in STOP_WORDS or w in extra_stop or w[0].isdigit():
            continue
        out.append(stem(ABBREVIATIONS.get(w, w)))
    return out


def trigrams(term: str) -> frozenset[str]:
    """Character trigrams of a padded term, for typo-tolerant matching."""
    padded = f"#{term}#"
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient of two trigram sets."""
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein distance (adjacent transpositions count once), capped at `limit`."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return min(prev[-1], limit)
