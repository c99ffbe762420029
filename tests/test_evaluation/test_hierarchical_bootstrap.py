"""Two-level (seeds, then images) bootstrap of paired differences: cases
with known answers."""
import itertools

import numpy as np
import pytest

from mmdet_led.evaluation.functional import (bootstrap_weights,
                                             difference_intervals, match_voc,
                                             paired_voc_bootstrap,
                                             percentile_interval,
                                             resampled_seed_means, seed_draws,
                                             voc_metrics)

BOX = [10., 10., 110., 110.]
FAR = [300., 300., 350., 350.]


def one_image(dets):
    """Matches of one image with one object (class 0) at BOX against
    ``dets``, a list of (box, score)."""
    arr = np.array([b + [s] for b, s in dets], np.float32).reshape(-1, 5)
    ann = dict(bboxes=np.array([BOX], np.float32),
               labels=np.zeros(1, np.int64),
               bboxes_ignore=np.zeros((0, 4), np.float32),
               labels_ignore=np.zeros(0, np.int64))
    return match_voc([[arr]], [ann])


def random_matches(seed, num_imgs=30, num_classes=3):
    """Detections jittered around the objects plus background boxes."""
    rng = np.random.default_rng(seed)
    dets, anns = [], []
    for _ in range(num_imgs):
        n_gt = int(rng.integers(1, 4))
        xy = rng.uniform(0, 300, (n_gt, 2))
        gts = np.hstack([xy, xy + rng.uniform(30, 150, (n_gt, 2))])
        labels = rng.integers(0, num_classes, n_gt)
        per_cls = [[] for _ in range(num_classes)]
        for g, lab in zip(gts, labels):
            for _ in range(int(rng.integers(0, 3))):
                jit = rng.normal(0, 0.1, 4) * np.tile(g[2:] - g[:2], 2)
                per_cls[lab].append(list(g + jit) + [rng.random()])
        for _ in range(int(rng.integers(0, 4))):
            xy = rng.uniform(0, 300, 2)
            per_cls[int(rng.integers(0, num_classes))].append(
                list(xy) + list(xy + 40) + [rng.random()])
        dets.append([np.array(d, np.float32).reshape(-1, 5)
                     for d in per_cls])
        anns.append(dict(bboxes=gts.astype(np.float32), labels=labels,
                         bboxes_ignore=np.zeros((0, 4), np.float32),
                         labels_ignore=np.zeros(0, np.int64)))
    return match_voc(dets, anns)


def test_seed_level_enumerated_by_hand():
    """Per-seed differences 0, 3, 6 and no image variance; the 27 draws of
    3 seeds have means 0..6 with counts 1, 3, 6, 7, 6, 3, 1, so the
    (linearly interpolated) 2.5% / 97.5% quantiles are 0.65 and 5.35."""
    draws = np.array(list(itertools.product(range(3), repeat=3)))
    point = np.array([0., 3., 6.])
    samples = np.repeat(point[:, None], len(draws), axis=1)
    means = resampled_seed_means(samples, draws)
    assert np.bincount(means.round().astype(int)).tolist() == [
        1, 3, 6, 7, 6, 3, 1
    ]
    res = difference_intervals(samples, np.zeros_like(samples), point,
                               np.zeros(3), draws)
    assert res['estimate'] == 3.0
    assert res['per_seed'] == [0.0, 3.0, 6.0]
    assert res['seed_sd'] == pytest.approx(3.0)
    assert res['num_seeds'] == 3
    assert res['ci'] == pytest.approx([0.65, 5.35])
    assert res['frac_le_0'] == pytest.approx(1 / 27)
    assert res['image_ci'] == [3.0, 3.0]
    assert res['image_frac_le_0'] == 0.0


def test_paired_by_seed():
    """B = A - 1 in every seed and every image resample: the seed effect
    cancels in the pairs and the interval is the point 1, however much the
    seeds differ."""
    rng = np.random.default_rng(0)
    a = rng.normal(0, 5, (4, 1)) + rng.normal(0, 1, (1, 50))
    res = difference_intervals(a, a - 1, a[:, 0], a[:, 0] - 1,
                               seed_draws(4, 50))
    assert res['ci'] == pytest.approx([1, 1])
    assert res['seed_sd'] == pytest.approx(0, abs=1e-12)


def test_voc_toy_by_hand():
    """One image, one object. A: seed 0 finds it (AP 1), seed 1 ranks a
    miss above it (precision 1/2 at recall 1: 11-point and all-point AP
    1/2); B finds nothing (AP 0). Per-seed differences 100 and 50 points;
    seed means 100, 75, 50 with probabilities 1/4, 1/2, 1/4, so the 95%
    interval is [50, 100] (each end holds far more than 2.5% of 400)."""
    a = [one_image([(BOX, 0.9)]), one_image([(FAR, 0.9), (BOX, 0.8)])]
    b = [one_image([(FAR, 0.9)])] * 2
    res = paired_voc_bootstrap(a, b, num_samples=400, seed=0)
    for key in ('mAP50', 'AP70', 'AP'):
        assert res[key]['per_seed'] == pytest.approx([100, 50]), key
        assert res[key]['estimate'] == pytest.approx(75)
        assert res[key]['ci'] == pytest.approx([50, 100])
        assert res[key]['image_ci'] == pytest.approx([75, 75])
        assert res[key]['frac_le_0'] == 0


def test_zero_seed_variance_is_the_image_bootstrap():
    """Identical runs for every seed: the two-level interval equals the
    per-image interval of one pair, computed on the same image weights
    (the same RNG stream); they differ only by the rounding of a mean of
    equal numbers."""
    ma, mb = random_matches(1), random_matches(2)
    res = paired_voc_bootstrap([ma] * 3, [mb] * 3, num_samples=100, seed=5)
    weights = bootstrap_weights(ma.num_images, 100, seed=5)
    sa, sb = voc_metrics(ma, weights), voc_metrics(mb, weights)
    pa, pb = voc_metrics(ma), voc_metrics(mb)
    for key in ('mAP50', 'AP70', 'AP'):
        image = percentile_interval(100 * (sa[key] - sb[key]))
        assert res[key]['ci'] == pytest.approx(image, abs=1e-9)
        assert res[key]['image_ci'] == pytest.approx(image, abs=1e-9)
        assert res[key]['seed_sd'] == 0
        assert res[key]['estimate'] == pytest.approx(
            100 * (pa[key][0] - pb[key][0]))
        assert image[1] - image[0] > 1  # a real image spread


def test_zero_image_variance_is_the_seed_bootstrap():
    """One test image: every image resample is that image, and the
    two-level interval is the percentile interval of seed-resampled means
    of the per-seed differences, on the same seed draws."""
    rng = np.random.default_rng(3)

    def run():
        return one_image([(list(np.add(BOX, rng.normal(0, 15, 4))),
                           float(rng.random())) for _ in range(3)] +
                         [(FAR, float(rng.random()))])

    a = [run() for _ in range(5)]
    b = [run() for _ in range(5)]
    res = paired_voc_bootstrap(a, b, num_samples=200, seed=2)
    draws = seed_draws(5, 200, seed=2)
    for key in ('mAP50', 'AP70', 'AP'):
        diffs = np.array([100 * (voc_metrics(x)[key][0] -
                                 voc_metrics(y)[key][0])
                          for x, y in zip(a, b)])
        assert res[key]['per_seed'] == pytest.approx(diffs)
        expected = percentile_interval(diffs[draws].mean(axis=1))
        assert res[key]['ci'] == pytest.approx(expected, abs=1e-12)
        assert res[key]['image_ci'] == pytest.approx([diffs.mean()] * 2)
    assert np.ptp(res['AP']['per_seed']) > 1  # the seeds do differ


def test_seeded_and_reproducible():
    ma = [random_matches(s) for s in (10, 11, 12)]
    mb = [random_matches(s) for s in (20, 21, 22)]
    first = paired_voc_bootstrap(ma, mb, num_samples=60, seed=0)
    assert paired_voc_bootstrap(ma, mb, num_samples=60, seed=0) == first
    other = paired_voc_bootstrap(ma, mb, num_samples=60, seed=1)
    assert other['mAP50']['ci'] != first['mAP50']['ci']
    assert other['mAP50']['estimate'] == first['mAP50']['estimate']
    # resampling seeds widens the interval beyond the image-only one
    for key in ('mAP50', 'AP'):
        two, img = first[key]['ci'], first[key]['image_ci']
        assert two[1] - two[0] > img[1] - img[0]


def test_seed_draws_independent_of_image_weights():
    draws = seed_draws(3, 1000, seed=0)
    assert draws.shape == (1000, 3)
    assert set(np.unique(draws)) == {0, 1, 2}
    assert not np.array_equal(
        draws, np.random.default_rng(0).integers(0, 3, size=(1000, 3)))
    np.testing.assert_array_equal(draws, seed_draws(3, 1000, seed=0))


def test_unpaired_inputs_are_refused():
    m = one_image([(BOX, 0.9)])
    with pytest.raises(ValueError, match='paired by seed'):
        paired_voc_bootstrap([m, m], [m])
    with pytest.raises(ValueError, match='same test images'):
        paired_voc_bootstrap([m], [random_matches(0)])
