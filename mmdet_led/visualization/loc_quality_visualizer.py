"""Draw pre-NMS candidates with their class and localization confidences."""
from typing import Optional, Sequence

import numpy as np
from mmdet.registry import VISUALIZERS
from mmdet.visualization import DetLocalVisualizer

#: Colours of the candidates around one object, in conf_cls order.
CANDIDATE_COLORS = ('#e41a1c', '#377eb8', '#ff7f00', '#984ea3', '#a65628',
                    '#f781bf')
GT_COLOR = '#4daf4a'


@VISUALIZERS.register_module()
class LocQualityVisualizer(DetLocalVisualizer):
    """MMDetection's local visualizer with a view of the paper's Fig. 1.

    :meth:`draw_candidates` shows, around each object, several pre-NMS
    detections labelled with their class confidence (conf_cls), their
    localization confidence (conf_loc, from LED's LE module) and, where
    ground truth exists, their true IoU: where the two confidences
    disagree, NMS on conf_cls alone keeps the worse box.
    """

    def _label(self, cand: dict, j: int, classes: Sequence[str],
               with_iou: bool) -> str:
        text = f'{classes[cand["labels"][j]]} cls {cand["conf_cls"][j]:.2f}'
        if 'conf_loc' in cand:
            text += f' / loc {cand["conf_loc"][j]:.2f}'
        if with_iou:
            text += f' (IoU {cand["true_iou"][j]:.2f})'
        return text

    def draw_candidates(self,
                        image: np.ndarray,
                        cand: dict,
                        groups: Sequence[np.ndarray],
                        classes: Sequence[str],
                        gt_bboxes: Optional[np.ndarray] = None,
                        highlight: Sequence[int] = (),
                        title: Optional[str] = None) -> np.ndarray:
        """Draw candidate groups over an image.

        Args:
            image (np.ndarray): RGB image (H, W, 3).
            cand (dict): The image's candidates (``bboxes``, ``labels``,
                ``conf_cls``, optional ``conf_loc`` and ``true_iou``).
            groups (Sequence[np.ndarray]): Candidate indices per object,
                each group in conf_cls order; colours restart per group.
            classes (Sequence[str]): Class names of the labels.
            gt_bboxes (np.ndarray, optional): (G, 4) ground truth, drawn
                dashed green; when given, labels show the true IoU.
            highlight (Sequence[int]): Ground-truth indices drawn thicker
                (the objects whose candidates are shown).
            title (str, optional): Text at the top-left corner.

        Returns:
            np.ndarray: The drawn RGB image.
        """
        self.set_image(image)
        font = max(7, int(np.sqrt(image.shape[0] * image.shape[1]) / 50))
        line = font * self.dpi / 72 * 1.5  # text height in pixels
        with_iou = gt_bboxes is not None and 'true_iou' in cand
        if gt_bboxes is not None and len(gt_bboxes):
            widths = [3 if g in highlight else 1
                      for g in range(len(gt_bboxes))]
            self.draw_bboxes(
                np.asarray(gt_bboxes), edge_colors=GT_COLOR,
                line_styles='--', line_widths=widths)
        for idx in groups:
            for k, j in enumerate(idx):
                color = CANDIDATE_COLORS[k % len(CANDIDATE_COLORS)]
                box = cand['bboxes'][j]
                self.draw_bboxes(box[None], edge_colors=color, line_widths=2)
                self.draw_texts(
                    self._label(cand, j, classes, with_iou),
                    np.array([box[0], box[1] + k * line]),
                    font_sizes=font,
                    colors='white',
                    bboxes=[dict(facecolor=color, alpha=0.85, pad=1,
                                 edgecolor='none')])
        if title:
            self.draw_texts(title, np.array([2, 2]), font_sizes=font,
                            colors='white',
                            bboxes=[dict(facecolor='black', alpha=0.6, pad=1,
                                         edgecolor='none')])
        return self.get_image()
