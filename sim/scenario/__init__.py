"""Scenarios: the TOML schema and its sections, CSV inputs, behavioural parameters and the loader."""
