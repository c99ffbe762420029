"""Every bad data file names itself: images (zero-byte, truncated, missing)
through the real loading pipeline, VOC XML (truncated, NaN or non-numeric
coordinate, missing element) at load time, and a zero-byte KITTI image."""
import re
import shutil
from pathlib import Path

import pytest
from mmcv.transforms import LoadImageFromFile
from mmdet.datasets.transforms import LoadAnnotations, PackDetInputs

import mmdet_led  # noqa: F401  (registers the datasets)
from mmdet_led.datasets import (DataFileError, InvalidBoxError, KittiDataset,
                                ValidatedVOCDataset, image_file_problem)

# classes, not names: the test must not depend on the default scope
# that other tests leave behind
PIPELINE = [
    dict(type=LoadImageFromFile),
    dict(type=LoadAnnotations, with_bbox=True),
    dict(type=PackDetInputs)
]


@pytest.fixture
def voc(tmp_path, toy_voc) -> Path:
    """A private copy of two toy VOC images to break."""
    root = tmp_path / 'voc'
    src = toy_voc / 'VOC2007'
    for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main'):
        (root / 'VOC2007' / sub).mkdir(parents=True)
    for name in ('000000', '000001'):
        shutil.copy(src / 'JPEGImages' / f'{name}.jpg',
                    root / 'VOC2007' / 'JPEGImages')
        shutil.copy(src / 'Annotations' / f'{name}.xml',
                    root / 'VOC2007' / 'Annotations')
    (root / 'VOC2007' / 'ImageSets' / 'Main' / 'test.txt').write_text(
        '000000\n000001\n')
    return root


def dataset(root: Path) -> ValidatedVOCDataset:
    return ValidatedVOCDataset(
        data_root=str(root),
        ann_file='VOC2007/ImageSets/Main/test.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        metainfo=dict(classes=('car', 'person', 'dog')),
        test_mode=True,
        pipeline=PIPELINE)


def jpg(root: Path, name: str = '000001') -> Path:
    return root / 'VOC2007' / 'JPEGImages' / f'{name}.jpg'


def xml(root: Path, name: str = '000001') -> Path:
    return root / 'VOC2007' / 'Annotations' / f'{name}.xml'


def load_error(root: Path) -> str:
    ds = dataset(root)
    ds[0]  # the intact image loads
    with pytest.raises(DataFileError) as info:
        ds[1]
    return str(info.value)


# ----------------------------------------------------------------- images


def test_zero_byte_image(voc):
    jpg(voc).write_bytes(b'')
    message = load_error(voc)
    assert f'image {jpg(voc)} (annotation {xml(voc)})' in message
    assert 'the file is empty (0 bytes)' in message
    assert 'cv2.error' in message  # what mmcv raised, kept as the cause


def test_truncated_image(voc):
    data = jpg(voc).read_bytes()
    jpg(voc).write_bytes(data[:len(data) // 2])
    message = load_error(voc)
    assert f'image {jpg(voc)}' in message
    assert re.search(r'cannot be decoded as an image \(truncated or corrupt, '
                     rf'{len(data) // 2} bytes\)', message)


def test_missing_image(voc):
    jpg(voc).unlink()
    message = load_error(voc)
    assert f'image {jpg(voc)}' in message
    assert 'the file does not exist' in message


def test_image_file_problem_on_a_good_image(toy_voc):
    assert image_file_problem(str(jpg(toy_voc, '000000'))) is None
    assert image_file_problem('s3://bucket/000000.jpg') is None


# -------------------------------------------------------------- VOC XML


def test_truncated_xml(voc):
    text = xml(voc).read_text()
    xml(voc).write_text(text[:len(text) // 2])
    with pytest.raises(ValueError, match=rf'^{re.escape(str(xml(voc)))}: '
                       r'malformed XML \((unclosed|no element).*line \d+'):
        dataset(voc)


def test_nan_coordinate_in_xml(voc):
    text = xml(voc).read_text()
    xml(voc).write_text(re.sub(r'<xmin>\d+</xmin>', '<xmin>nan</xmin>', text,
                               count=1))
    with pytest.raises(InvalidBoxError,
                       match=rf'^{re.escape(str(xml(voc)))}: object 1: '
                       r'invalid box \[nan, .*non-finite coordinate'):
        dataset(voc)


def test_non_numeric_coordinate_in_xml(voc):
    text = xml(voc).read_text()
    xml(voc).write_text(re.sub(r'<ymax>\d+</ymax>', '<ymax>12px</ymax>', text,
                               count=1))
    with pytest.raises(ValueError,
                       match=rf'^{re.escape(str(xml(voc)))}: cannot read the '
                       r"annotation \(ValueError: object 1: <ymax> is '12px', "
                       r'not a number\)'):
        dataset(voc)


def test_missing_element_in_xml(voc):
    text = xml(voc).read_text()
    xml(voc).write_text(re.sub(r'<name>\w+</name>', '', text, count=1))
    with pytest.raises(ValueError,
                       match=rf'^{re.escape(str(xml(voc)))}: cannot read the '
                       r'annotation \(AttributeError'):
        dataset(voc)


def test_missing_xml(voc):
    xml(voc).unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(str(xml(voc)))):
        dataset(voc)


# ----------------------------------------------------------------- KITTI


@pytest.mark.parametrize('content, problem', [
    (b'', 'the file is empty (0 bytes)'),
    (b'\x89PNG\r\n\x1a\n', 'the file cannot be decoded as an image '
     '(truncated or corrupt, 8 bytes)'),
])
def test_unreadable_kitti_image(tmp_path, content, problem):
    (tmp_path / 'training' / 'image_2').mkdir(parents=True)
    (tmp_path / 'training' / 'label_2').mkdir(parents=True)
    png = tmp_path / 'training' / 'image_2' / '000000.png'
    png.write_bytes(content)
    (tmp_path / 'training' / 'label_2' / '000000.txt').write_text('')
    with pytest.raises(DataFileError) as info:
        KittiDataset(
            data_root=str(tmp_path),
            ann_file='',
            data_prefix=dict(img='training/image_2', ann='training/label_2'),
            pipeline=[])
    assert str(info.value) == f'{png}: cannot read the image size: {problem}'
