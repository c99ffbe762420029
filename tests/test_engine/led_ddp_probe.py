"""A hook for the DDP tests (imported by the trained config through
``custom_imports``): every rank saves its own copy of the model weights
before training and after each iteration, as ``ranks/rank<r>_iter<i>.pth``
in the work dir, so that the tests can compare the ranks' weights (only rank
0 writes checkpoints)."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.utils import mkdir_or_exist

from mmdet.registry import HOOKS


@HOOKS.register_module()
class RankWeightsDumpHook(Hook):
    """Save this rank's weights before training and after each iteration."""

    priority = 'LOWEST'

    def _dump(self, runner, iteration: int) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        folder = osp.join(runner.work_dir, 'ranks')
        mkdir_or_exist(folder)
        torch.save({k: v.detach().clone()
                    for k, v in model.state_dict().items()},
                   osp.join(folder, f'rank{get_rank()}_iter{iteration}.pth'))

    def before_train(self, runner) -> None:
        self._dump(runner, runner.iter)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        self._dump(runner, runner.iter + 1)
