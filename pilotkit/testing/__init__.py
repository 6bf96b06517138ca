"""pytest support for pilot teams: fixtures (plugin.py) and assertions (assertions.py)."""
