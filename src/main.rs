//! The `marquee` binary: parse the command line, start logging, load the configuration and hand
//! over to the app. Errors end here as one line on standard error and a non-zero exit code.

use clap::Parser as _;
use marquee::{
    config::Config,
    inbound::cli::{self, args::Cli},
};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = Cli::parse();
    let config = match Config::load() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // The bot logs its life at info; any other command prints its answer only.
    let serving = match &args.command {
        Some(cli::args::Command::Serve(_) | cli::args::Command::Trainer { .. }) => true,
        Some(_) => false,
        None => config.discord_token.is_some(),
    };
    marquee::telemetry::init(serving);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(cli::run(args, config)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    };
    // A training the bot started in the background may still be computing on a blocking
    // thread when it is stopped: nothing of it is saved yet, so it is not waited for.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    code
}
