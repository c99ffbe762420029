"""The embedded default job: train a CPU-sized LED model, evaluate it, print a table.

Data: real VOC2007 in data/VOCdevkit when present, else a generated
VOC-format set in data/toy_voc (made on first use). Trains with
tools/train.py, then evaluates the final checkpoint with tools/test.py once
per LE scoring mode (same weights), at IoU 0.5 and 0.7.
"""
import argparse
import os
import os.path as osp
import re
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
VOC_LIST = 'data/VOCdevkit/VOC2007/ImageSets/Main/trainval.txt'
TOY_ROOT = 'data/toy_voc/'
MODES = ('cls', 'product', 'gaussian')


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
    args = parser.parse_args()

    data_opts = []
    if osp.exists(osp.join(ROOT, VOC_LIST)):
        data = 'real VOC2007 (data/VOCdevkit): trainval -> test'
    else:
        if not osp.exists(osp.join(ROOT, TOY_ROOT, 'VOC2007')):
            from make_toy_voc import make_toy_voc  # tools/make_toy_voc.py
            make_toy_voc(osp.join(ROOT, TOY_ROOT), 400, 100)
        data = 'generated VOC-format set (data/toy_voc): trainval -> test'
        data_opts = [
            f'{split}_dataloader.dataset.data_root={TOY_ROOT}'
            for split in ('train', 'val', 'test')
        ]
    print(f'[demo] data: {data}', flush=True)
    work_dir = osp.join(ROOT, args.work_dir)
    py = sys.executable

    start = time.time()
    opts = ['--cfg-options', *data_opts] if data_opts else []
    run([py, 'tools/train.py', args.config, '--work-dir', work_dir, *opts],
        _ensure(work_dir, 'demo_train.log'))
    train_min = (time.time() - start) / 60
    ckpt = open(osp.join(work_dir, 'last_checkpoint')).read().strip()

    rows = []
    for mode in MODES:
        out = run([
            py, 'tools/test.py', args.config, ckpt, '--work-dir',
            osp.join(work_dir, f'test_{mode}'), '--cfg-options',
            f'model.test_cfg.score_mode={mode}',
            'test_evaluator.iou_thrs=[0.5,0.7]', *data_opts
        ], _ensure(work_dir, f'demo_test_{mode}.log'))
        ap = {k: float(v) * 100 for k, v in re.findall(
            r'pascal_voc/(AP50|AP70): ([0-9.]+)', out)}
        rows.append((mode, ap.get('AP50', float('nan')),
                     ap.get('AP70', float('nan'))))

    print('\n[demo] LED (CPU-sized, ImageNet-pretrained backbone), same '
          'weights, VOC 11-point AP (%)')
    print(f'{"score_mode":<12}{"AP@0.5":>8}{"AP@0.7":>8}')
    for mode, ap50, ap70 in rows:
        print(f'{mode:<12}{ap50:>8.2f}{ap70:>8.2f}')
    print(f'\n[demo] data: {data}; training took {train_min:.1f} min')
    print(f'[demo] outputs: {work_dir} (checkpoint {ckpt}, train log '
          f'demo_train.log, per-mode test logs demo_test_<mode>.log)')


def _ensure(work_dir: str, name: str) -> str:
    """Path of a log file in ``work_dir``, creating the folder."""
    os.makedirs(work_dir, exist_ok=True)
    return osp.join(work_dir, name)


if __name__ == '__main__':
    main()
