"""Tests of the KITTI label reader, KittiDataset and tools/kitti_split.py."""
import collections
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmdet_led.datasets import KittiDataset
from mmdet_led.datasets.kitti_utils import (parse_kitti_label_file,
                                            parse_kitti_label_line,
                                            read_kitti_ids, read_png_size)

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / '..' / 'shared' / 'data'
KITTI_MINI = DATA / 'kitti_mini'
KITTI_LABELS = DATA / 'kitti_labels' / 'training' / 'label_2'
PREFIX = dict(img='training/image_2', ann='training/label_2')

CAR = 'Car 0.00 0 1.85 387.63 181.54 423.81 203.12 1.67 1.87 3.69 -16.53 ' \
      '2.39 58.49 1.57'
DONTCARE = 'DontCare -1 -1 -10 503.89 169.71 590.61 190.13 -1 -1 -1 -1000 ' \
           '-1000 -1000 -10'
VAN = 'Van 0.10 1 1.85 10.0 20.0 110.0 80.0 1.67 1.87 3.69 1 2 3 1.57'


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f'KITTI data not found: {path.resolve()}')
    return path


def mini_dataset(**kwargs) -> KittiDataset:
    root = need(KITTI_MINI)
    return KittiDataset(
        data_root=str(root),
        ann_file='',
        data_prefix=dict(PREFIX),
        pipeline=[],
        **kwargs)


def make_kitti(root: Path, labels: dict, sizes: dict = None) -> Path:
    """A tiny KITTI folder: ``labels`` maps id -> label text (None: no
    label file); every id gets a PNG unless ``sizes`` maps it to None."""
    (root / 'training' / 'image_2').mkdir(parents=True)
    (root / 'training' / 'label_2').mkdir(parents=True)
    sizes = sizes or {}
    for img_id, text in labels.items():
        size = sizes.get(img_id, (640, 240))  # holds CAR, DONTCARE, VAN
        if size is not None:
            cv2.imwrite(
                str(root / 'training' / 'image_2' / f'{img_id}.png'),
                np.zeros((size[1], size[0], 3), np.uint8))
        if text is not None:
            (root / 'training' / 'label_2' / f'{img_id}.txt').write_text(text)
    (root / 'ids.txt').write_text(''.join(f'{i}\n' for i in labels))
    return root


def tmp_dataset(root: Path, **kwargs) -> KittiDataset:
    return KittiDataset(
        data_root=str(root),
        ann_file='ids.txt',
        data_prefix=dict(PREFIX),
        pipeline=[],
        **kwargs)


# ------------------------------------------------------------- the parser


def test_parse_label_line_fields():
    anno = parse_kitti_label_line(CAR)
    assert anno['type'] == 'Car'
    assert anno['truncated'] == 0.0 and anno['occluded'] == 0
    assert anno['alpha'] == 1.85
    assert anno['bbox'] == [387.63, 181.54, 423.81, 203.12]
    assert anno['dimensions'] == [1.67, 1.87, 3.69]
    assert anno['location'] == [-16.53, 2.39, 58.49]
    assert anno['rotation_y'] == 1.57 and 'score' not in anno
    assert parse_kitti_label_line(CAR + ' 0.75')['score'] == 0.75
    with pytest.raises(ValueError, match='expected 16 fields, got 15'):
        parse_kitti_label_line(CAR, with_score=True)
    with pytest.raises(ValueError, match='expected 15 fields, got 16'):
        parse_kitti_label_line(CAR + ' 0.5', with_score=False)


@pytest.mark.parametrize('line,message', [
    (CAR.rsplit(' ', 1)[0], 'expected 15 or 16 fields, got 14'),
    (CAR + ' 0.5 7', 'expected 15 or 16 fields, got 17'),
    (CAR.replace('387.63', 'abc'), "field 'x1' is not a number: 'abc'"),
    (CAR.replace('0.00 0', '0.00 0.5'), "'occluded' is not an integer"),
    (CAR.replace('423.81', '300.00'), 'x2 < x1'),
    (CAR.replace('203.12', '100.00'), 'y2 < y1'),
    (CAR.replace('1.57', 'nan'), "'rotation_y' is not finite"),
])
def test_malformed_line_names_file_and_line(tmp_path, line, message):
    path = tmp_path / '000123.txt'
    path.write_text(f'{DONTCARE}\n\n{line}\n')
    with pytest.raises(ValueError) as err:
        parse_kitti_label_file(str(path))
    assert str(err.value).startswith(f'{path}, line 3: ')
    assert message in str(err.value)


def test_parse_missing_empty_and_dontcare_only(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        parse_kitti_label_file(str(tmp_path / 'nope.txt'))
    (tmp_path / 'empty.txt').write_text('')
    assert parse_kitti_label_file(str(tmp_path / 'empty.txt')) == []
    (tmp_path / 'dc.txt').write_text(DONTCARE + '\n' + DONTCARE)
    annos = parse_kitti_label_file(str(tmp_path / 'dc.txt'))
    assert [a['type'] for a in annos] == ['DontCare'] * 2
    assert annos[0]['occluded'] == -1 and annos[0]['truncated'] == -1


def test_read_ids(tmp_path):
    (tmp_path / 'ids.txt').write_text('000001\n\n000003\n')
    assert read_kitti_ids(str(tmp_path / 'ids.txt')) == ['000001', '000003']
    (tmp_path / 'dup.txt').write_text('000001\n000001\n')
    with pytest.raises(ValueError, match='line 2: duplicate id'):
        read_kitti_ids(str(tmp_path / 'dup.txt'))


def test_all_genuine_labels_class_totals():
    """Every one of the 7481 official label files parses; the class totals
    are the published ones."""
    folder = need(KITTI_LABELS)
    files = sorted(folder.glob('*.txt'))
    assert len(files) == 7481
    counts = collections.Counter(anno['type'] for f in files
                                 for anno in parse_kitti_label_file(str(f)))
    assert counts == {
        'Car': 28742,
        'Van': 2914,
        'Truck': 1094,
        'Pedestrian': 4487,
        'Person_sitting': 222,
        'Cyclist': 1627,
        'Tram': 511,
        'Misc': 973,
        'DontCare': 11295
    }


# ------------------------------------------------------------ the dataset


def test_kitti_mini_car():
    ds = mini_dataset()
    assert len(ds) == 3
    assert ds.metainfo['classes'] == ('Car', )
    infos = [ds.get_data_info(i) for i in range(3)]
    assert [i['img_id'] for i in infos] == ['000000', '000001', '000002']
    assert [(i['width'], i['height']) for i in infos] == [(1224, 370),
                                                          (1242, 375),
                                                          (1242, 375)]
    assert infos[0]['img_path'].endswith('training/image_2/000000.png')
    # 000000: one Pedestrian -> no Car instance, but the raw label is kept
    assert infos[0]['instances'] == []
    assert [a['type'] for a in infos[0]['kitti_annos']] == ['Pedestrian']
    # 000001: Truck, Car, Cyclist, 4 DontCare -> 1 Car + 4 ignore regions
    inst = infos[1]['instances']
    assert [(i['bbox_label'], i['ignore_flag']) for i in inst] == \
        [(0, 0)] + [(-1, 1)] * 4
    assert inst[0]['bbox'] == [387.63, 181.54, 423.81, 203.12]
    assert inst[1]['bbox'] == [503.89, 169.71, 590.61, 190.13]
    assert len(infos[1]['kitti_annos']) == 7
    # 000002: Misc, Car -> the Car
    assert [i['bbox'] for i in infos[2]['instances']] == \
        [[657.39, 190.13, 700.07, 223.39]]
    assert ds.get_cat_ids(1) == [0]


def test_kitti_mini_three_classes():
    ds = mini_dataset(metainfo=dict(classes=('Car', 'Pedestrian', 'Cyclist')))
    assert len(ds.metainfo['palette']) == 3
    counts = collections.Counter()
    for i in range(len(ds)):
        for inst in ds.get_data_info(i)['instances']:
            counts[(inst['bbox_label'], inst['ignore_flag'])] += 1
    assert counts == {(0, 0): 2, (1, 0): 1, (2, 0): 1, (-1, 1): 4}


def test_kitti_mini_test_pipeline_packs_ignored_and_raw_labels():
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(1920, 576), keep_ratio=False),
        dict(type='LoadAnnotations', with_bbox=True),
        dict(
            type='PackDetInputs',
            meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                       'scale_factor', 'kitti_annos'))
    ]
    root = need(KITTI_MINI)
    ds = KittiDataset(
        data_root=str(root),
        ann_file='',
        data_prefix=dict(PREFIX),
        test_mode=True,
        pipeline=pipeline)
    sample = ds[1]['data_samples']
    assert tuple(ds[1]['inputs'].shape) == (3, 576, 1920)
    assert sample.ori_shape == (375, 1242)
    assert len(sample.gt_instances) == 1
    assert len(sample.ignored_instances) == 4
    assert sample.ignored_instances.labels.tolist() == [-1] * 4
    assert len(sample.kitti_annos) == 7


def test_neighbour_classes_are_ignore_regions(tmp_path):
    root = make_kitti(
        tmp_path, {
            '000000': f'{CAR}\n{VAN}\n',
            '000001': VAN.replace('Van', 'Person_sitting') + '\n',
        })
    ds = tmp_dataset(root)
    assert [(i['bbox_label'], i['ignore_flag'])
            for i in ds.get_data_info(0)['instances']] == [(0, 0), (0, 1)]
    assert ds.get_data_info(1)['instances'] == []
    ds = tmp_dataset(root, metainfo=dict(classes=('Pedestrian', 'Car')))
    assert [(i['bbox_label'], i['ignore_flag'])
            for i in ds.get_data_info(1)['instances']] == [(0, 1)]
    # Van as a class of its own is a normal instance
    ds = tmp_dataset(root, metainfo=dict(classes=('Car', 'Van')))
    assert [(i['bbox_label'], i['ignore_flag'])
            for i in ds.get_data_info(0)['instances']] == [(0, 0), (1, 0)]
    ds = tmp_dataset(root, load_ignore_regions=False)
    assert len(ds.get_data_info(0)['instances']) == 1


def test_empty_and_dontcare_only_labels_load(tmp_path):
    root = make_kitti(
        tmp_path, {
            '000000': '',
            '000001': DONTCARE + '\n',
            '000002': CAR + '\n'
        },
        sizes={'000002': (700, 210)})
    ds = tmp_dataset(root)
    assert len(ds) == 3
    assert ds.get_data_info(0)['instances'] == []
    assert ds.get_data_info(0)['kitti_annos'] == []
    assert [i['ignore_flag'] for i in ds.get_data_info(1)['instances']] == [1]
    assert (ds.get_data_info(2)['width'], ds.get_data_info(2)['height']) == \
        (700, 210)
    # training filter: images without a non-ignored instance are dropped
    ds = tmp_dataset(root, filter_cfg=dict(filter_empty_gt=True))
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == \
        ['000002']
    ds = tmp_dataset(root, filter_cfg=dict(min_size=220))
    assert len(ds) == 2
    ds = tmp_dataset(
        root, filter_cfg=dict(filter_empty_gt=True), test_mode=True)
    assert len(ds) == 3


def test_malformed_label_in_dataset_names_file_and_line(tmp_path):
    root = make_kitti(tmp_path, {'000000': f'{CAR}\nCar 0 0 1 2 3\n'})
    with pytest.raises(ValueError, match=r'000000.txt, line 2: expected 15'):
        tmp_dataset(root)
    # a result line (16 fields) is not a label
    (root / 'training' / 'label_2' / '000000.txt').write_text(CAR + ' 0.9')
    with pytest.raises(ValueError, match='line 1: expected 15 fields'):
        tmp_dataset(root)


def test_missing_image_or_label_file(tmp_path):
    root = make_kitti(tmp_path / 'a', {'000000': CAR, '000001': None})
    with pytest.raises(FileNotFoundError, match=r'label_2/000001.txt'):
        tmp_dataset(root)
    root = make_kitti(tmp_path / 'b', {'000000': CAR}, sizes={'000000': None})
    with pytest.raises(FileNotFoundError, match=r'image_2/000000.png'):
        tmp_dataset(root)
    with pytest.raises(FileNotFoundError, match='nothere.txt'):
        KittiDataset(
            data_root=str(root),
            ann_file='nothere.txt',
            data_prefix=dict(PREFIX),
            pipeline=[])


def test_unlabelled_split_and_png_size(tmp_path):
    root = make_kitti(
        tmp_path, {
            '000000': None,
            '000001': None
        }, sizes={'000001': (33, 17)})
    ds = KittiDataset(
        data_root=str(root),
        ann_file='',
        test_mode=True,
        data_prefix=dict(img='training/image_2'),
        pipeline=[])
    assert len(ds) == 2
    info = ds.get_data_info(1)
    assert info['kitti_annos'] is None and info['instances'] == []
    assert (info['width'], info['height']) == (33, 17)
    jpg = tmp_path / 'x.jpg'
    cv2.imwrite(str(jpg), np.zeros((5, 7, 3), np.uint8))
    assert read_png_size(str(jpg)) == (7, 5)


def test_dataset_from_config_registry():
    from mmdet.registry import DATASETS
    root = need(KITTI_MINI)
    ds = DATASETS.build(
        dict(
            type='KittiDataset',
            data_root=str(root),
            ann_file='',
            data_prefix=dict(PREFIX),
            pipeline=[]))
    assert isinstance(ds, KittiDataset) and len(ds) == 3


# ------------------------------------------------------ tools/kitti_split


def _kitti_split():
    sys.path.insert(0, str(REPO / 'tools'))
    try:
        import kitti_split
    finally:
        sys.path.pop(0)
    return kitti_split


def test_kitti_split_default_rule(tmp_path):
    kitti_split = _kitti_split()
    ids = [f'{i:06d}' for i in range(7481)]
    train, val = kitti_split.random_split(ids, seed=0)
    assert (len(train), len(val)) == (3712, 3769)
    assert sorted(train + val) == ids and train == sorted(train)
    assert kitti_split.random_split(ids, seed=0) == (train, val)
    assert kitti_split.random_split(ids, seed=1) != (train, val)
    root = need(KITTI_MINI) / 'training'
    out = tmp_path / 'sets'
    train, val = kitti_split.main([str(root), '--out-dir', str(out)])
    assert (len(train), len(val)) == (1, 2)
    assert read_kitti_ids(str(out / 'train.txt')) == train
    assert read_kitti_ids(str(out / 'val.txt')) == val
    assert read_kitti_ids(str(out / 'trainval.txt')) == \
        ['000000', '000001', '000002']


def test_kitti_split_published_lists(tmp_path):
    kitti_split = _kitti_split()
    root = make_kitti(tmp_path / 'k', {f'{i:06d}': '' for i in range(4)})
    lists = tmp_path / 'lists'
    lists.mkdir()
    (lists / 'train.txt').write_text('000003\n000000\n')
    (lists / 'val.txt').write_text('000001\n')
    out = tmp_path / 'sets'
    args = [
        str(root / 'training'), '--out-dir',
        str(out), '--train-list',
        str(lists / 'train.txt'), '--val-list',
        str(lists / 'val.txt')
    ]
    assert kitti_split.main(args) == (['000000', '000003'], ['000001'])
    assert (out / 'train.txt').read_text() == '000000\n000003\n'
    (lists / 'val.txt').write_text('000001\n000003\n')
    with pytest.raises(ValueError, match='in train and val'):
        kitti_split.main(args)
    (lists / 'val.txt').write_text('000009\n')
    with pytest.raises(ValueError, match='no label file'):
        kitti_split.main(args)
    with pytest.raises(ValueError, match='both'):
        kitti_split.main(args[:5])
