from .loc_quality_sampler import LocQualitySampler

__all__ = ['LocQualitySampler']
