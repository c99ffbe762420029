"""Inference on a user's images: MMDetection's own APIs on LED configs,
LED's labels and JSON fields, and tools/infer.py on real VOC images."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import REPO, run_tool

import mmdet_led  # noqa: F401
from mmdet_led.visualization.led_local_visualizer import (LEDLocalVisualizer,
                                                          led_label_text)

CPU_LED = REPO / 'configs/led/ledlite_efficientnetlite0_192_voc07_cpu.py'
LED_CONFIGS = sorted(
    str(p.relative_to(REPO)) for p in (REPO / 'configs/led').rglob('led*.py')
    if '_base_' not in p.parts)


def voc_images(voc_root, num):
    voc = voc_root / 'VOC2007'
    ids = (voc / 'ImageSets/Main/test.txt').read_text().split()[:num]
    return [str(voc / 'JPEGImages' / f'{i}.jpg') for i in ids]


def test_led_label_text():
    assert led_label_text('car', 0.4219, 0.7, 0.6049) == \
        'car 0.42 (cls 0.70 / loc 0.60)'


def test_visualizer_draws_led_labels(monkeypatch):
    from mmengine.structures import InstanceData
    vis = LEDLocalVisualizer(name='test_led_labels')
    texts = []
    monkeypatch.setattr(vis, 'draw_texts',
                        lambda text, *a, **k: texts.append(text))
    inst = InstanceData(
        bboxes=torch.tensor([[2., 2., 30., 20.], [5., 5., 25., 30.]]),
        labels=torch.tensor([1, 0]),
        scores=torch.tensor([0.5, 0.25]),
        cls_scores=torch.tensor([0.8, 0.5]),
        loc_scores=torch.tensor([0.625, 0.5]))
    vis._draw_instances(
        np.zeros((40, 40, 3), np.uint8), inst, ['cat', 'dog'], None)
    assert texts == ['dog 0.50 (cls 0.80 / loc 0.62)',
                     'cat 0.25 (cls 0.50 / loc 0.50)']
    # plain SSD predictions keep MMDetection's own label
    texts.clear()
    del inst.cls_scores
    vis._draw_instances(
        np.zeros((40, 40, 3), np.uint8), inst, ['cat', 'dog'], None)
    assert texts == ['dog: 50.0', 'cat: 25.0']


@pytest.fixture(scope='module')
def led_checkpoint(tmp_path_factory, voc_root):
    """The CPU LED with random weights, saved as mmengine would (with the
    dataset's class names); rescaled to unit-variance outputs on real
    images so that the scores differ from box to box."""
    from mmdet.apis import init_detector
    from mmdet.datasets import VOCDataset
    from mmengine.config import Config

    from mmdet_led.deployment.parity import lsuv_rescale, preprocess
    torch.manual_seed(0)
    cfg = Config.fromfile(CPU_LED)
    model = init_detector(cfg, None, device='cpu').eval()
    inputs, _ = preprocess(model, cfg.test_dataloader.dataset.pipeline,
                           voc_images(voc_root, 4))
    lsuv_rescale(model, inputs)
    path = tmp_path_factory.mktemp('ckpt') / 'led_random.pth'
    torch.save(
        dict(state_dict=model.state_dict(),
             meta=dict(dataset_meta=dict(
                 classes=VOCDataset.METAINFO['classes']))), path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize('config', LED_CONFIGS)
def test_mmdet_inference_api_on_every_led_config(config, voc_root):
    """mmdet.apis.init_detector / inference_detector run every LED config
    on a real image and return LED's fields."""
    from mmdet.apis import inference_detector, init_detector
    from mmengine.config import Config
    cfg = Config.fromfile(REPO / config)
    resize = next(t for t in cfg.test_dataloader.dataset.pipeline
                  if t['type'] == 'Resize')
    if max(resize.scale) > 600:  # KITTI, COCO: half the input (CI time)
        resize.scale = tuple(s // 2 for s in resize.scale)
    model = init_detector(cfg, None, device='cpu')
    result = inference_detector(model, voc_images(voc_root, 1)[0])
    pred = result.pred_instances
    assert len(pred) > 0
    assert {'cls_scores', 'loc_scores'} <= set(pred.keys())
    assert pred.bboxes[:, 2].max() <= result.ori_shape[1] + 1e-3


@pytest.mark.slow
def test_det_inferencer_on_led(led_checkpoint, voc_root, tmp_path):
    """MMDetection's DetInferencer runs the LED config and checkpoint."""
    from mmdet.apis import DetInferencer
    inferencer = DetInferencer(
        str(CPU_LED), str(led_checkpoint), device='cpu',
        show_progress=False)
    out = inferencer(voc_images(voc_root, 2), out_dir=str(tmp_path),
                     no_save_pred=False, return_datasamples=True)
    preds = out['predictions']
    assert len(preds) == 2
    assert all(len(p.pred_instances) > 0 for p in preds)
    assert {'cls_scores', 'loc_scores'} <= set(preds[0].pred_instances.keys())
    assert len(list((tmp_path / 'vis').glob('*.jpg'))) == 2
    assert inferencer.model.dataset_meta['classes'][0] == 'aeroplane'


@pytest.mark.slow
def test_infer_tool_folder_and_video(led_checkpoint, voc_root, tmp_path):
    import cv2
    import mmcv
    images = voc_images(voc_root, 3)
    folder = tmp_path / 'images'
    folder.mkdir()
    for p in images[:2]:
        (folder / Path(p).name).symlink_to(p)
    out_dir = tmp_path / 'out'
    run_tool('tools/infer.py', CPU_LED, led_checkpoint, folder, '--out-dir',
             out_dir, '--score-thr', '0', '--with-quality')
    for p in images[:2]:
        stem = Path(p).stem
        assert (out_dir / 'vis' / f'{stem}.jpg').is_file()
        res = json.loads((out_dir / 'preds' / f'{stem}.json').read_text())
        keys = ('bboxes', 'labels', 'scores', 'cls_scores', 'loc_scores',
                'pred_iou', 'pred_iod', 'pred_iog')
        assert all(len(res[k]) == len(res['scores']) > 0 for k in keys)
        # the final confidence is the LE-gaussian of the two
        cls, loc = np.array(res['cls_scores']), np.array(res['loc_scores'])
        np.testing.assert_allclose(res['scores'],
                                   cls * np.exp(-(1 - loc)**2), rtol=1e-5)
        h, w = mmcv.imread(p).shape[:2]
        assert np.array(res['bboxes'])[:, 2].max() <= w
    # a 3-frame video of real images
    video = tmp_path / 'clip.avi'
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*'MJPG'), 2,
                             (320, 240))
    for p in images:
        writer.write(cv2.resize(mmcv.imread(p), (320, 240)))
    writer.release()
    vid_out = tmp_path / 'vid'
    run_tool('tools/infer.py', CPU_LED, led_checkpoint, video, '--out-dir',
             vid_out, '--score-thr', '0.01')
    assert sorted(p.name for p in (vid_out / 'preds').iterdir()) == [
        '00000000.json', '00000001.json', '00000002.json']
    assert len(list((vid_out / 'vis').glob('*.jpg'))) == 3
    assert len(mmcv.VideoReader(str(vid_out / 'clip_vis.mp4'))) == 3
