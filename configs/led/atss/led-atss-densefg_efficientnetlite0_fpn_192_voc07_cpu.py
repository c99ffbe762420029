# CPU LED-ATSS whose LE trains on every prior of IoU >= 0.4 (the ranges that
# one object's NMS candidates come from), not only the highest-loss few of
# each IoU range: the mid and high ratios exceed any prior count, so those
# ranges are taken whole; background and low keep 3 and 1 units.
_base_ = './led-atss_efficientnetlite0_fpn_192_voc07_cpu.py'

model = dict(
    train_cfg=dict(
        le_sampler=dict(
            type='LocQualitySampler', ratios=(3, 1, 1e6, 1e6),
            min_per_range=16)))
