// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title KeyedHash
/// @notice How pilotkit contracts identify people without holding personal data.
/// @dev A person (beneficiary, certificate subject, retirement beneficiary) is known on chain only by a
/// `bytes32` keyed hash computed off chain:
///
///     id = HMAC-SHA-256(key = programme secret, message = canonical identity record)
///
/// - The secret is per programme (per deployment) and never leaves the operator's key store, so the same person
///   gets unrelated ids in two programmes and nobody without the secret can test a guess (phone number, national
///   id, name + birth date) against an id. A plain, unkeyed hash of a low-entropy identifier would be
///   brute-forceable: never put one on chain.
/// - The canonical record (which fields, normalisation, encoding) is fixed off chain, once per programme, so the
///   same person always gets the same id and duplicate enrolment can be rejected on chain.
/// - Erasure (right to be forgotten): deleting the secret, or the person's row in the off-chain registry, makes
///   the on-chain id unlinkable to the person; nothing on chain has to change.
/// - The zero value is reserved as "no id" and is never a valid id.
library KeyedHash {
    /// @notice Whether `id` can be a keyed-hash identifier (any value but zero).
    /// @param id The candidate identifier.
    /// @return True if `id` is non-zero.
    function isValid(bytes32 id) internal pure returns (bool) {
        return id != bytes32(0);
    }
}
