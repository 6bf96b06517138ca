// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IPilotErrors} from "../common/IPilotErrors.sol";

/// @title IEcoCreditRegistry
/// @notice Eco-credit registry for climate-finance pilots: projects, verified batches of credits as ERC-1155
/// tokens (one token id per batch), transfers, permanent retirement with an on-chain record, batch freezes and an
/// optional holder allowlist.
/// @dev One token unit is one credit, i.e. one registry serial number (typically one tonne CO2e). The ERC-1155
/// surface (`balanceOf`, `safeTransferFrom`, `totalSupply(id)`, ...) and the OpenZeppelin errors it raises
/// (`ERC1155InsufficientBalance`, `ERC1155MissingApprovalForAll`, `ERC1155InvalidReceiver`, `EnforcedPause`,
/// `ExpectedPause`, `AccessControlUnauthorizedAccount`) come from OpenZeppelin and are not repeated here. The
/// shared errors `ZeroAddress`, `ZeroAmount` and `BatchTooLarge` come from {IPilotErrors}.
interface IEcoCreditRegistry is IPilotErrors {
    // ---------------------------------------------------------------------------------------------------------
    // Types
    // ---------------------------------------------------------------------------------------------------------

    /// @notice A project registered by the registry admin.
    /// @param registry Origin registry code (e.g. "VERRA", "GOLD_STANDARD" as a right-padded short string). It is
    /// also the serial namespace: serial ranges never overlap within one registry code.
    /// @param externalId Project identifier in the origin registry (short string or hash); unique per registry.
    /// @param methodology Methodology code (e.g. "VM0015"), short string.
    /// @param country ISO 3166-1 alpha-2 country code, two upper-case ASCII letters.
    /// @param metadataHash keccak256 (or other agreed digest) of the document at `metadataURI`.
    /// @param metadataURI Where the project documentation lives (IPFS, HTTPS, ...).
    struct Project {
        bytes32 registry;
        bytes32 externalId;
        bytes32 methodology;
        bytes2 country;
        bytes32 metadataHash;
        string metadataURI;
    }

    /// @notice What a verifier submits to issue a batch.
    /// @param projectId Registered project the credits belong to.
    /// @param vintageStart Start of the monitoring period (unix seconds).
    /// @param vintageEnd End of the monitoring period (unix seconds), `>= vintageStart`.
    /// @param serialStart First serial number of the range (inclusive, `>= 1`).
    /// @param serialEnd Last serial number of the range (inclusive, `>= serialStart`).
    /// @param evidenceHash Digest of the verification evidence (registry statement, immobilisation proof, ...).
    /// @param to Holder receiving the whole batch.
    struct BatchParams {
        uint256 projectId;
        uint40 vintageStart;
        uint40 vintageEnd;
        uint128 serialStart;
        uint128 serialEnd;
        bytes32 evidenceHash;
        address to;
    }

    /// @notice An issued batch; its token id is its batch id.
    /// @param projectId Project of the batch.
    /// @param vintageStart Start of the monitoring period.
    /// @param vintageEnd End of the monitoring period.
    /// @param issuedAt Block timestamp of issuance (never 0 for an existing batch).
    /// @param frozen True while the batch is under investigation.
    /// @param freezeReason Reason code of the last freeze or unfreeze.
    /// @param verifier Verifier that issued the batch.
    /// @param serialStart First serial number (inclusive).
    /// @param serialEnd Last serial number (inclusive).
    /// @param issued Credits issued: `serialEnd - serialStart + 1`; never changes.
    /// @param retired Credits retired so far; `issued == totalSupply(id) + retired` at all times.
    /// @param evidenceHash Digest of the verification evidence.
    struct Batch {
        uint64 projectId;
        uint40 vintageStart;
        uint40 vintageEnd;
        uint40 issuedAt;
        bool frozen;
        uint8 freezeReason;
        address verifier;
        uint128 serialStart;
        uint128 serialEnd;
        uint128 issued;
        uint128 retired;
        bytes32 evidenceHash;
    }

    /// @notice A permanent retirement record.
    /// @param retiree Holder whose credits were burned.
    /// @param retiredAt Block timestamp of the retirement.
    /// @param batchId Batch the credits came from.
    /// @param amount Credits retired.
    /// @param beneficiary Who the retirement is for: a bytes32 keyed hash or a short name (no personal data).
    /// @param reason Free-text retirement message (at most `MAX_REASON_LENGTH` bytes).
    struct Retirement {
        address retiree;
        uint40 retiredAt;
        uint128 batchId;
        uint128 amount;
        bytes32 beneficiary;
        string reason;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------------------

    /// @notice The registry code, external id or methodology of a project was zero.
    error InvalidProjectIdentifier();

    /// @notice A country code was not two upper-case ASCII letters.
    /// @param country The rejected code.
    error InvalidCountryCode(bytes2 country);

    /// @notice A metadata URI was empty or longer than `MAX_URI_LENGTH`, or its hash was zero.
    error InvalidMetadata();

    /// @notice A project with this registry code and external id is already registered.
    /// @param registry Origin registry code.
    /// @param externalId Project identifier in the origin registry.
    /// @param projectId The existing project.
    error ProjectAlreadyRegistered(bytes32 registry, bytes32 externalId, uint256 projectId);

    /// @notice No project has this id.
    /// @param projectId The unknown id.
    error ProjectNotFound(uint256 projectId);

    /// @notice No batch has this id.
    /// @param batchId The unknown id.
    error BatchNotFound(uint256 batchId);

    /// @notice The monitoring period was empty, reversed or in the future.
    /// @param vintageStart Submitted start.
    /// @param vintageEnd Submitted end.
    error InvalidVintage(uint40 vintageStart, uint40 vintageEnd);

    /// @notice A serial range started at 0 or ended before it started.
    /// @param serialStart Submitted start.
    /// @param serialEnd Submitted end.
    error InvalidSerialRange(uint128 serialStart, uint128 serialEnd);

    /// @notice The serial range intersects a range already issued under the same registry code.
    /// @param existingStart Start of the stored range that intersects.
    /// @param existingEnd End of the stored range that intersects.
    error SerialRangeOverlaps(uint128 existingStart, uint128 existingEnd);

    /// @notice The predecessor hint is not a stored range start (or 0), or is not the new range's predecessor.
    /// @param hint The rejected hint.
    error InvalidSerialHint(uint128 hint);

    /// @notice The evidence hash was zero.
    error MissingEvidence();

    /// @notice A recipient is not on the holder allowlist while the allowlist is enabled.
    /// @param holder The rejected recipient.
    error HolderNotAllowlisted(address holder);

    /// @notice The batch is frozen: its credits cannot be transferred or retired.
    /// @param batchId The frozen batch.
    error BatchIsFrozen(uint256 batchId);

    /// @notice The verifier that issued a batch tried to unfreeze it: only the admin or another verifier may.
    /// @param batchId The batch.
    /// @param verifier The batch's issuing verifier (the caller).
    error IssuerCannotUnfreeze(uint256 batchId, address verifier);

    /// @notice Unfreeze was called on a batch that is not frozen.
    /// @param batchId The batch.
    error BatchNotFrozen(uint256 batchId);

    /// @notice A retirement reason was longer than `MAX_REASON_LENGTH` bytes.
    /// @param length Submitted length.
    /// @param max Maximum length.
    error ReasonTooLong(uint256 length, uint256 max);

    /// @notice No retirement has this id.
    /// @param retirementId The unknown id.
    error RetirementNotFound(uint256 retirementId);

    // ---------------------------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------------------------

    /// @notice A project was registered.
    /// @param projectId New project id.
    /// @param registry Origin registry code (serial namespace).
    /// @param externalId Project identifier in the origin registry.
    /// @param methodology Methodology code.
    /// @param country ISO 3166-1 alpha-2 country code.
    /// @param metadataURI Project documentation URI.
    /// @param metadataHash Digest of the documentation.
    event ProjectRegistered(
        uint256 indexed projectId,
        bytes32 indexed registry,
        bytes32 indexed externalId,
        bytes32 methodology,
        bytes2 country,
        string metadataURI,
        bytes32 metadataHash
    );

    /// @notice A project's documentation pointer was replaced.
    /// @param projectId The project.
    /// @param metadataURI New documentation URI.
    /// @param metadataHash New digest.
    event ProjectMetadataUpdated(uint256 indexed projectId, string metadataURI, bytes32 metadataHash);

    /// @notice A batch was issued; its credits are minted to `to` right after (ERC-1155 `TransferSingle`).
    /// @param batchId New batch id (= token id).
    /// @param projectId Project of the batch.
    /// @param verifier Verifier that issued it.
    /// @param to Holder receiving the credits.
    /// @param serialStart First serial number.
    /// @param serialEnd Last serial number.
    /// @param vintageStart Start of the monitoring period.
    /// @param vintageEnd End of the monitoring period.
    /// @param evidenceHash Digest of the verification evidence.
    event BatchIssued(
        uint256 indexed batchId,
        uint256 indexed projectId,
        address indexed verifier,
        address to,
        uint128 serialStart,
        uint128 serialEnd,
        uint40 vintageStart,
        uint40 vintageEnd,
        bytes32 evidenceHash
    );

    /// @notice Credits were burned and a retirement recorded (after the ERC-1155 burn `TransferSingle`).
    /// @param retirementId New retirement id.
    /// @param batchId Batch the credits came from.
    /// @param retiree Holder whose credits were burned.
    /// @param operator Account that called (the retiree or an approved operator).
    /// @param beneficiary Keyed hash or short name of the beneficiary.
    /// @param amount Credits retired.
    /// @param reason Retirement message.
    event CreditsRetired(
        uint256 indexed retirementId,
        uint256 indexed batchId,
        address indexed retiree,
        address operator,
        bytes32 beneficiary,
        uint256 amount,
        string reason
    );

    /// @notice A batch was frozen for investigation.
    /// @param batchId The batch.
    /// @param verifier Verifier that froze it.
    /// @param reasonCode Reason code (pilot-defined table).
    event BatchFrozen(uint256 indexed batchId, address indexed verifier, uint8 reasonCode);

    /// @notice A frozen batch was released.
    /// @param batchId The batch.
    /// @param verifier Verifier that released it.
    /// @param reasonCode Reason code (pilot-defined table).
    event BatchUnfrozen(uint256 indexed batchId, address indexed verifier, uint8 reasonCode);

    /// @notice The holder allowlist was switched on or off.
    /// @param enabled New setting.
    event HolderAllowlistToggled(bool enabled);

    /// @notice A holder was added to or removed from the allowlist.
    /// @param holder The holder.
    /// @param allowed New setting.
    event HolderAllowlistUpdated(address indexed holder, bool allowed);

    // ---------------------------------------------------------------------------------------------------------
    // Constants
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Role that issues and freezes batches, and unfreezes batches other verifiers issued.
    /// @return The role id, `keccak256("VERIFIER_ROLE")`.
    function VERIFIER_ROLE() external view returns (bytes32);

    /// @notice Role that pauses the registry (unpausing needs `DEFAULT_ADMIN_ROLE`).
    /// @return The role id, `keccak256("PAUSER_ROLE")`.
    function PAUSER_ROLE() external view returns (bytes32);

    /// @notice Longest retirement reason accepted, in bytes.
    /// @return The limit.
    function MAX_REASON_LENGTH() external view returns (uint256);

    /// @notice Longest project metadata URI accepted, in bytes.
    /// @return The limit.
    function MAX_URI_LENGTH() external view returns (uint256);

    /// @notice Most holders accepted by one {setHolderAllowlisted} call.
    /// @return The limit.
    function MAX_ALLOWLIST_BATCH() external view returns (uint256);

    // ---------------------------------------------------------------------------------------------------------
    // Projects (admin)
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Registers a project.
    /// @dev Requirements: caller has `DEFAULT_ADMIN_ROLE`; `registry`, `externalId` and `methodology` are
    /// non-zero ({InvalidProjectIdentifier}); `country` is two upper-case letters ({InvalidCountryCode});
    /// `metadataURI` is 1..`MAX_URI_LENGTH` bytes and `metadataHash` is non-zero ({InvalidMetadata}); no project
    /// with the same `registry` and `externalId` exists ({ProjectAlreadyRegistered}). Allowed while paused.
    /// Emits {ProjectRegistered}.
    /// @param project The project data.
    /// @return projectId The new project id (sequential from 1).
    function registerProject(Project calldata project) external returns (uint256 projectId);

    /// @notice Replaces a project's documentation pointer (e.g. after a new monitoring report).
    /// @dev Requirements: caller has `DEFAULT_ADMIN_ROLE`; the project exists ({ProjectNotFound}); URI and hash as
    /// in {registerProject} ({InvalidMetadata}). Emits {ProjectMetadataUpdated}.
    /// @param projectId The project.
    /// @param metadataURI New documentation URI.
    /// @param metadataHash New digest.
    function updateProjectMetadata(uint256 projectId, string calldata metadataURI, bytes32 metadataHash) external;

    // ---------------------------------------------------------------------------------------------------------
    // Batches (verifier)
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Issues a batch of credits for a registry serial range and mints it to `params.to`.
    /// @dev Requirements: caller has `VERIFIER_ROLE`; not paused; the project exists ({ProjectNotFound});
    /// `0 < vintageStart <= vintageEnd <= block.timestamp` ({InvalidVintage}); `1 <= serialStart <= serialEnd`
    /// ({InvalidSerialRange}); `evidenceHash` non-zero ({MissingEvidence}); `to` non-zero ({ZeroAddress}) and
    /// allowlisted when the allowlist is on ({HolderNotAllowlisted}); `to` accepts ERC-1155 tokens if it is a
    /// contract. The range must not intersect any range ever issued under the project's registry code
    /// ({SerialRangeOverlaps}); `serialHint` must be the start of the stored range immediately before the new one,
    /// or 0 if none ({InvalidSerialHint}). The check is O(1) (see {SerialRanges}). Mints
    /// `serialEnd - serialStart + 1` credits. Emits {BatchIssued} then ERC-1155 `TransferSingle`.
    /// @param params The batch data.
    /// @param serialHint Start of the predecessor range under the same registry code, or 0 for the head.
    /// @return batchId The new batch id, which is also its ERC-1155 token id (sequential from 1).
    function issueBatch(BatchParams calldata params, uint128 serialHint) external returns (uint256 batchId);

    /// @notice Freezes a batch under investigation: no transfers and no retirements of it until unfrozen.
    /// @dev Requirements: caller has `VERIFIER_ROLE` (any verifier, not only the issuer); the batch exists
    /// ({BatchNotFound}) and is not frozen ({BatchIsFrozen}). Allowed while paused. Emits {BatchFrozen}.
    /// @param batchId The batch.
    /// @param reasonCode Pilot-defined reason code, stored in the batch.
    function freezeBatch(uint256 batchId, uint8 reasonCode) external;

    /// @notice Releases a frozen batch. Needs someone other than the batch's issuing verifier.
    /// @dev Requirements: caller has `DEFAULT_ADMIN_ROLE`, or has `VERIFIER_ROLE` and is not the batch's issuing
    /// verifier ({IssuerCannotUnfreeze}); the batch exists ({BatchNotFound}) and is frozen ({BatchNotFrozen}). Allowed while paused. Emits {BatchUnfrozen}.
    /// @param batchId The batch.
    /// @param reasonCode Pilot-defined reason code, stored in the batch.
    function unfreezeBatch(uint256 batchId, uint8 reasonCode) external;

    // ---------------------------------------------------------------------------------------------------------
    // Retirement (holders)
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Retires the caller's credits: burns them and records the retirement permanently.
    /// @dev Requirements: not paused; the batch exists ({BatchNotFound}) and is not frozen ({BatchIsFrozen});
    /// `amount > 0` ({ZeroAmount}); the caller holds at least `amount` (`ERC1155InsufficientBalance`);
    /// `reason` is at most `MAX_REASON_LENGTH` bytes ({ReasonTooLong}). Emits ERC-1155 `TransferSingle` (to the
    /// zero address) then {CreditsRetired}.
    /// @param batchId The batch (= token id).
    /// @param amount Credits to retire.
    /// @param beneficiary Keyed hash or short name of the beneficiary; never personal data in clear.
    /// @param reason Retirement message.
    /// @return retirementId The new retirement id (sequential from 1).
    function retire(uint256 batchId, uint256 amount, bytes32 beneficiary, string calldata reason)
        external
        returns (uint256 retirementId);

    /// @notice Retires credits held by `from` on its behalf (retirement brokers).
    /// @dev As {retire}, plus: the caller is `from` or approved for all of `from`'s tokens
    /// (`ERC1155MissingApprovalForAll`). The record's retiree is `from`; the event also names the caller.
    /// @param from Holder whose credits are burned.
    /// @param batchId The batch (= token id).
    /// @param amount Credits to retire.
    /// @param beneficiary Keyed hash or short name of the beneficiary.
    /// @param reason Retirement message.
    /// @return retirementId The new retirement id.
    function retireFrom(address from, uint256 batchId, uint256 amount, bytes32 beneficiary, string calldata reason)
        external
        returns (uint256 retirementId);

    // ---------------------------------------------------------------------------------------------------------
    // Allowlist and pause
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Switches the holder allowlist on or off. When on, only allowlisted addresses may receive credits
    /// (minting and transfers); sending, retiring and burning are not restricted.
    /// @dev Requirements: caller has `DEFAULT_ADMIN_ROLE`. Idempotent. Emits {HolderAllowlistToggled}.
    /// @param enabled New setting.
    function setHolderAllowlistEnabled(bool enabled) external;

    /// @notice Adds holders to, or removes them from, the allowlist.
    /// @dev Requirements: caller has `DEFAULT_ADMIN_ROLE`; at most `MAX_ALLOWLIST_BATCH` holders ({BatchTooLarge});
    /// no zero address ({ZeroAddress}). Emits {HolderAllowlistUpdated} per holder.
    /// @param holders The holders.
    /// @param allowed New setting for all of them.
    function setHolderAllowlisted(address[] calldata holders, bool allowed) external;

    /// @notice Stops issuance, transfers and retirements.
    /// @dev Requirements: caller has `PAUSER_ROLE`; not paused (`EnforcedPause`). Emits `Paused`.
    function pause() external;

    /// @notice Resumes issuance, transfers and retirements.
    /// @dev Requirements: caller has `DEFAULT_ADMIN_ROLE` (a pauser can pause but not unpause, so a pause is
    /// lifted only by the registry admin); paused (`ExpectedPause`). Emits `Unpaused`.
    function unpause() external;

    // ---------------------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Returns a project.
    /// @dev Reverts with {ProjectNotFound} for an unknown id.
    /// @param projectId The project.
    /// @return The project data.
    function project(uint256 projectId) external view returns (Project memory);

    /// @notice Number of projects registered (ids run from 1 to this value).
    /// @return The count.
    function projectCount() external view returns (uint256);

    /// @notice Returns a batch.
    /// @dev Reverts with {BatchNotFound} for an unknown id.
    /// @param batchId The batch.
    /// @return The batch data.
    function batch(uint256 batchId) external view returns (Batch memory);

    /// @notice Number of batches issued (ids run from 1 to this value).
    /// @return The count.
    function batchCount() external view returns (uint256);

    /// @notice Credits issued in a batch (0 for an unknown id).
    /// @param batchId The batch.
    /// @return The amount; equals `totalSupply(batchId) + retired(batchId)`.
    function issued(uint256 batchId) external view returns (uint256);

    /// @notice Credits retired from a batch (0 for an unknown id).
    /// @param batchId The batch.
    /// @return The amount.
    function retired(uint256 batchId) external view returns (uint256);

    /// @notice Whether a batch is frozen (false for an unknown id).
    /// @param batchId The batch.
    /// @return True while frozen.
    function isFrozen(uint256 batchId) external view returns (bool);

    /// @notice Returns a retirement record.
    /// @dev Reverts with {RetirementNotFound} for an unknown id.
    /// @param retirementId The retirement.
    /// @return The record.
    function retirement(uint256 retirementId) external view returns (Retirement memory);

    /// @notice Number of retirements recorded (ids run from 1 to this value).
    /// @return The count.
    function retirementCount() external view returns (uint256);

    /// @notice Reads the serial-range list of a registry code, one node at a time.
    /// @dev `serialRange(registry, 0)` is the head sentinel: `end == 0` and `next` is the first range's start.
    /// For a stored range start, returns its end and the next range's start (0 at the tail). For any other key,
    /// returns `(0, 0)`. Off-chain code walks this list to find the `serialHint` for {issueBatch}.
    /// @param registry Origin registry code.
    /// @param start A range start, or 0 for the head.
    /// @return end Inclusive end of the range (0 if `start` is not stored).
    /// @return next Start of the following range (0 if none).
    function serialRange(bytes32 registry, uint128 start) external view returns (uint128 end, uint128 next);

    /// @notice Whether the holder allowlist is on.
    /// @return The setting.
    function holderAllowlistEnabled() external view returns (bool);

    /// @notice Whether an address is on the holder allowlist (regardless of whether the allowlist is on).
    /// @param holder The address.
    /// @return The flag.
    function isHolderAllowlisted(address holder) external view returns (bool);
}
