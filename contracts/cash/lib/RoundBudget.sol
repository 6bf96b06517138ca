// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice The part of a round every payment reads, in ONE storage slot: what is left to pay, the flat amount or
/// per-beneficiary cap, the size of the round's Merkle cap, a copy of the programme's pause flag (claim rounds)
/// and the payment window.
/// @dev Layout (low to high bits): `remaining` [0, 96) | `amount` [96, 184) | `capLog2` [184, 188) | unused
/// [188, 191) | `paused` [191] | `opensAt` [192, 224) | `closesAt` [224, 256). `remaining` < 2^96 (7.9e28 base
/// units), `amount` < 2^88 (3.1e26), times are unix seconds below 2^32 (year 2106), `capLog2` <= 10
/// (MAX_CLAIM_CAP = 2^10).
/// `remaining` is non-zero only while the round is approved and not swept; payment paths rely on that (see the
/// CashProgramme header).
type RoundBudget is uint256;

using RoundBudgetLib for RoundBudget global;

/// @title RoundBudgetLib
/// @notice Packing and unpacking of {RoundBudget}. All functions are pure bit operations.
library RoundBudgetLib {
    uint256 private constant _U96 = (1 << 96) - 1;
    uint256 private constant _U88 = (1 << 88) - 1;
    uint256 private constant _U32 = (1 << 32) - 1;
    uint256 private constant _CAP_SHIFT = 184;
    uint256 private constant _PAUSED_BIT = 1 << 191;

    /// @notice Builds a budget slot with no Merkle cap.
    /// @dev The caller guarantees the widths (`remaining_` < 2^96, `amount_` < 2^88, times < 2^32).
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
        return (RoundBudget.unwrap(b) >> 96) & _U88;
    }

    /// @notice Base-2 logarithm of the number of Merkle cap nodes (0: the root alone).
    /// @param b The slot.
    /// @return The logarithm.
    function capLog2(RoundBudget b) internal pure returns (uint256) {
        return (RoundBudget.unwrap(b) >> _CAP_SHIFT) & 0x0f;
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

    /// @notice Whether the pause flag copy is set.
    /// @param b The slot.
    /// @return True if paused.
    function paused(RoundBudget b) internal pure returns (bool) {
        return RoundBudget.unwrap(b) & _PAUSED_BIT != 0;
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

    /// @notice The slot with another Merkle cap size.
    /// @dev The caller guarantees `capLog2_ <= 15` (the field's width; CashProgramme uses at most 10).
    /// @param b The slot.
    /// @param capLog2_ New base-2 logarithm of the cap size.
    /// @return The updated slot.
    function withCapLog2(RoundBudget b, uint256 capLog2_) internal pure returns (RoundBudget) {
        return RoundBudget.wrap((RoundBudget.unwrap(b) & ~(uint256(0x0f) << _CAP_SHIFT)) | (capLog2_ << _CAP_SHIFT));
    }

    /// @notice The slot with the pause flag copy set or cleared.
    /// @param b The slot.
    /// @param paused_ New flag.
    /// @return The updated slot.
    function withPaused(RoundBudget b, bool paused_) internal pure returns (RoundBudget) {
        uint256 raw = RoundBudget.unwrap(b) & ~_PAUSED_BIT;
        return RoundBudget.wrap(paused_ ? raw | _PAUSED_BIT : raw);
    }
}
