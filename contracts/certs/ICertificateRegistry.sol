// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IPilotErrors} from "../common/IPilotErrors.sol";

/// @title ICertificateRegistry
/// @notice Certificate registry for diplomas, vaccination and training certificates and land-title documents:
/// accredited issuers anchor document hashes (one by one, or a whole batch as one Merkle root), manage their
/// status (revoke, suspend, reinstate, supersede) and anyone verifies a document with one view call.
/// @dev Only hashes are stored: a document hash, a keyed hash (HMAC, computed off chain) of the subject, a schema
/// id. Never personal data.
///
/// Records. Every issuance creates one record keyed by its issuer and a Merkle root. A batch's key is (issuer,
/// root); a single certificate's key is (issuer, `leafOf(docHash)`), i.e. a one-leaf tree. Two issuers that
/// anchor the same root or document hold two independent records; every view and status change names the issuer. A document is located by hashing it to its leaf
/// and folding the proof it carries (`MerkleProof.processProof`, sorted pairs): empty proof for a single
/// certificate, the batch proof otherwise. Leaves are double-hashed:
/// `leafOf(docHash) = keccak256(bytes.concat(keccak256(abi.encode(docHash))))`.
///
/// Status. A record (single certificate or whole batch) carries a status override, and each document inside a
/// multi-leaf batch may carry its own override, keyed by (issuer, root, docHash). `verify` combines them, most severe
/// first: Revoked (document, then record) > Superseded (document, then record) > Suspended (document, then
/// record) > Expired > Valid. Unknown means no record. In storage, `Status.Valid` (or `Unknown` for a document
/// never overridden) means "no override"; only Suspended, Revoked and Superseded are ever stored as overrides.
///
/// The OpenZeppelin errors `AccessControlUnauthorizedAccount`, `EnforcedPause` and `ExpectedPause` are raised
/// by the implementation and not repeated here. The shared errors `ZeroAddress`, `DeadlineExpired` and
/// `InvalidSignature` come from {IPilotErrors}.
interface ICertificateRegistry is IPilotErrors {
    // ---------------------------------------------------------------------------------------------------------
    // Types
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Status of a document as seen by {verify}; also used for stored overrides (see contract doc).
    enum Status {
        Unknown,
        Valid,
        Expired,
        Suspended,
        Revoked,
        Superseded
    }

    /// @notice One issuance: a single certificate or a Merkle batch, packed in one storage slot (its replacement,
    /// if superseded, is stored apart and returned by {record}).
    /// @param issuer Accredited issuer that issued it (zero: no record).
    /// @param issuedAt Block timestamp of issuance.
    /// @param expiresAt Expiry (unix seconds); 0 = never expires. Documents are Expired from this second on.
    /// @param status Override: Valid (none), Suspended, Revoked or Superseded.
    /// @param reasonCode Reason code of the last revoke or suspend (pilot-defined table, e.g. RFC 5280 codes).
    struct Record {
        address issuer;
        uint40 issuedAt;
        uint40 expiresAt;
        Status status;
        uint8 reasonCode;
    }

    /// @notice Status override of one document inside a multi-leaf batch, keyed by (root, docHash).
    /// @param status Override: Unknown or Valid (none), Suspended, Revoked or Superseded.
    /// @param reasonCode Reason code of the last revoke or suspend.
    /// @param replacement Replacement document hash, set when superseded.
    struct DocumentOverride {
        Status status;
        uint8 reasonCode;
        bytes32 replacement;
    }

    /// @notice Answer of {verify}.
    /// @param status Effective status.
    /// @param issuer Issuer of the record (zero when Unknown).
    /// @param issuedAt Issuance time of the record.
    /// @param expiresAt Expiry of the record (0 = never).
    /// @param reasonCode Reason code of the deciding override (Revoked or Suspended), else 0.
    /// @param replacement Replacement of the deciding override (Superseded; kept if later Revoked), else 0.
    /// @param root Key of the record the document resolved to (`leafOf(docHash)` for a single certificate).
    struct Verification {
        Status status;
        address issuer;
        uint64 issuedAt;
        uint64 expiresAt;
        uint8 reasonCode;
        bytes32 replacement;
        bytes32 root;
    }

    /// @notice Signed request to issue one certificate (EIP-712 type `IssueCertificate`).
    /// @param docHash Hash of the document.
    /// @param subject Keyed hash (HMAC) of the subject, computed off chain; may be zero for documents without one.
    /// @param expiresAt Expiry (unix seconds), 0 = never.
    /// @param schemaId Schema or document-type id.
    struct CertificateRequest {
        bytes32 docHash;
        bytes32 subject;
        uint64 expiresAt;
        bytes32 schemaId;
    }

    /// @notice Signed request to issue a Merkle batch (EIP-712 type `IssueBatch`).
    /// @param root Merkle root of the batch (double-hashed leaves, sorted pairs).
    /// @param expiresAt Expiry of every document in the batch, 0 = never.
    /// @param schemaId Schema or document-type id of the batch.
    struct BatchRequest {
        bytes32 root;
        uint64 expiresAt;
        bytes32 schemaId;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------------------

    /// @notice An issuer name was empty or longer than `MAX_NAME_LENGTH` bytes, or the issuer role was granted
    /// to an account that has no name yet (use {accreditIssuer}).
    error InvalidIssuerName();

    /// @notice The account is not an accredited issuer.
    /// @param account The account.
    error IssuerNotAccredited(address account);

    /// @notice A document hash, root or replacement was zero.
    error ZeroHash();

    /// @notice An expiry was not in the future or does not fit 40 bits (0 = never is always accepted).
    /// @param expiresAt The rejected expiry.
    error InvalidExpiry(uint64 expiresAt);

    /// @notice The issuing issuer already has a record with this key: an issuer issues a document or root once.
    /// (Another issuer's record with the same root never causes this.)
    /// @param root Record key (`leafOf(docHash)` for a single certificate).
    error AlreadyIssued(bytes32 root);

    /// @notice The named issuer has no record matching the document and proof (or the root).
    /// @param root The key that was looked up.
    error RecordNotFound(bytes32 root);

    /// @notice The caller may not change this record's or document's status.
    /// @param caller The caller.
    /// @param root The record key.
    error UnauthorizedStatusChange(address caller, bytes32 root);

    /// @notice The requested status change is not allowed from the current override.
    /// @param current Current override (Valid = none).
    /// @param requested Requested override (Valid = reinstate).
    error InvalidStatusTransition(Status current, Status requested);

    /// @notice A replacement was zero or equal to the document it replaces.
    /// @param replacement The rejected replacement.
    error InvalidReplacement(bytes32 replacement);


    // ---------------------------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------------------------

    /// @notice An issuer was accredited, or its display name changed.
    /// @param issuer The issuer.
    /// @param name Display name or DID.
    event IssuerAccredited(address indexed issuer, string name);

    /// @notice An issuer's accreditation was withdrawn; its records keep their status.
    /// @param issuer The issuer.
    event IssuerAccreditationWithdrawn(address indexed issuer);

    /// @notice A single certificate was issued.
    /// @param docHash Document hash.
    /// @param issuer Issuer.
    /// @param subject Keyed hash of the subject.
    /// @param schemaId Schema id.
    /// @param expiresAt Expiry, 0 = never.
    /// @param root Record key, `leafOf(docHash)`.
    event CertificateIssued(
        bytes32 indexed docHash,
        address indexed issuer,
        bytes32 indexed subject,
        bytes32 schemaId,
        uint64 expiresAt,
        bytes32 root
    );

    /// @notice A Merkle batch was issued.
    /// @param root Merkle root.
    /// @param issuer Issuer.
    /// @param schemaId Schema id (recorded only in this event).
    /// @param expiresAt Expiry of every document in the batch, 0 = never.
    event BatchIssued(bytes32 indexed root, address indexed issuer, bytes32 indexed schemaId, uint64 expiresAt);

    /// @notice A document was revoked (a single certificate: `root == leafOf(docHash)`).
    /// @param issuer Issuer whose record holds the document.
    /// @param root Record key.
    /// @param docHash Document hash.
    /// @param by Caller (issuer or admin).
    /// @param reasonCode Reason code.
    event DocumentRevoked(
        address indexed issuer, bytes32 indexed root, bytes32 indexed docHash, address by, uint8 reasonCode
    );

    /// @notice A document was suspended.
    /// @param issuer Issuer whose record holds the document.
    /// @param root Record key.
    /// @param docHash Document hash.
    /// @param by Caller.
    /// @param reasonCode Reason code.
    event DocumentSuspended(
        address indexed issuer, bytes32 indexed root, bytes32 indexed docHash, address by, uint8 reasonCode
    );

    /// @notice A suspended document was reinstated.
    /// @param issuer Issuer whose record holds the document.
    /// @param root Record key.
    /// @param docHash Document hash.
    /// @param by Caller.
    event DocumentReinstated(address indexed issuer, bytes32 indexed root, bytes32 indexed docHash, address by);

    /// @notice A document was superseded by a replacement document.
    /// @param issuer Issuer whose record holds the document.
    /// @param root Record key.
    /// @param docHash Document hash.
    /// @param by Caller.
    /// @param replacement Replacement document hash.
    event DocumentSuperseded(
        address indexed issuer, bytes32 indexed root, bytes32 indexed docHash, address by, bytes32 replacement
    );

    /// @notice A whole record (batch or single certificate, by key) was revoked.
    /// @param issuer Issuer of the record.
    /// @param root Record key.
    /// @param by Caller.
    /// @param reasonCode Reason code.
    event BatchRevoked(address indexed issuer, bytes32 indexed root, address indexed by, uint8 reasonCode);

    /// @notice A whole record was suspended.
    /// @param issuer Issuer of the record.
    /// @param root Record key.
    /// @param by Caller.
    /// @param reasonCode Reason code.
    event BatchSuspended(address indexed issuer, bytes32 indexed root, address indexed by, uint8 reasonCode);

    /// @notice A suspended record was reinstated.
    /// @param issuer Issuer of the record.
    /// @param root Record key.
    /// @param by Caller.
    event BatchReinstated(address indexed issuer, bytes32 indexed root, address indexed by);

    /// @notice A whole record was superseded by a replacement root (or document hash).
    /// @param issuer Issuer of the record.
    /// @param root Record key.
    /// @param by Caller.
    /// @param replacement Replacement root.
    event BatchSuperseded(address indexed issuer, bytes32 indexed root, address indexed by, bytes32 replacement);

    // ---------------------------------------------------------------------------------------------------------
    // Constants
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Role of accredited issuers (granted through {accreditIssuer}).
    /// @return The role id, `keccak256("ISSUER_ROLE")`.
    function ISSUER_ROLE() external view returns (bytes32);

    /// @notice Role that pauses the registry (unpausing needs `DEFAULT_ADMIN_ROLE`).
    /// @return The role id, `keccak256("PAUSER_ROLE")`.
    function PAUSER_ROLE() external view returns (bytes32);

    /// @notice Longest issuer name or DID accepted, in bytes.
    /// @return The limit.
    function MAX_NAME_LENGTH() external view returns (uint256);

    /// @notice EIP-712 type hash of
    /// `IssueCertificate(bytes32 docHash,bytes32 subject,uint64 expiresAt,bytes32 schemaId,uint256 deadline)`.
    /// @return The type hash.
    function ISSUE_CERTIFICATE_TYPEHASH() external view returns (bytes32);

    /// @notice EIP-712 type hash of `IssueBatch(bytes32 root,uint64 expiresAt,bytes32 schemaId,uint256 deadline)`.
    /// @return The type hash.
    function ISSUE_BATCH_TYPEHASH() external view returns (bytes32);

    // ---------------------------------------------------------------------------------------------------------
    // Issuers (admin)
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Accredits an issuer with a display name or DID, or renames an accredited one.
    /// @dev Requirements: caller has `DEFAULT_ADMIN_ROLE`; `issuer` non-zero ({ZeroAddress}); `name` is
    /// 1..`MAX_NAME_LENGTH` bytes ({InvalidIssuerName}). Grants `ISSUER_ROLE` (emits `RoleGranted` if new), then
    /// emits {IssuerAccredited}. Allowed while paused. A plain `grantRole(ISSUER_ROLE, a)` works only for an
    /// account that already has a name ({InvalidIssuerName}).
    /// @param issuer The issuer.
    /// @param name Display name or DID.
    function accreditIssuer(address issuer, string calldata name) external;

    /// @notice Withdraws an issuer's accreditation. Its records keep their status and stay verifiable; it can no
    /// longer issue or change statuses (the admin still can).
    /// @dev Requirements: caller has `DEFAULT_ADMIN_ROLE`; `issuer` is accredited ({IssuerNotAccredited}).
    /// Revokes `ISSUER_ROLE` (emits `RoleRevoked`), then emits {IssuerAccreditationWithdrawn}. The name is kept
    /// so that past records still display it.
    /// @param issuer The issuer.
    function withdrawAccreditation(address issuer) external;

    // ---------------------------------------------------------------------------------------------------------
    // Issuance
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Issues one certificate.
    /// @dev Requirements: caller has `ISSUER_ROLE`; not paused; `docHash` non-zero ({ZeroHash}); `expiresAt` is 0
    /// or in the future and below 2**40 ({InvalidExpiry}); the caller has no record with key `leafOf(docHash)`
    /// ({AlreadyIssued}; other issuers' records do not count).
    /// Emits {CertificateIssued}.
    /// @param docHash Document hash.
    /// @param subject Keyed hash of the subject (zero if none).
    /// @param expiresAt Expiry, 0 = never.
    /// @param schemaId Schema id.
    /// @return root The record key, `leafOf(docHash)`.
    function issue(bytes32 docHash, bytes32 subject, uint64 expiresAt, bytes32 schemaId)
        external
        returns (bytes32 root);

    /// @notice Issues a batch of documents as one Merkle root; gas does not depend on the batch size.
    /// @dev Requirements: caller has `ISSUER_ROLE`; not paused; `root` non-zero ({ZeroHash}); `expiresAt` as in
    /// {issue} ({InvalidExpiry}); the caller has no record with key `root` ({AlreadyIssued}; other issuers'
    /// records with the same root do not count). One storage write. Emits
    /// {BatchIssued}.
    /// @param root Merkle root over `leafOf(docHash)` of every document (sorted-pair hashing, OpenZeppelin
    /// `MerkleProof` / `StandardMerkleTree` compatible).
    /// @param expiresAt Expiry of every document, 0 = never.
    /// @param schemaId Schema id (recorded in the event only).
    function issueBatch(bytes32 root, uint64 expiresAt, bytes32 schemaId) external;

    /// @notice Issues one certificate signed off chain by an accredited issuer; anyone may relay it.
    /// @dev Requirements: not paused; `block.timestamp <= deadline` ({DeadlineExpired}); `issuer` is accredited
    /// ({IssuerNotAccredited}); `signature` is `issuer`'s EIP-712 signature of `IssueCertificate` under this
    /// contract's domain (name "pilotkit CertificateRegistry", version "1", chain id, this address): ECDSA with
    /// low s for an EOA, ERC-1271 for a contract ({InvalidSignature}); then as {issue}. Replay is impossible: the
    /// document can be issued only once ({AlreadyIssued}), and the domain binds chain and contract. Emits
    /// {CertificateIssued}.
    /// @param request The certificate.
    /// @param issuer The signing issuer.
    /// @param deadline Last timestamp at which the signature may be used.
    /// @param signature The signature (65-byte r,s,v for an EOA).
    /// @return root The record key, `leafOf(request.docHash)`.
    function issueWithSig(
        CertificateRequest calldata request,
        address issuer,
        uint256 deadline,
        bytes calldata signature
    ) external returns (bytes32 root);

    /// @notice Issues a Merkle batch signed off chain by an accredited issuer; anyone may relay it.
    /// @dev As {issueWithSig} with EIP-712 type `IssueBatch`, then as {issueBatch}. Emits {BatchIssued}.
    /// @param request The batch.
    /// @param issuer The signing issuer.
    /// @param deadline Last timestamp at which the signature may be used.
    /// @param signature The signature.
    function issueBatchWithSig(
        BatchRequest calldata request,
        address issuer,
        uint256 deadline,
        bytes calldata signature
    ) external;

    // ---------------------------------------------------------------------------------------------------------
    // Document status (single certificates and documents inside a batch)
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Revokes a document permanently.
    /// @dev The document is located as in {verify}: `proof` empty for a single certificate (changes the record),
    /// the batch proof for a document in a batch (changes only that document's override), among `issuer`'s
    /// records only. Requirements: a record of `issuer` matches ({RecordNotFound}); the caller is the admin, or
    /// is `issuer` and still accredited
    /// ({UnauthorizedStatusChange}); an issuer acts only while not paused, the admin also while paused; the
    /// document is not already revoked ({InvalidStatusTransition}). Emits {DocumentRevoked}.
    /// @param issuer Issuer of the record holding the document.
    /// @param docHash Document hash.
    /// @param proof Merkle proof of the document in its batch (empty for a single certificate).
    /// @param reasonCode Reason code.
    function revoke(address issuer, bytes32 docHash, bytes32[] calldata proof, uint8 reasonCode) external;

    /// @notice Suspends a document until reinstated.
    /// @dev As {revoke}; the document must have no override ({InvalidStatusTransition}). Emits {DocumentSuspended}.
    /// @param issuer Issuer of the record holding the document.
    /// @param docHash Document hash.
    /// @param proof Merkle proof (empty for a single certificate).
    /// @param reasonCode Reason code.
    function suspend(address issuer, bytes32 docHash, bytes32[] calldata proof, uint8 reasonCode) external;

    /// @notice Lifts a suspension.
    /// @dev As {revoke}; the document must be suspended ({InvalidStatusTransition}). Emits {DocumentReinstated}.
    /// @param issuer Issuer of the record holding the document.
    /// @param docHash Document hash.
    /// @param proof Merkle proof (empty for a single certificate).
    function reinstate(address issuer, bytes32 docHash, bytes32[] calldata proof) external;

    /// @notice Marks a document as replaced by another document.
    /// @dev As {revoke}; `replacement` is non-zero and differs from `docHash` ({InvalidReplacement}); the
    /// document has no override or is suspended ({InvalidStatusTransition}). The replacement need not be issued
    /// yet; clients follow it with its own {verify}. Emits {DocumentSuperseded}.
    /// @param issuer Issuer of the record holding the document.
    /// @param docHash Document hash.
    /// @param proof Merkle proof (empty for a single certificate).
    /// @param replacement Hash of the replacing document.
    function supersede(address issuer, bytes32 docHash, bytes32[] calldata proof, bytes32 replacement) external;

    // ---------------------------------------------------------------------------------------------------------
    // Record status (a whole batch, or a single certificate by its key)
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Revokes every document of a record permanently.
    /// @dev Requirements and authorisation as {revoke}, on `issuer`'s record with key `root`. Emits {BatchRevoked}.
    /// @param issuer Issuer of the record.
    /// @param root Record key.
    /// @param reasonCode Reason code.
    function revokeBatch(address issuer, bytes32 root, uint8 reasonCode) external;

    /// @notice Suspends every document of a record until reinstated.
    /// @dev As {revokeBatch}; the record must have no override ({InvalidStatusTransition}). Emits {BatchSuspended}.
    /// @param issuer Issuer of the record.
    /// @param root Record key.
    /// @param reasonCode Reason code.
    function suspendBatch(address issuer, bytes32 root, uint8 reasonCode) external;

    /// @notice Lifts a record's suspension. Document-level overrides are left as they are.
    /// @dev As {revokeBatch}; the record must be suspended ({InvalidStatusTransition}). Emits {BatchReinstated}.
    /// @param issuer Issuer of the record.
    /// @param root Record key.
    function reinstateBatch(address issuer, bytes32 root) external;

    /// @notice Marks a whole record as replaced by another one.
    /// @dev As {revokeBatch}; `replacement` non-zero and not `root` ({InvalidReplacement}); the record has no
    /// override or is suspended ({InvalidStatusTransition}). Emits {BatchSuperseded}.
    /// @param issuer Issuer of the record.
    /// @param root Record key.
    /// @param replacement Replacement root (or document hash).
    function supersedeBatch(address issuer, bytes32 root, bytes32 replacement) external;

    // ---------------------------------------------------------------------------------------------------------
    // Pause
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Stops issuance and issuers' status changes (the admin can still revoke and suspend).
    /// @dev Requirements: caller has `PAUSER_ROLE`; not paused (`EnforcedPause`). Emits `Paused`.
    function pause() external;

    /// @notice Resumes issuance and issuers' status changes.
    /// @dev Requirements: caller has `DEFAULT_ADMIN_ROLE` (a pauser can pause but not unpause, so a pause is
    /// lifted only by the admin); paused (`ExpectedPause`). Emits `Unpaused`.
    function unpause() external;

    // ---------------------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Verifies a document in one call. Never reverts: an unknown document reads as Unknown and a revoked
    /// one as Revoked, with its reason.
    /// @dev Folds `proof` over `leafOf(docHash)` to a root and reads `issuer`'s record with that key and, for a
    /// non-empty proof, the document's override in it. Another issuer's record with the same key is never read:
    /// a relying party names the issuer it trusts (a document anchored by two issuers has two answers). Precedence: Revoked > Superseded > Suspended (document before record at each level) >
    /// Expired (`expiresAt != 0 && block.timestamp >= expiresAt`) > Valid. Works while paused.
    /// @param issuer The issuer whose records are checked.
    /// @param docHash Document hash.
    /// @param proof Merkle proof of the document in its batch; empty for a single certificate.
    /// @return result Status, issuer, dates, reason code, replacement and record key.
    function verify(address issuer, bytes32 docHash, bytes32[] calldata proof)
        external
        view
        returns (Verification memory result);

    /// @notice Returns an issuer's record by key (all fields zero if none).
    /// @param issuer The issuer.
    /// @param root Record key.
    /// @return rec The record.
    /// @return replacement Replacement document hash or root, set when the record was superseded.
    function record(address issuer, bytes32 root) external view returns (Record memory rec, bytes32 replacement);

    /// @notice Returns the override of a document inside an issuer's batch (all fields zero if none).
    /// @param issuer The issuer.
    /// @param root Batch root.
    /// @param docHash Document hash.
    /// @return The override.
    function documentOverride(address issuer, bytes32 root, bytes32 docHash)
        external
        view
        returns (DocumentOverride memory);

    /// @notice Subject and schema of an issuer's single certificate (zeros if that issuer did not issue it singly).
    /// @param issuer The issuer.
    /// @param docHash Document hash.
    /// @return subject Keyed hash of the subject.
    /// @return schemaId Schema id.
    function certificateDetails(address issuer, bytes32 docHash)
        external
        view
        returns (bytes32 subject, bytes32 schemaId);

    /// @notice Display name or DID of an issuer (kept after its accreditation is withdrawn).
    /// @param issuer The issuer.
    /// @return The name, empty if never accredited.
    function issuerName(address issuer) external view returns (string memory);

    /// @notice Whether an account is currently an accredited issuer.
    /// @param account The account.
    /// @return True if it holds `ISSUER_ROLE`.
    function isAccredited(address account) external view returns (bool);

    /// @notice The Merkle leaf (and single-certificate record key) of a document:
    /// `keccak256(bytes.concat(keccak256(abi.encode(docHash))))`.
    /// @param docHash Document hash.
    /// @return The leaf.
    function leafOf(bytes32 docHash) external pure returns (bytes32);
}
