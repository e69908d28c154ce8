-- convert_currency: created by notebook 01 (agent_lib.setup) when the workspace lacks it,
-- replaced when this file changes. agent.yml points here (uc_function.definition), and the
-- emulated workspace seeds its demo catalog from this file.
CREATE OR REPLACE FUNCTION main.sales.convert_currency(
  amount DOUBLE
    COMMENT 'The amount of money to convert, e.g. 1499.0.',
  from_currency STRING
    COMMENT 'ISO code of the amount''s currency: USD, EUR, GBP, JPY or CAD.',
  to_currency STRING
    COMMENT 'ISO code of the currency to convert to: USD, EUR, GBP, JPY or CAD.'
)
RETURNS DOUBLE
LANGUAGE PYTHON
DETERMINISTIC
COMMENT 'Converts an amount of money between USD, EUR, GBP, JPY and CAD at the company''s fixed reference rates (per 1 USD: EUR 0.92, GBP 0.79, JPY 151.5, CAD 1.36) and returns the converted amount rounded to 2 decimals. Order totals are in USD.'
AS $$
# Units of each currency per 1 USD (fixed demo rates).
rates = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "JPY": 151.5, "CAD": 1.36}
src = from_currency.strip().upper()
dst = to_currency.strip().upper()
for code in (src, dst):
    if code not in rates:
        raise ValueError(f"unsupported currency {code!r}; supported: USD, EUR, GBP, JPY, CAD")
return round(amount / rates[src] * rates[dst], 2)
$$;
