// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {ICertificateRegistry} from "./ICertificateRegistry.sol";

/// @title CertificateRegistry
/// @notice Certificate registry (OpenCerts / EAS / Blockcerts style) with one status model for single
/// certificates and Merkle batches.
/// @dev
/// Roles:
/// - `DEFAULT_ADMIN_ROLE` (admin): accredits issuers and withdraws accreditation; oversight of every record (may
///   revoke, suspend, reinstate and supersede any record or document, also while paused).
/// - `ISSUER_ROLE` (accredited issuer): issues, and changes the status of its own records and documents.
/// - `PAUSER_ROLE`: pauses. Only `DEFAULT_ADMIN_ROLE` unpauses, so a pauser can stop the registry but not
///   restart it on its own.
///
/// Invariants:
/// - Records are issuer-scoped: every record, replacement, override and detail is keyed by (issuer, root), and
///   `verify`, `record`, `documentOverride`, `certificateDetails` and every status change name the issuer they
///   act on. A (issuer, root) key is written once: an issuer can issue a root (or a single document) only once.
///   Another issuer anchoring the same root, the same document (`leafOf(docHash)`) or an inner node of this
///   issuer's tree creates a record of its own, under its own address: it can never pre-empt this issuer's
///   issuance (no `AlreadyIssued` across issuers), never change the status of this issuer's records, and a
///   proof checked against this issuer only ever reaches records this issuer anchored (review finding 1: before,
///   records were keyed by the bare root, so the first issuer to submit a root owned it).
/// - Records and overrides are never deleted. Revoked is terminal; Superseded can only become Revoked.
/// - `verify` never reverts and never reads as a generic failure: no record is Unknown, a revoked document is
///   Revoked with its reason code.
/// - Overrides of documents inside a batch are keyed by (issuer, root, docHash), never by docHash alone: an
///   issuer can only affect documents under its own records, even if another issuer's batch has the same hash.
/// - A proof starts at a leaf, never at an inner node: leaves are double-hashed, so no 64-byte inner-node
///   preimage is ever a leaf. A stored record that happens to be an inner node of another tree reads only for
///   the issuer that anchored it (that issuer's own claim, named in the answer); an inner node of a revoked
///   batch re-anchored by anyone else never makes the revoked issuer's documents read as valid.
///
/// Deliberate choices:
/// - A single certificate is a one-leaf tree: its key is `leafOf(docHash)` and it verifies with an empty proof.
///   Singles and batches share one mapping, one lookup and one status code path.
/// - A batch stores one slot (issuer, issued-at, expiry, status, reason): constant gas whatever its size. Its
///   schema id is in the {BatchIssued} event only. Expiry is per batch; per-document expiry needs single issuance.
/// - The same document hash may sit under several roots (or as a single certificate) and under several issuers;
///   the issuer a relying party asks about and the proof the document carries select which issuance is verified.
///   There is no issuer-less `verify`: "valid" is always "valid as issued by this issuer".
/// - Signatures go through OpenZeppelin `SignatureChecker`: ECDSA for EOAs (rejects high-s and invalid v), ERC-1271
///   for contract issuers such as multisigs. Accreditation is checked at execution time, not signing time.
/// - While paused, issuance and issuers' status changes stop; the admin can still act on records (an incident,
///   such as a compromised issuer key, is handled during the pause). `verify` always works.
/// - Withdrawing accreditation does not invalidate past records; the admin revokes them explicitly if needed.
contract CertificateRegistry is ICertificateRegistry, AccessControl, Pausable, EIP712 {
    /// @inheritdoc ICertificateRegistry
    bytes32 public constant override ISSUER_ROLE = keccak256("ISSUER_ROLE");
    /// @inheritdoc ICertificateRegistry
    bytes32 public constant override PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @inheritdoc ICertificateRegistry
    uint256 public constant override MAX_NAME_LENGTH = 256;
    /// @inheritdoc ICertificateRegistry
    bytes32 public constant override ISSUE_CERTIFICATE_TYPEHASH = keccak256(
        "IssueCertificate(bytes32 docHash,bytes32 subject,uint64 expiresAt,bytes32 schemaId,uint256 deadline)"
    );
    /// @inheritdoc ICertificateRegistry
    bytes32 public constant override ISSUE_BATCH_TYPEHASH =
        keccak256("IssueBatch(bytes32 root,uint64 expiresAt,bytes32 schemaId,uint256 deadline)");

    struct Details {
        bytes32 subject;
        bytes32 schemaId;
    }

    mapping(address issuer => mapping(bytes32 root => Record)) private _records;
    mapping(address issuer => mapping(bytes32 root => bytes32 replacement)) private _replacements;
    mapping(address issuer => mapping(bytes32 root => mapping(bytes32 docHash => DocumentOverride))) private _overrides;
    mapping(address issuer => mapping(bytes32 root => Details)) private _details;
    mapping(address issuer => string) private _issuerNames;

    /// @param admin Receives `DEFAULT_ADMIN_ROLE`; accredits issuers and grants the pauser role afterwards.
    constructor(address admin) EIP712("pilotkit CertificateRegistry", "1") {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Issuers
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc ICertificateRegistry
    function accreditIssuer(address issuer, string calldata name) external override onlyRole(DEFAULT_ADMIN_ROLE) {
        if (issuer == address(0)) revert ZeroAddress();
        uint256 len = bytes(name).length;
        if (len == 0 || len > MAX_NAME_LENGTH) revert InvalidIssuerName();
        _issuerNames[issuer] = name;
        _grantRole(ISSUER_ROLE, issuer);
        emit IssuerAccredited(issuer, name);
    }

    /// @inheritdoc ICertificateRegistry
    function withdrawAccreditation(address issuer) external override onlyRole(DEFAULT_ADMIN_ROLE) {
        if (!hasRole(ISSUER_ROLE, issuer)) revert IssuerNotAccredited(issuer);
        _revokeRole(ISSUER_ROLE, issuer);
        emit IssuerAccreditationWithdrawn(issuer);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Issuance
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc ICertificateRegistry
    function issue(bytes32 docHash, bytes32 subject, uint64 expiresAt, bytes32 schemaId)
        external
        override
        onlyRole(ISSUER_ROLE)
        whenNotPaused
        returns (bytes32 root)
    {
        return _issueCertificate(msg.sender, docHash, subject, expiresAt, schemaId);
    }

    /// @inheritdoc ICertificateRegistry
    function issueBatch(bytes32 root, uint64 expiresAt, bytes32 schemaId)
        external
        override
        onlyRole(ISSUER_ROLE)
        whenNotPaused
    {
        _issueBatch(msg.sender, root, expiresAt, schemaId);
    }

    /// @inheritdoc ICertificateRegistry
    function issueWithSig(
        CertificateRequest calldata request,
        address issuer,
        uint256 deadline,
        bytes calldata signature
    ) external override whenNotPaused returns (bytes32 root) {
        bytes32 structHash = keccak256(
            abi.encode(
                ISSUE_CERTIFICATE_TYPEHASH,
                request.docHash,
                request.subject,
                request.expiresAt,
                request.schemaId,
                deadline
            )
        );
        _checkSignedRequest(structHash, issuer, deadline, signature);
        return _issueCertificate(issuer, request.docHash, request.subject, request.expiresAt, request.schemaId);
    }

    /// @inheritdoc ICertificateRegistry
    function issueBatchWithSig(
        BatchRequest calldata request,
        address issuer,
        uint256 deadline,
        bytes calldata signature
    ) external override whenNotPaused {
        bytes32 structHash = keccak256(
            abi.encode(ISSUE_BATCH_TYPEHASH, request.root, request.expiresAt, request.schemaId, deadline)
        );
        _checkSignedRequest(structHash, issuer, deadline, signature);
        _issueBatch(issuer, request.root, request.expiresAt, request.schemaId);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Document status
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc ICertificateRegistry
    function revoke(address issuer, bytes32 docHash, bytes32[] calldata proof, uint8 reasonCode) external override {
        bytes32 root = _changeDocument(issuer, docHash, proof, Status.Revoked, reasonCode, bytes32(0));
        emit DocumentRevoked(issuer, root, docHash, msg.sender, reasonCode);
    }

    /// @inheritdoc ICertificateRegistry
    function suspend(address issuer, bytes32 docHash, bytes32[] calldata proof, uint8 reasonCode) external override {
        bytes32 root = _changeDocument(issuer, docHash, proof, Status.Suspended, reasonCode, bytes32(0));
        emit DocumentSuspended(issuer, root, docHash, msg.sender, reasonCode);
    }

    /// @inheritdoc ICertificateRegistry
    function reinstate(address issuer, bytes32 docHash, bytes32[] calldata proof) external override {
        bytes32 root = _changeDocument(issuer, docHash, proof, Status.Valid, 0, bytes32(0));
        emit DocumentReinstated(issuer, root, docHash, msg.sender);
    }

    /// @inheritdoc ICertificateRegistry
    function supersede(address issuer, bytes32 docHash, bytes32[] calldata proof, bytes32 replacement)
        external
        override
    {
        if (replacement == bytes32(0) || replacement == docHash) revert InvalidReplacement(replacement);
        bytes32 root = _changeDocument(issuer, docHash, proof, Status.Superseded, 0, replacement);
        emit DocumentSuperseded(issuer, root, docHash, msg.sender, replacement);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Record status
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc ICertificateRegistry
    function revokeBatch(address issuer, bytes32 root, uint8 reasonCode) external override {
        _changeRecord(issuer, root, Status.Revoked, reasonCode, bytes32(0));
        emit BatchRevoked(issuer, root, msg.sender, reasonCode);
    }

    /// @inheritdoc ICertificateRegistry
    function suspendBatch(address issuer, bytes32 root, uint8 reasonCode) external override {
        _changeRecord(issuer, root, Status.Suspended, reasonCode, bytes32(0));
        emit BatchSuspended(issuer, root, msg.sender, reasonCode);
    }

    /// @inheritdoc ICertificateRegistry
    function reinstateBatch(address issuer, bytes32 root) external override {
        _changeRecord(issuer, root, Status.Valid, 0, bytes32(0));
        emit BatchReinstated(issuer, root, msg.sender);
    }

    /// @inheritdoc ICertificateRegistry
    function supersedeBatch(address issuer, bytes32 root, bytes32 replacement) external override {
        if (replacement == bytes32(0) || replacement == root) revert InvalidReplacement(replacement);
        _changeRecord(issuer, root, Status.Superseded, 0, replacement);
        emit BatchSuperseded(issuer, root, msg.sender, replacement);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Pause
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc ICertificateRegistry
    function pause() external override onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc ICertificateRegistry
    function unpause() external override onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc ICertificateRegistry
    function verify(address issuer, bytes32 docHash, bytes32[] calldata proof)
        external
        view
        override
        returns (Verification memory result)
    {
        bytes32 root = MerkleProof.processProofCalldata(proof, _leaf(docHash));
        Record memory rec = _records[issuer][root];
        if (rec.issuer == address(0)) return result; // Unknown, all fields zero

        result.issuer = rec.issuer;
        result.issuedAt = rec.issuedAt;
        result.expiresAt = rec.expiresAt;
        result.root = root;

        // Document-level override: only for a document inside a multi-leaf batch (a non-empty proof).
        // With an empty proof the record itself is the document, so its status is the record's.
        DocumentOverride memory doc;
        if (proof.length != 0) doc = _overrides[issuer][root][docHash];

        if (doc.status == Status.Revoked) {
            _decide(result, Status.Revoked, doc.reasonCode, doc.replacement);
        } else if (rec.status == Status.Revoked) {
            _decide(result, Status.Revoked, rec.reasonCode, _replacements[issuer][root]);
        } else if (doc.status == Status.Superseded) {
            _decide(result, Status.Superseded, 0, doc.replacement);
        } else if (rec.status == Status.Superseded) {
            _decide(result, Status.Superseded, 0, _replacements[issuer][root]);
        } else if (doc.status == Status.Suspended) {
            _decide(result, Status.Suspended, doc.reasonCode, bytes32(0));
        } else if (rec.status == Status.Suspended) {
            _decide(result, Status.Suspended, rec.reasonCode, bytes32(0));
        } else if (rec.expiresAt != 0 && block.timestamp >= rec.expiresAt) {
            result.status = Status.Expired;
        } else {
            result.status = Status.Valid;
        }
    }

    /// @inheritdoc ICertificateRegistry
    function record(address issuer, bytes32 root)
        external
        view
        override
        returns (Record memory rec, bytes32 replacement)
    {
        return (_records[issuer][root], _replacements[issuer][root]);
    }

    /// @inheritdoc ICertificateRegistry
    function documentOverride(address issuer, bytes32 root, bytes32 docHash)
        external
        view
        override
        returns (DocumentOverride memory)
    {
        return _overrides[issuer][root][docHash];
    }

    /// @inheritdoc ICertificateRegistry
    function certificateDetails(address issuer, bytes32 docHash)
        external
        view
        override
        returns (bytes32 subject, bytes32 schemaId)
    {
        Details storage d = _details[issuer][_leaf(docHash)];
        return (d.subject, d.schemaId);
    }

    /// @inheritdoc ICertificateRegistry
    function issuerName(address issuer) external view override returns (string memory) {
        return _issuerNames[issuer];
    }

    /// @inheritdoc ICertificateRegistry
    function isAccredited(address account) external view override returns (bool) {
        return hasRole(ISSUER_ROLE, account);
    }

    /// @inheritdoc ICertificateRegistry
    function leafOf(bytes32 docHash) external pure override returns (bytes32) {
        return _leaf(docHash);
    }

    /// @dev Adds this registry's interface id to AccessControl's ERC-165 answer.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(ICertificateRegistry).interfaceId || super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------------------

    /// @dev Every grant of `ISSUER_ROLE`, including a plain `grantRole`, needs a name on file (set by
    /// {accreditIssuer}), so every accredited issuer has a display name or DID.
    function _grantRole(bytes32 role, address account) internal override returns (bool) {
        if (role == ISSUER_ROLE && bytes(_issuerNames[account]).length == 0) revert InvalidIssuerName();
        return super._grantRole(role, account);
    }

    function _issueCertificate(address issuer, bytes32 docHash, bytes32 subject, uint64 expiresAt, bytes32 schemaId)
        private
        returns (bytes32 root)
    {
        if (docHash == bytes32(0)) revert ZeroHash();
        root = _leaf(docHash);
        _writeRecord(issuer, root, expiresAt);
        _details[issuer][root] = Details({subject: subject, schemaId: schemaId});
        emit CertificateIssued(docHash, issuer, subject, schemaId, expiresAt, root);
    }

    function _issueBatch(address issuer, bytes32 root, uint64 expiresAt, bytes32 schemaId) private {
        if (root == bytes32(0)) revert ZeroHash();
        _writeRecord(issuer, root, expiresAt);
        emit BatchIssued(root, issuer, schemaId, expiresAt);
    }

    /// @dev One SSTORE: the whole record fits one slot. The key is (issuer, root): another issuer's record with
    /// the same root is a different record and is never read here.
    function _writeRecord(address issuer, bytes32 root, uint64 expiresAt) private {
        if (expiresAt != 0 && (expiresAt <= block.timestamp || expiresAt > type(uint40).max)) {
            revert InvalidExpiry(expiresAt);
        }
        if (_records[issuer][root].issuer != address(0)) revert AlreadyIssued(root);
        _records[issuer][root] = Record({
            issuer: issuer,
            issuedAt: uint40(block.timestamp),
            expiresAt: uint40(expiresAt),
            status: Status.Valid,
            reasonCode: 0
        });
    }

    function _checkSignedRequest(bytes32 structHash, address issuer, uint256 deadline, bytes calldata signature)
        private
        view
    {
        if (block.timestamp > deadline) revert DeadlineExpired(deadline);
        if (!hasRole(ISSUER_ROLE, issuer)) revert IssuerNotAccredited(issuer);
        if (!SignatureChecker.isValidSignatureNow(issuer, _hashTypedDataV4(structHash), signature)) {
            revert InvalidSignature();
        }
    }

    /// @dev Locates the document like {verify}, authorises the caller and applies `target` to the record (empty
    /// proof) or to the document's override (non-empty proof). Returns the record key.
    function _changeDocument(
        address issuer,
        bytes32 docHash,
        bytes32[] calldata proof,
        Status target,
        uint8 reasonCode,
        bytes32 replacement
    ) private returns (bytes32 root) {
        root = MerkleProof.processProofCalldata(proof, _leaf(docHash));
        if (proof.length == 0) {
            _changeRecord(issuer, root, target, reasonCode, replacement);
            return root;
        }
        _authorize(issuer, root);
        DocumentOverride storage o = _overrides[issuer][root][docHash];
        Status current = o.status == Status.Unknown ? Status.Valid : o.status;
        _checkTransition(current, target);
        o.status = target;
        if (target == Status.Revoked || target == Status.Suspended) o.reasonCode = reasonCode;
        if (target == Status.Superseded) o.replacement = replacement;
    }

    /// @dev Authorises the caller and applies `target` to `issuer`'s record with key `root`.
    function _changeRecord(address issuer, bytes32 root, Status target, uint8 reasonCode, bytes32 replacement)
        private
    {
        _authorize(issuer, root);
        Record storage rec = _records[issuer][root];
        _checkTransition(rec.status, target);
        rec.status = target;
        if (target == Status.Revoked || target == Status.Suspended) rec.reasonCode = reasonCode;
        if (target == Status.Superseded) _replacements[issuer][root] = replacement;
    }

    /// @dev `issuer`'s record `root` must exist. The admin may always act; otherwise the caller must be that
    /// issuer, still accredited, and the registry must not be paused.
    function _authorize(address issuer, bytes32 root) private view {
        if (_records[issuer][root].issuer == address(0)) revert RecordNotFound(root);
        if (hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) return;
        if (issuer != msg.sender || !hasRole(ISSUER_ROLE, msg.sender)) {
            revert UnauthorizedStatusChange(msg.sender, root);
        }
        _requireNotPaused();
    }

    /// @dev Allowed overrides: Valid -> Suspended; Suspended -> Valid (reinstate); Valid or Suspended ->
    /// Superseded; anything but Revoked -> Revoked.
    function _checkTransition(Status current, Status target) private pure {
        bool ok;
        if (target == Status.Revoked) ok = current != Status.Revoked;
        else if (target == Status.Suspended) ok = current == Status.Valid;
        else if (target == Status.Valid) ok = current == Status.Suspended;
        else if (target == Status.Superseded) ok = current == Status.Valid || current == Status.Suspended;
        if (!ok) revert InvalidStatusTransition(current, target);
    }

    function _decide(Verification memory result, Status status, uint8 reasonCode, bytes32 replacement)
        private
        pure
    {
        result.status = status;
        result.reasonCode = reasonCode;
        result.replacement = replacement;
    }

    function _leaf(bytes32 docHash) private pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(docHash))));
    }
}
