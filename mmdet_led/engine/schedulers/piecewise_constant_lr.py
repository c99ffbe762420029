"""Piecewise-constant learning rate given as a table of absolute values."""
import bisect
import logging
from typing import List, Sequence, Union

from mmengine.logging import print_log
from mmengine.optim import BaseOptimWrapper
from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler
from torch.optim import Optimizer

from mmdet.registry import PARAM_SCHEDULERS

OptimizerType = Union[BaseOptimWrapper, Optimizer]


@PARAM_SCHEDULERS.register_module()
class PiecewiseConstantLR(LRSchedulerMixin, _ParamScheduler):
    """Set the learning rate from a table of absolute values.

    The value ``values[k]`` applies to the steps (iterations, or epochs when
    ``by_epoch=True``) in ``[milestones[k - 1], milestones[k])``: ``values[0]``
    before the first milestone and ``values[-1]`` from the last milestone on.
    Milestones are **absolute** step indices, counted from the start of
    training like ``begin`` and ``end`` (unlike mmengine's ``MultiStepLR``,
    whose milestones count from ``begin``), so the table reads the same
    whatever ``begin`` is.

    The value for a step depends on the step index alone, never on the
    learning rate left in the optimizer by earlier steps. Hence:

    - Resuming is exact: after resuming at step ``i`` (from the scheduler's
      state dict, or with ``last_step`` when building it without one) the
      learning rate is the table's value for ``i``; no rounding error or
      factor can accumulate.
    - It is *not* chainable: inside ``[begin, end)`` it overrides whatever
      the schedulers before it in ``param_scheduler`` set. To combine it with
      a warm-up, let the warm-up act first and start this one where the
      warm-up ends, and set the optimizer's ``lr`` to ``values[0]`` (the
      warm-up scales that ``lr``)::

          param_scheduler = [
              dict(type='LinearLR', start_factor=1e-3, by_epoch=False,
                   begin=0, end=500),
              dict(type='PiecewiseConstantLR', by_epoch=False, begin=500,
                   milestones=[80000, 100000], values=[1e-3, 1e-4, 1e-5]),
          ]

      If both are active at the same step, the one listed last wins.
    - Resuming with a changed table, ``begin`` or ``end`` (e.g. a larger
      ``max_iters``, MMEngine's default ``end``) follows the new config; see
      :meth:`load_state_dict`.

    Parameter groups: ``values`` are the learning rates of a parameter group
    built with the optimizer's own ``lr``. A group whose initial learning
    rate differs from it, e.g. through ``paramwise_cfg`` (``lr_mult``,
    ``bias_lr_mult``) or ``auto_scale_lr``, keeps that ratio: its learning
    rate is ``values[k] * initial_lr / optimizer_lr``.

    Args:
        optimizer (Optimizer or OptimWrapper): Wrapped optimizer.
        milestones (Sequence[int]): Strictly increasing absolute step indices
            at which the value changes.
        values (Sequence[float]): Learning rates, ``len(milestones) + 1`` of
            them.
        begin (int): Step at which to start updating the learning rate.
            Defaults to 0.
        end (int): Step at which to stop updating the learning rate.
            Defaults to INF.
        last_step (int): The index of last step, counted from ``begin``. Used
            for resuming without state dict. Defaults to -1.
        by_epoch (bool): Whether the scheduled learning rate is updated by
            epochs. Defaults to True.
        verbose (bool): Whether to print the learning rate for each update.
            Defaults to False.
    """

    def __init__(self,
                 optimizer: OptimizerType,
                 milestones: Sequence[int],
                 values: Sequence[float],
                 begin: int = 0,
                 end: int = INF,
                 last_step: int = -1,
                 by_epoch: bool = True,
                 verbose: bool = False) -> None:
        milestones = [int(m) for m in milestones]
        values = [float(v) for v in values]
        if len(values) != len(milestones) + 1:
            raise ValueError(
                '`values` must have exactly one more entry than `milestones`, '
                f'but got {len(values)} values and {len(milestones)} '
                'milestones')
        if any(b <= a for a, b in zip(milestones, milestones[1:])):
            raise ValueError(
                f'`milestones` must be strictly increasing, got {milestones}')
        # Plain lists, floats and ints only: this state goes into
        # checkpoints, which torch>=2.6 loads with ``weights_only=True``.
        self.milestones: List[int] = milestones
        self.values: List[float] = values
        self.group_ratios: List[float] = []
        super().__init__(
            optimizer,
            begin=begin,
            end=end,
            last_step=last_step,
            by_epoch=by_epoch,
            verbose=verbose)

    @classmethod
    def build_iter_from_epoch(cls,
                              *args,
                              milestones: Sequence[int],
                              begin: int = 0,
                              end: int = INF,
                              by_epoch: bool = True,
                              epoch_length: int = None,
                              **kwargs) -> 'PiecewiseConstantLR':
        """Build an iter-based instance of this scheduler from an epoch-based
        config (used by ``convert_to_iter_based=True``)."""
        assert by_epoch, 'Only epoch-based kwargs whose `by_epoch=True` can ' \
                         'be converted to iter-based.'
        assert epoch_length is not None and epoch_length > 0, \
            f'`epoch_length` must be a positive integer, ' \
            f'but got {epoch_length}.'
        milestones = [int(m * epoch_length) for m in milestones]
        begin = int(begin * epoch_length)
        if end != INF:
            end = int(end * epoch_length)
        return cls(
            *args,
            milestones=milestones,
            begin=begin,
            end=end,
            by_epoch=False,
            **kwargs)

    def value_at(self, step: int) -> float:
        """The table's learning rate for the absolute step index ``step``
        (for a parameter group built with the optimizer's own ``lr``)."""
        return self.values[bisect.bisect_right(self.milestones, step)]

    def _get_group_ratios(self) -> List[float]:
        """``initial_lr / optimizer_lr`` of every parameter group, computed
        once (at the first step) and then kept in the state dict."""
        if len(self.group_ratios) != len(self.base_values):
            optimizer = self.optimizer
            defaults = getattr(optimizer, 'defaults', None)
            if defaults is None:  # an OptimWrapper
                defaults = getattr(
                    getattr(optimizer, 'optimizer', None), 'defaults', {})
            ref_lr = defaults.get('lr', None)
            if not ref_lr:  # missing or 0: treat every group as plain
                self.group_ratios = [1.0] * len(self.base_values)
            else:
                self.group_ratios = [
                    float(base) / float(ref_lr) for base in self.base_values
                ]
        return self.group_ratios

    def load_state_dict(self, state_dict: dict) -> None:
        """Load the scheduler's state; the table comes from the config.

        The step counters are restored from ``state_dict``. ``milestones``,
        ``values``, ``begin`` and ``end`` keep the values this scheduler was
        built with: MMEngine fills ``end`` with ``max_iters`` and would
        otherwise restore the old one, so a run trained to iteration 120k
        with ``max_iters=120000`` and resumed with ``max_iters=240000`` would
        keep its learning rate frozen after 120k. When they differ from the
        saved ones, the position in the table is re-derived from the global
        step and the learning rate of the current step is applied at once
        (the optimizer's state, loaded before, holds the old one).

        Args:
            state_dict (dict): scheduler state, as returned by
                :meth:`state_dict`.
        """
        config = dict(
            milestones=self.milestones,
            values=self.values,
            begin=self.begin,
            end=self.end)
        super().load_state_dict(state_dict)
        changed = {
            k: (state_dict[k], v)
            for k, v in config.items()
            if k in state_dict and state_dict[k] != v
        }
        self.__dict__.update(config)
        if not changed:
            return
        print_log(
            'PiecewiseConstantLR: the checkpoint was saved with ' +
            ', '.join(f'{k}={old} (now {new})'
                      for k, (old, new) in changed.items()) +
            '; using the current config.',
            logger='current',
            level=logging.WARNING)
        step = self._global_step
        self.last_step = -1 if step < self.begin else \
            min(step, self.end - 1) - self.begin
        if self.begin <= step < self.end:
            for group, value in zip(self.optimizer.param_groups,
                                    self._get_value()):
                group[self.param_name] = value
        self._last_value = [
            group[self.param_name] for group in self.optimizer.param_groups
        ]

    def _get_value(self) -> List[float]:
        """Compute the value for the current step from the table."""
        value = self.value_at(self.begin + self.last_step)
        return [value * ratio for ratio in self._get_group_ratios()]
