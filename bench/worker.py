"""Run one measured step in a fresh process, so its CPU and peak RSS are StoreBridge's own.

`run_isolated(workspace, step)` starts ``python -m bench.worker WORKSPACE STEP``
and reads back the `StepResult` the child prints as its last line of JSON.
The child imports StoreBridge, runs `steps.run_step` and exits: its peak RSS
is the step's peak (plus the interpreter and imports), and no earlier
scenario's memory is counted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.steps import StepResult, run_step
from bench.workspace import Workspace

__all__ = ["main", "run_isolated"]

_PROJECT_ROOT = Path(__file__).resolve().parent.parent


def run_isolated(
    workspace: Workspace, step: str, *, profile: bool = False, timeout: float = 3_600.0
) -> StepResult:
    """Run `step` in a child process and return what it measured."""
    extra = ["profile"] if profile else []
    completed = subprocess.run(
        [sys.executable, "-m", "bench.worker", workspace.to_json(), step, *extra],
        cwd=_PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        tail = "\n".join(completed.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"worker for step {step!r} failed ({completed.returncode}):\n{tail}")
    return StepResult.from_dict(json.loads(lines[-1]))


def main(argv: list[str]) -> int:
    """Entry point of the child: ``WORKSPACE_JSON STEP [profile]``."""
    if len(argv) not in (2, 3) or argv[2:] not in ([], ["profile"]):
        print("usage: python -m bench.worker WORKSPACE_JSON STEP [profile]", file=sys.stderr)
        return 2
    result = run_step(Workspace.from_json(argv[0]), argv[1], profile=len(argv) == 3)
    print(json.dumps(result.to_dict()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
