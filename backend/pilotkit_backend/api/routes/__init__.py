"""The platform's routes (health, keys, jobs, contracts, signers); each kind's are in `kinds/<kind>/routes/`."""
