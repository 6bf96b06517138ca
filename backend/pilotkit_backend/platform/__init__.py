"""The platform: what every pilot kind shares and none is named in (keys, idempotency, jobs and the sender, the
indexer, the contract registry and types, the chain context, writes, runtime). It imports no kind."""
