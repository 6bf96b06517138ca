"""`--via api` for the credits kind: the registry is registered with the API (`kind: credits`); the replay's
credit operations stay on the library path."""

from __future__ import annotations

from pilotkit.pilots.api_kit import KindApi


class CreditsApi(KindApi):
    contracts = {"EcoCreditRegistry": "credits"}
