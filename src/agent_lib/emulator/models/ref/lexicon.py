"""A small hand-written table of related words for common business, IT and consumer vocabulary.

Users rarely use a tool's own words ("money back" for a refund tool, "PTO" for leave, "umbrella"
for weather). Each group below is a set of words that name the same need; a request word
that shares a group with a tool word counts as a weaker match than the word itself. Groups are kept
tight on purpose: a loose group turns every request into a match and breaks abstention.
"""

from __future__ import annotations

from functools import lru_cache

from .text import stem

GROUPS: tuple[str, ...] = (
    # travel and places
    "weather forecast temperature rain raining rainy umbrella snow snowing sunny sun wind windy humid "
    "humidity cloudy storm stormy hot cold warm outside jacket climate degrees freezing chilly drizzle "
    "hail thunderstorm thunder lightning fog foggy heatwave overcast frost breezy precipitation",
    "flight flights fly flying plane airline airlines airfare airport depart departure nonstop layover "
    "airplane jet airways boarding",
    "hotel hotels room rooms stay accommodation lodging motel hostel airbnb nights inn resort suite lodge",
    "direction directions route navigate navigation map maps walk walking transit commute distance "
    "driving drive bike biking bicycle bicycling cycle cycling traffic fastest shortest",
    "ride taxi cab uber lyft car chauffeur pickup dropoff lift rideshare limo shuttle",
    "restaurant restaurants eat eating dining diner bistro cafe table reservation sushi pizza brunch "
    "dinner lunch eatery takeout steakhouse",
    "travel trip traveling travelling abroad journey",
    # money and markets
    "currency currencies money exchange forex fx",
    "convert conversion converter exchange change",
    "stock stocks share shares ticker equity equities trading traded trade market nasdaq nyse dow quote "
    "investor portfolio dividend ipo",
    "crypto cryptocurrency bitcoin btc ethereum eth coin coins dogecoin solana blockchain altcoin",
    "price prices cost costs worth value quote",
    "refund refunds reimburse chargeback return returns undelivered",
    "pay payment payments invoice invoices bill bills settle payable supplier vendor",
    "expense expenses expensing reimbursement reimburse reimbursed claim receipt receipts mileage",
    # work and business
    "revenue sales sale income earnings turnover sold sell selling bookings spend spending profit "
    "margin gmv arr mrr",
    "analytics metrics kpi report reporting trend trends breakdown performance dashboard insight "
    "biggest largest top ranking chart graph statistics stats average",
    "meal meals lunch dinner breakfast brunch food",
    "customer customers client clients account accounts crm contact lead leads opportunity "
    "opportunities prospect buyer subscriber deal deals pipeline",
    "employee employees colleague colleagues coworker coworkers staff manager boss directory teammate "
    "org headcount",
    "leave vacation pto holiday holidays absence sick annual sabbatical parental maternity paternity "
    "bereavement ooo",
    "balance remaining left allowance entitlement accrued",
    "policy policies rule rules guideline guidelines handbook allowed permitted allow compliance "
    "procedure entitled prohibited forbidden regulation regulations conduct",
    "ticket tickets issue issues incident incidents problem bug support helpdesk outage broken crash "
    "crashing fault error down outage glitch malfunction jammed stuck frozen freezes troubleshoot",
    "network vpn wifi internet connection connect connectivity",
    "hardware laptop computer screen keyboard monitor printer mouse device headset dock charger battery "
    "webcam",
    "software app application excel install crash crashing license browser",
    "access permission permissions login password credentials locked privileges admin",
    "password reset locked login credentials",
    "order orders purchase purchased",
    "product products item items catalog catalogue merchandise shop store",
    "status progress update shipped fulfilled fulfilment fulfillment delivered",
    "inventory stock supply warehouse units quantity available availability sku restock backorder stockroom",
    "ship shipping shipment package parcel delivery deliver courier tracking track carrier postal "
    "dispatch transit",
    "file files document documents doc docs folder drive pdf spreadsheet sheet presentation slides deck "
    "attachment memo",
    "sql query database table tables select rows statement warehouse schema column columns records dataset",
    "code python script snippet program execute run debug notebook",
    "calculate calculator compute math arithmetic multiply times divide divided plus minus percent "
    "percentage sqrt equation expression sum",
    "search find lookup locate",
    "web internet online website google websearch browse",
    "news headline headlines article articles happening press stories breaking newspaper",
    "summarize summary gist recap article page overview digest condense",
    # personal
    "calendar schedule agenda meeting meetings event events appointment invite busy sync standup",
    "email mail inbox mailbox message messages gmail outlook reply replied replies respond responded",
    "remind reminder reminders remember forget alarm notify ping nudge alert",
    "time clock timezone hour local morning",
    "recipe recipes cook cooking dish meal bake baking ingredient ingredients cuisine food dessert breakfast",
    "diet dietary vegan vegetarian keto paleo gluten halal kosher",
    "music song songs play playlist album artist listen hear spotify tune beats band radio jazz rock "
    "pop classical soundtrack",
    "sport sports game games match score scores team league fixture fixtures win beat play football "
    "soccer basketball baseball hockey tennis nba nfl mlb nhl playoffs championship standings",
    "movie movies film films cinema showtime theater theatre screening playing imax matinee premiere",
    "define definition meaning mean synonym synonyms antonym word pronounce pronunciation dictionary "
    "thesaurus spelling etymology",
    "translate translation language say",
    "thermostat heat heating cooling temperature degrees warm cold freezing hvac heater warmer cooler",
    "measurement measure length weight volume km kilometer kilometers mile miles meter meters feet "
    "foot inch inches cm lb lbs kg kilogram kilograms pound pounds ounce ounces liter liters gallon "
    "gallons cup cups celsius fahrenheit tablespoon teaspoon pint pints quart acre hectare yard yards",
    "person people guest guests passenger passengers traveller travellers traveler travelers party",
    "cheap budget inexpensive affordable",
    "damaged broken defective cracked smashed",
)

# Request words that carry little intent on their own; their matches count at half weight.
GENERIC = frozenset(
    stem(w)
    for w in """find search look check show list book make create set send open run do take put add
    see help use go start new latest current today information info detail details data thing
    stuff number name time day week year month please quick recent latest update status
    about can able would left""".split()
)

# Generic nouns that count fully when the tool's own name contains them ("time" for a clock tool).
GENERIC_NOUNS = frozenset(
    stem(w)
    for w in "time day week year month number name information info detail details data status".split()
)


@lru_cache(maxsize=1)
def _index() -> dict[str, frozenset[str]]:
    related: dict[str, set[str]] = {}
    for group in GROUPS:
        stems = {stem(w) for w in group.split()}
        for s in stems:
            related.setdefault(s, set()).update(stems - {s})
    return {k: frozenset(v) for k, v in related.items()}


@lru_cache(maxsize=1)
def _group_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for group in GROUPS:
        for s in {stem(w) for w in group.split()}:
            counts[s] = counts.get(s, 0) + 1
    return counts


def senses(term: str) -> int:
    """In how many groups a stem appears: 'table' (data, restaurants) has two, and is ambiguous."""
    return _group_counts().get(term, 0)


def related(term: str) -> frozenset[str]:
    """Stems sharing a group with the stem `term` (not including it)."""
    return _index().get(term, frozenset())


def known(term: str) -> bool:
    """Whether a stem appears anywhere in the table (used to decide if a word may be a typo)."""
    return term in _index()


def vocabulary() -> frozenset[str]:
    """All stems in the table."""
    return frozenset(_index())
