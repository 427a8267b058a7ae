"""The model's core: random streams, the ledger over plain arrays, claim kernels, outputs and the
component contract. It imports nothing of ``sim`` above it (see ``tests/test_layers.py``).
"""
