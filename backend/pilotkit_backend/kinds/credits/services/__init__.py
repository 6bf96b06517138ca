"""What the credits routes call: issuance, serial ranges, reads, retirement beneficiaries."""
