# CPU LED-ATSS with the paper's LE widths instead of the slim heads' (32-
# channel RF and context branches, a 3x3 prediction conv; GroupNorm of 32
# groups): the LE module at 14-28% of the detector's arithmetic rather than
# 6-7%.
_base_ = './led-atss_efficientnetlite0_fpn_192_voc07_cpu.py'

model = dict(
    bbox_head=dict(
        le_module=dict(
            branch_channels=32,
            context_channels=32,
            pred_kernel_size=3,
            norm_cfg=dict(type='GN', num_groups=32, requires_grad=True))))
