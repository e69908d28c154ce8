"""Places: a small gazetteer and street-address shapes.

Telling a place from a company or a person by capitalization alone is guesswork ("lawsuits against
Google in California"). A short list of countries, US states and large cities settles most cases;
anything else still counts as a place when it follows "in"/"at"/"near".
"""

from __future__ import annotations

import re
from functools import lru_cache

US_STATES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "DC": "District of Columbia",
}
COUNTRIES = (
    "United States|USA|US|United Kingdom|UK|England|Scotland|Ireland|France|Germany|Spain|Portugal|Italy|"
    "Netherlands|Belgium|Switzerland|Austria|Sweden|Norway|Denmark|Finland|Poland|Czech Republic|Greece|"
    "Turkey|Russia|Ukraine|Canada|Mexico|Brazil|Argentina|Chile|Peru|Colombia|Japan|China|India|Korea|"
    "South Korea|Singapore|Australia|New Zealand|Indonesia|Thailand|Vietnam|Philippines|Malaysia|Egypt|"
    "Nigeria|Kenya|South Africa|Morocco|Israel|UAE|Saudi Arabia|Qatar|Iceland|Hungary|Romania"
).split("|")
CITIES = (
    "New York|NYC|Los Angeles|San Francisco|Chicago|Boston|Seattle|Austin|Denver|Miami|Atlanta|Dallas|"
    "Houston|Phoenix|Portland|San Diego|San Jose|Las Vegas|Philadelphia|Washington|Detroit|Minneapolis|"
    "Nashville|New Orleans|Orlando|Brooklyn|Manhattan|Berkeley|Toronto|Vancouver|Montreal|London|Paris|"
    "Berlin|Munich|Hamburg|Frankfurt|Madrid|Barcelona|Lisbon|Rome|Milan|Venice|Florence|Amsterdam|"
    "Brussels|Vienna|Zurich|Geneva|Prague|Warsaw|Budapest|Copenhagen|Stockholm|Oslo|Helsinki|Dublin|"
    "Edinburgh|Manchester|Athens|Istanbul|Moscow|Kyiv|Tokyo|Osaka|Kyoto|Seoul|Beijing|Shanghai|"
    "Hong Kong|Taipei|Bangkok|Singapore|Sydney|Melbourne|Auckland|Mumbai|Delhi|Bangalore|Dubai|"
    "Cairo|Cape Town|Johannesburg|Nairobi|Lagos|Mexico City|Sao Paulo|São Paulo|Rio de Janeiro|"
    "Buenos Aires|Lima|Bogota|Santiago|Reykjavik|Tel Aviv"
).split("|")
_STREET = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln|Way|Place|Pl|Court|Ct|Square|Sq"
    r"|Parkway|Pkwy)"
)
ADDRESS = re.compile(
    rf"\b\d{{1,6}}\s+(?:[NSEW]\.?\s+)?(?:[A-Z][\w'-]*\s+){{1,3}}{_STREET}\b\.?"
    r"(?:,\s*[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*)?(?:,\s*[A-Z]{2}\b)?(?:\s+\d{5})?"
)


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    return frozenset(p.lower() for p in [*US_STATES.values(), *COUNTRIES, *CITIES])


def is_place(phrase: str) -> bool:
    """Whether a phrase is a known country, US state (name or code) or large city."""
    p = phrase.strip()
    return p.lower() in _known() or (p.isupper() and p in US_STATES)


def region_suffix(text: str, end: int) -> int:
    """End of a ", IL" / ", California" / ", France" right after a place name, else `end`."""
    m = re.match(r",\s*([A-Z][A-Za-z]+(?:\s+[A-Z][a-z]+)?)\b", text[end:])
    if m and (m.group(1) in US_STATES or is_place(m.group(1))):
        return end + m.end()
    return end


def addresses(text: str) -> list[tuple[str, int, int]]:
    """Street addresses ("2150 Shattuck Ave, Berkeley, CA")."""
    return [
        (m.group(0).rstrip(". "), m.start(), m.start() + len(m.group(0).rstrip(". ")))
        for m in ADDRESS.finditer(text)
    ]
