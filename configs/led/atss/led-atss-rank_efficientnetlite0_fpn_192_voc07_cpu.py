# CPU LED-ATSS with LE's ranking loss: besides fitting each prior's
# IoU/IoD/IoG, conf_loc is asked to order the priors of each object (true
# IoU >= 0.5) by their true IoU, the order NMS acts on (LERankingLoss).
_base_ = './led-atss_efficientnetlite0_fpn_192_voc07_cpu.py'

model = dict(
    bbox_head=dict(
        loss_le_rank=dict(
            type='LERankingLoss', temperature=0.1, min_iou=0.5,
            loss_weight=1.0)))
