"""``sweep``: the LE scoring grid (lambda x sigma, lambda x power) on val.

LED trained on train.txt, re-scored on val.txt with every grid cell, with
``score_thr`` compared with the combined and with the class confidence; the
best (lambda, sigma) under the config's ``score_thr_on`` is then applied on
test by the scoring part (``gaussian_val``). The 'power' cells answer, on
val only, whether IoU-aware RetinaNet's ``cls ** (1 - a) * loc ** a`` ranks
better than the Gaussian (:data:`POWER_RULE`, fixed before any run).
"""
import math
import time
from typing import Any

from ..evaluate import RunData, metrics_percent
from ..common import log
from ..meta import base_meta
from ..registry import (SWEEP_LAMBDAS, SWEEP_POWERS, SWEEP_SIGMAS,
                        SWEEP_THR_ON)

#: When the val sweep says 'power' helps.
POWER_RULE = ("'power' helps if its best cell's val mAP@0.5 is above the "
              "best gaussian cell's and its val AP@0.7 is not below it "
              "(score_thr on the config's side)")


def sweep_variants() -> list:
    """The ``test_cfg`` updates of the grid, cls ranking first (the same
    under either threshold, since conf == cls there)."""
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
            for a in SWEEP_POWERS:
                variants.append(
                    dict(score_mode='power', loc_lambda=lam, loc_power=a,
                         score_thr_on=thr_on))
    return variants


def best_cell(grid: list, mode: str, thr_on: str) -> dict:
    """The ``mode`` cell of highest val mAP@0.5 (ties: AP@0.7) with
    score_thr on ``thr_on``."""
    return max((g for g in grid
                if g['score_mode'] == mode and g['score_thr_on'] == thr_on),
               key=lambda g: (g['mAP50'], g['AP70']))


def power_check(grid: list, thr_on: str) -> dict:
    """The best 'power' and 'gaussian' cells and :data:`POWER_RULE`'s
    answer."""
    power = best_cell(grid, 'power', thr_on)
    gauss = best_cell(grid, 'gaussian', thr_on)
    return dict(
        rule=POWER_RULE,
        best_power=power,
        best_gaussian=gauss,
        power_helps=bool(power['mAP50'] > gauss['mAP50']
                         and power['AP70'] >= gauss['AP70']))


def part_sweep(bench: Any, part: Any) -> dict:
    """lambda x sigma and lambda x power grid on val (LED trained on
    train.txt)."""
    started = time.time()
    run = bench.done_runs('led-trainsplit')[0]
    data = RunData(bench, run)
    grid = []
    for v in sweep_variants():
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
        power=power_check(grid, thr_on),
        grid=grid)
