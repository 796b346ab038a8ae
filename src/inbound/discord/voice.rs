//! Who is in which voice channel, from GUILD_CREATE and VOICE_STATE_UPDATE (serenity's cache is
//! not compiled in), for `/watchparty start` with a voice channel.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

/// Voice channels per server, and which users are bots.
#[derive(Debug, Default)]
pub struct VoiceRoster {
    /// guild → user → voice channel.
    channels: Mutex<HashMap<u64, HashMap<u64, u64>>>,
    bots: Mutex<HashSet<u64>>,
}

impl VoiceRoster {
    /// Records that `user` is in `channel` (or in none) of `guild`.
    pub fn set(&self, guild: u64, user: u64, channel: Option<u64>, bot: bool) {
        let mut all = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        let guild = all.entry(guild).or_default();
        match channel {
            Some(c) => {
                guild.insert(user, c);
            }
            None => {
                guild.remove(&user);
            }
        }
        if bot {
            self.bots
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(user);
        }
    }

    /// Whether `user` is known to be a bot.
    pub fn is_bot(&self, user: u64) -> bool {
        self.bots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&user)
    }

    /// The voice channel `user` is in, in `guild`.
    pub fn channel_of(&self, guild: u64, user: u64) -> Option<u64> {
        self.channels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&guild)
            .and_then(|g| g.get(&user).copied())
    }

    /// The people (not bots) in a voice channel, in id order.
    pub fn in_channel(&self, guild: u64, channel: u64) -> Vec<u64> {
        let mut users: Vec<u64> = self
            .channels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&guild)
            .map(|g| {
                g.iter()
                    .filter(|(_, c)| **c == channel)
                    .map(|(u, _)| *u)
                    .collect()
            })
            .unwrap_or_default();
        users.retain(|u| !self.is_bot(*u));
        users.sort_unstable();
        users
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_voice_channel_lists_its_people_without_bots_and_follows_moves() {
        let roster = VoiceRoster::default();
        roster.set(1, 30, Some(9), false);
        roster.set(1, 10, Some(9), false);
        roster.set(1, 20, Some(9), true);
        roster.set(2, 40, Some(9), false);
        assert_eq!(roster.in_channel(1, 9), [10, 30]);
        roster.set(1, 30, None, false);
        assert_eq!(roster.in_channel(1, 9), [10]);
        assert_eq!(roster.channel_of(1, 10), Some(9));
        assert!(roster.is_bot(20));
    }
}
