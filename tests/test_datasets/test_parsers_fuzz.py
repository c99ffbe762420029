"""Property-based tests of the annotation readers: whatever the input, the
KITTI label/result parser and the VOC annotation path give a result that
passes the box checks or raise the documented error, naming the file."""
import math
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmdet_led.datasets import (InvalidBoxError, ValidatedVOCDataset,
                                box_problem, format_kitti_result_line,
                                parse_kitti_label_line, parse_kitti_label_text)
from mmdet_led.datasets.kitti_utils import parse_kitti_label_file

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture])

NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**6, 10**6).map(str),
    st.sampled_from(['nan', 'inf', '-inf', '1e400', '1.5e-3', '', '-0',
                     '1_0', '0x10', '١٢', '12px', 'None']),
    st.text(max_size=6))
TYPE_TEXT = st.one_of(
    st.sampled_from(['Car', 'Van', 'Pedestrian', 'DontCare', 'Misc']),
    st.text(min_size=1, max_size=8))

# ----------------------------------------------------------------- KITTI


@st.composite
def kitti_lines(draw) -> str:
    """Lines of 13-17 fields: a type, then number-like or random tokens,
    joined by random whitespace."""
    n = draw(st.integers(13, 17))
    tokens = [draw(TYPE_TEXT)] + [draw(NUMBER_TEXT) for _ in range(n - 1)]
    sep = draw(st.sampled_from([' ', '  ', '\t', ' \t ']))
    return sep.join(tokens)


FINITE = st.floats(-1e4, 1e4, allow_nan=False)


@st.composite
def well_formed_fields(draw) -> list:
    """The values of a well-formed label (15) or result (16) line: type,
    truncated, occluded (int), alpha, an ordered box, h w l, x y z,
    rotation_y[, score]."""
    x1, y1 = draw(FINITE), draw(FINITE)
    box = [x1, y1, x1 + draw(st.floats(0, 1e3)), y1 + draw(st.floats(0, 1e3))]
    values = [draw(TYPE_TEXT.filter(lambda t: t.split() == [t])),
              draw(st.floats(0, 1)), draw(st.integers(0, 3)),
              draw(FINITE), *box, *[draw(FINITE) for _ in range(7)]]
    if draw(st.booleans()):
        values.append(draw(st.floats(0, 1)))
    return values


@st.composite
def mostly_well_formed_lines(draw) -> str:
    """Well-formed lines, one in four with a field swapped for a
    number-like or random token."""
    tokens = [str(v) for v in draw(well_formed_fields())]
    if draw(st.integers(0, 3)) == 0:
        tokens[draw(st.integers(1, len(tokens) - 1))] = draw(NUMBER_TEXT)
    return ' '.join(tokens)


def check_label(anno: dict, with_score, check_box: bool) -> None:
    assert set(anno) >= {'type', 'truncated', 'occluded', 'alpha', 'bbox',
                         'dimensions', 'location', 'rotation_y'}
    values = [anno['truncated'], anno['alpha'], anno['rotation_y'],
              *anno['bbox'], *anno['dimensions'], *anno['location']]
    assert all(math.isfinite(v) for v in values)
    assert isinstance(anno['occluded'], int)
    if check_box:
        x1, y1, x2, y2 = anno['bbox']
        assert x2 >= x1 and y2 >= y1
    if with_score is True:
        assert math.isfinite(anno['score'])
    elif with_score is False:
        assert 'score' not in anno


@FUZZ
@given(line=st.one_of(mostly_well_formed_lines(), kitti_lines(),
                     st.text(max_size=200)),
       with_score=st.sampled_from([None, True, False]),
       check_box=st.booleans())
def test_kitti_line_parser_raises_only_value_error(line, with_score,
                                                   check_box):
    try:
        anno = parse_kitti_label_line(line, with_score, check_box)
    except ValueError:
        return
    check_label(anno, with_score, check_box)


@FUZZ
@given(lines=st.lists(st.one_of(mostly_well_formed_lines(), kitti_lines(),
                                st.text(max_size=40)),
                      max_size=6))
def test_kitti_text_parser_names_source_and_line(lines):
    text = '\n'.join(lines)
    try:
        annos = parse_kitti_label_text(text, source='lbl.txt')
    except ValueError as err:
        assert re.match(r'^lbl\.txt, line \d+: ', str(err)), str(err)
        return
    assert len(annos) == sum(1 for line in text.splitlines() if line.strip())


@FUZZ
@given(values=well_formed_fields())
def test_kitti_line_round_trip(values):
    """A well-formed line parses to the values it was written from."""
    anno = parse_kitti_label_line(' '.join(map(str, values)))
    assert anno['type'] == values[0]
    assert [anno['truncated'], anno['occluded'], anno['alpha'],
            *anno['bbox'], *anno['dimensions'], *anno['location'],
            anno['rotation_y']] == values[1:15]
    assert anno.get('score') == (values[15] if len(values) == 16 else None)


@FUZZ
@given(box=st.tuples(*[st.floats(-1e4, 1e4)] * 4),
       score=st.floats(0, 1),
       obj_type=st.sampled_from(['Car', 'Pedestrian', 'Cyclist']))
def test_kitti_result_line_round_trip(box, score, obj_type):
    line = format_kitti_result_line(obj_type, box, score)
    anno = parse_kitti_label_line(line, with_score=True, check_box=False)
    assert anno['type'] == obj_type
    assert anno['bbox'] == pytest.approx([round(v, 4) for v in box],
                                         abs=1e-4)
    assert anno['score'] == pytest.approx(score, abs=1e-6)


@FUZZ
@given(content=st.binary(max_size=300))
def test_kitti_file_parser_on_any_bytes(content, tmp_path):
    path = tmp_path / '000000.txt'
    path.write_bytes(content)
    try:
        parse_kitti_label_file(str(path))
    except ValueError as err:
        assert str(err).startswith(str(path)), str(err)


# ------------------------------------------------------------------- VOC

CLASSES = ('car', 'person', 'dog')


@st.composite
def voc_xml(draw) -> str:
    """An annotation with random size, objects and coordinate texts, mostly
    plausible, with odd values and left-out parts at random; sometimes cut
    short."""

    def odd(plausible, weird=NUMBER_TEXT):
        # one draw in ten takes a value from `weird`
        return draw(weird if draw(st.integers(0, 9)) == 0 else plausible)

    parts = ['<annotation><filename>000000.jpg</filename>']
    if draw(st.integers(0, 4)) > 0:  # else mmdet reads the image size
        size = st.integers(1, 500).map(str)
        parts.append(f'<size><width>{odd(size)}</width><height>{odd(size)}'
                     '</height><depth>3</depth></size>')
    for _ in range(draw(st.integers(0, 4))):
        name = odd(st.sampled_from(CLASSES + ('bird', )),
                   st.text(max_size=5))
        x1, y1 = draw(st.integers(-20, 300)), draw(st.integers(-20, 300))
        box = (x1, y1, x1 + draw(st.integers(-5, 300)),
               y1 + draw(st.integers(-5, 300)))
        coords = []
        for tag, value in zip(('xmin', 'ymin', 'xmax', 'ymax'), box):
            if draw(st.integers(0, 39)) == 0:
                continue  # a missing coordinate
            if draw(st.integers(0, 24)) == 0:
                value = draw(NUMBER_TEXT)
            coords.append(f'<{tag}>{value}</{tag}>')
        difficult = odd(st.sampled_from(['0', '1']),
                        st.sampled_from(['x', '', '2.5']))
        parts.append(f'<object><name>{name}</name><difficult>{difficult}'
                     f'</difficult><bndbox>{"".join(coords)}</bndbox>'
                     '</object>')
    parts.append('</annotation>')
    text = ''.join(parts)
    if draw(st.integers(0, 9)) == 0:
        text = text[:draw(st.integers(0, len(text)))]
    return text


@pytest.fixture(scope='module')
def voc_datasets(toy_voc):
    """One dataset per ``invalid_boxes`` mode on a one-image copy of the toy
    set; the tests feed their own annotation file to ``parse_data_info``."""
    root = Path(tempfile.mkdtemp())
    for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main'):
        (root / 'VOC2007' / sub).mkdir(parents=True)
    for sub, ext in (('JPEGImages', 'jpg'), ('Annotations', 'xml')):
        shutil.copy(toy_voc / 'VOC2007' / sub / f'000000.{ext}',
                    root / 'VOC2007' / sub)
    (root / 'VOC2007/ImageSets/Main/trainval.txt').write_text('000000\n')
    datasets = {
        mode: ValidatedVOCDataset(
            data_root=str(root),
            ann_file='VOC2007/ImageSets/Main/trainval.txt',
            data_prefix=dict(sub_data_root='VOC2007/'),
            metainfo=dict(classes=CLASSES),
            invalid_boxes=mode,
            pipeline=[])
        for mode in ('error', 'clip', 'drop')
    }
    yield root, datasets
    shutil.rmtree(root)


def parse_voc(datasets, root: Path, mode: str, content: bytes):
    xml = root / 'VOC2007' / 'Annotations' / 'fuzz.xml'
    xml.write_bytes(content)
    info = dict(img_id='000000', file_name='JPEGImages/000000.jpg',
                xml_path=str(xml))
    try:
        return str(xml), datasets[mode].parse_data_info(info), None
    except ValueError as err:
        return str(xml), None, err


@FUZZ
@given(text=voc_xml(), mode=st.sampled_from(['error', 'clip', 'drop']))
def test_voc_annotation_path(text, mode, voc_datasets):
    """Either valid instances only, or a ValueError naming the file; never
    an InvalidBoxError when invalid boxes are clipped or dropped."""
    root, datasets = voc_datasets
    path, info, err = parse_voc(datasets, root, mode, text.encode())
    if err is not None:
        assert str(err).startswith(f'{path}: '), str(err)
        if mode != 'error':
            assert not isinstance(err, InvalidBoxError)
        return
    for inst in info['instances']:
        assert box_problem(inst['bbox'], info['width'],
                           info['height']) is None
        assert 0 <= inst['bbox_label'] < len(CLASSES)


@FUZZ
@given(content=st.binary(max_size=300))
def test_voc_annotation_path_on_any_bytes(content, voc_datasets):
    root, datasets = voc_datasets
    path, info, err = parse_voc(datasets, root, 'error', content)
    if err is not None:
        assert str(err).startswith(f'{path}: '), str(err)
    else:
        assert info['instances'] == [] or all(
            box_problem(i['bbox'], info['width'], info['height']) is None
            for i in info['instances'])
