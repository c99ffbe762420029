# CPU LED-ATSS with one set of LE convs per FPN level, as SSD's LE has,
# instead of one set shared by the five levels like ATSS's towers.
_base_ = './led-atss_efficientnetlite0_fpn_192_voc07_cpu.py'

model = dict(bbox_head=dict(le_per_level=True))
