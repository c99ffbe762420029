# v1 with the LR schedule of the starting point: warm-up, then cosine
# from 0.03 to 0 over the rest of the run (no three-step LR table). Isolates
# the schedule: v1 keeps the high lr for only the first 800 of 2400 iterations.
_base_ = './_base_search.py'
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=200),
    dict(
        type='CosineAnnealingLR',
        by_epoch=False,
        begin=200,
        end=2400,
        T_max=2200,
        eta_min=0)
]
