# LED paper Table 2, row 4 (78.5): + Sharp-L2 loss for the fine regressors.
_base_ = './led300-rf-c2f-l2-product_vgg16_240k_voc0712.py'
model = dict(bbox_head=dict(loss_le_fine=dict(sharp=True)))
