"""MMDetection's local visualizer with LED's two confidences in the labels."""
from typing import List, Optional

import numpy as np
from mmdet.registry import VISUALIZERS
from mmdet.visualization import DetLocalVisualizer
from mmengine.structures import InstanceData


def led_label_text(name: str, score: float, cls_score: float,
                   loc_score: float) -> str:
    """``'class conf (cls x / loc y)'``, two decimals each.

    Args:
        name (str): Class name.
        score (float): The final (LE-combined) confidence.
        cls_score (float): The class confidence conf_cls.
        loc_score (float): The localization confidence conf_loc.

    Returns:
        str: The label drawn next to the box.
    """
    return f'{name} {score:.2f} (cls {cls_score:.2f} / loc {loc_score:.2f})'


@VISUALIZERS.register_module()
class LEDLocalVisualizer(DetLocalVisualizer):
    """:class:`DetLocalVisualizer` that labels LED detections with
    :func:`led_label_text`, so a picture shows how much of a box's
    confidence comes from its class and how much from its localization.

    Predictions without ``cls_scores``/``loc_scores`` (a plain SSD) are
    drawn exactly as by :class:`DetLocalVisualizer`.
    """

    def _draw_instances(self, image: np.ndarray, instances: InstanceData,
                        classes: Optional[List[str]],
                        palette: Optional[List[tuple]]) -> np.ndarray:
        """Draw as the base class, with LED labels where available."""
        keys = ('scores', 'cls_scores', 'loc_scores')
        if all(k in instances for k in keys) and \
                'label_names' not in instances:
            instances = instances.clone()
            names = [
                classes[label] if classes is not None else f'class {label}'
                for label in instances.labels.tolist()
            ]
            instances.label_names = [
                led_label_text(n, *map(float, vals))
                for n, *vals in zip(names, *(instances[k] for k in keys))
            ]
            # the base class appends the score to a label when it is there
            del instances.scores
        return super()._draw_instances(image, instances, classes, palette)
