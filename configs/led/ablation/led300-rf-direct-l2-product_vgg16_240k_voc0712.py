# LED paper Table 2, row 2 (77.9): + richer features.
_base_ = './led300-base-direct-l2-product_vgg16_240k_voc0712.py'
model = dict(bbox_head=dict(le_module=dict(richer_features=True)))
