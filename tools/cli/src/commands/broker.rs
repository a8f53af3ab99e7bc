//! `citytwin broker`: the city's MQTT broker configuration (mosquitto) from a users file.

use crate::interrupt;
use anyhow::{Context, Result};
use citytwin_city::scene::Scene;
use citytwin_live::broker::{BrokerSetup, read_users};
use citytwin_live::mosquitto::Mosquitto;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// Write a mosquitto configuration for the scene's live feeds: accounts with roles, enforced
/// by the broker. Roles: viewer reads <prefix>/#; operator also publishes observations
/// (<prefix>/v1.1/+/Observations); planner also publishes scenario edits
/// (<prefix>/control/#); admin reads and writes everything under <prefix> and $SYS.
/// Anonymous clients are refused. Sessions and queued QoS 1 messages survive restarts.
///
/// Writes <dir>/mosquitto.conf, <dir>/acl and <dir>/passwd (hashed with mosquitto_passwd);
/// with --run also starts mosquitto on it until Ctrl-C.
#[derive(Debug, Args)]
pub struct BrokerArgs {
    /// Scene file; its ops file gives the topic prefix
    scene: PathBuf,
    /// Users file: one `name role password` per line (role: viewer, operator, planner or
    /// admin); `#` starts a comment. Keep it out of version control
    #[arg(long)]
    users: PathBuf,
    /// Folder for the configuration and the broker's persistence
    #[arg(long)]
    dir: PathBuf,
    /// Port to listen on
    #[arg(long, default_value_t = 1883)]
    port: u16,
    /// Address to listen on (0.0.0.0 for every interface)
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// Start mosquitto on the configuration and keep it running until Ctrl-C
    #[arg(long)]
    run: bool,
}

pub fn run(args: BrokerArgs, quiet: bool) -> Result<()> {
    let scene = Scene::load(&args.scene)?;
    let prefix = citytwin_runs::live_prefix(&scene, &args.scene)?;
    let users = read_users(&args.users)?;
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let dir = args
        .dir
        .canonicalize()
        .with_context(|| format!("{}", args.dir.display()))?;
    let setup = BrokerSetup {
        dir,
        bind: args.bind.clone(),
        port: args.port,
        prefix: prefix.clone(),
    };
    let config = setup.write(&users)?;
    if !quiet {
        let mut roles: Vec<String> = users
            .iter()
            .map(|u| format!("{} ({:?})", u.name, u.role).to_lowercase())
            .collect();
        roles.sort();
        eprintln!(
            "broker for {prefix}/# on {}:{}: {} users: {}\n  config {}",
            args.bind,
            args.port,
            users.len(),
            roles.join(", "),
            config.display()
        );
    }
    if !args.run {
        if !quiet {
            eprintln!("  start it with: mosquitto -c {}", config.display());
        }
        return Ok(());
    }
    interrupt::install();
    let mut broker = Mosquitto::start(&setup)?;
    if !quiet {
        eprintln!(
            "  mosquitto running (log {}/mosquitto.log); Ctrl-C stops it",
            setup.dir.display()
        );
    }
    while !interrupt::requested() {
        std::thread::sleep(Duration::from_millis(200));
    }
    broker.stop();
    Ok(())
}
