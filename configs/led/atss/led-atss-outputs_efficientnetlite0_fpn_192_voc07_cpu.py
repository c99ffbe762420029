# CPU LED-ATSS whose LE reads ATSS's output maps (class logits, box deltas),
# as the LED paper's and SSD's LE do, instead of the towers' last features.
_base_ = './led-atss_efficientnetlite0_fpn_192_voc07_cpu.py'

model = dict(bbox_head=dict(le_on_outputs=True))
