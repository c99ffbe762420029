"""How much AP LE ranking leaves on the table, and why.

One test pass of an LED model (raw head outputs kept), then its detections
re-scored three ways with the config's post-processing: by the class
confidence alone, by the LE's estimates (the config's ``score_mode`` and
``product``), and by the *true* IoU/IoD/IoG of every prior in place of the
estimates (``rescore_with_true_quality``): the AP a perfect LE would reach
with the same scoring. A second table says how well each confidence ranks
the pre-NMS candidates of one object (mean within-object Spearman with the
true IoU), the ranking NMS acts on, and how much the true IoU and the LE's
error vary among one object's candidates. Runs on the CPU.

    python tools/analysis_tools/loc_quality_headroom.py CONFIG CKPT \\
        [--split VOC2007/ImageSets/Main/val.txt] [--num 100] [--out h.json]
"""
import argparse
import json
import sys
from typing import Dict, List, Optional, Tuple

import mmdet_led  # noqa: F401  (registers LED; stack patches first)

SIGNALS = ('conf_cls', 'conf_loc', 'conf_final')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[2:]))
    parser.add_argument('config', help='test config of an LED model')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--split', help="another image-set file of the config's test "
        'dataset (relative to its data_root)')
    parser.add_argument('--num', type=int, help='first N images only')
    parser.add_argument('--out', help='write the numbers to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='config overrides (key=value)')
    return parser.parse_args(argv)


def voc_aps(results: list, raw: dict) -> Dict[str, float]:
    """mAP@0.5 and AP@0.7 (11-point) and AP@[.5:.95] (area), percent."""
    from mmdet_led.evaluation.functional import voc_metrics
    from mmdet_led.evaluation.raw_outputs import voc_matches
    metrics = voc_metrics(voc_matches(results, raw))
    return {k: round(100 * float(v[0]), 2) for k, v in metrics.items()}


def object_ranking(head, raw: dict, test_cfg,
                   min_candidates: int = 5) -> Tuple[dict, dict]:
    """Per signal (and the LE's IoU estimate ``pred_iou``), the mean
    within-object Spearman of the top-100 pre-NMS candidates (final
    confidence > 0.01) and how many objects it covers; and the mean
    within-object standard deviation of their true IoU, of the LE's IoU
    estimate and of its error (:func:`object_spreads`)."""
    import numpy as np

    from mmdet_led.evaluation.functional import (
        candidate_objects, object_rank_correlations, object_spreads)
    from mmdet_led.evaluation.raw_outputs import prenms_candidates
    rhos, spreads = {s: [] for s in SIGNALS + ('pred_iou', )}, []
    for cand, ann in zip(prenms_candidates(head, raw, test_cfg), raw['anns']):
        objects, iou = candidate_objects(cand['bboxes'], cand['labels'],
                                         ann['bboxes'].numpy(),
                                         ann['labels'].numpy())
        for s in rhos:
            rhos[s].append(object_rank_correlations(cand[s], iou, objects,
                                                    min_candidates))
        spreads.append(object_spreads(cand['pred_iou'], iou, objects,
                                      min_candidates))
    ranking = {}
    for s, parts in rhos.items():
        rho = np.concatenate(parts)
        ranking[s] = dict(
            spearman=round(float(rho.mean()), 3) if rho.size else None,
            objects=int(rho.size))
    spread = np.concatenate(spreads)
    means = (spread.mean(0).round(4).tolist() if len(spread) else
             [None] * 3)
    return ranking, dict(zip(('true_iou_sd', 'pred_iou_sd', 'le_error_sd'),
                             means), objects=len(spread))


def headroom(model, raw: dict) -> dict:
    """The AP table's rows and the object-ranking table of one model."""
    from mmdet_led.evaluation.raw_outputs import (rescore,
                                                  rescore_with_true_quality)
    head = model.bbox_head
    cfg = head.test_cfg
    mode = cfg.get('score_mode', 'gaussian')
    modes = [mode] + (['product'] if mode != 'product' else [])

    def variant(**updates):
        out = cfg.copy()
        out.update(updates)
        return out

    rows = [dict(ranking='class confidence (cls)',
                 **voc_aps(rescore(head, raw, variant(score_mode='cls')),
                           raw))]
    for m in modes:
        rows.append(dict(ranking=f'LE estimates, {m}',
                         **voc_aps(rescore(head, raw, variant(score_mode=m)),
                                   raw)))
    for m in modes:
        rows.append(dict(ranking=f'true quality, {m}',
                         **voc_aps(rescore_with_true_quality(
                             head, raw, variant(score_mode=m)), raw)))
    return dict(
        images=len(raw['metas']),
        test_cfg=cfg.to_dict(),
        aps=rows,
        **dict(zip(('object_ranking', 'object_spread'),
                   object_ranking(head, raw, cfg))))


def main(argv: Optional[List[str]] = None) -> int:
    from mmdet.apis import init_detector
    from mmengine.config import Config
    from tabulate import tabulate

    from mmdet_led.evaluation.raw_outputs import record_config_test_pass
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = init_detector(cfg, args.checkpoint, device='cpu')
    if not hasattr(model.bbox_head, 'le_module'):
        sys.exit(f'{args.config}: the head ({type(model.bbox_head).__name__})'
                 ' has no LE module')
    raw = record_config_test_pass(model, cfg, args.split, args.num)
    result = dict(config=args.config, checkpoint=args.checkpoint,
                  split=args.split, num=args.num, **headroom(model, raw))
    print(f"{result['images']} images\n")
    print(tabulate([list(r.values()) for r in result['aps']],
                   headers=['ranking', 'mAP@0.5', 'AP@0.7', 'AP@[.5:.95]'],
                   tablefmt='github', floatfmt='.2f'))
    print('\nwithin-object Spearman with the true IoU (pre-NMS candidates)\n')
    print(tabulate([[s, v['spearman'], v['objects']]
                    for s, v in result['object_ranking'].items()],
                   headers=['confidence', 'Spearman', 'objects'],
                   tablefmt='github', floatfmt='.3f'))
    spread = result['object_spread']
    print(f"\nwithin-object SD of the true IoU {spread['true_iou_sd']}, "
          f"of LE's IoU estimate {spread['pred_iou_sd']}, of its error "
          f"{spread['le_error_sd']} ({spread['objects']} objects)")
    if args.out:
        with open(args.out, 'w') as fh:
            json.dump(result, fh, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
