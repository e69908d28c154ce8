"""`agent-lib evaluate`: notebook 04's evaluation from a terminal or CI; exit 1 when a threshold fails."""

from __future__ import annotations

import argparse
import sys

from .options import state_folder, workspace_options


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    ev = commands.add_parser("evaluate", help="evaluate the agent on a dataset; exit 1 when a threshold fails",
                             description="Notebook 04's evaluation (mlflow.genai.evaluate over the Supervisor) "
                                         "with the same defaults: prints the summary table and the failing "
                                         "rows, logs one MLflow run, and exits 1 when a metric is below its "
                                         "threshold.")
    ev.add_argument("--dataset", default="demo",
                    help="demo (shipped), a .jsonl file, mlflow:<evaluation dataset> or uc:<catalog.schema.table>")
    workspace_options(ev)
    ev.add_argument("--experiment", default="/Shared/agent-lib", help="MLflow experiment to log the run to")
    ev.add_argument("--engine", default="", choices=["", "hosted", "client"], help="default: the spec's engine")
    ev.add_argument("--max-workers", type=int, default=4, help="rows evaluated at the same time (default 4)")
    ev.add_argument("--threshold", type=_threshold, action="append", default=[], metavar="NAME=VALUE",
                    help="minimum pass rate of a scorer, repeatable (defaults: "
                         + ", ".join(f"{k}={v:g}" for k, v in _default_thresholds().items()) + ")")
    ev.add_argument("--scorers", nargs="+", default=[], metavar="NAME",
                    help="deterministic scorers (default: tool_routing facts_present non_empty latency)")
    ev.add_argument("--judges", nargs="+", default=[], metavar="NAME",
                    help="LLM judges, run only with --judge-endpoint (default: all four)")
    ev.add_argument("--judge-endpoint", default="", help="serving endpoint of the judge model (none: no judge)")
    ev.add_argument("--latency-budget", type=float, default=30.0, help="seconds a turn may take (default 30)")
    ev.add_argument("--warehouse-id", default="", help="SQL warehouse that reads a uc: dataset")
    return ev


def run(args: argparse.Namespace) -> int:
    """The evaluation of notebook 04 from a terminal or CI: same library call, same default thresholds."""
    from ..evaluation import EvaluateParams, ThresholdFailed, evaluate_agent
    from ..spec import load_spec
    from ..workspace import connect

    defaults = EvaluateParams()
    values = {"dataset": args.dataset, "workspace": args.workspace, "host": args.host, "spec_path": args.spec,
              "state_dir": state_folder(args.state), "experiment_name": args.experiment,
              "engine": args.engine, "judge_endpoint": args.judge_endpoint, "max_workers": args.max_workers,
              "latency_budget_s": args.latency_budget, "warehouse_id": args.warehouse_id,
              "thresholds": {**defaults.thresholds, **dict(args.threshold)}}
    if args.scorers:
        values["scorers"] = args.scorers
    if args.judges:
        values["judges"] = args.judges
    params = EvaluateParams(**values)
    spec = load_spec(params.spec_path, overrides={"engine": params.engine} if params.engine else None)
    with connect(params.workspace, host=params.host, state_dir=params.state_dir) as ws:
        report = evaluate_agent(ws, spec, params.config(), experiment_name=params.experiment_name,
                                state_dir=params.state_dir)
    print(f"\n{report.text()}")
    failing = report.failing_rows()
    if len(failing):
        print(f"\nfailing rows ({len(failing)}):")
        for row in failing.to_dict(orient="records"):
            print(f"  {row['id']} [{row['failed']}] {row['question']}\n      tools: {row['tool_calls']}\n"
                  f"      why: {row['why']}")
    print(f"\nMLflow run {report.run_id} (experiment {params.experiment_name}), {len(report.rows)} rows "
          f"in {report.seconds:.1f} s, engine {report.engine}")
    try:
        report.check()
    except ThresholdFailed as exc:
        print(f"agent-lib evaluate: {exc}", file=sys.stderr)
        return 1
    print("agent-lib evaluate: every metric meets its threshold")
    return 0


def _threshold(text: str) -> tuple[str, float]:
    """argparse type: NAME=VALUE, a scorer's minimum pass rate."""
    name, sep, value = text.partition("=")
    try:
        if not sep or not name.strip():
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE, e.g. tool_routing=0.9") from None


def _default_thresholds() -> dict[str, float]:
    from ..evaluation.run import DEFAULT_THRESHOLDS

    return dict(DEFAULT_THRESHOLDS)
