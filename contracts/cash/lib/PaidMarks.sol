// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {BitMaps} from "@openzeppelin/contracts/utils/structs/BitMaps.sol";

/// @title PaidMarks
/// @notice Test-and-set on an OpenZeppelin `BitMaps.BitMap`, for exactly-once payment markers. Same storage layout
/// as `BitMaps` (bit `i` is bit `i & 255` of bucket `i >> 8`), so `BitMaps.get` reads the marks.
/// @dev Two forms:
/// - {trySet}: one read and at most one write of the bucket (instead of `get` + `set`: two reads).
/// - A {Cursor} for batches: the current bucket is cached in memory and written back when the batch moves to
///   another bucket and at the end ({flush}); consecutive indexes then cost no storage access at all. While a
///   cursor is open its bucket in storage may be stale: the caller must {flush} before any external call and
///   before returning, and must not read the same bitmap through another path in between.
library PaidMarks {
    /// @notice A cached bucket; `loaded` is false until the first {trySetCached}.
    struct Cursor {
        uint256 bucket;
        uint256 word;
        bool loaded;
    }

    /// @notice Sets bit `index` unless it is already set.
    /// @param bitmap The bitmap.
    /// @param index The bit.
    /// @return set True if the bit was clear and is now set; false if it was already set (nothing written).
    function trySet(BitMaps.BitMap storage bitmap, uint256 index) internal returns (bool set) {
        mapping(uint256 => uint256) storage data = bitmap._data;
        uint256 bucket = index >> 8;
        uint256 mask = 1 << (index & 0xff);
        uint256 word = data[bucket];
        if (word & mask != 0) return false;
        data[bucket] = word | mask;
        return true;
    }

    /// @notice {trySet} through a cursor: the write reaches storage at the next bucket change or {flush}.
    /// @param bitmap The bitmap.
    /// @param cursor The cursor.
    /// @param index The bit.
    /// @return set True if the bit was clear and is now set (in the cursor).
    function trySetCached(BitMaps.BitMap storage bitmap, Cursor memory cursor, uint256 index)
        internal
        returns (bool set)
    {
        uint256 bucket = index >> 8;
        if (!cursor.loaded || bucket != cursor.bucket) {
            if (cursor.loaded) bitmap._data[cursor.bucket] = cursor.word;
            cursor.bucket = bucket;
            cursor.word = bitmap._data[bucket];
            cursor.loaded = true;
        }
        uint256 mask = 1 << (index & 0xff);
        uint256 word = cursor.word;
        if (word & mask != 0) return false;
        cursor.word = word | mask;
        return true;
    }

    /// @notice Writes the cursor's bucket back to storage (no-op if nothing was loaded).
    /// @param bitmap The bitmap.
    /// @param cursor The cursor.
    function flush(BitMaps.BitMap storage bitmap, Cursor memory cursor) internal {
        if (cursor.loaded) bitmap._data[cursor.bucket] = cursor.word;
    }
}
