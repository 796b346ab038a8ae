//! Which shards a process runs (`marquee serve --shards A-B/N`), and how that is told to
//! serenity. Discord routes a server's events to shard `(server id >> 22) % N`; each process
//! runs a range of shards, and together they must cover 0..N once.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// Discord's limit of servers per shard, for the advice in error messages.
const SERVERS_PER_SHARD: u32 = 2_500;

/// Shards `first..=last` of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardRange {
    pub first: u32,
    pub last: u32,
    pub total: u32,
}

impl ShardRange {
    /// How many shards the range holds.
    pub fn len(&self) -> u32 {
        self.last - self.first + 1
    }

    /// Always false: a range holds one shard at least.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Whether this range runs the shard that `server`'s events go to.
    pub fn serves(&self, server: u64) -> bool {
        let shard = (server >> 22) % u64::from(self.total);
        (u64::from(self.first)..=u64::from(self.last)).contains(&shard)
    }

    /// The range to hand to serenity 0.12's `Client::start_shard_range`, which boots
    /// `range.start..=range.end` (the end included, despite the `Range` type): `first..last`.
    pub fn serenity_range(&self) -> Range<u32> {
        self.first..self.last
    }
}

impl fmt::Display for ShardRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}/{}", self.first, self.total)
        } else {
            write!(f, "{}-{}/{}", self.first, self.last, self.total)
        }
    }
}

impl FromStr for ShardRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let usage = || {
            format!(
                "{s:?} is not a shard range: write A-B/N (shards A to B of N, counted from 0) or \
                 A/N (one shard), e.g. 0-1/4"
            )
        };
        let (range, total) = s.trim().split_once('/').ok_or_else(usage)?;
        let number = |t: &str| t.trim().parse::<u32>().map_err(|_| usage());
        let total = number(total)?;
        let (first, last) = if let Some((a, b)) = range.split_once('-') {
            (number(a)?, number(b)?)
        } else {
            let one = number(range)?;
            (one, one)
        };
        if total == 0 {
            return Err(format!(
                "{s:?}: there must be one shard at least (N ≥ 1; Discord asks for one per {SERVERS_PER_SHARD} servers at most)"
            ));
        }
        if first > last {
            return Err(format!(
                "{s:?}: the first shard ({first}) comes after the last ({last})"
            ));
        }
        if last >= total {
            return Err(format!(
                "{s:?}: shards are counted from 0, so with {total} in all the last is {}",
                total - 1
            ));
        }
        Ok(ShardRange { first, last, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_single_shards_are_read() {
        assert_eq!(
            "0-1/4".parse(),
            Ok(ShardRange {
                first: 0,
                last: 1,
                total: 4
            })
        );
        let one: ShardRange = "1/2".parse().expect("one shard");
        assert_eq!((one.first, one.last, one.total, one.len()), (1, 1, 2, 1));
        assert_eq!(one.to_string(), "1/2");
        assert_eq!(
            "2-3/4".parse::<ShardRange>().map(|r| r.to_string()),
            Ok("2-3/4".into())
        );
        for bad in [
            "", "2", "0/0", "2/2", "1-0/4", "0-4/4", "a/2", "0-/2", "-1/2", "0/2/3",
        ] {
            let e = bad.parse::<ShardRange>().expect_err(bad);
            assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
    }

    #[test]
    fn serenity_is_given_the_range_it_boots_whole() {
        // serenity 0.12.5 boots start..=end; asking for 0..2 of 2 would boot shard 2, which
        // Discord closes with 4010 (the end-to-end test counts the IDENTIFYs).
        let r: ShardRange = "0-1/2".parse().expect("valid");
        let boots = r.serenity_range();
        assert_eq!((boots.start, boots.end), (0, 1));
        let one: ShardRange = "1/2".parse().expect("valid");
        assert_eq!(one.serenity_range(), 1..1);
    }

    #[test]
    fn a_server_belongs_to_the_shard_discord_routes_it_to() {
        let (a, b): (ShardRange, ShardRange) = ("0/2".parse().unwrap(), "1/2".parse().unwrap());
        for server in [0_u64, 1 << 22, 3 << 22, 81_384_788_765_712_384, u64::MAX] {
            assert_ne!(a.serves(server), b.serves(server), "{server}");
            assert_eq!(b.serves(server), (server >> 22) % 2 == 1);
        }
        let all: ShardRange = "0-2/3".parse().unwrap();
        assert!((0..50).all(|k| all.serves(k << 22)));
    }
}
