"""Evidence benchmark of LED vs SSD on VOC2007: one command, resumable parts.

Trains and evaluates everything in the run registry
(benchmarks/harness/registry.py), writes machine-readable results to
benchmarks/results/*.json (each with the git commit, configs, seeds and
wall time) and regenerates benchmarks/README.md with tables and PNG plots
(benchmarks/figures/).

The work is split into PARTS; each writes one result JSON, and training runs
keep their checkpoints in work_dirs/benchmark/<run>/:

  train/<run>    train one (config, seed) with tools/train.py (MMEngine log
                 on the console); an interrupted run resumes from its last
                 checkpoint on the next call. An LED run starts from its
                 SSD run's checkpoint at the end of LED's step 1 (registry
                 `init_from`): step 1 is that very SSD training, run once
  eval/<run>     ONE test pass over the run's eval split that stores the
                 head's raw per-level outputs (raw_<split>.pth); every
                 scoring variant below is re-scored from them (the head's own
                 predict_by_feat + NMS), checked to reproduce the test pass
                 (= tools/test.py) bit for bit
  sweep          LE lambda x sigma grid, LED trained on train.txt, scored on
                 val.txt, with score_thr on the combined and on the class
                 confidence; the best (lambda, sigma) (val mAP@0.5, under
                 the config's score_thr_on) is then applied on test
  scoring        same LED weights: score_mode cls / product / gaussian (and
                 gaussian with the val-chosen lambda, sigma), per seed
  calibration    pre-NMS detections (top 100 per image by final confidence,
                 score > 0.01) vs their true IoU; reliability plot; Fig. 1
  ablation       Table 2's cumulative rows on the CPU model (one seed)
  ci             95% bootstrap intervals (paired by test image) of every
                 LED-vs-SSD and scoring-mode difference
  speed          tools/benchmark_speed.py: latency (batch 1 and 8), training
                 step LED/SSD, peak memory

Re-running skips finished parts (aggregate parts re-run by themselves when
their inputs changed); --force PART redoes one (for train/<run> this deletes
work_dirs/benchmark/<run> first); --parts selects parts by glob; --list
prints every part and its status. benchmarks/results/summary.json and the
README are rewritten on every call (missing parts are null, never invented).

Examples (`python -m benchmarks.harness` is the same command):
  python tools/benchmark.py --list
  python tools/benchmark.py                         # everything still to do
  python tools/benchmark.py --parts 'train/led_s*' 'eval/led_s*'
  python tools/benchmark.py --parts speed --force speed
  python tools/benchmark.py --stop-after 100        # no new part after 100 min
  python tools/benchmark.py --jobs 2                # two trainings at a time
  python tools/benchmark.py --report-only           # summary + README only
  python tools/benchmark.py --quick                 # smoke test: toy data,
                                                    # 24 iterations, own dirs
"""
import argparse
import importlib.util
import os
import os.path as osp
import signal
import sys
import time
from typing import List, Optional

from .common import ROOT, log, rel
from .graph import Bench
from .jobs import job_runs, run_jobs, run_parts, select
from .heads_report import write_heads_report
from .registry import (BOOTSTRAP_SAMPLES, COMPARISONS, QUICK,
                       REGISTRY_NAMES, REGISTRY_SETTINGS, SEEDS, SPLITS,
                       UNIT, get_registry)
from .report import fmt, write_report


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        prog='tools/benchmark.py',
        description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        '--parts', nargs='+', metavar='GLOB', help='parts to run (globs)')
    parser.add_argument(
        '--force',
        nargs='+',
        metavar='GLOB',
        default=[],
        help='redo these parts even if done (train/<run>: retrain from '
        'scratch, deleting its work dir)')
    parser.add_argument(
        '--list', action='store_true', help='print parts and status, exit')
    parser.add_argument(
        '--report-only',
        action='store_true',
        help='only rewrite summary.json, figures and README')
    parser.add_argument(
        '--seeds',
        nargs='+',
        type=int,
        help=f'seeds (default: {" ".join(map(str, SEEDS))})')
    parser.add_argument(
        '--quick',
        action='store_true',
        help=f'smoke test: generated toy VOC set {QUICK["toy_images"]}, '
        f'unit={QUICK["unit"]} (24 iterations), batch '
        f'{QUICK["batch_size"]}, seeds {QUICK["seeds"]}, '
        f'{QUICK["bootstrap"]} bootstrap resamples, short speed run; all '
        'output under work_dirs/benchmark_quick/')
    parser.add_argument(
        '--registry',
        choices=REGISTRY_NAMES,
        default='cpu',
        help='which runs: the CPU recipe (default), the FPN-head comparison '
        '(heads: LED-RetinaNet/LED-FCOS vs their twins, ATSS, GFL; results '
        'in benchmarks/heads/ by default), LED-ATSS vs ATSS (heads-atss; '
        'benchmarks/heads_atss/), the VGG16 pair for a GPU, or '
        'recipe search v15/v16 on train -> val (use their own '
        '--results-dir)')
    parser.add_argument(
        '--setting',
        choices=sorted(REGISTRY_SETTINGS),
        help='what the report says of the machine (default: the '
        'registry\'s own; cpu-gpu: the CPU recipe trained on a GPU)')
    parser.add_argument(
        '--unit',
        type=int,
        help='iterations per paper-10k in the schedule (rescales max_iters, '
        f'LR steps, LED phases; default {UNIT})')
    parser.add_argument(
        '--data-root', help='data root of every run (default: the config\'s)')
    parser.add_argument(
        '--split',
        nargs='+',
        default=[],
        metavar='NAME=FILE',
        help='override an image-set file, e.g. test=VOC2007/ImageSets/Main/'
        'test.txt (names: ' + ', '.join(SPLITS) + ')')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='config overrides (key=value) for every run, applied last')
    parser.add_argument(
        '--bootstrap',
        type=int,
        help=f'bootstrap resamples (default {BOOTSTRAP_SAMPLES})')
    parser.add_argument(
        '--jobs',
        type=int,
        default=1,
        help='training runs side by side, each in a child process with '
        'cpus/JOBS threads (2 on a 2-core machine gave ~1.4x the '
        'throughput of 1); an LED run starts once its SSD run has '
        'finished; aggregate parts run afterwards')
    parser.add_argument(
        '--stop-after',
        type=float,
        metavar='MIN',
        help='start no new part after this many minutes')
    parser.add_argument(
        '--results-dir',
        help='default: benchmarks/results (quick: own dir); the report and '
        'its figures go beside it, into the parent folder')
    parser.add_argument(
        '--work-root', help='default: work_dirs/benchmark (quick: own dir)')
    return parser.parse_args(argv)


def make_toy_voc(root: str, *args) -> str:
    """``tools/make_toy_voc.py``'s generated VOC set (``tools/`` is no
    package, so the file is loaded by path)."""
    spec = importlib.util.spec_from_file_location(
        'led_make_toy_voc', osp.join(ROOT, 'tools', 'make_toy_voc.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_toy_voc(root, *args)


def bench_from_args(args: argparse.Namespace) -> Bench:
    """The :class:`~.graph.Bench` that the command line describes."""
    split_files = {}
    for item in args.split:
        name, _, path = item.partition('=')
        if name not in SPLITS or not path:
            raise SystemExit(f'--split {item!r}: expected NAME=FILE with NAME '
                             f'in {list(SPLITS)}')
        split_files[name] = path
    kw = dict(
        seeds=args.seeds or SEEDS,
        data_root=args.data_root,
        unit=args.unit or UNIT,
        cfg_options=args.cfg_options,
        split_files=split_files,
        bootstrap=args.bootstrap or BOOTSTRAP_SAMPLES,
        results_dir=args.results_dir,
        work_root=args.work_root,
        registry=get_registry(args.registry))
    if args.registry in COMPARISONS:
        # the comparisons share their runs' work dirs (ATSS is in both)
        comp = COMPARISONS[args.registry]
        kw.update(
            comparisons=comp['comparisons'],
            results_dir=args.results_dir
            or osp.join(ROOT, 'benchmarks', comp['folder'], 'results'),
            work_root=args.work_root
            or osp.join(ROOT, 'work_dirs', 'benchmark_heads'))
    if args.quick:
        root = osp.join(ROOT, 'work_dirs', 'benchmark_quick' +
                        ('_' + COMPARISONS[args.registry]['folder']
                         if args.registry in COMPARISONS else ''))
        toy = osp.join(root, 'toy_voc')
        if not osp.isfile(osp.join(toy, 'VOC2007', 'ImageSets', 'Main',
                                   'test.txt')):
            make_toy_voc(toy, *QUICK['toy_images'])
        kw.update(
            seeds=args.seeds or QUICK['seeds'],
            data_root=args.data_root or rel(toy) + '/',
            unit=args.unit or QUICK['unit'],
            bootstrap=args.bootstrap or QUICK['bootstrap'],
            results_dir=args.results_dir or osp.join(root, 'results'),
            work_root=args.work_root or osp.join(root, 'runs'),
            readme=osp.join(root, 'README.md'),
            speed_args=QUICK['speed_args'],
            quick=True)
    bench = Bench(**kw)
    bench.setting = REGISTRY_SETTINGS.get(args.setting or args.registry)
    if args.quick:
        bench.batch_size = QUICK['batch_size']
        bench.num_workers = 0
    return bench


def print_list(bench: Bench, patterns: Optional[List[str]] = None) -> None:
    """Print the selected parts with their status."""
    names = select(bench.parts, patterns)
    width = max(len(n) for n in names) if names else 10
    print(f'{"part":<{width}}  {"status":<8} detail')
    for n in names:
        s, d = bench.status(n)
        print(f'{n:<{width}}  {s:<8} {d}')


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f'signal {signum}')


def main(argv: Optional[List[str]] = None) -> int:
    """Run the benchmark; 1 if a part failed."""
    args = parse_args(argv)
    os.chdir(ROOT)  # configs and data roots are relative to the repo
    # SIGTERM (e.g. `timeout`) and SIGINT (even in a background job) stop a
    # session cleanly: the training subprocess is ended and its time kept
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    bench = bench_from_args(args)
    if args.list:
        print_list(bench, args.parts)
        return 0
    failed = False
    in_jobs: List[str] = []
    if not args.report_only and args.jobs > 1:
        # a single run too: --jobs N means cpus // N threads a training
        runs = job_runs(bench, args.parts, args.force)
        if runs:
            argv = sys.argv[1:] if argv is None else list(argv)
            failed = not run_jobs(argv, bench, runs, args.jobs)
            in_jobs = [
                p for run in runs for p in (f'train/{run}', f'eval/{run}')
            ]
    if not args.report_only:
        t0 = time.time()
        outcome = run_parts(bench, args.parts, args.force, args.stop_after,
                            skip=in_jobs)
        failed = failed or any(v == 'failed' for v in outcome.values())
        ran = {k: v for k, v in outcome.items() if v != 'skipped (done)'}
        log(f'session: {(time.time() - t0) / 60:.1f} min; ' +
            (', '.join(f'{k}: {v}' for k, v in ran.items()) if ran else
             'nothing to do' if outcome else 'no part selected'))
    summary = (write_heads_report if bench.comparisons else write_report)(
        bench)
    log(f'wrote {rel(osp.join(bench.results_dir, "summary.json"))} and '
        f'{rel(bench.readme)}')
    for t in summary['targets']:
        log(f'target {t["status"]:>7}: {t["name"]} {t["target"]} '
            f'(measured {fmt(t["measured"], 3)})')
    return 1 if failed else 0
