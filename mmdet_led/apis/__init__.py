from .led_inferencer import LEDInferencer

__all__ = ['LEDInferencer']
