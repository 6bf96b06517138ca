"""The cash-transfer kind: programmes, beneficiaries, merchants, push / claim / voucher rounds (`kind.py`)."""
