"""The event indexer: follows every registered contract, stores decoded events, survives reorgs and restarts."""
