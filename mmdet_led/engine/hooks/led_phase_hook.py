"""The hook that drives LED's three training steps ('det', 'le', 'joint')."""
import bisect
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.utils.dl_utils import is_norm

from mmdet.registry import HOOKS

DATA_BATCH = Optional[Union[dict, tuple, list]]

#: The phases the LED head knows.
PHASE_NAMES = ('det', 'le', 'joint')
#: The phase in which everything outside the LE module is frozen.
FROZEN_PHASE = 'le'

_MMCV_SYNC_BN: Optional[tuple] = None


def _is_norm(module: nn.Module) -> bool:
    """Whether ``module`` is a normalization layer (BN, SyncBN, IN, GN, LN,
    and mmcv's SyncBatchNorm, which does not subclass ``_BatchNorm``)."""
    global _MMCV_SYNC_BN
    if _MMCV_SYNC_BN is None:
        try:
            from mmcv.ops import SyncBatchNorm as MMCVSyncBatchNorm
            _MMCV_SYNC_BN = (MMCVSyncBatchNorm, )
        except Exception:  # mmcv without compiled ops
            _MMCV_SYNC_BN = ()
    return is_norm(module) or isinstance(module, _MMCV_SYNC_BN)


@HOOKS.register_module()
class LEDPhaseHook(Hook):
    """Switch the LED head between its three training steps by iteration.

    Iteration ``i`` (``runner.iter`` before the iteration runs, 0-based) is
    in the first phase whose ``end > i``; iterations past the last ``end``
    stay in the last phase. Before every training iteration the head's
    ``phase`` attribute is set from ``runner.iter`` alone, so resuming at any
    iteration lands in the right phase without any state stored by the hook.

    When the phase changes, and at the first iteration after (re)starting:

    - ``'le'``: every parameter outside the LE module gets
      ``requires_grad=False``; outside the LE module the normalization layers
      are put in eval mode (again before every iteration, because the train
      loop calls ``model.train()`` each iteration and the val loop
      ``model.eval()``), so their running statistics do not move.
    - ``'det'`` / ``'joint'``: every parameter gets back the ``requires_grad``
      it had when training started (recorded once), so parameters frozen on
      purpose (e.g. ``frozen_stages``) stay frozen; ``model.train()`` undoes
      the eval mode of the norm layers.

    Frozen parameters must not move *at all* in ``'le'``. ``requires_grad``
    alone does not guarantee it: the optimizer updates every parameter whose
    ``.grad`` is not ``None``, applying weight decay and momentum even to a
    zero gradient, and a parameter keeps the zero-filled or partly
    accumulated gradient it had at the end of ``'det'`` whenever the optimizer
    wrapper zeroes instead of freeing gradients (``set_to_none=False``,
    older torch), accumulates gradients over several iterations
    (``accumulative_counts``), or a DDP wrapper fills them. Hence, in
    ``'le'``, the frozen parameters' ``.grad`` is set to ``None`` before each
    iteration *and* by a step pre-hook on every optimizer right before
    ``optimizer.step()`` (torch >= 2.0), which PyTorch optimizers skip
    entirely. In addition, on entering ``'le'`` their optimizer state
    (momentum buffers, Adam moments) is dropped (``reset_frozen_optim_state``):
    it is unused while they are frozen, and ``'joint'`` then starts them from
    zero momentum, as Caffe's decaying history (or a fresh solver) would,
    instead of replaying a momentum left over from ``'det'``. Dropping it is
    deterministic, so an interrupted and resumed run matches an uninterrupted
    one.

    At the first iteration of each phase the logged loss history is
    cleared, so the log shows only the losses the phase trains (no
    ``loss_cls``/``loss_bbox`` frozen at their last 'det' values in 'le').
    It depends only on the iteration, so a resumed run logs what an
    uninterrupted one does.

    At the end of each phase's last iteration a checkpoint
    ``phase<k>_<name>_iter_<end>.pth`` (``k`` from 1) is written to
    ``runner.work_dir``, in addition to ``CheckpointHook``'s own. It is a
    regular resumable checkpoint (``meta['iter'] == end``) but is not
    recorded in ``last_checkpoint``/``keep_ckpt_ids``, so ``CheckpointHook``'s
    auto-resume and ``max_keep_ckpts`` neither pick nor delete it.

    Note:
        - ``priority='VERY_LOW'`` so that, like ``CheckpointHook``, the phase
          checkpoint is saved after ``ParamSchedulerHook`` (``'LOW'``) stepped
          the schedulers; resuming from it then continues the LR schedule
          exactly.
        - Phases are counted in iterations (``runner.iter``) with epoch-based
          loops too, but resuming from a mid-epoch checkpoint is only exact
          with ``IterBasedTrainLoop``.
        - With distributed training use
          ``model_wrapper_cfg=dict(type='MMDistributedDataParallel',
          find_unused_parameters=True)``: LE parameters get no gradient in
          ``'det'``, the frozen ones none in ``'le'``.

    Args:
        phases (Sequence[dict]): ``dict(name=..., end=...)`` for each phase,
            with ``name`` in ``('det', 'le', 'joint')`` and strictly
            increasing ``end`` (exclusive, in iterations).
        head_name (str): Name of the head submodule of the (unwrapped)
            model that has the ``phase`` attribute. Defaults to 'bbox_head'.
        le_module_name (str): Name of the submodule that holds all LE-module
            parameters. Defaults to 'bbox_head.le_module'.
        norm_eval (bool): Whether to put the normalization layers outside the
            LE module in eval mode during ``'le'``. Defaults to True.
        reset_frozen_optim_state (bool): Whether to drop the optimizer state
            of the parameters frozen on entering ``'le'``. Defaults to True.
        save_phase_checkpoints (bool): Whether to save a checkpoint at the
            end of each phase. Defaults to True.
        save_optimizer (bool): Whether phase checkpoints hold the optimizer
            state. Defaults to True.
        save_param_scheduler (bool): Whether phase checkpoints hold the
            parameter schedulers' state. Defaults to True.
    """

    priority = 'VERY_LOW'

    def __init__(self,
                 phases: Sequence[dict],
                 head_name: str = 'bbox_head',
                 le_module_name: str = 'bbox_head.le_module',
                 norm_eval: bool = True,
                 reset_frozen_optim_state: bool = True,
                 save_phase_checkpoints: bool = True,
                 save_optimizer: bool = True,
                 save_param_scheduler: bool = True) -> None:
        if len(phases) == 0:
            raise ValueError('`phases` must not be empty')
        names: List[str] = []
        ends: List[int] = []
        for phase in phases:
            if not isinstance(phase, dict) or set(phase) != {'name', 'end'}:
                raise ValueError('each phase must be dict(name=..., end=...), '
                                 f'got {phase!r}')
            if phase['name'] not in PHASE_NAMES:
                raise ValueError(f'phase name must be one of {PHASE_NAMES}, '
                                 f'got {phase["name"]!r}')
            end = phase['end']
            if not isinstance(end, int) or isinstance(end, bool) or end <= 0:
                raise ValueError('phase end must be a positive int, '
                                 f'got {end!r}')
            if ends and end <= ends[-1]:
                raise ValueError('phase ends must be strictly increasing, '
                                 f'got {[p["end"] for p in phases]}')
            names.append(phase['name'])
            ends.append(end)
        self.phase_names = names
        self.phase_ends = ends
        self.head_name = head_name
        self.le_module_name = le_module_name
        self.norm_eval = norm_eval
        self.reset_frozen_optim_state = reset_frozen_optim_state
        self.save_phase_checkpoints = save_phase_checkpoints
        self.save_optimizer = save_optimizer
        self.save_param_scheduler = save_param_scheduler

        # requires_grad of every parameter when training started, by name.
        self._orig_requires_grad: Optional[Dict[str, bool]] = None
        # Phase applied to the model; None until the first iteration.
        self._current_phase: Optional[str] = None
        # Parameters this hook froze (empty outside 'le').
        self._frozen_params: List[nn.Parameter] = []
        # id(optimizer) -> (optimizer, handle of its step pre-hook)
        self._step_hooks: Dict[int, Tuple[torch.optim.Optimizer, object]] = {}

    # ------------------------------------------------------------------ #
    # Phase lookup
    # ------------------------------------------------------------------ #
    def phase_index(self, iteration: int) -> int:
        """Index of the phase that iteration ``iteration`` (0-based) is in:
        the first one whose ``end > iteration``, else the last one."""
        return min(
            bisect.bisect_right(self.phase_ends, iteration),
            len(self.phase_ends) - 1)

    def phase_of(self, iteration: int) -> str:
        """Name of the phase that iteration ``iteration`` is in."""
        return self.phase_names[self.phase_index(iteration)]

    # ------------------------------------------------------------------ #
    # Hook entry points
    # ------------------------------------------------------------------ #
    def before_train(self, runner) -> None:
        """Record the parameters' original ``requires_grad`` and check the
        model and the schedule.

        Args:
            runner (Runner): The runner of the training process.
        """
        model = self._unwrap(runner.model)
        self._check_model(model)
        self._record_requires_grad(model)
        self._current_phase = None
        max_iters = getattr(runner, 'max_iters', None)
        if max_iters is not None and max_iters != self.phase_ends[-1]:
            runner.logger.warning(
                f'LEDPhaseHook: the last phase ends at iteration '
                f'{self.phase_ends[-1]} but training runs for {max_iters} '
                'iterations.')
        self._register_step_hooks(runner)

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: DATA_BATCH = None) -> None:
        """Set the head's phase from ``runner.iter`` and (un)freeze.

        Args:
            runner (Runner): The runner of the training process.
            batch_idx (int): The index of the current batch in the train loop.
            data_batch (dict or tuple or list, optional): Data from dataloader.
        """
        model = self._unwrap(runner.model)
        if self._orig_requires_grad is None:
            self._check_model(model)
            self._record_requires_grad(model)
        self._register_step_hooks(runner)
        index = self.phase_index(runner.iter)
        name = self.phase_names[index]
        if name != self._current_phase:
            self._enter_phase(runner, model, index)
        model.get_submodule(self.head_name).phase = name
        if name == FROZEN_PHASE:
            if self.norm_eval:
                self._set_norms_eval(model)
            self._drop_frozen_grads()

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        """Save a checkpoint after the last iteration of a phase.

        Args:
            runner (Runner): The runner of the training process.
            batch_idx (int): The index of the current batch in the train loop.
            data_batch (dict or tuple or list, optional): Data from dataloader.
            outputs (dict, optional): Outputs from model.
        """
        if not self.save_phase_checkpoints:
            return
        end = runner.iter + 1
        if end not in self.phase_ends:
            return
        index = self.phase_ends.index(end)
        filename = f'phase{index + 1}_{self.phase_names[index]}_iter_{end}.pth'
        runner.logger.info(
            f'LEDPhaseHook: phase {index + 1} "{self.phase_names[index]}" '
            f'done, saving {osp.join(runner.work_dir, filename)}')
        runner.save_checkpoint(
            runner.work_dir,
            filename=filename,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=dict(epoch=runner.epoch, iter=end),
            by_epoch=False)

    def after_train(self, runner) -> None:
        """Give every parameter back its original ``requires_grad`` and
        remove the optimizer step pre-hooks.

        Args:
            runner (Runner): The runner of the training process.
        """
        if self._orig_requires_grad is not None:
            self._restore_requires_grad(self._unwrap(runner.model))
        self._frozen_params = []
        self._current_phase = None
        for _, handle in self._step_hooks.values():
            handle.remove()
        self._step_hooks = {}

    # ------------------------------------------------------------------ #
    # Helpers
    # ------------------------------------------------------------------ #
    @staticmethod
    def _unwrap(model: nn.Module) -> nn.Module:
        return model.module if is_model_wrapper(model) else model

    def _check_model(self, model: nn.Module) -> None:
        for name in (self.head_name, self.le_module_name):
            try:
                model.get_submodule(name)
            except AttributeError as e:
                raise AttributeError(
                    f'LEDPhaseHook: the model has no submodule {name!r}'
                ) from e

    def _in_le_module(self, param_name: str) -> bool:
        return param_name.startswith(self.le_module_name + '.')

    def _record_requires_grad(self, model: nn.Module) -> None:
        if self._orig_requires_grad is None:
            self._orig_requires_grad = {
                n: p.requires_grad
                for n, p in model.named_parameters()
            }

    def _restore_requires_grad(self, model: nn.Module) -> None:
        assert self._orig_requires_grad is not None
        for n, p in model.named_parameters():
            p.requires_grad_(self._orig_requires_grad.get(n, p.requires_grad))

    @staticmethod
    def _optimizers(runner) -> List[torch.optim.Optimizer]:
        """The torch optimizers behind ``runner.optim_wrapper``."""
        optim_wrapper = getattr(runner, 'optim_wrapper', None)
        if isinstance(optim_wrapper, OptimWrapperDict):
            wrappers = list(optim_wrapper.optim_wrappers.values())
        elif isinstance(optim_wrapper, OptimWrapper):
            wrappers = [optim_wrapper]
        elif isinstance(optim_wrapper, torch.optim.Optimizer):
            return [optim_wrapper]
        else:  # not built (yet)
            return []
        return [w.optimizer for w in wrappers]

    def _register_step_hooks(self, runner) -> None:
        for optimizer in self._optimizers(runner):
            if id(optimizer) in self._step_hooks:
                continue
            register = getattr(optimizer, 'register_step_pre_hook', None)
            if register is None:  # torch < 2.0: before_train_iter only
                continue
            handle = register(self._step_pre_hook)
            self._step_hooks[id(optimizer)] = (optimizer, handle)

    def _step_pre_hook(self, optimizer: torch.optim.Optimizer, args: tuple,
                       kwargs: dict) -> None:
        """Runs right before ``optimizer.step()``: frozen parameters get no
        gradient, so the optimizer skips them."""
        self._drop_frozen_grads()

    def _drop_frozen_grads(self) -> None:
        for param in self._frozen_params:
            param.grad = None

    def _set_norms_eval(self, model: nn.Module) -> None:
        prefix = self.le_module_name + '.'
        for name, module in model.named_modules():
            if (name + '.').startswith(prefix):  # the LE module or inside it
                continue
            if _is_norm(module):
                module.eval()

    @staticmethod
    def _reset_loss_logs(runner) -> None:
        """Forget the logged loss history (``train/*loss*`` scalars of the
        message hub), so that the logger shows only the losses of the phase
        that starts: MMEngine's log processor prints every scalar it has
        seen, so the 'det' losses, frozen at their last values, would
        otherwise be printed all through 'le'. The phase's own losses are
        logged again at the end of its first iteration."""
        scalars = runner.message_hub.log_scalars
        for key in [k for k in scalars
                    if k.startswith('train/') and 'loss' in k]:
            scalars.pop(key)

    def _enter_phase(self, runner, model: nn.Module, index: int) -> None:
        name = self.phase_names[index]
        previous = self._current_phase
        model.get_submodule(self.head_name).phase = name
        if name == FROZEN_PHASE:
            assert self._orig_requires_grad is not None
            self._restore_requires_grad(model)
            frozen = [
                p for n, p in model.named_parameters()
                if not self._in_le_module(n) and p.requires_grad
            ]
            for param in frozen:
                param.requires_grad_(False)
                param.grad = None
            self._frozen_params = frozen
            if self.reset_frozen_optim_state:
                for optimizer in self._optimizers(runner):
                    for param in frozen:
                        optimizer.state.pop(param, None)
            if self.norm_eval:
                self._set_norms_eval(model)
            detail = (f'{len(frozen)} parameter tensors outside '
                      f'"{self.le_module_name}" frozen')
        else:
            self._restore_requires_grad(model)
            self._frozen_params = []
            if previous == FROZEN_PHASE:
                # undo the norm layers' eval mode (epoch-based loops call
                # model.train() only once per epoch)
                runner.model.train()
            detail = 'all parameters trainable (as configured)'
        self._current_phase = name
        runner.message_hub.update_info('phase', name)
        start = self.phase_ends[index - 1] if index > 0 else 0
        if runner.iter == start:
            self._reset_loss_logs(runner)
        runner.logger.info(
            f'LEDPhaseHook: iteration {runner.iter}: phase {index + 1}/'
            f'{len(self.phase_names)} "{name}" (iterations {start} to '
            f'{self.phase_ends[index]}), {detail}')
