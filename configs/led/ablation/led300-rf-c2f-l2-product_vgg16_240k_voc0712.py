# LED paper Table 2, row 3 (78.3): + coarse-to-fine prediction.
_base_ = './led300-rf-direct-l2-product_vgg16_240k_voc0712.py'
model = dict(bbox_head=dict(le_module=dict(coarse_to_fine=True)))
