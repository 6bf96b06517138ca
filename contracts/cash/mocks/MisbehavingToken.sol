// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";

/// @title MisbehavingToken
/// @notice TEST ONLY, never deploy to a real network: an ERC-20 that can misbehave on demand, to test how
/// CashProgramme treats a hostile settlement token. Anyone can mint and configure it.
/// - `setHook(target, data)`: the next transfer out of `hookFrom` first calls `target` with `data` (re-entry),
///   bubbling any revert.
/// - `setReturnFalse(true)`: `transfer` and `transferFrom` return false without moving anything.
contract MisbehavingToken is ERC20 {
    address private _hookFrom;
    address private _hookTarget;
    bytes private _hookData;
    bool private _returnFalse;

    /// @notice Deploys the token.
    constructor() ERC20("Misbehaving Token", "BAD") {}

    /// @notice Mints `amount` to `to` (anyone may call: test token).
    /// @param to Recipient.
    /// @param amount Amount.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms a one-shot re-entry: the next transfer from `from` first calls `target` with `data`.
    /// @param from Sender whose next transfer triggers the call.
    /// @param target Contract to call.
    /// @param data Calldata.
    function setHook(address from, address target, bytes calldata data) external {
        _hookFrom = from;
        _hookTarget = target;
        _hookData = data;
    }

    /// @notice Makes `transfer` and `transferFrom` return false (and move nothing), or behave again.
    /// @param returnFalse True to misbehave.
    function setReturnFalse(bool returnFalse) external {
        _returnFalse = returnFalse;
    }

    /// @inheritdoc ERC20
    function transfer(address to, uint256 value) public override returns (bool) {
        if (_returnFalse) return false;
        return super.transfer(to, value);
    }

    /// @inheritdoc ERC20
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (_returnFalse) return false;
        return super.transferFrom(from, to, value);
    }

    /// @dev Runs the armed hook (once) before a transfer from the hooked sender.
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && from == _hookFrom && _hookTarget != address(0)) {
            address target = _hookTarget;
            _hookTarget = address(0);
            Address.functionCall(target, _hookData);
        }
        super._update(from, to, value);
    }
}
