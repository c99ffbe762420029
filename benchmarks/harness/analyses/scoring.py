"""``scoring``: score modes compared on the same LED weights, per seed."""
import time
from typing import Any, Dict

from ..common import log, mean_or_none
from ..evaluate import RunData, metrics_percent
from ..meta import base_meta
from ..registry import CPU_LED, SCORE_MODES


def scoring_variants(bench: Any) -> Dict[str, dict]:
    """Scoring variants compared on the same LED weights: every score mode
    and, once the sweep ran, gaussian with its val-chosen lambda, sigma."""
    variants = {m: dict(score_mode=m) for m in SCORE_MODES}
    sweep = bench.result('sweep')
    if sweep is not None:
        variants['gaussian_val'] = dict(score_mode='gaussian',
                                        **sweep['chosen'])
    return variants


def part_scoring(bench: Any, part: Any) -> dict:
    """cls vs product vs gaussian on the same LED weights, per seed."""
    started = time.time()
    variants = scoring_variants(bench)
    runs = bench.done_runs('led')
    per_seed = {}
    for run in runs:
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
        seeds=[r.seed for r in runs],
        config=CPU_LED,
        variants=variants,
        per_seed=per_seed,
        mean=mean)
