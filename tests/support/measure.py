"""CPU seconds and peak memory of a process with every process it starts, for the benchmarks.

A process tree is read with psutil: each process's user + system time and the times of the children it
has reaped (so a worker that exits and is waited for still counts), as the difference between the start
and the end of the measured span; memory is the sum of every tree process's resident set, sampled every
SAMPLE_SECONDS (a peak shorter than that can be missed; pages shared between processes count once each).
The sampler's own CPU time is taken off the figure: it is the bench's cost, not the measured program's.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType

import psutil

SAMPLE_SECONDS = 0.1  # 10 samples a second: a worker's life is seconds; scanning /proc costs ~1 ms


def _cpu(process: psutil.Process) -> float:
    """A process's CPU seconds with those of its reaped children."""
    t = process.cpu_times()
    return t.user + t.system + t.children_user + t.children_system


@dataclass
class TreeMeter:
    """Measure this process and its descendants over a ``with`` block: CPU seconds, peak RSS, wall."""

    exclude: frozenset[int] = frozenset()  # pids (and their trees) that are not the measured program's
    include_root: bool = True  # False: only the descendants (this process only starts a command and waits)
    cpu_s: float = 0.0
    wall_s: float = 0.0
    peak_rss_mb: float = 0.0
    peak_processes: int = 0
    by_process: dict[str, float] = field(default_factory=dict)  # CPU seconds by process name (pid)
    _start: dict[int, float] = field(default_factory=dict)
    _names: dict[int, str] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _sampler_cpu: float = 0.0

    def tree(self) -> list[psutil.Process]:
        """This process and its descendants, less the excluded trees."""
        root = psutil.Process()
        excluded = set(self.exclude)
        found = []
        for child in root.children(recursive=True):
            if child.pid in excluded or _ppid(child) in excluded:
                excluded.add(child.pid)
                continue
            found.append(child)
        return [root, *found] if self.include_root else found

    def _snapshot(self) -> dict[int, float]:
        """CPU seconds so far of each process of the tree, by pid."""
        seen: dict[int, float] = {}
        for process in self.tree():
            try:
                seen[process.pid] = _cpu(process)
                self._names[process.pid] = _name(process)
            except psutil.Error:
                continue  # it ended between the listing and the reading
        return seen

    def _sample(self) -> None:
        """Peak memory and processes until stopped (a daemon thread)."""
        started = time.thread_time()
        while not self._stop.wait(SAMPLE_SECONDS):
            rss, count = 0, 0
            for process in self.tree():
                try:
                    rss += process.memory_info().rss
                    count += 1
                except psutil.Error:
                    continue
            self.peak_rss_mb = max(self.peak_rss_mb, rss / 2**20)
            self.peak_processes = max(self.peak_processes, count)
        self._sampler_cpu = time.thread_time() - started

    def __enter__(self) -> TreeMeter:
        self._start = self._snapshot()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._began = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.wall_s = time.perf_counter() - self._began
        end = self._snapshot()
        self._stop.set()
        self._thread.join()
        used = {pid: value - self._start.get(pid, 0.0) for pid, value in end.items()}
        if os.getpid() in used:
            used[os.getpid()] -= self._sampler_cpu
        self.cpu_s = sum(used.values())
        self.by_process = {f"{self._names[pid]}({pid})": round(cpu, 2) for pid, cpu in used.items()}


def _name(process: psutil.Process) -> str:
    """What a process is, in a word: this one, an extraction worker, a Prefect server, or its name."""
    if process.pid == os.getpid():
        return "flow"
    line = " ".join(process.cmdline())
    if "multiprocessing" in line:
        return "tracker" if "resource_tracker" in line else "worker"
    return "server" if "uvicorn" in line else process.name()


def _ppid(process: psutil.Process) -> int:
    """A process's parent pid, 0 when it is gone."""
    try:
        return process.ppid()
    except psutil.Error:
        return 0
