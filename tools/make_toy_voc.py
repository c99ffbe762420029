"""Generate a small detection data set in PASCAL VOC layout.

For users (and CI) without VOC: real loading code (mmdet's ``VOCDataset``,
XML annotations, JPEG images, ImageSets lists), generated content. Each image
holds 1-3 filled shapes on a textured background; the shape decides the
class (named after VOC classes, so VOC configs work unchanged):
rectangle -> 'car', ellipse -> 'person', triangle -> 'dog'.

    python tools/make_toy_voc.py --out data/toy_voc

``tools/demo.py``, the benchmark's ``--quick`` mode and the tests call
:func:`make_toy_voc` from this file.
"""
import argparse
import os.path as osp
from pathlib import Path
from typing import Dict, List, Tuple

import cv2
import numpy as np

TOY_CLASSES = ('car', 'person', 'dog')
_XML = """<annotation>
  <folder>VOC2007</folder>
  <filename>{name}.jpg</filename>
  <size><width>{w}</width><height>{h}</height><depth>3</depth></size>
{objects}</annotation>
"""
_OBJ = """  <object>
    <name>{cls}</name><pose>Unspecified</pose><truncated>0</truncated>
    <difficult>0</difficult>
    <bndbox><xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox>
  </object>
"""


def _draw(img: np.ndarray, cls: int, box: Tuple[int, int, int, int],
          color: Tuple[int, int, int]) -> None:
    x1, y1, x2, y2 = box
    if cls == 0:
        cv2.rectangle(img, (x1, y1), (x2, y2), color, -1)
    elif cls == 1:
        cv2.ellipse(img, ((x1 + x2) // 2, (y1 + y2) // 2),
                    ((x2 - x1) // 2, (y2 - y1) // 2), 0, 0, 360, color, -1)
    else:
        pts = np.array([[(x1 + x2) // 2, y1], [x1, y2], [x2, y2]], np.int32)
        cv2.fillPoly(img, [pts], color)


def make_toy_image(rng: np.random.Generator,
                   size: Tuple[int, int] = (240, 180)
                   ) -> Tuple[np.ndarray, List[Dict]]:
    """One image (BGR) and its objects ``[{'cls', 'box'}]`` (0-based px)."""
    w, h = size
    low = rng.integers(0, 256, (h // 20 + 1, w // 20 + 1, 3)).astype(np.uint8)
    img = cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC)
    img = np.clip(img.astype(np.int16) +
                  rng.integers(-20, 21, img.shape), 0, 255).astype(np.uint8)
    objects = []
    for _ in range(rng.integers(1, 4)):
        bw, bh = rng.integers(30, w // 2), rng.integers(30, h // 2)
        x1, y1 = rng.integers(0, w - bw), rng.integers(0, h - bh)
        cls = int(rng.integers(0, len(TOY_CLASSES)))
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        box = (int(x1), int(y1), int(x1 + bw - 1), int(y1 + bh - 1))
        _draw(img, cls, box, color)
        objects.append(dict(cls=cls, box=box))
    return img, objects


def make_toy_voc(root: str,
                 num_trainval: int = 120,
                 num_test: int = 40,
                 seed: int = 0) -> str:
    """Write ``root/VOC2007/{JPEGImages,Annotations,ImageSets/Main}``.

    Later objects may occlude earlier ones, like real scenes. Image-set
    lists ``trainval``, ``train``, ``val`` (halves of trainval) and
    ``test`` are written. Existing files are overwritten, so a run with the
    same arguments always gives the same set.

    Args:
        root (str): The VOCdevkit-like root folder.
        num_trainval (int): Number of trainval images.
        num_test (int): Number of test images.
        seed (int): Random seed.

    Returns:
        str: ``root``.
    """
    voc = Path(root) / 'VOC2007'
    for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main'):
        (voc / sub).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = [f'{i:06d}' for i in range(num_trainval + num_test)]
    for name in names:
        img, objects = make_toy_image(rng)
        cv2.imwrite(str(voc / 'JPEGImages' / f'{name}.jpg'), img)
        objs = ''.join(
            _OBJ.format(
                cls=TOY_CLASSES[o['cls']],
                # VOC boxes are 1-based
                x1=o['box'][0] + 1,
                y1=o['box'][1] + 1,
                x2=o['box'][2] + 1,
                y2=o['box'][3] + 1) for o in objects)
        (voc / 'Annotations' / f'{name}.xml').write_text(
            _XML.format(
                name=name, w=img.shape[1], h=img.shape[0], objects=objs))
    trainval, test = names[:num_trainval], names[num_trainval:]
    half = len(trainval) // 2
    for split, ids in (('trainval', trainval), ('train', trainval[:half]),
                       ('val', trainval[half:]), ('test', test)):
        (voc / 'ImageSets' / 'Main' / f'{split}.txt').write_text(
            ''.join(f'{i}\n' for i in ids))
    return osp.abspath(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/toy_voc', help='output root')
    parser.add_argument('--trainval', type=int, default=400)
    parser.add_argument('--test', type=int, default=100)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    root = make_toy_voc(args.out, args.trainval, args.test, args.seed)
    print(f'wrote {args.trainval} trainval + {args.test} test images '
          f'to {root}/VOC2007')


if __name__ == '__main__':
    main()
