# CPU LED-ATSS whose LE regression branch reads the reg tower's features at
# the corners, edge midpoints and centre of each location's predicted box,
# so that LE sees where the box landed, not only where its anchor sits.
_base_ = './led-atss_efficientnetlite0_fpn_192_voc07_cpu.py'

model = dict(bbox_head=dict(le_box_features=True))
