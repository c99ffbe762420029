"""benchmarks.harness.jobs.run_jobs: the threads each training child gets."""
from types import SimpleNamespace

from benchmarks.harness import jobs


class FinishedProcess:
    """A child that has already exited successfully."""
    returncode = 0

    def poll(self) -> int:
        return 0


def test_a_single_run_gets_the_share_jobs_asked_for(monkeypatch):
    """``--jobs 2`` with one run left: one thread on two cores, not both
    (another benchmark may hold the other lane)."""
    started = []

    def popen(cmd, cwd, env):
        started.append((cmd, env))
        return FinishedProcess()

    monkeypatch.setattr(jobs.subprocess, 'Popen', popen)
    monkeypatch.setattr(jobs.os, 'cpu_count', lambda: 2)
    monkeypatch.setattr(jobs.time, 'sleep', lambda s: None)
    bench = SimpleNamespace(
        runs=[SimpleNamespace(name='a_s0', init_from=None)],
        parts=['train/a_s0', 'eval/a_s0'])
    assert jobs.run_jobs(['--seeds', '0'], bench, ['a_s0'], jobs=2)
    (cmd, env), = started
    assert env['OMP_NUM_THREADS'] == env['MKL_NUM_THREADS'] == '1'
    assert cmd[-3:] == ['--parts', 'train/a_s0', 'eval/a_s0']
