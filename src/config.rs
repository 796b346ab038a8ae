//! Configuration: environment variables (and a `.env` file, via dotenvy) turned into one typed
//! [`Config`], validated once at start. A bad value is reported with the variable's name.
//! The Discord token is a [`SecretString`]: its `Debug` never shows it, and nothing logs it.

use crate::domain::feedback::ReactionMap;
use secrecy::SecretString;
use std::path::PathBuf;

/// The default database: a SQLite file in the working folder.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://marquee.db";

/// Every setting Marquee reads. See `.env.example` for one line on each.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DISCORD_TOKEN`: the bot token; without it Marquee runs on the terminal only.
    pub discord_token: Option<SecretString>,
    /// `DISCORD_DEV_GUILD_ID`: register slash commands in this server only (instant updates).
    pub dev_guild_id: Option<u64>,
    /// `DATABASE_URL`: `sqlite://FILE` (default) or `postgres://USER@HOST:PORT/DB`.
    pub database_url: String,
    /// `DISCORD_API_BASE`: another base URL for Discord's HTTP API and gateway (tests' fake).
    pub discord_api_base: Option<String>,
    /// `MARQUEE_REACTIONS`: the reaction → rating map: the default with these entries added or
    /// replaced, e.g. `🍿=4.5,👎=1`.
    pub reactions: ReactionMap,
    /// `MARQUEE_PROMPTS_DIR`: a folder whose templates override the embedded `prompts/`.
    pub prompts_dir: Option<PathBuf>,
    /// `MODEL_REFRESH_MINUTES`: the bot retrains its models at least this often (default 60).
    pub model_refresh_minutes: u64,
    /// `MARQUEE_RETRAIN_QUIET_SECONDS` (5), `MARQUEE_RETRAIN_MAX_WAIT_SECONDS` (30): the bot
    /// retrains once new feedback has been quiet this long, and at most the maximum wait after
    /// the first of it.
    pub retrain_quiet_seconds: u64,
    pub retrain_max_wait_seconds: u64,
    /// `MARQUEE_SERVER_GRACE_DAYS` (30), `MARQUEE_LIST_DAYS` (90): how long a removed server's
    /// data and shown lists are kept.
    pub retention: crate::app::retention::Retention,
    /// `MARQUEE_OPERATORS`: Discord user ids of the people who run the bot; they may start
    /// experiments in every server.
    pub operators: Vec<u64>,
    /// Another experiments file than the shipped `experiments.toml` (`MARQUEE_EXPERIMENTS`).
    pub experiments_file: Option<PathBuf>,
}

/// A setting with a value Marquee cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {problem}. {fix}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// What is wrong with it.
    pub problem: String,
    /// How to put it right.
    pub fix: &'static str,
}

impl Config {
    /// Loads `.env` (if present; existing environment variables win) and reads the settings.
    ///
    /// # Errors
    /// The first variable whose value cannot be used, with the fix.
    pub fn load() -> Result<Self, ConfigError> {
        // Only the .env of the working folder counts: `dotenvy::dotenv()` would also search the
        // parent folders and could pick up another project's settings. A missing .env is
        // normal; a malformed one is worth saying.
        if let Err(e) = dotenvy::from_path(".env") {
            if !e.not_found() {
                return Err(ConfigError {
                    variable: ".env",
                    problem: format!("cannot read the .env file ({e})"),
                    fix: "Fix the line it names, or delete .env and use environment variables.",
                });
            }
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    ///
    /// # Errors
    /// The first variable whose value cannot be used, with the fix.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let discord_token = match get("DISCORD_TOKEN") {
            None => None,
            Some(token) => {
                check_token(&token)?;
                Some(SecretString::from(token))
            }
        };
        let dev_guild_id = match get("DISCORD_DEV_GUILD_ID") {
            None => None,
            Some(v) => Some(v.parse::<u64>().ok().filter(|&id| id > 0).ok_or_else(|| ConfigError {
                variable: "DISCORD_DEV_GUILD_ID",
                problem: format!("{v:?} is not a server id"),
                fix: "Use the numeric id (Discord: Developer Mode on, right-click the server, Copy Server ID), or leave it empty to register commands globally.",
            })?),
        };
        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        check_database_url(&database_url)?;
        let discord_api_base = get("DISCORD_API_BASE");
        if let Some(base) = &discord_api_base {
            if !(base.starts_with("http://") || base.starts_with("https://")) {
                return Err(ConfigError {
                    variable: "DISCORD_API_BASE",
                    problem: format!("{base:?} is not an http(s) URL"),
                    fix: "Leave it unset to talk to Discord itself; set it only to point at a test server.",
                });
            }
        }
        let model_refresh_minutes = match get("MODEL_REFRESH_MINUTES") {
            None => 60,
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|&m| (1..=10_080).contains(&m))
                .ok_or_else(|| ConfigError {
                    variable: "MODEL_REFRESH_MINUTES",
                    problem: format!("{v:?} is not a number of minutes from 1 to 10080"),
                    fix: "Use a whole number such as 60.",
                })?,
        };
        let (retrain_quiet_seconds, retrain_max_wait_seconds) = retrain_debounce(&get)?;
        let reactions = match get("MARQUEE_REACTIONS") {
            None => ReactionMap::default(),
            Some(spec) => ReactionMap::default().with_overrides(&spec).map_err(|e| ConfigError {
                variable: "MARQUEE_REACTIONS",
                problem: e.to_string(),
                fix: "Write comma-separated emoji=value pairs; a value is 0.5-5, seen or not_interested (e.g. 🍿=4.5,👀=seen).",
            })?,
        };
        let days = |variable: &'static str, default: u32| match get(variable) {
            None => Ok(default),
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|&d| (1..=3650).contains(&d))
                .ok_or_else(|| ConfigError {
                    variable,
                    problem: format!("{v:?} is not a number of days from 1 to 3650"),
                    fix: "Use a whole number of days, such as 30.",
                }),
        };
        let retention = crate::app::retention::Retention {
            server_grace_days: days("MARQUEE_SERVER_GRACE_DAYS", 30)?,
            list_days: days("MARQUEE_LIST_DAYS", 90)?,
            ..crate::app::retention::Retention::default()
        };
        let operators = match get("MARQUEE_OPERATORS") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(|id| id.parse::<u64>().ok().filter(|&n| n > 0))
                .collect::<Option<Vec<u64>>>()
                .ok_or_else(|| ConfigError {
                    variable: "MARQUEE_OPERATORS",
                    problem: format!("{list:?} is not a list of Discord user ids"),
                    fix: "Use comma-separated numeric ids (Discord: Developer Mode on, right-click a user, Copy User ID).",
                })?,
        };
        Ok(Config {
            retention,
            operators,
            reactions,
            discord_token,
            dev_guild_id,
            database_url,
            discord_api_base,
            prompts_dir: get("MARQUEE_PROMPTS_DIR").map(PathBuf::from),
            experiments_file: get("MARQUEE_EXPERIMENTS").map(PathBuf::from),
            model_refresh_minutes,
            retrain_quiet_seconds,
            retrain_max_wait_seconds,
        })
    }

    /// When the bot retrains: the debounce and the floor of these settings (see
    /// [`crate::domain::retrain`]).
    pub fn retrain_policy(&self) -> crate::domain::retrain::RetrainPolicy {
        let ms = |seconds: u64| i64::try_from(seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
        crate::domain::retrain::RetrainPolicy::debounced(
            ms(self.retrain_quiet_seconds),
            ms(self.retrain_max_wait_seconds),
            ms(self.model_refresh_minutes.saturating_mul(60)),
        )
    }

    /// Uses another database than `DATABASE_URL` (the `--database-url` option).
    ///
    /// # Errors
    /// The URL names no database Marquee can use.
    pub fn set_database_url(&mut self, url: String) -> Result<(), ConfigError> {
        check_database_url(&url)?;
        self.database_url = url;
        Ok(())
    }

    /// The database URL with any password hidden, for messages and logs.
    pub fn database_shown(&self) -> String {
        redact_url(&self.database_url)
    }
}

/// `MARQUEE_RETRAIN_QUIET_SECONDS` (default 5) and `MARQUEE_RETRAIN_MAX_WAIT_SECONDS` (30),
/// 1 to 3600 each, the wait at least the quiet time.
fn retrain_debounce(get: &impl Fn(&str) -> Option<String>) -> Result<(u64, u64), ConfigError> {
    let seconds = |variable: &'static str, default: u64| {
        match get(variable) {
        None => Ok(default),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|&s| (1..=3600).contains(&s))
            .ok_or_else(|| ConfigError {
                variable,
                problem: format!("{v:?} is not a number of seconds from 1 to 3600"),
                fix: "Use a whole number of seconds, such as 5 for the quiet time and 30 for the maximum wait.",
            }),
    }
    };
    let quiet = seconds("MARQUEE_RETRAIN_QUIET_SECONDS", 5)?;
    let max_wait = seconds("MARQUEE_RETRAIN_MAX_WAIT_SECONDS", 30)?;
    if max_wait < quiet {
        return Err(ConfigError {
            variable: "MARQUEE_RETRAIN_MAX_WAIT_SECONDS",
            problem: format!(
                "{max_wait} s is shorter than the quiet time ({quiet} s, MARQUEE_RETRAIN_QUIET_SECONDS)"
            ),
            fix: "Make the maximum wait at least the quiet time.",
        });
    }
    Ok((quiet, max_wait))
}

fn check_database_url(url: &str) -> Result<(), ConfigError> {
    crate::outbound::storage::Backend::from_url(url)
        .map(|_| ())
        .map_err(|problem| ConfigError {
            variable: "DATABASE_URL",
            problem,
            fix: "Examples: sqlite://marquee.db or postgres://postgres@127.0.0.1:5432/marquee.",
        })
}

/// `url` with every password replaced by `***`, so it can be shown or logged: the one after
/// the user name (`postgres://kim:***@db/m`) and any `password=` or `sslpassword=` in the query
/// string, in any case (`?password=***`). When in doubt it hides more, never less.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return redact_query(url);
    };
    // The user part ends at the last `@` before the path, query or fragment that follows the
    // first `@`, so an unescaped `@`, `/` or `?` in the password is still hidden, and an `@` in
    // the query string is not taken for the end of a user name.
    let rest = match rest.find('@') {
        Some(first_at) => {
            let path = rest[first_at..]
                .find(['/', '?', '#'])
                .map_or(rest.len(), |p| first_at + p);
            let last_at = rest[..path].rfind('@').unwrap_or(first_at);
            let (userinfo, host) = (&rest[..last_at], &rest[last_at..]);
            match userinfo.split_once(':') {
                Some((user, _password)) => format!("{user}:***{host}"),
                None => rest.to_owned(),
            }
        }
        None => rest.to_owned(),
    };
    format!("{scheme}://{}", redact_query(&rest))
}

/// `text` with the value of every `password=` or `sslpassword=` parameter (any case, also
/// percent-encoded) replaced by `***`. A parameter starts after a `?` or `&` and its value runs
/// to the next `&`.
fn redact_query(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['?', '&']) {
        out.push_str(&rest[..=i]);
        rest = &rest[i + 1..];
        let end = rest.find('&').unwrap_or(rest.len());
        if let Some((key, _value)) = rest[..end].split_once('=')
            && is_password_key(key)
        {
            out.push_str(key);
            out.push_str("=***");
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

/// Whether a query parameter's name is a password's: `password`, `sslpassword` or anything
/// else ending in "password", in any case and after percent-decoding (`pass%77ord`).
fn is_password_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                decoded.push(b);
                i += 3;
            }
            (b, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    decoded.to_ascii_lowercase().ends_with(b"password")
}

/// A Discord bot token is three dot-separated base64url parts (id, timestamp, HMAC).
fn check_token(token: &str) -> Result<(), ConfigError> {
    let bad = |problem: &str| ConfigError {
        variable: "DISCORD_TOKEN",
        problem: problem.to_owned(),
        fix: "Copy the token again from https://discord.com/developers/applications → your app → Bot → Reset Token (no quotes, no \"Bot \" prefix).",
    };
    if token.starts_with("Bot ") || token.starts_with("Bearer ") {
        return Err(bad("the value starts with \"Bot \"; give the token alone"));
    }
    let parts: Vec<&str> = token.split('.').collect();
    let base64url = |p: &&str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if parts.len() != 3 || !parts.iter().all(base64url) || token.len() < 50 {
        return Err(bad(
            "this does not look like a bot token (three dot-separated parts)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    const TOKEN: &str =
        "MTA5ODc2NTQzMjEwOTg3NjU0Mw.GxYzAb.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN";

    fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn nothing_set_gives_the_embedded_defaults() {
        let c = load(&[]).expect("defaults are valid");
        assert!(c.discord_token.is_none());
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.model_refresh_minutes, 60);
        let p = c.retrain_policy();
        assert_eq!(
            (p.quiet_ms, p.max_wait_ms, p.floor_ms),
            (5_000, 30_000, 3_600_000)
        );
    }

    #[test]
    fn the_retrain_debounce_is_read_and_checked() {
        let c = load(&[
            ("MARQUEE_RETRAIN_QUIET_SECONDS", "1"),
            ("MARQUEE_RETRAIN_MAX_WAIT_SECONDS", "3"),
            ("MODEL_REFRESH_MINUTES", "2"),
        ])
        .expect("valid");
        let p = c.retrain_policy();
        assert_eq!(
            (p.quiet_ms, p.max_wait_ms, p.floor_ms),
            (1_000, 3_000, 120_000)
        );
        for (variable, bad) in [
            ("MARQUEE_RETRAIN_QUIET_SECONDS", "0"),
            ("MARQUEE_RETRAIN_QUIET_SECONDS", "soon"),
            ("MARQUEE_RETRAIN_MAX_WAIT_SECONDS", "3601"),
            ("MARQUEE_RETRAIN_MAX_WAIT_SECONDS", "2"),
        ] {
            assert_eq!(load(&[(variable, bad)]).unwrap_err().variable, variable);
        }
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let c = load(&[("DISCORD_TOKEN", TOKEN)]).expect("valid token");
        assert_eq!(
            c.discord_token.as_ref().map(ExposeSecret::expose_secret),
            Some(TOKEN)
        );
        let debug = format!("{c:?}");
        assert!(
            !debug.contains(TOKEN) && !debug.contains("GxYzAb"),
            "{debug}"
        );
    }

    #[test]
    fn a_malformed_token_is_named_without_echoing_it() {
        let err = load(&[("DISCORD_TOKEN", "Bot abc.def")]).unwrap_err();
        assert_eq!(err.variable, "DISCORD_TOKEN");
        assert!(!err.to_string().contains("abc.def"));
        assert_eq!(
            load(&[("DISCORD_TOKEN", "hello")]).unwrap_err().variable,
            "DISCORD_TOKEN"
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        assert_eq!(
            load(&[("DATABASE_URL", "mysql://x")]).unwrap_err().variable,
            "DATABASE_URL"
        );
        assert_eq!(
            load(&[("DISCORD_DEV_GUILD_ID", "my server")])
                .unwrap_err()
                .variable,
            "DISCORD_DEV_GUILD_ID"
        );
        assert_eq!(
            load(&[("MODEL_REFRESH_MINUTES", "0")])
                .unwrap_err()
                .variable,
            "MODEL_REFRESH_MINUTES"
        );
        assert_eq!(
            load(&[("DISCORD_API_BASE", "localhost:1")])
                .unwrap_err()
                .variable,
            "DISCORD_API_BASE"
        );
    }

    #[test]
    fn retention_and_operators_are_read_and_bad_values_named() {
        let c = load(&[
            ("MARQUEE_SERVER_GRACE_DAYS", "7"),
            ("MARQUEE_LIST_DAYS", "30"),
            ("MARQUEE_OPERATORS", "123, 456"),
        ])
        .expect("valid");
        assert_eq!(
            (c.retention.server_grace_days, c.retention.list_days),
            (7, 30)
        );
        assert_eq!(c.operators, [123, 456]);
        let d = load(&[]).expect("defaults");
        assert_eq!(
            (d.retention.server_grace_days, d.retention.list_days),
            (30, 90)
        );
        assert!(d.operators.is_empty());
        for (variable, bad) in [
            ("MARQUEE_SERVER_GRACE_DAYS", "0"),
            ("MARQUEE_SERVER_GRACE_DAYS", "a month"),
            ("MARQUEE_LIST_DAYS", "-1"),
            ("MARQUEE_LIST_DAYS", "99999"),
            ("MARQUEE_OPERATORS", "me"),
        ] {
            assert_eq!(load(&[(variable, bad)]).unwrap_err().variable, variable);
        }
    }

    #[test]
    fn reaction_overrides_add_to_the_default_map_and_bad_ones_are_named() {
        let c = load(&[("MARQUEE_REACTIONS", "🍿=4.5")]).expect("valid");
        assert!(c.reactions.get("🍿").is_some());
        assert!(c.reactions.get("👍").is_some(), "defaults stay");
        for bad in ["🍿", "🍿=11", "=4"] {
            assert_eq!(
                load(&[("MARQUEE_REACTIONS", bad)]).unwrap_err().variable,
                "MARQUEE_REACTIONS"
            );
        }
    }

    #[test]
    fn passwords_in_database_urls_are_hidden() {
        assert_eq!(
            redact_url("postgres://kim:s3cr@t@db:5432/m"),
            "postgres://kim:***@db:5432/m"
        );
        assert_eq!(redact_url("sqlite://marquee.db"), "sqlite://marquee.db");
        let mut c = load(&[]).expect("defaults");
        assert!(c.set_database_url("mysql://x".into()).is_err());
        c.set_database_url("postgres://a:pw@h/d".into())
            .expect("valid");
        assert!(!c.database_shown().contains("pw"));
    }

    #[test]
    fn postgres_urls_are_accepted() {
        let c =
            load(&[("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")]).expect("valid");
        assert!(c.database_url.starts_with("postgres://"));
    }
}
