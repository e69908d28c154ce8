"""`agent-lib grants`: plan (and apply) the grants and scopes the tools need; keep the bundle App's in step."""

from __future__ import annotations

import argparse

from .options import workspace_options

_ABOUT = "plan (and with --apply apply) the grants and scopes the tools need"


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    grants = commands.add_parser("grants", help=_ABOUT, description=_ABOUT)
    workspace_options(grants)
    grants.add_argument("--apply", action="store_true", help="apply the plan (default: a dry run)")
    grants.add_argument("--users", default="", help="comma-separated users or groups to grant the tools to")
    grants.add_argument("--warehouse-id", default="", help="SQL warehouse the tools run on (default: found)")
    grants.add_argument("--experiment", default="", help="MLflow experiment the App logs to (CAN_EDIT)")
    grants.add_argument("--write-bundle", action="store_true",
                        help="rewrite the bundle App's resources and user_api_scopes from the spec (offline)")
    grants.add_argument("--check-bundle", action="store_true",
                        help="fail when the bundle App's resources or user_api_scopes differ from the spec")
    grants.add_argument("--bundle-file", default="resources/agent_lib.app.yml", help="the bundle's App file")
    return grants


def run(args: argparse.Namespace) -> int:
    from ..grants import apply_grants, bundle_drift, plan_grants, write_bundle
    from ..spec import load_spec

    spec = load_spec(args.spec)
    if args.write_bundle or args.check_bundle:
        path = args.bundle_file
        if args.write_bundle:
            changed = write_bundle(spec, path)
            print(f"agent-lib grants: {path} {'rewritten' if changed else 'already agrees with ' + args.spec}")
            return 0
        drift = bundle_drift(spec, path)
        print("\n".join(drift) or f"agent-lib grants: {path} agrees with {args.spec}")
        return 1 if drift else 0
    from ..tracking import use_experiment
    from ..workspace import connect

    users = [u.strip() for u in args.users.split(",") if u.strip()]
    with connect(args.workspace, host=args.host, state_dir=args.state) as ws:
        experiment = use_experiment(ws, args.experiment, state_dir=args.state) if args.experiment else None
        plan = plan_grants(ws.client, spec, users=users, warehouse_id=args.warehouse_id,
                           experiment_id=experiment.experiment_id if experiment else None)
        result = apply_grants(ws.client, plan, dry_run=not args.apply)
    print(result if args.apply else plan)
    if not args.apply:
        print(f"agent-lib grants: dry run, nothing changed ({plan.changes} to add); pass --apply to apply")
    return 1 if result.problems else 0
