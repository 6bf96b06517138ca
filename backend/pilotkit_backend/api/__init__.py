"""HTTP layer: routes per area and typed dependencies."""
