# CPU LED-ATSS with the paper's 3x3 LE prediction conv instead of the slim
# heads' 1x1: each prior's IoU/IoD/IoG is predicted from its 3x3
# neighbourhood of LE features, not from its own position alone.
_base_ = './led-atss_efficientnetlite0_fpn_192_voc07_cpu.py'

model = dict(bbox_head=dict(le_module=dict(pred_kernel_size=3)))
