"""Copy a VOC devkit with its images downscaled and its boxes scaled to match.

For moving the VOC2007 subset to a machine that takes a limited upload (the
GPU run of the evidence benchmark, benchmarks/gpu/run_vgg16_pair.sh): at a
longest side of 320 px the 1612 images take ~30 MB instead of 146 MB. SSD300
resizes every image to 300x300 anyway; what is lost is the detail that
MinIoURandomCrop's crops would have kept. IoU is unchanged by scaling both
axes, so mAP on the scaled ground truth measures the same detections.

Boxes keep VOC's 1-based pixel convention: x' = (x - 1) * s + 1, rounded.
Objects are never dropped; a box that would collapse keeps >= 1 px.

Example:
  python tools/shrink_voc.py data/VOCdevkit data/voc_small/VOCdevkit \\
      --max-side 320
"""
import argparse
import os
import os.path as osp
import shutil
import xml.etree.ElementTree as ET

import cv2


def scale_coord(v: float, s: float) -> int:
    """A 1-based VOC pixel coordinate scaled by ``s``."""
    return int(round((v - 1) * s)) + 1


def shrink_annotation(src: str, dst: str, sx: float, sy: float, w: int,
                      h: int) -> None:
    """Rewrite one VOC XML: size ``w`` x ``h``, boxes scaled by sx, sy."""
    tree = ET.parse(src)
    root = tree.getroot()
    size = root.find('size')
    size.find('width').text = str(w)
    size.find('height').text = str(h)
    for box in root.iter('bndbox'):
        vals = {k: float(box.find(k).text)
                for k in ('xmin', 'ymin', 'xmax', 'ymax')}
        x1, y1 = scale_coord(vals['xmin'], sx), scale_coord(vals['ymin'], sy)
        x2 = max(x1 + 1, min(w, scale_coord(vals['xmax'], sx)))
        y2 = max(y1 + 1, min(h, scale_coord(vals['ymax'], sy)))
        for k, v in zip(('xmin', 'ymin', 'xmax', 'ymax'), (x1, y1, x2, y2)):
            box.find(k).text = str(v)
    tree.write(dst)


def shrink_voc(src_root: str,
               dst_root: str,
               max_side: int = 320,
               quality: int = 90,
               year: str = 'VOC2007') -> int:
    """Write the shrunk copy; returns the number of images written.

    Every image listed in ``ImageSets/Main/*.txt`` is copied; the image-set
    files are copied unchanged.
    """
    src, dst = osp.join(src_root, year), osp.join(dst_root, year)
    sets_src = osp.join(src, 'ImageSets', 'Main')
    sets_dst = osp.join(dst, 'ImageSets', 'Main')
    for sub in ('JPEGImages', 'Annotations'):
        os.makedirs(osp.join(dst, sub), exist_ok=True)
    os.makedirs(sets_dst, exist_ok=True)
    ids = set()
    for name in sorted(os.listdir(sets_src)):
        shutil.copyfile(osp.join(sets_src, name), osp.join(sets_dst, name))
        if '_' not in name:  # train.txt, val.txt, ...; not <class>_<set>
            with open(osp.join(sets_src, name)) as fh:
                ids.update(line.split()[0] for line in fh if line.strip())
    for img_id in sorted(ids):
        img = cv2.imread(osp.join(src, 'JPEGImages', f'{img_id}.jpg'))
        h, w = img.shape[:2]
        s = min(1.0, max_side / max(h, w))
        nw, nh = max(1, int(round(w * s))), max(1, int(round(h * s)))
        if s < 1.0:
            img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
        cv2.imwrite(
            osp.join(dst, 'JPEGImages', f'{img_id}.jpg'), img,
            [cv2.IMWRITE_JPEG_QUALITY, quality])
        shrink_annotation(
            osp.join(src, 'Annotations', f'{img_id}.xml'),
            osp.join(dst, 'Annotations', f'{img_id}.xml'), nw / w, nh / h, nw,
            nh)
    return len(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='VOCdevkit folder to read')
    parser.add_argument('dst', help='VOCdevkit folder to write')
    parser.add_argument('--max-side', type=int, default=320)
    parser.add_argument('--quality', type=int, default=90)
    args = parser.parse_args()
    n = shrink_voc(args.src, args.dst, args.max_side, args.quality)
    print(f'wrote {n} images to {args.dst}')


if __name__ == '__main__':
    main()
