from .led_phase_hook import LEDPhaseHook
from .non_finite_check_hook import NonFiniteCheckHook

__all__ = ['LEDPhaseHook', 'NonFiniteCheckHook']
