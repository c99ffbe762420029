from .piecewise_constant_lr import PiecewiseConstantLR

__all__ = ['PiecewiseConstantLR']
