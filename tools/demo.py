"""`make demo`: train a CPU-sized LED model, evaluate it, print a table.

Data: real VOC2007 in data/VOCdevkit when present, else a generated
VOC-format set in data/toy_voc (made on first use, from a fixed seed).
Trains with tools/train.py, then evaluates the final checkpoint with
tools/test.py once per LE scoring mode (same weights), at IoU 0.5 and 0.7.

Seeded: ``--seed`` (default 0) fixes MMEngine's ``randomness`` (weights of
the new layers, data order and augmentation, dataloader workers) with
``deterministic=True``, so two runs on the same CPU kind with the same
thread count print the same table; another seed is another draw of the
training noise. ``--iters N`` stops after the first N iterations of the
schedule, without validation (a quick check, e.g. of determinism; not a
result). ``--cfg-options`` go to training and testing alike (e.g.
``test_dataloader.dataset.indices=16`` tests on the first 16 images).
"""
import argparse
import os
import os.path as osp
import re
import subprocess
import sys
import time
from typing import List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
VOC_LIST = 'data/VOCdevkit/VOC2007/ImageSets/Main/trainval.txt'
TOY_ROOT = 'data/toy_voc/'
MODES = ('cls', 'product', 'gaussian')
#: Seed of the generated data set (the data stay fixed across --seed).
TOY_SEED = 0


def run(cmd: list, log: str) -> str:
    """Run a command from the repo root, echo and save its output."""
    print('$', ' '.join(cmd), flush=True)
    out = []
    with subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True) as proc, open(log, 'w') as f:
        for line in proc.stdout:
            f.write(line)
            out.append(line)
            if 'Iter(' in line or 'Error' in line or 'mAP' in line:
                print('  ' + line.rstrip()[:160], flush=True)
    if proc.returncode:
        sys.exit(f'command failed ({proc.returncode}); full log: {log}')
    return ''.join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        '--config',
        default='configs/led/ledlite_efficientnetlite0_192_voc07_cpu.py')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument(
        '--seed', type=int, default=0, help='training seed (default 0)')
    parser.add_argument(
        '--iters',
        type=int,
        help='train only the first ITERS iterations of the schedule')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='config overrides for training and testing, as for '
        'tools/train.py')
    args = parser.parse_args()

    shared_opts = []
    if osp.exists(osp.join(ROOT, VOC_LIST)):
        data = 'real VOC2007 (data/VOCdevkit): trainval -> test'
    else:
        if not osp.exists(osp.join(ROOT, TOY_ROOT, 'VOC2007')):
            from make_toy_voc import make_toy_voc  # tools/make_toy_voc.py
            make_toy_voc(osp.join(ROOT, TOY_ROOT), 400, 100, seed=TOY_SEED)
        data = 'generated VOC-format set (data/toy_voc): trainval -> test'
        shared_opts = [
            f'{split}_dataloader.dataset.data_root={TOY_ROOT}'
            for split in ('train', 'val', 'test')
        ]
    shared_opts += args.cfg_options
    print(f'[demo] data: {data}', flush=True)
    work_dir = osp.join(ROOT, args.work_dir)
    py = sys.executable

    start = time.time()
    train_opts = [*seed_options(args.seed, args.iters), *shared_opts]
    run([
        py, 'tools/train.py', args.config, '--work-dir', work_dir,
        '--cfg-options', *train_opts
    ], _ensure(work_dir, 'demo_train.log'))
    train_min = (time.time() - start) / 60
    ckpt = open(osp.join(work_dir, 'last_checkpoint')).read().strip()

    rows = []
    for mode in MODES:
        out = run([
            py, 'tools/test.py', args.config, ckpt, '--work-dir',
            osp.join(work_dir, f'test_{mode}'), '--cfg-options',
            f'model.test_cfg.score_mode={mode}',
            'test_evaluator.iou_thrs=[0.5,0.7]', *shared_opts
        ], _ensure(work_dir, f'demo_test_{mode}.log'))
        ap = {k: float(v) * 100 for k, v in re.findall(
            r'pascal_voc/(AP50|AP70): ([0-9.]+)', out)}
        rows.append((mode, ap.get('AP50', float('nan')),
                     ap.get('AP70', float('nan'))))

    schedule = (f'the first {args.iters} iterations of the schedule'
                if args.iters else 'the full schedule')
    print('\n[demo] LED (CPU-sized, ImageNet-pretrained backbone), same '
          f'weights, VOC 11-point AP (%); seed {args.seed}, {schedule}')
    print(f'{"score_mode":<12}{"AP@0.5":>8}{"AP@0.7":>8}')
    for mode, ap50, ap70 in rows:
        print(f'{mode:<12}{ap50:>8.2f}{ap70:>8.2f}')
    print(f'\n[demo] data: {data}; training took {train_min:.1f} min')
    print(f'[demo] outputs: {work_dir} (checkpoint {ckpt}, train log '
          f'demo_train.log, per-mode test logs demo_test_<mode>.log)')


def seed_options(seed: int, iters: Optional[int] = None) -> List[str]:
    """``--cfg-options`` of a seeded, deterministic training; with
    ``iters``, one stopped (and checkpointed) after that many iterations,
    without validation."""
    opts = [f'randomness.seed={seed}', 'randomness.deterministic=True']
    if iters:
        opts += [
            f'train_cfg.max_iters={iters}',
            f'train_cfg.val_begin={iters + 1}',  # no validation
            f'default_hooks.checkpoint.interval={iters}'
        ]
    return opts


def _ensure(work_dir: str, name: str) -> str:
    """Path of a log file in ``work_dir``, creating the folder."""
    os.makedirs(work_dir, exist_ok=True)
    return osp.join(work_dir, name)


if __name__ == '__main__':
    main()
