//! Identifier newtypes. The domain never uses serenity's or sqlx's types for ids.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// A film in Marquee's catalog (the database row id, not an external id).
    MovieId
);
id_type!(
    /// A person Marquee knows: a Discord user, a console user or a historical MovieLens rater.
    UserId
);
id_type!(
    /// A Discord server (its snowflake).
    GuildId
);
id_type!(
    /// A stored feedback event.
    EventId
);
id_type!(
    /// A watch party.
    PartyId
);
