// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {ERC1155Supply} from "@openzeppelin/contracts/token/ERC1155/extensions/ERC1155Supply.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IEcoCreditRegistry} from "./IEcoCreditRegistry.sol";
import {SerialRanges} from "./SerialRanges.sol";

/// @title EcoCreditRegistry
/// @notice Eco-credit registry for climate-finance pilots (Toucan / Regen / Verra rules), on OpenZeppelin ERC-1155.
/// @dev
/// Roles:
/// - `DEFAULT_ADMIN_ROLE` (registry admin): registers projects, updates their metadata, runs the holder allowlist,
///   grants and revokes roles.
/// - `VERIFIER_ROLE`: issues batches; freezes any batch (not only its own); unfreezes any batch except one it
///   issued itself (the admin unfreezes those).
/// - `PAUSER_ROLE`: pauses. Only `DEFAULT_ADMIN_ROLE` unpauses, so a pauser (often an operations or incident
///   account) can stop the registry but not restart it on its own.
///
/// Invariants (every override of {_update} must keep them):
/// - For every batch id: `issued(id) == totalSupply(id) + retired(id)`. Tokens are minted only by {issueBatch}
///   (exactly `issued`, once) and burned only by retirement (which adds the same amount to `retired`).
///   `totalSupply(id)` is OpenZeppelin's ERC1155Supply counter, equal to the sum of balances.
/// - Serial ranges never overlap within one registry code, across all batches and projects, ever: ranges are
///   never released, not even after retirement or while frozen (see {SerialRanges} for the O(1) proof).
/// - Retired credits are burned: they cannot move again, and their record never changes.
/// - While a batch is frozen its tokens cannot leave any holder (no transfer, no retirement).
/// - While paused nothing moves: no issuance, transfer or retirement. Admin and verifier bookkeeping (projects,
///   allowlist, freezes) stays available so an incident can be handled during the pause.
///
/// Deliberate choices:
/// - One token unit = one serial number. The amount issued is derived from the range, never passed in, so a
///   batch cannot claim more (or fewer) credits than the serials it immobilises. No decimals.
/// - The serial namespace is the project's origin registry code: two projects of the same registry can never
///   share a serial. The overlap check is a sorted linked list per registry with a caller-supplied predecessor
///   hint verified in O(1); no loop over stored ranges anywhere.
/// - The allowlist restricts receiving only (mint and transfer recipients). A holder removed from the allowlist
///   can still send and retire what it holds.
/// - `retireFrom` lets an operator approved with `setApprovalForAll` retire on a holder's behalf; the record's
///   retiree is the holder.
/// - Freezing is open to any verifier, so a second verifier can stop a suspicious batch without its issuer.
///   Unfreezing needs someone other than the batch's issuing verifier: the admin, or another verifier (review
///   finding 3: before, the verifier a freeze targets could lift it at once and move or retire the credits).
///   Invariant: a frozen batch is never unfrozen by `Batch.verifier`.
/// - The ERC-1155 `uri` is one template for all ids (set at deployment); project documents live in `Project`.
contract EcoCreditRegistry is IEcoCreditRegistry, ERC1155Supply, AccessControl, Pausable {
    using SerialRanges for SerialRanges.List;

    /// @inheritdoc IEcoCreditRegistry
    bytes32 public constant override VERIFIER_ROLE = keccak256("VERIFIER_ROLE");
    /// @inheritdoc IEcoCreditRegistry
    bytes32 public constant override PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @inheritdoc IEcoCreditRegistry
    uint256 public constant override MAX_REASON_LENGTH = 256;
    /// @inheritdoc IEcoCreditRegistry
    uint256 public constant override MAX_URI_LENGTH = 512;
    /// @inheritdoc IEcoCreditRegistry
    uint256 public constant override MAX_ALLOWLIST_BATCH = 200;

    uint256 private _projectCount;
    uint256 private _batchCount;
    uint256 private _retirementCount;
    bool private _allowlistEnabled;

    mapping(uint256 projectId => Project) private _projects;
    mapping(bytes32 registry => mapping(bytes32 externalId => uint256 projectId)) private _projectIndex;
    mapping(uint256 batchId => Batch) private _batches;
    mapping(uint256 retirementId => Retirement) private _retirements;
    mapping(bytes32 registry => SerialRanges.List) private _serials;
    mapping(address holder => bool) private _allowlisted;

    /// @param admin Receives `DEFAULT_ADMIN_ROLE`; grants the other roles afterwards.
    /// @param uri_ ERC-1155 metadata URI template (`{id}` substitution per EIP-1155).
    constructor(address admin, string memory uri_) ERC1155(uri_) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Projects
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IEcoCreditRegistry
    function registerProject(Project calldata p)
        external
        override
        onlyRole(DEFAULT_ADMIN_ROLE)
        returns (uint256 projectId)
    {
        if (p.registry == bytes32(0) || p.externalId == bytes32(0) || p.methodology == bytes32(0)) {
            revert InvalidProjectIdentifier();
        }
        if (!_isCountryCode(p.country)) revert InvalidCountryCode(p.country);
        _checkMetadata(p.metadataURI, p.metadataHash);
        uint256 existing = _projectIndex[p.registry][p.externalId];
        if (existing != 0) revert ProjectAlreadyRegistered(p.registry, p.externalId, existing);

        projectId = ++_projectCount;
        _projects[projectId] = p;
        _projectIndex[p.registry][p.externalId] = projectId;
        emit ProjectRegistered(
            projectId, p.registry, p.externalId, p.methodology, p.country, p.metadataURI, p.metadataHash
        );
    }

    /// @inheritdoc IEcoCreditRegistry
    function updateProjectMetadata(uint256 projectId, string calldata metadataURI, bytes32 metadataHash)
        external
        override
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        Project storage p = _project(projectId);
        _checkMetadata(metadataURI, metadataHash);
        p.metadataURI = metadataURI;
        p.metadataHash = metadataHash;
        emit ProjectMetadataUpdated(projectId, metadataURI, metadataHash);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Batches
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IEcoCreditRegistry
    function issueBatch(BatchParams calldata params, uint128 serialHint)
        external
        override
        onlyRole(VERIFIER_ROLE)
        whenNotPaused
        returns (uint256 batchId)
    {
        bytes32 registry = _project(params.projectId).registry;
        if (
            params.vintageStart == 0 || params.vintageStart > params.vintageEnd
                || params.vintageEnd > block.timestamp
        ) revert InvalidVintage(params.vintageStart, params.vintageEnd);
        if (params.serialStart == 0 || params.serialStart > params.serialEnd) {
            revert InvalidSerialRange(params.serialStart, params.serialEnd);
        }
        if (params.evidenceHash == bytes32(0)) revert MissingEvidence();
        if (params.to == address(0)) revert ZeroAddress();
        // The allowlist is also enforced in {_update}; checking here gives the error before any write.
        _checkReceiver(params.to);

        _serials[registry].insert(params.serialStart, params.serialEnd, serialHint);

        // Cannot overflow: serialStart >= 1, so the count is at most type(uint128).max.
        uint128 amount = params.serialEnd - params.serialStart + 1;
        batchId = ++_batchCount;
        Batch storage b = _batches[batchId];
        b.projectId = uint64(params.projectId); // project ids are sequential counters, far below 2**64
        b.vintageStart = params.vintageStart;
        b.vintageEnd = params.vintageEnd;
        b.issuedAt = uint40(block.timestamp);
        b.verifier = msg.sender;
        b.serialStart = params.serialStart;
        b.serialEnd = params.serialEnd;
        b.issued = amount;
        b.evidenceHash = params.evidenceHash;
        emit BatchIssued(
            batchId,
            params.projectId,
            msg.sender,
            params.to,
            params.serialStart,
            params.serialEnd,
            params.vintageStart,
            params.vintageEnd,
            params.evidenceHash
        );

        // Interaction last: the receiver hook of a contract recipient runs after every write above.
        _mint(params.to, batchId, amount, "");
    }

    /// @inheritdoc IEcoCreditRegistry
    function freezeBatch(uint256 batchId, uint8 reasonCode) external override onlyRole(VERIFIER_ROLE) {
        Batch storage b = _batch(batchId);
        if (b.frozen) revert BatchIsFrozen(batchId);
        b.frozen = true;
        b.freezeReason = reasonCode;
        emit BatchFrozen(batchId, msg.sender, reasonCode);
    }

    /// @inheritdoc IEcoCreditRegistry
    function unfreezeBatch(uint256 batchId, uint8 reasonCode) external override {
        bool admin = hasRole(DEFAULT_ADMIN_ROLE, msg.sender);
        if (!admin) _checkRole(VERIFIER_ROLE);
        Batch storage b = _batch(batchId);
        if (!admin && b.verifier == msg.sender) revert IssuerCannotUnfreeze(batchId, msg.sender);
        if (!b.frozen) revert BatchNotFrozen(batchId);
        b.frozen = false;
        b.freezeReason = reasonCode;
        emit BatchUnfrozen(batchId, msg.sender, reasonCode);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Retirement
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IEcoCreditRegistry
    function retire(uint256 batchId, uint256 amount, bytes32 beneficiary, string calldata reason)
        external
        override
        returns (uint256 retirementId)
    {
        return _retire(msg.sender, batchId, amount, beneficiary, reason);
    }

    /// @inheritdoc IEcoCreditRegistry
    function retireFrom(address from, uint256 batchId, uint256 amount, bytes32 beneficiary, string calldata reason)
        external
        override
        returns (uint256 retirementId)
    {
        if (from != msg.sender && !isApprovedForAll(from, msg.sender)) {
            revert ERC1155MissingApprovalForAll(msg.sender, from);
        }
        return _retire(from, batchId, amount, beneficiary, reason);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Allowlist and pause
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IEcoCreditRegistry
    function setHolderAllowlistEnabled(bool enabled) external override onlyRole(DEFAULT_ADMIN_ROLE) {
        _allowlistEnabled = enabled;
        emit HolderAllowlistToggled(enabled);
    }

    /// @inheritdoc IEcoCreditRegistry
    function setHolderAllowlisted(address[] calldata holders, bool allowed)
        external
        override
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        uint256 n = holders.length;
        if (n > MAX_ALLOWLIST_BATCH) revert BatchTooLarge(n, MAX_ALLOWLIST_BATCH);
        for (uint256 i; i < n; ++i) {
            address holder = holders[i];
            if (holder == address(0)) revert ZeroAddress();
            _allowlisted[holder] = allowed;
            emit HolderAllowlistUpdated(holder, allowed);
        }
    }

    /// @inheritdoc IEcoCreditRegistry
    function pause() external override onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc IEcoCreditRegistry
    function unpause() external override onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IEcoCreditRegistry
    function project(uint256 projectId) external view override returns (Project memory) {
        return _project(projectId);
    }

    /// @inheritdoc IEcoCreditRegistry
    function projectCount() external view override returns (uint256) {
        return _projectCount;
    }

    /// @inheritdoc IEcoCreditRegistry
    function batch(uint256 batchId) external view override returns (Batch memory) {
        return _batch(batchId);
    }

    /// @inheritdoc IEcoCreditRegistry
    function batchCount() external view override returns (uint256) {
        return _batchCount;
    }

    /// @inheritdoc IEcoCreditRegistry
    function issued(uint256 batchId) external view override returns (uint256) {
        return _batches[batchId].issued;
    }

    /// @inheritdoc IEcoCreditRegistry
    function retired(uint256 batchId) external view override returns (uint256) {
        return _batches[batchId].retired;
    }

    /// @inheritdoc IEcoCreditRegistry
    function isFrozen(uint256 batchId) external view override returns (bool) {
        return _batches[batchId].frozen;
    }

    /// @inheritdoc IEcoCreditRegistry
    function retirement(uint256 retirementId) external view override returns (Retirement memory) {
        Retirement storage r = _retirements[retirementId];
        if (r.retiree == address(0)) revert RetirementNotFound(retirementId);
        return r;
    }

    /// @inheritdoc IEcoCreditRegistry
    function retirementCount() external view override returns (uint256) {
        return _retirementCount;
    }

    /// @inheritdoc IEcoCreditRegistry
    function serialRange(bytes32 registry, uint128 start) external view override returns (uint128 end, uint128 next) {
        SerialRanges.Node memory node = _serials[registry].at(start);
        // A key that is neither the sentinel nor a stored start has an empty node: (0, 0).
        return (node.end, node.next);
    }

    /// @inheritdoc IEcoCreditRegistry
    function holderAllowlistEnabled() external view override returns (bool) {
        return _allowlistEnabled;
    }

    /// @inheritdoc IEcoCreditRegistry
    function isHolderAllowlisted(address holder) external view override returns (bool) {
        return _allowlisted[holder];
    }

    /// @dev ERC-1155 and AccessControl both implement ERC-165.
    function supportsInterface(bytes4 interfaceId) public view override(ERC1155, AccessControl) returns (bool) {
        return interfaceId == type(IEcoCreditRegistry).interfaceId || super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------------------

    /// @dev Single choke point for every balance change (mint, transfer, batch transfer, burn).
    /// Enforces: not paused; recipients allowlisted when the allowlist is on; nothing leaves a frozen batch.
    /// The loop is bounded by the caller's own `ids` array, never by stored data.
    function _update(address from, address to, uint256[] memory ids, uint256[] memory values)
        internal
        override
    {
        _requireNotPaused();
        if (to != address(0)) _checkReceiver(to);
        if (from != address(0)) {
            for (uint256 i; i < ids.length; ++i) {
                if (_batches[ids[i]].frozen) revert BatchIsFrozen(ids[i]);
            }
        }
        super._update(from, to, ids, values);
    }

    function _retire(address from, uint256 batchId, uint256 amount, bytes32 beneficiary, string calldata reason)
        private
        returns (uint256 retirementId)
    {
        Batch storage b = _batch(batchId);
        if (amount == 0) revert ZeroAmount();
        if (bytes(reason).length > MAX_REASON_LENGTH) revert ReasonTooLong(bytes(reason).length, MAX_REASON_LENGTH);

        // Checks pause, freeze and balance; burning has no receiver hook, so no external call happens here.
        _burn(from, batchId, amount);

        // Safe casts: amount <= balance <= issued <= type(uint128).max, and batch ids are sequential counters.
        b.retired += uint128(amount);
        retirementId = ++_retirementCount;
        Retirement storage r = _retirements[retirementId];
        r.retiree = from;
        r.retiredAt = uint40(block.timestamp);
        r.batchId = uint128(batchId);
        r.amount = uint128(amount);
        r.beneficiary = beneficiary;
        r.reason = reason;
        emit CreditsRetired(retirementId, batchId, from, msg.sender, beneficiary, amount, reason);
    }

    function _checkReceiver(address to) private view {
        if (_allowlistEnabled && !_allowlisted[to]) revert HolderNotAllowlisted(to);
    }

    function _project(uint256 projectId) private view returns (Project storage p) {
        p = _projects[projectId];
        if (p.registry == bytes32(0)) revert ProjectNotFound(projectId);
    }

    function _batch(uint256 batchId) private view returns (Batch storage b) {
        b = _batches[batchId];
        if (b.issuedAt == 0) revert BatchNotFound(batchId);
    }

    function _checkMetadata(string calldata uri_, bytes32 hash) private pure {
        uint256 len = bytes(uri_).length;
        if (len == 0 || len > MAX_URI_LENGTH || hash == bytes32(0)) revert InvalidMetadata();
    }

    function _isCountryCode(bytes2 c) private pure returns (bool) {
        bytes1 a = c[0];
        bytes1 b = c[1];
        return a >= "A" && a <= "Z" && b >= "A" && b <= "Z";
    }
}
