"""The event indexer: follows contracts' logs from their deployment blocks into the database.

Design (see also `indexer_store`):
- Position: one checkpoint row per (indexer name, chain id) holding the last fully indexed block number and
  hash. Blocks are indexed only once they have `confirmations` confirmations (the network's setting, as for
  transactions: 1 = mined), i.e. up to `head - confirmations + 1`.
- Ranges: `eth_getLogs` over at most `batch_blocks` blocks (halved on "too many results"/size errors),
  decoded, then stored in ONE transaction with the headers of the blocks that hold events plus the range's
  last block, and the checkpoint move (a compare-and-set). A crash leaves all of a range or none of it, so
  a restart resumes exactly after the checkpoint: no gap, no duplicate. The next range is fetched and
  decoded on a helper thread while the current one commits.
- Consistency of a range: the header of its last block is read before the logs and again after, together
  with the checkpoint block and every block holding a log; all must agree (same hashes, each log's
  blockHash) or the range is discarded and retried (`ChainChanged`).
- Reorgs: each sync first compares the checkpoint's stored hash with the node's block at that height. On a
  mismatch it walks back through the stored headers (newest first) to the highest one still on the
  canonical chain (the common ancestor as far as the index knows it), deletes every event and header
  above it, moves the checkpoint there (one transaction) and indexes forward again. If no stored header
  matches (the reorg is deeper than the stored window), it raises `ReorgTooDeep` without changing anything,
  or with `on_deep_reorg="reindex"` (the default on local chains) re-indexes from the deployment blocks.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from pilotkit_backend.platform.indexer.decode import LogDecoder, canonical_json
from pilotkit_backend.platform.indexer.errors import (
    ChainChanged,
    CheckpointMoved,
    DuplicateEvents,
    IndexerError,
    ReorgTooDeep,
)
from pilotkit_backend.platform.indexer.queries import EventPage, EventQuery, StoredEvent
from pilotkit_backend.platform.indexer.rpc import BatchRpc, JsonRpcClient, is_too_big
from pilotkit_backend.platform.indexer.store import BlockHeader, Checkpoint, IndexStore

if TYPE_CHECKING:
    from pilotkit.chain.connection import Connection
    from pilotkit.compiler.artifacts import ArtifactStore
    from pilotkit.deploy.records import DeploymentRecord
    from pilotkit_backend.core.config import Settings

log = logging.getLogger("pilotkit.indexer")

__all__ = [
    "ChainChanged", "CheckpointMoved", "DuplicateEvents", "EventIndexer", "EventPage", "EventQuery", "FollowedContract",
    "IndexerError", "ReorgTooDeep", "StoredEvent", "SyncResult", "contracts_from_record",
]

#: How many headers go in one JSON-RPC batch.
HEADER_BATCH = 500
#: Consecutive `ChainChanged` retries in one sync before giving up until the next one.
MAX_CHAIN_CHANGES = 8
#: Blocks in the first eth_getLogs of a fresh indexer object; the span then adapts to the log density.
FIRST_SPAN = 16
#: Logs one range aims at: bounds memory and transaction length on dense chains (the span shrinks to fit).
TARGET_LOGS = 5_000


@dataclass(frozen=True)
class FollowedContract:
    """A contract to index: its address, a display name (alias), its deployment block and its ABI."""

    address: str
    name: str
    from_block: int
    abi: list[dict[str, Any]] = field(default_factory=list, compare=False, repr=False)


@dataclass(frozen=True)
class SyncResult:
    """What one `sync_once` did."""

    blocks: int = 0
    events: int = 0
    ranges: int = 0
    reorg_depth: int = 0
    events_removed: int = 0
    checkpoint: int = -1
    head: int = -1
    safe_head: int = -1

    @property
    def caught_up(self) -> bool:
        return self.checkpoint >= self.safe_head


@dataclass
class _Range:
    """A fetched, verified block range ready to be stored."""

    start: int
    end: BlockHeader
    headers: list[BlockHeader]
    events: list[tuple[Any, ...]]


def _drop(future: Future[_Range] | None) -> Future[_Range] | None:
    """Abandon a prefetched range (its outcome, error included, no longer matters); returns None."""
    if future is not None and not future.cancel():
        future.exception()  # wait, so the helper thread is idle before the caller goes on
    return None


def contracts_from_record(record: DeploymentRecord, store: ArtifactStore,
                          aliases: Iterable[str] | None = None) -> list[FollowedContract]:
    """Followed contracts for the deployments in a record (all of them, or the given aliases)."""
    chosen = sorted(record.contracts) if aliases is None else list(aliases)
    followed = []
    for alias in chosen:
        entry = record.require(alias)
        followed.append(FollowedContract(entry.address, alias, entry.block, store.get(entry.contract).abi))
    return followed


class EventIndexer:
    """Indexes the logs of a set of contracts on one chain (see the module docstring).

    - `name`: the checkpoint's key (with the chain id); one contract belongs to one indexer name per database.
    - `confirmations`: a block is indexed once it has this many confirmations (1 = mined; 0 acts as 1).
    - `batch_blocks`: the largest eth_getLogs block range; the range actually used starts at FIRST_SPAN
      blocks and adapts to about TARGET_LOGS logs per range, halving when the node answers "too many".
    - `shared_abis`: ABIs tried after the emitting contract's own (e.g. the whole project's, for events
      declared in libraries); logs nothing decodes are stored with name NULL and their raw topics/data.
    - `keep_blocks`: forget stored headers older than this many blocks below the checkpoint (None: keep
      them all; there is one per range and one per block with events). It bounds how deep a reorg can be
      followed back; beyond it `on_deep_reorg` applies: "error" raises ReorgTooDeep and changes nothing,
      "reindex" drops the index and starts again from the deployment blocks.
    - `prefetch`: fetch and decode the next range on a helper thread while the current one is committed.
    - The followed set may change between runs: contracts added with a deployment block at or below the
      checkpoint rewind it to just below that block (everything above is re-indexed); the events of
      contracts no longer followed are deleted.
    """

    def __init__(self, engine: Engine, rpc: BatchRpc, contracts: Sequence[FollowedContract], *, chain_id: int,
                 name: str = "default", confirmations: int = 1, batch_blocks: int = 2000,
                 poll_seconds: float = 0.5, shared_abis: Iterable[list[dict[str, Any]]] = (),
                 on_deep_reorg: Literal["error", "reindex"] = "error", keep_blocks: int | None = None,
                 prefetch: bool = True) -> None:
        if not contracts:
            raise ValueError("EventIndexer needs at least one contract to follow")
        if batch_blocks < 1 or confirmations < 0 or (keep_blocks is not None and keep_blocks < 1):
            raise ValueError("batch_blocks and keep_blocks must be >= 1, confirmations >= 0")
        self.engine = engine
        self.rpc = rpc
        self.chain_id = chain_id
        self.name = name
        self.confirmations = confirmations
        self.batch_blocks = batch_blocks
        self.poll_seconds = poll_seconds
        self.on_deep_reorg = on_deep_reorg
        self.keep_blocks = keep_blocks
        self.prefetch = prefetch
        self.store = IndexStore(engine, name, chain_id)
        self.decoder = LogDecoder({c.address: c.abi for c in contracts}, shared_abis)
        self.contracts = sorted((FollowedContract(self.decoder.checksum(c.address), c.name, c.from_block, c.abi)
                                 for c in contracts), key=lambda c: (c.from_block, c.address))
        if len({c.address for c in self.contracts}) != len(self.contracts):
            raise ValueError("a contract address is listed twice")
        self._by_address = {c.address.lower(): c for c in self.contracts}
        self._spec = canonical_json([{"address": c.address, "from_block": c.from_block} for c in self.contracts])
        self._span = min(batch_blocks, FIRST_SPAN)
        self._pruned_at = -1
        self.last_error: str | None = None
        self.last_result: SyncResult | None = None
        self.queries = EventQuery(engine, chain_id=chain_id, indexer=name)

    @classmethod
    def from_connection(cls, engine: Engine, connection: Connection, contracts: Sequence[FollowedContract],
                        settings: Settings | None = None, *, name: str = "default",
                        confirmations: int | None = None, shared_abis: Iterable[list[dict[str, Any]]] = (),
                        **options: Any) -> EventIndexer:
        """An indexer on a pilotkit connection: its IPC socket or url, its network's confirmation depth.

        Local chains default to `on_deep_reorg="reindex"` (they restart empty with the same chain id).
        """
        from pilotkit_backend.core.config import Settings

        settings = settings or Settings()
        node = connection.node
        if node is not None:
            rpc = JsonRpcClient(url=None if node.ipc_path else node.url, ipc_path=node.ipc_path)
        else:
            endpoint = connection.network.resolved_url()
            if endpoint.startswith(("http://", "https://")):
                rpc = JsonRpcClient(url=endpoint, timeout=connection.network.timeout)
            else:  # an IPC socket path (`pilotkit serve --rpc /path/to/node.ipc`)
                rpc = JsonRpcClient(ipc_path=endpoint, timeout=connection.network.timeout)
        options.setdefault("on_deep_reorg", "reindex" if connection.is_local else "error")
        return cls(engine, rpc, contracts, chain_id=connection.chain_id, name=name,
                   confirmations=connection.network.confirmations if confirmations is None else confirmations,
                   batch_blocks=settings.indexer_batch_blocks, poll_seconds=settings.indexer_poll_seconds,
                   shared_abis=shared_abis, **options)

    # ----------------------------------------------------------------------------------------- syncing

    def sync_once(self, max_blocks: int | None = None) -> SyncResult:
        """Handle any reorg, then index every confirmed block up to the safe head (or `max_blocks` of them).

        While one range is being committed, the next one is already fetched and decoded on a helper thread
        (its consistency is checked against the end of the range before it, and it is only stored after it).
        """
        head, safe = self._safe_head()
        checkpoint, depth, removed = self._prepare()
        limit = safe if max_blocks is None else min(safe, checkpoint.number + max_blocks)
        blocks = events = ranges = changes = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"indexer-{self.name}") as pool:
            ahead: Future[_Range] | None = None
            while checkpoint.number < limit:
                try:
                    if ahead is None:
                        fetched = self._fetch_range(checkpoint, min(checkpoint.number + self._span, limit))
                    else:
                        fetched, ahead = ahead.result(), None
                    if self.prefetch and fetched.end.number < limit:
                        after = replace(checkpoint, number=fetched.end.number, hash=fetched.end.hash)
                        ahead = pool.submit(self._fetch_range, after, min(after.number + self._span, limit))
                    checkpoint = self.store.commit_range(checkpoint, fetched.end, fetched.headers, fetched.events,
                                                         self.confirmations)
                except ChainChanged as exc:
                    ahead = _drop(ahead)  # always None
                    changes += 1
                    if changes > MAX_CHAIN_CHANGES:
                        raise
                    log.info("indexer %s: chain changed while fetching (%s); checking for a reorg", self.name, exc)
                    head, safe = self._safe_head()
                    checkpoint, more_depth, more_removed = self._prepare()
                    depth, removed = max(depth, more_depth), removed + more_removed
                    limit = min(limit, safe)
                    continue
                except CheckpointMoved:  # another process indexed this range first: carry on from where it got
                    ahead = _drop(ahead)
                    checkpoint = self._require_checkpoint()
                    continue
                blocks += fetched.end.number - fetched.start + 1
                events += len(fetched.events)
                ranges += 1
                self._maybe_prune(checkpoint)
            _drop(ahead)
        result = SyncResult(blocks=blocks, events=events, ranges=ranges, reorg_depth=depth, events_removed=removed,
                            checkpoint=checkpoint.number, head=head, safe_head=safe)
        self.last_result = result
        return result

    def _safe_head(self) -> tuple[int, int]:
        """The node's head and the newest block with enough confirmations."""
        head = int(self.rpc.call("eth_blockNumber", []), 16)
        return head, head - max(self.confirmations, 1) + 1

    def _prepare(self) -> tuple[Checkpoint, int, int]:
        """Load (or create) the checkpoint, roll back a reorg, adopt a changed contract set.

        Returns the checkpoint to index from, the reorg depth and the events removed.
        """
        for attempt in range(3):
            try:
                checkpoint = self._load_or_create()
                depth, removed = self._ensure_canonical(checkpoint)
                checkpoint, dropped = self._reconcile_contracts(self._require_checkpoint())
                return checkpoint, depth, removed + dropped
            except CheckpointMoved:  # another process is rewinding or advancing it right now
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def run_forever(self, stop_event: threading.Event) -> None:
        """Sync until `stop_event` is set: poll every `poll_seconds` when caught up, back off on errors.

        Errors are logged by type and message only (no traceback) and retried with a growing pause (up to
        30 s); `last_error` holds the latest one for health checks until a sync succeeds again.
        """
        backoff = self.poll_seconds
        while not stop_event.is_set():
            try:
                result = self.sync_once()
            except SQLAlchemyError as exc:  # its text can quote statements and rows; the type is enough
                self.last_error = f"database error: {type(exc).__name__}"
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {str(exc)[:300]}"
            else:
                self.last_error = None
                backoff = self.poll_seconds
                if result.events or result.reorg_depth:
                    log.info("indexer %s: +%d events to block %d (reorg depth %d)", self.name, result.events,
                             result.checkpoint, result.reorg_depth)
                if not result.caught_up:
                    continue
                stop_event.wait(self.poll_seconds)
                continue
            log.warning("indexer %s: %s; retrying in %.1fs", self.name, self.last_error, backoff)
            stop_event.wait(backoff)
            backoff = min(backoff * 2, 30.0)

    def reset(self) -> int:
        """Forget everything this indexer stored (the next sync starts from the deployment blocks)."""
        return self.store.reset()

    def checkpoint(self) -> Checkpoint | None:
        return self.store.load()

    def close(self) -> None:
        self.rpc.close()

    # ------------------------------------------------------------------------------------ checkpoints

    def _require_checkpoint(self) -> Checkpoint:
        checkpoint = self.store.load()
        if checkpoint is None:
            raise CheckpointMoved(f"the checkpoint of indexer '{self.name}' was deleted while syncing")
        return checkpoint

    def _load_or_create(self) -> Checkpoint:
        checkpoint = self.store.load()
        if checkpoint is not None:
            return checkpoint
        base = self._header(self.contracts[0].from_block - 1) if self.contracts[0].from_block > 0 else None
        try:
            return self.store.create(base, self.confirmations, self._spec)
        except CheckpointMoved:
            return self._require_checkpoint()

    def _reconcile_contracts(self, checkpoint: Checkpoint) -> tuple[Checkpoint, int]:
        """Adopt a changed set of followed contracts: rewind for added ones, drop the events of removed ones."""
        if checkpoint.contracts == self._spec:
            return checkpoint, 0
        stored = {(item["address"], item["from_block"]) for item in json.loads(checkpoint.contracts)}
        current = {(c.address, c.from_block) for c in self.contracts}
        dropped = sorted({address for address, _ in stored - current})
        added_below = [from_block for _, from_block in current - stored if from_block <= checkpoint.number]
        number, block_hash, header = checkpoint.number, checkpoint.hash, None
        if added_below:
            target = min(added_below) - 1
            if target >= 0:
                header = self._header(target)
                number, block_hash = header.number, header.hash
            else:
                number, block_hash = -1, None
            if checkpoint.hash is not None and self._header(checkpoint.number).hash != checkpoint.hash:
                raise ChainChanged("the checkpoint block changed while adopting new contracts")  # same chain only
        log.info("indexer %s: followed contracts changed; rewinding to block %d", self.name, number)
        return self.store.rewind(checkpoint, number, block_hash, header, contracts=self._spec,
                                 drop_contracts=dropped)

    def _maybe_prune(self, checkpoint: Checkpoint) -> None:
        if self.keep_blocks is None or checkpoint.number - self._pruned_at < max(1, self.keep_blocks // 4):
            return
        self.store.prune_blocks(checkpoint.number - self.keep_blocks)
        self._pruned_at = checkpoint.number

    # ---------------------------------------------------------------------------------------- reorgs

    def _ensure_canonical(self, checkpoint: Checkpoint) -> tuple[int, int]:
        """Roll back to the common ancestor if the checkpoint block left the chain; (depth, events removed)."""
        if checkpoint.hash is None:
            return 0, 0
        on_chain = self._headers([checkpoint.number]).get(checkpoint.number)
        if on_chain is not None and on_chain.hash == checkpoint.hash:
            return 0, 0
        ancestor = self._find_ancestor(checkpoint)
        if ancestor is None:
            if self.on_deep_reorg != "reindex":
                raise ReorgTooDeep(
                    f"indexer '{self.name}': no stored block at or below {checkpoint.number} is on the chain any "
                    "more (reorg deeper than the stored window); nothing was changed. Call reset() to re-index "
                    "from the deployment blocks", checkpoint.number, None)
            log.warning("indexer %s: reorg below every stored block; re-indexing from the start", self.name)
            first = self.contracts[0].from_block
            ancestor = self._header(first - 1) if first > 0 else None
        number, block_hash = (ancestor.number, ancestor.hash) if ancestor else (-1, None)
        _, removed = self.store.rewind(checkpoint, number, block_hash, ancestor)
        depth = checkpoint.number - number
        log.warning("indexer %s: reorg of %d block(s) below %d; rolled back to %d (%d events removed)",
                    self.name, depth, checkpoint.number, number, removed)
        return depth, removed

    def _find_ancestor(self, checkpoint: Checkpoint) -> BlockHeader | None:
        """The highest stored header that is still on the node's chain (None when none is)."""
        below = checkpoint.number - 1
        while below >= 0:
            stored = self.store.stored_blocks(below, 100)
            if not stored:
                return None
            chain = self._headers([number for number, _ in stored])
            for number, block_hash in stored:
                header = chain.get(number)
                if header is not None and header.hash == block_hash:
                    return header
            below = stored[-1][0] - 1
        return None

    # -------------------------------------------------------------------------------------- fetching

    def _header(self, number: int) -> BlockHeader:
        header = self._headers([number]).get(number)
        if header is None:
            raise ChainChanged(f"block {number} is not on the chain")
        return header

    def _headers(self, numbers: Sequence[int]) -> dict[int, BlockHeader]:
        """Headers by number (missing blocks are left out); batched."""
        found: dict[int, BlockHeader] = {}
        for offset in range(0, len(numbers), HEADER_BATCH):
            chunk = numbers[offset:offset + HEADER_BATCH]
            replies = self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in chunk])
            for number, reply in zip(chunk, replies, strict=True):
                if isinstance(reply, Exception):
                    raise reply
                if reply is not None:
                    found[number] = BlockHeader.from_rpc(reply)
        return found

    def _get_logs(self, start: int, end: int, addresses: list[str]) -> list[dict[str, Any]]:
        """Logs of a range, halving it while the node says the answer is too big."""
        try:
            result = self.rpc.call("eth_getLogs", [{"fromBlock": hex(start), "toBlock": hex(end),
                                                    "address": addresses}])
        except Exception as exc:
            if start == end or not is_too_big(exc):
                raise
            self._narrow(end - start + 1)
            middle = (start + end) // 2
            return self._get_logs(start, middle, addresses) + self._get_logs(middle + 1, end, addresses)
        return list(result)

    def _narrow(self, failed_span: int) -> None:
        """The node refused a span as too big: never ask for more than half of it again soon."""
        self._span = max(1, min(self._span, failed_span // 2))

    def _adapt(self, span: int, logs: int) -> None:
        """Size the next range from this one's density: about TARGET_LOGS logs, at most batch_blocks blocks."""
        if logs > TARGET_LOGS:
            self._span = max(1, span * TARGET_LOGS // logs)
        elif logs < TARGET_LOGS // 4 and span >= self._span:
            factor = 8 if logs == 0 else max(2, min(8, TARGET_LOGS // (2 * logs)))
            self._span = min(self.batch_blocks, span * factor)

    def _fetch_range(self, checkpoint: Checkpoint, end: int) -> _Range:
        start = checkpoint.number + 1
        addresses = [c.address for c in self.contracts if c.from_block <= end]
        first = self.rpc.batch([
            ("eth_getBlockByNumber", [hex(end), False]),
            ("eth_getLogs", [{"fromBlock": hex(start), "toBlock": hex(end), "address": addresses}]),
        ])
        if isinstance(first[0], Exception):
            raise first[0]
        if first[0] is None:
            raise ChainChanged(f"block {end} disappeared")
        end_hash = str(first[0]["hash"]).lower()
        if isinstance(first[1], Exception):
            if start == end or not is_too_big(first[1]):
                raise first[1]
            self._narrow(end - start + 1)
            middle = (start + end) // 2
            logs = self._get_logs(start, middle, addresses) + self._get_logs(middle + 1, end, addresses)
        else:
            logs = first[1]
            self._adapt(end - start + 1, len(logs))
        wanted = {int(entry["blockNumber"], 16) for entry in logs}
        wanted.add(end)
        if checkpoint.hash is not None:
            wanted.add(checkpoint.number)
        headers = self._headers(sorted(wanted))
        self._verify(checkpoint, start, end, end_hash, headers, logs)
        if checkpoint.hash is not None:
            del headers[checkpoint.number]
        return _Range(start, headers[end], [headers[n] for n in sorted(headers)], self._rows(logs, headers))

    def _verify(self, checkpoint: Checkpoint, start: int, end: int, end_hash: str,
                headers: dict[int, BlockHeader], logs: list[dict[str, Any]]) -> None:
        """Everything fetched for a range must belong to one chain that extends the checkpoint."""
        if headers.get(end) is None or headers[end].hash != end_hash:
            raise ChainChanged(f"block {end} changed during the fetch")
        if checkpoint.hash is not None:
            base = headers.get(checkpoint.number)
            if base is None or base.hash != checkpoint.hash:
                raise ChainChanged(f"checkpoint block {checkpoint.number} is no longer on the chain")
        for entry in logs:
            number = int(entry["blockNumber"], 16)
            header = headers.get(number)
            if not start <= number <= end or header is None or header.hash != str(entry["blockHash"]).lower():
                raise ChainChanged(f"a log of block {number} is not on the chain read back")
            if entry.get("removed"):
                raise ChainChanged(f"the node flagged a log of block {number} as removed")
        previous: BlockHeader | None = None
        for number in sorted(headers):
            header = headers[number]
            if previous is not None and previous.number + 1 == number and header.parent_hash != previous.hash:
                raise ChainChanged(f"block {number} does not follow block {previous.number}")
            previous = header

    def _rows(self, logs: list[dict[str, Any]], headers: dict[int, BlockHeader]) -> list[tuple[Any, ...]]:
        """Event tuples (EVENT_COLUMNS order); logs of other addresses or from before a deployment are skipped."""
        rows = []
        by_address, decode, name, chain_id = self._by_address, self.decoder.decode, self.name, self.chain_id
        for entry in logs:
            contract = by_address.get(str(entry["address"]).lower())
            number = int(entry["blockNumber"], 16)
            if contract is None or number < contract.from_block:
                continue
            decoded = decode(entry)
            rows.append((name, chain_id, number, str(entry["blockHash"]).lower(), headers[number].timestamp,
                         str(entry["transactionHash"]).lower(), int(entry["transactionIndex"], 16),
                         int(entry["logIndex"], 16), contract.address, contract.name, decoded.name,
                         decoded.args_json))
        return rows

    # --------------------------------------------------------------------------------------- queries

    def events(self, contract: str | None = None, name: str | None = None, *, after: str | None = None,
               limit: int = 100, descending: bool = False) -> EventPage:
        """One page of this indexer's events, oldest first (keyset pagination: pass `page.next_cursor`)."""
        return self.queries.page(contract=contract, name=name, after=after, limit=limit, descending=descending)

    def count(self, contract: str | None = None, name: str | None = None) -> int:
        return self.queries.count(contract=contract, name=name)

    def wait_until_synced(self, block: int, timeout: float = 30.0) -> SyncResult:
        """Sync until the checkpoint reaches `block` (tests and scripts)."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.sync_once()
            if result.checkpoint >= block:
                return result
            if time.monotonic() > deadline:
                raise IndexerError(f"indexer '{self.name}' did not reach block {block} within {timeout:.0f}s")
            time.sleep(self.poll_seconds)
