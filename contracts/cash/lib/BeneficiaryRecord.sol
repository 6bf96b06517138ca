// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICashProgramme} from "../ICashProgramme.sol";

/// @notice A beneficiary's whole on-chain record in ONE storage slot, so that a payment reads one cold slot.
/// @dev Layout (low to high bits): `wallet` [0, 160) | `status` [160, 168) | `entitlement` [168, 256).
/// `entitlement` is the unspent voucher balance (voucher mode), at most `MAX_ENTITLEMENT` (2^88 - 1 base units:
/// 3.09e26, i.e. 309 million tokens of 18 decimals or 3.09e20 of 6 decimals, per beneficiary).
/// An all-zero record means "no beneficiary" (status None).
type BeneficiaryRecord is uint256;

using BeneficiaryRecordLib for BeneficiaryRecord global;

/// @title BeneficiaryRecordLib
/// @notice Packing and unpacking of {BeneficiaryRecord}. All functions are pure bit operations.
library BeneficiaryRecordLib {
    /// @notice Largest entitlement a record can hold.
    uint256 internal constant MAX_ENTITLEMENT = (1 << 88) - 1;

    uint256 private constant _WALLET_MASK = (1 << 160) - 1;
    uint256 private constant _STATUS_SHIFT = 160;
    uint256 private constant _ENTITLEMENT_SHIFT = 168;
    uint256 private constant _ACTIVE = uint256(uint8(ICashProgramme.BeneficiaryStatus.Active));

    /// @notice Builds a record.
    /// @dev The caller guarantees `entitlement_ <= MAX_ENTITLEMENT`.
    /// @param wallet_ Bound wallet.
    /// @param status_ Status.
    /// @param entitlement_ Unspent voucher entitlement.
    /// @return The packed record.
    function pack(address wallet_, ICashProgramme.BeneficiaryStatus status_, uint256 entitlement_)
        internal
        pure
        returns (BeneficiaryRecord)
    {
        return BeneficiaryRecord.wrap(
            uint256(uint160(wallet_)) | (uint256(status_) << _STATUS_SHIFT) | (entitlement_ << _ENTITLEMENT_SHIFT)
        );
    }

    /// @notice The bound wallet.
    /// @param r The record.
    /// @return The wallet (zero if none).
    function wallet(BeneficiaryRecord r) internal pure returns (address) {
        return address(uint160(BeneficiaryRecord.unwrap(r)));
    }

    /// @notice The status.
    /// @param r The record.
    /// @return The status.
    function status(BeneficiaryRecord r) internal pure returns (ICashProgramme.BeneficiaryStatus) {
        return ICashProgramme.BeneficiaryStatus(uint8(BeneficiaryRecord.unwrap(r) >> _STATUS_SHIFT));
    }

    /// @notice Whether the status is Active (cheaper than comparing {status}: no enum range check).
    /// @param r The record.
    /// @return True if Active.
    function isActive(BeneficiaryRecord r) internal pure returns (bool) {
        return (BeneficiaryRecord.unwrap(r) >> _STATUS_SHIFT) & 0xff == _ACTIVE;
    }

    /// @notice The unspent voucher entitlement.
    /// @param r The record.
    /// @return The entitlement.
    function entitlement(BeneficiaryRecord r) internal pure returns (uint256) {
        return BeneficiaryRecord.unwrap(r) >> _ENTITLEMENT_SHIFT;
    }

    /// @notice The record with another wallet.
    /// @param r The record.
    /// @param wallet_ New wallet.
    /// @return The updated record.
    function withWallet(BeneficiaryRecord r, address wallet_) internal pure returns (BeneficiaryRecord) {
        return BeneficiaryRecord.wrap((BeneficiaryRecord.unwrap(r) & ~_WALLET_MASK) | uint256(uint160(wallet_)));
    }

    /// @notice The record with another status.
    /// @param r The record.
    /// @param status_ New status.
    /// @return The updated record.
    function withStatus(BeneficiaryRecord r, ICashProgramme.BeneficiaryStatus status_)
        internal
        pure
        returns (BeneficiaryRecord)
    {
        return BeneficiaryRecord.wrap(
            (BeneficiaryRecord.unwrap(r) & ~(uint256(0xff) << _STATUS_SHIFT)) | (uint256(status_) << _STATUS_SHIFT)
        );
    }

    /// @notice The record with another entitlement.
    /// @dev The caller guarantees `entitlement_ <= MAX_ENTITLEMENT`.
    /// @param r The record.
    /// @param entitlement_ New entitlement.
    /// @return The updated record.
    function withEntitlement(BeneficiaryRecord r, uint256 entitlement_) internal pure returns (BeneficiaryRecord) {
        return BeneficiaryRecord.wrap(
            (BeneficiaryRecord.unwrap(r) & ((1 << _ENTITLEMENT_SHIFT) - 1)) | (entitlement_ << _ENTITLEMENT_SHIFT)
        );
    }
}
