"""Serving endpoints: foundation models (behind the model registry) and Knowledge Assistant
endpoints, over the REST API, `/invocations` and the OpenAI-compatible paths."""
