"""Deployments: idempotent, journaled, recorded per chain id."""
