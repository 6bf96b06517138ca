// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice The part of a round every payment reads, in ONE storage slot: what is left to pay, the flat amount or
/// per-beneficiary cap, and the payment window.
/// @dev Layout (low to high bits): `remaining` [0, 96) | `amount` [96, 192) | `opensAt` [192, 224) |
/// `closesAt` [224, 256). Amounts are base units below 2^96 (7.9e28); times are unix seconds below 2^32 (year 2106).
/// `remaining` is non-zero only while the round is approved and not swept; payment paths rely on that (see the
/// CashProgramme header).
type RoundBudget is uint256;

using RoundBudgetLib for RoundBudget global;

/// @title RoundBudgetLib
/// @notice Packing and unpacking of {RoundBudget}. All functions are pure bit operations.
library RoundBudgetLib {
    uint256 private constant _U96 = (1 << 96) - 1;
    uint256 private constant _U32 = (1 << 32) - 1;

    /// @notice Builds a budget slot.
    /// @dev The caller guarantees the widths (`remaining_`, `amount_` < 2^96; times < 2^32).
    /// @param remaining_ Budget left to pay.
    /// @param amount_ Flat amount or per-beneficiary cap.
    /// @param opensAt_ Opening time.
    /// @param closesAt_ Closing time.
    /// @return The packed slot.
    function pack(uint256 remaining_, uint256 amount_, uint256 opensAt_, uint256 closesAt_)
        internal
        pure
        returns (RoundBudget)
    {
        return RoundBudget.wrap(remaining_ | (amount_ << 96) | (opensAt_ << 192) | (closesAt_ << 224));
    }

    /// @notice Budget left to pay.
    /// @param b The slot.
    /// @return The remaining budget.
    function remaining(RoundBudget b) internal pure returns (uint256) {
        return RoundBudget.unwrap(b) & _U96;
    }

    /// @notice Flat amount (`FlatPush`) or per-beneficiary cap (other kinds).
    /// @param b The slot.
    /// @return The amount.
    function amount(RoundBudget b) internal pure returns (uint256) {
        return (RoundBudget.unwrap(b) >> 96) & _U96;
    }

    /// @notice Opening time.
    /// @param b The slot.
    /// @return Unix seconds.
    function opensAt(RoundBudget b) internal pure returns (uint256) {
        return (RoundBudget.unwrap(b) >> 192) & _U32;
    }

    /// @notice Closing time.
    /// @param b The slot.
    /// @return Unix seconds.
    function closesAt(RoundBudget b) internal pure returns (uint256) {
        return RoundBudget.unwrap(b) >> 224;
    }

    /// @notice Whether payments are accepted at `time` (`opensAt <= time < closesAt`).
    /// @param b The slot.
    /// @param time Unix seconds.
    /// @return True inside the window.
    function isOpenAt(RoundBudget b, uint256 time) internal pure returns (bool) {
        return time >= opensAt(b) && time < closesAt(b);
    }

    /// @notice The slot with another remaining budget.
    /// @dev The caller guarantees `remaining_ < 2^96`.
    /// @param b The slot.
    /// @param remaining_ New remaining budget.
    /// @return The updated slot.
    function withRemaining(RoundBudget b, uint256 remaining_) internal pure returns (RoundBudget) {
        return RoundBudget.wrap((RoundBudget.unwrap(b) & ~_U96) | remaining_);
    }
}
