"""The part graph: runs, parts, their dependencies and their status.

The work is split into parts; each writes one result JSON into the results
directory. A part is *done* when its result exists and was made from the
current results of its dependencies (their fingerprints are stored in the
result's ``inputs``), *stale* when those changed (or a checkpoint or raw
file it names is gone), *ready* when it can run and *blocked* otherwise. An
aggregate part (sweep, scoring, ...) runs with whatever dependencies are
done and is stale when that set changed.
"""
import math
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from mmdet_led.engine.init_from import step1_iter
from mmdet_led.utils.schedule import scale_schedule
from .analyses import (part_ablation, part_calibration, part_ci,
                       part_heads, part_scoring, part_sweep)
from .common import (ROOT, fingerprint, git_commit, innermost_dataset,
                     jsonable, read_json)
from .evaluate import part_eval
from .registry import (ABLATION_ROWS, BOOTSTRAP_SAMPLES, CHECKPOINTS_PER_RUN,
                       COMMON_OPTIONS, RUNS, SPEED_ARGS, SPLITS,
                       VALIDATE_DURING_TRAINING)
from .speed import part_speed
from .train import last_checkpoint, part_train


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
                registry: Optional[Dict[str, dict]] = None,
                first: Sequence[str] = ('ssd', 'led')) -> List[RunSpec]:
    """Registry entries x seeds, ordered so that partial sessions finish
    the seeds of the compared models (``first``: SSD and LED) together,
    then the sweep run, then the ablations."""
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
    paired = [k for k in first if k in specs]
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
    """Settings, paths and the part graph of one benchmark invocation.

    Args:
        seeds: Seeds of the registry's ``'all'`` entries.
        results_dir: Result JSONs (default ``benchmarks/results``); the
            report and its figures go beside it, into the parent folder,
            so a probe with its own results never overwrites the README.
        work_root: Run work dirs (checkpoints, raw outputs).
        readme, figures_dir: Override the report's paths.
        data_root, unit, cfg_options, split_files: Overrides of every
            run's config (data root, ``--unit``, ``--cfg-options``, image
            sets of :data:`SPLITS`).
        quick: Mark results and report as a smoke test.
        bootstrap: Bootstrap resamples of the ``ci`` part.
        speed_args: ``tools/benchmark_speed.py`` arguments.
        registry: The runs (default: the CPU benchmark's).
        comparisons: Differences ``(A, B)`` of registry keys to report
            instead of the CPU benchmark's LED-vs-SSD analyses: one
            aggregate part ``heads`` (``--registry heads``, ``heads-atss``).
    """

    def __init__(self,
                 seeds: Sequence[int] = (0, 1, 2),
                 results_dir: Optional[str] = None,
                 work_root: Optional[str] = None,
                 readme: Optional[str] = None,
                 figures_dir: Optional[str] = None,
                 data_root: Optional[str] = None,
                 unit: Optional[int] = None,
                 cfg_options: Optional[dict] = None,
                 split_files: Optional[Dict[str, str]] = None,
                 quick: bool = False,
                 bootstrap: int = BOOTSTRAP_SAMPLES,
                 speed_args: Optional[List[str]] = None,
                 registry: Optional[Dict[str, dict]] = None,
                 comparisons: Optional[Sequence[Tuple[str, str]]] = None
                 ) -> None:
        self.seeds = list(seeds)
        self.quick = quick
        self.results_dir = results_dir or osp.join(ROOT, 'benchmarks',
                                                   'results')
        self.work_root = work_root or osp.join(ROOT, 'work_dirs', 'benchmark')
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
        #: report title/constraints of a non-CPU setting (REGISTRY_SETTINGS)
        self.setting: Optional[Tuple[str, str]] = None
        #: directory that result paths (checkpoints, raw files) are
        #: relative to
        self.root = ROOT
        self.comparisons = [tuple(c) for c in comparisons or []]
        # a comparison trains its first-seed-only runs (the val sweep's)
        # first, then every compared model seed by seed
        first = ([k for k, e in self.registry.items()
                  if e.get('seeds') == 'first'] + self.compared_keys
                 if self.comparisons else ('ssd', 'led'))
        self.runs = expand_runs(self.seeds, self.registry, first=first)
        self.parts = self._build_parts()
        self._commit = None

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
        """The git state, not counting the benchmark's own outputs."""
        if self._commit is None:
            outputs = (self.results_dir, self.readme, self.figures_dir)
            self._commit = git_commit(exclude=[
                osp.relpath(p, ROOT) for p in outputs
                if p and not osp.relpath(p, ROOT).startswith('..')
            ])
        return self._commit

    def runs_of(self, key: str) -> List[RunSpec]:
        return [r for r in self.runs if r.key == key]

    def run_named(self, name: str) -> RunSpec:
        return next(r for r in self.runs if r.name == name)

    @property
    def compared_keys(self) -> List[str]:
        """Registry keys of :attr:`comparisons`, in registry order."""
        named = {k for pair in self.comparisons for k in pair}
        return [k for k in self.registry if k in named]

    def done_runs(self, key: str) -> List[RunSpec]:
        """Runs of ``key`` whose ``eval/<run>`` has a result."""
        return [
            r for r in self.runs_of(key)
            if self.result(f'eval/{r.name}') is not None
        ]

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

        def evals(key):
            return [f'eval/{r.name}' for r in self.runs_of(key)]

        if self.comparisons:
            sweeps = []
            for key in self.compared_keys:
                val_runs = self.runs_of(f'{key}-trainsplit')
                if not (self.registry[key].get('val_sweep') and val_runs):
                    continue
                run = val_runs[0]
                sweeps.append(f'sweep/{key}')
                parts[sweeps[-1]] = Part(
                    sweeps[-1],
                    part_sweep,
                    deps=[f'eval/{n}' for n in (run.name, run.init_from)],
                    run=run)
            parts['heads'] = Part(
                'heads',
                part_heads,
                deps=[e for k in self.compared_keys
                      for e in evals(k)] + sweeps,
                aggregate=True)
            return parts
        if self.runs_of('led-trainsplit'):
            parts['sweep'] = Part(
                'sweep', part_sweep, deps=evals('led-trainsplit')[:1])
        sweep = ['sweep'] if 'sweep' in parts else []
        parts['scoring'] = Part(
            'scoring', part_scoring, deps=evals('led') + sweep,
            aggregate=True)
        parts['calibration'] = Part(
            'calibration',
            part_calibration,
            deps=evals('led') + evals('ssd'),
            aggregate=True)
        abl_deps = []
        for _, key, _ in ABLATION_ROWS:
            abl_deps += [d for d in evals(key)[:1] if d not in abl_deps]
        parts['ablation'] = Part(
            'ablation', part_ablation, deps=abl_deps, aggregate=True)
        parts['ci'] = Part(
            'ci',
            part_ci,
            deps=evals('ssd') + evals('led') + sweep,
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
            if path and not osp.isfile(osp.join(self.root, path)):
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
            options=jsonable({
                **COMMON_OPTIONS,
                **run.options
            }),
            cfg_options=jsonable(self.cfg_options),
            seed=run.seed,
            train_split=self.splits[run.train_split],
            eval_split=self.splits[run.eval_split],
            data_root=self.data_root,
            unit=self.unit,
            batch_size=self.batch_size,
            init_from=run.init_from)

    def build_config(self, run: RunSpec) -> Config:
        """The full training/test config of ``run``."""
        cfg = Config.fromfile(osp.join(ROOT, run.config))
        cfg.merge_from_dict({**COMMON_OPTIONS, **run.options})
        if self.unit is not None:
            scale_schedule(cfg, self.unit)
        for loader, split in (('train_dataloader', run.train_split),
                              ('val_dataloader', run.eval_split),
                              ('test_dataloader', run.eval_split)):
            if cfg.get(loader) is None:
                continue
            dataset = innermost_dataset(cfg[loader])
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

    def keep_iters(self, run: RunSpec) -> List[int]:
        """Iterations of ``run`` whose checkpoints other runs start from."""
        return sorted({
            step1_iter(self.build_config(r))
            for r in self.runs if r.init_from == run.name
        })

