"""``ci``: 95% paired bootstrap intervals of the LED-vs-SSD and scoring
differences, over test images and over training seeds.

Test images are resampled (with replacement, seeded); each resample
re-weights the fixed per-detection TP/FP flags of every model/scoring at
once, so all comparisons are paired by image. Per difference two intervals:

* ``ci95``: the per-image interval - seed means of A and B under the same
  image resamples, the trained weights fixed;
* ``ci95_two_level``: the two-level interval - each replicate also draws the
  paired runs (seed s of A with seed s of B) with replacement, so the
  training noise between seeds counts too
  (:func:`mmdet_led.evaluation.functional.difference_intervals`). Targets
  are judged on this one.

Each difference also lists its per-seed differences, their SD and number.
Other interval methods plug in as further entries of the result
(``differences`` maps ``'<a>-<b>/<metric>'`` to an estimate and its
intervals).
"""
import time
from typing import Any, Dict, Iterator, List, Sequence, Tuple

import numpy as np

from mmdet_led.evaluation.functional import (bootstrap_weights,
                                             difference_intervals,
                                             percentile_interval, seed_draws,
                                             voc_metrics)
from ..common import log
from ..evaluate import RunData
from ..meta import base_meta
from ..registry import BOOTSTRAP_SEED, CPU_LED, CPU_SSD, SCORE_MODES
from .scoring import scoring_variants

METRICS = ('mAP50', 'AP70', 'AP')
#: Scoring-mode differences on the same weights (``gaussian_val`` pairs are
#: added once the sweep ran).
MODE_PAIRS = [('gaussian', 'cls'), ('product', 'cls'), ('gaussian', 'product')]
VAL_PAIRS = [('gaussian_val', 'cls'), ('gaussian_val', 'gaussian')]


def config_mode(bench: Any, run: Any) -> str:
    """The score_mode of the run's own config (LEDHead's default
    'gaussian' if unset)."""
    ev = bench.result(f'eval/{run.name}')
    mode = (ev or {}).get('test_cfg', {}).get('score_mode', 'gaussian')
    return mode if mode in SCORE_MODES else 'gaussian'


def seed_mean(runs: Sequence[Any],
              name: str,
              store: Dict[str, Dict[str, dict]],
              metrics: Sequence[str] = METRICS) -> Dict[str, np.ndarray]:
    """Per metric, the mean over ``runs`` of ``store[run][name][metric]``
    (a number or an array of resamples)."""
    return {
        k: np.mean([store[r.name][name][k] for r in runs], axis=0)
        for k in metrics
    }


def paired_by_seed(runs_a: Sequence[Any],
                   runs_b: Sequence[Any]) -> List[Tuple[Any, Any]]:
    """(A run, B run) pairs of equal seed, in A's order."""
    by_seed = {r.seed: r for r in runs_b}
    return [(a, by_seed[a.seed]) for a in runs_a if a.seed in by_seed]


def difference(samples: dict,
               point: dict,
               runs_a: Sequence[Any],
               mode_a: str,
               runs_b: Sequence[Any],
               mode_b: str,
               metrics: Sequence[str] = METRICS) -> Dict[str, dict]:
    """Per metric, in AP points: the estimate, the per-image 95% percentile
    interval and fraction of resamples <= 0 of seed-mean A minus seed-mean
    B, and (:func:`two_level`) those of the two-level bootstrap.

    Where A and B share seeds, every figure is over those seeds only, so
    that the estimate and both intervals speak of the same runs (a model
    with more finished seeds than the other does not shift the estimate
    away from its interval); without a shared seed, over all runs of each.
    """
    pairs = paired_by_seed(runs_a, runs_b)
    if pairs:
        runs_a, runs_b = zip(*pairs)
    a = seed_mean(runs_a, mode_a, samples, metrics)
    b = seed_mean(runs_b, mode_b, samples, metrics)
    pa = seed_mean(runs_a, mode_a, point, metrics)
    pb = seed_mean(runs_b, mode_b, point, metrics)
    out = {}
    for k in metrics:
        d = 100 * (np.asarray(a[k]) - np.asarray(b[k]))
        low, high = percentile_interval(d, 0.95)
        out[k] = dict(
            estimate=float(100 * (pa[k] - pb[k])),
            ci95=[low, high],
            frac_le_0=float(np.mean(d <= 0)))
        if pairs:
            out[k].update(
                two_level(samples, point, pairs, mode_a, mode_b, k))
    return out


def two_level(samples: dict, point: dict, pairs: Sequence[Tuple[Any, Any]],
              mode_a: str, mode_b: str, metric: str) -> dict:
    """The two-level bootstrap of one metric over the seed-paired runs:
    ``ci95_two_level``, ``frac_le_0_two_level``, the per-seed differences
    (``per_seed``, by seed), their SD (``seed_sd``) and ``num_seeds``."""

    def table(store, mode, side):
        return 100 * np.array(
            [store[p[side].name][mode][metric] for p in pairs], dtype=float)

    samples_a, samples_b = table(samples, mode_a, 0), table(samples, mode_b, 1)
    draws = seed_draws(len(pairs), samples_a.shape[1], BOOTSTRAP_SEED)
    res = difference_intervals(samples_a, samples_b, table(point, mode_a, 0),
                               table(point, mode_b, 1), draws)
    return dict(
        ci95_two_level=res['ci'],
        frac_le_0_two_level=res['frac_le_0'],
        per_seed={str(a.seed): d
                  for (a, _), d in zip(pairs, res['per_seed'])},
        seed_sd=res['seed_sd'],
        num_seeds=res['num_seeds'])


def paired_by_image(bench: Any, runs: Sequence[Any]
                    ) -> Iterator[Tuple[Any, RunData, np.ndarray]]:
    """Each run with its :class:`RunData` and the bootstrap weights of the
    test images (B, N), one draw for all: every run must have the same test
    images, so every difference is paired by image."""
    img_ids = weights = None
    for run in runs:
        data = RunData(bench, run)
        if img_ids is None:
            img_ids = data.raw['img_ids']
            weights = bootstrap_weights(
                len(img_ids), bench.bootstrap, BOOTSTRAP_SEED)
        elif data.raw['img_ids'] != img_ids:
            raise RuntimeError(f'{run.name}: other test images than the rest')
        yield run, data, weights


def part_ci(bench: Any, part: Any) -> dict:
    """95% percentile-bootstrap intervals of the differences."""
    started = time.time()
    ssd_runs, led_runs = bench.done_runs('ssd'), bench.done_runs('led')
    samples: Dict[str, Dict[str, Dict[str, np.ndarray]]] = {}
    point: Dict[str, Dict[str, Dict[str, float]]] = {}
    variants = scoring_variants(bench)
    jobs = {r.name: dict(default={}) for r in ssd_runs}
    jobs.update({r.name: variants for r in led_runs})
    num_images = 0
    for run, data, weights in paired_by_image(bench, ssd_runs + led_runs):
        run_variants = jobs[run.name]
        num_images = weights.shape[1]
        run_samples = samples.setdefault(run.name, {})
        run_point = point.setdefault(run.name, {})
        for name, v in run_variants.items():
            matches = data.matches(**v)
            run_samples[name] = voc_metrics(matches, weights)
            run_point[name] = {
                k: float(x[0])
                for k, x in voc_metrics(matches).items()
            }
            log(f'ci: {run.name} {name} bootstrapped')
    comparisons: List[tuple] = []
    if ssd_runs and led_runs:
        # LED as configured (its own score_mode) vs SSD
        comparisons.append(('led-ssd', led_runs,
                            config_mode(bench, led_runs[0]), ssd_runs,
                            'default'))
    pairs = MODE_PAIRS + (VAL_PAIRS if 'gaussian_val' in variants else [])
    for a, b in pairs if led_runs else []:
        comparisons.append((f'{a}-{b}', led_runs, a, led_runs, b))
    diffs: Dict[str, dict] = {}
    for name, runs_a, mode_a, runs_b, mode_b in comparisons:
        for k, d in difference(samples, point, runs_a, mode_a, runs_b,
                               mode_b).items():
            diffs[f'{name}/{k}'] = d
    return base_meta(
        bench,
        part,
        started,
        runs=[r.name for r in ssd_runs + led_runs],
        seeds=sorted({r.seed
                      for r in ssd_runs + led_runs}),
        config=[CPU_SSD, CPU_LED],
        method=(f'percentile bootstrap, {bench.bootstrap} resamples of the '
                f'{num_images} test images (seed {BOOTSTRAP_SEED}), '
                'paired by image; differences in AP points; LED-SSD compares '
                'seed means. Two-level: each resample also draws the '
                'seed-paired runs with replacement (seed s of A with seed s '
                'of B) and averages their differences under the same image '
                'resample'),
        num_images=num_images,
        samples=bench.bootstrap,
        variants=variants,
        differences=diffs)
