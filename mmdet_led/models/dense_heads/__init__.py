from .led_head import LEDHead

__all__ = ['LEDHead']
