"""Handles on deployed contracts: calls, transactions, decoded events and named revert errors."""
