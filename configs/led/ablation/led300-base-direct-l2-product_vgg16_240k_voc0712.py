# LED paper Table 2, row 1 (77.4): LE from the base feature map only, direct
# regression of IoU/IoD/IoG with the L2 loss, LE-Product scoring.
_base_ = '../led300_vgg16_voc0712.py'
model = dict(
    bbox_head=dict(
        le_module=dict(richer_features=False, coarse_to_fine=False),
        loss_le_fine=dict(sharp=False)),
    test_cfg=dict(score_mode='product'))
