"""tools/demo.py is seeded: the same seed gives the same weights and table."""
import pytest
import torch
from conftest import REPO, load_tool, run_tool

#: A shortened demo: two iterations at batch 4, tested on eight images.
SHORT = ('--iters', '2', '--cfg-options', 'train_dataloader.batch_size=4',
         'test_dataloader.dataset.indices=8')
CONFIG = 'configs/led/ledlite_efficientnetlite0_192_voc07_cpu.py'
MODES = ('cls', 'product', 'gaussian')
#: The demo trains on real VOC2007 when the repository links it here.
REAL_VOC = REPO / 'data/VOCdevkit/VOC2007/ImageSets/Main/trainval.txt'


def table(output: str) -> list:
    """The demo's printed results table: its title and score-mode rows
    (each with two numbers)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines)
                 if line.startswith('[demo] LED'))
    for row, mode in zip(lines[start + 2:start + 5], MODES):
        name, ap50, ap70 = row.split()
        assert name == mode and float(ap50) >= 0 and float(ap70) >= 0, row
    return lines[start:start + 5]


def weights(work_dir) -> dict:
    ckpt = torch.load(work_dir / 'iter_2.pth', map_location='cpu',
                      weights_only=False)
    assert ckpt['meta']['iter'] == 2
    return ckpt['state_dict']


def test_seed_options():
    demo = load_tool('demo')
    assert demo.seed_options(3) == [
        'randomness.seed=3', 'randomness.deterministic=True'
    ]
    assert demo.seed_options(0, 5)[2:] == [
        'train_cfg.max_iters=5', 'train_cfg.val_begin=6',
        'default_hooks.checkpoint.interval=5'
    ]


@pytest.mark.slow
@pytest.mark.skipif(not REAL_VOC.is_file(), reason='needs data/VOCdevkit')
def test_demo_twice_same_table_and_weights(tmp_path):
    """Two shortened demos with seed 0 print the same table from the same
    weights (bit for bit); the seed is what decides them: a training with
    seed 1 (the demo's own options) ends elsewhere."""
    outs = [
        run_tool('tools/demo.py', '--seed', '0', '--work-dir',
                 tmp_path / name, *SHORT) for name in ('a', 'b')
    ]
    assert table(outs[0]) == table(outs[1])
    assert 'seed 0, the first 2 iterations' in table(outs[0])[0]
    first, second = weights(tmp_path / 'a'), weights(tmp_path / 'b')
    assert first.keys() == second.keys()
    for key in first:
        assert torch.equal(first[key], second[key]), key

    demo = load_tool('demo')
    run_tool('tools/train.py', CONFIG, '--work-dir', tmp_path / 'c',
             '--cfg-options', *demo.seed_options(1, 2),
             'train_dataloader.batch_size=4')
    other = weights(tmp_path / 'c')
    head = [k for k in first if k.startswith('bbox_head.')]
    assert head and any(not torch.equal(first[k], other[k]) for k in head)
