# The CPU recipe as it stands (SSDLite-MobileNetV2 192, lr 0.03, wd 4e-5,
# SSD augmentation with zoom-out up to 4x).
_base_ = './_base_search.py'
