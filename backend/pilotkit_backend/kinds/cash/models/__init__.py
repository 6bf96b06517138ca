"""The cash kind's tables: beneficiary records and identity secrets, rounds and their payments."""
