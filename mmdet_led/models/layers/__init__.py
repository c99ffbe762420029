from .le_module import LEModule

__all__ = ['LEModule']
