"""Evaluate KITTI result files with the official 2D object benchmark rules.

Example::

    python tools/eval_kitti.py --gt-dir data/kitti/training/label_2 \\
        --result-dir work_dirs/kitti_results \\
        --ids data/kitti/ImageSets/val.txt --classes Car --out ap.json

Reads ``<gt-dir>/<id>.txt`` (15 fields) and ``<result-dir>/<id>.txt`` (16
fields, the last one the score) for every id; a missing result file means
no detections for that image. Prints AP|R40 and AP|R11 for easy, moderate
and hard (the rules of ``mmdet_led.evaluation.functional.kitti_eval``) and
with ``--out`` writes ``{class: {"easy"|"moderate"|"hard": {"AP_R11": float,
"AP_R40": float}}}`` in percent as JSON.
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import List, Optional

from mmdet_led.datasets.kitti_utils import (list_kitti_ids,
                                            parse_kitti_label_file,
                                            read_kitti_ids)
from mmdet_led.evaluation.functional.kitti_eval import (format_kitti_table,
                                                        kitti_eval_2d)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv (list[str], optional): Arguments; ``sys.argv[1:]`` if None.

    Returns:
        argparse.Namespace: The arguments.
    """
    parser = argparse.ArgumentParser(
        description='KITTI 2D object detection evaluation (official devkit '
        'rules, AP|R40 and AP|R11)')
    parser.add_argument(
        '--gt-dir', required=True, help='ground truth label_2 folder')
    parser.add_argument(
        '--result-dir',
        required=True,
        help='folder with one KITTI result file <id>.txt per image')
    parser.add_argument(
        '--ids',
        help='file with the image ids to evaluate, one per line '
        '(default: every label file in --gt-dir)')
    parser.add_argument(
        '--classes',
        nargs='+',
        default=['Car'],
        help='classes to evaluate (default: Car)')
    parser.add_argument('--out', help='write the AP values to this JSON file')
    return parser.parse_args(argv)


def load_annotations(gt_dir: str, result_dir: str, ids: List[str]) -> tuple:
    """Read the ground truth and result files of ``ids``.

    Args:
        gt_dir (str): Label folder.
        result_dir (str): Result folder; missing files mean no detections.
        ids (list[str]): Image ids.

    Returns:
        tuple[list, list]: Ground truth and detections per image.
    """
    if not osp.isdir(result_dir):
        raise FileNotFoundError(f'result folder not found: {result_dir}')
    gts, dets = [], []
    for img_id in ids:
        gts.append(
            parse_kitti_label_file(
                osp.join(gt_dir, f'{img_id}.txt'), with_score=False))
        res_path = osp.join(result_dir, f'{img_id}.txt')
        if osp.isfile(res_path):
            dets.append(parse_kitti_label_file(res_path, with_score=True))
        else:
            dets.append([])
    return gts, dets


def main(argv: Optional[List[str]] = None) -> dict:
    """Run the evaluation.

    Args:
        argv (list[str], optional): Arguments; ``sys.argv[1:]`` if None.

    Returns:
        dict: ``{class: {level: {'AP_R11': float, 'AP_R40': float}}}``.
    """
    args = parse_args(argv)
    ids = read_kitti_ids(args.ids) if args.ids else list_kitti_ids(args.gt_dir)
    gts, dets = load_annotations(args.gt_dir, args.result_dir, ids)
    results = kitti_eval_2d(gts, dets, classes=args.classes)
    n_res = sum(osp.isfile(osp.join(args.result_dir, f'{i}.txt')) for i in ids)
    print(f'KITTI 2D detection AP (%), {len(ids)} images, '
          f'{n_res} result files:')
    print(format_kitti_table(results))
    if args.out:
        out_dir = osp.dirname(osp.abspath(args.out))
        os.makedirs(out_dir, exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'written {args.out}')
    return results


if __name__ == '__main__':
    main(sys.argv[1:])
