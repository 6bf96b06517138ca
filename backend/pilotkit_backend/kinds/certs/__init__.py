"""The certificates kind: issuance, status changes, public verification, W3C VC export (`kind.py`)."""
