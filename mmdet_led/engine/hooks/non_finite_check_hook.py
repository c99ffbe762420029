"""Stop training on a non-finite loss; never save non-finite weights."""
import math
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.dist import (all_gather_object, all_reduce, get_rank,
                           get_world_size)
from mmengine.hooks import Hook

from mmdet.registry import HOOKS

DATA_BATCH = Optional[Union[dict, tuple, list]]


def non_finite_terms(losses: Dict[str, float]) -> List[str]:
    """Names of the loss terms whose value is NaN or infinite.

    Args:
        losses (dict[str, float]): Loss name -> value.

    Returns:
        list[str]: The non-finite names, in dict order.
    """
    return [k for k, v in losses.items() if not math.isfinite(v)]


def non_finite_tensors(tensors: Dict[str, torch.Tensor]) -> List[str]:
    """Names of the floating-point tensors holding a NaN or infinity.

    Args:
        tensors (dict[str, Tensor]): Name -> tensor (others are skipped).

    Returns:
        list[str]: The names of the non-finite tensors, in dict order.
    """
    return [
        name for name, t in tensors.items()
        if isinstance(t, torch.Tensor) and t.is_floating_point()
        and not bool(torch.isfinite(t).all())
    ]


def batch_image_files(data_batch: DATA_BATCH) -> List[str]:
    """The ``img_path`` of every sample of an mmdet data batch.

    Args:
        data_batch (dict | tuple | list, optional): The batch.

    Returns:
        list[str]: The image paths (``'?'`` where a sample has none).
    """
    samples = data_batch.get('data_samples') if isinstance(data_batch,
                                                           dict) else None
    if not samples:
        return []
    return [str(getattr(s, 'metainfo', {}).get('img_path', '?'))
            for s in samples]


def _optimizer_tensors(optim_state: dict,
                       prefix: str = 'optimizer') -> Dict[str, torch.Tensor]:
    """Flatten the per-parameter tensors of an optimizer state dict (or of
    an ``OptimWrapperDict``'s dict of them)."""
    if 'state' not in optim_state:
        flat = {}
        for name, sub in optim_state.items():
            if isinstance(sub, dict):
                flat.update(_optimizer_tensors(sub, f'{prefix}.{name}'))
        return flat
    return {
        f'{prefix} state {index}.{key}': value
        for index, state in optim_state['state'].items()
        for key, value in state.items()
    }


@HOOKS.register_module()
class NonFiniteCheckHook(Hook):
    """Stop training loudly on a non-finite loss and refuse to save a
    checkpoint that holds non-finite weights.

    After every training iteration, each loss term the model returned (every
    output whose name contains ``'loss'``, as MMEngine sums them) is checked.
    The verdict is all-reduced over the processes, so under distributed
    training every rank stops at the same iteration instead of the healthy
    ones waiting forever for the failed one; all ranks raise the same
    ``FloatingPointError``, which names the iteration (1-based, as logged),
    the non-finite loss terms with all values, and the image files of the
    batch of each rank whose loss is not finite.

    The default priority (``'NORMAL'``) runs this check before
    ``ParamSchedulerHook`` (``'LOW'``), ``CheckpointHook`` and
    ``LEDPhaseHook`` (``'VERY_LOW'``), so the iteration that produced a
    non-finite loss never writes a checkpoint, nor points ``last_checkpoint``
    to one (MMEngine's ``CheckInvalidLossHook`` checks only every
    ``interval`` iterations, and at ``'VERY_LOW'`` only after the checkpoint
    was saved). In addition, every checkpoint the runner saves (by
    ``CheckpointHook``, ``LEDPhaseHook`` or any other caller of
    ``runner.save_checkpoint``) is checked in ``before_save_checkpoint``: a
    finite loss can still come with a step that made the weights
    non-finite, and such a checkpoint is refused with ``FloatingPointError``
    before anything is written.

    Args:
        check_checkpoints (bool): Whether to check the weights and the
            optimizer state of every checkpoint before it is written.
            Defaults to True.
    """

    priority = 'NORMAL'

    def __init__(self, check_checkpoints: bool = True) -> None:
        self.check_checkpoints = check_checkpoints

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        """Raise ``FloatingPointError`` if a loss term is not finite on any
        process.

        Args:
            runner (Runner): The runner of the training process.
            batch_idx (int): The index of the current batch in the train loop.
            data_batch (dict or tuple or list, optional): Data from dataloader.
            outputs (dict, optional): The model's loss terms.
        """
        losses = {
            k: float(v.detach() if isinstance(v, torch.Tensor) else v)
            for k, v in (outputs or {}).items() if 'loss' in k
        }
        bad = non_finite_terms(losses)
        flag = torch.tensor([float(bool(bad))])
        all_reduce(flag, op='sum')
        if flag.item() == 0:
            return
        report = (get_rank(), bad, losses, batch_image_files(data_batch))
        reports = [r for r in all_gather_object(report) if r[1]]
        lines = [
            f'Non-finite loss at iteration {runner.iter + 1}; training '
            'stopped before any checkpoint of this iteration was written.'
        ]
        for rank, terms, values, files in reports:
            where = f'rank {rank}: ' if get_world_size() > 1 else ''
            shown = ', '.join(f'{k}={v:.6g}' for k, v in values.items())
            lines.append(f'{where}non-finite {", ".join(terms)} ({shown}); '
                         f'batch images: {", ".join(files) or "unknown"}')
        lines.append(
            'Check these images and their annotations, lower the learning '
            'rate or clip gradients, then resume from the last checkpoint.')
        raise FloatingPointError('\n'.join(lines))

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Refuse to save non-finite weights or optimizer state.

        Args:
            runner (Runner): The runner of the training process.
            checkpoint (dict): The checkpoint about to be saved.
        """
        if not self.check_checkpoints:
            return
        tensors = dict(checkpoint.get('state_dict', {}))
        tensors.update(_optimizer_tensors(checkpoint.get('optimizer', {})))
        bad = non_finite_tensors(tensors)
        if bad:
            raise FloatingPointError(
                f'Refusing to save a checkpoint at iteration '
                f'{checkpoint.get("meta", {}).get("iter", runner.iter)}: '
                f'{len(bad)} tensor(s) hold NaN or infinity '
                f'({_head(bad)}). Resume from the last checkpoint with a '
                'lower learning rate or gradient clipping.')


def _head(names: Sequence[str], num: int = 5) -> str:
    shown = ', '.join(names[:num])
    return shown + (f', ... ({len(names) - num} more)'
                    if len(names) > num else '')
