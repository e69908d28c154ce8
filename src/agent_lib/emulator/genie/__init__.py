"""Genie: spaces that answer natural-language questions about tables with SQL (AI/BI Genie).

`routes` serves the Conversation API and spaces under /api/2.0/genie; `models` holds spaces and
access rules; `conversations` asks questions and tracks message status (`conversations.ask` is the
direct, synchronous entry point); `results` keeps query results as StatementResponses; `nl2sql`
is the deterministic translator; `demo` seeds the "Sales analytics" space.
"""
