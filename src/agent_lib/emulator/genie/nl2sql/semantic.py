"""The sales space's semantic model: measures, fields (dimensions and filters) and grammar words.

Measures and fields are declared once here and used by the parser (what words mean), the SQL
generator (expressions, joins) and the answer summary (labels, formats). The tables are the demo's
`main.sales.*`; a space over other tables gets only its curated examples.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from .lexicon import Lexicon, M

SALES_TABLES = ("main.sales.orders", "main.sales.order_items", "main.sales.customers",
                "main.sales.products", "main.sales.regions")


@dataclass(frozen=True)
class Measure:
    key: str
    label: str  # "revenue", used in titles and sentences
    alias: str  # result column name
    fmt: str  # money | count | pct | number | days
    sales: bool = False  # counts only orders that are not cancelled or returned
    item: bool = False  # needs order lines (order_items)
    base: str = "orders"  # orders | customers | products: the table it can be answered from alone


MEASURES: dict[str, Measure] = {m.key: m for m in (
    Measure("revenue", "revenue", "revenue", "money", sales=True),
    Measure("order_count", "number of orders", "order_count", "count"),
    Measure("aov", "average order value", "avg_order_value", "money", sales=True),
    Measure("units", "units sold", "units_sold", "count", sales=True, item=True),
    Measure("units_per_order", "units per order", "units_per_order", "number", sales=True, item=True),
    Measure("customer_count", "number of customers", "customer_count", "count", base="customers"),
    Measure("avg_discount", "average discount", "avg_discount_pct", "pct", sales=True, item=True),
    Measure("discount_amount", "discounts given", "discount_amount", "money", sales=True, item=True),
    Measure("cancellation_rate", "cancellation rate", "cancellation_rate_pct", "pct"),
    Measure("return_rate", "return rate", "return_rate_pct", "pct"),
    Measure("shipping_days", "average days to ship", "avg_days_to_ship", "days"),
    Measure("product_count", "number of products", "product_count", "count", base="products"),
    Measure("avg_price", "average list price", "avg_unit_price", "money", base="products"),
)}


@dataclass(frozen=True)
class Field:
    """A column to group by or filter on. `table` is the alias whose join it needs."""

    key: str
    label: str
    plural: str
    table: str  # o (orders), c (customers), p (products, via order lines), r (regions), t (time)
    column: str


FIELDS: dict[str, Field] = {f.key: f for f in (
    Field("region", "region", "regions", "o", "region"),
    Field("country", "country", "countries", "c", "country"),
    Field("segment", "customer segment", "segments", "c", "segment"),
    Field("customer", "customer", "customers", "c", "name"),
    Field("customer_id", "customer id", "customers", "c", "customer_id"),
    Field("manager", "country manager", "managers", "r", "manager"),
    Field("category", "category", "categories", "p", "category"),
    Field("product", "product", "products", "p", "name"),
    Field("carrier", "carrier", "carriers", "o", "carrier"),
    Field("status", "order status", "statuses", "o", "status"),
    Field("month", "month", "months", "t", "month"),
    Field("quarter", "quarter", "quarters", "t", "quarter"),
    Field("year", "year", "years", "t", "year"),
    Field("day", "day", "days", "t", "day"),
)}
TIME_FIELDS = ("month", "quarter", "year", "day")


def measure_def(key: str) -> Measure:
    """A measure by key; `growth:<measure>` is that measure's growth (%) between two periods."""
    if key.startswith("growth:"):
        base = MEASURES[key.split(":", 1)[1]]
        return Measure(key, f"{base.label} growth", f"{base.alias}_growth_pct", "pct", sales=base.sales,
                       item=base.item)
    return MEASURES[key]
ENTITY_FIELD = {"customers": "customer", "products": "product"}


def _grammar_measures(lx: Lexicon) -> None:
    lx.add_many(["revenue", "sales", "sale", "total sales", "net sales", "gross sales", "sales revenue",
                 "income", "turnover", "earnings", "money", "dollars", "usd", "sales amount", "gmv",
                 "bookings", "top line", "total value", "order value", "sales value", "dollar value",
                 "dollar amount", "revenue numbers", "sales numbers", "sales figures", "total order value",
                 "total order amount", "order total", "order totals", "sum of order totals", "total amount",
                 "gross revenue", "net revenue", "total sales value", "sales total", "value of orders",
                 "total value of orders", "order revenue", "total spend", "total spending", "amount spent"],
                M("measure", "revenue"))
    lx.add_many(["make", "made", "earn", "earned", "generate", "generated", "bring in", "brought in",
                 "spend", "spent", "spending", "pay", "paid", "gross", "grossed", "value", "worth"],
                M("measure", "revenue", weak=True))
    lx.add_many(["order count", "number of orders", "orders count", "order volume", "count of orders",
                 "volume of orders", "total orders", "total number of orders"], M("measure", "order_count"))
    lx.add_many(["average order value", "avg order value", "aov", "average order size", "average order",
                 "average basket", "average basket size", "average basket value", "average ticket",
                 "average ticket size", "average sale", "average sales", "average revenue",
                 "revenue per order", "sales per order", "average order total", "mean order value",
                 "average spend per order", "average value of orders", "average value of an order",
                 "average value per order", "typical order value", "average order amount",
                 "average amount per order", "avg order size", "avg basket size", "average spend"],
                M("measure", "aov"))
    lx.add_many(["units", "unit sales", "units sold", "quantity", "quantity sold", "items sold",
                 "volume", "sales volume", "number of units", "pieces", "unit volume", "total units",
                 "total quantity", "quantities"], M("measure", "units"))
    lx.add_many(["customer count", "number of customers", "unique customers", "distinct customers",
                 "active customers", "buyers", "number of buyers", "customer base", "count of customers",
                 "total customers", "total number of customers"], M("measure", "customer_count"))
    lx.add_many(["average discount", "avg discount", "discount rate", "discount", "discounts",
                 "discount percentage", "mean discount", "average discount rate",
                 "discount level", "discount levels"], M("measure", "avg_discount"))
    lx.add_many(["discount amount", "total discount", "total discounts", "discounts given",
                 "discount given", "discount dollars", "money lost to discounts", "value of discounts",
                 "discount value", "discounted amount"], M("measure", "discount_amount"))
    lx.add_many(["cancellation rate", "cancel rate", "cancelation rate", "cancellation percentage",
                 "percentage of cancelled orders", "percentage of orders cancelled",
                 "share of cancelled orders",
                 "percent cancelled", "cancellation ratio", "rate of cancellation"],
                M("measure", "cancellation_rate"))
    lx.add_many(["return rate", "returns rate", "percentage of returned orders",
                 "percentage of orders returned",
                 "share of returned orders", "percent returned", "return ratio", "rate of return"],
                M("measure", "return_rate"))
    lx.add_many(["days to ship", "shipping time", "time to ship", "ship time", "shipping days",
                 "delivery time", "fulfillment time", "fulfilment time", "lead time", "how long",
                 "how fast", "shipping speed", "handling time", "turnaround", "turnaround time",
                 "average shipping time", "average days to ship", "average time to ship",
                 "average delivery time", "days to deliver", "time to deliver", "shipping delay",
                 "shipping delays", "average ship time"], M("measure", "shipping_days"))
    lx.add_many(["number of products", "product count", "count of products", "number of skus",
                 "sku count"], M("measure", "product_count"))
    lx.add_many(["price", "unit price", "list price", "average price", "average unit price",
                 "average list price", "avg price", "pricing", "prices"],
                M("measure", "avg_price"))
    lx.add_many(["cost", "costs", "charge", "charged", "priced", "costing", "that cost", "retail for",
                 "retails for", "sells for", "sell for"], M("measure", "avg_price", weak=True))
    lx.add_many(["contain", "contained", "containing", "contains", "include", "included", "including",
                 "includes", "that had", "that have", "having"], M("noop"))
    lx.add_many(["units per order", "items per order", "average number of items per order",
                 "average items per order", "average quantity per order", "average units per order",
                 "average number of units per order", "items in an order", "average order quantity",
                 "lines per order", "products per order", "average order size in units"],
                M("measure", "units_per_order"))
    lx.add_many(["average", "avg", "mean", "typical"], M("avg"))


def _grammar_fields(lx: Lexicon) -> None:
    lx.add_many(["region", "geography", "geo", "territory", "area", "market", "sales region"],
                M("dim", "region"))
    lx.add_many(["country", "nation"], M("dim", "country"))
    lx.add_many(["segment", "customer segment", "customer type", "type of customer", "tier",
                 "customer tier", "market segment"], M("dim", "segment"))
    lx.add_many(["category", "product category", "product line", "product type", "type of product",
                 "product family", "line"], M("dim", "category"))
    lx.add_many(["carrier", "shipping carrier", "shipper", "courier", "shipping company",
                 "shipping provider", "delivery partner", "shipping partner", "logistics provider",
                 "delivery company", "shipping method"], M("dim", "carrier"))
    lx.add_many(["status", "order status", "stage", "fulfillment status", "state"], M("dim", "status"))
    lx.add_many(["manager", "country manager", "sales manager", "account manager", "rep", "sales rep",
                 "salesperson", "sales person", "regional manager", "owner", "manage", "manages", "managing",
                 "responsible for", "in charge of", "is responsible for", "looks after", "covers", "cover"],
                M("dim", "manager"))
    lx.add_many(["month", "monthly", "month over month", "mom", "month by month", "over time", "trend",
                 "trending", "seasonality", "per month", "month-over-month", "month-by-month"],
                M("dim", "month"))
    lx.add_many(["quarter", "quarterly", "quarter over quarter", "qoq", "quarter-over-quarter",
                 "quarter by quarter"], M("dim", "quarter"))
    lx.add_many(["year", "yearly", "annual", "annually", "year over year", "yoy", "year-over-year",
                 "year by year"], M("dim", "year"))
    lx.add_many(["day", "daily", "day by day", "per day", "date"], M("dim", "day"))
    lx.add_many(["order", "purchase", "transaction", "sales order"], M("entity", "orders"))
    lx.add_many(["customer", "client", "account", "buyer", "shopper", "purchaser"], M("entity", "customers"))
    lx.add_many(["product", "item", "sku", "model", "product name"], M("entity", "products"))


def _grammar_words(lx: Lexicon) -> None:
    lx.add_many(["top", "best", "highest", "most", "largest", "biggest", "greatest", "leading", "max",
                 "maximum", "peak", "strongest", "busiest", "most popular", "popular", "higher", "more",
                 "heaviest", "big", "large", "major", "key", "main", "primary", "best performing",
                 "top performing", "best-performing", "top-performing", "record"], M("rank", "desc"))
    lx.add_many(["bottom", "worst", "lowest", "least", "fewest", "smallest", "min", "minimum", "weakest",
                 "lower", "less", "fewer", "worst performing", "worst-performing", "underperforming",
                 "poorest", "least popular", "slow", "weak"], M("rank", "asc"))
    lx.add_many(["best-selling", "best selling", "top selling", "top-selling", "bestseller",
                 "best seller", "sold the most", "sell the most", "most sold", "highest selling",
                 "biggest seller", "top seller", "most ordered", "most purchased", "most bought",
                 "top sellers"], M("rank", "desc"), M("sold"))
    lx.add_many(["worst-selling", "worst selling", "least sold", "sold the least", "slowest selling",
                 "slowest-selling", "slow moving", "slow-moving", "least ordered"], M("rank",
                 "asc"), M("sold"))
    lx.add_many(["fastest", "quickest"], M("rank", "asc"), M("measure", "shipping_days", weak=True))
    lx.add_many(["slowest"], M("rank", "desc"), M("measure", "shipping_days", weak=True))
    lx.add_many(["expensive", "priciest", "most expensive", "costliest", "premium"],
                M("rank", "desc"), M("measure", "avg_price", weak=True))
    lx.add_many(["cheapest", "least expensive", "cheap", "inexpensive", "lowest priced", "lowest-priced"],
                M("rank", "asc"), M("measure", "avg_price", weak=True))
    lx.add_many(["how many", "number of", "count", "count of", "total number of", "# of", "no of",
                 "no. of", "num of", "tally"], M("count"))
    lx.add_many(["how much"], M("howmuch"))
    lx.add_many(["over", "above", "more than", "greater than", "at least", "exceeding", "larger than",
                 "bigger than", "higher than", "in excess of", "exceed", "exceeded",
                 "north of"], M("cmp", ">"))
    lx.add_many(["under", "below", "less than", "smaller than", "at most", "lower than", "fewer than",
                 "no more than", "beneath"], M("cmp", "<"))
    lx.add_many(["by", "per", "each", "every", "across", "for each", "for every", "broken down by",
                 "break down by", "breakdown by", "break it down by", "split by", "grouped by", "group by",
                 "in each", "by each", "within each", "breakdown", "split", "break down", "broken down",
                 "by every", "segmented by", "sliced by", "for all", "among", "drill down by",
                 "drill into", "drill down into", "split it by", "split that by", "break that down by",
                 "break this down by", "break them down by"], M("group"))
    lx.add_many(["which", "what", "who", "whose"], M("which"))
    lx.add_many(["list", "show", "display", "find", "pull", "fetch", "view", "see", "details",
                 "detail", "info", "information", "look up", "lookup", "give", "provide", "name",
                 "names", "all", "every single", "search", "get"], M("list"))
    lx.add_many(["excluding", "exclude", "excluded", "except", "without", "not", "non", "other than",
                 "ignoring", "apart from", "but not", "besides", "outside", "no"], M("neg"))
    lx.add_many(["what about", "how about", "and what about", "same", "instead", "again", "too",
                 "as well", "same thing", "same for", "now", "then", "also", "and for", "what if", "only",
                 "just", "what about for", "how about for"],
                M("followup"))
    lx.add_many(["compare", "compared", "comparison", "comparing", "vs", "versus", "against",
                 "compared to", "compared with", "relative to", "difference between", "differ"],
                M("compare"))
    lx.add_many(["delete", "drop table", "drop the", "update", "insert", "remove", "truncate", "alter",
                 "create",
                 "modify", "edit", "cancel", "refund", "approve", "rename", "merge",
                 "grant", "revoke", "overwrite", "wipe", "erase", "reset", "add"], M("write"))
    lx.add_many(["sold", "sell", "selling", "sells", "bought", "buy", "buying", "purchased", "ordered",
                 "moved", "move"], M("sold"))
    lx.add_many(["signed up", "sign up", "signup", "sign-up", "sign ups", "signups", "joined", "join",
                 "registered", "registration", "new", "acquired", "acquisition", "onboarded",
                 "signup date", "sign up date", "since joining"], M("signup"))
    lx.add_many(["shipped via", "shipped with", "shipped by", "delivered by", "delivered via",
                 "sent via", "sent with", "sent by", "handled by", "carried by", "using", "through", "via",
                 "with", "shipped using", "go through", "went through"], M("noop"))
    lx.add_many(["latest", "newest", "most recent", "recent", "last", "recently placed", "latest placed"],
                M("recent"))
    lx.add_many(["oldest", "earliest", "first"], M("oldest"))
    lx.add_many(["doing", "do", "did", "does", "perform", "performing", "performed", "performance",
                 "result", "results", "numbers", "figures", "business", "pipeline", "contribute",
                 "contributed", "contribution", "generate", "come from", "came from", "coming from",
                 "drive", "drove", "driving", "account for", "accounted for", "mix",
                 "distribution", "split of"], M("noop"))
    lx.add_many(["each one", "individually", "separately", "respectively"], M("group"))
    lx.add_many(["total", "overall", "in total", "all time", "all-time", "ever", "so far", "to date",
                 "altogether", "combined", "grand total", "cumulative", "whole", "entire", "full"],
                M("total"))
    lx.add_many(["percentage", "percent", "proportion", "ratio", "fraction", "share", "%", "rate", "pct",
                 "what share", "what fraction", "what proportion"], M("pct"))
    lx.add_many(["growth", "grow", "grew", "growing", "grown", "increase", "increased", "growth rate",
                 "change", "changed", "decline", "declined", "dropped", "growth in",
                 "yoy growth", "year over year growth", "year-over-year growth"], M("growth"))
    lx.add_many(["fastest growing", "fastest-growing", "grew the most", "grew fastest", "growing fastest",
                 "grown the most", "biggest growth", "most growth", "highest growth", "grow the most"],
                M("growth"), M("rank", "desc"))
    lx.add_many(["biggest drop", "largest drop", "biggest decline", "largest decline", "worst decline",
                 "declined the most", "dropped the most", "shrank the most", "fell the most", "biggest fall",
                 "drop", "drop the most", "drop most", "fell", "shrank",
                 "shrink"], M("growth"), M("rank", "asc"))
    lx.add_many(["shipment", "delivery", "deliveries", "consignment"], M("entity", "orders"))
    lx.add_many(["ship", "ships", "shipping", "deliver", "delivers", "handle",
                 "handles", "handled", "carry", "carried", "carries", "receive", "received"], M("noop"))


@cache
def grammar() -> Lexicon:
    """The static grammar words (built once)."""
    lx = Lexicon()
    _grammar_measures(lx)
    _grammar_fields(lx)
    _grammar_words(lx)
    return lx
