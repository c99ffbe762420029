"""Seeds needed: how many paired training seeds resolve each LED - SSD
target, from the seed-to-seed spread of the paired differences measured so
far (the ``eval`` results, seed s of LED against seed s of SSD)."""
from typing import Dict, Optional, Sequence

import numpy as np

from mmdet_led.evaluation.functional import (sd_upper_bound,
                                             seeds_for_half_width,
                                             seeds_for_power, t_half_width)

#: The LED - SSD targets (AP points) the plan is for.
TARGET_EFFECTS = (('mAP50', 1.0), ('AP70', 2.0))


def paired_differences(results: Dict[str, dict], seeds: Sequence[int],
                       metric: str, key_a: str = 'led',
                       key_b: str = 'ssd') -> Dict[int, float]:
    """``metric`` of ``key_a`` minus ``key_b`` per seed where both ran."""
    out = {}
    for s in seeds:
        a, b = results.get(f'eval_{key_a}_s{s}'), results.get(
            f'eval_{key_b}_s{s}')
        if a and b:
            out[s] = a['metrics'][metric] - b['metrics'][metric]
    return out


def plan(diffs: Sequence[float], effect: float) -> dict:
    """Seeds needed to resolve ``effect`` given paired differences
    ``diffs``.

    Returns:
        dict: ``num_seeds``, ``mean``, ``sd`` (sample SD; None below two
        seeds) and, from two seeds on, ``half_width`` (two-sided 95% t, at
        this many seeds), ``sd_upper95`` (one-sided 95% upper bound of the
        SD), ``seeds_for_half_width`` (smallest n with a 95% half-width
        below ``effect``, at the SD and at its upper bound) and
        ``seeds_for_power80`` (paired t-test, alpha 0.05 two-sided, at the
        SD and at its upper bound).
    """
    diffs = np.asarray(diffs, dtype=float)
    n = int(diffs.size)
    out = dict(effect=effect, num_seeds=n,
               mean=float(diffs.mean()) if n else None, sd=None)
    if n < 2:
        return out
    sd = float(diffs.std(ddof=1))
    upper = sd_upper_bound(sd, n)
    out.update(
        sd=sd,
        half_width=t_half_width(sd, n),
        sd_upper95=upper,
        seeds_for_half_width=dict(
            sd=seeds_for_half_width(sd, effect),
            sd_upper95=seeds_for_half_width(upper, effect)),
        seeds_for_power80=dict(
            sd=seeds_for_power(sd, effect),
            sd_upper95=seeds_for_power(upper, effect)))
    return out


def seed_planning(results: Dict[str, dict],
                  seeds: Sequence[int]) -> Optional[Dict[str, dict]]:
    """Per targeted metric, the per-seed LED - SSD differences
    (``per_seed``, by seed) and :func:`plan` for the target's effect; None
    when no seed has both runs."""
    out = {}
    for metric, effect in TARGET_EFFECTS:
        diffs = paired_differences(results, seeds, metric)
        if not diffs:
            return None
        out[metric] = dict(
            per_seed={str(s): d
                      for s, d in diffs.items()},
            **plan(list(diffs.values()), effect))
    return out
