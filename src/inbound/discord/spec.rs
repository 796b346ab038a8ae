//! The slash commands Marquee registers (from the app's one list of commands,
//! [`crate::app::help::COMMANDS`], so `/help` and registration cannot drift apart), and how an
//! invocation's options become a [`Command`].

use crate::app::help::{COMMANDS, CommandHelp};
use crate::app::{Command, Filters, PrivacyCommand};
use crate::domain::catalog::Genre;
use serenity::all::{
    CommandDataOption, CommandDataOptionValue, CommandOptionType, CreateCommand,
    CreateCommandOption, InteractionContext,
};

/// The most picks a list on Discord may hold (a select menu has at most 25 options).
pub const MAX_LIST: usize = 25;

fn movie_option(description: &str) -> CreateCommandOption {
    CreateCommandOption::new(CommandOptionType::String, "movie", description)
        .required(true)
        .set_autocomplete(true)
        .max_length(200)
}

fn command(c: &CommandHelp) -> CreateCommand {
    CreateCommand::new(c.name)
        .description(c.summary)
        .contexts(vec![InteractionContext::Guild])
}

/// A genre option with every genre as a choice.
pub fn genre_option(description: &str) -> CreateCommandOption {
    let mut genre = CreateCommandOption::new(CommandOptionType::String, "genre", description);
    for g in &Genre::ALL {
        genre = genre.add_string_choice(g.name(), g.name());
    }
    genre
}

/// One command to register.
fn build(c: &CommandHelp) -> CreateCommand {
    match c.name {
        "recommend" => command(c)
            .add_option(genre_option("only films of this genre"))
            .add_option(
                CreateCommandOption::new(CommandOptionType::Integer, "count", "how many (1-25)")
                    .min_int_value(1)
                    .max_int_value(MAX_LIST as u64),
            )
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::Integer,
                    "min_year",
                    "released in or after",
                )
                .min_int_value(1870)
                .max_int_value(2100),
            )
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::Integer,
                    "max_year",
                    "released in or before",
                )
                .min_int_value(1870)
                .max_int_value(2100),
            ),
        "similar" | "seen" | "review" => command(c).add_option(movie_option("the film")),
        "rate" => command(c).add_option(movie_option("the film")).add_option(
            CreateCommandOption::new(
                CommandOptionType::Number,
                "stars",
                "0.5 to 5, half stars allowed",
            )
            .required(true)
            .min_number_value(0.5)
            .max_number_value(5.0),
        ),
        "ask" => super::ask::options(command(c)),
        "watchparty" => super::party::options(command(c)),
        "experiment" => super::lab::options(command(c)),
        "privacy" => privacy_options(command(c)),
        "import" => command(c).add_option(
            CreateCommandOption::new(
                CommandOptionType::Attachment,
                "file",
                "Letterboxd ZIP or CSV, IMDb ratings.csv, Trakt ZIP or JSON (up to 25 MB)",
            )
            .required(true),
        ),
        _ => command(c),
    }
}

fn privacy_options(command: CreateCommand) -> CreateCommand {
    let sub = |name: &str, description: &str| {
        CreateCommandOption::new(CommandOptionType::SubCommand, name, description)
    };
    command
        .add_option(sub("show", "what Marquee keeps about you in this server"))
        .add_option(sub(
            "export",
            "everything about you in this server, as a file",
        ))
        .add_option(
            sub(
                "forget",
                "delete everything about you in this server (asks first)",
            )
            .add_sub_option(CreateCommandOption::new(
                CommandOptionType::Boolean,
                "everywhere",
                "in every server Marquee is in",
            )),
        )
}

fn privacy_command(options: &[CommandDataOption]) -> Command {
    let Some(sub) = options.first() else {
        return Command::Privacy(PrivacyCommand::Show);
    };
    Command::Privacy(match sub.name.as_str() {
        "export" => PrivacyCommand::Export,
        "forget" => PrivacyCommand::Forget {
            everywhere: match &sub.value {
                CommandDataOptionValue::SubCommand(o) => {
                    find(o, "everywhere") == Some(&CommandDataOptionValue::Boolean(true))
                }
                _ => false,
            },
            confirmed: false,
        },
        _ => PrivacyCommand::Show,
    })
}

/// The commands to register (guild or global), in `/help`'s order.
pub fn commands() -> Vec<CreateCommand> {
    COMMANDS.iter().map(build).collect()
}

/// An option's value by name.
pub fn find<'a>(
    options: &'a [CommandDataOption],
    name: &str,
) -> Option<&'a CommandDataOptionValue> {
    options.iter().find(|o| o.name == name).map(|o| &o.value)
}

/// A string option's value (or an autocompleted one's) by name.
pub fn string(options: &[CommandDataOption], name: &str) -> Option<String> {
    match find(options, name)? {
        CommandDataOptionValue::String(s) => Some(s.clone()),
        CommandDataOptionValue::Autocomplete { value, .. } => Some(value.clone()),
        _ => None,
    }
}

/// An integer option's value by name.
pub fn integer(options: &[CommandDataOption], name: &str) -> Option<i64> {
    match find(options, name)? {
        CommandDataOptionValue::Integer(n) => Some(*n),
        _ => None,
    }
}

/// A number option's value by name (an integer is read as a number).
pub fn number(options: &[CommandDataOption], name: &str) -> Option<f64> {
    match find(options, name)? {
        CommandDataOptionValue::Number(n) => Some(*n),
        CommandDataOptionValue::Integer(n) => Some(*n as f64),
        _ => None,
    }
}

/// What a slash command asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// A command for the app; `public` answers go to the channel, the others to the caller
    /// only.
    Run { command: Command, public: bool },
    /// `/review movie`: open the review form for that film.
    ReviewForm { title: String },
    /// `/watchparty …` (it needs the voice roster to know who is invited).
    WatchParty,
    /// `/import file`: the attachment (fetched before the app sees it).
    Import(Option<serenity::all::AttachmentId>),
    /// A command this build does not know (an old registration).
    Unknown(String),
}

/// Reads a slash command's name and options. Out-of-range values are passed on as they are:
/// the app answers them with a sentence (Discord checks ranges in its client, but a request
/// may come from elsewhere).
pub fn invocation(name: &str, options: &[CommandDataOption]) -> Invocation {
    let movie = || string(options, "movie").unwrap_or_default();
    let year = |n: &str| integer(options, n).map(|y| i32::try_from(y).unwrap_or(i32::MAX));
    let private = |command| Invocation::Run {
        command,
        public: false,
    };
    match name {
        "recommend" => Invocation::Run {
            command: Command::Recommend {
                filters: Filters {
                    genre: string(options, "genre"),
                    count: integer(options, "count")
                        .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
                    min_year: year("min_year"),
                    max_year: year("max_year"),
                },
                instead_of: None,
            },
            public: true,
        },
        "similar" => Invocation::Run {
            command: Command::Similar {
                title: movie(),
                count: None,
            },
            public: true,
        },
        "rate" => private(Command::Rate {
            title: movie(),
            stars: number(options, "stars").unwrap_or(f64::NAN),
        }),
        "seen" => private(Command::Seen { title: movie() }),
        "review" => Invocation::ReviewForm { title: movie() },
        "profile" => private(Command::Profile),
        "quiz" => private(Command::Quiz(crate::app::QuizStep::default())),
        "taste" => private(Command::Taste),
        "tastemap" => private(Command::TasteMap),
        "ask" => Invocation::Run {
            command: super::ask::command(options),
            public: true,
        },
        "experiment" => private(super::lab::command(options)),
        "privacy" => private(privacy_command(options)),
        "watchparty" => Invocation::WatchParty,
        "import" => Invocation::Import(match find(options, "file") {
            Some(CommandDataOptionValue::Attachment(id)) => Some(*id),
            _ => None,
        }),
        "help" => private(Command::Help),
        other => Invocation::Unknown(other.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An option as Discord sends it (the type is non-exhaustive, so it is read from JSON).
    fn opt(name: &str, value: CommandDataOptionValue) -> CommandDataOption {
        let (kind, value) = match value {
            CommandDataOptionValue::String(s) => (3, serde_json::json!(s)),
            CommandDataOptionValue::Integer(n) => (4, serde_json::json!(n)),
            CommandDataOptionValue::Number(n) => (10, serde_json::json!(n)),
            other => panic!("not used here: {other:?}"),
        };
        serde_json::from_value(serde_json::json!({"name": name, "type": kind, "value": value}))
            .expect("an option")
    }

    #[test]
    fn registered_commands_have_the_documented_names_and_movie_options_autocomplete() {
        let json = serde_json::to_value(commands()).expect("json");
        let names: Vec<&str> = json
            .as_array()
            .expect("list")
            .iter()
            .map(|c| c["name"].as_str().expect("name"))
            .collect();
        let expected: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
        assert_eq!(names, expected, "registered from the one list /help shows");
        for c in json.as_array().expect("list") {
            let description = c["description"].as_str().expect("description");
            assert!((1..=100).contains(&description.chars().count()), "{c}");
            for o in c["options"].as_array().into_iter().flatten() {
                if o["name"] == "movie" {
                    assert_eq!(o["autocomplete"], true, "{c}");
                    assert_eq!(o["required"], true, "{c}");
                }
            }
        }
    }

    #[test]
    fn options_become_commands() {
        let rec = invocation(
            "recommend",
            &[
                opt("genre", CommandDataOptionValue::String("Comedy".into())),
                opt("count", CommandDataOptionValue::Integer(7)),
                opt("min_year", CommandDataOptionValue::Integer(1990)),
            ],
        );
        assert_eq!(
            rec,
            Invocation::Run {
                command: Command::Recommend {
                    filters: Filters {
                        genre: Some("Comedy".into()),
                        count: Some(7),
                        min_year: Some(1990),
                        max_year: None,
                    },
                    instead_of: None,
                },
                public: true
            }
        );
        let rate = invocation(
            "rate",
            &[
                opt("movie", CommandDataOptionValue::String("film:12".into())),
                opt("stars", CommandDataOptionValue::Number(4.5)),
            ],
        );
        assert_eq!(
            rate,
            Invocation::Run {
                command: Command::Rate {
                    title: "film:12".into(),
                    stars: 4.5
                },
                public: false
            }
        );
        assert_eq!(
            invocation(
                "review",
                &[opt("movie", CommandDataOptionValue::String("Heat".into()))]
            ),
            Invocation::ReviewForm {
                title: "Heat".into()
            }
        );
        assert_eq!(invocation("nope", &[]), Invocation::Unknown("nope".into()));
    }
}
