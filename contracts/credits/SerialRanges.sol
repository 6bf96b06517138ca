// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IEcoCreditRegistry} from "./IEcoCreditRegistry.sol";

/// @title SerialRanges
/// @notice A sorted, singly linked list of disjoint, inclusive serial ranges `[start, end]`, with O(1) insertion
/// at a caller-supplied position that the library verifies.
/// @dev Layout: a node is keyed by its `start` and holds `{end, next}` in one storage slot, where `next` is the
/// `start` of the following range (0 = none). Key 0 is the head sentinel: it is never a range, its `end` stays 0
/// and its `next` is the first range. Serial numbers therefore start at 1.
///
/// Invariants (kept by {insert}, the only writer; nodes are never removed):
/// - Following `next` from the sentinel visits ranges in strictly increasing `start` order.
/// - Consecutive ranges are disjoint: `prev.end < next.start`. With sortedness this makes every pair disjoint.
/// - A key `k != 0` is a range start iff `nodes[k].end != 0` (every stored range has `end >= start >= 1`).
///
/// Insertion of `[start, end]` after hint `p` succeeds only if `p` is in the list (sentinel or a range start),
/// `p.end < start` and (`p.next == 0` or `p.next > end`). Because `p` and `p.next` are adjacent in a sorted,
/// disjoint list, every range before `p.next` ends at or before `p.end < start` and every range from `p.next` on
/// starts after `end`: the new range cannot overlap any stored range, whatever the hint. A wrong hint can only
/// make the call revert, never let an overlap through. The right hint is the start of the last stored range with
/// `start` below the new `start` (or 0); off-chain code finds it by walking the list or from indexed events.
library SerialRanges {
    /// @dev One stored range. `end` is inclusive; `next` is the start of the following range, 0 if none.
    struct Node {
        uint128 end;
        uint128 next;
    }

    /// @dev A list of ranges keyed by start. Declare one per serial namespace.
    struct List {
        mapping(uint128 start => Node) nodes;
    }

    /// @dev Inserts `[start, end]` right after the range starting at `hint` (0 = at the head).
    /// Requires `1 <= start <= end` (checked by the caller, which owns the error for it).
    /// Reverts with {IEcoCreditRegistry.SerialRangeOverlaps} when the new range intersects the range at `hint`
    /// or the one after it, and with {IEcoCreditRegistry.InvalidSerialHint} when `hint` is not in the list or is
    /// not the predecessor of the new range.
    function insert(List storage list, uint128 start, uint128 end, uint128 hint) internal {
        Node memory prev = list.nodes[hint];
        if (hint != 0 && prev.end == 0) revert IEcoCreditRegistry.InvalidSerialHint(hint);
        if (prev.end >= start) {
            // The hint range reaches the new start: it overlaps iff it also starts at or before the new end.
            if (hint <= end) revert IEcoCreditRegistry.SerialRangeOverlaps(hint, prev.end);
            revert IEcoCreditRegistry.InvalidSerialHint(hint);
        }
        uint128 next = prev.next;
        if (next != 0 && next <= end) {
            // The following range starts inside or before the new range: overlap, or the hint is too early.
            uint128 nextEnd = list.nodes[next].end;
            if (nextEnd >= start) revert IEcoCreditRegistry.SerialRangeOverlaps(next, nextEnd);
            revert IEcoCreditRegistry.InvalidSerialHint(hint);
        }
        list.nodes[start] = Node({end: end, next: next});
        list.nodes[hint].next = start;
    }

    /// @dev Returns the stored node at `start` (for `start == 0`, the sentinel: `end == 0`, `next` = first range).
    function at(List storage list, uint128 start) internal view returns (Node memory) {
        return list.nodes[start];
    }
}
