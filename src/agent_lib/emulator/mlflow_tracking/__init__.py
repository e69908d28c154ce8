"""MLflow tracking in the emulated workspace: a real MLflow tracking server behind the workspace's auth.

`process.py` starts the server on the first MLflow request, `models.py` says which experiment a
request touches and what permission it needs, `locations.py` shows artifact locations as Databricks
does and signs the URLs that carry the bytes, `routes.py` serves `/api/{2.0,3.0}/mlflow/...`.
"""
