"""LEDMeanTeacherHook: the teacher's fused LE weights follow its updates."""
import copy

import torch
from conftest import random_norm_stats
from mmdet.engine.hooks import MeanTeacherHook
from torch import nn

from mmdet_led.engine.hooks import LEDMeanTeacherHook
from mmdet_led.models.layers import LEModule


class StudentTeacher(nn.Module):
    """What ``MeanTeacherHook`` reads of a semi-supervised detector."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.student = LEModule([8, 8], [4, 4], [4, 4], [2, 2],
                                branch_channels=4, context_channels=4,
                                feat_channels=8, use_depthwise=True,
                                norm_cfg=dict(type='BN'),
                                act_cfg=dict(type='ReLU6'))
        self.student.init_weights()
        random_norm_stats(self.student)
        self.teacher = copy.deepcopy(self.student).eval()


def teacher_and_student_after_update(hook) -> tuple:
    """Teacher output (fused, built before the update) and the student's
    (per-branch) after a full-momentum update copies the student in."""
    model = StudentTeacher()
    inputs = [[torch.randn(1, c, s, s) for s in (3, 1)] for c in (8, 4, 4)]
    with torch.no_grad():
        model.teacher(*inputs)  # builds the fused weights
        for p in model.student.parameters():
            p.mul_(1.5)
        hook.momentum_update(model, 1.)
        model.student.eval()
        return model.teacher(*inputs), model.student(*inputs)


def test_teacher_fused_weights_follow_the_update():
    teacher, student = teacher_and_student_after_update(
        LEDMeanTeacherHook(momentum=0.001))
    for t, s in zip(teacher, student):
        torch.testing.assert_close(t, s, rtol=1e-5, atol=1e-6)


def test_mmdet_hook_leaves_the_fused_weights_stale():
    """Why the hook exists: with mmdet's own the teacher keeps predicting
    with the weights of its first pass."""
    teacher, student = teacher_and_student_after_update(
        MeanTeacherHook(momentum=0.001))
    assert not torch.allclose(teacher[0], student[0], atol=1e-3)
