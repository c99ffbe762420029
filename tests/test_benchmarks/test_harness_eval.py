"""benchmarks.harness.evaluate and .train on toy data: the re-scoring path
against tools/test.py, and an LED run from its SSD's step-1 checkpoint."""
import json
import re

import numpy as np
import pytest
from harness_fixtures import make_bench

from benchmarks.harness.evaluate import RunData
from benchmarks.harness.jobs import run_parts
from benchmarks.harness.common import write_json
from benchmarks.harness.registry import CPU_LED, CPU_SSD, le_lr_mult
from conftest import run_tool


TOY_SPLITS = 4

@pytest.fixture(scope='module')
def toy_checkpoint(tmp_path_factory):
    """A random-init CPU LED model as a checkpoint, and its config on a tiny
    generated VOC set (dumped like the benchmark dumps run configs)."""
    import torch
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope

    from conftest import make_toy_voc
    tmp = tmp_path_factory.mktemp('toy_ckpt')
    root = make_toy_voc(str(tmp / 'voc'), 4, TOY_SPLITS)
    bench = make_bench(tmp, seeds=[0], data_root=f'{root}/')
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

@pytest.mark.slow
def test_rescoring_reproduces_tools_test(toy_checkpoint, tmp_path):
    """eval/<run> (one test pass, raw outputs, re-scoring) gives exactly the
    detections and mAP of tools/test.py on the same checkpoint."""
    from mmengine.fileio import load
    bench, work = toy_checkpoint
    out = run_parts(bench, ['eval/led_s0'])
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
    data = RunData(bench, bench.parts['eval/led_s0'].run)
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

@pytest.mark.slow
def test_eval_takes_test_cfg_of_current_config(toy_checkpoint):
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
    assert run_parts(bench, ['eval/led_s0'], force=['eval/led_s0']) == {
        'eval/led_s0': 'done'
    }
    res = bench.result('eval/led_s0')
    assert res['test_cfg']['score_mode'] == current['score_mode'] == \
        'gaussian'
    assert res['test_cfg']['score_thr_on'] == 'cls'
    rewritten = Config.fromfile(str(work / 'config.py'))
    assert rewritten.model.test_cfg.to_dict() == current
    assert rewritten.train_cfg.max_iters == 7

@pytest.mark.slow
def test_led_from_its_ssd_step1_equals_led_trained_alone(tmp_path):
    """Real toy trainings (24 iterations): SSD; LED resumed from the SSD's
    iteration-12 checkpoint (init_from); LED trained alone. LED's step 1 is
    that SSD training, so the two LED runs end with the same weights."""
    import torch

    from conftest import make_toy_voc
    root = make_toy_voc(str(tmp_path / 'voc'), 6, 2)
    # the CPU LED's own paramwise_cfg (LE module at 10x the LR) switched
    # off for led/alone, so both optimizer layouts are checked
    plain = dict(seeds='all', options={'optim_wrapper.paramwise_cfg': None})
    le_fast = dict(seeds='all', options=le_lr_mult(10.0))
    registry = dict(
        ssd=dict(seeds='all', options={}, config=CPU_SSD),
        led=dict(plain, config=CPU_LED, init_from='ssd'),
        alone=dict(plain, config=CPU_LED),
        fast=dict(le_fast, config=CPU_LED, init_from='ssd'),
        fastalone=dict(le_fast, config=CPU_LED))
    bench = make_bench(
        tmp_path, seeds=[0], data_root=f'{root}/', unit=1,
        registry=registry)
    bench.batch_size, bench.num_workers = 2, 0
    assert run_parts(bench, ['train/*']) == {
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
    write_json(bench.result_path(bench.parts['train/ssd_s0']),
                  dict(bench.result('train/ssd_s0'), finished=before + 'x'))
    assert bench.status('train/led_s0') == (
        'stale', 'inputs changed since it ran')
