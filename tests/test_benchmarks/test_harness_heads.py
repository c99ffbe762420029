"""The comparisons of heads (``--registry heads``, ``heads-atss``): their part
graphs, targets, latency ratios and reports, on constructed results."""
import json

import numpy as np
from harness_fixtures import make_bench

from benchmarks.harness.analyses.ci import difference
from benchmarks.harness.analyses.heads import val_cell
from benchmarks.harness.analyses.sweep import best_cell, power_check
from benchmarks.harness.heads_report import (heads_targets, latency_ratios,
                                             make_heads_summary,
                                             seed_mean_sd, sweep_rows,
                                             write_heads_report)
from benchmarks.harness.cli import bench_from_args, parse_args
from benchmarks.harness.common import ROOT
from benchmarks.harness.registry import (ATSS_COMPARISONS, ATSS_RUNS,
                                         COMPARISONS, HEADS_COMPARISONS,
                                         HEADS_RUNS, HEADS_TARGETS)
from mmdet_led.engine import twin_mismatch


def heads_bench(tmp_path, seeds=(0, 1)):
    return make_bench(
        tmp_path, seeds=seeds, registry=HEADS_RUNS,
        comparisons=HEADS_COMPARISONS)


def test_heads_graph_pairs_seeds_and_twins(tmp_path):
    bench = heads_bench(tmp_path)
    assert bench.compared_keys == [
        'retinanet', 'led-retinanet', 'fcos', 'led-fcos', 'atss', 'gfl'
    ]
    trains = [p for p in bench.parts if p.startswith('train/')]
    # the val sweep's runs first, then every model's seed 0 before any
    # seed 1, twins before their LED head
    val_runs = ['retinanet-trainsplit_s0', 'led-retinanet-trainsplit_s0',
                'fcos-trainsplit_s0', 'led-fcos-trainsplit_s0']
    assert trains[:4] == [f'train/{r}' for r in val_runs]
    assert trains[4:10] == [f'train/{k}_s0' for k in bench.compared_keys]
    assert trains[10:] == [f'train/{k}_s1' for k in bench.compared_keys]
    assert bench.parts['train/led-fcos_s1'].deps == ['train/fcos_s1']
    assert bench.parts['train/gfl_s1'].deps == []
    assert bench.parts['train/led-fcos-trainsplit_s0'].deps == [
        'train/fcos-trainsplit_s0']
    run = bench.run_named('led-fcos-trainsplit_s0')
    assert (run.train_split, run.eval_split) == ('train', 'val')
    sweep = bench.parts['sweep/led-fcos']
    assert sweep.run is run and sweep.deps == [
        'eval/led-fcos-trainsplit_s0', 'eval/fcos-trainsplit_s0']
    assert {p for p in bench.parts if p.startswith('sweep')} == {
        'sweep/led-retinanet', 'sweep/led-fcos'}
    assert bench.parts['heads'].aggregate
    assert sorted(bench.parts['heads'].deps) == sorted(
        [f'eval/{k}_s{s}' for k in bench.compared_keys for s in (0, 1)] +
        ['sweep/led-retinanet', 'sweep/led-fcos'])
    # none of the CPU benchmark's LED-vs-SSD parts
    assert not {'ci', 'scoring', 'calibration', 'speed', 'sweep'} & set(
        bench.parts)
    # an LED head resumes from its twin's step 1: the configs agree on it
    for led, twin in (('led-retinanet', 'retinanet'), ('led-fcos', 'fcos'),
                      ('led-fcos-trainsplit', 'fcos-trainsplit')):
        assert twin_mismatch(
            bench.build_config(bench.run_named(f'{twin}_s0')),
            bench.build_config(bench.run_named(f'{led}_s0'))) == []


def test_atss_comparison_is_a_report_of_its_own(tmp_path):
    """LED-ATSS against ATSS: its own runs, sweep, targets (the LE cost
    of LED-ATSS only), title and folder."""
    bench = make_bench(tmp_path, seeds=(0, 1), registry=ATSS_RUNS,
                       comparisons=ATSS_COMPARISONS)
    leds = [
        'led-atss', 'led-atss-detach', 'led-atss-pred3', 'led-atss-rank',
        'led-atss-wide', 'led-atss-outputs', 'led-atss-perlevel',
        'led-atss-boxfeat', 'led-atss-densefg'
    ]
    assert bench.compared_keys == ['atss'] + leds
    trains = [p for p in bench.parts if p.startswith('train/')]
    # the variants: their train -> val runs and sweeps only
    assert trains == [
        f'train/{k}-trainsplit_s0' for k in ['atss'] + leds
    ] + [f'train/{k}_s{s}' for s in (0, 1) for k in ('atss', 'led-atss')]
    assert bench.parts['train/led-atss_s1'].deps == ['train/atss_s1']
    assert [p for p in bench.parts if p.startswith('sweep')] == [
        f'sweep/{k}' for k in leds]
    for led in leds:
        assert twin_mismatch(
            bench.build_config(bench.run_named('atss-trainsplit_s0')),
            bench.build_config(bench.run_named(f'{led}-trainsplit_s0'))) == []
    summary = write_heads_report(bench)
    assert [t['name'] for t in summary['targets']] == [
        f'led-atss / plain twin batch-1 CPU latency ({k})'
        for k in ('net', 'full')
    ]
    assert list(summary['latency']) == ['led-atss']
    text = (tmp_path / 'README.md').read_text()
    assert text.startswith('# LE on FPN heads: LED-ATSS against ATSS (')
    # the variants leave the test tables for one line naming them
    assert '| led-atss | 0/2 |' in text
    assert not any(f'| {k} |' in text for k in leds[1:])
    assert 'Run on train -> val only, no test seeds' in text
    assert ', '.join(f'`{k}`' for k in leds[1:]) in text
    assert '`python tools/benchmark.py --registry heads-atss`' in text
    assert COMPARISONS['heads-atss']['about'] in text
    # the command line's defaults: its folder, the heads' work dirs
    cli = bench_from_args(parse_args(['--registry', 'heads-atss']))
    assert cli.results_dir == f'{ROOT}/benchmarks/heads_atss/results'
    assert cli.work_root == f'{ROOT}/work_dirs/benchmark_heads'


def test_difference_of_chosen_metrics():
    """A - B per metric, here by hand: seed means 0.30 - 0.20 and per seed
    (0.3 - 0.2, 0.3 - 0.2) in AP points."""

    class Run:

        def __init__(self, name, seed):
            self.name, self.seed = name, seed

    a, b = [Run('a_s0', 0), Run('a_s1', 1)], [Run('b_s0', 0), Run('b_s1', 1)]
    point = {
        r.name: {'default': dict(AP75=v)}
        for r, v in zip(a + b, (0.3, 0.3, 0.2, 0.2))
    }
    samples = {
        n: {'default': dict(AP75=np.full(50, v['default']['AP75']))}
        for n, v in point.items()
    }
    d = difference(samples, point, a, 'default', b, 'default', ('AP75', ))
    assert list(d) == ['AP75']
    assert np.isclose(d['AP75']['estimate'], 10.0)
    assert np.allclose(d['AP75']['ci95'], [10.0, 10.0])
    assert np.allclose(d['AP75']['ci95_two_level'], [10.0, 10.0])
    assert d['AP75']['num_seeds'] == 2
    assert np.allclose(list(d['AP75']['per_seed'].values()), [10.0, 10.0])


def le_cost_file(tmp_path):
    path = tmp_path / 'le_cost.json'
    b1 = dict(ratio_net=1.168, ratio_full=1.386)
    path.write_text(json.dumps(dict(
        device='CPU x', date='2026-12-05',
        pair_dates=dict(retinanet='2026-12-06'),
        pairs=dict(
            retinanet=dict(gmacs=dict(ssd=0.5, led=0.6),
                           batches={'1': b1}),
            fcos=dict(gmacs=dict(ssd=0.4, led=0.42),
                      batches={'1': dict(ratio_net=1.09,
                                         ratio_full=1.10)})))))
    return str(path)


def test_latency_ratios_and_their_floor(tmp_path):
    lat = latency_ratios(le_cost_file(tmp_path), str(tmp_path / 'none'))
    assert lat['led-retinanet']['pair'] == 'retinanet'
    assert np.isclose(lat['led-retinanet']['mac_floor'], 1.2)
    assert np.isclose(lat['led-fcos']['mac_floor'], 1.05)
    # a pair re-measured alone carries its own date
    assert lat['led-retinanet']['date'] == '2026-12-06'
    assert lat['led-fcos']['date'] == '2026-12-05'
    assert latency_ratios(str(tmp_path / 'none.json')) == {}
    # repeated runs of a pair: their medians
    repeats = tmp_path / 'repeats.json'
    repeats.write_text(json.dumps(dict(eager_b1_random=dict(runs=dict(
        fcos=[dict(net=1.2, full=1.0), dict(net=1.0, full=1.3),
              dict(net=1.1, full=1.1)])))))
    lat = latency_ratios(le_cost_file(tmp_path), str(repeats))
    assert lat['led-fcos']['ratio_net'] == 1.1
    assert lat['led-fcos']['ratio_full'] == 1.1
    assert lat['led-fcos']['runs'] == 3
    assert lat['led-retinanet']['ratio_net'] == 1.168


def test_targets_judged_on_the_two_level_interval(tmp_path):
    diff = {
        # met: all of the interval >= +2.0
        'led-retinanet-retinanet/AP': dict(
            estimate=2.6, ci95=[2.2, 3.0], ci95_two_level=[2.1, 3.1],
            num_seeds=5),
        # unresolved: the interval straddles +3.0
        'led-retinanet-retinanet/AP75': dict(
            estimate=3.1, ci95=[2.5, 3.7], ci95_two_level=[2.0, 4.0],
            num_seeds=5),
        # missed: all of it below 0
        'led-fcos-gfl/AP': dict(
            estimate=-1.0, ci95=[-1.5, -0.5], ci95_two_level=[-1.8, -0.2],
            num_seeds=5),
        # no seed pairs: pending
        'led-fcos-atss/AP': dict(estimate=0.5, ci95=[0.1, 0.9]),
    }
    targets = heads_targets(dict(heads=dict(differences=diff)),
                            latency_ratios(le_cost_file(tmp_path),
                                           str(tmp_path / 'none')),
                            heads_bench(tmp_path).compared_keys)
    status = {t['name'].split(' (')[0]: t['status'] for t in targets}
    assert status['led-retinanet - retinanet AP@[.5:.95]'] == 'met'
    assert status['led-retinanet - retinanet AP@0.75'] == 'unresolved'
    assert status['led-fcos - gfl AP@[.5:.95]'] == 'missed'
    assert status['led-fcos - atss AP@[.5:.95]'] == 'pending'
    assert status['led-fcos - fcos AP@[.5:.95]'] == 'pending'
    lat = {t['name']: t['status'] for t in targets if 'latency' in t['name']}
    assert lat == {
        'led-retinanet / plain twin batch-1 CPU latency (net)': 'missed',
        'led-retinanet / plain twin batch-1 CPU latency (full)': 'missed',
        'led-fcos / plain twin batch-1 CPU latency (net)': 'met',
        'led-fcos / plain twin batch-1 CPU latency (full)': 'met',
    }
    assert len(targets) == len(HEADS_TARGETS) + 4


def test_seed_mean_sd():
    assert seed_mean_sd([None, None]) == (None, None, 0)
    assert seed_mean_sd([1.0, None]) == (1.0, None, 1)
    mean, sd, n = seed_mean_sd([1.0, 3.0, None])
    assert (mean, n) == (2.0, 2) and np.isclose(sd, np.sqrt(2))


def test_report_from_results_and_from_nothing(tmp_path):
    bench = heads_bench(tmp_path)
    empty = write_heads_report(bench)
    text = (tmp_path / 'README.md').read_text()
    assert all(t['status'] == 'pending' for t in empty['targets']
               if 'latency' not in t['name'])
    assert 'Pending: the `heads` part' in text
    results = tmp_path / 'results'
    for i, key in enumerate(bench.compared_keys):
        for s in (0, 1):
            m = dict(AP=10.0 + i + s, mAP50=20.0 + i, AP70=8.0, AP75=6.0 + s)
            (results / f'eval_{key}_s{s}.json').write_text(
                json.dumps(dict(metrics=m)))
            (results / f'train_{key}_s{s}.json').write_text(
                json.dumps(dict(train_minutes=25.0 + s, max_iters=1152,
                                batch_size=16)))
    summary = make_heads_summary(
        {f'eval_gfl_s{s}': dict(metrics=dict(AP=1.0 + s)) for s in (0, 1)},
        bench)
    assert summary['models']['gfl']['AP'] == [1.0, 2.0]
    assert summary['models']['atss']['AP'] == [None, None]
    write_heads_report(bench)
    text = (tmp_path / 'README.md').read_text()
    # led-retinanet is the second model: AP 11.0 / 12.0, mean 11.50 (SD
    # 0.71); minutes 25.0 / 26.0
    assert '| led-retinanet | 2/2 | 11.50 (0.71) | 21.00 (0.00) | 8.00 ' \
        '(0.00) | 6.50 (0.71) | 25.5 |' in text
    assert '| gfl | 1 | 16.00 | 25.00 | 8.00 | 7.00 | 26.0 |' in text
    assert '1152 iterations at batch 16' in text


def val_sweep_result():
    """A heads sweep result (made-up val numbers) of a head with
    centerness: cls and the config's gaussian cell with it combined, a
    better 'power' cell with it replaced, and a cls cell without it."""

    def cell(mode, ap, ap75, centerness='combine', **kw):
        return dict(score_mode=mode, score_thr_on='cls', AP=ap, AP75=ap75,
                    mAP50=2 * ap, AP70=ap, centerness=centerness, **kw)

    grid = [cell('cls', 10.0, 8.0),
            cell('gaussian', 11.0, 9.0, loc_lambda=0.6, loc_sigma=1.0),
            cell('cls', 10.5, 8.0, 'replace'),
            cell('power', 11.5, 9.0, 'replace', loc_lambda=0.6,
                 loc_power=0.5)]
    return dict(
        run='led-fcos-trainsplit_s0', score_thr_on='cls', grid=grid,
        default=dict(loc_lambda=0.6, loc_sigma=1.0, centerness='combine'),
        power=power_check(grid, 'cls', ('AP', 'AP75')),
        best_cell=best_cell(grid, None, 'cls', ('AP', 'AP75')),
        twin=dict(run='fcos-trainsplit_s0',
                  metrics=dict(AP=9.0, mAP50=18.0, AP70=9.0, AP75=7.0)))


def test_val_sweep_rows_and_cell():
    sweep = val_sweep_result()
    assert sweep['power']['power_helps']
    assert val_cell(sweep) == dict(score_mode='power', score_thr_on='cls',
                                   loc_lambda=0.6, loc_power=0.5,
                                   centerness='replace')
    rows = sweep_rows(sweep)
    assert rows[0] == ['plain twin (`fcos-trainsplit_s0`)', '-', '9.00',
                       '18.00', '9.00', '7.00']
    # the class-score row keeps the config's centerness mode
    assert rows[1][:3] == ['LED, class score', 'cls: -, centerness combine',
                           '10.00']
    assert rows[2][:3] == [
        "LED, the config's scoring",
        'gaussian: lambda=0.6, sigma=1.0, centerness combine', '11.00'
    ]
    assert rows[-1][:3] == [
        'LED, best cell (applied on test)',
        'power: lambda=0.6, power=0.5, centerness replace', '11.50'
    ]


def test_report_shows_the_val_sweep(tmp_path):
    bench = heads_bench(tmp_path, seeds=(0, ))
    results = tmp_path / 'results'
    results.mkdir(parents=True)
    (results / 'sweep_led-fcos.json').write_text(
        json.dumps(val_sweep_result()))
    summary = write_heads_report(bench)
    assert summary['val_sweeps']['led-fcos']['power_helps']
    assert 'led-retinanet' not in summary['val_sweeps']
    text = (tmp_path / 'README.md').read_text()
    assert '**led-fcos** (`led-fcos-trainsplit_s0`' in text
    assert '| LED, best cell (applied on test) | power: lambda=0.6, ' \
        'power=0.5, centerness replace | 11.50 | 23.00 | 11.50 | 9.00 |' \
        in text
    assert "val AP is above the best gaussian cell's and its val AP@0.75" \
        in text
