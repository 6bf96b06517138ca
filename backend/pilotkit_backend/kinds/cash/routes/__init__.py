"""The cash kind's routers: programmes, rounds, beneficiaries, merchants."""
