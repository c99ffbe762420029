# LED paper Table 2, row 5 (78.7): + LE-Gaussian scoring = the full LED300
# (same model as ../led300_vgg16_voc0712.py; a test checks it).
_base_ = './led300-rf-c2f-sharpl2-product_vgg16_240k_voc0712.py'
model = dict(test_cfg=dict(score_mode='gaussian'))
