"""Which Prefect task runner a flow's tasks go to: threads here, or a Dask cluster (config.task_runner)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from prefect.context import FlowRunContext
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from core.config import Config
from core.errors import ConfigError

THREAD_WORKERS = 8  # concurrent polls and page batches; per-host limits keep each site at 2 anyway


def thread_runner() -> ThreadPoolTaskRunner:
    """The default runner: a thread pool in the flow's own process."""
    return ThreadPoolTaskRunner(max_workers=THREAD_WORKERS)


def dask_runner(config: Config) -> TaskRunner:
    """A DaskTaskRunner on the configured scheduler (a temporary local cluster when none is named)."""
    from prefect_dask import DaskTaskRunner  # noqa: PLC0415 - dask is heavy; only loaded when chosen

    return DaskTaskRunner(address=config.dask_address) if config.dask_address else DaskTaskRunner()


RUNNERS: dict[str, Callable[[Config], TaskRunner]] = {
    "thread": lambda _config: thread_runner(),
    "dask": dask_runner,
}


def runner_for(config: Config) -> TaskRunner:
    """The task runner the config asks for."""
    try:
        return RUNNERS[config.task_runner](config)
    except KeyError:
        raise ConfigError(f"task_runner: {config.task_runner!r} is not one of {', '.join(RUNNERS)}") from None


def shares_hosts(config: Config) -> bool:
    """Whether per-host limits must hold across processes (Dask workers), so live on the Prefect server."""
    return config.task_runner == "dask"


def on_wanted_runner(config: Config) -> bool:
    """Whether the running flow already uses the kind of runner the config asks for."""
    context = FlowRunContext.get()
    current = type(context.task_runner).__name__ if context is not None and context.task_runner else ""
    wanted = {"thread": "ThreadPoolTaskRunner", "dask": "DaskTaskRunner"}[config.task_runner]
    return current == wanted


def rerun_on(flow_fn: Any, config: Config, **parameters: Any) -> Any:
    """Run ``flow_fn`` again as a subflow on the configured runner (deployments start on threads)."""
    return flow_fn.with_options(task_runner=runner_for(config))(**parameters)


def one_shot() -> AbstractContextManager[object]:
    """Settings for a flow run started by a command, not a deployment: no heartbeat thread.

    A heartbeat lets the server mark a crashed deployment run (its worker gone) as crashed; a command's
    run is watched by the person who started it, and the heartbeat thread costs every run up to a second
    at its end (Prefect joins it) and a request every interval.
    """
    return temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
