"""What the certs routes call: records and trees, subjects, uploads, verification, credentials."""
