"""MMDetection's mean-teacher hook for teachers with an LE module."""
import torch.nn as nn
from mmdet.engine.hooks import MeanTeacherHook
from mmdet.registry import HOOKS

from ...models.layers import LEModule


@HOOKS.register_module()
class LEDMeanTeacherHook(MeanTeacherHook):
    """``MeanTeacherHook`` (semi-supervised training) whose teacher may hold
    LED heads.

    The teacher runs in eval mode without autograd, so its LE modules use
    their fused weights, and ``MeanTeacherHook`` writes the teacher's
    parameters through ``.data``, which changes no version counter: the
    fused weights would stay those of the first pseudo-labelling pass.
    This hook drops them after every update (they are rebuilt on the
    teacher's next forward). Use it in place of ``MeanTeacherHook``, with
    the same arguments.
    """

    def momentum_update(self, model: nn.Module, momentum: float) -> None:
        """The mean-teacher update, then the teacher's fused LE weights
        dropped."""
        super().momentum_update(model, momentum)
        for module in model.teacher.modules():
            if isinstance(module, LEModule):
                module.reset_fused()
