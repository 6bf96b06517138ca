// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title TestStablecoin
/// @notice A 6-decimals ERC-20 (USDC-like) for local runs and tests of the cash programme. NOT money: anyone
/// holding MINTER_ROLE can mint without limit. Only the admin (DEFAULT_ADMIN_ROLE) grants MINTER_ROLE.
/// @dev Plain OpenZeppelin ERC20 + ERC20Permit (EIP-2612, so funders can approve by signature). No fee on
/// transfer, no rebasing, no blacklist: the behaviour CashProgramme expects from a settlement token.
contract TestStablecoin is ERC20, ERC20Permit, AccessControl {
    /// @notice Role allowed to mint.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @notice Deploys the token; `admin` gets DEFAULT_ADMIN_ROLE and MINTER_ROLE.
    /// @param name_ Token name.
    /// @param symbol_ Token symbol.
    /// @param admin Initial admin and minter.
    constructor(string memory name_, string memory symbol_, address admin)
        ERC20(name_, symbol_)
        ERC20Permit(name_)
    {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    /// @notice Mints `amount` base units (6 decimals) to `to`.
    /// @dev Requires MINTER_ROLE. Emits {Transfer} from the zero address.
    /// @param to Recipient.
    /// @param amount Amount in base units.
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }

    /// @notice Token decimals.
    /// @return Always 6.
    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
