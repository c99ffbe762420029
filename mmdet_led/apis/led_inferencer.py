"""MMDetection's ``DetInferencer`` with LED's per-box confidences saved."""
import os.path as osp
from typing import Dict

import mmengine
import numpy as np
from mmdet.apis import DetInferencer
from mmdet.structures import DetDataSample

from ..visualization.led_local_visualizer import LEDLocalVisualizer

#: Per-box fields of LED predictions added to the saved JSON.
SCORE_KEYS = ('cls_scores', 'loc_scores')
#: Names of the columns of ``loc_quality`` in the saved JSON.
QUALITY_KEYS = ('pred_iou', 'pred_iod', 'pred_iog')


class LEDInferencer(DetInferencer):
    """:class:`DetInferencer` for LED (and every mmdet detector).

    Differences, each a small hook on the base class:

    * drawing uses :class:`LEDLocalVisualizer` where the config asks for
      MMDetection's ``DetLocalVisualizer`` (labels ``class conf (cls x /
      loc y)``);
    * the JSON of an image also holds ``cls_scores`` and ``loc_scores`` and,
      when the head returns them (``test_cfg.return_loc_quality=True``),
      the predicted IoU/IoD/IoG as ``pred_iou``/``pred_iod``/``pred_iog``;
      it keeps the detections scoring above :attr:`score_thr`, the boxes
      that are drawn with ``pred_score_thr`` set to the same value;
    * numpy inputs (video frames) are BGR, as ``mmcv.imread`` gives them, for
      drawing as for the model.

    Attributes:
        score_thr (float): Least score (exclusive) of a saved detection.
            Defaults to 0, every detection.
    """

    score_thr: float = 0.0

    def _init_visualizer(self, cfg):
        """The config's visualizer, LED's where it is DetLocalVisualizer."""
        vis = cfg.get('visualizer')
        if vis is not None and vis.get('type') in ('DetLocalVisualizer',
                                                   'mmdet.DetLocalVisualizer'):
            vis['type'] = LEDLocalVisualizer.__name__
        return super()._init_visualizer(cfg)

    def visualize(self, inputs, preds, **kwargs):
        """Draw as the base class, with numpy inputs turned BGR -> RGB."""
        inputs = [
            x[..., ::-1] if isinstance(x, np.ndarray) else x for x in inputs
        ]
        return super().visualize(inputs, preds, **kwargs)

    def pred2dict(self,
                  data_sample: DetDataSample,
                  pred_out_dir: str = '') -> Dict:
        """The base class's dict plus LED's fields; written to
        ``pred_out_dir/preds/<image name or frame number>.json``."""
        inst = data_sample.pred_instances
        inst = inst[inst.scores > self.score_thr]
        sample = data_sample.clone()
        sample.pred_instances = inst
        result = super().pred2dict(sample, '')
        for key in SCORE_KEYS:
            if key in inst:
                result[key] = inst[key].tolist()
        if 'loc_quality' in inst:
            for key, column in zip(QUALITY_KEYS, inst.loc_quality.T):
                result[key] = column.tolist()
        if pred_out_dir:
            img_path = data_sample.get('img_path')
            if img_path:
                name = osp.splitext(osp.basename(img_path))[0]
            else:
                name = f'{self.num_predicted_imgs:08d}'
                self.num_predicted_imgs += 1
            mmengine.dump(result, osp.join(pred_out_dir, 'preds',
                                           name + '.json'))
        return result
