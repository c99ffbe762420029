"""tools/dist_train.sh and dist_test.sh: the torchrun command they build.

``PYTHON=echo`` prints the command line instead of launching it.
"""
import os
import os.path as osp
import subprocess

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow  # runs the shell scripts

LAUNCH = ['-m', 'torch.distributed.run']


def command(script, *args, **env):
    proc = subprocess.run(['bash', f'tools/{script}', *args],
                          cwd=REPO,
                          env=dict(os.environ, PYTHON='echo', **env),
                          capture_output=True,
                          text=True,
                          check=True)
    # paths relative to the repository, however the script was reached
    return [osp.relpath(osp.join(REPO, a), REPO) for a in proc.stdout.split()]


def test_dist_train_defaults():
    assert command('dist_train.sh', 'cfg.py', '2', '--resume') == [
        *LAUNCH, '--nnodes=1', '--node_rank=0', '--master_addr=127.0.0.1',
        '--master_port=29500', '--nproc_per_node=2', 'tools/train.py',
        'cfg.py', '--resume', '--launcher', 'pytorch'
    ]


def test_dist_test_runs_test_py_through_dist_train():
    out = command('dist_test.sh', 'cfg.py', 'ckpt.pth', '4', '--out',
                  'dets.pkl', NNODES='2', NODE_RANK='1',
                  MASTER_ADDR='10.0.0.1', PORT='29600')
    assert out == [
        *LAUNCH, '--nnodes=2', '--node_rank=1', '--master_addr=10.0.0.1',
        '--master_port=29600', '--nproc_per_node=4', 'tools/test.py',
        'cfg.py', 'ckpt.pth', '--out', 'dets.pkl', '--launcher', 'pytorch'
    ]


@pytest.mark.parametrize('script,args', [('dist_train.sh', ['cfg.py']),
                                         ('dist_test.sh', ['cfg.py', 'c'])])
def test_missing_arguments_fail(script, args):
    with pytest.raises(subprocess.CalledProcessError):
        command(script, *args)
