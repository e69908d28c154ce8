"""Workspace files (`/api/2.0/workspace/*`): the folders, files and notebooks App source is uploaded to.

Paths are stored without the `/Workspace` prefix, as Databricks reports them; contents live in the
state store (base64) so they survive a restart. `models.py` the operations (`models.read_tree` is
what App deployments use to snapshot a source folder); `paths.py` path spelling, implicit folders
and access; `notebooks.py` notebook formats (SOURCE, Jupyter); `routes.py` the HTTP routes.
"""
