"""The credits kind's routers: the registry's routes and the public registry pages' routes."""
