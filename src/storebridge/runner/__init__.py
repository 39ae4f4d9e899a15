"""Running StoreBridge's jobs: on a schedule in one process, or on distributed workers.

- `jobs`: the job catalogue (products, orders, export, reconcile) as `Job`
  values wrapping the sync engines; tests inject their own;
- `schedule`: pure timing rules (when is a job due, how long to wait);
- `execution`: one run of one job for one store under its database lock,
  with its run-log row and API usage;
- `scheduler`: the embedded asyncio scheduler used by `storebridge run`;
- `server`: uvicorn with graceful SIGINT/SIGTERM handling for the runner process;
- `distributed`: the same jobs as procrastinate tasks on PostgreSQL.
"""

from storebridge.runner.jobs import JOB_NAMES, Job, JobResult, default_jobs
from storebridge.runner.scheduler import Scheduler

__all__ = ["JOB_NAMES", "Job", "JobResult", "Scheduler", "default_jobs"]
