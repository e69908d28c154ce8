"""What checking a user's table grants costs a statement: the same statements run as the workspace
(reads everything: no grant looked up, no second compile) and as a user whose SELECT grants the
sandbox checks (each table asked once, plus the `EXPLAIN` compile that catches USING joins).

    uv run --frozen python bench/sql_grants_bench.py [--rounds 5]

Prints per-statement medians of each and their ratio, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import time

from agent_lib.emulator import start
from agent_lib.emulator.catalog.reads import reads_of
from agent_lib.emulator.warehouse import READ_ONLY

STATEMENTS = {
    "SELECT 1": ("SELECT 1", 2000),
    "join + group by": ("SELECT o.region, count(*) FROM main.sales.orders o JOIN main.sales.customers c "
                        "USING (customer_id) WHERE o.total > 100 GROUP BY o.region", 200),
}


def _per_statement_ms(warehouse, sql: str, access, n: int) -> float:
    warehouse.execute(sql, access=access)
    started = time.perf_counter()
    for _ in range(n):
        warehouse.execute(sql, access=access)
    return (time.perf_counter() - started) / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ws = start(None)
    try:
        ws.token_for("bob@example.com")
        user = reads_of(ws.state, ws.state.identities.named("bob@example.com"))
        for label, (sql, n) in STATEMENTS.items():
            base, checked = [], []
            for _ in range(args.rounds):  # interleaved, so load changes hit both alike
                base.append(_per_statement_ms(ws.state.warehouse, sql, READ_ONLY, n))
                checked.append(_per_statement_ms(ws.state.warehouse, sql, user, n))
            b, c = statistics.median(base), statistics.median(checked)
            print(f"{label}: workspace {b:.3f} ms, user with grants checked {c:.3f} ms, ratio {c / b:.2f} "
                  f"(rounds {min(x / y for x, y in zip(checked, base, strict=True)):.2f}-"
                  f"{max(x / y for x, y in zip(checked, base, strict=True)):.2f})")
    finally:
        ws.stop()


if __name__ == "__main__":
    main()
