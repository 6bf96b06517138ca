"""Exceptions raised by the event indexer."""

from __future__ import annotations

from pilotkit.errors import PilotkitError


class IndexerError(PilotkitError):
    """Base class for event indexer failures."""


class CheckpointMoved(IndexerError):
    """Another process advanced or rewound this indexer's checkpoint; reload it and carry on."""


class DuplicateEvents(IndexerError):
    """A range holds logs another indexer (another name) already stored: one contract, one indexer per database."""


class ChainChanged(IndexerError):
    """The chain no longer matches what a range was fetched against (a reorg during the fetch)."""


class ReorgTooDeep(IndexerError):
    """No stored block is on the node's canonical chain any more: the reorg goes below the stored window.

    Nothing was changed. Call `EventIndexer.reset()` to re-index from the deployment blocks, or construct
    the indexer with `on_deep_reorg="reindex"` to do that automatically.
    """

    def __init__(self, message: str, checkpoint: int, lowest_checked: int | None) -> None:
        super().__init__(message)
        self.checkpoint = checkpoint
        self.lowest_checked = lowest_checked
