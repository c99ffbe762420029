from .led_phase_hook import LEDPhaseHook

__all__ = ['LEDPhaseHook']
