"""Local chains, connections and chain control."""
