"""The replay engine: a scenario's steps, run deterministically against a fresh local chain.

Determinism: every key comes from the seed (`ReplaySigner.derive`), every transaction has fixed fees and a fixed
gas limit, every block is mined by the engine at a timestamp from the scenario clock (genesis time + block time,
plus `advance` steps), on a fresh chain with automine off and FIFO ordering. The same scenario and seed give the
same accounts, transaction hashes, gas and final state; only the `wall_clock` part of the result differs.

Speed: operations are signed locally and sent without waiting; one `flush` mines them all in one block (up to
`BLOCK_TXS` transactions), so a 10,000-beneficiary programme replays in seconds.

The core knows no pilot kind: `do: enrol` is dispatched through `registry.STEPS` to the kind that registered it
(`pilotkit/pilots/kinds/cash/steps.py`). The core's own steps are the generic ones: `deploy` (each kind deploys
its contracts), `advance`, `pause`/`unpause` (any kind's contract) and `misuse` (see `misuse.py`).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilotkit.pilots import ReplayError, registry
from pilotkit.pilots.actions import Actions, Operation, Pending
from pilotkit.pilots.eip712 import domain_separator
from pilotkit.pilots.kit import Clock, Progress, StepRecord
from pilotkit.pilots.model import Scenario, Step
from pilotkit.pilots.txs import ReplaySigner

if TYPE_CHECKING:
    from pilotkit.pilots.actions import DirectActions
    from pilotkit.pilots.actions_api import ApiActions
    from pilotkit.project import Project

BLOCK_TXS = 2000
ETH = 10**18
ACTOR_BALANCE = 1000 * ETH
DEFAULT_GAS = 600_000  # fixed gas limits (part of each transaction's hash): generous, never binding


class Replay:
    """Runs one scenario through an `Actions` implementation and collects everything the reports need.

    Implements `kit.Engine`, what the kinds' steps, misuse attempts and measures use; each kind keeps its own
    state (`state(kind)`, made by the kind's `new_state`).
    """

    def __init__(self, scenario: Scenario, actions: Actions, seed: int | None = None, full: bool = False,
                 progress: bool = False, genesis: int | None = None) -> None:
        self.scenario = scenario
        self.actions = actions
        self.seed = scenario.seed if seed is None else seed
        self.full = full
        self.actors = scenario.actors.scaled(full)
        self.clock = Clock(scenario.chain.genesis_time if genesis is None else genesis, scenario.chain.block_time)
        self.progress = Progress(len(scenario.steps), progress)
        self.role = {r: self.derive(r) for r in registry.ROLES}
        self.funded: set[str] = set()
        self.paused: dict[str, bool] = {}
        self.timeline: list[tuple[int, int]] = [(self.clock.now, 0)]
        self.gas: dict[str, list[tuple[int, int]]] = {}
        self.hashes: list[str] = []
        self.misuse: list[dict[str, Any]] = []
        self.records: list[StepRecord] = []
        self.current: StepRecord | None = None
        self.block_seconds: list[float] = []
        self.separators: dict[str, bytes] = {}
        self.api_steps: list[dict[str, Any]] = []  # --via api: per step, the path, requests, jobs and seconds
        self.states: dict[str, Any] = {k.name: k.new_state(self) for k in registry.KINDS}

    def derive(self, label: str) -> ReplaySigner:
        return ReplaySigner.derive(self.seed, self.scenario.name, label)

    def state(self, kind: str) -> Any:
        return self.states[kind]

    @property
    def detail(self) -> dict[str, Any]:
        assert self.current is not None
        return self.current.detail

    # --- plumbing -------------------------------------------------------------------------------------------

    def send(self, contract: str, function: str, *args: Any, sender: ReplaySigner, items: int = 1,
             gas: int | None = None, meta: dict[str, Any] | None = None) -> Pending:
        if sender.address not in self.funded:
            self.actions.fund([sender.address], ACTOR_BALANCE)
            self.funded.add(sender.address)
        per_item = registry.GAS_PER_ITEM.get(f"{contract}.{function}")
        limit = gas or per_item or DEFAULT_GAS
        if per_item is not None:
            limit = registry.BASE_GAS_PER_ITEM + limit * items
        pending = self.actions.submit(Operation(contract, function, tuple(args), sender, limit, items,
                                                meta=meta or {}))
        if self.actions.pending_count() >= BLOCK_TXS:
            self.flush()
        return pending

    def flush(self) -> list[Pending]:
        return self.actions.flush(self.clock.next_block())

    def record_block(self, settled: list[Pending], seconds: float) -> None:
        """Bookkeeping for every mined block (deployments included): hashes, gas, the current step's outcome."""
        self.block_seconds.append(seconds)
        for pending in settled:
            op = pending.operation
            if pending.tx_hash:  # an API request refused before any transaction has none
                self.hashes.append(pending.tx_hash)
                self.gas.setdefault(op.key, []).append((pending.gas_used, op.items))
            if self.current is not None and pending.tx_hash:
                self.current.transactions += 1
                self.current.gas += pending.gas_used
            if self.current is not None and not pending.ok and not op.expect_revert:
                self.current.ok = False
                if len(self.current.problems) < 5:
                    self.current.problems.append(f"{op.key} by {op.sender.label} reverted: {pending.error} "
                                                 f"{pending.error_values or ''}".rstrip())
        self.progress.update(txs=len(self.hashes))

    def separator(self, key: str, name: str) -> bytes:
        if key not in self.separators:
            self.separators[key] = domain_separator(name, "1", self.actions.chain_id, self.actions.address(key))
        return self.separators[key]

    def advance_to(self, timestamp: int) -> None:
        """Mine an empty block so the chain's latest time is at least `timestamp`."""
        if self.clock.now < timestamp:
            self.clock.now = timestamp - self.clock.block_time
            self.flush()

    def fail(self, text: str) -> None:
        assert self.current is not None
        self.current.ok = False
        self.current.problems.append(text)

    # --- run ------------------------------------------------------------------------------------------------

    def run(self) -> None:
        self.actions.fund([s.address for s in self.role.values()], ACTOR_BALANCE)
        self.funded.update(s.address for s in self.role.values())
        try:
            for step in self.scenario.steps:
                record = StepRecord(step)
                self.current = record
                self.progress.update(step=step.number, label=step.kind, force=True)
                started = time.perf_counter()
                core = getattr(self, f"_do_{step.kind}", None)
                if core is not None:
                    core(step)
                else:
                    _, handler = registry.STEPS[step.kind]
                    handler(self, step)
                if self.actions.pending_count():
                    self.flush()
                record.seconds = time.perf_counter() - started
                take_via = getattr(self.actions, "take_step_via", None)
                if take_via is not None:  # --via api: how this step's operations went (api, library or both)
                    taken = take_via()
                    record.detail = {"via": taken["via"], **record.detail}
                    self.api_steps.append({"step": step.number, "do": step.kind, **taken,
                                           "seconds": round(record.seconds, 3)})
                self.records.append(record)
            self.current = None
        finally:
            self.progress.close()

    # --- the core's steps -----------------------------------------------------------------------------------

    def _do_deploy(self, step: Step) -> None:
        deployed: dict[str, str] = {}
        for contract in step.params["contracts"]:
            deployed.update(registry.kind(contract).deploy(self))
            self.paused[contract] = False
        self.detail["contracts"] = deployed

    def _do_advance(self, step: Step) -> None:
        self.advance_to(self.clock.now + int(step.params["by"]))
        self.detail["chain_time"] = self.clock.now

    def _do_pause(self, step: Step) -> None:
        contract = step.get("contract", registry.KINDS[0].name)
        self.send(contract, "pause", sender=self.role["pauser"])
        self.paused[contract] = True

    def _do_unpause(self, step: Step) -> None:
        contract = step.get("contract", registry.KINDS[0].name)
        self.send(contract, "unpause", sender=self.role["admin"])
        self.paused[contract] = False

    def _do_misuse(self, step: Step) -> None:
        from pilotkit.pilots.misuse import attempt

        if self.actions.pending_count():
            self.flush()
        refused_before = len(getattr(self.actions, "refusals", ()))
        assert self.current is not None
        problems, ok = list(self.current.problems), self.current.ok
        outcome = attempt(self, step)
        if self._api_refusal(outcome, refused_before):  # the API's refusal is the expected one: not a failure
            self.current.problems, self.current.ok = problems, ok
        self.misuse.append(outcome)
        if not outcome["refused_as_expected"]:
            self.fail(f"misuse '{outcome['attempt']}' was not refused as expected: {outcome['observed']}")
        self.detail.update(outcome)

    def _api_refusal(self, outcome: dict[str, Any], refused_before: int) -> bool:
        """--via api: record the API's own refusal of a misuse attempt, and map it when it is the same refusal.

        The API refuses some attempts before anything reaches the chain (maker-checker by API key, a beneficiary
        outside a round's plan); the kinds' `api_equivalents` list which answers mean the expected refusal.
        """
        refusals = getattr(self.actions, "refusals", None)
        if refusals is None or len(refusals) == refused_before:
            return False
        from pilotkit.pilots.actions_api import equivalent_refusal

        refusal = refusals[-1]
        outcome["api"] = refusal.public()
        if outcome.get("error_values", {}).keys() == {"api"}:
            outcome.pop("error_values")
        if not outcome.get("tx_hash"):
            outcome.pop("tx_hash", None)
            outcome["on_chain"] = "not sent: refused by the API before any transaction"
        if outcome["refused_as_expected"] or not equivalent_refusal(outcome["attempt"], refusal):
            return False
        outcome["observed"] = dict(outcome["expected"])
        outcome["refused"] = outcome["refused_as_expected"] = True
        outcome["mapped_from"] = f"API {refusal.status} {refusal.title}: {refusal.detail}"[:300]
        return True


def start_chain(project: Project, network_name: str, genesis: int) -> Any:
    """A fresh local node for one replay: fixed genesis time, no automine, FIFO ordering, roomy blocks."""
    from pilotkit.chain.local import AnvilNode, GanacheNode

    config = project.config.network(network_name)
    if config.kind == "anvil":
        return AnvilNode(chain_id=config.chain_id or 31337, hardfork=config.hardfork, project_root=project.root,
                         accounts=1, extra_args=["--timestamp", str(genesis), "--no-mining", "--order", "fifo",
                                                 "--gas-limit", "1000000000000"]).start()
    if config.kind == "ganache":
        start = datetime.fromtimestamp(genesis, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return GanacheNode(chain_id=config.chain_id or 1337, hardfork=config.hardfork or "shanghai",
                           project_root=project.root, accounts=1,
                           extra_args=["--chain.time", start, "--miner.blockGasLimit", "0x3B9ACA000",
                                       "--chain.vmErrorsOnRPCResponse", "false"]).start()
    return AttachedChain.open(config)


class AttachedChain:
    """A running development chain (an rpc network) a replay borrows: it must offer the controls a replay needs
    (`chain.control.probe`); the replay runs inside a snapshot that `stop()` reverts, so the chain is left as found.
    Its clock starts at the scenario's genesis time, or just after the chain's latest block when that is later."""

    ipc_path = None

    def __init__(self, url: str, shown: str, kind: str, chain_id: int) -> None:
        self.url, self.endpoint, self.kind, self.chain_id = url, shown, kind, chain_id
        self._snapshot: str | None = None

    @classmethod
    def open(cls, config: Any) -> AttachedChain:
        from pilotkit.chain.connection import _redact
        from pilotkit.chain.control import probe
        from pilotkit.chain.rpc import RawRpc
        from pilotkit.errors import ConfigError

        try:
            url = config.resolved_url()
        except ConfigError as exc:
            raise ReplayError(f"network '{config.name}' is not a local chain: replays need a local chain or a running "
                              "development chain (Anvil, Hardhat's node, Ganache) whose clock, mining and balances "
                              f"they control, at its url; {exc}") from None
        rpc = RawRpc(url=url)
        try:
            chain_id = int(rpc.call("eth_chainId"), 16)
            if config.chain_id is not None and chain_id != config.chain_id:
                raise ReplayError(f"network '{config.name}' answered chain id {chain_id}, configured {config.chain_id}")
            dialect, missing = probe(rpc)
        finally:
            rpc.close()
        if dialect is None:
            raise ReplayError(
                f"network '{config.name}' at {_redact(url)} lacks what a replay needs: {', '.join(missing)}. Replays "
                "need a local chain or a development chain whose clock, mining and balances they control (Anvil, "
                "Hardhat's node, Ganache); deploy to other networks with `pilotkit run`")
        return cls(url, _redact(url), dialect, chain_id).start()

    def rpc(self) -> Any:
        from pilotkit.chain.rpc import RawRpc

        return RawRpc(url=self.url)

    def control(self) -> Any:
        from pilotkit.chain.control import ChainControl

        return ChainControl(self.rpc(), self.kind)

    def start(self) -> AttachedChain:
        control = self.control()
        self._snapshot = control.snapshot()
        control.set_automine(False)  # the replay mines every block itself, at the scenario clock's times
        return self

    def latest_time(self) -> int:
        return int(self.control().time())

    def stop(self) -> None:
        if self._snapshot is None:
            return
        control = self.control()
        try:
            control.set_automine(True)
            control.revert(self._snapshot)
        finally:
            self._snapshot = None


def replay(scenario: Scenario, project: Project, seed: int | None = None, full: bool = False, via: str = "direct",
           network: str | None = None, progress: bool | None = False) -> dict[str, Any]:
    """Replay `scenario` on a fresh local chain; returns the result document (see report_json)."""
    from pilotkit.chain.control import ChainControl
    from pilotkit.pilots.actions import DirectActions
    from pilotkit.pilots.report_json import build_result

    network_name = network or scenario.chain.network
    config = project.config.network(network_name)
    store = project.artifacts(network_name)
    wall_start = datetime.now(UTC)
    started = time.perf_counter()
    node = start_chain(project, network_name, scenario.chain.genesis_time)
    node_seconds = time.perf_counter() - started
    service = None
    try:
        rpc = node.rpc()
        control = ChainControl(rpc, node.kind)
        chain_id = int(rpc.call("eth_chainId"), 16)
        direct = DirectActions(rpc, control, chain_id, store, project.error_decoder(store),
                               project.event_decoder(store))
        actions: DirectActions | ApiActions = direct
        if via == "api":
            service, actions = _api_actions(project, network_name, node, control, direct)
        genesis = None
        if isinstance(node, AttachedChain):  # a running chain's clock only moves forward
            genesis = max(scenario.chain.genesis_time, node.latest_time() + scenario.chain.block_time)
        engine = Replay(scenario, actions, seed=seed, full=full, progress=bool(progress), genesis=genesis)
        actions.on_block = engine.record_block
        run_started = time.perf_counter()
        engine.run()
        replay_seconds = time.perf_counter() - run_started
        from pilotkit.pilots.measure import measure

        measured = measure(engine)
        final_block = rpc.call("eth_getBlockByNumber", ["latest", False])
        chain = {"network": network_name, "kind": node.kind, "chain_id": chain_id,
                 "evm_version": project.settings(network_name).evm_version, "hardfork": config.hardfork,
                 "genesis_time": scenario.chain.genesis_time if genesis is None else genesis,
                 "block_time": scenario.chain.block_time,
                 "blocks": int(final_block["number"], 16), "final_block_hash": final_block["hash"],
                 "final_state_root": final_block.get("stateRoot"), "transactions": actions.transactions,
                 "via": via}
        wall = {"started_at": wall_start.isoformat(timespec="seconds"), "replay_seconds": round(replay_seconds, 3),
                "node_start_seconds": round(node_seconds, 3), "total_seconds": round(time.perf_counter() - started, 3)}
        result = build_result(engine, measured, chain, wall)
        if service is not None:
            from pilotkit.pilots.actions_api import ApiActions

            assert isinstance(actions, ApiActions)
            result["api"] = {**actions.summary(), "steps": engine.api_steps}
        return result
    finally:
        if service is not None:
            if hasattr(actions, "close"):
                actions.close()
            service.close()
        node.stop()


def _api_actions(project: Project, network_name: str, node: Any, control: Any,
                 direct: DirectActions) -> tuple[Any, ApiActions]:
    """The backend started on the replay's node, and `ApiActions` talking to it (see actions_api)."""
    try:
        from pilotkit.pilots.actions_api import ApiActions
        from pilotkit.pilots.api_service import start_api_service
    except ImportError as exc:  # the backend package (pilotkit_backend) or its dependencies are missing
        from pilotkit.pilots import ViaNotAvailable

        raise ViaNotAvailable(f"--via api needs the backend package (pilotkit_backend): {exc}. Replay with "
                              "--via direct (the default)") from exc
    service = start_api_service(project, network_name, node, control)
    return service, ApiActions(direct, service)


def replay_file(path: Path, project: Project, **options: Any) -> dict[str, Any]:
    from pilotkit.pilots.scenario import load_scenario

    return replay(load_scenario(path), project, **options)
