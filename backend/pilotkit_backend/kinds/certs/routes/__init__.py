"""The certs kind's routers: the issuer's registry routes and the public verification routes."""
