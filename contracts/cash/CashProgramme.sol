// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {BitMaps} from "@openzeppelin/contracts/utils/structs/BitMaps.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {KeyedHash} from "../common/KeyedHash.sol";
import {ICashProgramme} from "./ICashProgramme.sol";
import {BeneficiaryRecord, BeneficiaryRecordLib} from "./lib/BeneficiaryRecord.sol";
import {RoundBudget, RoundBudgetLib} from "./lib/RoundBudget.sol";
import {PaidMarks} from "./lib/PaidMarks.sol";

/// @title CashProgramme
/// @notice One cash-transfer programme: a beneficiary registry keyed by keyed-hash ids, maker-checker payment
/// rounds paid by push batches or Merkle claims, and an optional voucher mode. See {ICashProgramme}.
///
/// @dev DESIGN NOTES (read before changing or extending this contract)
///
/// Invariants (each kept by every function; property tests check them):
/// 1. Exactly once: a (round, beneficiary index) pair is paid at most once, whatever the path (flat batch, list
///    batch, claim, relayed claim): the round's `_paid` bit is tested and set before the payment, in the same
///    transaction, and every path uses the same bitmap. Removed ids can never be enrolled again, so a person cannot
///    get a second index.
/// 2. Money (direct mode): token.balanceOf(this) == totalFunded - sum(round paid) - totalSwept == sum over rounds
///    of `remaining`. Voucher mode: balance == totalFunded - totalRedeemed - totalSwept, and sum(round paid) -
///    totalRedeemed == unspent entitlements + unredeemed merchant balances. Tokens sent here directly are never
///    counted (the balance can only be higher).
/// 3. Per round: paid + remaining + swept == budget once approved. `remaining` is non-zero only while the round is
///    Approved (set at approval, zeroed by sweep, never set for Proposed or Cancelled rounds): payment paths use
///    "amount <= remaining" as their approval check and read the status only to explain a failure.
/// 4. Period cap: a round counts against period `opensAt / periodLength`, and its whole window
///    `[opensAt, closesAt)` lies in that period, which is not earlier than the current one (`block.timestamp /
///    periodLength`): checked at proposal and again at approval ({_roundPeriod}), so a round can neither be
///    backdated into a past period nor straddle a boundary, and it pays only while its own period runs. For every
///    period, the sum of `amount` (flat amount or per-beneficiary cap) over the period's approved rounds is at
///    most `periodCap` at approval time, and every payment is at most its round's `amount`; with invariant 1 no
///    beneficiary receives more than the cap from the payments made during one period.
/// 5. A round pays only after an account other than its proposer approved it, while the proposer still held
///    DISBURSER_ROLE (review finding 8: a revoked disburser's pending proposals are no longer approvable), and only
///    inside its window.
/// 8. Four eyes on wallet recovery (review finding 7): a wallet is re-bound only by a recovery that a registrar
///    requested, an approver or the admin OTHER than that registrar confirmed, and that waited at least
///    `recoveryDelay` >= MIN_RECOVERY_DELAY (24 h; the admin can raise the delay, never lower it). No single
///    account can redirect a beneficiary's future payments or voucher entitlement.
///
/// Review finding 8, the other two points, decided:
/// - A merchant that is also an enrolled beneficiary wallet is NOT refused on chain in this version: the merchant
///   manager approves merchants off chain after a check, and the refusal would need a wallet → merchant lookup on
///   every enrolment (one more cold SLOAD per enrolled wallet, against the 30k-per-fresh-wallet target). Recorded
///   as open: the registrar's enrolment and the merchant manager's approval are separate roles on purpose.
/// - Sweeps stay blocked while paused (invariant 6). Recovery path for a lost admin key: the admin is meant to be
///   a multisig or a TimelockController (see Roles); a lost single admin key cannot be recovered on chain, and no
///   paused-sweep bypass is added, because a pause is the incident stop for every movement of money.
/// 6. Pause: while `paused()`, no token and no entitlement moves. Claims do not read `paused()`: they read a copy
///    of the flag kept in the budget slot of every live claim round (approved, not swept; at most
///    MAX_LIVE_CLAIM_ROUNDS). Rounds join the live set only at approval and leave it only at sweep, both refused
///    while paused, and `pause`/`unpause` rewrite every live copy: so the copy equals `paused()` for every live
///    claim round. Claims on any other round cannot pay (see below), paused or not.
/// 7. Claims can only pay `MerkleClaim` rounds: a proof must reach a stored node, and nodes (the root at heap
///    index 1, cap nodes) are written only for `MerkleClaim` rounds; the fallback path checks the kind first.
///
/// Roles: see {ICashProgramme}. Pausing is fast (PAUSER_ROLE), unpausing is the admin's. Plain AccessControl, not
/// AccessControlDefaultAdminRules, to stay well under the 24,576-byte code limit: make the admin a multisig or
/// a TimelockController.
///
/// Gas layout (targets at 200 per batch: <= 30k per fresh wallet, <= 13k per existing holder; claim <= 80k):
/// - A beneficiary gets a dense index at enrolment and its whole record (wallet, status, voucher entitlement) is
///   ONE slot keyed by that index ({BeneficiaryRecord}); batches pass indexes, not ids or wallets.
/// - What every payment reads of a round is ONE slot ({RoundBudget}: remaining, amount or cap, window, cap size,
///   pause copy); the rest of the round is cold ({RoundMeta}).
/// - Paid markers are a per-round OpenZeppelin `BitMaps.BitMap` keyed by index: 256 beneficiaries share a slot.
///   Push batches cache the current bucket ({PaidMarks.Cursor}), so a batch of consecutive indexes touches each
///   bucket once; send batches in index order. (A marker inside the record would cost a 2,900-gas write per
///   payment: too much for the existing-holder target.)
/// - Direct-mode push batches emit one {BatchPaid}; the token's `Transfer` is the per-payment log (~1,700 gas
///   saved per payment). Claims and voucher credits emit {Paid}.
/// - No global paid counter: claims would pay ~2,900 gas to update it. Paid amounts are per round ({round}).
/// - Claims prove up to a "Merkle cap" node ({setClaimCap}): up to 1,024 top-of-tree nodes stored once per round
///   and verified against the root, so a claim at 100,000 leaves sends a 7-hash proof instead of 17.
/// - `claim`/`claimFor` are not `nonReentrant` (the guard's cold slot costs ~2,300 gas): they write all state
///   (marker, remaining) before their only external call, the token transfer. Functions that cache state across
///   calls (`payFlat`, `payList`) or pull or push funds otherwise are guarded; push batches write all state
///   first and transfer afterwards.
///
/// Other deliberate choices:
/// - Push batches skip (with {PaymentSkipped}) rather than revert on inactive or already-paid indexes, so a
///   committed list batch still pays everyone else and any batch can be resent after a timeout without double
///   payment. A batch reverts only on a bad amount, budget exhaustion, or a closed or unapproved round.
/// - Merkle leaves bind (index, amount) (claims) or (indexes, amounts) (list batches), not the round id, so a tree
///   can be built before the round id is known; a root is only ever trusted for the round it was approved for.
///   Claim leaves have 64-byte preimages, list-batch leaves at least 128 bytes: the two cannot be confused.
/// - Claims pay the wallet bound at claim time: after a recovery the new wallet claims; an old signature no longer
///   verifies.
/// - Wallet recovery: the bound wallet may cancel a pending recovery only while its beneficiary is Active (the
///   owner can stop a hostile registrar re-binding it); registrar and admin always may. A stolen wallet therefore
///   cannot block recovery: the registrar suspends (payments stop), requests the recovery, an approver (or the
///   admin) confirms it, anyone executes it after the delay, the registrar reinstates. While suspended, the
///   confirming approver and the admin (who can cancel) are the checks on the registrar.
/// - Funding pulls the whole budget at approval from the round's named funder, and sweeps go back to it only: an
///   approver cannot route a funder's tokens anywhere but this programme's beneficiaries or back to the funder.
/// - An approved round cannot be cancelled; pause, then sweep after it closes (clawback only after the window).
/// - Voucher mode: payouts credit the record's entitlement instead of transferring; the beneficiary's wallet (or
///   a merchant's till, with the wallet's EIP-712 signature) moves entitlement to an approved merchant's balance;
///   the merchant redeems its balance for tokens, and {VoucherRedeemed} carries what settlement reconciles.
///   Tokens leave only on redemption (and sweep).
/// - Unsupported tokens: fee-on-transfer (funding checks the balance delta and reverts), rebasing, and tokens
///   that can blacklist the funder (a sweep to a blacklisted funder reverts and the remainder stays here).
contract CashProgramme is
    ICashProgramme,
    EIP712,
    Nonces,
    AccessControl,
    ReentrancyGuard,
    Pausable
{
    using SafeERC20 for IERC20;
    using BitMaps for BitMaps.BitMap;
    using PaidMarks for BitMaps.BitMap;
    using EnumerableSet for EnumerableSet.UintSet;

    /// @dev A pending wallet recovery; `newWallet == 0` means none. `requester` cannot confirm it.
    struct Recovery {
        address newWallet;
        uint64 executableAt;
        bool confirmed;
        address requester;
    }

    /// @dev The cold part of a round (rarely read on the payment path).
    struct RoundMeta {
        address proposer;
        uint96 budget;
        address funder;
        uint96 swept;
        RoundKind kind;
        RoundStatus status;
        uint64 period;
        bytes32 root;
    }

    /// @dev Per-batch constants of a push batch, kept in memory to stay within the stack limit.
    struct BatchContext {
        uint256 roundId;
        uint256 cap;
        uint256 remaining;
        bool flat;
        bool voucher;
    }

    /// @dev A merchant (voucher mode).
    struct Merchant {
        bool approved;
        uint120 balance;
        uint128 redeemed;
    }

    /// @inheritdoc ICashProgramme
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    /// @inheritdoc ICashProgramme
    bytes32 public constant DISBURSER_ROLE = keccak256("DISBURSER_ROLE");
    /// @inheritdoc ICashProgramme
    bytes32 public constant APPROVER_ROLE = keccak256("APPROVER_ROLE");
    /// @inheritdoc ICashProgramme
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @inheritdoc ICashProgramme
    bytes32 public constant MERCHANT_MANAGER_ROLE = keccak256("MERCHANT_MANAGER_ROLE");

    /// @inheritdoc ICashProgramme
    /// @dev Worst case per item (fresh wallet, index in a bitmap bucket of its own, OZ-style token): ~51k gas;
    /// 250 items ~12.7M, under half of a 30M-gas block with room for a costlier token.
    uint256 public constant MAX_BATCH = 250;
    /// @inheritdoc ICashProgramme
    uint256 public constant MAX_CLAIM_CAP = 1024;
    /// @inheritdoc ICashProgramme
    uint256 public constant MAX_LIVE_CLAIM_ROUNDS = 32;
    /// @inheritdoc ICashProgramme
    /// @dev An enrolment writes three fresh slots (~70k gas): 150 stay under half of a 30M-gas block.
    uint256 public constant MAX_ENROL_BATCH = 150;
    /// @inheritdoc ICashProgramme
    uint256 public constant MIN_RECOVERY_DELAY = 24 hours;

    bytes32 private constant _CLAIM_TYPEHASH =
        keccak256("Claim(uint256 roundId,uint256 index,uint256 amount,uint256 deadline)");
    bytes32 private constant _SPEND_TYPEHASH =
        keccak256("Spend(uint256 index,address merchant,uint256 amount,uint256 nonce,uint256 deadline)");

    IERC20 private immutable _token;
    bool private immutable _voucherMode;
    uint256 private immutable _periodLength;

    uint128 private _totalFunded;
    uint128 private _totalSwept;
    uint128 private _totalRedeemed;

    uint32 private _beneficiaryCount;
    uint64 private _roundCount;
    uint96 private _periodCap;
    uint32 private _recoveryDelay;

    mapping(bytes32 id => uint256 index) private _indexOf;
    mapping(address wallet => uint256 index) private _indexOfWallet;
    mapping(uint256 index => BeneficiaryRecord) private _records;
    mapping(uint256 index => Recovery) private _recoveries;

    mapping(uint256 roundId => RoundBudget) private _budgets;
    mapping(uint256 roundId => RoundMeta) private _rounds;
    mapping(uint256 roundId => BitMaps.BitMap) private _paid;
    /// @dev Top-of-tree nodes of claim rounds, keyed `roundId << 11 | heapIndex`: the root is heap index 1 and the
    /// cap node `j` of a cap of size 2^k is heap index `2^k + j` (k <= 10), so caps of different sizes never mix.
    mapping(uint256 key => bytes32 node) private _claimNodes;
    /// @dev Approved, unswept MerkleClaim rounds: their budget slots carry a copy of the pause flag.
    EnumerableSet.UintSet private _liveClaimRounds;
    mapping(uint256 period => uint256 reserved) private _periodReserved;

    mapping(address merchant => Merchant) private _merchants;

    /// @notice Deploys a programme.
    /// @dev Reverts with {InvalidProgrammeConfig} on a zero admin, token, period length or period cap, or a
    /// recovery delay under {MIN_RECOVERY_DELAY}. Grants DEFAULT_ADMIN_ROLE to `config.admin`. Emits {RoleGranted} and {ProgrammeConfigured}.
    /// @param config The settings.
    constructor(ProgrammeConfig memory config) EIP712("pilotkit CashProgramme", "1") {
        if (
            config.admin == address(0) || address(config.token) == address(0) || config.recoveryDelay < MIN_RECOVERY_DELAY
                || config.periodLength == 0 || config.periodCap == 0
        ) revert InvalidProgrammeConfig();
        _grantRole(DEFAULT_ADMIN_ROLE, config.admin);
        _token = config.token;
        _voucherMode = config.voucherMode;
        _recoveryDelay = config.recoveryDelay;
        _periodLength = config.periodLength;
        _periodCap = config.periodCap;
        emit ProgrammeConfigured(
            address(config.token), config.voucherMode, config.recoveryDelay, config.periodLength, config.periodCap
        );
    }

    // ------------------------------------------------------------------------------------------------------------
    // Admin
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ICashProgramme
    function setPeriodCap(uint96 newCap) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (newCap == 0) revert ZeroAmount();
        uint256 oldCap = _periodCap;
        _periodCap = newCap;
        emit PeriodCapUpdated(oldCap, newCap);
    }

    /// @inheritdoc ICashProgramme
    function setRecoveryDelay(uint32 newDelay) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint256 oldDelay = _recoveryDelay;
        if (newDelay < oldDelay) revert RecoveryDelayDecrease(oldDelay, newDelay);
        _recoveryDelay = newDelay;
        emit RecoveryDelayUpdated(oldDelay, newDelay);
    }

    /// @inheritdoc ICashProgramme
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
        _copyPauseToClaimRounds(true);
    }

    /// @inheritdoc ICashProgramme
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
        _copyPauseToClaimRounds(false);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Beneficiary registry
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ICashProgramme
    function enrol(bytes32 id, address wallet) external onlyRole(REGISTRAR_ROLE) returns (uint256 index) {
        index = uint256(_beneficiaryCount) + 1;
        _beneficiaryCount = SafeCast.toUint32(index);
        _enrol(id, wallet, index);
    }

    /// @inheritdoc ICashProgramme
    function enrolBatch(bytes32[] calldata ids, address[] calldata wallets)
        external
        onlyRole(REGISTRAR_ROLE)
        returns (uint256 firstIndex)
    {
        uint256 n = ids.length;
        if (n != wallets.length) revert LengthMismatch(n, wallets.length);
        _checkBatchSize(n, MAX_ENROL_BATCH);
        firstIndex = uint256(_beneficiaryCount) + 1;
        _beneficiaryCount = SafeCast.toUint32(firstIndex + n - 1);
        for (uint256 i; i < n; ++i) {
            _enrol(ids[i], wallets[i], firstIndex + i);
        }
    }

    /// @inheritdoc ICashProgramme
    function suspend(bytes32 id, uint16 reasonCode) external onlyRole(REGISTRAR_ROLE) {
        (uint256 index, BeneficiaryRecord rec) = _lookup(id);
        if (!rec.isActive()) revert InvalidBeneficiaryStatus(index, rec.status());
        _records[index] = rec.withStatus(BeneficiaryStatus.Suspended);
        emit BeneficiarySuspended(index, reasonCode);
    }

    /// @inheritdoc ICashProgramme
    function reinstate(bytes32 id) external onlyRole(REGISTRAR_ROLE) {
        (uint256 index, BeneficiaryRecord rec) = _lookup(id);
        if (rec.status() != BeneficiaryStatus.Suspended) revert InvalidBeneficiaryStatus(index, rec.status());
        _records[index] = rec.withStatus(BeneficiaryStatus.Active);
        emit BeneficiaryReinstated(index);
    }

    /// @inheritdoc ICashProgramme
    function remove(bytes32 id, uint16 reasonCode) external onlyRole(REGISTRAR_ROLE) {
        (uint256 index, BeneficiaryRecord rec) = _lookup(id);
        _requireLive(index, rec);
        delete _indexOfWallet[rec.wallet()];
        _records[index] = BeneficiaryRecordLib.pack(address(0), BeneficiaryStatus.Removed, rec.entitlement());
        emit BeneficiaryRemoved(index, reasonCode);
        if (_recoveries[index].newWallet != address(0)) {
            delete _recoveries[index];
            emit WalletRecoveryCancelled(index, msg.sender);
        }
    }

    /// @inheritdoc ICashProgramme
    function requestWalletRecovery(bytes32 id, address newWallet)
        external
        onlyRole(REGISTRAR_ROLE)
        returns (uint256 executableAt)
    {
        (uint256 index, BeneficiaryRecord rec) = _lookup(id);
        _requireLive(index, rec);
        _requireUsableWallet(newWallet);
        if (_recoveries[index].newWallet != address(0)) revert RecoveryAlreadyPending(index);
        executableAt = block.timestamp + _recoveryDelay;
        _recoveries[index] = Recovery({
            newWallet: newWallet,
            executableAt: SafeCast.toUint64(executableAt),
            confirmed: false,
            requester: msg.sender
        });
        emit WalletRecoveryRequested(index, rec.wallet(), newWallet, executableAt);
    }

    /// @inheritdoc ICashProgramme
    function cancelWalletRecovery(bytes32 id) external {
        (uint256 index, BeneficiaryRecord rec) = _lookup(id);
        if (_recoveries[index].newWallet == address(0)) revert NoPendingRecovery(index);
        // The bound wallet's right lapses while the beneficiary is not Active (Suspended; a Removed one has no
        // wallet and no pending recovery), so a thief holding it cannot cancel the recovery that takes it away.
        bool activeOwner = msg.sender == rec.wallet() && rec.isActive();
        if (!activeOwner && !hasRole(REGISTRAR_ROLE, msg.sender) && !hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            if (msg.sender == rec.wallet()) revert WalletCannotCancelRecovery(index, rec.status());
            revert RecoveryCancelNotAllowed(msg.sender);
        }
        delete _recoveries[index];
        emit WalletRecoveryCancelled(index, msg.sender);
    }

    /// @inheritdoc ICashProgramme
    function confirmWalletRecovery(bytes32 id) external {
        if (!hasRole(APPROVER_ROLE, msg.sender) && !hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            revert AccessControlUnauthorizedAccount(msg.sender, APPROVER_ROLE);
        }
        (uint256 index,) = _lookup(id);
        Recovery storage pending = _recoveries[index];
        if (pending.newWallet == address(0)) revert NoPendingRecovery(index);
        if (pending.confirmed) revert RecoveryAlreadyConfirmed(index);
        if (pending.requester == msg.sender) revert RecoveryConfirmerIsRequester(index, msg.sender);
        pending.confirmed = true;
        emit WalletRecoveryConfirmed(index, msg.sender);
    }

    /// @inheritdoc ICashProgramme
    function executeWalletRecovery(bytes32 id) external {
        (uint256 index, BeneficiaryRecord rec) = _lookup(id);
        Recovery memory pending = _recoveries[index];
        if (pending.newWallet == address(0)) revert NoPendingRecovery(index);
        if (!pending.confirmed) revert RecoveryNotConfirmed(index);
        if (block.timestamp < pending.executableAt) revert RecoveryNotReady(index, pending.executableAt);
        if (_indexOfWallet[pending.newWallet] != 0) revert WalletAlreadyBound(pending.newWallet);
        address oldWallet = rec.wallet();
        delete _recoveries[index];
        delete _indexOfWallet[oldWallet];
        _indexOfWallet[pending.newWallet] = index;
        _records[index] = rec.withWallet(pending.newWallet);
        emit WalletRecovered(index, oldWallet, pending.newWallet);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Rounds
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ICashProgramme
    function proposeRound(RoundParams calldata params) external onlyRole(DISBURSER_ROLE) returns (uint256 roundId) {
        if (
            params.budget == 0 || params.amount == 0 || params.amount > params.budget || params.amount > _periodCap
                || params.opensAt >= params.closesAt || params.closesAt <= block.timestamp
                || params.funder == address(0) || (params.root == bytes32(0)) != (params.kind == RoundKind.FlatPush)
        ) revert InvalidRoundParams();
        uint256 period = _roundPeriod(params.opensAt, params.closesAt);
        roundId = uint256(_roundCount) + 1;
        _roundCount = uint64(roundId);
        _rounds[roundId] = RoundMeta({
            proposer: msg.sender,
            budget: params.budget,
            funder: params.funder,
            swept: 0,
            kind: params.kind,
            status: RoundStatus.Proposed,
            period: uint64(period),
            root: params.root
        });
        _budgets[roundId] = RoundBudgetLib.pack(0, params.amount, params.opensAt, params.closesAt);
        if (params.kind == RoundKind.MerkleClaim) _claimNodes[(roundId << 11) | 1] = params.root;
        emit RoundProposed(roundId, msg.sender, params, period);
    }

    /// @inheritdoc ICashProgramme
    function setClaimCap(uint256 roundId, uint256 size, uint256 offset, bytes32[] calldata nodes)
        external
        onlyRole(DISBURSER_ROLE)
    {
        RoundMeta storage meta = _rounds[roundId];
        _requireRoundStatus(roundId, meta.status, RoundStatus.Proposed);
        if (meta.kind != RoundKind.MerkleClaim) revert WrongRoundKind(roundId, meta.kind);
        uint256 count = nodes.length;
        _checkBatchSize(count, MAX_BATCH);
        // `offset >= size || count > size - offset` is `offset + count > size` without the overflow (Panic) on a
        // huge offset.
        if (size < 2 || size > MAX_CLAIM_CAP || size & (size - 1) != 0 || offset >= size || count > size - offset) {
            revert InvalidClaimCap();
        }
        // Any chunk takes the cap in use out of use: only a completing chunk puts a (re)verified cap back.
        RoundBudget b = _budgets[roundId];
        if (b.capLog2() != 0) _budgets[roundId] = b.withCapLog2(0);
        uint256 base = (roundId << 11) | size;
        for (uint256 i; i < count; ++i) {
            _claimNodes[base + offset + i] = nodes[i];
        }
        emit ClaimCapNodesStored(roundId, size, offset, count);
        if (offset + count < size) return;

        bytes32[] memory level = new bytes32[](size);
        for (uint256 i; i < size; ++i) {
            level[i] = _claimNodes[base + i];
        }
        for (uint256 width = size; width > 1; width >>= 1) {
            for (uint256 i; i < width >> 1; ++i) {
                level[i] = Hashes.commutativeKeccak256(level[2 * i], level[2 * i + 1]);
            }
        }
        if (level[0] != meta.root) revert InvalidClaimCap();
        uint256 capLog2;
        while ((1 << capLog2) < size) ++capLog2;
        _budgets[roundId] = b.withCapLog2(capLog2);
        emit ClaimCapSet(roundId, size);
    }

    /// @inheritdoc ICashProgramme
    function approveRound(uint256 roundId) external onlyRole(APPROVER_ROLE) whenNotPaused nonReentrant {
        RoundMeta storage meta = _rounds[roundId];
        _requireRoundStatus(roundId, meta.status, RoundStatus.Proposed);
        if (meta.proposer == msg.sender) revert SelfApprovalForbidden(roundId, msg.sender);
        if (!hasRole(DISBURSER_ROLE, meta.proposer)) revert ProposerNotDisburser(roundId, meta.proposer);
        RoundBudget b = _budgets[roundId];
        // Re-checked: the window is immutable, but the current period may have moved past the round's.
        uint256 period = _roundPeriod(b.opensAt(), b.closesAt());
        if (block.timestamp >= b.closesAt()) revert RoundNotOpen(roundId, b.opensAt(), b.closesAt());

        uint256 reserved = _periodReserved[period];
        uint256 perBeneficiary = b.amount();
        uint256 cap = _periodCap;
        if (reserved + perBeneficiary > cap) revert PeriodCapExceeded(period, reserved, perBeneficiary, cap);
        reserved += perBeneficiary;
        _periodReserved[period] = reserved;

        uint256 budget = meta.budget;
        meta.status = RoundStatus.Approved;
        _budgets[roundId] = b.withRemaining(budget);
        _totalFunded += uint128(budget);
        if (meta.kind == RoundKind.MerkleClaim) {
            if (_liveClaimRounds.length() >= MAX_LIVE_CLAIM_ROUNDS) revert TooManyLiveClaimRounds(MAX_LIVE_CLAIM_ROUNDS);
            _liveClaimRounds.add(roundId);
        }
        emit RoundApproved(roundId, msg.sender, period, reserved);

        address funder = meta.funder;
        uint256 balanceBefore = _token.balanceOf(address(this));
        _token.safeTransferFrom(funder, address(this), budget);
        uint256 received = _token.balanceOf(address(this)) - balanceBefore;
        if (received != budget) revert FundingMismatch(budget, received);
        emit RoundFunded(roundId, funder, budget);
    }

    /// @inheritdoc ICashProgramme
    function cancelRound(uint256 roundId) external {
        RoundMeta storage meta = _rounds[roundId];
        _requireRoundStatus(roundId, meta.status, RoundStatus.Proposed);
        bool byProposer = meta.proposer == msg.sender && hasRole(DISBURSER_ROLE, msg.sender);
        if (!byProposer && !hasRole(APPROVER_ROLE, msg.sender)) {
            revert AccessControlUnauthorizedAccount(msg.sender, APPROVER_ROLE);
        }
        meta.status = RoundStatus.Cancelled;
        emit RoundCancelled(roundId, msg.sender);
    }

    /// @inheritdoc ICashProgramme
    function sweep(uint256 roundId) external whenNotPaused nonReentrant {
        RoundMeta storage meta = _rounds[roundId];
        _requireRoundStatus(roundId, meta.status, RoundStatus.Approved);
        RoundBudget b = _budgets[roundId];
        if (block.timestamp < b.closesAt()) revert RoundStillOpen(roundId, b.closesAt());
        uint256 amount = b.remaining();
        meta.status = RoundStatus.Closed;
        meta.swept = uint96(amount);
        _budgets[roundId] = b.withRemaining(0);
        _totalSwept += uint128(amount);
        if (meta.kind == RoundKind.MerkleClaim) _liveClaimRounds.remove(roundId);
        address funder = meta.funder;
        emit RoundSwept(roundId, funder, amount);
        if (amount != 0) _token.safeTransfer(funder, amount);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Payments
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ICashProgramme
    function payFlat(uint256 roundId, uint256[] calldata indexes)
        external
        onlyRole(DISBURSER_ROLE)
        whenNotPaused
        nonReentrant
    {
        _requirePushRound(roundId, RoundKind.FlatPush);
        _pushBatch(roundId, indexes, indexes[0:0], true);
    }

    /// @inheritdoc ICashProgramme
    function payList(
        uint256 roundId,
        uint256[] calldata indexes,
        uint256[] calldata amounts,
        bytes32[] calldata proof
    ) external onlyRole(DISBURSER_ROLE) whenNotPaused nonReentrant {
        bytes32 root = _requirePushRound(roundId, RoundKind.ListPush);
        if (indexes.length != amounts.length) revert LengthMismatch(indexes.length, amounts.length);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(indexes, amounts))));
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) revert InvalidProof();
        _pushBatch(roundId, indexes, amounts, false);
    }

    /// @inheritdoc ICashProgramme
    function claim(uint256 roundId, uint256 index, uint256 amount, bytes32[] calldata proof) external {
        BeneficiaryRecord rec = _records[index];
        if (rec.wallet() != msg.sender) revert NotBeneficiaryWallet(index, msg.sender);
        _claim(roundId, index, amount, proof, rec);
    }

    /// @inheritdoc ICashProgramme
    function claimFor(
        uint256 roundId,
        uint256 index,
        uint256 amount,
        bytes32[] calldata proof,
        uint256 deadline,
        bytes calldata signature
    ) external {
        if (block.timestamp > deadline) revert DeadlineExpired(deadline);
        BeneficiaryRecord rec = _records[index];
        _requireSignedBy(rec, claimDigest(roundId, index, amount, deadline), signature);
        _claim(roundId, index, amount, proof, rec);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Vouchers
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ICashProgramme
    function approveMerchant(address merchant, bytes32 ref) external onlyRole(MERCHANT_MANAGER_ROLE) {
        _requireVoucherMode();
        if (merchant == address(0)) revert ZeroAddress();
        Merchant storage m = _merchants[merchant];
        if (m.approved) revert MerchantAlreadyApproved(merchant);
        m.approved = true;
        emit MerchantApproved(merchant, ref);
    }

    /// @inheritdoc ICashProgramme
    function revokeMerchant(address merchant, uint16 reasonCode) external onlyRole(MERCHANT_MANAGER_ROLE) {
        _requireVoucherMode();
        Merchant storage m = _merchants[merchant];
        if (!m.approved) revert MerchantNotApproved(merchant);
        m.approved = false;
        emit MerchantRevoked(merchant, reasonCode);
    }

    /// @inheritdoc ICashProgramme
    function spend(address merchant, uint256 amount) external whenNotPaused {
        _requireVoucherMode();
        uint256 index = _indexOfWallet[msg.sender];
        if (index == 0) revert NotBeneficiaryWallet(0, msg.sender);
        _spend(index, _records[index], merchant, amount);
    }

    /// @inheritdoc ICashProgramme
    function spendFor(uint256 index, address merchant, uint256 amount, uint256 deadline, bytes calldata signature)
        external
        whenNotPaused
    {
        _requireVoucherMode();
        if (block.timestamp > deadline) revert DeadlineExpired(deadline);
        BeneficiaryRecord rec = _records[index];
        uint256 nonce = _useNonce(rec.wallet());
        _requireSignedBy(rec, spendDigest(index, merchant, amount, nonce, deadline), signature);
        _spend(index, rec, merchant, amount);
    }

    /// @inheritdoc ICashProgramme
    function redeem(uint256 amount, bytes32 settlementRef) external whenNotPaused nonReentrant {
        _requireVoucherMode();
        if (amount == 0) revert ZeroAmount();
        Merchant storage m = _merchants[msg.sender];
        uint256 balance = m.balance;
        if (amount > balance) revert InsufficientMerchantBalance(msg.sender, balance, amount);
        uint256 balanceLeft = balance - amount;
        uint256 redeemedTotal = m.redeemed + amount;
        m.balance = uint120(balanceLeft);
        m.redeemed = uint128(redeemedTotal);
        _totalRedeemed += uint128(amount);
        emit VoucherRedeemed(msg.sender, settlementRef, amount, redeemedTotal, balanceLeft);
        _token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ICashProgramme
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @inheritdoc ICashProgramme
    function voucherMode() external view returns (bool) {
        return _voucherMode;
    }

    /// @inheritdoc ICashProgramme
    function recoveryDelay() external view returns (uint256) {
        return _recoveryDelay;
    }

    /// @inheritdoc ICashProgramme
    function periodLength() external view returns (uint256) {
        return _periodLength;
    }

    /// @inheritdoc ICashProgramme
    function periodCap() external view returns (uint256) {
        return _periodCap;
    }

    /// @inheritdoc ICashProgramme
    function periodReserved(uint256 period) external view returns (uint256) {
        return _periodReserved[period];
    }

    /// @inheritdoc ICashProgramme
    function beneficiaryCount() external view returns (uint256) {
        return _beneficiaryCount;
    }

    /// @inheritdoc ICashProgramme
    function beneficiaryIndex(bytes32 id) external view returns (uint256) {
        return _indexOf[id];
    }

    /// @inheritdoc ICashProgramme
    function indexOfWallet(address wallet) external view returns (uint256) {
        return _indexOfWallet[wallet];
    }

    /// @inheritdoc ICashProgramme
    function beneficiary(uint256 index)
        external
        view
        returns (address wallet, BeneficiaryStatus status, uint256 entitlement)
    {
        BeneficiaryRecord rec = _records[index];
        return (rec.wallet(), rec.status(), rec.entitlement());
    }

    /// @inheritdoc ICashProgramme
    function pendingRecovery(uint256 index) external view returns (address newWallet, uint256 executableAt) {
        Recovery memory pending = _recoveries[index];
        return (pending.newWallet, pending.executableAt);
    }

    /// @inheritdoc ICashProgramme
    function recoveryConfirmation(uint256 index) external view returns (address requester, bool confirmed) {
        Recovery memory pending = _recoveries[index];
        return (pending.requester, pending.confirmed);
    }

    /// @inheritdoc ICashProgramme
    function roundCount() external view returns (uint256) {
        return _roundCount;
    }

    /// @inheritdoc ICashProgramme
    function round(uint256 roundId) external view returns (RoundInfo memory info) {
        RoundMeta memory meta = _rounds[roundId];
        RoundBudget b = _budgets[roundId];
        info.kind = meta.kind;
        info.status = meta.status;
        info.proposer = meta.proposer;
        info.funder = meta.funder;
        info.budget = meta.budget;
        info.amount = b.amount();
        info.remaining = b.remaining();
        info.swept = meta.swept;
        if (meta.status == RoundStatus.Approved || meta.status == RoundStatus.Closed) {
            info.paid = info.budget - info.remaining - info.swept;
        }
        info.opensAt = b.opensAt();
        info.closesAt = b.closesAt();
        info.period = meta.period;
        info.root = meta.root;
        info.capSize = 1 << b.capLog2();
    }

    /// @inheritdoc ICashProgramme
    function claimNode(uint256 roundId, uint256 position) external view returns (bytes32) {
        uint256 size = 1 << _budgets[roundId].capLog2();
        if (position >= size) return bytes32(0);
        return _claimNodes[(roundId << 11) | size | position];
    }

    /// @inheritdoc ICashProgramme
    function isPaid(uint256 roundId, uint256 index) external view returns (bool) {
        return _paid[roundId].get(index);
    }

    /// @inheritdoc ICashProgramme
    function liveClaimRounds() external view returns (uint256[] memory) {
        return _liveClaimRounds.values();
    }

    /// @inheritdoc ICashProgramme
    function totalFunded() external view returns (uint256) {
        return _totalFunded;
    }

    /// @inheritdoc ICashProgramme
    function totalSwept() external view returns (uint256) {
        return _totalSwept;
    }

    /// @inheritdoc ICashProgramme
    function totalRedeemed() external view returns (uint256) {
        return _totalRedeemed;
    }

    /// @inheritdoc ICashProgramme
    function merchantInfo(address account) external view returns (bool approved, uint256 balance, uint256 redeemed) {
        Merchant memory m = _merchants[account];
        return (m.approved, m.balance, m.redeemed);
    }

    /// @inheritdoc ICashProgramme
    function nonces(address owner) public view override(ICashProgramme, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    /// @inheritdoc ICashProgramme
    function claimDigest(uint256 roundId, uint256 index, uint256 amount, uint256 deadline)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(_CLAIM_TYPEHASH, roundId, index, amount, deadline)));
    }

    /// @inheritdoc ICashProgramme
    function spendDigest(uint256 index, address merchant, uint256 amount, uint256 nonce, uint256 deadline)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(_SPEND_TYPEHASH, index, merchant, amount, nonce, deadline)));
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Copies the pause flag into every live claim round's budget slot (bounded by MAX_LIVE_CLAIM_ROUNDS).
    function _copyPauseToClaimRounds(bool paused_) private {
        uint256 n = _liveClaimRounds.length();
        for (uint256 i; i < n; ++i) {
            uint256 roundId = _liveClaimRounds.at(i);
            _budgets[roundId] = _budgets[roundId].withPaused(paused_);
        }
    }

    /// @dev Enrols `id` at `index` (the caller has reserved the index).
    function _enrol(bytes32 id, address wallet, uint256 index) private {
        if (!KeyedHash.isValid(id)) revert InvalidBeneficiaryId();
        if (_indexOf[id] != 0) revert BeneficiaryAlreadyEnrolled(id);
        _requireUsableWallet(wallet);
        _indexOf[id] = index;
        _indexOfWallet[wallet] = index;
        _records[index] = BeneficiaryRecordLib.pack(wallet, BeneficiaryStatus.Active, 0);
        emit BeneficiaryEnrolled(id, index, wallet);
    }

    /// @dev Reverts unless `wallet` can be bound: not zero, not this contract, not bound to a beneficiary.
    function _requireUsableWallet(address wallet) private view {
        if (wallet == address(0) || wallet == address(this)) revert InvalidWallet(wallet);
        if (_indexOfWallet[wallet] != 0) revert WalletAlreadyBound(wallet);
    }

    /// @dev Index and record of an enrolled id; reverts {UnknownBeneficiary} otherwise.
    function _lookup(bytes32 id) private view returns (uint256 index, BeneficiaryRecord rec) {
        index = _indexOf[id];
        if (index == 0) revert UnknownBeneficiary(id);
        rec = _records[index];
    }

    /// @dev Reverts unless the beneficiary is Active or Suspended.
    function _requireLive(uint256 index, BeneficiaryRecord rec) private pure {
        BeneficiaryStatus status = rec.status();
        if (status != BeneficiaryStatus.Active && status != BeneficiaryStatus.Suspended) {
            revert InvalidBeneficiaryStatus(index, status);
        }
    }

    /// @dev The cap period of a round window `[opensAt, closesAt)` (with `opensAt < closesAt`): `opensAt /
    /// periodLength`. Reverts {RoundPeriodPassed} if that period is earlier than the current one, and
    /// {RoundCrossesPeriods} if the window runs past the period's end (`closesAt` may equal it: it is exclusive).
    function _roundPeriod(uint256 opensAt, uint256 closesAt) private view returns (uint256 period) {
        uint256 length = _periodLength;
        period = opensAt / length;
        uint256 current = block.timestamp / length;
        if (period < current) revert RoundPeriodPassed(period, current);
        uint256 periodEnd = (period + 1) * length;
        if (closesAt > periodEnd) revert RoundCrossesPeriods(period, periodEnd);
    }

    /// @dev Reverts unless a round exists and has status `expected`.
    function _requireRoundStatus(uint256 roundId, RoundStatus status, RoundStatus expected) private pure {
        if (status == RoundStatus.None) revert UnknownRound(roundId);
        if (status != expected) revert InvalidRoundStatus(roundId, status);
    }

    /// @dev Reverts unless the round is an approved push round of `kind`; returns its root.
    function _requirePushRound(uint256 roundId, RoundKind kind) private view returns (bytes32) {
        RoundMeta storage meta = _rounds[roundId];
        _requireRoundStatus(roundId, meta.status, RoundStatus.Approved);
        if (meta.kind != kind) revert WrongRoundKind(roundId, meta.kind);
        return meta.root;
    }

    /// @dev Reverts unless `size` is in [1, max].
    function _checkBatchSize(uint256 size, uint256 max) private pure {
        if (size == 0) revert EmptyBatch();
        if (size > max) revert BatchTooLarge(size, max);
    }

    /// @dev Reverts in voucher-only functions of a direct-payment programme.
    function _requireVoucherMode() private view {
        if (!_voucherMode) revert VoucherModeDisabled();
    }

    /// @dev Reverts unless `signature` over `digest` is from the wallet bound in `rec` (EOA or ERC-1271).
    function _requireSignedBy(BeneficiaryRecord rec, bytes32 digest, bytes calldata signature) private view {
        address wallet = rec.wallet();
        if (wallet == address(0) || !SignatureChecker.isValidSignatureNow(wallet, digest, signature)) {
            revert InvalidSignature();
        }
    }

    /// @dev Pays a push batch of an approved, kind-checked round. `amounts` is empty for flat rounds.
    /// Phase 1 ({_markBatch}) checks, marks, accounts and emits for every item; phase 2 transfers (direct mode).
    function _pushBatch(uint256 roundId, uint256[] calldata indexes, uint256[] calldata amounts, bool flat)
        private
    {
        _checkBatchSize(indexes.length, MAX_BATCH);
        RoundBudget b = _budgets[roundId];
        if (!b.isOpenAt(block.timestamp)) revert RoundNotOpen(roundId, b.opensAt(), b.closesAt());
        bool voucher = _voucherMode;
        BatchContext memory ctx =
            BatchContext({roundId: roundId, cap: b.amount(), remaining: b.remaining(), flat: flat, voucher: voucher});
        address[] memory wallets = new address[](voucher ? 0 : indexes.length);
        (uint256 paidCount, uint256 total) = _markBatch(ctx, indexes, amounts, wallets);
        _budgets[roundId] = b.withRemaining(ctx.remaining);
        emit BatchPaid(roundId, paidCount, total);
        if (voucher) return;
        uint256 cap = ctx.cap;
        for (uint256 i; i < wallets.length; ++i) {
            address wallet = wallets[i];
            if (wallet != address(0)) _token.safeTransfer(wallet, flat ? cap : amounts[i]);
        }
    }

    /// @dev Phase 1 of {_pushBatch}: per item, checks, sets the paid bit, credits and emits {Paid} (voucher mode)
    /// or records the wallet to pay in `wallets` (direct mode; 0 = skipped). Leaves the new remaining budget in
    /// `ctx.remaining`; returns the number and total of payments.
    function _markBatch(
        BatchContext memory ctx,
        uint256[] calldata indexes,
        uint256[] calldata amounts,
        address[] memory wallets
    ) private returns (uint256 paidCount, uint256 total) {
        uint256 remaining = ctx.remaining;
        BitMaps.BitMap storage paid = _paid[ctx.roundId];
        PaidMarks.Cursor memory cursor;
        for (uint256 i; i < indexes.length; ++i) {
            uint256 index = indexes[i];
            uint256 amount = ctx.flat ? ctx.cap : _listAmount(ctx, amounts[i]);
            BeneficiaryRecord rec = _records[index];
            if (!rec.isActive()) {
                emit PaymentSkipped(ctx.roundId, index, SkipReason.NotActive);
                continue;
            }
            if (!paid.trySetCached(cursor, index)) {
                emit PaymentSkipped(ctx.roundId, index, SkipReason.AlreadyPaid);
                continue;
            }
            if (amount > remaining) revert BudgetExceeded(ctx.roundId, remaining, amount);
            unchecked {
                remaining -= amount;
                total += amount;
                ++paidCount;
            }
            if (ctx.voucher) {
                _records[index] = _credited(index, rec, amount);
                emit Paid(ctx.roundId, index, amount);
            } else {
                wallets[i] = rec.wallet();
            }
        }
        paid.flush(cursor);
        ctx.remaining = remaining;
    }

    /// @dev A listed amount, checked against the round's cap.
    function _listAmount(BatchContext memory ctx, uint256 amount) private pure returns (uint256) {
        if (amount == 0 || amount > ctx.cap) revert InvalidPaymentAmount(ctx.roundId, amount, ctx.cap);
        return amount;
    }

    /// @dev One Merkle claim, after the caller authenticated the wallet. All state is written before the transfer.
    function _claim(uint256 roundId, uint256 index, uint256 amount, bytes32[] calldata proof, BeneficiaryRecord rec)
        private
    {
        if (!rec.isActive()) revert InvalidBeneficiaryStatus(index, rec.status());
        RoundBudget b = _budgets[roundId];
        uint256 remaining = b.remaining();
        if (amount > remaining || b.paused() || !b.isOpenAt(block.timestamp)) {
            _revertNotPayable(roundId, index, b, amount);
        }
        if (amount == 0 || amount > b.amount()) revert InvalidPaymentAmount(roundId, amount, b.amount());
        bytes32 leaf = keccak256(abi.encode(Hashes.efficientKeccak256(bytes32(index), bytes32(amount))));
        bytes32 computed = MerkleProof.processProofCalldata(proof, leaf);
        uint256 capSize = 1 << b.capLog2();
        if (computed != _claimNodes[(roundId << 11) | capSize | (index & (capSize - 1))]) {
            _requireRootProof(roundId, computed);
        }
        if (!_paid[roundId].trySet(index)) revert AlreadyPaid(roundId, index);
        unchecked {
            _budgets[roundId] = b.withRemaining(remaining - amount);
        }
        if (_voucherMode) {
            _records[index] = _credited(index, rec, amount);
            emit Paid(roundId, index, amount);
        } else {
            emit Paid(roundId, index, amount);
            _token.safeTransfer(rec.wallet(), amount);
        }
    }

    /// @dev Failure path of a claim proof that did not reach the cap node: accepts a full proof up to the root,
    /// otherwise reverts {WrongRoundKind} or {InvalidProof}.
    function _requireRootProof(uint256 roundId, bytes32 computed) private view {
        RoundMeta storage meta = _rounds[roundId];
        if (meta.kind != RoundKind.MerkleClaim) revert WrongRoundKind(roundId, meta.kind);
        if (computed != meta.root) revert InvalidProof();
    }

    /// @dev Explains why a round cannot pay `amount` to `index` now (called only on the failure path), in order:
    /// paused, unknown or unapproved round, outside the window, already paid, budget exceeded.
    function _revertNotPayable(uint256 roundId, uint256 index, RoundBudget b, uint256 amount) private view {
        _requireNotPaused();
        _requireRoundStatus(roundId, _rounds[roundId].status, RoundStatus.Approved);
        if (!b.isOpenAt(block.timestamp)) revert RoundNotOpen(roundId, b.opensAt(), b.closesAt());
        if (_paid[roundId].get(index)) revert AlreadyPaid(roundId, index);
        revert BudgetExceeded(roundId, b.remaining(), amount);
    }

    /// @dev `rec` with `amount` more entitlement; reverts {EntitlementOverflow} past the record's width.
    function _credited(uint256 index, BeneficiaryRecord rec, uint256 amount)
        private
        pure
        returns (BeneficiaryRecord)
    {
        uint256 entitlement = rec.entitlement() + amount;
        if (entitlement > BeneficiaryRecordLib.MAX_ENTITLEMENT) revert EntitlementOverflow(index);
        return rec.withEntitlement(entitlement);
    }

    /// @dev Moves entitlement from a beneficiary to an approved merchant.
    function _spend(uint256 index, BeneficiaryRecord rec, address merchant, uint256 amount) private {
        if (!rec.isActive()) revert InvalidBeneficiaryStatus(index, rec.status());
        Merchant storage m = _merchants[merchant];
        if (!m.approved) revert MerchantNotApproved(merchant);
        if (amount == 0) revert ZeroAmount();
        uint256 entitlement = rec.entitlement();
        if (amount > entitlement) revert InsufficientEntitlement(index, entitlement, amount);
        _records[index] = rec.withEntitlement(entitlement - amount);
        m.balance += uint120(amount);
        emit VoucherSpent(index, merchant, amount);
    }
}
