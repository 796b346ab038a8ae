//! When a serving process retrains: soon after new feedback (debounced), at least every so often
//! (the floor), and less often when training is expensive. Pure: the caller reads the event
//! count and the time and hands them in; nothing here sleeps or reads a clock.
//!
//! - **Debounce.** New events (the stored count differs from what the model was trained on)
//!   are trained in once the count has stayed the same for [`RetrainPolicy::quiet_ms`], and
//!   never later than [`RetrainPolicy::max_wait_ms`] after the first of them was noticed, so a
//!   steady stream of feedback cannot put training off for ever.
//! - **Floor.** Whatever happens, a training runs [`RetrainPolicy::floor_ms`] after the last one
//!   ended (the hourly retrain).
//! - **Cost.** A training for new events starts no sooner than [`RetrainPolicy::cost_factor`]
//!   times the last training's duration after it ended, so training takes at most about a
//!   `1 / cost_factor` share of the time however busy the servers are. A failed training is
//!   tried again no sooner than `max_wait_ms` later.
//! - Trainings never overlap: the caller trains, then reports [`Retrainer::trained`] or
//!   [`Retrainer::failed`] before asking again.

/// The settings of [`Retrainer`]. Times in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetrainPolicy {
    /// Train once no new event came for this long (default 5 s).
    pub quiet_ms: i64,
    /// …but no later than this after the first untrained event was noticed (default 30 s).
    pub max_wait_ms: i64,
    /// Train at least this long after the last training ended, new events or not (default 1 h).
    pub floor_ms: i64,
    /// A training for new events waits at least this many times the last one's duration after
    /// it ended (default 10).
    pub cost_factor: i64,
    /// The event count is read at most this often (default 2 s).
    pub poll_ms: i64,
    /// …and reading it takes at most a `1 / poll_cost_factor` share of the time (default 20).
    pub poll_cost_factor: i64,
}

impl Default for RetrainPolicy {
    fn default() -> Self {
        RetrainPolicy {
            quiet_ms: 5_000,
            max_wait_ms: 30_000,
            floor_ms: 3_600_000,
            cost_factor: 10,
            poll_ms: 2_000,
            poll_cost_factor: 20,
        }
    }
}

impl RetrainPolicy {
    /// The default policy with this debounce: trains once events have been quiet for `quiet_ms`,
    /// at most `max_wait_ms` after the first (raised to `quiet_ms` if lower), polling often
    /// enough for both (half the quiet time, between 100 ms and 2 s).
    pub fn debounced(quiet_ms: i64, max_wait_ms: i64, floor_ms: i64) -> Self {
        let quiet_ms = quiet_ms.max(0);
        RetrainPolicy {
            quiet_ms,
            max_wait_ms: max_wait_ms.max(quiet_ms),
            floor_ms: floor_ms.max(1),
            poll_ms: (quiet_ms / 2).clamp(100, 2_000),
            ..RetrainPolicy::default()
        }
    }
}

/// Why a training is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// New events (`count` stored, `trained` in the model), first noticed `waited_ms` ago.
    NewEvents {
        count: i64,
        trained: i64,
        waited_ms: i64,
    },
    /// The floor: the last training ended `since_ms` ago.
    Floor { since_ms: i64 },
}

/// What [`Retrainer::decide`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Nothing new; the floor is not reached.
    Idle,
    /// New events, still coming in: train at `at_ms` unless more arrive.
    Settling { at_ms: i64 },
    /// New events are ready, but the last training was expensive (it took `took_ms`), or the
    /// last one failed: not before `at_ms`.
    BackedOff { at_ms: i64, took_ms: i64 },
    /// Train now.
    Now(Why),
}

/// The state of the retraining schedule of one process: what it has seen of the event count
/// and how its trainings went.
#[derive(Debug, Clone, PartialEq)]
pub struct Retrainer {
    policy: RetrainPolicy,
    /// Events the serving model was trained on.
    trained: i64,
    /// The last count read, and when it last changed.
    seen: Option<i64>,
    changed_ms: i64,
    /// When a count different from `trained` was first read (cleared when they agree again).
    first_new_ms: Option<i64>,
    /// When the last training ended (or the schedule started) and how long it took.
    ended_ms: i64,
    took_ms: i64,
    /// No training for new events before this (after a failure).
    not_before_ms: i64,
}

impl Retrainer {
    /// A schedule starting at `now_ms`, for a serving model trained on `trained` events.
    pub fn new(policy: RetrainPolicy, now_ms: i64, trained: i64) -> Self {
        Retrainer {
            policy,
            trained,
            seen: None,
            changed_ms: now_ms,
            first_new_ms: None,
            ended_ms: now_ms,
            took_ms: 0,
            not_before_ms: i64::MIN,
        }
    }

    /// The policy it follows.
    pub fn policy(&self) -> &RetrainPolicy {
        &self.policy
    }

    /// Notes the stored event count read at `now_ms`.
    pub fn observe(&mut self, now_ms: i64, count: i64) {
        if self.seen != Some(count) {
            self.seen = Some(count);
            self.changed_ms = now_ms;
        }
        if count == self.trained {
            self.first_new_ms = None;
        } else if self.first_new_ms.is_none() {
            self.first_new_ms = Some(now_ms);
        }
    }

    /// Whether a training is due at `now_ms`, given what was observed.
    pub fn decide(&self, now_ms: i64) -> Due {
        let since = now_ms - self.ended_ms;
        if since >= self.policy.floor_ms && now_ms >= self.not_before_ms {
            return Due::Now(Why::Floor { since_ms: since });
        }
        let (Some(first), Some(count)) = (self.first_new_ms, self.seen) else {
            return Due::Idle;
        };
        let settled_at =
            (self.changed_ms + self.policy.quiet_ms).min(first + self.policy.max_wait_ms);
        if now_ms < settled_at {
            return Due::Settling { at_ms: settled_at };
        }
        let cheap_at = self
            .ended_ms
            .saturating_add(self.took_ms.saturating_mul(self.policy.cost_factor));
        let at_ms = cheap_at.max(self.not_before_ms);
        if now_ms < at_ms {
            return Due::BackedOff {
                at_ms,
                took_ms: self.took_ms,
            };
        }
        Due::Now(Why::NewEvents {
            count,
            trained: self.trained,
            waited_ms: now_ms - first,
        })
    }

    /// A training started at `started_ms` ended at `ended_ms`, trained on `events` events.
    pub fn trained(&mut self, started_ms: i64, ended_ms: i64, events: i64) {
        self.trained = events;
        self.ended_ms = ended_ms;
        self.took_ms = (ended_ms - started_ms).max(0);
        self.not_before_ms = i64::MIN;
        // Events that came while it ran are new from now on.
        self.first_new_ms = match self.seen {
            Some(count) if count != events => Some(ended_ms),
            _ => None,
        };
    }

    /// A training started at `started_ms` failed at `ended_ms`: the next try waits.
    pub fn failed(&mut self, started_ms: i64, ended_ms: i64) {
        self.ended_ms = ended_ms;
        self.took_ms = (ended_ms - started_ms).max(0);
        self.not_before_ms = ended_ms.saturating_add(self.policy.max_wait_ms.max(1_000));
    }

    /// How long to wait before reading the count again, when reading it took `count_took_ms`:
    /// the poll interval, longer when counting is slow, and never past a due training.
    pub fn next_poll_ms(&self, now_ms: i64, count_took_ms: i64) -> i64 {
        let poll = self
            .policy
            .poll_ms
            .max(count_took_ms.saturating_mul(self.policy.poll_cost_factor));
        let floor_at = (self.ended_ms + self.policy.floor_ms).max(self.not_before_ms);
        poll.min(floor_at - now_ms)
            .max(self.policy.poll_ms.min(100))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000;

    fn policy() -> RetrainPolicy {
        RetrainPolicy {
            quiet_ms: 5 * S,
            max_wait_ms: 30 * S,
            floor_ms: 3_600 * S,
            cost_factor: 10,
            poll_ms: 2 * S,
            poll_cost_factor: 20,
        }
    }

    /// A schedule started at 0 on a model of 10 events.
    fn start() -> Retrainer {
        Retrainer::new(policy(), 0, 10)
    }

    #[test]
    fn nothing_new_means_nothing_to_do_until_the_floor() {
        let mut r = start();
        r.observe(2 * S, 10);
        assert_eq!(r.decide(2 * S), Due::Idle);
        r.observe(3_599 * S, 10);
        assert_eq!(r.decide(3_599 * S), Due::Idle);
        assert_eq!(
            r.decide(3_600 * S),
            Due::Now(Why::Floor {
                since_ms: 3_600 * S
            })
        );
    }

    #[test]
    fn new_events_are_trained_in_once_quiet() {
        let mut r = start();
        r.observe(10 * S, 12);
        assert_eq!(r.decide(10 * S), Due::Settling { at_ms: 15 * S });
        r.observe(12 * S, 12);
        assert_eq!(r.decide(14_999), Due::Settling { at_ms: 15 * S });
        assert_eq!(
            r.decide(15 * S),
            Due::Now(Why::NewEvents {
                count: 12,
                trained: 10,
                waited_ms: 5 * S
            })
        );
    }

    #[test]
    fn each_new_event_restarts_the_quiet_time() {
        let mut r = start();
        r.observe(10 * S, 11);
        r.observe(14 * S, 12);
        assert_eq!(r.decide(15 * S), Due::Settling { at_ms: 19 * S });
        r.observe(18 * S, 13);
        assert_eq!(r.decide(19 * S), Due::Settling { at_ms: 23 * S });
        assert!(matches!(r.decide(23 * S), Due::Now(Why::NewEvents { .. })));
    }

    #[test]
    fn a_steady_stream_waits_no_longer_than_the_max_wait() {
        let mut r = start();
        let mut count = 10;
        let mut now = 0;
        let trained_at = loop {
            now += 2 * S;
            count += 1;
            r.observe(now, count);
            if let Due::Now(Why::NewEvents { waited_ms, .. }) = r.decide(now) {
                assert_eq!(waited_ms, 30 * S);
                break now;
            }
            assert!(now < 100 * S, "never trained");
        };
        // First noticed at 2 s: trained 30 s later although events never stopped.
        assert_eq!(trained_at, 32 * S);
    }

    #[test]
    fn events_that_came_during_a_training_are_the_next_ones() {
        let mut r = start();
        r.observe(10 * S, 12);
        assert!(matches!(r.decide(15 * S), Due::Now(_)));
        // The training read 12 events; two more came while it ran.
        r.observe(15_100, 14);
        r.trained(15 * S, 15_200, 12);
        assert_eq!(r.decide(16 * S), Due::Settling { at_ms: 20_100 });
        assert!(matches!(
            r.decide(20_100),
            Due::Now(Why::NewEvents {
                count: 14,
                trained: 12,
                ..
            })
        ));
        // Trained on all of them: idle again.
        r.trained(20_100, 20_300, 14);
        r.observe(22 * S, 14);
        assert_eq!(r.decide(22 * S), Due::Idle);
    }

    #[test]
    fn an_expensive_training_backs_the_next_one_off() {
        let mut r = start();
        r.observe(10 * S, 12);
        // It took 40 s: the next training for new events waits 400 s after it ended.
        r.trained(15 * S, 55 * S, 12);
        r.observe(60 * S, 13);
        assert_eq!(
            r.decide(90 * S),
            Due::BackedOff {
                at_ms: 455 * S,
                took_ms: 40 * S
            }
        );
        assert!(matches!(r.decide(455 * S), Due::Now(Why::NewEvents { .. })));
        // A cheap one (0.5 s) does not hold the next back beyond the debounce.
        r.trained(455 * S, 455_500, 13);
        r.observe(456 * S, 14);
        assert_eq!(r.decide(458 * S), Due::Settling { at_ms: 461 * S });
        assert!(matches!(r.decide(461 * S), Due::Now(_)));
    }

    #[test]
    fn the_floor_comes_even_when_training_is_expensive() {
        let mut r = start();
        r.trained(0, 600 * S, 10);
        r.observe(601 * S, 11);
        assert!(matches!(r.decide(700 * S), Due::BackedOff { .. }));
        assert!(matches!(r.decide(4_200 * S), Due::Now(Why::Floor { .. })));
    }

    #[test]
    fn a_failed_training_is_tried_again_later_not_at_once() {
        let mut r = start();
        r.observe(10 * S, 12);
        r.failed(15 * S, 15_100);
        r.observe(17 * S, 12);
        assert_eq!(
            r.decide(17 * S),
            Due::BackedOff {
                at_ms: 45_100,
                took_ms: 100
            }
        );
        assert!(matches!(r.decide(45_100), Due::Now(Why::NewEvents { .. })));
    }

    #[test]
    fn deleted_events_count_as_a_change() {
        let mut r = start();
        r.observe(S, 7);
        assert!(matches!(r.decide(6 * S), Due::Now(Why::NewEvents { .. })));
    }

    #[test]
    fn polling_slows_down_when_counting_is_slow_but_never_skips_the_floor() {
        let r = start();
        assert_eq!(r.next_poll_ms(0, 5), 2 * S);
        assert_eq!(r.next_poll_ms(0, 500), 10 * S);
        assert_eq!(r.next_poll_ms(3_595 * S, 500), 5 * S);
        assert_eq!(r.next_poll_ms(3_600 * S, 500), 100);
    }

    #[test]
    fn a_debounce_setting_gives_a_matching_policy() {
        let p = RetrainPolicy::debounced(1_000, 3_000, 60_000);
        assert_eq!((p.quiet_ms, p.max_wait_ms, p.poll_ms), (1_000, 3_000, 500));
        let p = RetrainPolicy::debounced(10_000, 5_000, 60_000);
        assert_eq!((p.max_wait_ms, p.poll_ms), (10_000, 2_000));
    }
}
