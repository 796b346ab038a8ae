//! Taste groups per server: every server (and the shared base of imported raters) is clustered
//! on its own members, so a server's groups, names and map never mix in people from elsewhere.

use super::TasteGroups;
use crate::domain::ids::{GuildId, UserId};
use serde::{Deserialize, Serialize};

const MAGIC: &[u8; 8] = b"MARQSTG1";

/// One scope's groups: a server's, or the shared base's (`server: None`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopedGroups {
    pub server: Option<GuildId>,
    pub groups: TasteGroups,
}

/// The taste groups of every scope, found at one training.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ServerTaste {
    scopes: Vec<ScopedGroups>,
}

impl ServerTaste {
    /// Groups for each scope (one entry per scope; a later entry replaces an earlier one).
    pub fn new(scopes: impl IntoIterator<Item = (Option<GuildId>, TasteGroups)>) -> Self {
        let mut out = ServerTaste::default();
        for (server, groups) in scopes {
            out.scopes.retain(|s| s.server != server);
            out.scopes.push(ScopedGroups { server, groups });
        }
        out.scopes.sort_by_key(|s| s.server);
        out
    }

    /// The groups of `server` (`None`: the shared base), if it has any.
    pub fn of(&self, server: Option<GuildId>) -> Option<&TasteGroups> {
        self.scopes
            .iter()
            .find(|s| s.server == server)
            .map(|s| &s.groups)
    }

    /// Every scope with its groups.
    pub fn scopes(&self) -> &[ScopedGroups] {
        &self.scopes
    }

    /// Groups found in all scopes together.
    pub fn group_count(&self) -> usize {
        self.scopes.iter().map(|s| s.groups.groups().len()).sum()
    }

    /// Users placed in a group, in all scopes together.
    pub fn user_count(&self) -> usize {
        self.scopes.iter().map(|s| s.groups.user_count()).sum()
    }

    /// The same groups without `user` (someone who asked to be forgotten).
    pub fn forget(&mut self, user: UserId) {
        for s in &mut self.scopes {
            s.groups.forget(user);
        }
    }

    /// Serialises for storage next to the model snapshot.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        // Serialising plain data with serde_json cannot fail.
        out.extend(serde_json::to_vec(self).unwrap_or_default());
        out
    }

    /// Reads what [`Self::to_bytes`] wrote.
    ///
    /// # Errors
    /// The bytes are not per-server taste groups, or are corrupt.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let body = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or_else(|| "not Marquee's per-server taste groups".to_owned())?;
        serde_json::from_slice(body).map_err(|e| format!("corrupt per-server taste groups: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scope_keeps_its_own_groups_through_bytes() {
        let taste = ServerTaste::new([
            (Some(GuildId(2)), TasteGroups::empty()),
            (None, TasteGroups::empty()),
        ]);
        assert!(taste.of(Some(GuildId(2))).is_some());
        assert!(taste.of(None).is_some());
        assert!(
            taste.of(Some(GuildId(3))).is_none(),
            "no groups for a server never clustered"
        );
        let back = ServerTaste::from_bytes(&taste.to_bytes()).expect("round trip");
        assert_eq!(back, taste);
        assert!(ServerTaste::from_bytes(b"MARQTST1{}").is_err());
    }
}
