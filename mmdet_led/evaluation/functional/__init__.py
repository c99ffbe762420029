from .calibration import (binned_calibration, correlation_table, pearson,
                          spearman)
from .hierarchical_bootstrap import (difference_intervals,
                                     paired_voc_bootstrap,
                                     resampled_seed_means, seed_draws)
from .kitti_eval import (KITTI_DIFFICULTIES, KITTI_MIN_OVERLAP,
                         average_precision_r11, average_precision_r40,
                         format_kitti_table, get_thresholds, image_box_overlap,
                         kitti_eval_2d)
from .laece import greedy_tp_ious, image_tp_ious, laece
from .object_ranking import (candidate_objects, image_object_rank_correlations,
                             object_rank_correlations, object_spreads)
from .seed_power import (paired_t_power, sd_upper_bound,
                         seeds_for_half_width, seeds_for_power, t_half_width)
from .voc_bootstrap import (COCO_IOU_THRS, ClassMatches, VOCMatches,
                            ap_11points, ap_area, bootstrap_weights,
                            dets_per_class, match_voc, mean_over_classes,
                            percentile_interval, tpfp_voc, voc_metrics,
                            weighted_class_aps, weighted_coco_style_ap,
                            weighted_map, weighted_pr)

__all__ = [
    'KITTI_DIFFICULTIES', 'KITTI_MIN_OVERLAP', 'average_precision_r11',
    'average_precision_r40', 'format_kitti_table', 'get_thresholds',
    'image_box_overlap', 'kitti_eval_2d', 'COCO_IOU_THRS', 'ClassMatches',
    'VOCMatches', 'ap_11points', 'ap_area', 'bootstrap_weights',
    'dets_per_class', 'match_voc', 'mean_over_classes', 'percentile_interval',
    'tpfp_voc', 'voc_metrics', 'weighted_class_aps', 'weighted_coco_style_ap',
    'weighted_map', 'weighted_pr', 'binned_calibration', 'correlation_table',
    'pearson', 'spearman', 'difference_intervals', 'paired_voc_bootstrap',
    'resampled_seed_means', 'seed_draws', 'paired_t_power',
    'sd_upper_bound', 'seeds_for_half_width', 'seeds_for_power',
    't_half_width', 'greedy_tp_ious', 'image_tp_ious', 'laece',
    'candidate_objects', 'image_object_rank_correlations',
    'object_rank_correlations', 'object_spreads'
]
