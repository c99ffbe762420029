from .efficientnet_lite import (EfficientNetLite,
                                convert_efficientnet_pytorch_keys,
                                same_padding)

__all__ = [
    'EfficientNetLite', 'convert_efficientnet_pytorch_keys', 'same_padding'
]
