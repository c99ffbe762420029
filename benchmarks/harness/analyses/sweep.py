"""``sweep``: the LE scoring grid (lambda x sigma, lambda x power) on val.

LED trained on train.txt, re-scored on val.txt with every grid cell, with
``score_thr`` compared with the combined and with the class confidence; the
best (lambda, sigma) under the config's ``score_thr_on`` is then applied on
test by the scoring part (``gaussian_val``). The 'power' cells answer, on
val only, whether IoU-aware RetinaNet's ``cls ** (1 - a) * loc ** a`` ranks
better than the Gaussian (:func:`power_rule`, fixed before any run).

``sweep/<key>`` (``--registry heads``) does the same for an LED head's
train -> val run under the config's ``score_thr_on`` only (and, for a head
with its own score factor, with FCOS's centerness combined with the LE
ranking and replaced by it), ranks cells by the heads' metrics (AP, then
AP@0.75) and also names the best cell of the whole grid, every score mode
included, which the ``heads`` part applies on test; its plain twin's val
metrics come along as the baseline.
"""
import math
import time
from typing import Any, Sequence, Tuple

from mmdet_led.models.dense_heads.le_head_mixin import CENTERNESS_MODES
from ..evaluate import RunData, metrics_percent
from ..common import log
from ..meta import run_meta
from ..registry import (HEADS_SWEEP_METRICS, SWEEP_LAMBDAS, SWEEP_METRICS,
                        SWEEP_POWERS, SWEEP_SIGMAS, SWEEP_THR_ON)

LABELS = dict(AP='AP', mAP50='mAP@0.5', AP70='AP@0.7', AP75='AP@0.75')


def power_rule(metrics: Sequence[str] = SWEEP_METRICS) -> str:
    """When the val sweep says 'power' helps, for cells ranked by
    ``metrics`` (primary, secondary)."""
    first, second = (LABELS[m] for m in metrics)
    return (f"'power' helps if its best cell's val {first} is above the "
            f"best gaussian cell's and its val {second} is not below it "
            "(score_thr on the config's side)")


def sweep_variants(thr_ons: Sequence[str] = SWEEP_THR_ON) -> list:
    """The ``test_cfg`` updates of the grid with ``score_thr`` compared
    with each of ``thr_ons``, cls ranking first (the same under either
    threshold, since conf == cls there)."""
    variants = [dict(score_mode='cls', score_thr_on=thr_ons[0])]
    for thr_on in thr_ons:
        for lam in SWEEP_LAMBDAS:
            variants.append(
                dict(score_mode='product', loc_lambda=lam,
                     score_thr_on=thr_on))
            for sig in SWEEP_SIGMAS:
                variants.append(
                    dict(score_mode='gaussian', loc_lambda=lam,
                         loc_sigma=sig, score_thr_on=thr_on))
            for a in SWEEP_POWERS:
                variants.append(
                    dict(score_mode='power', loc_lambda=lam, loc_power=a,
                         score_thr_on=thr_on))
    return variants


def best_cell(grid: list, mode: str, thr_on: str,
              metrics: Sequence[str] = SWEEP_METRICS) -> dict:
    """The ``mode`` cell (any mode if None) of highest val ``metrics[0]``
    (ties: ``metrics[1]``, then the earlier cell) with score_thr on
    ``thr_on``."""
    cells = [
        g for g in grid
        if mode in (None, g['score_mode']) and g['score_thr_on'] == thr_on
    ]
    return max(cells, key=lambda g: tuple(g[m] for m in metrics))


def power_check(grid: list, thr_on: str,
                metrics: Sequence[str] = SWEEP_METRICS) -> dict:
    """The best 'power' and 'gaussian' cells and :func:`power_rule`'s
    answer."""
    power = best_cell(grid, 'power', thr_on, metrics)
    gauss = best_cell(grid, 'gaussian', thr_on, metrics)
    first, second = metrics
    return dict(
        rule=power_rule(metrics),
        best_power=power,
        best_gaussian=gauss,
        power_helps=bool(power[first] > gauss[first]
                         and power[second] >= gauss[second]))


def sweep_target(bench: Any, part: Any) -> Tuple[Any, Sequence[str]]:
    """The run a sweep part scores and the metrics it ranks by."""
    if part.run is not None:
        return part.run, HEADS_SWEEP_METRICS
    return bench.done_runs('led-trainsplit')[0], SWEEP_METRICS


def part_sweep(bench: Any, part: Any) -> dict:
    """lambda x sigma and lambda x power grid on val (LED trained on
    train.txt)."""
    started = time.time()
    run, metrics = sweep_target(bench, part)
    data = RunData(bench, run)
    thr_on = data.test_cfg.get('score_thr_on', 'conf')
    variants = sweep_variants(
        SWEEP_THR_ON if part.run is None else (thr_on, ))
    default = dict(loc_lambda=data.test_cfg.get('loc_lambda', 0.6),
                   loc_sigma=data.test_cfg.get('loc_sigma', 1.0))
    if getattr(data.model.bbox_head, 'with_host_score_factor', False):
        default['centerness'] = data.test_cfg.get('centerness',
                                                  CENTERNESS_MODES[0])
        variants = [
            dict(v, centerness=c) for c in CENTERNESS_MODES for v in variants
        ]
    grid = []
    for v in variants:
        m = metrics_percent(data.matches(**v))
        grid.append(dict(**v, **m))
        log(f'sweep {v}: ' +
            ' '.join(f'{k} {m[k]:.2f}' for k in ('mAP50', 'AP70', 'AP')))
    first, second = metrics
    # ties: the secondary metric, then closeness to the config default
    best = max(
        (g for g in grid if g['score_mode'] == 'gaussian'
         and g['score_thr_on'] == thr_on and g.get('centerness') ==
         default.get('centerness')),
        key=lambda g: (g[first], g[second],
                       -abs(g['loc_lambda'] - default['loc_lambda']) -
                       abs(math.log(g['loc_sigma'] / default['loc_sigma']))))
    extra = {}
    if part.run is not None:
        twin = bench.result(f'eval/{run.init_from}')
        extra = dict(
            best_cell=best_cell(grid, None, thr_on, metrics),
            twin=dict(run=run.init_from, metrics=twin['metrics']))
    return run_meta(
        bench,
        part,
        started,
        run,
        split=run.eval_split,
        criterion=f'max val {LABELS[first]} (ties: {LABELS[second]}, then '
        "closest to the config default), score_thr on "
        f"'{thr_on}' (the config's)",
        score_thr_on=thr_on,
        default=default,
        chosen=dict(loc_lambda=best['loc_lambda'],
                    loc_sigma=best['loc_sigma']),
        power=power_check(grid, thr_on, metrics),
        grid=grid,
        **extra)
