"""Draw where class confidence and localization quality disagree (Fig. 1).

For each image, the pre-NMS candidates around each object, labelled with
their class confidence (conf_cls), localization confidence (conf_loc, LED
only) and, where ground truth exists, their true IoU. Objects are the
ground-truth boxes (``--split``) or, for images without annotations
(``--img``), the final detections above ``--det-thr``.

    python tools/analysis_tools/loc_quality_view.py CONFIG CKPT \\
        --split VOC2007/ImageSets/Main/test.txt --num 8 --out-dir vis/
    python tools/analysis_tools/loc_quality_view.py CONFIG CKPT \\
        --img demo.jpg --out-dir vis/
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

import mmdet_led  # noqa: F401  (registers LED; stack patches first)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[2:]))
    parser.add_argument('config', help='test config')
    parser.add_argument('checkpoint', help='checkpoint file')
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument('--img', nargs='+', help='image files (no ground truth)')
    src.add_argument(
        '--split', help="image-set file of the config's test dataset "
        '(relative to its data_root), for images with ground truth')
    parser.add_argument('--num', type=int, help='first N images of --split')
    parser.add_argument('--out-dir', required=True, help='where PNGs go')
    parser.add_argument('--score-thr', type=float, default=0.01,
                        help='candidates above this final confidence')
    parser.add_argument('--topk', type=int, default=100,
                        help='candidates per image (by final confidence)')
    parser.add_argument('--per-object', type=int, default=4,
                        help='candidates drawn per object')
    parser.add_argument('--min-iou', type=float, default=0.3,
                        help='overlap that makes a candidate an object\'s')
    parser.add_argument('--det-thr', type=float, default=0.3,
                        help='--img: final detections above this are the '
                        'objects')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='config overrides (key=value)')
    return parser.parse_args(argv)


def config_classes(cfg) -> List[str]:
    """Class names of the config's test dataset (what the head predicts)."""
    from mmdet.registry import DATASETS
    dataset = cfg.test_dataloader.dataset
    while 'dataset' in dataset:
        dataset = dataset.dataset
    meta = dataset.get('metainfo') or {}
    return list(meta.get('classes')
                or DATASETS.get(dataset.type).METAINFO['classes'])


def image_pass(model, cfg, images: List[str]) -> dict:
    """The head's outputs and final detections of plain image files."""
    from mmdet.apis import inference_detector

    from mmdet_led.evaluation.raw_outputs import capture_head_outputs, plain
    with capture_head_outputs(model) as outs:
        samples = [inference_detector(model, img) for img in images]
    return dict(
        classes=config_classes(cfg),
        img_ids=[osp.splitext(osp.basename(p))[0] for p in images],
        metas=[plain(s.metainfo) for s in samples],
        outs=list(outs),
        preds=[{k: s.pred_instances[k] for k in ('bboxes', 'scores')}
               for s in samples])


def main(argv: Optional[List[str]] = None) -> int:
    import mmcv
    import numpy as np
    import torch
    from mmdet.apis import init_detector
    from mmengine.config import Config

    from mmdet_led.evaluation.raw_outputs import (prenms_candidates,
                                                  record_config_test_pass)
    from mmdet_led.visualization import (LocQualityVisualizer,
                                         candidates_per_object)
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = init_detector(cfg, args.checkpoint, device=args.device)
    if args.split:
        raw = record_config_test_pass(model, cfg, args.split, args.num)
        gts = [a['bboxes'] for a in raw['anns']]
    else:
        raw = image_pass(model, cfg, args.img)
        gts = [torch.zeros(0, 4) for _ in raw['metas']]
    head = model.bbox_head
    cands = prenms_candidates(head, raw, head.test_cfg, args.score_thr,
                              args.topk, gt_bboxes=gts)
    vis = LocQualityVisualizer(name='loc_quality_view')
    os.makedirs(args.out_dir, exist_ok=True)
    for i, cand in enumerate(cands):
        if args.split:
            objects = gts[i].numpy()
        else:
            pred = raw['preds'][i]
            objects = pred['bboxes'][pred['scores'] >= args.det_thr].numpy()
        groups = candidates_per_object(cand, objects, args.per_object,
                                       args.min_iou)
        drawn = vis.draw_candidates(
            mmcv.imread(raw['metas'][i]['img_path'], channel_order='rgb'),
            cand, groups, raw['classes'],
            gt_bboxes=objects if args.split else None,
            highlight=[g for g, idx in enumerate(groups) if len(idx)],
            title=str(raw['img_ids'][i]))
        out = osp.join(args.out_dir, f'{raw["img_ids"][i]}.png')
        mmcv.imwrite(np.ascontiguousarray(drawn[..., ::-1]), out)
        print(f'{out}: {sum(len(g) for g in groups)} candidates around '
              f'{sum(1 for g in groups if len(g))} of {len(groups)} objects')
    return 0


if __name__ == '__main__':
    sys.exit(main())
