"""Signers: deterministic dev accounts for local chains, encrypted keystores for real networks."""
