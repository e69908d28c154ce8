"""`agent-lib demo`: notebook 03's chat panel as a web page on the emulated workspace (Voilà)."""

from __future__ import annotations

import argparse
import sys


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    demo = commands.add_parser("demo",
                               help="serve notebook 03's chat panel as a web page on the emulated workspace")
    demo.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (0 = a free one)")
    demo.add_argument("--state", default=".agent_lib", help="folder of the emulated workspace's state")
    demo.add_argument("--spec", default="agent.yml", help="the agent spec file")
    demo.add_argument("--notebook", default="notebooks/03_prototype_agent.ipynb", help="the notebook to serve")
    demo.add_argument("--engine", default="", choices=["", "client", "hosted"],
                      help="agent loop ('' takes the spec's)")
    return demo


def run(args: argparse.Namespace) -> int:
    from ..errors import AgentLibError
    from ..prototype.demo import DemoOptions, serve_demo

    options = DemoOptions(port=args.port, state_dir=args.state, spec_path=args.spec, notebook=args.notebook,
                          engine=args.engine)
    try:
        return serve_demo(options, echo=lambda line: print(line, flush=True))
    except AgentLibError as exc:
        print(f"agent-lib demo: {exc}", file=sys.stderr)
        return 1
