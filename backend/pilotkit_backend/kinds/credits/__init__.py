"""The eco-credits kind: projects, serial-ranged batches, transfers, retirements (`kind.py`)."""
