"""Workspace files (`/api/2.0/workspace/*`): the folders, files and notebooks App source is uploaded to.

Paths are stored without the `/Workspace` prefix, as Databricks reports them; contents live in the
state store (base64) so they survive a restart. `models.read_tree` is what App deployments use to
snapshot a source folder.
"""
