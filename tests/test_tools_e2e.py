"""End to end through tools/train.py and tools/test.py, as a user runs them."""
import json

import pytest

from conftest import run_tool, voc_metrics, write_config

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


@pytest.mark.parametrize('data', ['voc_root', 'toy_voc'])
def test_ssd_baseline_trains_resumes_and_tests(data, request, tmp_path):
    root = request.getfixturevalue(data)
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
