from .le_head_mixin import LEHeadMixin
from .led_head import LEDHead

__all__ = ['LEHeadMixin', 'LEDHead']
