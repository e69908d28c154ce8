"""Time ranges in a question: "in 2025", "Q3 2024", "last quarter", "in March", "between March and
May 2025", "since June", "2024 vs 2025", "the past 90 days", "year to date".

Relative ranges anchor on the data's latest order date (never the wall clock): with data up to
2025-12-31, "last quarter" is Q3 2025, "this year" is 2025, "last year" is 2024 and "the past 30
days" ends on 2025-12-31. A month or quarter without a year is its latest occurrence that has
started by the anchor, or takes the year named elsewhere in the question ("between March and May
2025").
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

from .lexicon import NUMBER_WORDS

Range = tuple[dt.date, dt.date]

_MONTHS = {"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
           "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
           "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12,
           "dec": 12}
_MONTH = "(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + ")"
_ORD = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_NUM = r"(?P<n>\d+|" + "|".join(NUMBER_WORDS) + ")"
_Y = r"(?:(?:of|in)\s+)?(?:fy\s*)?(?P<year>20\d\d)"

# (kind, pattern) in priority order; each names the groups its kind reads.
_PERIODS: list[tuple[str, re.Pattern[str]]] = [(k, re.compile(rf"\b{p}\b")) for k, p in (
    ("day", r"(?P<iso>20\d\d-\d\d-\d\d)"),
    ("quarter", rf"(?P<q>q[1-4])(?:[-/\s]+{_Y})?"),
    ("quarter", r"(?P<year2>20\d\d)[-\s]+(?P<q2>q[1-4])"),
    ("quarter", rf"(?P<ord>first|1st|second|2nd|third|3rd|fourth|4th)\s+quarter(?:\s+{_Y})?"),
    ("half", rf"(?P<h>h[12])(?:[-\s]+{_Y})?"),
    ("half", rf"(?P<hord>first|second)\s+half(?:\s+{_Y})?"),
    ("month", r"(?P<ym>20\d\d-(?:0[1-9]|1[0-2]))"),
    ("month", rf"{_MONTH}(?:\s+{_Y})?"),
    ("ytd", r"(?:ytd|year[\s-]to[\s-]date|so\s+far\s+this\s+year|this\s+year\s+so\s+far)"),
    ("qtd", r"(?:qtd|quarter[\s-]to[\s-]date)"),
    ("mtd", r"(?:mtd|month[\s-]to[\s-]date)"),
    ("rolling", rf"(?:in\s+)?(?:the\s+)?(?:last|past|previous|trailing|prior)\s+{_NUM}\s+"
                r"(?P<unit>days?|weeks?|months?|quarters?|years?)"),
    ("rolling12", r"(?:ttm|trailing\s+twelve\s+months|past\s+year|past\s+12\s+months)"),
    ("relative", r"(?P<rel>last|previous|prior|this|current)\s+(?P<runit>quarter|month|year|week)"),
    ("today", r"(?P<day>today|yesterday)"),
    ("year", r"(?:fy\s*)?(?P<year3>20\d\d)"),
)]
_BETWEEN = re.compile(r"\b(?:between|from)\s*$")
_JOIN_RANGE = re.compile(r"^\s*(?:and|to|through|thru|till|until|-)\s*$")
_JOIN_LIST = re.compile(r"^\s*(?:,|and|or|vs|versus|compared\s+(?:to|with)|against|with|to|,\s*and)?\s*$")
_OPEN = re.compile(r"\b(?P<word>since|after|before|until|till|through|up\s+to|prior\s+to|starting|"
                   r"starting\s+from|beginning|from)(?:\s+the\s+(?:start|beginning|end)\s+of)?\s*$")


@dataclass
class Period:
    kind: str  # year | half | quarter | month | day | ytd | rolling | ...
    start: dt.date
    end: dt.date
    label: str
    span: tuple[int, int]
    has_year: bool = True
    shift: tuple[str, int] | None = None  # (unit, number) to re-anchor a year-less period


@dataclass
class TimeInfo:
    ranges: list[Range] = field(default_factory=list)
    label: str = ""
    grain: str | None = None  # a time dimension asked for by comparing periods ("2024 vs 2025")
    consumed: set[int] = field(default_factory=set)  # token indices
    periods: list[Range] = field(default_factory=list)  # each period named, before combining


def _month_end(y: int, m: int) -> dt.date:
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def _add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    return dt.date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def _quarter(y: int, q: int) -> tuple[dt.date, dt.date]:
    return dt.date(y, 3 * q - 2, 1), _month_end(y, 3 * q)


def _period(kind: str, g: dict[str, str | None], anchor: dt.date) -> tuple[dt.date, dt.date, str, bool]:
    """(start, end, label, has_year) of one matched period."""
    year_s = g.get("year") or g.get("year2") or g.get("year3")
    year = int(year_s) if year_s else anchor.year
    if kind == "day":
        d = dt.date.fromisoformat(str(g["iso"]))
        return d, d, d.isoformat(), True
    if kind == "quarter":
        qs = g.get("q") or g.get("q2")
        q = int(qs[1]) if qs else _ORD[str(g["ord"])]
        s, e = _quarter(year, q)
        if not year_s and s > anchor:
            s, e = _quarter(year - 1, q)
        return s, e, f"Q{q} {s.year}", bool(year_s)
    if kind == "half":
        h = int(str(g["h"])[1]) if g.get("h") else (1 if g["hord"] == "first" else 2)
        s, e = dt.date(year, 6 * h - 5, 1), _month_end(year, 6 * h)
        if not year_s and s > anchor:
            s, e = dt.date(year - 1, 6 * h - 5, 1), _month_end(year - 1, 6 * h)
        return s, e, f"H{h} {s.year}", bool(year_s)
    if kind == "month":
        if g.get("ym"):
            y, m = (int(x) for x in str(g["ym"]).split("-"))
            return dt.date(y, m, 1), _month_end(y, m), f"{calendar.month_name[m]} {y}", True
        m = _MONTHS[str(g["month"])]
        s = dt.date(year, m, 1)
        if not year_s and s > anchor:
            s = dt.date(year - 1, m, 1)
        return s, _month_end(s.year, m), f"{calendar.month_name[m]} {s.year}", bool(year_s)
    if kind == "year":
        return dt.date(year, 1, 1), dt.date(year, 12, 31), str(year), True
    if kind == "ytd":
        return dt.date(anchor.year, 1, 1), anchor, f"{anchor.year} year to date", True
    if kind == "qtd":
        s, _ = _quarter(anchor.year, (anchor.month - 1) // 3 + 1)
        return s, anchor, "quarter to date", True
    if kind == "mtd":
        return anchor.replace(day=1), anchor, "month to date", True
    if kind == "rolling":
        n_s = str(g["n"])
        n = int(n_s) if n_s.isdigit() else NUMBER_WORDS[n_s]
        unit = str(g["unit"]).rstrip("s")
        if unit in ("day", "week"):
            s = anchor - dt.timedelta(days=n * (7 if unit == "week" else 1) - 1)
        else:
            s = _add_months(anchor, -n * {"month": 1, "quarter": 3, "year": 12}[unit]) + dt.timedelta(days=1)
        return s, anchor, f"the last {n} {unit}{'s' if n != 1 else ''} (to {anchor.isoformat()})", True
    if kind == "rolling12":
        s = _add_months(anchor, -12) + dt.timedelta(days=1)
        return s, anchor, f"the last 12 months (to {anchor.isoformat()})", True
    if kind == "today":
        d = anchor if g["day"] == "today" else anchor - dt.timedelta(days=1)
        return d, d, d.isoformat(), True
    # relative: last/this quarter/month/year/week
    back = 0 if g["rel"] in ("this", "current") else 1
    unit = str(g["runit"])
    if unit == "year":
        y = anchor.year - back
        return dt.date(y, 1, 1), dt.date(y, 12, 31), str(y), True
    if unit == "quarter":
        idx = anchor.year * 4 + (anchor.month - 1) // 3 - back
        s, e = _quarter(idx // 4, idx % 4 + 1)
        return s, e, f"Q{idx % 4 + 1} {idx // 4}", True
    if unit == "month":
        s = _add_months(anchor.replace(day=1), -back)
        return s, _month_end(s.year, s.month), f"{calendar.month_name[s.month]} {s.year}", True
    s = anchor - dt.timedelta(days=anchor.weekday() + 7 * back)
    return s, s + dt.timedelta(days=6), f"the week of {s.isoformat()}", True


def _find(text: str, anchor: dt.date) -> list[Period]:
    taken: list[tuple[int, int]] = []
    found: list[Period] = []
    for kind, pattern in _PERIODS:
        for m in pattern.finditer(text):
            a, b = m.span()
            if any(a < y and x < b for x, y in taken):
                continue
            g = m.groupdict()
            if kind == "month" and g.get("month") == "may" and not g.get("year") and not re.search(
                    r"\b(?:in|during|of|since|from|between|to|until|through|for|and|before|after)\s+$",
                    text[:a]):
                continue  # "may" the verb
            if kind == "month" and g.get("month") in ("mar", "sep", "dec", "jun", "jan") and not (
                    g.get("year") or re.search(r"\b(?:in|during|of|since|from|between|to|until)\s+$",
                                               text[:a])):
                continue
            start, end, label, has_year = _period(kind, g, anchor)
            taken.append((a, b))
            found.append(Period(kind, start, end, label, (a, b), has_year))
    found.sort(key=lambda p: p.span)
    return found


def _inherit_year(periods: list[Period]) -> None:
    """'between March and May 2025': a period without a year takes the year another one names."""
    kinds = ("month", "quarter", "half", "year", "day")
    years = {p.start.year for p in periods if p.has_year and p.kind in kinds}
    if len(years) != 1:
        return
    (year,) = years
    for p in periods:
        if not p.has_year and p.kind in ("month", "quarter", "half"):
            p.start = p.start.replace(year=year)
            last = calendar.monthrange(year, p.end.month)[1]
            p.end = dt.date(year, p.end.month, last)
            p.label = p.label.rsplit(" ", 1)[0] + f" {year}"
            p.has_year = True


def parse_time(tokens: list[str], first: dt.date, anchor: dt.date) -> TimeInfo:
    """Find the question's time range(s) in its tokens; `consumed` says which tokens they used."""
    text = " ".join(tokens)
    periods = _find(text, anchor)
    info = TimeInfo()
    if not periods:
        return info
    _inherit_year(periods)
    spans: list[tuple[int, int]] = [p.span for p in periods]
    ranges: list[Range] = []
    labels: list[str] = []
    i = 0
    while i < len(periods):
        p = periods[i]
        before = text[: p.span[0]]
        nxt = periods[i + 1] if i + 1 < len(periods) else None
        between = text[p.span[1]: nxt.span[0]] if nxt else ""
        if nxt and _JOIN_RANGE.match(between) and (_BETWEEN.search(before) or between.strip() != "and"):
            m = _BETWEEN.search(before)
            if m:
                spans.append((m.start(), p.span[0]))
            spans.append((p.span[1], nxt.span[0]))
            ranges.append((p.start, nxt.end))
            labels.append(f"{p.start.isoformat()} to {nxt.end.isoformat()}")
            i += 2
            continue
        m = _OPEN.search(before)
        if m:
            word = m.group("word")
            spans.append((m.start(), p.span[0]))
            if word in ("before", "prior to"):
                ranges.append((first, p.start - dt.timedelta(days=1)))
                labels.append(f"before {p.label}")
            elif word in ("until", "till", "through", "up to"):
                ranges.append((first, p.end))
                labels.append(f"up to {p.label}")
            elif word == "after":
                ranges.append((p.end + dt.timedelta(days=1), anchor))
                labels.append(f"after {p.label}")
            else:
                ranges.append((p.start, anchor))
                labels.append(f"since {p.label}")
        else:
            ranges.append((p.start, p.end))
            labels.append(p.label)
        if nxt and _JOIN_LIST.match(between):
            spans.append((p.span[1], nxt.span[0]))
        i += 1
    info.ranges = ranges
    info.periods = [(p.start, p.end) for p in periods]
    info.label = " and ".join(labels) if len(labels) < 3 else ", ".join(labels)
    kinds = {p.kind for p in periods}
    if len(ranges) > 1 and len(kinds) == 1 and next(iter(kinds)) in ("year", "quarter", "month", "day"):
        info.grain = next(iter(kinds))
    info.consumed = _tokens_in(tokens, spans)
    return info


def _tokens_in(tokens: list[str], spans: list[tuple[int, int]]) -> set[int]:
    out: set[int] = set()
    pos = 0
    for idx, tok in enumerate(tokens):
        a, b = pos, pos + len(tok)
        if any(a < y and x < b for x, y in spans):
            out.add(idx)
        pos = b + 1
    return out
