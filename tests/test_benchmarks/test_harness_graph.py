"""benchmarks.harness.graph and .jobs.run_parts: registry expansion, the
part graph, run configs, and the skip/force/stale/blocked logic."""
import itertools
import json
import os.path as osp

import pytest
from harness_fixtures import make_bench

from benchmarks.harness.common import ROOT, git_commit
from benchmarks.harness.graph import Bench, expand_runs
from benchmarks.harness.jobs import run_parts, select
from benchmarks.harness.registry import CPU_LED, CPU_SSD, UNIT
from benchmarks.harness.train import prune_checkpoints
from mmdet_led.engine import step1_iter, twin_mismatch


def test_report_goes_beside_its_results(tmp_path):
    """A probe with its own --results-dir writes its own report and
    figures; only the default results update benchmarks/README.md."""
    probe = Bench(results_dir=str(tmp_path / 'probe' / 'results'))
    assert probe.readme == str(tmp_path / 'probe' / 'README.md')
    assert probe.figures_dir == str(tmp_path / 'probe' / 'figures')
    default = Bench()
    assert default.readme == osp.join(ROOT, 'benchmarks', 'README.md')
    assert default.figures_dir == osp.join(ROOT, 'benchmarks', 'figures')

def test_registry_and_part_graph(tmp_path):
    bench = make_bench(tmp_path)
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
    assert select(names, ['train/led_s*']) == [
        'train/led_s0', 'train/led_s1', 'train/led_s2'
    ]

def test_init_from_must_name_an_earlier_ssd_run_on_the_same_split():
    led = dict(config=CPU_LED, seeds='all', options={}, init_from='ssd')
    ssd = dict(config=CPU_SSD, seeds='all', options={})
    assert [r.init_from for r in expand_runs(
        [3], dict(ssd=ssd, led=led))] == [None, 'ssd_s3']
    with pytest.raises(ValueError, match='not an earlier run'):
        expand_runs([0], dict(led=led))
    with pytest.raises(ValueError, match='trains on'):
        expand_runs([0], dict(ssd=dict(ssd, train='train'), led=led))
    with pytest.raises(ValueError, match='starts from another run'):
        expand_runs([0], dict(
            ssd=ssd, led=led, led2=dict(led, init_from='led')))

def test_step1_checkpoint_of_an_ssd_run_is_kept(tmp_path):
    bench = make_bench(tmp_path, seeds=(0, ))
    led = bench.build_config(bench.run_named('led_s0'))
    assert step1_iter(led) == 12 * UNIT
    assert bench.keep_iters(bench.run_named('ssd_s0')) == [12 * UNIT]
    assert bench.keep_iters(bench.run_named('led_s0')) == []
    ssd = bench.build_config(bench.run_named('ssd_s0'))
    hook = ssd.default_hooks.checkpoint
    assert (12 * UNIT) % hook.interval == 0
    assert hook.max_keep_ckpts == -1
    assert led.default_hooks.checkpoint.max_keep_ckpts == 2
    # the CPU SSD and LED configs agree on everything step 1 depends on
    assert twin_mismatch(ssd, led) == []
    other = bench.build_config(bench.run_named('ssd_s0'))
    other.optim_wrapper.optimizer.lr = 2e-3
    other.model.bbox_head.num_classes = 19
    other.model.train_cfg.neg_pos_ratio = 4
    assert twin_mismatch(other, led) == [
        'optim_wrapper', 'model.bbox_head.num_classes',
        'model.train_cfg.neg_pos_ratio'
    ]
    with pytest.raises(ValueError, match='LEDPhaseHook'):
        step1_iter(ssd)
    for path in ('iter_144.pth', 'iter_576.pth', 'iter_1152.pth',
                 'iter_1152.pth.tmp', 'phase1_det_iter_576.pth'):
        (tmp_path / path).write_text('')
    prune_checkpoints(str(tmp_path), [576, 1152])
    assert sorted(p.name for p in tmp_path.glob('*.pth*')) == [
        'iter_1152.pth', 'iter_1152.pth.tmp', 'iter_576.pth',
        'phase1_det_iter_576.pth'
    ]

def test_run_config_overrides(tmp_path):
    bench = make_bench(
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

def test_skip_force_stale_and_blocked(tmp_path):
    bench = make_bench(tmp_path, seeds=[0])
    fn, calls = _fake(dict(metrics=dict(mAP50=1.0, AP70=0.5)))
    for part in bench.parts.values():
        part.fn = fn
    assert bench.status('train/ssd_s0')[0] == 'ready'
    assert bench.status('train/led_s0') == ('blocked',
                                            'needs train/ssd_s0')
    assert bench.status('eval/led_s0') == ('blocked',
                                           'needs train/led_s0')
    assert bench.status('scoring')[0] == 'blocked'
    out = run_parts(bench, ['train/led_s0', 'eval/led_s0', 'scoring'])
    assert calls == [] and out['train/led_s0'].startswith('blocked')
    out = run_parts(bench, ['train/ssd_s0', 'train/led_s0', 'eval/led_s0',
                               'scoring'])
    assert calls == ['train/ssd_s0', 'train/led_s0', 'eval/led_s0',
                     'scoring']
    assert out['scoring'] == 'done'
    assert bench.status('eval/led_s0')[0] == 'done'
    # re-running skips finished parts
    calls.clear()
    out = run_parts(bench, ['train/led_s0', 'eval/led_s0', 'scoring'])
    assert calls == [] and set(out.values()) == {'skipped (done)'}
    # --force redoes the part (its work dir is deleted first)
    work = tmp_path / 'work' / 'led_s0'
    work.mkdir(parents=True)
    (work / 'old.pth').write_text('x')
    calls.clear()
    run_parts(bench, ['train/led_s0'], force=['train/led_s0'])
    assert calls == ['train/led_s0'] and not work.exists()
    # ... which makes its dependants stale, and they re-run by themselves
    assert bench.status('eval/led_s0')[0] == 'stale'
    calls.clear()
    run_parts(bench, ['eval/*', 'scoring'])
    assert calls == ['eval/ssd_s0', 'eval/led_s0', 'scoring']
    # an aggregate part re-runs when more of its inputs are done
    assert bench.status('calibration')[0] == 'ready'
    run_parts(bench, ['calibration'])
    assert bench.status('calibration')[0] == 'done'
    # retraining an SSD run makes the LED runs that start from it stale;
    # they are retrained from scratch (work dir deleted)
    calls.clear()
    run_parts(bench, ['train/ssd_s0'], force=['train/ssd_s0'])
    assert bench.status('train/led_s0') == (
        'stale', 'inputs changed since it ran')
    work.mkdir(parents=True)
    run_parts(bench, ['train/led_s0', 'eval/ssd_s0'])
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
    out = run_parts(bench, ['speed', 'train/abl1_s0'])
    assert out == {'speed': 'failed', 'train/abl1_s0': 'done'}
    assert bench.status('speed')[0] == 'ready'

@pytest.mark.slow  # runs git
def test_git_commit_ignores_the_benchmark_outputs(tmp_path):
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
    assert git_commit(str(tmp_path))['dirty'] is True
    clean = git_commit(str(tmp_path), exclude=['results'])
    assert clean['dirty'] is False and len(clean['commit']) == 40
    (tmp_path / 'code.py').write_text('x = 2\n')
    assert git_commit(str(tmp_path), exclude=['results'])['dirty'] is True
