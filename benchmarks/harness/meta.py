"""The fields every result JSON starts with (provenance of a result)."""
import datetime
import os
import platform
import time
from typing import Any

from mmdet_led.utils.env_info import collect_env_info
from .common import RESULT_VERSION, now


def host_info() -> dict:
    """The machine a result was computed on."""
    return dict(
        cpus=os.cpu_count(),
        python=platform.python_version(),
        machine=platform.machine())


def base_meta(bench: Any, part: Any, started: float, **extra) -> dict:
    """Fields every result JSON has, then ``extra``.

    Args:
        bench (Bench): The invocation (commit, quick mode, fingerprints).
        part (Part): The part whose result this is.
        started (float): ``time.time()`` when the part started.

    Returns:
        dict: version, part, commit, dirty, started, finished, wall time,
        host (:func:`host_info`), env (the CPU kind, kernel ISAs, threads
        and torch version a run reproduces bit for bit on:
        :func:`mmdet_led.utils.env_info.collect_env_info`), quick, the
        inputs' fingerprints (parts with deps) and ``extra``.
    """
    meta = dict(
        version=RESULT_VERSION,
        part=part.name,
        commit=bench.commit['commit'],
        dirty=bench.commit['dirty'],
        started=datetime.datetime.fromtimestamp(started).isoformat(
            timespec='seconds'),
        finished=now(),
        wall_time_s=round(time.time() - started, 2),
        host=host_info(),
        env=collect_env_info(),
        quick=bench.quick)
    if part.deps:
        meta['inputs'] = bench.input_fingerprints(part)
    meta.update(extra)
    return meta


def run_meta(bench: Any, part: Any, started: float, run: Any,
             **extra) -> dict:
    """:func:`base_meta` of a part about one run: its name, config and
    seed, then ``extra``."""
    return base_meta(
        bench,
        part,
        started,
        run=run.name,
        config=run.config,
        seed=run.seed,
        **extra)
