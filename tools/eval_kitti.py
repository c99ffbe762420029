"""Evaluate KITTI result files with the official 2D object benchmark rules.

Example::

    python tools/eval_kitti.py --gt-dir data/kitti/training/label_2 \\
        --result-dir work_dirs/kitti_results \\
        --ids data/kitti/ImageSets/val.txt --classes Car --out ap.json

Reads ``<gt-dir>/<id>.txt`` (15 fields) and ``<result-dir>/<id>.txt`` (16
fields, the last one the score) for every id; a missing result file means
no detections for that image. A warning (on stderr) says when no result
file matches an evaluated id (e.g. ``1.txt`` for id ``000001``: every AP
would silently be 0) and how many result files were ignored because their
id is not evaluated. Prints AP|R40 and AP|R11 for easy, moderate
and hard (the rules of ``mmdet_led.evaluation.functional.kitti_eval``) and
with ``--out`` writes ``{class: {"easy"|"moderate"|"hard": {"AP_R11": float,
"AP_R40": float}}}`` in percent as JSON.
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import List, Optional, Tuple

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


def match_result_files(result_dir: str,
                       ids: List[str]) -> Tuple[List[str], List[str]]:
    """Split the result files of a folder by whether their id is evaluated.

    Args:
        result_dir (str): Folder of ``<id>.txt`` result files.
        ids (list[str]): The evaluated image ids.

    Returns:
        tuple[list[str], list[str]]: The ids that have a result file, and
        the (sorted) names of the ``.txt`` files whose id is not evaluated.
    """
    wanted = set(ids)
    names = sorted(n for n in os.listdir(result_dir) if n.endswith('.txt'))
    matched = [n[:-4] for n in names if n[:-4] in wanted]
    ignored = [n for n in names if n[:-4] not in wanted]
    return matched, ignored


def result_file_warnings(ids: List[str], matched: List[str],
                         ignored: List[str], result_dir: str) -> List[str]:
    """Warnings about result files that do not match the evaluated ids.

    Args:
        ids (list[str]): The evaluated image ids.
        matched (list[str]): Evaluated ids that have a result file.
        ignored (list[str]): Result file names of ids not evaluated.
        result_dir (str): The result folder, for the message.

    Returns:
        list[str]: The warning lines (empty if there is nothing to say).
    """
    lines = []
    if ignored:
        shown = ', '.join(ignored[:5]) + (', ...' if len(ignored) > 5 else '')
        lines.append(f'{len(ignored)} result file(s) in {result_dir} ignored: '
                     f'their ids are not among the {len(ids)} evaluated '
                     f'({shown})')
    if ids and not matched:
        numeric = {int(i): i for i in ids if i.isdigit()}
        renamed = [(n, numeric[int(n[:-4])]) for n in ignored
                   if n[:-4].isdigit() and int(n[:-4]) in numeric]
        hint = (f'; e.g. {renamed[0][0]} looks like id {renamed[0][1]}: '
                'name result files exactly like the label files'
                if renamed else '')
        lines.append(f'no result file in {result_dir} matches an evaluated '
                     f'id: every image counts as without detections and '
                     f'every AP is 0{hint}')
    return lines


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
    matched, ignored = match_result_files(args.result_dir, ids)
    for line in result_file_warnings(ids, matched, ignored,
                                     args.result_dir):
        print(f'WARNING: {line}', file=sys.stderr)
    results = kitti_eval_2d(gts, dets, classes=args.classes)
    print(f'KITTI 2D detection AP (%), {len(ids)} images, '
          f'{len(matched)} result files ({len(ignored)} ignored):')
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
