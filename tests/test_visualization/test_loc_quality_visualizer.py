"""LocQualityVisualizer (MMDetection's visualizer drawing the Fig. 1 view)
and tools/analysis_tools/loc_quality_view.py on real VOC images with a
random-weights LED."""
import re

import mmcv
import numpy as np
import pytest
import torch

from conftest import run_tool, write_config
from mmdet_led.visualization import LocQualityVisualizer


def test_draws_boxes_and_labels_only_where_they_are():
    image = np.full((160, 300, 3), 128, np.uint8)
    cand = dict(
        bboxes=np.array([[10, 40, 60, 100], [12, 42, 62, 98]], np.float32),
        labels=np.array([1, 1]),
        conf_cls=np.array([0.9, 0.75], np.float32),
        conf_loc=np.array([0.4, 0.8], np.float32),
        true_iou=np.array([0.5, 0.9], np.float32))
    vis = LocQualityVisualizer(name='test_loc_quality_visualizer')
    drawn = vis.draw_candidates(
        image, cand, [np.array([0, 1])], ['car', 'dog'],
        gt_bboxes=np.array([[11, 41, 61, 99]], np.float32), highlight=[0])
    assert drawn.shape == image.shape and drawn.dtype == np.uint8
    changed = (drawn != image).any(-1)
    assert changed[40:101, 8:64].any()
    assert not changed[103:].any()  # below the boxes: untouched
    assert (image == 128).all()  # the input is not drawn on


@pytest.mark.slow
def test_loc_quality_view_on_real_voc(voc_root, tmp_path):
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    base = 'ledlite_mobilenetv2_192_voc07_cpu.py'
    cfg = write_config(
        tmp_path / 'led.py', base,
        'model = dict(backbone=dict(init_cfg=None))\n'
        f"test_dataloader = dict(dataset=dict(data_root='{voc_root}/'))\n")
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(cfg).model)
    ckpt = tmp_path / 'random_led.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    out = run_tool('tools/analysis_tools/loc_quality_view.py', cfg, ckpt,
                   '--split', 'VOC2007/ImageSets/Main/test.txt', '--num',
                   '2', '--min-iou', '0.1', '--out-dir', tmp_path / 'split')
    names = (voc_root / 'VOC2007/ImageSets/Main/test.txt').read_text().split()
    for name in names[:2]:
        png = tmp_path / 'split' / f'{name}.png'
        img = mmcv.imread(voc_root / 'VOC2007/JPEGImages' / f'{name}.jpg')
        drawn = mmcv.imread(png)
        assert drawn.shape == img.shape
        assert (np.abs(drawn.astype(int) - img).sum(-1) > 60).any()
        found = re.search(rf'{name}.png: (\d+) candidates around (\d+) of '
                          r'(\d+) objects', out)
        assert found and int(found[1]) > 0 and int(found[3]) > 0
    jpg = voc_root / 'VOC2007/JPEGImages' / f'{names[0]}.jpg'
    out = run_tool('tools/analysis_tools/loc_quality_view.py', cfg, ckpt,
                   '--img', jpg, '--det-thr', '0', '--out-dir',
                   tmp_path / 'img')
    assert (tmp_path / 'img' / f'{names[0]}.png').is_file()
    assert re.search(rf'{names[0]}.png: \d+ candidates around \d+ of \d+ '
                     'objects', out)
