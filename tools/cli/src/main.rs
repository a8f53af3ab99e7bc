//! `citytwin`: the one command line of the city digital twin. Thin by design: arguments,
//! progress and output files; the work is done by the library crates.

// The argument structs' doc comments are `--help` text, written for a terminal: `<output>/gbfs`
// and `[:port]` there are meant literally, not as HTML tags or links.
#![allow(rustdoc::invalid_html_tags, rustdoc::broken_intra_doc_links)]

mod commands;
mod day_args;
mod interrupt;
mod progress;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "citytwin",
    version,
    about = "A GIS digital twin of a city: import real GIS data, inspect and export it",
    long_about = "citytwin loads a city's real GIS layers (OpenStreetMap and any vector format \
GDAL reads), reprojects them into one metric CRS, indexes them in R-trees, builds the routable \
road graph, and writes a city bundle that the simulation and the viewer load in milliseconds.\n\n\
Typical use:\n  citytwin import --scene scenes/chengdu/scene.ron\n  citytwin info out/chengdu/city.ctb\n  \
citytwin export out/chengdu/city.ctb -o out/chengdu/city.gpkg\n  \
citytwin run scenes/chengdu/scene.ron -o out/chengdu/day\n  \
citytwin run scenes/chengdu/scene.ron --live mqtt://twin@127.0.0.1:1883 -o out/chengdu/live\n  citytwin view scenes/chengdu/scene.ron --wall\n\n\
Logs go to stderr; set RUST_LOG=debug for more.",
    after_help = "Exit codes: 0 success, 1 bad input or failed run, 2 bad command line."
)]
struct Cli {
    /// Print only errors (no progress bars or summaries on stderr)
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Threads a run may use (routes made beside the simulation, re-routes, the router's
    /// updates, the signals' timing; default: every core). Outputs are the same, byte for byte,
    /// whatever the number
    #[arg(long, global = true, value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Import(commands::import::ImportArgs),
    Info(commands::info::InfoArgs),
    Export(commands::export::ExportArgs),
    Route(commands::route::RouteArgs),
    Assign(commands::assign::AssignArgs),
    Run(Box<commands::run::RunArgs>),
    Compare(commands::compare::CompareArgs),
    Forecast(commands::forecast::ForecastArgs),
    Sweep(commands::sweep::SweepArgs),
    Calibrate(commands::calibrate::CalibrateArgs),
    Fences(commands::fences::FencesArgs),
    Broker(commands::broker::BrokerArgs),
    Feed(commands::feed::FeedArgs),
    #[cfg(feature = "view")]
    View(commands::view::ViewArgs),
    #[cfg(feature = "view")]
    Snapshot(commands::view::SnapshotArgs),
}

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so printing to a closed pipe (`citytwin info … | head -1`) panics;
    // with the default action the program ends quietly as Unix tools do (exit 141)
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is a valid action
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    #[cfg(feature = "view")]
    let viewer = matches!(cli.command, Command::View(_) | Command::Snapshot(_));
    #[cfg(not(feature = "view"))]
    let viewer = false;
    #[cfg(feature = "view")]
    // SAFETY: main's own thread is the only one: clap spawns none, the thread pool comes next
    let _runtime_dir = viewer.then(|| unsafe { citytwin_engine::RuntimeDir::ensure() });
    // the wall display's renderer runs many threads of its own: left to glibc's default
    if !viewer {
        limit_malloc_arenas(cli.threads);
    }
    if let Some(n) = cli.threads {
        // before anything uses the pool; fails only if something already built it
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(n))
            .build_global();
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        // the renderer warns on every software (CPU) adapter: expected on servers and in CI
        tracing_subscriber::EnvFilter::new(if cli.quiet {
            "error"
        } else {
            "warn,bevy_render::renderer=error"
        })
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let result = match cli.command {
        Command::Import(args) => commands::import::run(args, cli.quiet),
        Command::Info(args) => commands::info::run(args),
        Command::Export(args) => commands::export::run(args, cli.quiet),
        Command::Route(args) => commands::route::run(args),
        Command::Assign(args) => commands::assign::run(args, cli.quiet),
        Command::Run(args) => commands::run::run(*args, cli.quiet),
        Command::Compare(args) => commands::compare::run(args, cli.quiet),
        Command::Forecast(args) => commands::forecast::run(args, cli.quiet),
        Command::Sweep(args) => commands::sweep::run(args, cli.quiet),
        Command::Calibrate(args) => commands::calibrate::run(args, cli.quiet),
        Command::Fences(args) => commands::fences::run(args, cli.quiet),
        Command::Broker(args) => commands::broker::run(args, cli.quiet),
        Command::Feed(args) => commands::feed::run(args, cli.quiet),
        #[cfg(feature = "view")]
        Command::View(args) => commands::view::view(args, cli.quiet),
        #[cfg(feature = "view")]
        Command::Snapshot(args) => commands::view::snapshot(args, cli.quiet),
    };
    match result {
        // stopped by Ctrl-C or SIGTERM: what was computed is written, and the exit code says
        // it is not the whole job (130, as shells report an interrupted program)
        Ok(()) if interrupt::requested() => ExitCode::from(130),
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            // a job that stops short because it was interrupted (a sweep with runs left)
            // reports the interruption, not a failure
            if interrupt::requested() {
                ExitCode::from(130)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// As many glibc malloc arenas as the run has threads (unless MALLOC_ARENA_MAX says
/// otherwise): by default each thread that allocates gets its own, up to eight per core, and
/// memory a worker frees stays in its arena. The SUMO network read by two threads while a third
/// reads the trips left a regional day's peak 35–60 MB higher (454 → 489–513 MB); with one
/// arena per thread it is 441 MB, at the same speed (one arena in all: 10 ms slower on the
/// demo city).
fn limit_malloc_arenas(threads: Option<u16>) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        let threads = threads.map_or_else(
            || std::thread::available_parallelism().map_or(1, usize::from),
            usize::from,
        );
        // SAFETY: called from main before any other thread exists; mallopt only sets a limit
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, threads.min(64) as i32);
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = threads;
}

/// One line: the chain of causes, outermost first, leaving out a cause the message before it
/// already ends with (errors that name their file print their I/O cause themselves).
fn one_line(e: &anyhow::Error) -> String {
    let mut chain = e.chain();
    let mut text = chain.next().map(in_cli_terms).unwrap_or_default();
    for cause in chain {
        let cause = in_cli_terms(cause);
        if !text.ends_with(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

/// An error as a user of the command line reads it: the library's settings by their flags.
fn in_cli_terms(e: &(dyn std::error::Error + 'static)) -> String {
    use citytwin_runs::RunError;
    match e.downcast_ref::<RunError>() {
        Some(RunError::Setting {
            setting,
            value,
            expected,
        }) => format!("{} {value}: {expected}", day_args::flag(*setting)),
        Some(e @ RunError::OutputNotEmpty(_)) => format!("{e} (--force)"),
        Some(e @ RunError::NoBundle { scene, .. }) => {
            format!("{e} (citytwin import --scene {})", scene.display())
        }
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::one_line;
    use anyhow::Context;

    #[test]
    fn causes_already_in_the_message_are_not_repeated() {
        let path = std::path::Path::new("/nonexistent/blacklist.txt");
        let os = std::fs::read(path).unwrap_err().to_string();
        let e =
            anyhow::Error::from(citytwin_bikes::blacklist::read_blacklist(path, 10).unwrap_err());
        assert_eq!(one_line(&e), format!("{}: {os}", path.display()));
        // a context names what was being done, and its cause follows
        let wrapped: anyhow::Result<()> = Err(e).context("reading the blacklist");
        assert_eq!(
            one_line(&wrapped.unwrap_err()),
            format!("reading the blacklist: {}: {os}", path.display())
        );
    }
}
