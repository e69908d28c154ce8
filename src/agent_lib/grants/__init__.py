"""Notebook 02: plan, show and apply the scopes and grants the agent's tools need.

    plan = plan_grants(ws.client, spec, users=["alice@example.com"], experiment_id=exp.experiment_id)
    plan                                          # principal, resource, permission, present / to add
    result = apply_grants(ws.client, plan, dry_run=False)
    result.raise_for_problems()

The agent's App is created (not deployed) when missing, because its service principal is the
grantee under app authorization. Desired state comes from the spec: every tool's permission and the
model's for the App's service principal (app authorization) or for each listed user or group (user
authorization, with the App's `user_api_scopes`); the App's `resources` declare the same, as
Databricks' templates do. Applying only adds (PATCH), never removes, and a second run changes
nothing. `write_bundle` / `bundle_drift` keep `resources/agent_lib.app.yml` in step with the spec.
"""

from .bundle import APP_FILE, bundle_drift, desired_bundle_keys, write_bundle
from .desired import APP_SP, Grant
from .params import GrantParams
from .plan import (
                   ADDED,
                   FAILED,
                   PRESENT,
                   PROBLEM,
                   TO_ADD,
                   UNVERIFIED,
                   GrantPlan,
                   GrantsFailed,
                   Row,
                   apply_grants,
                   plan_grants,
)

__all__ = ["ADDED", "APP_FILE", "APP_SP", "FAILED", "PRESENT", "PROBLEM", "TO_ADD", "UNVERIFIED", "Grant", "GrantParams",
           "GrantPlan", "GrantsFailed", "Row", "apply_grants", "bundle_drift", "desired_bundle_keys",
           "plan_grants", "write_bundle"]
