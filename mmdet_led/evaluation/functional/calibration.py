"""Loc-quality calibration: correlations and binned reliability curves.

Pure numpy and ``scipy.stats``, used by :class:`LocQualityMetric` and the
benchmark to relate a detection's predicted localization quality (or any
confidence) to its true IoU with the ground truth.
"""
from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np
from scipy import stats


def _finite_pair(x: Sequence[float],
                 y: Sequence[float]) -> Tuple[np.ndarray, np.ndarray]:
    """Both arrays as float64 vectors, pairs with a non-finite value
    dropped."""
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f'shapes differ: {x.shape} vs {y.shape}')
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def _defined(x: np.ndarray, y: np.ndarray) -> bool:
    """A correlation needs two points and neither array constant (scipy
    would warn and return NaN)."""
    return x.size >= 2 and np.ptp(x) > 0 and np.ptp(y) > 0


def pearson(x: Sequence[float], y: Sequence[float]) -> Optional[float]:
    """Pearson correlation (``scipy.stats.pearsonr``) of the finite pairs;
    None if undefined (< 2 points or a constant)."""
    x, y = _finite_pair(x, y)
    if not _defined(x, y):
        return None
    return float(stats.pearsonr(x, y).statistic)


def spearman(x: Sequence[float], y: Sequence[float]) -> Optional[float]:
    """Spearman rank correlation (``scipy.stats.spearmanr``, average ranks
    for ties) of the finite pairs; None if undefined."""
    x, y = _finite_pair(x, y)
    if not _defined(x, y):
        return None
    return float(stats.spearmanr(x, y).statistic)


def correlation_table(values: Mapping[str, Sequence[float]],
                      target: Sequence[float]) -> Dict[str, dict]:
    """``{name: {'pearson': r, 'spearman': rho, 'n': count}}`` of each
    value array against ``target``."""
    return {
        name: dict(
            pearson=pearson(v, target),
            spearman=spearman(v, target),
            n=int(np.asarray(v).size))
        for name, v in values.items()
    }


def binned_calibration(pred: Sequence[float],
                       true: Sequence[float],
                       num_bins: int = 10,
                       value_range: Sequence[float] = (0.0, 1.0)) -> dict:
    """Reliability curve: ``true`` averaged in equal-width bins of ``pred``.

    Values outside ``value_range`` go to the first/last bin; the last bin
    includes its upper edge.

    Returns:
        dict: ``edges`` (num_bins + 1), and per bin ``counts``,
        ``mean_pred``, ``mean_true`` and ``std_true`` (None for empty bins),
        plus ``ece``: the count-weighted mean |mean_pred - mean_true|.
    """
    pred, true = _finite_pair(pred, true)
    lo, hi = value_range
    edges = np.linspace(lo, hi, num_bins + 1)
    inds = np.clip(np.searchsorted(edges, pred, side='right') - 1, 0,
                   num_bins - 1)
    counts = np.bincount(inds, minlength=num_bins)
    out = dict(
        edges=edges.tolist(),
        counts=counts.tolist(),
        mean_pred=[],
        mean_true=[],
        std_true=[])
    gap = 0.0
    for b in range(num_bins):
        sel = inds == b
        if not sel.any():
            for key in ('mean_pred', 'mean_true', 'std_true'):
                out[key].append(None)
            continue
        mp, mt = float(pred[sel].mean()), float(true[sel].mean())
        out['mean_pred'].append(mp)
        out['mean_true'].append(mt)
        out['std_true'].append(float(true[sel].std()))
        gap += sel.sum() * abs(mp - mt)
    out['ece'] = float(gap / counts.sum()) if counts.sum() else None
    return out
