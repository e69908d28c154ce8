"""Names and ids of the demo workspace's objects, in one place.

The demo tells one story (a small company selling hardware online): a sales database that a
Genie space queries, UC functions over the same data, a Knowledge Assistant over the company's
policy documents, a ticketing MCP server behind a UC connection, and a second agent App for IT
helpdesk questions. `agent.yml` at the repository root declares the demo agent over these.
"""

CATALOG = "main"
SALES_SCHEMA = "main.sales"
SUPPORT_SCHEMA = "main.support"

GENIE_SPACE_ID = "01f0c0ffee5a1e5d4a7a5e5a1e5c0de1"
GENIE_SPACE_TITLE = "Sales analytics"

FUNCTIONS = (
    "main.sales.get_order_status",
    "main.sales.convert_currency",
    "main.support.days_until_sla_breach",
)

KNOWLEDGE_ASSISTANT_ID = "8c765842-f021-4946-85b4-df326cc01b03"
KNOWLEDGE_ASSISTANT_ENDPOINT = "ka-8c765842-endpoint"

CONNECTION = "ticketing"
HELPDESK_APP = "agent-lib-helpdesk"
AGENT_APP = "agent-lib-demo"

WAREHOUSE_ID = "emulated0warehouse"

# Foundation-model endpoints served by the emulator's models (reference model by default).
FOUNDATION_MODELS = (
    "databricks-claude-sonnet-4-5",
    "databricks-claude-sonnet-4",
    "databricks-claude-sonnet-4-6",
    "databricks-claude-haiku-4-5",
    "databricks-claude-opus-4-1",
    "databricks-claude-opus-4-5",
    "databricks-claude-opus-4-6",
    "databricks-gpt-5-2",
    "databricks-meta-llama-3-3-70b-instruct",
)
