"""Dates and times in a request, resolved against a fixed anchor date when the chat gives one.

A deterministic model cannot read the clock (same input, same output), so "tomorrow" is resolved
only when a system message states the current date ("Today is 2025-03-10"). Without an anchor,
relative expressions are passed on as written and the tool decides; absolute dates with a year
("March 3 2025", "2025-03-03") are always normalized to ISO.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        ]
    )
    for m in names.split()
}
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
CALENDAR_WORDS = frozenset(_MONTHS) | frozenset(_WEEKDAYS)
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_RE = "|".join(_WEEKDAYS)

_PATTERNS: tuple[tuple[str, str], ...] = (
    ("iso", r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[T ](?P<hh>\d{1,2}):(?P<mm>\d{2}))?\b"),
    ("mdy", rf"\b(?P<mon>{_MONTH_RE})\.? (?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,? (?P<y>\d{{4}}))?\b"),
    (
        "dmy",
        rf"\b(?:the )?(?P<d>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<mon>{_MONTH_RE})\b(?:,? (?P<y>\d{{4}}))?",
    ),
    ("num", r"\b(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{2,4}))?\b"),
    (
        "rel",
        r"\b(?:the )?day after tomorrow\b|\btoday\b|\btonight\b|\btomorrow\b|\byesterday\b|\blast night\b",
    ),
    ("wkd", rf"\b(?:(?P<which>next|this|last|coming) )?(?P<wd>{_DAY_RE})\b"),
    ("week", r"\b(?P<which>next|this) (?P<unit>week|weekend)\b"),
    (
        "shift",
        r"\bin (?P<n>\d+|a|one|two|three) (?P<unit>days?|weeks?)\b"
        r"|\b(?P<n2>\d+|a|one|two|three) (?P<unit2>days?|weeks?) ago\b",
    ),
)
_TIME = re.compile(
    r"\b(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s?(?P<ap>am|pm|a\.m\.|p\.m\.)"
    r"|\b(?:at|@)\s?(?P<h2>\d{1,2})(?::(?P<m2>\d{2}))?\b(?!\s?(?:people|guests|%|minutes|hours))"
    r"|\b(?P<h3>\d{1,2}):(?P<m3>\d{2})\b|\b(?P<word>noon|midday|midnight)\b",
    re.I,
)
_SMALL = {"a": 1, "one": 1, "two": 2, "three": 3}


@dataclass(frozen=True)
class When:
    """A date and/or time mention. `date` is ISO when resolved, else the words as written."""

    date: str | None
    time: str | None
    start: int
    end: int
    resolved: bool = True

    def as_date(self) -> str | None:
        return self.date

    def as_datetime(self) -> str | None:
        if self.date and self.time and self.resolved:
            return f"{self.date}T{self.time}:00"
        if self.date and self.time:
            return f"{self.date} {self.time}"
        return self.date or self.time


def find_anchor(system_texts: list[str]) -> date | None:
    """The current date as stated in system messages ("Today is 2025-03-10", "Current date: ...")."""
    for text in system_texts:
        m = re.search(r"(?:today|current date|date|now)\D{0,40}?(\d{4})-(\d{2})-(\d{2})", text, re.I)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = re.search(
            rf"(?:today|current date|date)\D{{0,40}}?({_MONTH_RE})\.? (\d{{1,2}}),? (\d{{4}})", text, re.I
        )
        if m:
            return date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
    return None


def find_whens(text: str, anchor: date | None) -> list[When]:
    """Date mentions with attached times, in order of appearance."""
    found: list[When] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for m in re.finditer(pattern, text, re.I):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            day = _resolve(kind, m, anchor)
            written = m.group(0).strip()
            time = None
            if kind == "iso" and m.group("hh"):
                time = f"{int(m.group('hh')):02d}:{m.group('mm')}"
            if day is not None:
                found.append(When(day.isoformat(), time, m.start(), m.end()))
            else:
                found.append(When(written, time, m.start(), m.end(), resolved=False))
            taken.append((m.start(), m.end()))
    times = [t for t in _times(text) if not any(a <= t[1] < b for a, b in taken)]
    return _attach_times(sorted(found, key=lambda w: w.start), times, text, anchor)


def _resolve(kind: str, m: re.Match[str], anchor: date | None) -> date | None:
    g = m.groupdict()
    try:
        if kind == "iso":
            return date(int(g["y"]), int(g["m"]), int(g["d"]))
        if kind in ("mdy", "dmy", "num"):
            month = _MONTHS[g["mon"].lower()] if kind != "num" else int(g["m"])
            year = int(g["y"]) if g.get("y") else (anchor.year if anchor else None)
            if year is None:
                return None
            return date(year + 2000 if year < 100 else year, month, int(g["d"]))
    except ValueError:
        return None
    if anchor is None:
        return None
    word = m.group(0).lower()
    if kind == "rel":
        if "after" in word:
            return anchor + timedelta(days=2)
        if "tomorrow" in word:
            return anchor + timedelta(days=1)
        if "yesterday" in word or "last night" in word:
            return anchor - timedelta(days=1)
        return anchor
    if kind == "wkd":
        target = _WEEKDAYS.index(g["wd"].lower())
        delta = (target - anchor.weekday()) % 7
        which = (g["which"] or "").lower()
        if which == "last":
            return anchor - timedelta(days=(anchor.weekday() - target) % 7 or 7)
        delta = delta or 7
        if which == "next" and target > anchor.weekday():
            delta += 7  # said on a Monday, "next Friday" is the Friday of next week
        return anchor + timedelta(days=delta)
    if kind == "week":
        saturday = anchor + timedelta(days=(5 - anchor.weekday()) % 7)
        if g["unit"].lower() == "weekend":
            return saturday + timedelta(days=7 if g["which"].lower() == "next" else 0)
        return anchor + timedelta(days=7 - anchor.weekday()) if g["which"].lower() == "next" else anchor
    if kind == "shift":
        n_raw, unit = (g["n"], g["unit"]) if g["n"] else (g["n2"], g["unit2"])
        n = _SMALL.get(n_raw.lower()) or int(n_raw)
        days = n * (7 if unit.lower().startswith("week") else 1)
        return anchor + timedelta(days=days) if g["n"] else anchor - timedelta(days=days)
    return None


def _times(text: str) -> list[tuple[str, int, int]]:
    out = []
    evening = re.search(r"\b(?:tonight|evening|this afternoon)\b", text, re.I)
    for m in _TIME.finditer(text):
        if m.group("word"):
            out.append(("00:00" if m.group("word").lower() == "midnight" else "12:00", m.start(), m.end()))
            continue
        h = int(m.group("h") or m.group("h2") or m.group("h3"))
        minute = int(m.group("m") or m.group("m2") or m.group("m3") or 0)
        ap = (m.group("ap") or "").lower().replace(".", "")
        if ap == "pm" and h < 12:
            h += 12
        elif ap == "am" and h == 12:
            h = 0
        elif not ap and m.group("h2") and (evening or h <= 6) and h < 12:
            h += 12
        if h < 24 and minute < 60:
            out.append((f"{h:02d}:{minute:02d}", m.start(), m.end()))
    return out


def _attach_times(
    dates: list[When], times: list[tuple[str, int, int]], text: str, anchor: date | None
) -> list[When]:
    """Join each time to the nearest date mention within a few words; lone times stand alone."""
    result = list(dates)
    for value, start, end in times:
        best, best_gap = None, 25
        for i, w in enumerate(result):
            gap = start - w.end if start >= w.end else w.start - end
            if 0 <= gap < best_gap and w.time is None:
                best, best_gap = i, gap
        if best is not None:
            w = result[best]
            result[best] = When(w.date, value, min(w.start, start), max(w.end, end), w.resolved)
        else:
            day = anchor.isoformat() if anchor else None
            result.append(When(day, value, start, end, resolved=anchor is not None))
    return sorted(result, key=lambda w: w.start)
