"""``train/<run>``: train one (config, seed) with ``tools/train.py``.

The MMEngine log streams to the console and into the run's work dir; an
interrupted run resumes from its last checkpoint on the next call. An LED
run with ``init_from`` starts from its SSD run's checkpoint at the end of
LED's step 1 (:func:`mmdet_led.engine.make_init_checkpoint`).
"""
import datetime
import glob
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Any, List, Optional, Sequence, Tuple

from mmengine.config import Config

from mmdet_led.engine.init_from import make_init_checkpoint, step1_iter
from .common import ROOT, innermost_dataset, log, read_json, rel, write_json
from .meta import run_meta
from .registry import RUN_MINUTES_LIMIT


def tee(cmd: List[str], log_path: str) -> int:
    """Run ``cmd`` from the repo root; stream and append its output to
    ``log_path``; return its exit code (an interrupt ends it too)."""
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    with open(log_path, 'a') as logf, subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True) as proc:
        logf.write(f'\n$ {" ".join(cmd)}\n')
        try:
            for line in proc.stdout:
                sys.stdout.write(line)
                logf.write(line)
        except KeyboardInterrupt:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
            raise
        return proc.wait()


def last_checkpoint(work_dir: str) -> Optional[str]:
    """Checkpoint named in ``work_dir/last_checkpoint`` if it exists."""
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        ckpt = f.read().strip()
    if not osp.isabs(ckpt):
        ckpt = osp.join(ROOT, ckpt)
    return ckpt if osp.isfile(ckpt) else None


def prune_checkpoints(work: str, keep: Sequence[int]) -> None:
    """Delete ``work``'s ``iter_<i>.pth`` except those of ``keep``."""
    for path in glob.glob(osp.join(work, 'iter_*.pth')):
        it = osp.basename(path)[len('iter_'):-len('.pth')]
        if it.isdigit() and int(it) not in keep:
            os.remove(path)


def count_images(loader_cfg: Config) -> Optional[int]:
    """Lines of a VOC loader's image-set file (before empty-GT filtering)."""
    dataset = innermost_dataset(loader_cfg)
    path = osp.join(ROOT, dataset.get('data_root', ''), dataset.ann_file)
    if not osp.isfile(path):
        return None
    with open(path) as fh:
        return sum(1 for line in fh if line.strip())


def init_checkpoint(bench: Any, run: Any, cfg: Config) -> Tuple[str, int]:
    """Where ``run`` starts: its ``init_from`` run's step-1 checkpoint.

    Before the first training session the resumable LED version of that
    checkpoint is written into the run's work dir and named in its
    ``last_checkpoint``.

    Returns:
        tuple: The source checkpoint and its iteration.
    """
    step = step1_iter(cfg)
    src_dir = bench.run_dir(bench.run_named(run.init_from))
    src = osp.join(src_dir, f'iter_{step}.pth')
    work = bench.run_dir(run)
    if last_checkpoint(work) is None:
        if not osp.isfile(src):
            raise RuntimeError(f'{rel(src)} (step 1 of {run.name}) is '
                               f'missing; --force train/{run.init_from}')
        out = osp.join(work, f'init_{run.init_from}_iter_{step}.pth')
        make_init_checkpoint(
            src, Config.fromfile(osp.join(src_dir, 'config.py')), cfg, out,
            src_name=rel(src))
        with open(osp.join(work, 'last_checkpoint'), 'w') as fh:
            fh.write(out)
        log(f'{run.name}: starts from {rel(src)} (iteration {step})')
    return src, step


def part_train(bench: Any, part: Any) -> dict:
    """Train one run with tools/train.py (resuming if interrupted)."""
    run = part.run
    work = bench.run_dir(run)
    os.makedirs(work, exist_ok=True)
    cfg = bench.build_config(run)
    max_iters = int(cfg.train_cfg.max_iters)
    final = osp.join(work, f'iter_{max_iters}.pth')
    timing_path = osp.join(work, 'benchmark_time.json')
    timing = read_json(timing_path) or dict(seconds=0.0, sessions=[])
    cfg_path = osp.join(work, 'config.py')
    started = time.time()
    init = init_checkpoint(bench, run, cfg) if run.init_from else None
    last = last_checkpoint(work)
    if not (last and osp.abspath(last) == osp.abspath(final)):
        cfg.dump(cfg_path)
        cmd = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), cfg_path,
               '--work-dir', work]
        if last:
            cmd.append('--resume')
            log(f'{run.name}: resuming from {osp.basename(last)}')
        t0 = time.time()
        rc = None
        try:
            rc = tee(cmd, osp.join(work, 'train_console.log'))
        finally:
            timing['seconds'] += time.time() - t0
            timing['sessions'].append(
                dict(
                    started=datetime.datetime.fromtimestamp(t0).isoformat(
                        timespec='seconds'),
                    seconds=round(time.time() - t0, 1),
                    resumed_from=osp.basename(last) if last else None,
                    returncode=rc))
            write_json(timing_path, timing)
        if rc != 0:
            raise RuntimeError(f'tools/train.py failed ({rc}) for '
                               f'{run.name}; see {rel(work)}')
    if not osp.isfile(final):
        raise RuntimeError(f'{rel(final)} missing after training')
    keep = bench.keep_iters(run)
    if keep:
        prune_checkpoints(work, keep + [max_iters])
    minutes = timing['seconds'] / 60
    if minutes > RUN_MINUTES_LIMIT:
        log(f'WARNING {run.name}: {minutes:.1f} min of training, more than '
            f'the {RUN_MINUTES_LIMIT} min per run this machine allows')
    return run_meta(
        bench,
        part,
        started,
        run,
        train_images=count_images(cfg.train_dataloader),
        settings=bench.train_settings(run),
        config_dumped=rel(cfg_path),
        checkpoint=rel(final),
        max_iters=max_iters,
        batch_size=int(cfg.train_dataloader.batch_size),
        train_minutes=round(minutes, 3),
        sessions=timing['sessions'],
        init_from=run.init_from,
        init_checkpoint=init and rel(init[0]),
        init_iter=init and init[1],
        desc=run.desc)
