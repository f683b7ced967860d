"""This node's clock against its peers' signed times, and steps of its own clock back.

Peers judge our transactions by their own clocks (standard §5.4 step 10, §9.3), so a clock that
drifts shows first as a difference from theirs. Two readings, both in memory:

 * offset: for each peer, our clock minus theirs, in ms (positive: ours is ahead). Measured on
   every signed response to a transaction we sent for the first time: the peer signed it
   between our send and our receipt, so its `created_at_ms` is compared with the midpoint of
   the round trip (off by at most half the round trip). A resend may be answered with the
   stored response, signed when first answered, so it is never measured. A transaction
   refused for `clock_skew` is also a reading (one way: the network's delay counts in it):
   the signature was verified before the time was judged. Past half the policy's skew bound
   one warning names the peer and the fix; one more says when it is back within.
 * step back: the highest time this node's clock has read, at the tick or in a stamp the
   outbox holds (a clock can run ahead and be corrected between two ticks: the stamps it left
   are what matter). When the clock reads more than STEP_MS_MIN less, it was stepped back (NTP
   corrected a clock that ran ahead): the outbox's send times, stamped by the wrong clock, are
   moved back by the same step (store.shift_outbox), so no queued message waits longer than
   the delay it was given. This also covers a restart.
"""

from __future__ import annotations

import logging

log = logging.getLogger("hourbridge.exchange")

# A clock read this much lower than before was stepped back; smaller steps are left alone.
STEP_MS_MIN = 1_000
# Warn when an offset passes this share of the policy's skew bound (1/2: half of it).
SKEW_SHARE_DIVISOR = 2


def midpoint_offset(*, sent_ms: int, received_ms: int, peer_ms: int) -> int:
    """Our clock minus the peer's, from a time it signed between our send and our receipt."""
    return (sent_ms + received_ms) // 2 - peer_ms


def advice(peer: str, offset_ms: int) -> str:
    """The operator's sentence for a clock `offset_ms` off `peer`'s (ours minus theirs)."""
    side = "ahead of" if offset_ms > 0 else "behind"
    return (f"this node's clock is {abs(offset_ms) / 1000:.1f} s {side} {peer}'s: fix NTP "
            "(if every peer shows the same, this node's clock is the wrong one; rotating keys "
            "does not help)")


class ClockWatch:
    """Per-peer offsets and the step-back detector of one node's exchange."""

    def __init__(self) -> None:
        self.offsets: dict[str, int] = {}  # peer -> our clock minus theirs (ms)
        self._skewed: set[str] = set()
        self._refused: set[str] = set()  # peers refusing our signing time, logged once
        self._high_ms: int | None = None

    def observe(self, peer: str, offset_ms: int, *, skew_ms: int) -> None:
        """Record a reading; log once when it passes half the skew bound, once when back."""
        self.offsets[peer] = offset_ms
        self._refused.discard(peer)
        skewed = self.too_far(offset_ms, skew_ms=skew_ms)
        if skewed and peer not in self._skewed:
            self._skewed.add(peer)
            log.warning("clock skew with %s: %s", peer, advice(peer, offset_ms))
        elif not skewed and peer in self._skewed:
            self._skewed.discard(peer)
            log.info("clock with %s back within the skew bound (offset %s ms)", peer, offset_ms)

    def refused(self, peer: str, *, skew_ms: int) -> None:
        """`peer` refused our signing time (`clock_skew`): logged once until a reading."""
        if peer in self._refused:
            return
        self._refused.add(peer)
        known = self.offsets.get(peer)
        measured = f"; last measured: {advice(peer, known)}" if known is not None else ""
        log.warning("%s refuses our signing time (clock_skew): this node's clock differs from "
                    "%s's by more than the skew bound of %s s: fix NTP (rotating keys does not "
                    "help)%s", peer, peer, skew_ms / 1000, measured)

    def skewed(self, peer: str) -> bool:
        return peer in self._skewed

    @staticmethod
    def too_far(offset_ms: int, *, skew_ms: int) -> bool:
        return abs(offset_ms) > skew_ms // SKEW_SHARE_DIVISOR

    def stepped_back(self, now_ms: int, *, stamped_ms: int | None) -> int:
        """How far the clock was stepped back since its highest reading (0: it was not).
        `stamped_ms` is the latest time stamped in the outbox now (by any reading since the
        last tick, or before a restart)."""
        self._high_ms = max(self._high_ms or now_ms, stamped_ms or now_ms, now_ms)
        back_ms = self._high_ms - now_ms
        if back_ms < STEP_MS_MIN:
            self._high_ms = max(self._high_ms, now_ms)
            return 0
        self._high_ms = now_ms
        log.warning("this node's clock was stepped back by %.1f s: queued messages keep the "
                    "delays they were given, measured from now", back_ms / 1000)
        return back_ms
