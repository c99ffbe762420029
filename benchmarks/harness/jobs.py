"""Running parts: in order in this process (:func:`run_parts`), or the
training runs side by side in child processes (:func:`run_jobs`)."""
import fnmatch
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import time
import traceback
from typing import Any, Dict, List, Optional, Sequence

from .common import ROOT, log, rel, write_json


def select(names: Sequence[str],
           patterns: Optional[Sequence[str]]) -> List[str]:
    """The names matching any glob of ``patterns`` (all without any)."""
    if not patterns:
        return list(names)
    return [n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)]


def forced_parts(bench: Any, force: Optional[Sequence[str]]) -> set:
    """The parts that ``--force`` globs name (none without ``--force``)."""
    return set(select(bench.parts, force)) if force else set()


def run_parts(bench: Any,
              patterns: Optional[Sequence[str]] = None,
              force: Optional[Sequence[str]] = None,
              stop_after: Optional[float] = None,
              skip: Sequence[str] = ()) -> Dict[str, str]:
    """Run the selected parts in graph order.

    Done parts are skipped, blocked ones reported; a forced or stale
    ``train/<run>`` whose inputs changed starts from scratch (its work dir
    deleted); a failing part is reported and the rest goes on.

    Args:
        bench (Bench): The invocation.
        patterns (Sequence[str], optional): Globs of the parts to run.
        force (Sequence[str], optional): Globs of parts to redo.
        stop_after (float, optional): Start no part after these minutes.
        skip (Sequence[str]): Parts already run (by ``--jobs`` children).

    Returns:
        dict: ``{part: outcome}``.
    """
    t0 = time.time()
    outcome = {}
    forced = forced_parts(bench, force)
    for name in select(bench.parts, patterns):
        if name in skip:
            continue
        part = bench.parts[name]
        status, detail = bench.status(name)
        if name in forced and status != 'blocked':
            status = 'forced'
        if status == 'done':
            outcome[name] = 'skipped (done)'
            continue
        if status == 'blocked':
            log(f'{name}: blocked, {detail}')
            outcome[name] = f'blocked ({detail})'
            continue
        if stop_after is not None and (time.time() - t0) / 60 > stop_after:
            outcome[name] = 'not started (--stop-after)'
            continue
        if name.startswith('train/') and (status == 'forced' or (
                status == 'stale' and bench.inputs_changed(part))):
            # retrain from scratch: forced, or the run it starts from changed
            work = bench.run_dir(part.run)
            if osp.isdir(work):
                why = '--force' if status == 'forced' else 'inputs changed'
                log(f'{name}: {why}, deleting {rel(work)}')
                shutil.rmtree(work)
        if status in ('forced', 'stale') and osp.isfile(
                bench.result_path(part)):
            # an interrupted redo must not leave the old result looking done
            os.remove(bench.result_path(part))
        log(f'{name}: start ({status}{", " + detail if detail else ""})')
        try:
            result = part.fn(bench, part)
        except KeyboardInterrupt:
            log(f'{name}: interrupted; re-run to resume')
            raise
        except Exception:  # noqa: BLE001 - keep going with other parts
            traceback.print_exc()
            log(f'{name}: FAILED')
            outcome[name] = 'failed'
            continue
        write_json(bench.result_path(part), result)
        log(f'{name}: done in {result["wall_time_s"] / 60:.1f} min')
        outcome[name] = 'done'
    return outcome


def job_runs(bench: Any,
             patterns: Optional[Sequence[str]],
             force: Sequence[str] = ()) -> List[str]:
    """The selected runs whose ``train/<run>`` part is unfinished or
    forced, in registry order."""
    forced = forced_parts(bench, force)
    return [
        n[len('train/'):] for n in select(bench.parts, patterns)
        if n.startswith('train/') and (
            n in forced or bench.status(n)[0] != 'done')
    ]


def next_job(pending: Sequence[str], running: Sequence[str],
             deps: Dict[str, List[str]]) -> Optional[str]:
    """The first pending run none of whose ``deps`` (run names) is still
    pending or running; None if every pending run waits."""
    waiting = set(pending) | set(running)
    for run in pending:
        if not waiting & set(deps.get(run, ())):
            return run
    return None


def run_jobs(argv: List[str], bench: Any, runs: Sequence[str],
             jobs: int) -> bool:
    """Train ``runs`` side by side in child processes.

    Each child runs ``python -m benchmarks.harness ARGV --parts
    train/<run> eval/<run>`` with ``cpus // jobs`` threads (``jobs`` as
    asked, even with fewer runs to train); a run starts
    when one of the ``jobs`` slots is free and the run it starts from
    (``init_from``) is finished.

    Returns:
        bool: True if every child succeeded.
    """
    # each run gets the share of the cores that --jobs asked for, also when
    # fewer runs are left: another benchmark may be using the rest
    threads = str(max(1, (os.cpu_count() or 1) // jobs))
    jobs = min(jobs, len(runs))
    env = dict(os.environ, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    deps = {r.name: [r.init_from] for r in bench.runs if r.init_from}
    pending, running, ok = list(runs), {}, True
    try:
        while pending or running:
            while len(running) < jobs:
                run = next_job(pending, list(running), deps)
                if run is None:
                    break
                pending.remove(run)
                group = [p for p in (f'train/{run}', f'eval/{run}')
                         if p in bench.parts]
                # argparse keeps the last --jobs/--parts given
                cmd = [sys.executable, '-m', 'benchmarks.harness'] + list(
                    argv) + ['--jobs', '1', '--parts', *group]
                log(f'job: {" ".join(group)} ({threads} threads)')
                running[run] = subprocess.Popen(cmd, cwd=ROOT, env=env)
            for run, proc in list(running.items()):
                if proc.poll() is not None:
                    ok = ok and proc.returncode == 0
                    del running[run]
            time.sleep(1)
    except KeyboardInterrupt:
        for proc in running.values():
            proc.send_signal(signal.SIGINT)
        for proc in running.values():
            proc.wait()
        raise
    return ok
