"""Write train/val image-id lists for a KITTI object ``training/`` folder.

Examples::

    # deterministic split of every labelled image (3712/3769 on full KITTI)
    python tools/kitti_split.py data/kitti/training
    # use a published split (e.g. the 3DOP/MV3D train.txt/val.txt) instead
    python tools/kitti_split.py data/kitti/training \\
        --train-list train.txt --val-list val.txt

Writes ``train.txt``, ``val.txt`` and ``trainval.txt`` (one id per line,
sorted) into ``--out-dir`` (default ``<training>/../ImageSets``).
"""
import argparse
import os
import os.path as osp
import random
import sys
from typing import List, Optional, Sequence, Tuple

from mmdet_led.datasets.kitti_utils import list_kitti_ids, read_kitti_ids

#: Sizes of the widely used published split (Chen et al., 3DOP, 2015).
PUBLISHED_TRAIN, PUBLISHED_VAL = 3712, 3769

SPLIT_RULE = (
    'Default rule: the ids of all label files in <training>/label_2, sorted, '
    'shuffled with random.Random(--seed).shuffle; the first '
    'round(n * 3712 / 7481) ids (3712 of the 7481 KITTI images, the size of '
    'the published 3DOP split) form train, the rest val; both lists are '
    'written sorted. This is a random image-level split: unlike the '
    'published split it may put frames of the same sequence in train and '
    'val. Pass --train-list/--val-list to use a published split instead.')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv (list[str], optional): Arguments; ``sys.argv[1:]`` if None.

    Returns:
        argparse.Namespace: The arguments.
    """
    parser = argparse.ArgumentParser(
        description='Write KITTI train/val id lists. ' + SPLIT_RULE)
    parser.add_argument(
        'training_dir', help='KITTI training folder (with label_2)')
    parser.add_argument(
        '--out-dir',
        help='output folder (default: <training_dir>/../ImageSets)')
    parser.add_argument(
        '--seed', type=int, default=0, help='shuffle seed (default: 0)')
    parser.add_argument(
        '--train-list', help='published train id list to validate and copy')
    parser.add_argument(
        '--val-list', help='published val id list to validate and copy')
    return parser.parse_args(argv)


def random_split(ids: Sequence[str],
                 seed: int = 0) -> Tuple[List[str], List[str]]:
    """Split ids deterministically (see ``SPLIT_RULE``).

    Args:
        ids (Sequence[str]): All image ids.
        seed (int): Shuffle seed. Defaults to 0.

    Returns:
        tuple[list[str], list[str]]: Sorted train and val ids.
    """
    shuffled = sorted(ids)
    random.Random(seed).shuffle(shuffled)
    n_train = int(
        round(
            len(shuffled) * PUBLISHED_TRAIN /
            (PUBLISHED_TRAIN + PUBLISHED_VAL)))
    return sorted(shuffled[:n_train]), sorted(shuffled[n_train:])


def check_split(train: Sequence[str], val: Sequence[str],
                available: Sequence[str]) -> None:
    """Check that a split is disjoint and names only existing images.

    Args:
        train (Sequence[str]): Train ids.
        val (Sequence[str]): Val ids.
        available (Sequence[str]): Ids with a label file.

    Raises:
        ValueError: If the lists overlap or name unknown ids.
    """
    both = sorted(set(train) & set(val))
    if both:
        raise ValueError(f'{len(both)} ids are in train and val, e.g. '
                         f'{both[:5]}')
    unknown = sorted((set(train) | set(val)) - set(available))
    if unknown:
        raise ValueError(f'{len(unknown)} ids have no label file, e.g. '
                         f'{unknown[:5]}')


def write_ids(path: str, ids: Sequence[str]) -> None:
    """Write one id per line.

    Args:
        path (str): Output file.
        ids (Sequence[str]): Ids.
    """
    with open(path, 'w') as f:
        f.write(''.join(f'{i}\n' for i in ids))


def main(argv: Optional[List[str]] = None) -> Tuple[List[str], List[str]]:
    """Write the split files.

    Args:
        argv (list[str], optional): Arguments; ``sys.argv[1:]`` if None.

    Returns:
        tuple[list[str], list[str]]: Train and val ids.
    """
    args = parse_args(argv)
    available = list_kitti_ids(osp.join(args.training_dir, 'label_2'))
    img_dir = osp.join(args.training_dir, 'image_2')
    if osp.isdir(img_dir):
        no_img = sorted(set(available) - set(list_kitti_ids(img_dir, '.png')))
        if no_img:
            raise ValueError(f'{len(no_img)} labels have no image in '
                             f'{img_dir}, e.g. {no_img[:5]}')
    if (args.train_list is None) != (args.val_list is None):
        raise ValueError('give both --train-list and --val-list, or neither')
    if args.train_list:
        train = sorted(read_kitti_ids(args.train_list))
        val = sorted(read_kitti_ids(args.val_list))
    else:
        train, val = random_split(available, args.seed)
    check_split(train, val, available)
    out_dir = args.out_dir or osp.join(
        osp.dirname(osp.abspath(args.training_dir)), 'ImageSets')
    os.makedirs(out_dir, exist_ok=True)
    write_ids(osp.join(out_dir, 'train.txt'), train)
    write_ids(osp.join(out_dir, 'val.txt'), val)
    write_ids(osp.join(out_dir, 'trainval.txt'), sorted(train + val))
    print(f'train: {len(train)}, val: {len(val)} ids written to {out_dir}')
    return train, val


if __name__ == '__main__':
    main(sys.argv[1:])
