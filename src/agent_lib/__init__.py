"""agent_lib."""
