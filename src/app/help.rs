//! Every command Marquee offers, in one list: Discord registers its slash commands from it, and
//! `/help` and the console's `help` print it, so they cannot drift apart.

/// One command for `/help` and for registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandHelp {
    /// The command's name, without a slash.
    pub name: &'static str,
    /// Its arguments, Discord style ("movie stars"; `[x]` is optional).
    pub args: &'static str,
    /// What it does, one line of at most 100 characters (Discord's limit on a description).
    pub summary: &'static str,
}

const fn command(name: &'static str, args: &'static str, summary: &'static str) -> CommandHelp {
    CommandHelp {
        name,
        args,
        summary,
    }
}

/// Every command, in the order `/help` lists them and Discord registers them.
pub const COMMANDS: [CommandHelp; 15] = [
    command(
        "recommend",
        "[genre] [count] [min_year] [max_year]",
        "Films picked for you, each with the reason it was picked; react to them to teach Marquee",
    ),
    command(
        "quiz",
        "",
        "Teach Marquee your taste in a minute: a few well-known films, one click each",
    ),
    command("similar", "movie", "Films like this one, and why"),
    command(
        "rate",
        "movie stars",
        "Rate a film from 0.5 to 5 stars, half stars allowed",
    ),
    command(
        "seen",
        "movie",
        "Mark a film as seen, so it is not suggested again",
    ),
    command(
        "review",
        "movie",
        "Write a few words about a film; Marquee reads how much you liked it",
    ),
    command(
        "import",
        "file",
        "Bring your ratings from Letterboxd, IMDb or Trakt: upload the export (ZIP or CSV)",
    ),
    command(
        "profile",
        "",
        "What Marquee has learned about you: top genres, taste group, feedback so far",
    ),
    command(
        "taste",
        "",
        "The taste group you belong to, and what sets it apart",
    ),
    command(
        "tastemap",
        "",
        "The server's taste groups as a picture, with you on it",
    ),
    command(
        "ask",
        "request [new]",
        "Say what you're in the mood for (\"like Alien but funnier\"); refine with /ask again",
    ),
    command(
        "watchparty",
        "start [voice_channel] [members] [when] … | history",
        "A movie night: one fair pick for the whole group, voted on",
    ),
    command(
        "experiment",
        "list | start key | stop key | status key",
        "Recommendation experiments: which variant do people like more? (admins)",
    ),
    command(
        "privacy",
        "show | export | forget [everywhere]",
        "See, download or delete what Marquee keeps about you here (only you see it; PRIVACY.md)",
    ),
    command("help", "", "Every Marquee command, one line each"),
];

/// The entry for `name`.
pub fn find(name: &str) -> Option<&'static CommandHelp> {
    COMMANDS.iter().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_summary_fits_discords_description_limit_and_names_are_unique() {
        for c in COMMANDS {
            assert!((1..=100).contains(&c.summary.chars().count()), "{c:?}");
            assert_eq!(COMMANDS.iter().filter(|d| d.name == c.name).count(), 1);
        }
        assert_eq!(find("ask").map(|c| c.name), Some("ask"));
        assert!(find("nope").is_none());
    }
}
