"""tools/shrink_voc.py: a downscaled VOC copy with its boxes scaled."""
import importlib.util
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest

from conftest import REPO


@pytest.fixture(scope='module')
def sv():
    spec = importlib.util.spec_from_file_location('shrink_voc',
                                                  REPO / 'tools/shrink_voc.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


XML = '''<annotation><size><width>400</width><height>200</height>
<depth>3</depth></size>
<object><name>dog</name><difficult>1</difficult><bndbox><xmin>101</xmin>
<ymin>51</ymin><xmax>201</xmax><ymax>101</ymax></bndbox></object>
<object><name>cat</name><difficult>0</difficult><bndbox><xmin>1</xmin>
<ymin>1</ymin><xmax>400</xmax><ymax>200</ymax></bndbox></object>
<object><name>bird</name><difficult>0</difficult><bndbox><xmin>11</xmin>
<ymin>11</ymin><xmax>11</xmax><ymax>12</ymax></bndbox></object>
</annotation>'''


def make_voc(root, w=400, h=200):
    voc = root / 'VOC2007'
    for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main'):
        (voc / sub).mkdir(parents=True)
    cv2.imwrite(str(voc / 'JPEGImages' / '000001.jpg'),
                np.full((h, w, 3), 128, np.uint8))
    (voc / 'Annotations' / '000001.xml').write_text(XML)
    (voc / 'ImageSets/Main/test.txt').write_text('000001\n')
    (voc / 'ImageSets/Main/dog_test.txt').write_text('000001  1\n')


def test_scale_coord_by_hand(sv):
    # 1-based: pixel 1 stays 1; (101 - 1) * 0.5 + 1 = 51
    assert sv.scale_coord(1, 0.5) == 1
    assert sv.scale_coord(101, 0.5) == 51
    assert sv.scale_coord(51, 0.5) == 26
    assert sv.scale_coord(201, 0.25) == 51


def test_shrink_voc_by_hand(sv, tmp_path):
    make_voc(tmp_path / 'src')
    n = sv.shrink_voc(str(tmp_path / 'src'), str(tmp_path / 'dst'), 200)
    assert n == 1  # <class>_<set> files list no extra images
    voc = tmp_path / 'dst' / 'VOC2007'
    img = cv2.imread(str(voc / 'JPEGImages' / '000001.jpg'))
    assert img.shape == (100, 200, 3)
    root = ET.parse(voc / 'Annotations' / '000001.xml').getroot()
    assert (root.find('size/width').text, root.find('size/height').text) == (
        '200', '100')
    boxes = [[int(o.find(f'bndbox/{k}').text)
              for k in ('xmin', 'ymin', 'xmax', 'ymax')]
             for o in root.iter('object')]
    # (101, 51, 201, 101) * 0.5 in 1-based pixels; the full-image box is
    # clipped to the new size; a 1-px box keeps 1 px
    assert boxes == [[51, 26, 101, 51], [1, 1, 200, 100], [6, 6, 7, 7]]
    assert [o.find('difficult').text for o in root.iter('object')] == [
        '1', '0', '0']
    assert (voc / 'ImageSets/Main/dog_test.txt').read_text() == \
        '000001  1\n'


def test_small_images_are_not_enlarged(sv, tmp_path):
    make_voc(tmp_path / 'src')
    sv.shrink_voc(str(tmp_path / 'src'), str(tmp_path / 'dst'), 1000)
    img = cv2.imread(str(tmp_path / 'dst/VOC2007/JPEGImages/000001.jpg'))
    assert img.shape == (200, 400, 3)
    root = ET.parse(tmp_path / 'dst/VOC2007/Annotations/000001.xml').getroot()
    assert [int(root.find(f'object/bndbox/{k}').text)
            for k in ('xmin', 'ymin', 'xmax', 'ymax')] == [101, 51, 201, 101]
