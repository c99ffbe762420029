"""The benchmark's evidence over seeds: the ci part's two-level interval,
targets judged on it, seeds needed, the report's rows and the machine
record in every result's meta."""
import math
from types import SimpleNamespace

import numpy as np
import pytest
from harness_fixtures import fixture_results

from benchmarks.harness import meta
from benchmarks.harness.analyses.ci import difference, paired_by_seed
from benchmarks.harness.registry import BOOTSTRAP_SEED
from benchmarks.harness.report import led_ssd_rows, machines
from benchmarks.harness.seed_planning import plan, seed_planning
from benchmarks.harness.summary import judge, make_summary
from mmdet_led.evaluation.functional import difference_intervals, seed_draws

METRICS = ('mAP50', 'AP70', 'AP')


def run(key, seed):
    return SimpleNamespace(name=f'{key}_s{seed}', seed=seed)


def stores(rng, runs, mode, num_samples=200):
    """Made-up bootstrap samples and full-set values (fractions) per run."""
    samples, point = {}, {}
    for r in runs:
        base = rng.uniform(0.2, 0.3)
        samples[r.name] = {mode: {k: base + rng.normal(0, 0.01, num_samples)
                                  for k in METRICS}}
        point[r.name] = {mode: {k: base for k in METRICS}}
    return samples, point


def test_led_ssd_two_level_pairs_runs_by_seed():
    rng = np.random.default_rng(0)
    led = [run('led', s) for s in (0, 1, 2)]
    ssd = [run('ssd', s) for s in (2, 0, 1)]  # another order
    s_led, p_led = stores(rng, led, 'gaussian')
    s_ssd, p_ssd = stores(rng, ssd, 'default')
    samples, point = {**s_led, **s_ssd}, {**p_led, **p_ssd}
    assert [(a.seed, b.seed) for a, b in paired_by_seed(led, ssd)] == [
        (0, 0), (1, 1), (2, 2)
    ]
    out = difference(samples, point, led, 'gaussian', ssd, 'default')
    for k in METRICS:

        def table(store, key, mode):
            return 100 * np.array(
                [store[f'{key}_s{s}'][mode][k] for s in (0, 1, 2)])

        expected = difference_intervals(
            table(samples, 'led', 'gaussian'),
            table(samples, 'ssd', 'default'), table(point, 'led', 'gaussian'),
            table(point, 'ssd', 'default'), seed_draws(3, 200,
                                                       BOOTSTRAP_SEED))
        got = out[k]
        assert got['ci95_two_level'] == expected['ci']
        assert got['frac_le_0_two_level'] == expected['frac_le_0']
        assert list(got['per_seed']) == ['0', '1', '2']
        assert list(got['per_seed'].values()) == pytest.approx(
            expected['per_seed'])
        assert got['num_seeds'] == 3
        assert got['estimate'] == pytest.approx(expected['estimate'])
        # the per-image interval of the seed means, as before
        assert got['ci95'] == pytest.approx(expected['image_ci'])
        # the seeds differ by far more than the images: wider
        two, img = got['ci95_two_level'], got['ci95']
        assert two[1] - two[0] > 3 * (img[1] - img[0])


def test_scoring_pairs_a_run_with_itself():
    rng = np.random.default_rng(1)
    led = [run('led', s) for s in (0, 1)]
    samples, point = stores(rng, led, 'cls')
    for r in led:  # gaussian = cls + 1 point in every resample
        samples[r.name]['gaussian'] = {
            k: v + 0.01
            for k, v in samples[r.name]['cls'].items()
        }
        point[r.name]['gaussian'] = {
            k: v + 0.01
            for k, v in point[r.name]['cls'].items()
        }
    out = difference(samples, point, led, 'gaussian', led, 'cls')
    for k in METRICS:
        assert out[k]['ci95_two_level'] == pytest.approx([1, 1])
        assert out[k]['per_seed'] == pytest.approx({'0': 1, '1': 1})


@pytest.mark.parametrize('ci,need,strict,status', [
    ([1.0, 3.0], 1.0, False, 'met'),
    ([0.99, 3.0], 1.0, False, 'unresolved'),
    ([-2.0, 0.99], 1.0, False, 'missed'),
    ([-2.0, 1.0], 1.0, False, 'unresolved'),
    ([0.0, 1.0], 0.0, True, 'unresolved'),
    ([0.01, 1.0], 0.0, True, 'met'),
    ([-1.0, 0.0], 0.0, True, 'missed'),
])
def test_judge(ci, need, strict, status):
    assert judge(ci, need, strict) == status


def test_plan_by_hand():
    """Differences 1, 2, 3: mean 2, SD 1; n = 3 gives a half-width of
    t(0.975, 2) / sqrt(3) = 2.484; a half-width below 1 needs 7 seeds
    (6: 2.571 / 2.449 = 1.05, 7: 2.447 / 2.646 = 0.92), 80% power at
    effect = SD needs 10 (Cohen's d = 1)."""
    p = plan([1.0, 2.0, 3.0], 1.0)
    assert p['mean'] == 2.0 and p['sd'] == 1.0 and p['num_seeds'] == 3
    assert p['half_width'] == pytest.approx(4.3027 / math.sqrt(3), abs=1e-4)
    assert p['seeds_for_half_width']['sd'] == 7
    assert p['seeds_for_power80']['sd'] == 10
    assert p['sd_upper95'] == pytest.approx(math.sqrt(2 / 0.10259),
                                            rel=1e-4)
    assert p['seeds_for_half_width']['sd_upper95'] > 7
    assert plan([0.5], 1.0) == dict(effect=1.0, num_seeds=1, mean=0.5,
                                    sd=None)


def test_seed_planning_and_report_rows_from_results():
    results = fixture_results()  # LED = SSD + 2 per seed, SSD seed 2 lost
    planned = seed_planning(results, [0, 1, 2])
    assert planned['mAP50']['per_seed'] == {'0': 2.0, '1': 2.0}
    assert planned['AP70']['effect'] == 2.0
    assert planned['mAP50']['sd'] == 0.0
    assert seed_planning({}, [0, 1]) is None
    summary = make_summary(results, [0, 1, 2], 'abc')
    assert summary['seed_planning'] == planned
    assert summary['ci95_two_level']['led-ssd/mAP50'] == [1.0, 3.9]
    rows = {r[0]: r for r in led_ssd_rows(results, summary, [0, 1, 2])}
    assert rows['mAP50'][1:6] == [
        's0 +2.00, s1 +2.00', '+2.00', '0.00', '[+1.00, +3.90]',
        '[+0.50, +3.50]'
    ]
    assert rows['mAP50'][6:] == ['+1.0', '2 (2)', '2 (2)']
    assert rows['AP'][6:] == ['—'] * 3


def test_machines_and_meta_record_the_environment(monkeypatch):
    env = dict(cpu_model='CPU X', onednn=dict(isa='Intel AVX2'),
               aten_cpu_capability='AVX2', torch_threads=1, torch='2.13',
               kernel_env={})
    results = dict(train_a_s0=dict(env=env), train_a_s1=dict(env=env),
                   train_b_s0=dict(), eval_a_s0=dict(env=env))
    assert machines(results) == [
        'CPU X; oneDNN ISA Intel AVX2; ATen AVX2; 1 threads; torch 2.13 '
        '(2 runs)'
    ]
    monkeypatch.setattr(meta, 'collect_env_info', lambda: env)
    bench = SimpleNamespace(commit=dict(commit='abc', dirty=False),
                            quick=False)
    part = SimpleNamespace(name='ci', deps=[])
    assert meta.base_meta(bench, part, 0.0)['env'] == env


def test_difference_is_over_the_seeds_both_models_have():
    """A has seeds 0-1, B only seed 0: the estimate is A's seed 0 minus
    B's (0.25 - 0.20), not A's two-seed mean (0.30) minus B's, so that it
    agrees with the seed-paired interval; without a shared seed the seed
    means of each are compared."""
    a, b, c = [run('a', 0), run('a', 1)], [run('b', 0)], [run('c', 5)]
    values = {'a_s0': 0.25, 'a_s1': 0.35, 'b_s0': 0.20, 'c_s5': 0.10}
    point = {n: {'m': dict(AP=v)} for n, v in values.items()}
    samples = {n: {'m': dict(AP=np.full(20, v))} for n, v in values.items()}
    d = difference(samples, point, a, 'm', b, 'm', ('AP', ))['AP']
    assert np.isclose(d['estimate'], 5.0)
    assert np.allclose(d['ci95'], [5.0, 5.0])
    assert np.allclose(d['ci95_two_level'], [5.0, 5.0])
    assert d['num_seeds'] == 1
    d = difference(samples, point, a, 'm', c, 'm', ('AP', ))['AP']
    assert np.isclose(d['estimate'], 20.0)
    assert 'ci95_two_level' not in d
