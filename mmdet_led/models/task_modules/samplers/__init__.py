from .loc_quality_sampler import LocQualitySampler, le_sampler_cfg

__all__ = ['LocQualitySampler', 'le_sampler_cfg']
