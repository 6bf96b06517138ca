"""Replay tests of each pilot kind (pilotkit/pilots/kinds/<kind>/): a scenario direct and `--via api`."""
