"""`agent-lib quickstart`: the first run against a real workspace (safe to run again)."""

from __future__ import annotations

import argparse


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    qs = commands.add_parser("quickstart", help="first run against a real workspace (safe to run again)",
                             description="Check the installation, set up authentication (an existing CLI "
                                         "profile, or --host with DATABRICKS_TOKEN saved as a new profile), "
                                         "create or link the MLflow experiment, write .env (no token; "
                                         "git-ignored) and check the tools of the spec. Without a workspace it "
                                         "says how to run everything on the emulated one.")
    qs.add_argument("--profile", default="", help="an existing ~/.databrickscfg profile to use")
    qs.add_argument("--host", default="", help="workspace URL; its token comes from DATABRICKS_TOKEN")
    qs.add_argument("--new-profile", default="agent-lib", help="profile name written for --host")
    qs.add_argument("--experiment", default="/Shared/agent-lib", help="the MLflow experiment (path)")
    qs.add_argument("--spec", default="agent.yml", help="the agent spec whose tools are checked")
    qs.add_argument("--env-file", default=".env", help="where to write the environment settings")
    return qs


def run(args: argparse.Namespace) -> int:
    """The first-run path for a real workspace; each step printed as it completes."""
    from ..quickstart import QuickstartOptions, quickstart

    def show(step) -> None:
        print(f"{'ok' if step.ok else 'PROBLEM':<8} {step.name}: {step.detail}", flush=True)
        if step.fix:
            print(f"{'':<9}fix: {step.fix}", flush=True)

    steps = quickstart(QuickstartOptions(profile=args.profile, host=args.host, new_profile=args.new_profile,
                                         experiment=args.experiment, spec_path=args.spec,
                                         env_file=args.env_file), echo=show)
    return 0 if all(s.ok for s in steps) else 1
