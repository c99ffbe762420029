# CPU LED-ATSS with the LE loss stopped at the LE module's inputs
# (le_module.detach_inputs): ATSS trains on its own losses, as without LE,
# and the LE module learns to rank its detections.
_base_ = './led-atss_efficientnetlite0_fpn_192_voc07_cpu.py'

model = dict(bbox_head=dict(le_module=dict(detach_inputs=True)))
