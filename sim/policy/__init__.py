"""Policy data: the gazette, its instrument kinds, the resolved policy set, claims and facts."""
