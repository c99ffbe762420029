"""tools/benchmark.py: registry, part status, skip/force/stale logic, summary
with missing parts, report rendering, and the re-scoring path against
tools/test.py on a toy checkpoint."""
import copy
import importlib.util
import itertools
import json
import os.path as osp
import re
import sys

import numpy as np
import pytest

from conftest import REPO, run_tool


@pytest.fixture(scope='module')
def bm():
    spec = importlib.util.spec_from_file_location('led_benchmark_tool',
                                                  REPO / 'tools/benchmark.py')
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def make_bench(bm, tmp_path, seeds=(0, 1, 2), **kw):
    return bm.Bench(
        seeds=seeds,
        results_dir=str(tmp_path / 'results'),
        work_root=str(tmp_path / 'work'),
        readme=str(tmp_path / 'README.md'),
        **kw)


def test_report_goes_beside_its_results(bm, tmp_path):
    """A probe with its own --results-dir writes its own report and
    figures; only the default results update benchmarks/README.md."""
    probe = bm.Bench(results_dir=str(tmp_path / 'probe' / 'results'))
    assert probe.readme == str(tmp_path / 'probe' / 'README.md')
    assert probe.figures_dir == str(tmp_path / 'probe' / 'figures')
    default = bm.Bench()
    assert default.readme == osp.join(bm.ROOT, 'benchmarks', 'README.md')
    assert default.figures_dir == osp.join(bm.ROOT, 'benchmarks', 'figures')


def test_registry_and_part_graph(bm, tmp_path):
    bench = make_bench(bm, tmp_path)
    names = list(bench.parts)
    # paired SSD/LED seeds first, then the sweep run and the ablations
    assert names[:4] == [
        'train/ssd_s0', 'eval/ssd_s0', 'train/led_s0', 'eval/led_s0'
    ]
    for key in ('ssd', 'led'):
        for s in (0, 1, 2):
            assert f'train/{key}_s{s}' in names
    assert 'train/led-trainsplit_s0' in names
    assert 'train/led-trainsplit_s1' not in names  # one seed
    assert {'sweep', 'scoring', 'calibration', 'ablation', 'ci',
            'speed'} <= set(names)
    assert bench.parts['eval/led_s1'].deps == ['train/led_s1']
    # LED runs start from their SSD run's step-1 checkpoint
    assert bench.parts['train/ssd_s1'].deps == []
    assert bench.parts['train/led_s1'].deps == ['train/ssd_s1']
    assert bench.parts['train/led-trainsplit_s0'].deps == [
        'train/ssd-trainsplit_s0']
    assert bench.parts['train/abl2_s0'].deps == ['train/ssd_s0']
    assert bench.parts['sweep'].deps == ['eval/led-trainsplit_s0']
    assert bench.parts['ablation'].deps == [
        'eval/abl1_s0', 'eval/abl2_s0', 'eval/abl3_s0', 'eval/led_s0'
    ]
    # splits: choices on train/val only, everything else tested on test
    run = bench.parts['train/led-trainsplit_s0'].run
    assert (run.train_split, run.eval_split) == ('train', 'val')
    assert bench.parts['train/abl1_s0'].run.options[
        'model.bbox_head.le_module.richer_features'] is False
    assert [p for p in names if p.startswith('train/')] == [
        f'train/{r.name}' for r in bench.runs
    ]
    assert bm.select(names, ['train/led_s*']) == [
        'train/led_s0', 'train/led_s1', 'train/led_s2'
    ]


def test_jobs_take_the_first_run_whose_source_is_finished(bm, tmp_path):
    bench = make_bench(bm, tmp_path, seeds=(0, 1))
    bm.write_json(bench.result_path(bench.parts['train/ssd_s0']),
                  dict(version=bm.RESULT_VERSION))
    assert bench.status('train/ssd_s0')[0] == 'done'
    assert bench.status('train/led_s1')[0] == 'blocked'
    runs = bm.job_runs(bench, ['train/ssd_s*', 'train/led_s*'])
    assert runs == ['led_s0', 'ssd_s1', 'led_s1']
    # --force retrains a finished run, so it is queued as well
    assert bm.job_runs(bench, ['train/ssd_s*'], ['train/*']) == [
        'ssd_s0', 'ssd_s1']
    deps = {r.name: [r.init_from] for r in bench.runs if r.init_from}
    assert deps['led_s1'] == ['ssd_s1']
    # two slots: led_s0 (its SSD is done) and ssd_s1 start; led_s1 waits
    assert bm.next_job(runs, [], deps) == 'led_s0'
    assert bm.next_job(runs[1:], ['led_s0'], deps) == 'ssd_s1'
    assert bm.next_job(runs[2:], ['led_s0', 'ssd_s1'], deps) is None
    assert bm.next_job(runs[2:], ['led_s0'], deps) == 'led_s1'
    assert bm.next_job([], [], deps) is None


def test_init_from_must_name_an_earlier_ssd_run_on_the_same_split(bm):
    led = dict(config=bm.CPU_LED, seeds='all', options={}, init_from='ssd')
    ssd = dict(config=bm.CPU_SSD, seeds='all', options={})
    assert [r.init_from for r in bm.expand_runs(
        [3], dict(ssd=ssd, led=led))] == [None, 'ssd_s3']
    with pytest.raises(ValueError, match='not an earlier run'):
        bm.expand_runs([0], dict(led=led))
    with pytest.raises(ValueError, match='trains on'):
        bm.expand_runs([0], dict(ssd=dict(ssd, train='train'), led=led))
    with pytest.raises(ValueError, match='starts from another run'):
        bm.expand_runs([0], dict(
            ssd=ssd, led=led, led2=dict(led, init_from='led')))


def test_step1_checkpoint_of_an_ssd_run_is_kept(bm, tmp_path):
    bench = make_bench(bm, tmp_path, seeds=(0, ))
    led = bench.build_config(bench.run_named('led_s0'))
    assert bm.step1_iter(led) == 12 * bm.UNIT
    assert bench.keep_iters(bench.run_named('ssd_s0')) == [12 * bm.UNIT]
    assert bench.keep_iters(bench.run_named('led_s0')) == []
    ssd = bench.build_config(bench.run_named('ssd_s0'))
    hook = ssd.default_hooks.checkpoint
    assert (12 * bm.UNIT) % hook.interval == 0
    assert hook.max_keep_ckpts == -1
    assert led.default_hooks.checkpoint.max_keep_ckpts == 2
    # the CPU SSD and LED configs agree on everything step 1 depends on
    assert bm.twin_mismatch(ssd, led) == []
    other = bench.build_config(bench.run_named('ssd_s0'))
    other.optim_wrapper.optimizer.lr = 2e-3
    other.model.bbox_head.num_classes = 19
    other.model.train_cfg.neg_pos_ratio = 4
    assert bm.twin_mismatch(other, led) == [
        'optim_wrapper', 'model.bbox_head.num_classes',
        'model.train_cfg.neg_pos_ratio'
    ]
    with pytest.raises(ValueError, match='LEDPhaseHook'):
        bm.step1_iter(ssd)
    for path in ('iter_144.pth', 'iter_576.pth', 'iter_1152.pth',
                 'iter_1152.pth.tmp', 'phase1_det_iter_576.pth'):
        (tmp_path / path).write_text('')
    bm.prune_checkpoints(str(tmp_path), [576, 1152])
    assert sorted(p.name for p in tmp_path.glob('*.pth*')) == [
        'iter_1152.pth', 'iter_1152.pth.tmp', 'iter_576.pth',
        'phase1_det_iter_576.pth'
    ]


def test_optimizer_state_is_reindexed_for_the_larger_model(bm):
    """AdamW continues on the LED model exactly as on the SSD model."""
    import torch
    import torch.nn as nn

    def model(with_le):
        torch.manual_seed(0)
        mods = dict(a=nn.Linear(3, 2), b=nn.Linear(2, 2))
        if with_le:  # registered between the two SSD layers
            mods = dict(a=mods['a'], le=nn.Linear(2, 1), b=mods['b'])
        return nn.ModuleDict(mods)

    def step(m, opt, x):
        opt.zero_grad()
        m['b'](m['a'](x)).square().sum().backward()
        opt.step()

    x = torch.arange(6.).reshape(2, 3)
    ssd, led = model(False), model(True)
    opt = torch.optim.AdamW(ssd.parameters(), lr=0.1)
    step(ssd, opt, x)
    names = [[n for n, _ in m.named_parameters()] for m in (ssd, led)]
    assert names[1] == ['a.weight', 'a.bias', 'le.weight', 'le.bias',
                        'b.weight', 'b.bias']
    # a copy, as from a checkpoint file (state_dict() shares the moments)
    state = bm.remap_optimizer_state(
        copy.deepcopy(opt.state_dict()), *names)
    assert sorted(state['state']) == [0, 1, 4, 5]
    assert state['param_groups'][0]['params'] == list(range(6))
    led.load_state_dict(ssd.state_dict(), strict=False)
    opt_led = torch.optim.AdamW(led.parameters(), lr=0.1)
    opt_led.load_state_dict(state)
    step(ssd, opt, x)
    step(led, opt_led, x)
    for key, value in ssd.state_dict().items():
        assert torch.equal(led.state_dict()[key], value), key
    with pytest.raises(ValueError, match='missing'):
        bm.remap_optimizer_state(opt.state_dict(), names[0], ['a.weight'])
    two = dict(opt.state_dict(), param_groups=[
        dict(opt.state_dict()['param_groups'][0], params=[0, 1]),
        dict(opt.state_dict()['param_groups'][0], params=[2, 3])])
    with pytest.raises(ValueError, match='one parameter'):
        bm.remap_optimizer_state(two, *names)
    # one group per parameter (paramwise_cfg): the LE layer at 10x the LR
    # is fine, a layer of the step-1 model at another LR is not
    groups = [dict(params=[i], lr=0.1 * (10 if 'le' in n else 1),
                   weight_decay=0.01) for i, n in enumerate(names[1])]
    mults = bm.group_mults(groups, dict(lr=0.1, weight_decay=0.01))
    assert [m['lr'] for m in mults] == [1, 1, 10, 10, 1, 1]
    assert mults[2]['initial_lr'] == 10 and mults[2]['weight_decay'] == 1
    src = copy.deepcopy(opt.state_dict())
    src['param_groups'][0]['initial_lr'] = 0.1
    state = bm.remap_optimizer_state(src, names[0], names[1], groups, mults)
    assert [g['params'] for g in state['param_groups']] == [[i]
                                                            for i in range(6)]
    assert [g['lr'] for g in state['param_groups']] == pytest.approx(
        [0.1, 0.1, 1.0, 1.0, 0.1, 0.1])
    assert state['param_groups'][2]['initial_lr'] == pytest.approx(1.0)
    assert state['param_groups'][2]['betas'] == (0.9, 0.999)
    sched = bm.remap_scheduler_state(
        dict(param_name='lr', base_values=[0.1], _last_value=[0.01],
             last_step=3), mults)
    assert sched['base_values'] == pytest.approx([0.1, 0.1, 1, 1, 0.1, 0.1])
    assert sched['_last_value'][2] == pytest.approx(0.1)
    assert sched['last_step'] == 3
    bad = [dict(m, lr=10.0) for m in mults]
    with pytest.raises(ValueError, match='a.weight'):
        bm.remap_optimizer_state(src, names[0], names[1], groups, bad)


def test_run_config_overrides(bm, tmp_path):
    bench = make_bench(
        bm,
        tmp_path,
        seeds=[3],
        data_root='data/toy/',
        unit=1,
        cfg_options={'optim_wrapper.optimizer.lr': 0.01},
        split_files={'test': 'VOC2007/ImageSets/Main/test_small.txt'})
    bench.batch_size, bench.num_workers = 2, 0
    run = bench.parts['train/abl1_s3'].run
    cfg = bench.build_config(run)
    assert cfg.train_cfg.max_iters == 24
    assert [p['end'] for p in cfg.custom_hooks[0].phases] == [12, 24]
    assert [p['end'] for p in cfg.led_3step_phases] == [12, 16, 24]
    assert cfg.param_scheduler[1].periods == [11, 4, 8]
    assert cfg.param_scheduler[0].end == cfg.param_scheduler[1].begin == 1
    assert cfg.param_scheduler[1].end == 24
    assert cfg.randomness.seed == 3
    assert cfg.optim_wrapper.optimizer.lr == 0.01
    assert cfg.model.bbox_head.le_module.richer_features is False
    assert cfg.model.bbox_head.loss_le_fine.sharp is False
    assert cfg.model.test_cfg.score_mode == 'product'
    assert cfg.train_dataloader.dataset.data_root == 'data/toy/'
    assert cfg.train_dataloader.dataset.ann_file.endswith('trainval.txt')
    assert cfg.test_dataloader.dataset.ann_file.endswith('test_small.txt')
    assert cfg.train_dataloader.batch_size == 2
    assert cfg.val_cfg is None  # no validation during training
    sweep_run = bench.parts['train/led-trainsplit_s3'].run
    cfg = bench.build_config(sweep_run)
    assert cfg.train_dataloader.dataset.ann_file.endswith('/train.txt')
    assert cfg.test_dataloader.dataset.ann_file.endswith('/val.txt')


def _fake(result):
    calls = []
    counter = itertools.count()

    def fn(bench, part):
        calls.append(part.name)
        return dict(
            result,
            wall_time_s=0.0,
            finished=next(counter),  # a redone part has other content
            inputs=bench.input_fingerprints(part),
            run=part.name)

    return fn, calls


def test_skip_force_stale_and_blocked(bm, tmp_path):
    bench = make_bench(bm, tmp_path, seeds=[0])
    fn, calls = _fake(dict(metrics=dict(mAP50=1.0, AP70=0.5)))
    for part in bench.parts.values():
        part.fn = fn
    assert bench.status('train/ssd_s0')[0] == 'ready'
    assert bench.status('train/led_s0') == ('blocked',
                                            'needs train/ssd_s0')
    assert bench.status('eval/led_s0') == ('blocked',
                                           'needs train/led_s0')
    assert bench.status('scoring')[0] == 'blocked'
    out = bm.run_parts(bench, ['train/led_s0', 'eval/led_s0', 'scoring'])
    assert calls == [] and out['train/led_s0'].startswith('blocked')
    out = bm.run_parts(bench, ['train/ssd_s0', 'train/led_s0', 'eval/led_s0',
                               'scoring'])
    assert calls == ['train/ssd_s0', 'train/led_s0', 'eval/led_s0',
                     'scoring']
    assert out['scoring'] == 'done'
    assert bench.status('eval/led_s0')[0] == 'done'
    # re-running skips finished parts
    calls.clear()
    out = bm.run_parts(bench, ['train/led_s0', 'eval/led_s0', 'scoring'])
    assert calls == [] and set(out.values()) == {'skipped (done)'}
    # --force redoes the part (its work dir is deleted first)
    work = tmp_path / 'work' / 'led_s0'
    work.mkdir(parents=True)
    (work / 'old.pth').write_text('x')
    calls.clear()
    bm.run_parts(bench, ['train/led_s0'], force=['train/led_s0'])
    assert calls == ['train/led_s0'] and not work.exists()
    # ... which makes its dependants stale, and they re-run by themselves
    assert bench.status('eval/led_s0')[0] == 'stale'
    calls.clear()
    bm.run_parts(bench, ['eval/*', 'scoring'])
    assert calls == ['eval/ssd_s0', 'eval/led_s0', 'scoring']
    # an aggregate part re-runs when more of its inputs are done
    assert bench.status('calibration')[0] == 'ready'
    bm.run_parts(bench, ['calibration'])
    assert bench.status('calibration')[0] == 'done'
    # retraining an SSD run makes the LED runs that start from it stale;
    # they are retrained from scratch (work dir deleted)
    calls.clear()
    bm.run_parts(bench, ['train/ssd_s0'], force=['train/ssd_s0'])
    assert bench.status('train/led_s0') == (
        'stale', 'inputs changed since it ran')
    work.mkdir(parents=True)
    bm.run_parts(bench, ['train/led_s0', 'eval/ssd_s0'])
    assert calls == ['train/ssd_s0', 'eval/ssd_s0', 'train/led_s0']
    assert not work.exists()
    assert bench.status('train/led_s0')[0] == 'done'
    assert bench.status('calibration')[0] == 'stale'
    # a result whose checkpoint was deleted by hand is not done
    path = tmp_path / 'results' / 'train_abl2_s0.json'
    path.write_text(json.dumps(dict(
        checkpoint=str(tmp_path / 'gone.pth'),
        inputs=bench.input_fingerprints(bench.parts['train/abl2_s0']))))
    assert bench.status('train/abl2_s0') == (
        'stale', f'{tmp_path / "gone.pth"} is missing')
    # a failing part is reported and the rest goes on
    bench.parts['speed'].fn = lambda b, p: 1 / 0
    out = bm.run_parts(bench, ['speed', 'train/abl1_s0'])
    assert out == {'speed': 'failed', 'train/abl1_s0': 'done'}
    assert bench.status('speed')[0] == 'ready'


def test_list_cli(bm, tmp_path, capsys):
    assert bm.main([
        '--list', '--results-dir',
        str(tmp_path / 'r'), '--work-root',
        str(tmp_path / 'w'), '--parts', 'train/*', 'speed'
    ]) == 0
    out = capsys.readouterr().out
    assert re.search(r'train/ssd_s2\s+ready', out)
    assert re.search(r'speed\s+ready', out)
    assert 'eval/' not in out


def test_summary_with_missing_parts_is_null(bm):
    summary = bm.make_summary({}, [0, 1, 2], 'abc')
    assert summary['commit'] == 'abc'
    assert summary['ssd'] == {'mAP50': None, 'AP70': None, 'AP': None}
    assert summary['led'] == {'mAP50': None, 'AP70': None, 'AP': None}
    assert summary['scoring_same_weights'] is None
    assert summary['pearson_iou'] is None
    assert summary['latency_ratio_led_over_ssd'] == dict(
        vgg16_b1=None, vgg16_b8=None, cpu_model_b1=None)
    assert summary['train_minutes'] == {}
    assert summary['ci95'] is None
    assert {t['status'] for t in summary['targets']} == {'pending'}
    json.dumps(summary)  # serializable


def fixture_results(seeds=(0, 1, 2), missing=('eval_ssd_s2', )):
    """Result JSONs of a finished benchmark (made-up numbers)."""
    classes = ['car', 'dog']
    res = {}
    for key, base in (('ssd', 25.0), ('led', 27.0)):
        for s in seeds:
            m = dict(mAP50=base + s, AP70=base / 2 + s, AP=base / 3)
            res[f'eval_{key}_s{s}'] = dict(
                metrics=m,
                split='test',
                per_class_AP50=dict(car=m['mAP50'], dog=None),
                test_cfg=dict(score_mode='gaussian' if key == 'led' else
                              None))
            res[f'train_{key}_s{s}'] = dict(
                run=f'{key}_s{s}',
                config=f'configs/{key}.py',
                seed=s,
                max_iters=480,
                train_minutes=20.0 + s * 6,
                sessions=[{}],
                checkpoint=f'work_dirs/benchmark/{key}_s{s}/iter_480.pth',
                config_dumped=f'work_dirs/benchmark/{key}_s{s}/config.py')
    for name in missing:
        res.pop(name)
    modes = dict(cls=26.0, product=27.0, gaussian=27.5, gaussian_val=27.8)
    res['scoring'] = dict(
        runs=['led_s0', 'led_s1'],
        variants=dict(gaussian_val=dict(loc_lambda=0.8, loc_sigma=2.0)),
        per_seed={
            r: {m: dict(mAP50=v, AP70=v / 2, AP=v / 3)
                for m, v in modes.items()}
            for r in ('led_s0', 'led_s1')
        },
        mean={m: dict(mAP50=v, AP70=v / 2, AP=v / 3)
              for m, v in modes.items()})
    corr = lambda r: dict(pearson=r, spearman=r - 0.01, n=100)  # noqa
    bins = dict(
        edges=list(np.linspace(0, 1, 11)),
        counts=[1] * 10,
        mean_pred=[0.05 + 0.1 * i for i in range(10)],
        mean_true=[0.1 * i for i in range(10)],
        std_true=[0.1] * 10,
        ece=0.05)
    led_run = dict(
        model='led',
        num_images=431,
        num_dets=100,
        correlations={
            s: corr(r)
            for s, r in dict(
                conf_cls=0.4,
                pred_iou=0.62,
                iou_derived=0.6,
                conf_loc=0.63,
                conf_final=0.5).items()
        },
        bins={s: bins
              for s in ('conf_cls', 'pred_iou', 'conf_loc')})
    res['calibration'] = dict(
        runs=['led_s0', 'ssd_s0'],
        definition='pre-NMS detections ...',
        per_run=dict(
            led_s0=led_run,
            ssd_s0=dict(
                model='ssd',
                num_dets=100,
                correlations=dict(conf_cls=corr(0.3)),
                bins=dict(conf_cls=bins))),
        mean_led={
            s: dict(pearson=r, spearman=r)
            for s, r in dict(
                conf_cls=0.4,
                pred_iou=0.62,
                iou_derived=0.6,
                conf_loc=0.63,
                conf_final=0.5,
                ssd_conf_cls=0.3).items()
        })
    res['sweep'] = dict(
        run='led-trainsplit_s0',
        criterion='max val mAP50',
        default=dict(loc_lambda=0.6, loc_sigma=1.0),
        chosen=dict(loc_lambda=0.8, loc_sigma=2.0),
        grid=[dict(score_mode='cls', mAP50=20, AP70=9, AP=8)] + [
            dict(
                score_mode='gaussian',
                loc_lambda=lam,
                loc_sigma=sig,
                mAP50=20 + lam + sig,
                AP70=10,
                AP=9) for lam in (0.4, 0.6, 0.8, 1.0)
            for sig in (0.5, 1.0, 2.0)
        ])
    res['ablation'] = dict(
        note='small-scale',
        seed=0,
        rows=[
            dict(row='base', run='abl1_s0', score_mode='product',
                 mAP50=24.0, AP70=10.0, AP=9.0),
            dict(row='+ RF', run=None, score_mode='product')
        ],
        ssd=dict(row='SSD (no LE)', run='ssd_s0', mAP50=25.0, AP70=12.5,
                 AP=8.3))
    res['ci'] = dict(
        method='percentile bootstrap',
        differences={
            'led-ssd/mAP50': dict(estimate=2.0, ci95=[0.5, 3.5]),
            'led-ssd/AP70': dict(estimate=2.0, ci95=[-0.5, 4.5]),
            'gaussian-cls/mAP50': dict(estimate=1.5, ci95=[0.7, 2.2]),
        })
    batches = {
        str(b): dict(
            ssd=dict(net_ms=10.0 * b, full_ms=12.0 * b),
            led=dict(net_ms=10.5 * b, full_ms=12.6 * b),
            ratio_net=1.05,
            ratio_full=1.05)
        for b in (1, 8)
    }
    pair = lambda: dict(  # noqa
        ssd_config='a.py',
        led_config='b.py',
        params=dict(ssd=1e6, led=1.1e6, le_module=1e5),
        gmacs=dict(led=1.0, le_module=0.05),
        batches=batches,
        train_step=dict(
            ssd=dict(step_ms=1000.0), led=dict(step_ms=1150.0), ratio=1.15,
            batch=8),
        memory={
            '1': dict(ssd=dict(peak_rss_mb=500.0), led=dict(
                peak_rss_mb=510.0), metric='peak_rss_mb', ratio=1.02)
        })
    res['speed'] = dict(
        command='python tools/benchmark_speed.py ...',
        speed=dict(
            device='cpu (2 threads)',
            torch='2.13',
            runs=30,
            warmup=5,
            pairs=dict(vgg16=pair(), cpu=pair())))
    res['recipe_search'] = [
        dict(name='v1', config='a.py', iterations=480, minutes=12.0,
             val_mAP50=10.5, notes='base', curve=[[4, 5.0], [12, 10.5]]),
        dict(name='v2', overrides={'lr': 0.06}, iterations=480,
             minutes=12.5, val_mAP50=11.0, notes='a|b')
    ]
    return res


def test_summary_and_report_from_fixtures(bm, tmp_path):
    results = fixture_results()
    summary = bm.make_summary(results, [0, 1, 2], 'abc')
    assert summary['ssd']['mAP50'] == [25.0, 26.0, None]  # missing seed
    assert summary['led']['mAP50'] == [27.0, 28.0, 29.0]
    assert summary['scoring_same_weights']['gaussian'] == dict(
        mAP50=27.5, AP70=13.75)
    assert summary['pearson_iou']['conf_loc'] == 0.63
    assert summary['latency_ratio_led_over_ssd'] == dict(
        vgg16_b1=1.05, vgg16_b8=1.05, cpu_model_b1=1.05)
    assert summary['train_minutes']['led_s2'] == 32.0
    assert summary['ci95']['led-ssd/mAP50'] == [0.5, 3.5]
    status = {t['name']: t['status'] for t in summary['targets']}
    assert status['CPU SSD baseline mAP@0.5 on test (mean over seeds)'] == \
        'met'  # (25 + 26) / 2
    assert status['LED - SSD mAP@0.5 (mean over seeds)'] == 'met'  # 2.5
    assert status['corr(conf_loc, IoU) - corr(conf_cls, IoU)'] == 'met'
    assert status['corr(conf_loc, true IoU)'] == 'met'
    assert status['LED300 / SSD300-VGG16 batch-1 latency (forward + '
                  'post-processing)'] == 'met'
    figs = dict(
        accuracy=bm.plot_accuracy(summary, str(tmp_path / 'a.png')),
        scoring=bm.plot_scoring(results['scoring'], str(tmp_path / 's.png')),
        sweep=bm.plot_sweep(results['sweep'], str(tmp_path / 'w.png')),
        calibration=bm.plot_calibration(results['calibration'],
                                        str(tmp_path / 'c.png')),
        recipe=bm.plot_recipe(results['recipe_search'],
                              str(tmp_path / 'r.png')))
    assert all(figs.values())
    assert (tmp_path / 'c.png').stat().st_size > 1000
    text = bm.render_report(
        results,
        summary,
        {k: f'figures/{k}.png'
         for k in figs},
        [('train/ssd_s0', 'done', '20.0 min')],
        [0, 1, 2],
        recipe=results['recipe_search'])
    for heading in ('## Constraints of this machine', '## Targets',
                    '## Accuracy', '## Same weights', '## LE scoring',
                    '## Loc-quality calibration', '## Ablation',
                    '## Speed and cost', '## Recipe search',
                    '## Training runs', '## Parts'):
        assert heading in text, heading
    assert '| SSD | 2 | — |' in text  # the missing seed, not invented
    assert '**missed**' in text  # LED - SSD AP@0.7 = 1.5 < 2.0
    assert 'a\\|b' in text  # recipe cells are escaped
    assert '![recipe search](figures/recipe.png)' in text
    assert '(> 30)' in text  # the 32-minute run is flagged


def test_report_from_nothing(bm, tmp_path):
    bench = make_bench(bm, tmp_path, seeds=[0])
    summary = bm.write_report(bench)
    text = (tmp_path / 'README.md').read_text()
    assert 'pending' in text and summary['ssd']['mAP50'] is None
    saved = json.loads((tmp_path / 'results' / 'summary.json').read_text())
    assert saved['led'] == {'mAP50': None, 'AP70': None, 'AP': None}
    assert saved['parts']['train/ssd_s0'] == 'ready'
    assert saved['parts']['train/led_s0'] == 'blocked'


TOY_SPLITS = 4


@pytest.fixture(scope='module')
def toy_checkpoint(bm, tmp_path_factory):
    """A random-init CPU LED model as a checkpoint, and its config on a tiny
    generated VOC set (dumped like the benchmark dumps run configs)."""
    import torch
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope

    from conftest import make_toy_voc
    tmp = tmp_path_factory.mktemp('toy_ckpt')
    root = make_toy_voc(str(tmp / 'voc'), 4, TOY_SPLITS)
    bench = make_bench(bm, tmp, seeds=[0], data_root=f'{root}/')
    bench.num_workers = 0
    run = bench.parts['train/led_s0'].run
    cfg = bench.build_config(run)
    cfg.test_dataloader.batch_size = TOY_SPLITS
    work = tmp / 'work' / 'led_s0'
    work.mkdir(parents=True)
    cfg.dump(str(work / 'config.py'))
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    # Untrained, but with signal: boxes = anchors (zero regression) and a
    # class prior on the toy classes, so some detections hit objects; the
    # random LE module makes the LE-combined scores differ per anchor.
    head = model.bbox_head
    classes = list(cfg.test_dataloader.dataset.get('metainfo', {}).get(
        'classes', [])) or list(__import__(
            'mmdet.datasets', fromlist=['VOCDataset']).VOCDataset.METAINFO[
                'classes'])
    toy = [classes.index(c) for c in ('car', 'person', 'dog')]
    with torch.no_grad():
        for cls_conv, reg_conv, a in zip(head.cls_convs, head.reg_convs,
                                         head.num_base_priors):
            cls_conv[-1].weight.zero_()
            bias = torch.full((a, head.cls_out_channels), -5.0)
            bias[:, toy] = 1.0
            bias[:, -1] = 0.0
            cls_conv[-1].bias.copy_(bias.flatten())
            reg_conv[-1].weight.zero_()
            reg_conv[-1].bias.zero_()
        for param in head.le_module.parameters():
            param.add_(torch.randn_like(param) * 0.3)
    torch.save(dict(state_dict=model.state_dict(), meta={}),
               work / 'iter_1.pth')
    (tmp / 'results').mkdir()
    (tmp / 'results' / 'train_led_s0.json').write_text(
        json.dumps(
            dict(
                config_dumped=str(work / 'config.py'),
                checkpoint=str(work / 'iter_1.pth'),
                train_minutes=0.0)))
    return bench, work


def test_rescoring_reproduces_tools_test(bm, toy_checkpoint, tmp_path):
    """eval/<run> (one test pass, raw outputs, re-scoring) gives exactly the
    detections and mAP of tools/test.py on the same checkpoint."""
    from mmengine.fileio import load
    bench, work = toy_checkpoint
    out = bm.run_parts(bench, ['eval/led_s0'])
    assert out == {'eval/led_s0': 'done'}
    res = bench.result('eval/led_s0')
    assert res['checks']['rescored_equals_test_pass']
    assert res['checks']['voc_bootstrap_equals_vocmetric']
    text = run_tool('tools/test.py', work / 'config.py', work / 'iter_1.pth',
                    '--work-dir', tmp_path, '--out', tmp_path / 'dets.pkl')
    printed = float(re.findall(r'pascal_voc/mAP: ([0-9.]+)', text)[-1])
    assert printed == round(res['checks']['vocmetric_mAP'], 4)
    assert res['checks']['vocmetric_mAP'] > 0
    assert res['metrics']['mAP50'] == pytest.approx(
        100 * res['checks']['vocmetric_mAP'], abs=1e-3)
    dets = load(tmp_path / 'dets.pkl')
    data = bm.RunData(bench, bench.parts['eval/led_s0'].run)
    rescored = data.detections()
    assert len(dets) == len(rescored) == TOY_SPLITS
    for d, r in zip(dets, rescored):
        for k in ('bboxes', 'scores', 'labels'):
            np.testing.assert_array_equal(d['pred_instances'][k].numpy(),
                                          getattr(r, k).numpy())
    assert sum(len(r.scores) for r in rescored) > 0
    # another scoring mode from the same raw outputs differs
    cls = data.detections(score_mode='cls')
    assert any(not np.array_equal(a.scores.numpy(), b.scores.numpy())
               for a, b in zip(cls, rescored))


def test_eval_takes_test_cfg_of_current_config(bm, toy_checkpoint):
    """A run trained under other test-time settings is evaluated with the
    config's current test_cfg, and its dumped config (what tools/test.py
    reads) is rewritten to match; training settings stay as dumped."""
    from mmengine.config import Config
    bench, work = toy_checkpoint
    dumped = Config.fromfile(str(work / 'config.py'))
    current = dumped.model.test_cfg.to_dict()
    dumped.model.test_cfg.score_mode = 'cls'
    dumped.model.test_cfg.score_thr_on = 'conf'
    dumped.train_cfg.max_iters = 7
    dumped.dump(str(work / 'config.py'))
    assert bm.run_parts(bench, ['eval/led_s0'], force=['eval/led_s0']) == {
        'eval/led_s0': 'done'
    }
    res = bench.result('eval/led_s0')
    assert res['test_cfg']['score_mode'] == current['score_mode'] == \
        'gaussian'
    assert res['test_cfg']['score_thr_on'] == 'cls'
    rewritten = Config.fromfile(str(work / 'config.py'))
    assert rewritten.model.test_cfg.to_dict() == current
    assert rewritten.train_cfg.max_iters == 7


def test_fig1_candidates(bm):
    """Boxes around the object whose overlapping candidates score highest,
    ordered by conf_cls; fallback: the top class."""
    gts = np.array([[0, 0, 100, 100], [200, 200, 300, 300]], np.float32)
    cand = dict(
        bboxes=np.array([[0, 0, 90, 90], [5, 5, 100, 100],
                         [200, 200, 290, 300], [500, 500, 600, 600]],
                        np.float32),
        labels=np.array([1, 1, 2, 0]),
        conf_final=np.array([0.3, 0.2, 0.9, 0.95], np.float32),
        conf_cls=np.array([0.5, 0.6, 0.95, 0.99], np.float32))
    obj, idx = bm.fig1_candidates(cand, gts)
    assert obj == 1 and idx.tolist() == [2]
    cand['conf_final'][2] = 0.1
    obj, idx = bm.fig1_candidates(cand, gts)
    assert obj == 0 and idx.tolist() == [1, 0]
    obj, idx = bm.fig1_candidates(cand, gts[:0])
    assert obj is None and idx.tolist() == [0, 1]


def test_git_commit_ignores_the_benchmark_outputs(bm, tmp_path):
    """A run rewrites its own results while it goes; only other tracked
    changes make the recorded commit dirty."""
    import subprocess

    def git(*args):
        subprocess.run(['git', '-c', 'user.name=t', '-c', 'user.email=t@t',
                        *args], cwd=tmp_path, check=True, capture_output=True)

    (tmp_path / 'results').mkdir()
    (tmp_path / 'results' / 'a.json').write_text('{}')
    (tmp_path / 'code.py').write_text('x = 1\n')
    git('init', '-q')
    git('add', '.')
    git('commit', '-qm', 'init')
    (tmp_path / 'results' / 'a.json').write_text('{"x": 1}')
    assert bm.git_commit(str(tmp_path))['dirty'] is True
    clean = bm.git_commit(str(tmp_path), exclude=['results'])
    assert clean['dirty'] is False and len(clean['commit']) == 40
    (tmp_path / 'code.py').write_text('x = 2\n')
    assert bm.git_commit(str(tmp_path), exclude=['results'])['dirty'] is True


def test_led_from_its_ssd_step1_equals_led_trained_alone(bm, tmp_path):
    """Real toy trainings (24 iterations): SSD; LED resumed from the SSD's
    iteration-12 checkpoint (init_from); LED trained alone. LED's step 1 is
    that SSD training, so the two LED runs end with the same weights."""
    import torch

    from conftest import make_toy_voc
    root = make_toy_voc(str(tmp_path / 'voc'), 6, 2)
    # the CPU LED's own paramwise_cfg (LE module at 10x the LR) switched
    # off for led/alone, so both optimizer layouts are checked
    plain = dict(seeds='all', options={'optim_wrapper.paramwise_cfg': None})
    le_fast = dict(seeds='all', options=bm._le_lr_mult(10.0))
    registry = dict(
        ssd=dict(seeds='all', options={}, config=bm.CPU_SSD),
        led=dict(plain, config=bm.CPU_LED, init_from='ssd'),
        alone=dict(plain, config=bm.CPU_LED),
        fast=dict(le_fast, config=bm.CPU_LED, init_from='ssd'),
        fastalone=dict(le_fast, config=bm.CPU_LED))
    bench = make_bench(
        bm, tmp_path, seeds=[0], data_root=f'{root}/', unit=1,
        registry=registry)
    bench.batch_size, bench.num_workers = 2, 0
    assert bm.run_parts(bench, ['train/*']) == {
        f'train/{name}_s0': 'done' for name in registry}
    work = tmp_path / 'work'
    # the SSD keeps its step-1 checkpoint (and the final one) only
    assert sorted(p.name for p in (work / 'ssd_s0').glob('iter_*.pth')) == [
        'iter_12.pth', 'iter_24.pth']
    res = bench.result('train/led_s0')
    assert (res['init_from'], res['init_iter']) == ('ssd_s0', 12)
    assert res['sessions'][0]['resumed_from'] == 'init_ssd_s0_iter_12.pth'
    assert bench.result('train/alone_s0')['init_from'] is None

    def weights(run):
        return torch.load(work / run / 'iter_24.pth', map_location='cpu',
                          weights_only=True)['state_dict']

    # with the LE module at 10x the LR (paramwise_cfg: one optimizer group
    # per parameter) too, its optimizer and LR schedules re-mapped
    for a, b in (('led', 'alone'), ('fast', 'fastalone')):
        led, alone = weights(f'{a}_s0'), weights(f'{b}_s0')
        assert led.keys() == alone.keys()
        assert any('le_module' in k for k in led)
        for key, value in alone.items():
            assert torch.equal(led[key], value), (a, key)
    ends = [
        torch.load(work / run / 'iter_24.pth', map_location='cpu',
                   weights_only=True) for run in ('fast_s0', 'fastalone_s0')
    ]
    one_group = torch.load(work / 'led_s0' / 'iter_24.pth', map_location='cpu',
                           weights_only=True)['optimizer']['param_groups']
    assert len(one_group) == 1 < len(ends[0]['optimizer']['param_groups'])
    assert ends[0]['optimizer']['base_param_settings']['lr'] == ends[1][
        'optimizer']['base_param_settings']['lr'] > 0  # the logged base_lr
    assert [s['base_values'] for s in ends[0]['param_schedulers']] == [
        s['base_values'] for s in ends[1]['param_schedulers']]
    le = [k for k in led if 'le_module' in k and k.endswith('weight')][0]
    assert not torch.equal(weights('led_s0')[le], led[le])
    # a retrained SSD makes its LED stale: it is retrained from the new one
    before = bench.result('train/ssd_s0')['finished']
    bm.write_json(bench.result_path(bench.parts['train/ssd_s0']),
                  dict(bench.result('train/ssd_s0'), finished=before + 'x'))
    assert bench.status('train/led_s0') == (
        'stale', 'inputs changed since it ran')


def test_vgg16_registry_for_the_gpu(bm, tmp_path):
    """--registry vgg16: the paper's pair from scratch, LED from its SSD's
    step 1, unit-scaled like the CPU recipe; its report says GPU."""
    args = bm.parse_args([
        '--registry', 'vgg16', '--seeds', '0', '--unit', '19',
        '--results-dir', str(tmp_path / 'gpu' / 'results'), '--work-root',
        str(tmp_path / 'work')
    ])
    bench = bm.bench_from_args(args)
    assert bench.registry is bm.VGG16_RUNS
    train = [p for p in bench.parts if p.startswith('train/')]
    assert train == ['train/ssd_s0', 'train/led_s0']
    assert 'sweep' not in bench.parts
    assert bench.parts['train/led_s0'].deps == ['train/ssd_s0']
    ssd = bench.build_config(bench.run_named('ssd_s0'))
    led = bench.build_config(bench.run_named('led_s0'))
    assert ssd.model.bbox_head.type == 'SSDHead'
    assert led.model.bbox_head.type == 'LEDHead'
    assert ssd.model.backbone.type == 'SSDVGG'
    assert ssd.model.backbone.init_cfg is None  # from scratch
    assert ssd.train_cfg.max_iters == led.train_cfg.max_iters == 24 * 19
    assert bm.step1_iter(led) == 12 * 19
    assert bm.twin_mismatch(ssd, led) == []
    assert ssd.train_dataloader.batch_size == 32
    assert ssd.optim_wrapper.optimizer.lr == 2e-4
    assert ssd.train_dataloader.dataset.ann_file.endswith('trainval.txt')
    bm.write_report(bench)
    text = (tmp_path / 'gpu' / 'README.md').read_text()
    assert text.startswith(
        '# Evidence benchmark: LED vs SSD on VOC2007 (VGG16 pair, GPU)')
    assert '2 CPU cores, no GPU' not in text
    # the CPU registry keeps its own report
    cpu = bm.bench_from_args(bm.parse_args([]))
    assert cpu.registry is bm.RUNS and cpu.setting is None
    # the CPU recipe trained on a GPU says so in its report
    on_gpu = bm.bench_from_args(bm.parse_args(['--setting', 'cpu-gpu']))
    assert on_gpu.registry is bm.RUNS
    assert on_gpu.setting[0] == 'CPU recipe, trained on a GPU'
