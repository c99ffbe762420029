"""Two-level bootstrap (training seeds, then test images) of a paired
model-vs-model difference.

A difference between two trained detectors varies for two reasons: the
training run (its seed, and floating-point differences between machines)
and the finite test set. The image bootstrap of :mod:`.voc_bootstrap` keeps
the trained weights fixed and so sees only the second. Here each replicate

1. draws S of the S paired runs with replacement (seed s of model A always
   goes with seed s of model B), and
2. draws one resample of the test images, shared by every drawn seed and
   both models,

and takes the mean over the drawn seeds of A's metric minus B's, both under
the replicate's image weights. The image resample is shared across seeds
because every run is tested on the same images (seeds and images are
crossed, not nested): the test set's sampling error does not shrink with
more seeds, and drawing it anew per seed would pretend it does.

Because a replicate only re-weights, each run's metric under all B image
resamples is computed once (:func:`.voc_bootstrap.voc_metrics`, vectorized)
and the seed level is an index into that (S, B) table. The image weights
are :func:`.voc_bootstrap.bootstrap_weights` of the same seed as the
per-image interval's and the seed draws come from a separate stream, so:
with identical runs for every seed the two-level interval *is* the image
interval; with one test image it *is* a bootstrap over seeds alone.
"""
from typing import Dict, Optional, Sequence

import numpy as np

from .voc_bootstrap import (VOCMatches, bootstrap_weights,
                            percentile_interval, voc_metrics)

#: Second entropy word of the seed-draw generator: keeps its stream apart
#: from :func:`bootstrap_weights` (``default_rng(seed)``) for the same seed.
SEED_STREAM = 1


def seed_draws(num_seeds: int, num_samples: int, seed: int = 0) -> np.ndarray:
    """Indices (B, S) of ``num_samples`` resamples of S paired runs drawn
    with replacement, from a seeded generator independent of the image
    weights of :func:`bootstrap_weights` with the same ``seed``."""
    rng = np.random.default_rng([seed, SEED_STREAM])
    return rng.integers(0, num_seeds, size=(num_samples, num_seeds))


def resampled_seed_means(per_seed: np.ndarray,
                         draws: np.ndarray) -> np.ndarray:
    """Mean over each replicate's drawn seeds.

    Args:
        per_seed (np.ndarray): (S, B) value of seed s under image resample b.
        draws (np.ndarray): (B, K) seed indices of each replicate.

    Returns:
        np.ndarray: (B,) ``mean_k per_seed[draws[b, k], b]``.
    """
    per_seed = np.asarray(per_seed, dtype=np.float64)
    draws = np.asarray(draws)
    assert draws.shape[0] == per_seed.shape[1], (draws.shape, per_seed.shape)
    return np.take_along_axis(per_seed.T, draws, axis=1).mean(axis=1)


def difference_intervals(samples_a: np.ndarray,
                         samples_b: np.ndarray,
                         point_a: np.ndarray,
                         point_b: np.ndarray,
                         draws: np.ndarray,
                         level: float = 0.95) -> dict:
    """Two-level and per-image intervals of the mean paired difference A-B.

    Args:
        samples_a, samples_b (np.ndarray): (S, B) metric of each paired run
            under each image resample (the same resamples for A and B).
        point_a, point_b (np.ndarray): (S,) metric of each run on the full
            test set.
        draws (np.ndarray): (B, S) seed draws (:func:`seed_draws`).
        level (float): Interval level. Defaults to 0.95.

    Returns:
        dict: ``estimate`` (mean over seeds of the full-set differences),
        ``per_seed`` differences, ``seed_sd`` (their sample SD, None for one
        seed), ``num_seeds``; ``ci`` and ``frac_le_0`` of the two-level
        bootstrap; ``image_ci`` and ``image_frac_le_0`` of the image
        bootstrap of the seed mean (all seeds kept, images resampled).
    """
    diff = np.asarray(samples_a, float) - np.asarray(samples_b, float)
    per_seed = np.asarray(point_a, float) - np.asarray(point_b, float)
    assert diff.shape[0] == per_seed.shape[0], (diff.shape, per_seed.shape)
    two_level = resampled_seed_means(diff, draws)
    image_only = diff.mean(axis=0)
    return dict(
        estimate=float(per_seed.mean()),
        per_seed=[float(d) for d in per_seed],
        seed_sd=float(per_seed.std(ddof=1)) if per_seed.size > 1 else None,
        num_seeds=int(per_seed.size),
        ci=list(percentile_interval(two_level, level)),
        frac_le_0=float(np.mean(two_level <= 0)),
        image_ci=list(percentile_interval(image_only, level)),
        image_frac_le_0=float(np.mean(image_only <= 0)))


def paired_voc_bootstrap(matches_a: Sequence[VOCMatches],
                         matches_b: Sequence[VOCMatches],
                         num_samples: int = 1000,
                         seed: int = 0,
                         level: float = 0.95,
                         scale: float = 100.0,
                         weights: Optional[np.ndarray] = None
                         ) -> Dict[str, dict]:
    """Two-level bootstrap of model A minus model B over paired runs, for
    the benchmark's three VOC metrics (:func:`.voc_bootstrap.voc_metrics`).

    Args:
        matches_a, matches_b (Sequence[VOCMatches]): Per seed, the matches of
            A's and B's run with that seed, all on the same test images.
        num_samples (int): Replicates B. Defaults to 1000.
        seed (int): Seed of the image weights and of the seed draws.
        level (float): Interval level. Defaults to 0.95.
        scale (float): Multiplies every metric; 100 gives AP points.
        weights (np.ndarray, optional): (B, N) image weights to use instead
            of ``bootstrap_weights(N, num_samples, seed)``.

    Returns:
        dict[str, dict]: Per metric (``mAP50``, ``AP70``, ``AP``), the
        result of :func:`difference_intervals`.
    """
    if len(matches_a) != len(matches_b) or not matches_a:
        raise ValueError('need the same number (>= 1) of runs of A and B, '
                         f'paired by seed; got {len(matches_a)} and '
                         f'{len(matches_b)}')
    num_images = matches_a[0].num_images
    if any(m.num_images != num_images for m in [*matches_a, *matches_b]):
        raise ValueError('all runs must be matched on the same test images')
    if weights is None:
        weights = bootstrap_weights(num_images, num_samples, seed)
    draws = seed_draws(len(matches_a), weights.shape[0], seed)

    def table(runs):
        samples = [voc_metrics(m, weights) for m in runs]
        points = [voc_metrics(m) for m in runs]
        return ({k: scale * np.stack([s[k] for s in samples])
                 for k in samples[0]},
                {k: scale * np.array([p[k][0] for p in points])
                 for k in points[0]})

    samples_a, point_a = table(matches_a)
    samples_b, point_b = table(matches_b)
    return {
        k: difference_intervals(samples_a[k], samples_b[k], point_a[k],
                                point_b[k], draws, level)
        for k in samples_a
    }
