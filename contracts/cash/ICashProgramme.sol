// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IPilotErrors} from "../common/IPilotErrors.sol";

/// @title ICashProgramme
/// @notice A cash-transfer programme (social safety net, humanitarian cash): enrolled beneficiaries, identified
/// only by a keyed hash, receive payment rounds in one ERC-20 token, pushed in batches or claimed with a Merkle
/// proof, optionally as vouchers spendable only at approved merchants.
/// @dev Roles (OpenZeppelin AccessControl; admin = DEFAULT_ADMIN_ROLE, meant to be a multisig or a timelock):
/// - REGISTRAR_ROLE: enrols, suspends, reinstates and removes beneficiaries; requests and cancels wallet recovery
///   (see {cancelWalletRecovery} for the stolen-wallet procedure).
/// - DISBURSER_ROLE: proposes rounds, cancels them before approval, pushes payment batches.
/// - APPROVER_ROLE: approves (funds) or rejects proposed rounds, never a round it proposed itself; confirms wallet
///   recoveries (as the admin may), never one it requested itself.
/// - PAUSER_ROLE: pauses; only the admin unpauses.
/// - MERCHANT_MANAGER_ROLE: approves and revokes merchants (voucher mode).
///
/// Beneficiaries have a dense index (1, 2, 3, ...) assigned at enrolment; payments, claims and events use the
/// index, the keyed-hash id is only needed to look the index up ({beneficiaryIndex}). Indexes are never reused.
interface ICashProgramme is IPilotErrors {
    // ------------------------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Lifecycle of a beneficiary. `None` = never enrolled. `Removed` is final: the id can never be
    /// enrolled again (a new index would let the same person be paid twice in a round).
    enum BeneficiaryStatus {
        None,
        Active,
        Suspended,
        Removed
    }

    /// @notice How a round pays.
    /// - `FlatPush`: the disburser pushes batches of indexes; everyone gets the round's `amount`.
    /// - `ListPush`: the disburser pushes batches committed in advance: `root` is the Merkle root over batch leaves
    ///   `keccak256(bytes.concat(keccak256(abi.encode(indexes, amounts))))`; each amount is at most `amount`.
    /// - `MerkleClaim`: beneficiaries (or relayers holding their signature) claim; `root` is the Merkle root over
    ///   leaves `keccak256(bytes.concat(keccak256(abi.encode(index, amount))))`; each amount is at most `amount`.
    ///   Optionally the round caches the tree's top levels on chain (a "Merkle cap", see {setClaimCap}) so that
    ///   claims send shorter proofs.
    /// Trees use OpenZeppelin's sorted-pair hashing (`MerkleProof`); any tree shape verifies against the root.
    enum RoundKind {
        FlatPush,
        ListPush,
        MerkleClaim
    }

    /// @notice Lifecycle of a round: Proposed -> Approved (funded) -> Closed (swept); or Proposed -> Cancelled.
    enum RoundStatus {
        None,
        Proposed,
        Approved,
        Cancelled,
        Closed
    }

    /// @notice Why a push batch skipped an index instead of paying it.
    enum SkipReason {
        NotActive,
        AlreadyPaid
    }

    /// @notice Deployment settings. Everything but `periodCap` and `recoveryDelay` (upwards only) is fixed for the
    /// programme's life.
    /// @param admin Initial holder of DEFAULT_ADMIN_ROLE (grants the other roles); use a multisig or a timelock.
    /// @param token The settlement ERC-20 (no fee-on-transfer or rebasing tokens: funding checks the amount).
    /// @param voucherMode True: payouts become entitlements spendable only at approved merchants.
    /// @param recoveryDelay Seconds between a wallet-recovery request and its earliest execution (at least
    /// {MIN_RECOVERY_DELAY}; the admin can only raise it afterwards, {setRecoveryDelay}).
    /// @param periodLength Length in seconds of a cap period; a round belongs to period `opensAt / periodLength`,
    /// and its whole window `[opensAt, closesAt)` must lie in that period (see {proposeRound}).
    /// @param periodCap Most one beneficiary may receive from all rounds of one period (> 0).
    struct ProgrammeConfig {
        address admin;
        IERC20 token;
        bool voucherMode;
        uint32 recoveryDelay;
        uint32 periodLength;
        uint96 periodCap;
    }

    /// @notice What a disburser proposes; immutable once proposed.
    /// @param kind How the round pays.
    /// @param budget Total the round may pay; pulled from `funder` at approval.
    /// @param amount `FlatPush`: the amount each beneficiary gets. Other kinds: the cap on any one amount.
    /// Below 2^88 base units.
    /// @param opensAt First second at which payments are accepted. Its cap period `opensAt / periodLength` must not
    /// be earlier than the current one.
    /// @param closesAt First second at which payments stop and the rest can be swept back to `funder`; at most the
    /// first second of the period after `opensAt`'s (the window lies in one period).
    /// @param root Merkle root (`ListPush`, `MerkleClaim`); must be zero for `FlatPush`.
    /// @param funder Account the budget is pulled from (it must have approved this contract) and swept back to.
    /// @param planHash Hash of the off-chain distribution plan the approver reviews; only emitted, not stored.
    struct RoundParams {
        RoundKind kind;
        uint96 budget;
        uint88 amount;
        uint32 opensAt;
        uint32 closesAt;
        bytes32 root;
        address funder;
        bytes32 planHash;
    }

    /// @notice Everything known about a round (see {RoundParams} for the proposed fields).
    /// @param kind How the round pays.
    /// @param status Lifecycle state.
    /// @param proposer The disburser that proposed it.
    /// @param funder Account funded from and swept back to.
    /// @param budget Proposed total.
    /// @param amount Flat amount or per-beneficiary cap.
    /// @param remaining Budget not yet paid (0 before approval and after sweep).
    /// @param paid Amount paid (or credited, in voucher mode) so far.
    /// @param swept Amount returned to the funder.
    /// @param opensAt Opening time.
    /// @param closesAt Closing time.
    /// @param period Cap period the round counts against, the only one its window lies in.
    /// @param root Merkle root, zero for `FlatPush`.
    /// @param capSize Number of Merkle cap nodes cached on chain (1: the root alone; see {setClaimCap}).
    struct RoundInfo {
        RoundKind kind;
        RoundStatus status;
        address proposer;
        address funder;
        uint256 budget;
        uint256 amount;
        uint256 remaining;
        uint256 paid;
        uint256 swept;
        uint256 opensAt;
        uint256 closesAt;
        uint256 period;
        bytes32 root;
        uint256 capSize;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The deployment settings are unusable (zero admin or token, zero delay, period or cap).
    error InvalidProgrammeConfig();

    /// @notice A beneficiary id was zero (the reserved "no id" value).
    error InvalidBeneficiaryId();

    /// @notice The id is already enrolled (or was removed: removed ids can never be enrolled again).
    /// @param id The keyed-hash id.
    error BeneficiaryAlreadyEnrolled(bytes32 id);

    /// @notice No beneficiary has this id.
    /// @param id The keyed-hash id.
    error UnknownBeneficiary(bytes32 id);

    /// @notice A wallet cannot be bound to a beneficiary: zero, or this contract itself.
    /// @param wallet The wallet.
    error InvalidWallet(address wallet);

    /// @notice The wallet is already bound to another beneficiary (one wallet per beneficiary).
    /// @param wallet The wallet.
    error WalletAlreadyBound(address wallet);

    /// @notice The beneficiary is not in a state that allows this operation.
    /// @param index The beneficiary index.
    /// @param status Its current status.
    error InvalidBeneficiaryStatus(uint256 index, BeneficiaryStatus status);

    /// @notice A wallet recovery is already pending for this beneficiary.
    /// @param index The beneficiary index.
    error RecoveryAlreadyPending(uint256 index);

    /// @notice No wallet recovery is pending for this beneficiary.
    /// @param index The beneficiary index.
    error NoPendingRecovery(uint256 index);

    /// @notice The recovery delay has not passed yet.
    /// @param index The beneficiary index.
    /// @param executableAt First second at which the recovery can be executed.
    error RecoveryNotReady(uint256 index, uint256 executableAt);

    /// @notice The caller may not cancel this recovery (only a registrar, the admin or, while the beneficiary is
    /// Active, the current wallet may).
    /// @param caller The caller.
    error RecoveryCancelNotAllowed(address caller);

    /// @notice The wallet bound to a beneficiary that is not Active (suspended, e.g. after a reported theft) may not
    /// cancel its pending recovery: a thief holding the wallet could otherwise block recovery for ever. A registrar
    /// or the admin still can (see {cancelWalletRecovery}).
    /// @param index The beneficiary index.
    /// @param status Its current status.
    error WalletCannotCancelRecovery(uint256 index, BeneficiaryStatus status);

    /// @notice A recovery must be confirmed by an approver or the admin before it can be executed.
    /// @param index The beneficiary index.
    error RecoveryNotConfirmed(uint256 index);

    /// @notice The pending recovery is already confirmed.
    /// @param index The beneficiary index.
    error RecoveryAlreadyConfirmed(uint256 index);

    /// @notice The account that requested a recovery cannot also confirm it (review finding 7: no single
    /// account can redirect a beneficiary's money).
    /// @param index The beneficiary index.
    /// @param account The requester.
    error RecoveryConfirmerIsRequester(uint256 index, address account);

    /// @notice The recovery delay can only be raised, never lowered.
    /// @param current The delay now.
    /// @param requested The refused delay.
    error RecoveryDelayDecrease(uint256 current, uint256 requested);

    /// @notice The proposed round is malformed (see {proposeRound} for the rules).
    error InvalidRoundParams();

    /// @notice A round's cap period (`opensAt / periodLength`) is earlier than the current one
    /// (`block.timestamp / periodLength`): a round cannot be backdated into a past period (at proposal), nor
    /// approved once its period is over.
    /// @param period The round's period.
    /// @param currentPeriod The current period.
    error RoundPeriodPassed(uint256 period, uint256 currentPeriod);

    /// @notice A round's window `[opensAt, closesAt)` must lie in one cap period: this one opens in `period` but
    /// closes after `periodEnd`.
    /// @param period The period the round opens in (`opensAt / periodLength`).
    /// @param periodEnd First second of the next period: the latest allowed `closesAt`.
    error RoundCrossesPeriods(uint256 period, uint256 periodEnd);

    /// @notice No round has this id.
    /// @param roundId The round id.
    error UnknownRound(uint256 roundId);

    /// @notice The round is not in a state that allows this operation.
    /// @param roundId The round id.
    /// @param status Its current status.
    error InvalidRoundStatus(uint256 roundId, RoundStatus status);

    /// @notice Maker-checker: the account that proposed a round cannot approve it.
    /// @param roundId The round id.
    /// @param account The proposer trying to approve.
    error SelfApprovalForbidden(uint256 roundId, address account);

    /// @notice The round's proposer no longer holds DISBURSER_ROLE: its pending proposals cannot be approved.
    /// @param roundId The round id.
    /// @param proposer The proposer whose role was revoked.
    error ProposerNotDisburser(uint256 roundId, address proposer);

    /// @notice Approving the round would let one beneficiary receive more than the period cap.
    /// @param period The cap period.
    /// @param reserved Per-beneficiary amount already reserved by approved rounds of the period.
    /// @param requested Per-beneficiary amount this round would add.
    /// @param cap The programme's period cap.
    error PeriodCapExceeded(uint256 period, uint256 reserved, uint256 requested, uint256 cap);

    /// @notice Funding moved a different amount than requested (fee-on-transfer or otherwise unsupported token).
    /// @param expected Amount requested.
    /// @param received Amount that arrived.
    error FundingMismatch(uint256 expected, uint256 received);

    /// @notice The operation does not apply to this kind of round.
    /// @param roundId The round id.
    /// @param kind The round's kind.
    error WrongRoundKind(uint256 roundId, RoundKind kind);

    /// @notice The round is not open now (before `opensAt` or from `closesAt` on).
    /// @param roundId The round id.
    /// @param opensAt Opening time.
    /// @param closesAt Closing time.
    error RoundNotOpen(uint256 roundId, uint256 opensAt, uint256 closesAt);

    /// @notice The round has not closed yet, so its unpaid budget cannot be swept.
    /// @param roundId The round id.
    /// @param closesAt Closing time.
    error RoundStillOpen(uint256 roundId, uint256 closesAt);

    /// @notice Paying would exceed what is left of the round's budget.
    /// @param roundId The round id.
    /// @param remaining Budget left (in a push batch: after the batch's earlier payments).
    /// @param requested Amount that was to be paid.
    error BudgetExceeded(uint256 roundId, uint256 remaining, uint256 requested);

    /// @notice A listed or claimed amount is zero or above the round's per-beneficiary cap.
    /// @param roundId The round id.
    /// @param amount The amount.
    /// @param cap The round's cap.
    error InvalidPaymentAmount(uint256 roundId, uint256 amount, uint256 cap);

    /// @notice The beneficiary was already paid in this round.
    /// @param roundId The round id.
    /// @param index The beneficiary index.
    error AlreadyPaid(uint256 roundId, uint256 index);

    /// @notice The Merkle proof does not prove the leaf against the round's root (nor against its cap node).
    error InvalidProof();

    /// @notice A Merkle cap must have 2 to {MAX_CLAIM_CAP} nodes, a power of two, that hash up to the round's root;
    /// chunks must fit in it.
    error InvalidClaimCap();

    /// @notice The caller is not the wallet bound to the beneficiary.
    /// @param index The beneficiary index.
    /// @param caller The caller.
    error NotBeneficiaryWallet(uint256 index, address caller);

    /// @notice Voucher operations need a programme deployed in voucher mode.
    error VoucherModeDisabled();

    /// @notice The merchant is not approved.
    /// @param merchant The merchant.
    error MerchantNotApproved(address merchant);

    /// @notice The merchant is already approved.
    /// @param merchant The merchant.
    error MerchantAlreadyApproved(address merchant);

    /// @notice The beneficiary's voucher entitlement is smaller than the amount.
    /// @param index The beneficiary index.
    /// @param available Entitlement left.
    /// @param requested Amount asked for.
    error InsufficientEntitlement(uint256 index, uint256 available, uint256 requested);

    /// @notice The merchant's redeemable balance is smaller than the amount.
    /// @param merchant The merchant.
    /// @param available Balance left.
    /// @param requested Amount asked for.
    error InsufficientMerchantBalance(address merchant, uint256 available, uint256 requested);

    /// @notice Approving another `MerkleClaim` round would exceed the number of claim rounds that may be live
    /// (approved and not yet swept) at once; sweep closed ones first.
    /// @param max The limit.
    error TooManyLiveClaimRounds(uint256 max);

    /// @notice A beneficiary's entitlement would exceed its storage width (2^88 - 1 base units).
    /// @param index The beneficiary index.
    error EntitlementOverflow(uint256 index);

    // ------------------------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The programme was deployed with these settings.
    /// @param token Settlement token.
    /// @param voucherMode Whether payouts are vouchers.
    /// @param recoveryDelay Wallet-recovery delay in seconds.
    /// @param periodLength Cap period length in seconds.
    /// @param periodCap Initial per-beneficiary cap per period.
    event ProgrammeConfigured(
        address indexed token, bool voucherMode, uint256 recoveryDelay, uint256 periodLength, uint256 periodCap
    );

    /// @notice The admin changed the per-beneficiary cap per period (applies to approvals from now on).
    /// @param oldCap Previous cap.
    /// @param newCap New cap.
    event PeriodCapUpdated(uint256 oldCap, uint256 newCap);

    /// @notice A beneficiary was enrolled.
    /// @param id Keyed-hash id.
    /// @param index Dense index assigned to it.
    /// @param wallet Wallet it is paid to.
    event BeneficiaryEnrolled(bytes32 indexed id, uint256 indexed index, address indexed wallet);

    /// @notice A beneficiary was suspended (no payments, claims or spending until reinstated).
    /// @param index The beneficiary index.
    /// @param reasonCode Off-chain reason code (never free text: no personal data on chain).
    event BeneficiarySuspended(uint256 indexed index, uint16 reasonCode);

    /// @notice A suspended beneficiary was reinstated.
    /// @param index The beneficiary index.
    event BeneficiaryReinstated(uint256 indexed index);

    /// @notice A beneficiary was removed for good; its wallet is unbound.
    /// @param index The beneficiary index.
    /// @param reasonCode Off-chain reason code.
    event BeneficiaryRemoved(uint256 indexed index, uint16 reasonCode);

    /// @notice A wallet recovery was requested.
    /// @param index The beneficiary index.
    /// @param oldWallet Wallet bound now.
    /// @param newWallet Wallet to bind.
    /// @param executableAt First second at which {executeWalletRecovery} succeeds.
    event WalletRecoveryRequested(
        uint256 indexed index, address indexed oldWallet, address indexed newWallet, uint256 executableAt
    );

    /// @notice A pending wallet recovery was confirmed by an account other than its requester.
    /// @param index The beneficiary index.
    /// @param by The confirming approver or admin.
    event WalletRecoveryConfirmed(uint256 indexed index, address indexed by);

    /// @notice The admin raised the wallet-recovery delay (applies to requests from now on).
    /// @param oldDelay Previous delay in seconds.
    /// @param newDelay New delay in seconds.
    event RecoveryDelayUpdated(uint256 oldDelay, uint256 newDelay);

    /// @notice A pending wallet recovery was cancelled.
    /// @param index The beneficiary index.
    /// @param by Who cancelled it.
    event WalletRecoveryCancelled(uint256 indexed index, address indexed by);

    /// @notice A wallet recovery was executed: the beneficiary is now bound to `newWallet`.
    /// @param index The beneficiary index.
    /// @param oldWallet Previous wallet.
    /// @param newWallet New wallet.
    event WalletRecovered(uint256 indexed index, address indexed oldWallet, address indexed newWallet);

    /// @notice A round was proposed.
    /// @param roundId New round id.
    /// @param proposer The disburser.
    /// @param params The proposal.
    /// @param period Cap period it counts against.
    event RoundProposed(uint256 indexed roundId, address indexed proposer, RoundParams params, uint256 period);

    /// @notice A chunk of a Merkle cap was stored (see {setClaimCap}); the cap is not in use until {ClaimCapSet}.
    /// @param roundId The round id.
    /// @param size Number of nodes of the cap being stored.
    /// @param offset Position of the chunk's first node.
    /// @param count Number of nodes in the chunk.
    event ClaimCapNodesStored(uint256 indexed roundId, uint256 size, uint256 offset, uint256 count);

    /// @notice The top of a `MerkleClaim` round's tree was cached on chain and verified (see {setClaimCap}).
    /// @param roundId The round id.
    /// @param size Number of cap nodes.
    event ClaimCapSet(uint256 indexed roundId, uint256 size);

    /// @notice A round was approved by a second account, reserving its amount in its cap period.
    /// @param roundId The round id.
    /// @param approver The approver.
    /// @param period The cap period.
    /// @param periodReserved Per-beneficiary amount reserved in the period, this round included.
    event RoundApproved(uint256 indexed roundId, address indexed approver, uint256 period, uint256 periodReserved);

    /// @notice A round's budget was pulled from its funder.
    /// @param roundId The round id.
    /// @param funder Who paid.
    /// @param amount How much.
    event RoundFunded(uint256 indexed roundId, address indexed funder, uint256 amount);

    /// @notice A proposed round was cancelled (by its proposer) or rejected (by an approver).
    /// @param roundId The round id.
    /// @param by Who cancelled it.
    event RoundCancelled(uint256 indexed roundId, address indexed by);

    /// @notice A closed round's unpaid budget went back to its funder; the round is final.
    /// @param roundId The round id.
    /// @param funder Recipient.
    /// @param amount Amount returned (may be zero).
    event RoundSwept(uint256 indexed roundId, address indexed funder, uint256 amount);

    /// @notice A beneficiary was paid in a round: tokens sent to its wallet, or, in voucher mode, entitlement
    /// credited. Emitted by claims, and by push batches in voucher mode. In direct mode a push batch emits one
    /// {BatchPaid} instead and the per-payment record is the token's own `Transfer(programme, wallet, amount)`
    /// (wallet to index: {BeneficiaryEnrolled}, {WalletRecovered}); this saves ~1,700 gas per payment.
    /// @param roundId The round id.
    /// @param index The beneficiary index.
    /// @param amount Amount paid or credited.
    event Paid(uint256 indexed roundId, uint256 indexed index, uint256 amount);

    /// @notice A push batch was processed: `paidCount` beneficiaries paid, `total` in all; the others in the batch
    /// were skipped with {PaymentSkipped}.
    /// @param roundId The round id.
    /// @param paidCount Number of payments made.
    /// @param total Sum of the payments.
    event BatchPaid(uint256 indexed roundId, uint256 paidCount, uint256 total);

    /// @notice A push batch skipped an index without paying it.
    /// @param roundId The round id.
    /// @param index The beneficiary index.
    /// @param reason Why.
    event PaymentSkipped(uint256 indexed roundId, uint256 indexed index, SkipReason reason);

    /// @notice A merchant was approved to receive voucher spending.
    /// @param merchant Merchant account.
    /// @param ref Off-chain merchant reference (e.g. a keyed hash of its registration).
    event MerchantApproved(address indexed merchant, bytes32 ref);

    /// @notice A merchant was revoked; it can no longer receive spending but can still redeem its balance.
    /// @param merchant Merchant account.
    /// @param reasonCode Off-chain reason code.
    event MerchantRevoked(address indexed merchant, uint16 reasonCode);

    /// @notice A beneficiary spent voucher entitlement at a merchant.
    /// @param index The beneficiary index.
    /// @param merchant The merchant.
    /// @param amount Amount moved from the beneficiary's entitlement to the merchant's balance.
    event VoucherSpent(uint256 indexed index, address indexed merchant, uint256 amount);

    /// @notice A merchant redeemed balance for tokens: what off-chain settlement needs to reconcile.
    /// @param merchant The merchant (also the token recipient).
    /// @param settlementRef Merchant's or operator's settlement reference (invoice, batch).
    /// @param amount Tokens sent.
    /// @param redeemedTotal Merchant's cumulative redeemed amount after this one.
    /// @param balanceLeft Merchant's balance still to redeem.
    event VoucherRedeemed(
        address indexed merchant, bytes32 indexed settlementRef, uint256 amount, uint256 redeemedTotal, uint256 balanceLeft
    );

    // ------------------------------------------------------------------------------------------------------------
    // Admin
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Sets the per-beneficiary cap per period for future round approvals.
    /// @dev Requires DEFAULT_ADMIN_ROLE and `newCap > 0`. Emits {PeriodCapUpdated}.
    /// @param newCap The new cap.
    function setPeriodCap(uint96 newCap) external;

    /// @notice Stops every movement of money (funding, payments, claims, spending, redemption, sweeps).
    /// @dev Requires PAUSER_ROLE and not paused. Emits {Paused}. Registry operations keep working. Also sets the
    /// pause copy in each live claim round (at most {MAX_LIVE_CLAIM_ROUNDS}), which claims read instead of the
    /// global flag.
    function pause() external;

    /// @notice Resumes movements of money.
    /// @dev Requires DEFAULT_ADMIN_ROLE and paused. Emits {Unpaused}. Clears the live claim rounds' pause copies.
    function unpause() external;

    // ------------------------------------------------------------------------------------------------------------
    // Beneficiary registry
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Enrols one beneficiary.
    /// @dev Requires REGISTRAR_ROLE, `id != 0`, `id` never enrolled (nor removed), `wallet` neither zero nor this
    /// contract and not bound to another beneficiary. Emits {BeneficiaryEnrolled}.
    /// @param id Keyed-hash id (see `KeyedHash`).
    /// @param wallet Wallet to pay.
    /// @return index The dense index assigned.
    function enrol(bytes32 id, address wallet) external returns (uint256 index);

    /// @notice Enrols a batch of beneficiaries, with consecutive indexes.
    /// @dev Requires REGISTRAR_ROLE, equal non-zero lengths at most {MAX_ENROL_BATCH}, and every item valid as in
    /// {enrol} (the whole batch reverts otherwise). Emits {BeneficiaryEnrolled} per item.
    /// @param ids Keyed-hash ids.
    /// @param wallets Wallets, parallel to `ids`.
    /// @return firstIndex Index of `ids[0]`; item `i` gets `firstIndex + i`.
    function enrolBatch(bytes32[] calldata ids, address[] calldata wallets) external returns (uint256 firstIndex);

    /// @notice Suspends an active beneficiary.
    /// @dev Requires REGISTRAR_ROLE and status Active. Emits {BeneficiarySuspended}.
    /// @param id Keyed-hash id.
    /// @param reasonCode Off-chain reason code.
    function suspend(bytes32 id, uint16 reasonCode) external;

    /// @notice Reinstates a suspended beneficiary.
    /// @dev Requires REGISTRAR_ROLE and status Suspended. Emits {BeneficiaryReinstated}.
    /// @param id Keyed-hash id.
    function reinstate(bytes32 id) external;

    /// @notice Removes a beneficiary for good, unbinds its wallet and drops any pending recovery.
    /// @dev Requires REGISTRAR_ROLE and status Active or Suspended. Emits {BeneficiaryRemoved} (and
    /// {WalletRecoveryCancelled} if a recovery was pending). Unspent voucher entitlement stays recorded and frozen.
    /// @param id Keyed-hash id.
    /// @param reasonCode Off-chain reason code.
    function remove(bytes32 id, uint16 reasonCode) external;

    /// @notice Starts re-binding a beneficiary to a new wallet; executable after {recoveryDelay} once an approver
    /// or the admin other than the requester has confirmed it ({confirmWalletRecovery}).
    /// @dev Requires REGISTRAR_ROLE, status Active or Suspended, `newWallet` neither zero nor this contract and not
    /// bound, no recovery pending. Emits {WalletRecoveryRequested}. For a lost or stolen wallet, suspend first
    /// (see {cancelWalletRecovery}).
    /// @param id Keyed-hash id.
    /// @param newWallet Wallet to bind.
    /// @return executableAt First second at which {executeWalletRecovery} succeeds.
    function requestWalletRecovery(bytes32 id, address newWallet) external returns (uint256 executableAt);

    /// @notice Cancels a pending wallet recovery.
    /// @dev Requires a pending recovery and a caller with REGISTRAR_ROLE or DEFAULT_ADMIN_ROLE (always), or the
    /// wallet currently bound while the beneficiary is Active: a beneficiary can stop a re-binding it did not ask
    /// for (a hostile or mistaken registrar). Reverts {WalletCannotCancelRecovery} for the bound wallet of a
    /// Suspended beneficiary, {RecoveryCancelNotAllowed} for anyone else. Emits {WalletRecoveryCancelled}.
    /// Stolen (or lost) wallet procedure: a registrar {suspend}s the beneficiary (payments, claims and spending
    /// stop), then {requestWalletRecovery} to a new wallet; the stolen wallet can no longer cancel; after the
    /// delay and an approver's (or the admin's) {confirmWalletRecovery}, anyone {executeWalletRecovery}s; the
    /// registrar {reinstate}s. The suspension and the request are public events during the whole delay (at least
    /// {MIN_RECOVERY_DELAY}), in which the admin can still cancel a recovery a registrar should not have started
    /// (and revoke that registrar).
    /// @param id Keyed-hash id.
    function cancelWalletRecovery(bytes32 id) external;

    /// @notice Confirms a pending wallet recovery: the second role of the four-eyes rule (review finding 7).
    /// @dev Requires APPROVER_ROLE or DEFAULT_ADMIN_ROLE, a pending unconfirmed recovery, and a caller other than
    /// the registrar that requested it ({RecoveryConfirmerIsRequester}). Does not shorten the delay. Emits
    /// {WalletRecoveryConfirmed}.
    /// @param id Keyed-hash id.
    function confirmWalletRecovery(bytes32 id) external;

    /// @notice Executes a pending wallet recovery once it is confirmed and its delay has passed. Anyone may call.
    /// @dev Requires a pending recovery, confirmed ({RecoveryNotConfirmed}), whose delay has passed and a new
    /// wallet still unbound. Emits {WalletRecovered}. Voucher entitlement and unclaimed payments follow the
    /// beneficiary to the new wallet.
    /// @param id Keyed-hash id.
    function executeWalletRecovery(bytes32 id) external;

    // ------------------------------------------------------------------------------------------------------------
    // Rounds
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Proposes a payment round.
    /// @dev Requires DISBURSER_ROLE; `budget > 0`; `0 < amount <= budget` and `amount <= periodCap()`;
    /// `opensAt < closesAt` and `closesAt > block.timestamp`; `funder != 0`; `root == 0` iff kind is `FlatPush`
    /// (else {InvalidRoundParams}). Then the period rules, which keep the period cap honest (a round pays only
    /// during the period it counts against): the round's period `opensAt / periodLength` is not earlier than the
    /// current period `block.timestamp / periodLength` (else {RoundPeriodPassed}: no backdating), and the whole
    /// window `[opensAt, closesAt)` lies in that period, i.e. `closesAt <= (period + 1) * periodLength` (else
    /// {RoundCrossesPeriods}). A round may open in the past within the current period, or in a later period.
    /// Emits {RoundProposed}.
    /// @param params The proposal.
    /// @return roundId New round id (1, 2, 3, ...).
    function proposeRound(RoundParams calldata params) external returns (uint256 roundId);

    /// @notice Stores (a chunk of) a "Merkle cap" for a proposed `MerkleClaim` round: the `size` nodes of one level of
    /// its tree, so that claims prove a leaf up to a cap node instead of the root and send `log2(size)` fewer proof
    /// hashes (each ~550 gas of calldata and hashing, on every claim).
    /// @dev Requires DISBURSER_ROLE, a `MerkleClaim` round in status Proposed, `size` a power of two in
    /// [2, {MAX_CLAIM_CAP}], 1 to {MAX_BATCH} nodes and `offset + nodes.length <= size`. Stores the nodes and emits
    /// {ClaimCapNodesStored}. Any chunk takes the cap in use (if any) out of use; claims then need full proofs until
    /// a cap is complete again. The chunk that ends at `size` must come last: it then checks that all `size` stored
    /// nodes, hashed pairwise level by level (node 2j with 2j+1, OpenZeppelin sorted-pair hashing), give the root,
    /// puts the cap in use and emits {ClaimCapSet}; otherwise it reverts {InvalidClaimCap}.
    /// Tree shape: the leaf of beneficiary `index` must sit under cap node `index % size`, i.e. build one subtree
    /// per residue and the top levels over the subtree roots. A full proof up to the root is always accepted too.
    /// (Sorted-pair hashing cannot see the order of the two nodes of a pair: a misordered cap still verifies, and
    /// only makes short proofs fail for the indexes concerned; no leaf outside the approved tree ever verifies.)
    /// Gas: ~22.6k per node once per round (1,024 nodes: ~26M in five chunks of up to {MAX_BATCH}), against ~550
    /// per proof step saved on every claim (a 100,000-leaf round: 7-hash proofs instead of 17).
    /// @param roundId The round id.
    /// @param size Number of nodes in the cap.
    /// @param offset Position of `nodes[0]` in the cap.
    /// @param nodes The chunk's nodes, in order.
    function setClaimCap(uint256 roundId, uint256 size, uint256 offset, bytes32[] calldata nodes) external;

    /// @notice Approves a proposed round and pulls its whole budget from its funder.
    /// @dev Requires APPROVER_ROLE, not paused, status Proposed, caller != proposer, the proposer still holding
    /// DISBURSER_ROLE ({ProposerNotDisburser}), the period rules of
    /// {proposeRound} again (so a round whose period is over reverts {RoundPeriodPassed}),
    /// `block.timestamp < closesAt`, the period reservation plus `amount` within `periodCap()`, the funder's
    /// allowance and balance, and for a `MerkleClaim` round fewer than {MAX_LIVE_CLAIM_ROUNDS} live claim rounds.
    /// Emits {RoundApproved} then {RoundFunded}.
    /// @param roundId The round id.
    function approveRound(uint256 roundId) external;

    /// @notice Cancels a proposed (not yet approved) round.
    /// @dev Requires status Proposed and a caller that is the proposer (still holding DISBURSER_ROLE) or holds
    /// APPROVER_ROLE (rejection). Emits {RoundCancelled}. Approved rounds cannot be cancelled: pause instead, and
    /// sweep after the close.
    /// @param roundId The round id.
    function cancelRound(uint256 roundId) external;

    /// @notice Returns a closed round's unpaid budget to its funder and finalises the round. Anyone may call.
    /// @dev Requires not paused, status Approved and `block.timestamp >= closesAt`. Emits {RoundSwept}.
    /// @param roundId The round id.
    function sweep(uint256 roundId) external;

    // ------------------------------------------------------------------------------------------------------------
    // Payments
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Pays the round's flat amount to each listed beneficiary not yet paid in the round.
    /// @dev Requires DISBURSER_ROLE, not paused, a `FlatPush` round that is approved and open, 1 to {MAX_BATCH}
    /// indexes and enough budget left for all that get paid. Indexes that are not Active or already paid are
    /// skipped with {PaymentSkipped}, so a batch can be resent safely. Emits {BatchPaid}, and in voucher mode
    /// also {Paid} per payment. Transfers run after all state is written.
    /// @param roundId The round id.
    /// @param indexes Beneficiary indexes.
    function payFlat(uint256 roundId, uint256[] calldata indexes) external;

    /// @notice Pays one pre-committed batch of a `ListPush` round.
    /// @dev Requires DISBURSER_ROLE, not paused, a `ListPush` round that is approved and open, parallel arrays of
    /// 1 to {MAX_BATCH} items, a proof that `keccak256(bytes.concat(keccak256(abi.encode(indexes, amounts))))` is
    /// a leaf under the round's root, and enough budget left. Skips and emits as {payFlat}.
    /// @param roundId The round id.
    /// @param indexes Beneficiary indexes.
    /// @param amounts Amounts, parallel to `indexes`, each non-zero and at most the round's cap.
    /// @param proof Merkle proof of the batch leaf.
    function payList(
        uint256 roundId,
        uint256[] calldata indexes,
        uint256[] calldata amounts,
        bytes32[] calldata proof
    ) external;

    /// @notice Claims a beneficiary's payment in a `MerkleClaim` round, sent by the beneficiary's own wallet.
    /// @dev Requires not paused, the round approved and open, `msg.sender` the wallet bound to `index`, the
    /// beneficiary Active, not yet paid in the round, `0 < amount <= cap`, a valid proof of
    /// `keccak256(bytes.concat(keccak256(abi.encode(index, amount))))` up to the round's cap node
    /// `index % capSize` or up to its root, and enough budget left. Emits {Paid}.
    /// @param roundId The round id.
    /// @param index The beneficiary index.
    /// @param amount The amount in the leaf.
    /// @param proof Merkle proof of the leaf.
    function claim(uint256 roundId, uint256 index, uint256 amount, bytes32[] calldata proof) external;

    /// @notice Claims on a beneficiary's behalf (relayer pays the gas) with the wallet's EIP-712 signature.
    /// @dev As {claim}, but instead of `msg.sender` being the wallet it requires `block.timestamp <= deadline` and
    /// a signature by the bound wallet (ECDSA, low-s only, or ERC-1271) over the EIP-712 struct
    /// `Claim(uint256 roundId,uint256 index,uint256 amount,uint256 deadline)` in this contract's domain (name
    /// "pilotkit CashProgramme", version "1", chain id, this address). Funds always go to the bound wallet; a
    /// signature is usable once since a (round, index) pays once. Emits {Paid}.
    /// @param roundId The round id.
    /// @param index The beneficiary index.
    /// @param amount The amount in the leaf.
    /// @param proof Merkle proof of the leaf.
    /// @param deadline Last second the signature is valid.
    /// @param signature The wallet's signature.
    function claimFor(
        uint256 roundId,
        uint256 index,
        uint256 amount,
        bytes32[] calldata proof,
        uint256 deadline,
        bytes calldata signature
    ) external;

    // ------------------------------------------------------------------------------------------------------------
    // Vouchers (voucher mode only)
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Approves a merchant to receive voucher spending.
    /// @dev Requires MERCHANT_MANAGER_ROLE, voucher mode, `merchant != 0`, not already approved. Emits
    /// {MerchantApproved}.
    /// @param merchant Merchant account (receives redeemed tokens).
    /// @param ref Off-chain merchant reference.
    function approveMerchant(address merchant, bytes32 ref) external;

    /// @notice Revokes a merchant: no new spending to it; its balance stays redeemable.
    /// @dev Requires MERCHANT_MANAGER_ROLE, voucher mode, merchant approved. Emits {MerchantRevoked}.
    /// @param merchant Merchant account.
    /// @param reasonCode Off-chain reason code.
    function revokeMerchant(address merchant, uint16 reasonCode) external;

    /// @notice Spends the caller's voucher entitlement at an approved merchant.
    /// @dev Requires voucher mode, not paused, the caller bound to an Active beneficiary, an approved merchant,
    /// `0 < amount <=` entitlement. Emits {VoucherSpent}.
    /// @param merchant The merchant.
    /// @param amount Amount to spend.
    function spend(address merchant, uint256 amount) external;

    /// @notice Spends a beneficiary's entitlement with its wallet's EIP-712 signature (the merchant's till submits).
    /// @dev As {spend}, plus `block.timestamp <= deadline` and a signature by the bound wallet over
    /// `Spend(uint256 index,address merchant,uint256 amount,uint256 nonce,uint256 deadline)` with the wallet's
    /// current {nonces} value, which is then used up. Emits {VoucherSpent}.
    /// @param index The beneficiary index.
    /// @param merchant The merchant.
    /// @param amount Amount to spend.
    /// @param deadline Last second the signature is valid.
    /// @param signature The wallet's signature.
    function spendFor(uint256 index, address merchant, uint256 amount, uint256 deadline, bytes calldata signature)
        external;

    /// @notice Redeems the caller's merchant balance for tokens, sent to the caller.
    /// @dev Requires voucher mode, not paused, `0 < amount <=` the caller's balance (revoked merchants may still
    /// redeem). Emits {VoucherRedeemed}.
    /// @param amount Amount to redeem.
    /// @param settlementRef Settlement reference echoed in the event.
    function redeem(uint256 amount, bytes32 settlementRef) external;

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Role that enrols, suspends, reinstates and removes beneficiaries and handles wallet recovery.
    /// @return The role id.
    function REGISTRAR_ROLE() external view returns (bytes32);

    /// @notice Role that proposes rounds and pushes payment batches.
    /// @return The role id.
    function DISBURSER_ROLE() external view returns (bytes32);

    /// @notice Role that approves (or rejects) rounds proposed by another account.
    /// @return The role id.
    function APPROVER_ROLE() external view returns (bytes32);

    /// @notice Role that pauses.
    /// @return The role id.
    function PAUSER_ROLE() external view returns (bytes32);

    /// @notice Role that approves and revokes merchants.
    /// @return The role id.
    function MERCHANT_MANAGER_ROLE() external view returns (bytes32);

    /// @notice Largest number of items in one payment batch.
    /// @return The cap.
    function MAX_BATCH() external view returns (uint256);

    /// @notice Largest number of `MerkleClaim` rounds live (approved, not swept) at once.
    /// @return The limit.
    function MAX_LIVE_CLAIM_ROUNDS() external view returns (uint256);

    /// @notice Largest Merkle cap (number of cached top-of-tree nodes) a claim round may have.
    /// @return The cap.
    function MAX_CLAIM_CAP() external view returns (uint256);

    /// @notice Largest number of items in one enrolment batch.
    /// @return The cap.
    function MAX_ENROL_BATCH() external view returns (uint256);

    /// @notice The settlement token.
    /// @return The token.
    function token() external view returns (IERC20);

    /// @notice Whether payouts are vouchers.
    /// @return True in voucher mode.
    function voucherMode() external view returns (bool);

    /// @notice Wallet-recovery delay (at least {MIN_RECOVERY_DELAY}).
    /// @return Seconds.
    function recoveryDelay() external view returns (uint256);

    /// @notice Shortest wallet-recovery delay a programme accepts: 24 hours.
    /// @return Seconds.
    function MIN_RECOVERY_DELAY() external view returns (uint256);

    /// @notice Raises the wallet-recovery delay for requests made from now on (pending ones keep their time).
    /// @dev Requires DEFAULT_ADMIN_ROLE; reverts {RecoveryDelayDecrease} below the current delay. Emits
    /// {RecoveryDelayUpdated}.
    /// @param newDelay New delay in seconds.
    function setRecoveryDelay(uint32 newDelay) external;

    /// @notice Who requested a pending wallet recovery and whether it is confirmed.
    /// @param index The index.
    /// @return requester The registrar that requested it (zero if none pending).
    /// @return confirmed Whether an approver or the admin confirmed it.
    function recoveryConfirmation(uint256 index) external view returns (address requester, bool confirmed);

    /// @notice Cap period length.
    /// @return Seconds.
    function periodLength() external view returns (uint256);

    /// @notice Per-beneficiary cap per period.
    /// @return The cap.
    function periodCap() external view returns (uint256);

    /// @notice Per-beneficiary amount already reserved by approved rounds of a period (never released: a
    /// reservation stands even if the round pays little and is swept). Those rounds pay only inside the period.
    /// @param period The period (`opensAt / periodLength`).
    /// @return The reserved amount.
    function periodReserved(uint256 period) external view returns (uint256);

    /// @notice Number of beneficiaries ever enrolled (also the highest index).
    /// @return The count.
    function beneficiaryCount() external view returns (uint256);

    /// @notice Index of a keyed-hash id.
    /// @param id The id.
    /// @return The index, 0 if never enrolled.
    function beneficiaryIndex(bytes32 id) external view returns (uint256);

    /// @notice Index bound to a wallet.
    /// @param wallet The wallet.
    /// @return The index, 0 if none.
    function indexOfWallet(address wallet) external view returns (uint256);

    /// @notice A beneficiary's record.
    /// @param index The index.
    /// @return wallet Bound wallet (zero once removed).
    /// @return status Status (None for an unused index).
    /// @return entitlement Unspent voucher entitlement.
    function beneficiary(uint256 index)
        external
        view
        returns (address wallet, BeneficiaryStatus status, uint256 entitlement);

    /// @notice A pending wallet recovery.
    /// @param index The index.
    /// @return newWallet Wallet to bind (zero if none pending).
    /// @return executableAt First second it can be executed.
    function pendingRecovery(uint256 index) external view returns (address newWallet, uint256 executableAt);

    /// @notice Number of rounds ever proposed (also the highest round id).
    /// @return The count.
    function roundCount() external view returns (uint256);

    /// @notice Everything about a round.
    /// @param roundId The round id.
    /// @return info The round (all zero for an unknown id).
    function round(uint256 roundId) external view returns (RoundInfo memory info);

    /// @notice A node of the Merkle cap in use by a claim round (with no cap, node 0 is the root).
    /// @param roundId The round id.
    /// @param position Node position, below the round's `capSize`.
    /// @return The node (zero past the cap).
    function claimNode(uint256 roundId, uint256 position) external view returns (bytes32);

    /// @notice Whether a beneficiary was paid in a round.
    /// @param roundId The round id.
    /// @param index The beneficiary index.
    /// @return True once paid.
    function isPaid(uint256 roundId, uint256 index) external view returns (bool);

    /// @notice Approved `MerkleClaim` rounds not yet swept.
    /// @return The round ids (at most {MAX_LIVE_CLAIM_ROUNDS}).
    function liveClaimRounds() external view returns (uint256[] memory);

    /// @notice Tokens pulled from funders over the programme's life. Money invariant, with per-round `paid` from
    /// {round} summed over all rounds: direct mode `balance == totalFunded - paid - totalSwept`; voucher mode
    /// `balance == totalFunded - totalRedeemed - totalSwept` and `paid - totalRedeemed` == unspent entitlements +
    /// unredeemed merchant balances. (Claims update no global counter: that saves ~2,900 gas per claim.)
    /// @return The total.
    function totalFunded() external view returns (uint256);

    /// @notice Tokens returned to funders.
    /// @return The total.
    function totalSwept() external view returns (uint256);

    /// @notice Tokens paid to merchants for redeemed vouchers (voucher mode; 0 in direct mode).
    /// @return The total.
    function totalRedeemed() external view returns (uint256);

    /// @notice A merchant's state.
    /// @param account The merchant.
    /// @return approved Whether it may receive spending now.
    /// @return balance Spent to it and not yet redeemed.
    /// @return redeemed Redeemed so far.
    function merchantInfo(address account) external view returns (bool approved, uint256 balance, uint256 redeemed);

    /// @notice Next {spendFor} nonce of a wallet.
    /// @param owner The wallet.
    /// @return The nonce.
    function nonces(address owner) external view returns (uint256);

    /// @notice The EIP-712 digest a wallet signs to authorise {claimFor}.
    /// @param roundId The round id.
    /// @param index The beneficiary index.
    /// @param amount The amount.
    /// @param deadline The deadline.
    /// @return The digest.
    function claimDigest(uint256 roundId, uint256 index, uint256 amount, uint256 deadline)
        external
        view
        returns (bytes32);

    /// @notice The EIP-712 digest a wallet signs to authorise {spendFor}.
    /// @param index The beneficiary index.
    /// @param merchant The merchant.
    /// @param amount The amount.
    /// @param nonce The wallet's nonce.
    /// @param deadline The deadline.
    /// @return The digest.
    function spendDigest(uint256 index, address merchant, uint256 amount, uint256 nonce, uint256 deadline)
        external
        view
        returns (bytes32);
}
