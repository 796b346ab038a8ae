//! The real binary, run as a new user would: no token, a fresh folder, bad settings.

use std::path::Path;
use std::process::{Command, Output};

fn marquee(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_marquee"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("DISCORD_TOKEN")
        .env_remove("DATABASE_URL")
        .env_remove("DISCORD_DEV_GUILD_ID")
        .env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run marquee")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn catalog_search_finds_the_godfather_films_with_their_years() {
    let dir = tempfile::tempdir().expect("dir");
    let out = marquee(dir.path(), &["catalog", "search", "godfather"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("The Godfather (1972)"), "{stdout}");
    assert!(stdout.lines().next().is_some_and(|l| l.contains("The Godfather")), "{stdout}");
    assert!(dir.path().join("marquee.db").exists(), "the default SQLite file is created");
}

#[test]
fn the_default_command_without_a_token_shows_a_demo_and_how_to_connect() {
    let dir = tempfile::tempdir().expect("dir");
    let out = marquee(dir.path(), &[], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Catalog:") && stdout.contains("films"), "{stdout}");
    assert!(stdout.contains("DISCORD_TOKEN") && stdout.contains("applications.commands"), "{stdout}");
}

#[test]
fn serve_without_a_token_explains_what_to_set_and_fails() {
    let dir = tempfile::tempdir().expect("dir");
    let out = marquee(dir.path(), &["serve"], &[]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("DISCORD_TOKEN") && stderr.contains("discord.com/developers"), "{stderr}");
}

#[test]
fn bad_settings_get_one_clear_line_and_no_panic() {
    let dir = tempfile::tempdir().expect("dir");
    let cases: [(&str, &str, &str); 4] = [
        ("DATABASE_URL", "mysql://root:hunter2@localhost/x", "DATABASE_URL"),
        ("DATABASE_URL", "sqlite:///no/such/folder/marquee.db", "SQLite"),
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:1/none", "PostgreSQL"),
        ("DISCORD_TOKEN", "not-a-token", "DISCORD_TOKEN"),
    ];
    for (var, value, expected) in cases {
        let out = marquee(dir.path(), &["catalog", "stats"], &[(var, value)]);
        assert!(!out.status.success(), "{var}={value} should fail");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected), "{var}={value}: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{stderr}");
        assert!(!stderr.contains("hunter2") && !stderr.contains("not-a-token"), "secrets stay out: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
}

#[test]
fn catalog_stats_reports_json_counts() {
    let dir = tempfile::tempdir().expect("dir");
    let out = marquee(dir.path(), &["catalog", "stats", "--json"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v["movies"].as_i64().is_some_and(|n| n >= 500), "{v}");
}
