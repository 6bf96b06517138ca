// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IPilotErrors
/// @notice Custom errors shared by pilotkit contracts, so that clients decode the same failure the same way
/// whichever contract raised it. Contract interfaces inherit this one and add their own domain errors.
interface IPilotErrors {
    /// @notice A required address argument was the zero address.
    error ZeroAddress();

    /// @notice A required amount was zero.
    error ZeroAmount();

    /// @notice A batch was empty.
    error EmptyBatch();

    /// @notice A batch had more items than one transaction may process.
    /// @param size Number of items passed.
    /// @param max Largest accepted batch size.
    error BatchTooLarge(uint256 size, uint256 max);

    /// @notice Two arrays that must be parallel had different lengths.
    /// @param first Length of the first array.
    /// @param second Length of the second array.
    error LengthMismatch(uint256 first, uint256 second);

    /// @notice A signed message was submitted after its deadline.
    /// @param deadline The deadline the signer set (unix seconds).
    error DeadlineExpired(uint256 deadline);

    /// @notice A signature did not come from the expected signer (or was malformed or malleable).
    error InvalidSignature();
}
