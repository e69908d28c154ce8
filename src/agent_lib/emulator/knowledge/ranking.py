"""Retrieval for the emulated Knowledge Assistant: Markdown sections ranked with BM25, answers
written from the best passages with citations, and an honest "not found" when nothing fits.

No model and no heavy import: a tokenizer with a light suffix stemmer and a few synonyms, Okapi
BM25 over sections (a `#` title plus one `##` section each), then extractive answering — the
sentences of the top sections that share the most weight with the question, each section cited by
document title and section heading.

    index = Index(load_sections(Path("docs")))
    answer = index.answer("How many days do I have to return a laptop?")
    answer.text, answer.citations, answer.found
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

NOT_FOUND = "I could not find this in the policy documents."

_STOP = frozenset("""
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not of off on once only or other our ours ourselves out over own same she should
so some such than that the their theirs them themselves then there these they this those through to
too under until up very was we were what when where which while who whom why will with would you
your yours yourself yourselves get got many much long tell know need want please policy policies
company us our say says said also may must shall within per quickly fast soon typically usually
exactly able allowed happen happens apply applies rule rules anything something thing things okay ok
actually currently today now give go going make take takes does there any someone one
""".split())

# Words a question uses for what the documents call otherwise (both sides are normalized).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "notebook": ("laptop",), "computer": ("laptop",), "pc": ("laptop",),
    "screen": ("monitor",), "display": ("monitor",),
    "vacation": ("pto", "paid", "time", "off"), "leave": ("pto",),
    "wfh": ("remote",), "home": ("remote",),
    "europe": ("emea",), "european": ("emea",), "uk": ("emea",), "germany": ("emea",),
    "asia": ("apac",), "japan": ("apac",), "australia": ("apac",),
    "brazil": ("latam",), "mexico": ("latam",),
    "money": ("refund",), "reimburse": ("reimbursement",),
    "deliver": ("shipping",), "delivery": ("shipping",), "ship": ("shipping",),
    "hotel": ("hotel", "lodging"), "meal": ("meal", "per", "diem"),
    "password": ("password",), "mfa": ("multi", "factor"), "2fa": ("multi", "factor"),
    "guarantee": ("warranty",), "broken": ("defective",), "faulty": ("defective",),
    "cheaper": ("lower", "price"), "urgent": ("p1",), "critical": ("p1",),
    "minimum": ("least",), "length": ("character",), "keep": ("retention", "kept"),
    "store": ("retention", "stored"), "retain": ("retention",), "delete": ("deletion",),
    "buy": ("purchase",), "purchasing": ("procurement",), "vendor": ("vendor", "supplier"),
    "quick": ("within",), "late": ("submitted", "after"), "approve": ("approval",),
    "fly": ("flight", "air"), "plane": ("flight", "air"), "airfare": ("flight", "air"),
    "trip": ("travel",), "journey": ("travel",),
}


def stem(word: str) -> str:
    w = word.lower().strip("'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) <= 3 or w.isdigit():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            if len(w) > 2 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]
            break
    return w


def tokens(text: str) -> list[str]:
    """Normalized content words of a text (numbers kept: '15', '2,000' -> '2000', 'p1')."""
    words = re.findall(r"[a-z0-9]+(?:[.,][0-9]+)*", text.lower().replace("’", "'"))
    out = []
    for w in words:
        w = w.replace(",", "")
        if w in _STOP:
            continue
        out.append(stem(w))
    return out


def query_terms(text: str) -> list[str]:
    """A question's terms, with synonyms added (each term once)."""
    seen: dict[str, None] = {}
    for t in tokens(text):
        seen.setdefault(t, None)
        for syn in _SYNONYMS.get(t, ()):
            seen.setdefault(stem(syn), None)
    return list(seen)


@dataclass(frozen=True)
class Section:
    """One retrievable passage: a document's `##` section (or its preamble)."""

    doc_id: str  # file stem, e.g. "returns"
    title: str  # the document's `#` title
    heading: str  # the section's `##` heading ("" for the preamble)
    text: str
    path: str = ""  # where the document lives (file path or volume path), for citations

    @property
    def label(self) -> str:
        return f"{self.title} — {self.heading}" if self.heading else self.title

    def sentences(self) -> list[str]:
        """The section as sentences: paragraphs split at sentence ends, list items whole, and each
        table row as `header: value; ...`."""
        out: list[str] = []
        for kind, block in _blocks(self.text):
            if kind == "table":
                rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in block
                        if not set(line.strip()) <= set("|-: ")]
                header, body = (rows[0], rows[1:]) if len(rows) > 1 else ([], rows)
                for row in body:
                    if header and len(header) == len(row):
                        out.append("; ".join(f"{h}: {v}" for h, v in zip(header, row, strict=False)) + ".")
                    else:
                        out.append(", ".join(c for c in row if c) + ".")
            else:
                text = " ".join(line.strip() for line in block)
                text = _ABBREV.sub(lambda m: m.group(0).replace(".", "\0"), text)
                out.extend(p.replace("\0", ".").strip()
                           for p in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"($])", text) if p.strip())
        return out


_ABBREV = re.compile(r"\b(?:Jr|Sr|Mr|Mrs|Ms|Dr|St|No|e\.g|i\.e|etc|vs)\.")


def _blocks(text: str) -> list[tuple[str, list[str]]]:
    """Paragraphs, list items and tables of a Markdown body, in order."""
    blocks: list[tuple[str, list[str]]] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            blocks.append(("blank", []))
            continue
        if stripped.startswith("|"):
            if blocks and blocks[-1][0] == "table":
                blocks[-1][1].append(stripped)
            else:
                blocks.append(("table", [stripped]))
            continue
        item = re.match(r"^([-*]|\d+\.)\s+(.*)$", stripped)
        if item:
            blocks.append(("item", [item.group(2)]))
        elif blocks and blocks[-1][0] in ("para", "item") and (blocks[-1][0] == "para" or raw[:1] == " "):
            blocks[-1][1].append(stripped)
        else:
            blocks.append(("para", [stripped]))
    return [(k, b) for k, b in blocks if k != "blank"]


def parse_markdown(text: str, doc_id: str, path: str = "") -> list[Section]:
    """Split one Markdown document into sections at `##` headings (deeper headings stay inside)."""
    title = doc_id.replace("_", " ").title()
    sections: list[Section] = []
    heading, buf = "", []

    def flush() -> None:
        body = "\n".join(buf).strip()
        if body:
            sections.append(Section(doc_id, title, heading, body, path))

    for line in text.splitlines():
        if line.startswith("# ") and not sections and not heading and not "".join(buf).strip():
            title = line[2:].strip()
        elif line.startswith("## "):
            flush()
            heading, buf = line[3:].strip(), []
        else:
            buf.append(line)
    flush()
    return sections


@lru_cache(maxsize=8)
def _load(directory: str, path_prefix: str) -> tuple[Section, ...]:
    out: list[Section] = []
    for file in sorted(Path(directory).glob("*.md")):
        where = f"{path_prefix.rstrip('/')}/{file.name}" if path_prefix else str(file)
        out.extend(parse_markdown(file.read_text(encoding="utf-8"), file.stem, where))
    return tuple(out)


def load_sections(directory: Path | str, path_prefix: str = "") -> list[Section]:
    """Every section of every `*.md` in a folder (cached); `path_prefix` names where they live."""
    return list(_load(str(directory), path_prefix))


@dataclass(frozen=True)
class Citation:
    index: int
    title: str
    section: str
    path: str
    score: float

    def as_dict(self) -> dict[str, object]:
        return {"index": self.index, "title": self.title, "section": self.section, "path": self.path,
                "score": round(self.score, 3)}


@dataclass(frozen=True)
class Answer:
    text: str
    found: bool
    citations: tuple[Citation, ...] = ()
    passages: tuple[str, ...] = field(default=(), repr=False)  # the sentences quoted, in order


class Index:
    """BM25 (k1=1.5, b=0.75) over sections; the section text and its title/heading both count."""

    def __init__(self, sections: Sequence[Section], *, k1: float = 1.5, b: float = 0.75) -> None:
        self.sections = list(sections)
        self.k1, self.b = k1, b
        # headings and titles are repeated so a section about "Laptops" ranks for "laptop"
        self._docs = [Counter(tokens(f"{s.title} {s.heading} {s.heading} {s.text}")) for s in self.sections]
        self._lens = [sum(d.values()) for d in self._docs]
        self._avg = (sum(self._lens) / len(self._lens)) if self._lens else 1.0
        df: Counter[str] = Counter()
        for d in self._docs:
            df.update(d.keys())
        n = len(self._docs)
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self._max_idf = math.log(1 + (n + 0.5) / 0.5) if n else 1.0

    def idf(self, term: str) -> float:
        return self._idf.get(term, self._max_idf)

    def _score(self, terms: Iterable[str], i: int) -> float:
        doc, length = self._docs[i], self._lens[i]
        score = 0.0
        for t in terms:
            f = doc.get(t, 0)
            if f:
                norm = self.k1 * (1 - self.b + self.b * length / self._avg)
                score += self.idf(t) * f * (self.k1 + 1) / (f + norm)
        return score

    def search(self, question: str, k: int = 3) -> list[tuple[float, Section]]:
        terms = query_terms(question)
        # a document's preamble restates its title: it ranks only when no section says more
        scored = [(self._score(terms, i) * (0.5 if not s.heading else 1.0), s)
                  for i, s in enumerate(self.sections)]
        scored = [x for x in scored if x[0] > 0]
        scored.sort(key=lambda x: -x[0])
        return scored[:k]

    def coverage(self, question: str, section: Section) -> float:
        """The idf-weighted share of the question's own terms that the section contains."""
        # numbers the documents never mention ("a $10,000 purchase") say nothing about relevance
        terms = [t for t in dict.fromkeys(tokens(question)) if not (t.isdigit() and t not in self._idf)]
        if not terms:
            return 0.0
        i = self.sections.index(section)
        doc = self._docs[i]
        have = 0.0
        for t in terms:
            alts = (t, *(stem(s) for s in _SYNONYMS.get(t, ())))
            if any(a in doc for a in alts):
                have += self.idf(t)
        return have / sum(self.idf(t) for t in terms)

    def answer(self, question: str, *, min_coverage: float = 0.5, max_sections: int = 2) -> Answer:
        hits = self.search(question, k=4)
        if not hits or self.coverage(question, hits[0][1]) < min_coverage:
            return Answer(NOT_FOUND, found=False)
        top = hits[0][0]
        chosen = [hits[0]] + [h for h in hits[1:max_sections]
                              if h[0] >= 0.75 * top and self.coverage(question, h[1]) >= min_coverage]
        terms = set(query_terms(question))
        lines: list[str] = []
        quoted: list[str] = []
        citations: list[Citation] = []
        for n, (score, section) in enumerate(chosen, start=1):
            sentences = _best_sentences(section, terms, self.idf)
            if not sentences:
                continue
            quoted.extend(sentences)
            lines.append(f"According to the {section.title} ({section.heading or 'overview'}): "
                         f"{' '.join(sentences)} [{n}]")
            citations.append(Citation(n, section.title, section.heading, section.path, score))
        if not citations:
            return Answer(NOT_FOUND, found=False)
        sources = "\n".join(f"[{c.index}] {c.title} — {c.section or 'overview'}" for c in citations)
        return Answer("\n\n".join(lines) + "\n\nSources:\n" + sources, found=True,
                      citations=tuple(citations), passages=tuple(quoted))


def _best_sentences(section: Section, terms: set[str], idf: Callable[[str], float],
                    limit: int = 2) -> list[str]:
    scored = []
    for i, sentence in enumerate(section.sentences()):
        words = set(tokens(sentence))
        weight = sum(idf(t) for t in terms & words)
        if weight > 0:
            has_number = bool(re.search(r"\d", sentence))
            scored.append((weight + (0.5 if has_number else 0.0), i, sentence))
    if not scored:
        return []
    scored.sort(key=lambda x: (-x[0], x[1]))
    best = scored[0][0]
    keep = [s for s in scored[:limit] if s[0] >= 0.6 * best]
    keep.sort(key=lambda x: x[1])
    return [s[2] for s in keep]


__all__ = ["NOT_FOUND", "Answer", "Citation", "Index", "Section", "load_sections", "parse_markdown",
           "query_terms", "stem", "tokens"]
