-- days_until_sla_breach: created by notebook 01 (agent_lib.setup) when the workspace lacks it,
-- replaced when this file changes. agent.yml points here (uc_function.definition), and the
-- emulated workspace seeds its demo catalog from this file.
CREATE OR REPLACE FUNCTION main.support.days_until_sla_breach(
  priority STRING
    COMMENT 'The ticket''s priority: P1 (critical), P2 (high), P3 (normal) or P4 (low).',
  opened_date STRING
    COMMENT 'When the ticket was opened, ''YYYY-MM-DD'' (a timestamp such as ''2025-12-28T11:30:00Z'' is accepted; its date is used).',
  as_of_date STRING DEFAULT '2025-12-31'
    COMMENT 'The day to count from, ''YYYY-MM-DD''; defaults to the demo''s today, 2025-12-31.'
)
RETURNS BIGINT
LANGUAGE PYTHON
DETERMINISTIC
COMMENT 'Days left before a support ticket breaches its resolution SLA. The SLA is counted in calendar days from the opened date: P1 = 1 day, P2 = 3 days, P3 = 5 days, P4 = 10 days. Returns (opened_date + SLA days) - as_of_date in days: positive = days left, 0 = breaches today, negative = already breached by that many days. as_of_date defaults to the demo''s fixed today, 2025-12-31.'
AS $$
import datetime
sla_days = {"P1": 1, "P2": 3, "P3": 5, "P4": 10}
level = priority.strip().upper()
if level not in sla_days:
    raise ValueError(f"priority must be one of P1, P2, P3, P4, got {priority!r}")
opened = datetime.date.fromisoformat(opened_date.strip()[:10])
today = datetime.date.fromisoformat(as_of_date.strip()[:10])
deadline = opened + datetime.timedelta(days=sla_days[level])
return (deadline - today).days
$$;
