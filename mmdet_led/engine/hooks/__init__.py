from .led_mean_teacher_hook import LEDMeanTeacherHook
from .led_phase_hook import LEDPhaseHook
from .non_finite_check_hook import NonFiniteCheckHook

__all__ = ['LEDMeanTeacherHook', 'LEDPhaseHook', 'NonFiniteCheckHook']
