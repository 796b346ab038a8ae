//! The slash commands Marquee registers, and how an invocation's options become a
//! [`Request`]. Watch-party, experiment and conversation commands add their own entries here.

use crate::app::commands::{MAX_COUNT, Request};
use crate::domain::catalog::Genre;
use serenity::all::{
    CommandDataOption, CommandDataOptionValue, CommandOptionType, CreateCommand,
    CreateCommandOption, InteractionContext,
};

/// Every command's name, in registration order.
pub const NAMES: [&str; 9] = [
    "recommend",
    "similar",
    "rate",
    "seen",
    "review",
    "profile",
    "taste",
    "tastemap",
    "help",
];

fn movie_option(description: &str) -> CreateCommandOption {
    CreateCommandOption::new(CommandOptionType::String, "movie", description)
        .required(true)
        .set_autocomplete(true)
        .max_length(200)
}

fn command(name: &str, description: &str) -> CreateCommand {
    CreateCommand::new(name)
        .description(description)
        .contexts(vec![InteractionContext::Guild])
}

/// The commands to register (guild or global).
pub fn commands() -> Vec<CreateCommand> {
    let mut genre = CreateCommandOption::new(
        CommandOptionType::String,
        "genre",
        "only films of this genre",
    );
    for g in &Genre::ALL {
        genre = genre.add_string_choice(g.name(), g.name());
    }
    vec![
        command(
            "recommend",
            "Films picked for you, each with the reason it was picked",
        )
        .add_option(genre)
        .add_option(
            CreateCommandOption::new(CommandOptionType::Integer, "count", "how many (1-25)")
                .min_int_value(1)
                .max_int_value(MAX_COUNT as u64),
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
        command("similar", "Films like this one, and why").add_option(movie_option("the film")),
        command("rate", "Rate a film from 0.5 to 5 stars")
            .add_option(movie_option("the film"))
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::Number,
                    "stars",
                    "0.5 to 5, half stars allowed",
                )
                .required(true)
                .min_number_value(0.5)
                .max_number_value(5.0),
            ),
        command("seen", "Mark a film as seen, so it is not suggested again")
            .add_option(movie_option("the film")),
        command(
            "review",
            "Write a few words about a film; Marquee reads how much you liked it",
        )
        .add_option(movie_option("the film")),
        command(
            "profile",
            "What Marquee has learned about you (only you see it)",
        ),
        command("taste", "Your taste group and what sets it apart"),
        command(
            "tastemap",
            "The server's taste groups as a picture, with you on it",
        ),
        command("help", "Every Marquee command, one line each"),
    ]
}

/// A string, integer or number option's value by name.
fn find<'a>(options: &'a [CommandDataOption], name: &str) -> Option<&'a CommandDataOptionValue> {
    options.iter().find(|o| o.name == name).map(|o| &o.value)
}

fn string(options: &[CommandDataOption], name: &str) -> Option<String> {
    match find(options, name)? {
        CommandDataOptionValue::String(s) => Some(s.clone()),
        CommandDataOptionValue::Autocomplete { value, .. } => Some(value.clone()),
        _ => None,
    }
}

fn integer(options: &[CommandDataOption], name: &str) -> Option<i64> {
    match find(options, name)? {
        CommandDataOptionValue::Integer(n) => Some(*n),
        _ => None,
    }
}

fn number(options: &[CommandDataOption], name: &str) -> Option<f64> {
    match find(options, name)? {
        CommandDataOptionValue::Number(n) => Some(*n),
        CommandDataOptionValue::Integer(n) => Some(*n as f64),
        _ => None,
    }
}

/// What a slash command asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// A request for the shared command layer.
    Run(Request),
    /// `/review movie`: open the review form for that film.
    ReviewForm { title: String },
    /// `/tastemap`.
    TasteMap,
    /// A command this build does not know (an old registration).
    Unknown(String),
}

/// Reads a slash command's name and options. Out-of-range values are passed on as they are:
/// the command layer answers them with a sentence (Discord checks ranges in its client, but a
/// request may come from elsewhere).
pub fn invocation(name: &str, options: &[CommandDataOption]) -> Invocation {
    let movie = || string(options, "movie").unwrap_or_default();
    let year = |n: &str| integer(options, n).map(|y| i32::try_from(y).unwrap_or(i32::MAX));
    match name {
        "recommend" => Invocation::Run(Request::Recommend {
            genre: string(options, "genre"),
            count: integer(options, "count").map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            min_year: year("min_year"),
            max_year: year("max_year"),
            instead_of: None,
        }),
        "similar" => Invocation::Run(Request::Similar { title: movie() }),
        "rate" => Invocation::Run(Request::Rate {
            title: movie(),
            stars: number(options, "stars").unwrap_or(f64::NAN),
        }),
        "seen" => Invocation::Run(Request::Seen { title: movie() }),
        "review" => Invocation::ReviewForm { title: movie() },
        "profile" => Invocation::Run(Request::Profile),
        "taste" => Invocation::Run(Request::Taste),
        "tastemap" => Invocation::TasteMap,
        "help" => Invocation::Run(Request::Help),
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
        assert_eq!(names, NAMES);
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
    fn options_become_requests() {
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
            Invocation::Run(Request::Recommend {
                genre: Some("Comedy".into()),
                count: Some(7),
                min_year: Some(1990),
                max_year: None,
                instead_of: None,
            })
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
            Invocation::Run(Request::Rate {
                title: "film:12".into(),
                stars: 4.5
            })
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
