"""Settings and shared error types."""
