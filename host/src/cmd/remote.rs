//! `zerops-cache remote ls|pull|push|gc|verify`: the remote cache tier by
//! hand (builds use it by themselves when `--remote` is set).

use anyhow::Result;
use zerops_cache_contract::layer::Layer;

use super::project::{Project, StoreArgs};
use zerops_cache_base::exit::{Classify, Exit};
use zerops_cache_remote::remote::admin;
use zerops_cache_remote::remote::config::RemoteArgs;
use zerops_cache_remote::remote::tier::Tier;
use zerops_cache_sandbox::sandbox::SandboxArgs;
use zerops_cache_store::store::record_io::{read_record, write_record};

#[derive(Debug, clap::Subcommand)]
pub enum RemoteCmd {
    /// List the entries on the remote with their size and age.
    Ls {
        #[command(flatten)]
        remote: RemoteArgs,
        #[arg(long, value_enum, default_value_t)]
        format: super::Format,
    },
    /// Pull the layers of the current config into the local store (when
    /// the local store lacks them and the remote has them).
    Pull(SetupArgs),
    /// Push the current local layers of the setup to the remote.
    Push(SetupArgs),
    /// Remove entries by age and total size, then packs nothing references.
    Gc {
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(flatten)]
        gc: admin::GcArgs,
    },
    /// Make an ed25519 key pair: the private key signs what builders
    /// publish (ZEROPS_CACHE_REMOTE_SIGNING_KEY), the public key is all a
    /// reader needs (ZEROPS_CACHE_REMOTE_PUBLIC_KEYS).
    Keygen,
    /// Check every manifest and that every pack it references is there.
    Verify {
        #[command(flatten)]
        remote: RemoteArgs,
        /// Also fetch every blob and check its digest.
        #[arg(long)]
        deep: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct SetupArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    #[command(flatten)]
    pub(crate) remote: RemoteArgs,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

fn open(
    host: &zerops_cache_component::component::PolicyHost,
    args: &RemoteArgs,
) -> Result<zerops_cache_remote::remote::config::Remote> {
    args.open(host).class(Exit::Usage)?.ok_or_else(|| {
        Exit::Usage.error("no remote: pass --remote s3://bucket/prefix or set ZEROPS_CACHE_REMOTE")
    })
}

pub fn run(cmd: RemoteCmd) -> Result<Exit> {
    // Every failure of the remote itself is exit 8 (what the README says);
    // a bad configuration stays a usage error, a blocked gc a lock.
    match cmd {
        RemoteCmd::Ls { remote, format } => {
            let host = zerops_cache_component::component::PolicyHost::load()?;
            let r = open(&host, &remote)?;
            admin::ls(&host, &r, format == super::Format::Json).class(Exit::RemoteUnavailable)
        }
        RemoteCmd::Gc { remote, gc } => {
            let host = zerops_cache_component::component::PolicyHost::load()?;
            let r = open(&host, &remote)?;
            admin::gc(&host, &r, &gc).class(Exit::RemoteUnavailable)
        }
        RemoteCmd::Verify { remote, deep } => {
            let host = zerops_cache_component::component::PolicyHost::load()?;
            let r = open(&host, &remote)?;
            admin::verify(&host, &r, deep).class(Exit::RemoteUnavailable)
        }
        RemoteCmd::Keygen => {
            let (private, public) = zerops_cache_remote::remote::sign::keygen()?;
            println!("ZEROPS_CACHE_REMOTE_SIGNING_KEY={private}");
            println!("ZEROPS_CACHE_REMOTE_PUBLIC_KEYS={public}");
            eprintln!(
                "keep the first line secret (writers only); give readers the second (fork CI, other teams)"
            );
            Ok(Exit::Ok)
        }
        RemoteCmd::Pull(a) => pull_or_push(a, true),
        RemoteCmd::Push(a) => pull_or_push(a, false),
    }
}

fn pull_or_push(a: SetupArgs, pull: bool) -> Result<Exit> {
    let project = Project::load(&a.store)?;
    let store = project.store(&a.store, if pull { "remote pull" } else { "remote push" })?;
    let image = crate::cmd::image_choice::resolve(
        &a.sandbox,
        &project,
        crate::cmd::image_choice::Access::Build { progress: false },
    )?;
    let record = read_record(&store)?;
    let d = project
        .host
        .decide_in_image(
            &project.source,
            project.setup(),
            record.as_deref(),
            &image.id,
        )?
        .map_err(zerops_cache_base::diagnostic::DiagnosticError::new)?;
    let say = |m: String| println!("{m}");
    // A configuration that cannot work is a usage error; a remote that
    // fails is exit 8.
    let configured = open(&project.host, &a.remote)?;
    if !pull && configured.publish_alg.is_none() {
        return Err(Exit::Usage.error(
            "this builder holds public keys only (ZEROPS_CACHE_REMOTE_PUBLIC_KEYS): it reads and cannot publish; \
             set ZEROPS_CACHE_REMOTE_SIGNING_KEY (or ZEROPS_CACHE_REMOTE_SECRET) to publish",
        ));
    }
    let (tier, summary) = Tier::start(
        &project.host,
        &zerops_cache_remote::remote::tier::Start {
            args: &a.remote,
            identity: &project.identity,
            setup: &project.build.setup,
            image: &image.id,
            progress: zerops_cache_base::progress::enabled(false),
            say: &say,
            store: &store,
        },
    );
    let Some(tier) = tier else {
        let why = summary
            .map(|s| s.warnings.join("; "))
            .unwrap_or_else(|| "no remote: pass --remote or set ZEROPS_CACHE_REMOTE".into());
        return Err(Exit::RemoteUnavailable.error(why));
    };
    let keys = [d.keys.base.as_str(), d.keys.build.as_str()];
    let stale = zerops_cache_remote::remote::tier::stale_layers(
        &project.host,
        &a.remote,
        Some(&tier),
        &store,
        keys,
        [!d.base.invalidated, !d.build.invalidated],
    )?;
    let given = Given {
        remote: &a.remote,
        project: &project,
        store: &store,
        image: &image,
        record: record.as_deref(),
        decision: &d,
    };
    if pull {
        pull_layers(given, tier, stale.is_some(), &say)
    } else {
        push_layers(given, tier, stale, &say)
    }
}

/// What `remote pull` and `remote push` work on.
#[derive(Clone, Copy)]
struct Given<'a> {
    remote: &'a RemoteArgs,
    project: &'a Project,
    store: &'a zerops_cache_store::store::Store,
    image: &'a zerops_cache_sandbox::sandbox::rootfs::Resolved,
    record: Option<&'a str>,
    decision: &'a zerops_cache_contract::decide::Decision,
}

/// `remote pull`: the layers the local store lacks (or has stale).
fn pull_layers(g: Given, mut tier: Tier, stale: bool, say: &dyn Fn(String)) -> Result<Exit> {
    let (store, d) = (g.store, g.decision);
    let need: Vec<Layer> = Layer::ALL
        .into_iter()
        .filter(|l| d.verdict(*l).invalidated || stale)
        .collect();
    if need.is_empty() {
        println!("the local store has both layers of this config: nothing to pull");
        return Ok(Exit::Ok);
    }
    let write = || -> Result<()> {
        let r = super::build::layer_record(g.project, g.image, g.record)?;
        write_record(&store.dir, &r)
    };
    let got = tier.pull(store, &need, &d.keys.base, &d.keys.build, &write, say);
    if !got.is_empty() {
        let keys = [d.keys.base.as_str(), d.keys.build.as_str()];
        zerops_cache_remote::remote::tier::remember(g.remote, Some(&tier), store, keys, &got)?;
    }
    let s = tier.finish();
    if got.is_empty() {
        println!("nothing pulled");
        return Ok(if s.warnings.is_empty() {
            Exit::Findings
        } else {
            Exit::RemoteUnavailable
        });
    }
    Ok(Exit::Ok)
}

/// `remote push`: the local layers, when they are the current config's.
fn push_layers(
    g: Given,
    mut tier: Tier,
    stale: Option<String>,
    say: &dyn Fn(String),
) -> Result<Exit> {
    let d = g.decision;
    if let Some(why) = stale {
        return Err(Exit::Findings.error(format!(
            "{why}: nothing to push (the next build rebuilds them)"
        )));
    }
    if d.base.invalidated || d.build.invalidated {
        return Err(Exit::Findings.error(
            "the local layers are not those of the current config (the next build rebuilds them): nothing to push",
        ));
    }
    tier.push(g.store, &[], &d.keys.base, &d.keys.build, say);
    let s = tier.finish();
    Ok(if s.warnings.is_empty() {
        Exit::Ok
    } else {
        Exit::RemoteUnavailable
    })
}
