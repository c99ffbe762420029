from .le_head_mixin import LEHeadMixin
from .led_atss_head import LEDATSSHead
from .led_fcos_head import LEDFCOSHead
from .led_head import LEDHead
from .led_retina_head import LEDRetinaHead

__all__ = [
    'LEHeadMixin', 'LEDATSSHead', 'LEDFCOSHead', 'LEDHead', 'LEDRetinaHead'
]
