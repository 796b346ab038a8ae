//! The clocks: the real one, and a scripted one for `marquee demo`.

use crate::domain::ports::Clock;
use std::sync::atomic::{AtomicI64, Ordering};

/// Reads the system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// A clock that starts at a fixed moment and moves on by a fixed step each time it is read, so
/// a scripted run (the demo) stores and prints the same times every time, and every event is
/// later than the one before.
#[derive(Debug)]
pub struct SteppingClock {
    next_ms: AtomicI64,
    step_ms: i64,
}

impl SteppingClock {
    /// Starts at `start_ms` (milliseconds since the Unix epoch), `step_ms` later at each read.
    pub const fn new(start_ms: i64, step_ms: i64) -> Self {
        SteppingClock {
            next_ms: AtomicI64::new(start_ms),
            step_ms,
        }
    }
}

impl Clock for SteppingClock {
    fn now_ms(&self) -> i64 {
        self.next_ms.fetch_add(self.step_ms, Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stepping_clock_starts_where_it_is_told_and_moves_one_step_a_read() {
        let clock = SteppingClock::new(1_000, 250);
        assert_eq!(
            [clock.now_ms(), clock.now_ms(), clock.now_ms()],
            [1_000, 1_250, 1_500]
        );
    }
}
