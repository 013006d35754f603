"""Survey statistics: the design object, weighting and design-based estimation."""
