from .candidates import candidates_per_object, fig1_candidates
from .led_local_visualizer import LEDLocalVisualizer, led_label_text
from .loc_quality_visualizer import LocQualityVisualizer

__all__ = [
    'LEDLocalVisualizer', 'LocQualityVisualizer', 'candidates_per_object',
    'fig1_candidates', 'led_label_text'
]
