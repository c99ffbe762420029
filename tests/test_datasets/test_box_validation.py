"""Load-time box checks: the pure helpers, ValidatedVOCDataset, KittiDataset.

Real data where it matters: every box of the genuine VOC2007 subset and of
the KITTI mini set passes the default ('error') checks unchanged.
"""
import math
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmdet.datasets import VOCDataset

from mmdet_led.datasets import (InvalidBoxError, KittiDataset,
                                ValidatedVOCDataset, box_problem, check_boxes,
                                clip_box)

# ------------------------------------------------------------ the helpers


@pytest.mark.parametrize('bbox, problem', [
    ([0, 0, 10, 10], None),
    ([0, 0, 100, 50], None),  # touching the right/bottom border is inside
    ([5, 5, 5, 9], 'zero or negative width (x2 - x1 = 0)'),
    ([6, 5, 5, 9], 'zero or negative width (x2 - x1 = -1)'),
    ([5, 9, 8, 9], 'zero or negative height (y2 - y1 = 0)'),
    ([math.nan, 0, 5, 5], 'non-finite coordinate'),
    ([0, 0, math.inf, 5], 'non-finite coordinate'),
    ([-1, 0, 5, 5], 'outside the 100x50 image'),
    ([0, 0, 100.5, 5], 'outside the 100x50 image'),
    ([0, 0, 5, 51], 'outside the 100x50 image'),
])
def test_box_problem(bbox, problem):
    assert box_problem(bbox, 100, 50) == problem


def test_box_problem_without_image_size():
    assert box_problem([-5, -5, 500, 500], None, None) is None
    assert box_problem([5, 5, 5, 6], None, None).startswith('zero')


def test_clip_box():
    assert clip_box([-3, 2, 120, 60], 100, 50) == [0, 2, 100, 50]
    assert clip_box([110, 2, 120, 9], 100, 50) == [100, 2, 100, 9]


def test_check_boxes_modes():
    boxes = [[0, 0, 10, 10], [-4, 2, 20, 8], [5, 5, 5, 8], [90, 2, 120, 9],
             [120, 2, 130, 9]]
    with pytest.raises(InvalidBoxError,
                       match=r'^a.xml: object 2: invalid box .*outside'):
        check_boxes(boxes, 100, 50, 'error', source='a.xml')
    kept, counts = check_boxes(boxes, 100, 50, 'clip')
    # the zero-width box and the one entirely right of the image cannot be
    # clipped into a valid box
    assert kept == [[0, 0, 10, 10], [0, 2, 20, 8], None, [90, 2, 100, 9],
                    None]
    assert counts == dict(clipped=2, dropped=2)
    kept, counts = check_boxes(boxes, 100, 50, 'drop')
    assert kept == [[0, 0, 10, 10], None, None, None, None]
    assert counts == dict(clipped=0, dropped=4)
    with pytest.raises(ValueError, match='invalid_boxes must be one of'):
        check_boxes(boxes, 100, 50, 'fix')


def test_check_boxes_names_objects():
    with pytest.raises(InvalidBoxError, match=r'^f.txt: object 7: '):
        check_boxes([[1, 1, 1, 2]], None, None, source='f.txt',
                    names=['object 7'])


# ------------------------------------------------------------------- VOC

OBJ = ('<object><name>{cls}</name><difficult>0</difficult><bndbox>'
       '<xmin>{0}</xmin><ymin>{1}</ymin><xmax>{2}</xmax><ymax>{3}</ymax>'
       '</bndbox></object>')
XML = ('<annotation><filename>{name}.jpg</filename><size><width>240</width>'
       '<height>180</height><depth>3</depth></size>{objects}</annotation>')
GOOD = (11, 21, 111, 101)  # 1-based VOC coordinates


def mini_voc(root: Path, toy_voc: Path, boxes: list) -> Path:
    """A 2-image VOC set: image 000000 with ``boxes`` (1-based VOC
    coordinates, class 'car'), image 000001 with one valid box; the images
    are toy images (240x180)."""
    voc = root / 'VOC2007'
    for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main'):
        (voc / sub).mkdir(parents=True, exist_ok=True)
    for i, objs in enumerate((boxes, [GOOD])):
        name = f'{i:06d}'
        shutil.copy(toy_voc / 'VOC2007' / 'JPEGImages' / f'{name}.jpg',
                    voc / 'JPEGImages' / f'{name}.jpg')
        objects = ''.join(OBJ.format(*b, cls='car') for b in objs)
        (voc / 'Annotations' / f'{name}.xml').write_text(
            XML.format(name=name, objects=objects))
    (voc / 'ImageSets' / 'Main' / 'trainval.txt').write_text(
        '000000\n000001\n')
    return root


def voc_dataset(root: Path, cls=ValidatedVOCDataset, **kwargs):
    return cls(
        data_root=str(root),
        ann_file='VOC2007/ImageSets/Main/trainval.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        metainfo=dict(classes=('car', 'person', 'dog')),
        pipeline=[],
        **kwargs)


def test_real_voc_passes_unchanged(voc_root):
    """Every box of the genuine VOC2007 subset is valid: the checked
    dataset gives exactly mmdet's data infos."""
    for split, test_mode in (('trainval', False), ('test', True)):
        kwargs = dict(
            data_root=str(voc_root),
            ann_file=f'VOC2007/ImageSets/Main/{split}.txt',
            data_prefix=dict(sub_data_root='VOC2007/'),
            test_mode=test_mode,
            pipeline=[])
        ours, theirs = ValidatedVOCDataset(**kwargs), VOCDataset(**kwargs)
        assert len(ours) == len(theirs) > 400
        assert ours.invalid_box_counts == dict(clipped=0, dropped=0)
        assert all(
            ours.get_data_info(i) == theirs.get_data_info(i)
            for i in range(len(ours)))


@pytest.mark.parametrize('bad, problem', [
    ((50, 21, 50, 101), 'zero or negative width'),  # xmin == xmax
    ((60, 21, 50, 101), 'zero or negative width'),  # x1 > x2
    ((11, 40, 111, 40), 'zero or negative height'),
    ((11, 21, 300, 101), 'outside the 240x180 image'),
    ((-20, 21, 111, 101), 'outside the 240x180 image'),
    (('nan', 21, 111, 101), 'non-finite coordinate'),
    ((11, 21, 'inf', 101), 'non-finite coordinate'),
])
def test_voc_invalid_box_names_file_and_object(bad, problem, tmp_path,
                                               toy_voc):
    root = mini_voc(tmp_path, toy_voc, [GOOD, bad])
    with pytest.raises(InvalidBoxError) as info:
        voc_dataset(root)
    message = str(info.value)
    assert message.startswith(
        str(root / 'VOC2007' / 'Annotations' / '000000.xml'))
    assert ': object 2: invalid box' in message and problem in message


def test_voc_without_size_names_the_object_in_file_order(tmp_path,
                                                         toy_voc):
    """Without <size> the boxes are checked against the image file's size,
    and the object is named by its place in the file."""
    root = mini_voc(tmp_path, toy_voc, [GOOD, (11, 21, 300, 101)])
    xml = root / 'VOC2007' / 'Annotations' / '000000.xml'
    text = xml.read_text().replace(
        '<size><width>240</width><height>180</height><depth>3</depth>'
        '</size>', '')
    xml.write_text(text.replace(
        '<object>', OBJ.format(5, 5, 5, 5, cls='bird') + '<object>', 1))
    with pytest.raises(InvalidBoxError) as info:
        voc_dataset(root)
    assert str(info.value).startswith(
        f'{xml}: object 3: invalid box [10, 20, 299, 100]: outside the '
        '240x180 image')


def test_voc_clip_and_drop(tmp_path, toy_voc):
    boxes = [GOOD, (50, 21, 50, 101), (11, 21, 300, 101), ('nan', 1, 5, 5)]
    root = mini_voc(tmp_path, toy_voc, boxes)
    ds = voc_dataset(root, invalid_boxes='clip')
    # mmdet's 0-based boxes; the outside one clipped to the 240 px width
    assert [i['bbox'] for i in ds.get_data_info(0)['instances']] == [
        [10, 20, 110, 100], [10.0, 20.0, 240.0, 100.0]]
    assert ds.invalid_box_counts == dict(clipped=1, dropped=2)
    ds = voc_dataset(root, invalid_boxes='drop')
    assert [i['bbox'] for i in ds.get_data_info(0)['instances']] == [
        [10, 20, 110, 100]]
    assert ds.invalid_box_counts == dict(clipped=0, dropped=3)
    assert len(ds.get_data_info(1)['instances']) == 1


def test_voc_counts_are_logged(tmp_path, toy_voc, monkeypatch):
    import mmdet_led.datasets.box_validation as module
    logged = []
    monkeypatch.setattr(module, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    root = mini_voc(tmp_path, toy_voc, [GOOD, (50, 21, 50, 101)])
    voc_dataset(root, invalid_boxes='drop')
    assert logged == [
        'ValidatedVOCDataset: invalid ground-truth boxes in 1 annotation '
        "file(s): 0 clipped to the image, 1 dropped (invalid_boxes='drop')"]
    logged.clear()
    voc_dataset(mini_voc(tmp_path / 'ok', toy_voc, [GOOD]))
    assert logged == []


def test_voc_boxes_of_other_classes_are_not_checked(tmp_path, toy_voc):
    root = mini_voc(tmp_path, toy_voc, [GOOD])
    xml = root / 'VOC2007' / 'Annotations' / '000000.xml'
    xml.write_text(xml.read_text().replace(
        '</annotation>',
        OBJ.format(5, 5, 5, 5, cls='bird') + '</annotation>'))
    assert len(voc_dataset(root).get_data_info(0)['instances']) == 1


def test_voc_bad_option():
    with pytest.raises(ValueError, match='invalid_boxes must be one of'):
        ValidatedVOCDataset(invalid_boxes='fix', lazy_init=True)


# ----------------------------------------------------------------- KITTI

CAR = 'Car 0.00 0 1.85 {} {} {} {} 1.67 1.87 3.69 -16.53 2.39 58.49 1.57'


def kitti_root(tmp_path: Path, boxes: list) -> Path:
    (tmp_path / 'training' / 'image_2').mkdir(parents=True)
    (tmp_path / 'training' / 'label_2').mkdir(parents=True)
    cv2.imwrite(str(tmp_path / 'training' / 'image_2' / '000000.png'),
                np.zeros((375, 1242, 3), np.uint8))
    (tmp_path / 'training' / 'label_2' / '000000.txt').write_text(''.join(
        CAR.format(*b) + '\n' for b in boxes))
    return tmp_path


def kitti_dataset(root: Path, **kwargs) -> KittiDataset:
    return KittiDataset(
        data_root=str(root),
        ann_file='',
        data_prefix=dict(img='training/image_2', ann='training/label_2'),
        pipeline=[],
        **kwargs)


def test_real_kitti_mini_passes():
    root = Path(__file__).resolve().parents[2] / '..' / 'shared' / 'data' \
        / 'kitti_mini'
    if not root.exists():
        pytest.skip('kitti_mini not found')
    ds = kitti_dataset(root, metainfo=dict(classes=('Car', 'Pedestrian',
                                                    'Cyclist', 'Truck')))
    assert sum(len(ds.get_data_info(i)['instances']) for i in range(3)) == 9
    assert ds.invalid_box_counts == dict(clipped=0, dropped=0)


@pytest.mark.parametrize('bad, problem', [
    ((600.0, 150.0, 600.0, 200.0), 'zero or negative width'),
    ((650.0, 150.0, 600.0, 200.0), 'zero or negative width'),
    ((600.0, 150.0, 650.0, 150.0), 'zero or negative height'),
    ((1200.0, 150.0, 1250.0, 200.0), 'outside the 1242x375 image'),
])
def test_kitti_invalid_box_names_file_and_object(bad, problem, tmp_path):
    root = kitti_root(tmp_path, [(10., 20., 110., 90.), bad])
    with pytest.raises(InvalidBoxError) as info:
        kitti_dataset(root)
    message = str(info.value)
    assert message.startswith(
        str(root / 'training' / 'label_2' / '000000.txt'))
    assert ': object 2: invalid box' in message and problem in message


def test_kitti_clip_and_drop(tmp_path):
    root = kitti_root(tmp_path, [(10., 20., 110., 90.),
                                 (600., 150., 600., 200.),
                                 (1200., 150., 1250., 200.)])
    ds = kitti_dataset(root, invalid_boxes='clip')
    assert [i['bbox'] for i in ds.get_data_info(0)['instances']] == [
        [10., 20., 110., 90.], [1200., 150., 1242., 200.]]
    assert ds.invalid_box_counts == dict(clipped=1, dropped=1)
    # the label lines stay as written for the metric
    assert len(ds.get_data_info(0)['kitti_annos']) == 3
    ds = kitti_dataset(root, invalid_boxes='drop')
    assert len(ds.get_data_info(0)['instances']) == 1
    assert ds.invalid_box_counts == dict(clipped=0, dropped=2)


# -------------------------------------- training on a zero-width box


def train_led_on(root: Path, work_dir: Path, dataset: dict):
    """Two iterations of the CPU LED config (phase 'det') on ``root`` with
    a deterministic pipeline; returns the logged loss history."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    from conftest import REPO
    cfg = Config.fromfile(
        str(REPO / 'configs/led/ledlite_mobilenetv2_192_voc07_cpu.py'))
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', with_bbox=True),
        dict(type='Resize', scale=(192, 192), keep_ratio=False),
        dict(type='PackDetInputs')
    ]
    cfg.train_dataloader = dict(
        batch_size=2, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            data_root=str(root),
            ann_file='VOC2007/ImageSets/Main/trainval.txt',
            data_prefix=dict(sub_data_root='VOC2007/'),
            metainfo=dict(classes=('car', 'person', 'dog')),
            pipeline=pipeline, **dataset))
    cfg.model.bbox_head.num_classes = 3
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.custom_hooks = [
        dict(type='LEDPhaseHook', phases=[dict(name='det', end=2)],
             save_phase_checkpoints=False)
    ]
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = str(work_dir)
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    return {k: hub.get_scalar(k).data[0] for k in hub.log_scalars
            if k.startswith('train/loss')}


@pytest.mark.slow
def test_zero_width_box_trains_finite_when_clipped_or_dropped(tmp_path,
                                                              toy_voc):
    root = mini_voc(tmp_path / 'data', toy_voc, [GOOD, (50, 21, 50, 101)])
    for mode in ('clip', 'drop'):
        losses = train_led_on(root, tmp_path / mode,
                              dict(type='ValidatedVOCDataset',
                                   invalid_boxes=mode))
        assert {'train/loss', 'train/loss_cls', 'train/loss_bbox'} <= set(
            losses)
        for key, values in losses.items():
            assert np.isfinite(values).all() and len(values) == 2, (mode, key)
    # (the default, invalid_boxes='error', refuses the data set: see
    # test_voc_invalid_box_names_file_and_object)
    # the control: mmdet's VOCDataset lets the box reach the loss, which is
    # infinite at the first iteration (NonFiniteCheckHook stops it)
    with pytest.raises(FloatingPointError,
                       match=r'iteration 1;[\s\S]*loss_bbox=inf[\s\S]*'
                       r'000000\.jpg'):
        train_led_on(root, tmp_path / 'mmdet', dict(type='VOCDataset'))
