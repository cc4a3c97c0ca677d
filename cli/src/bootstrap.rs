//! `meshroute bootstrap`: writes the files that run a meshroute config in stock Envoy. What
//! they say is decided by `meshroute-envoy-config` (a pure library); this module resolves paths,
//! inlines `include:` files into the filter's configuration and writes the files atomically.
//!
//! Layout of DIR:
//! - `envoy.yaml`: the bootstrap (listener → HCM → [meshroute wasm (ECDS), header_to_metadata,
//!   fault, router]);
//! - `ecds/meshroute.yaml`: the wasm filter config with the meshroute config inline;
//! - `cds/clusters.yaml` and `cds/eds-*.yaml`: the upstream clusters and their endpoints.
//!
//! Replace them atomically (`meshroute bootstrap --ecds-only …`) to reload without restart.

use meshroute_core::certs::refuses;
use meshroute_core::check::{prepare, rejects};
use meshroute_core::node::Value;
use meshroute_core::resources::LoadOptions;
use meshroute_core::yaml::{parse_documents, Limits};
use meshroute_envoy_config::{current_endpoints, eds_file_name, CDS_FILE, ECDS_FILE, LDS_FILE};
use std::path::{Path, PathBuf};

/// The command line. `envoy` holds the options the Envoy configuration depends on as given
/// (listen, admin, runtime, failure policy, logical port); the paths in it are filled in by
/// [`write`] once resolved.
pub struct Options {
    pub config: PathBuf,
    pub out: PathBuf,
    pub wasm: PathBuf,
    pub envoy: meshroute_envoy_config::Options,
    pub access_log: Option<PathBuf>,
    pub ecds_only: bool,
    /// Where the ECDS file goes (default DIR/ecds).
    pub ecds_dir: Option<PathBuf>,
    /// Bootstrap file name inside DIR (default envoy.yaml).
    pub envoy_file: String,
    /// Keep paths as given (relative to where Envoy is started) instead of making them absolute.
    pub relative: bool,
    /// `--native`: write the equivalent native Envoy configuration instead (no wasm filter).
    pub native: bool,
}

/// Produces the self-contained config the filter reads: `include:` files inlined into
/// `resources`, `listenerPort` overridden when asked, and without an access log
/// `accessLogState: false` (unless set). Output is JSON (valid YAML).
pub fn inline_config(
    path: &Path,
    listener_port: Option<u32>,
    access_log: bool,
) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8", path.display()))?;
    let docs = parse_documents(&text, &Limits::default());
    let Some(root) = docs.into_iter().find_map(|d| d.node) else {
        return Err(format!("{}: empty or unparsable config", path.display()));
    };
    let Value::Map(entries) = root.value else {
        return Err(format!("{}: config must be a mapping", path.display()));
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let resolve = crate::common::resolver(base);
    let mut out = serde_json::Map::new();
    let mut resources = String::new();
    for (k, v) in entries {
        match k.name.as_str() {
            "include" => {
                let paths: Vec<String> = match &v.value {
                    Value::Str(s) => vec![s.clone()],
                    Value::Seq(items) => items
                        .iter()
                        .filter_map(|n| n.as_str().map(String::from))
                        .collect(),
                    _ => Vec::new(),
                };
                for p in paths {
                    for (name, bytes) in resolve(&p)? {
                        let t =
                            String::from_utf8(bytes).map_err(|_| format!("{name} is not UTF-8"))?;
                        resources.push_str(&format!("# {name}\n---\n{t}\n---\n"));
                    }
                }
            }
            "resources" => match &v.value {
                Value::Str(s) => {
                    resources.push_str(s);
                    resources.push_str("\n---\n");
                }
                _ => {
                    out.insert(
                        "resources".into(),
                        serde_json::to_value(&v).map_err(|e| e.to_string())?,
                    );
                }
            },
            other => {
                out.insert(
                    other.to_string(),
                    serde_json::to_value(&v).map_err(|e| e.to_string())?,
                );
            }
        }
    }
    if !resources.is_empty() {
        out.insert("resources".into(), serde_json::Value::String(resources));
    }
    if let Some(p) = listener_port {
        out.insert("listenerPort".into(), serde_json::Value::from(p));
    }
    // Without an access log nothing reads the filter state: save its host call per request
    // (unless the config says otherwise).
    if !access_log {
        out.entry("accessLogState")
            .or_insert(serde_json::Value::Bool(false));
    }
    Ok(serde_json::Value::Object(out).to_string())
}

/// Writes a file atomically into a watched directory (temp file + rename), as Envoy's file
/// watches require. World-readable whatever the umask: the Envoy that reads it often runs as
/// another user (the official envoyproxy/envoy image's entrypoint drops to `envoy`, Istio's
/// proxy runs as 1337), and it reads the file the moment the rename lands.
fn write_atomic(dir: &Path, name: &str, text: &str) -> Result<(), String> {
    write_atomic_mode(dir, name, text, 0o644)
}

/// [`write_atomic`] with a mode: SDS files hold private keys, readable by their owner only.
fn write_atomic_mode(dir: &Path, name: &str, text: &str, mode: u32) -> Result<(), String> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let _ = std::fs::remove_file(&tmp);
    std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))
            .map_err(|e| format!("cannot set the mode of {}: {e}", tmp.display()))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    std::fs::rename(&tmp, dir.join(name))
        .map_err(|e| format!("cannot rename into {}: {e}", dir.display()))
}

/// Writes DIR/envoy.yaml and DIR/ecds/meshroute.yaml. Checks the config first: a config the
/// filter would refuse is refused here, with the same diagnostics.
pub fn write(o: &Options) -> Result<Vec<String>, String> {
    let plugin = inline_config(&o.config, o.envoy.listener_port, o.access_log.is_some())?;
    // Check exactly what the filter will read.
    let mut warnings = Vec::new();
    let prepared = match prepare(
        &o.config.display().to_string(),
        plugin.as_bytes(),
        &LoadOptions::default(),
    ) {
        Err(diags) => {
            let shown = |d: &meshroute_core::diag::Diagnostic| {
                rejects(d) || d.severity == meshroute_core::diag::Severity::Error
            };
            // Locate the errors in the files they come from: the line numbers of the inlined
            // copy (every `include:` file concatenated) mean nothing to the user.
            let located = crate::common::read_config(&o.config.display().to_string())
                .map(|(_, d)| d)
                .unwrap_or_default();
            let diags = if located.iter().any(rejects) {
                located
            } else {
                diags
            };
            let lines: Vec<String> = diags
                .iter()
                .filter(|d| shown(d))
                .map(|d| d.to_string())
                .collect();
            return Err(format!(
                "the config has errors the filter would refuse:\n{}",
                lines.join("\n")
            ));
        }
        Ok(p) => {
            for d in p
                .diagnostics
                .iter()
                .filter(|d| d.severity != meshroute_core::diag::Severity::Info)
            {
                warnings.push(d.to_string());
            }
            p
        }
    };
    refuse_unusable_certificates(o, &prepared, &mut warnings)?;
    let (out, ecds_dir) = output_dirs(o);
    let cds_dir = cds_dir_for(&ecds_dir);
    let eo = meshroute_envoy_config::Options {
        wasm: o.wasm.display().to_string(),
        access_log: o.access_log.as_ref().map(|p| p.display().to_string()),
        ecds_dir: ecds_dir.display().to_string(),
        cds_dir: cds_dir.display().to_string(),
        json: o.envoy_file.ends_with(".json"),
        ..o.envoy.clone()
    };
    if o.native {
        std::fs::create_dir_all(&out)
            .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
        let text = meshroute_envoy_config::native_bootstrap(&prepared.table, &eo)?;
        let path = out.join(&o.envoy_file);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        return Ok(warnings);
    }
    let files = meshroute_envoy_config::filter_files(&prepared.table, &eo, &plugin, |name| {
        std::fs::read_to_string(cds_dir.join(eds_file_name(name)))
            .map(|t| current_endpoints(&t))
            .unwrap_or_default()
    })?;
    for d in [&out, &ecds_dir, &cds_dir] {
        std::fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    // Certificates and endpoints first, then the clusters that read them (the new filter
    // config may name a cluster only the new CDS file defines), then the filter configuration
    // that lists them, last the listeners (a new port opens once its filter config is there).
    // A rotated certificate changes only its SDS file: the listeners and their connections stay.
    for (name, text) in &files.sds {
        write_atomic_mode(&cds_dir, name, text, 0o600)?;
    }
    for (name, text) in &files.eds {
        write_atomic(&cds_dir, name, text)?;
    }
    write_atomic(&cds_dir, CDS_FILE, &files.cds)?;
    write_atomic(&ecds_dir, ECDS_FILE, &files.ecds)?;
    // `--ecds-only` (`--reload`) keeps the listeners: its command line may not repeat the
    // listen options the first run had. Re-running the whole command updates them too.
    if !o.ecds_only {
        write_atomic(&cds_dir, LDS_FILE, &files.lds)?;
    }
    // The endpoints and certificates nothing reads any more.
    if let Ok(dir) = std::fs::read_dir(&cds_dir) {
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let stale = (name.starts_with("eds-") && !files.eds.iter().any(|(f, _)| *f == name))
                || (name.starts_with("sds-") && !files.sds.iter().any(|(f, _)| *f == name));
            if stale && name.ends_with(".yaml") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    if !o.ecds_only {
        std::fs::write(out.join(&o.envoy_file), &files.bootstrap)
            .map_err(|e| format!("cannot write {}: {e}", o.envoy_file))?;
    }
    Ok(warnings)
}

/// Refuses, before anything is written, a config whose TLS servers would hand Envoy a
/// certificate it cannot use: one that cannot be had (MR0501), is not PEM certificates
/// (MR0503) or whose key is not its own (MR0504). Envoy would refuse the secret and keep the
/// listener warming; refusing here leaves the running listeners and certificates as they are.
/// The other certificate findings (expired, unreadable files) join the warnings.
fn refuse_unusable_certificates(
    o: &Options,
    prepared: &meshroute_core::check::Prepared,
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    let found = |res: &meshroute_core::resources::Resources,
                 table: &meshroute_core::table::RouteTable,
                 compiled: &[meshroute_core::diag::Diagnostic]| {
        let mut all: Vec<_> = compiled.to_vec();
        all.extend(crate::common::certificate_diagnostics(res, table));
        all
    };
    let all = found(
        &prepared.config.resources,
        &prepared.table,
        &prepared.diagnostics,
    );
    if !all.iter().any(refuses) {
        warnings.extend(
            all.iter()
                .filter(|d| !prepared.diagnostics.contains(d))
                .filter(|d| d.severity != meshroute_core::diag::Severity::Info)
                .map(|d| d.to_string()),
        );
        return Ok(());
    }
    // Locate them in the files they come from, as for the errors the filter refuses.
    let located = crate::common::read_config(&o.config.display().to_string())
        .ok()
        .and_then(|(cfg, _)| cfg)
        .map(|cfg| {
            let (table, compiled) =
                meshroute_core::compile::compile(&cfg.resources, &prepared.config.proxy);
            found(&cfg.resources, &table, &compiled)
        })
        .filter(|d| d.iter().any(refuses))
        .unwrap_or(all);
    let lines: Vec<String> = located
        .iter()
        .filter(|d| refuses(d))
        .map(|d| d.to_string())
        .collect();
    Err(format!(
        "the config has TLS certificates Envoy cannot use (nothing was written):\n{}",
        lines.join("\n")
    ))
}

/// Where the bootstrap and the ECDS file go: as given with `--relative`, else absolute.
fn output_dirs(o: &Options) -> (PathBuf, PathBuf) {
    let out = if o.relative {
        o.out.clone()
    } else {
        absolute(&o.out)
    };
    let ecds_dir = match &o.ecds_dir {
        Some(d) if o.relative => d.clone(),
        Some(d) => absolute(d),
        None => out.join("ecds"),
    };
    (out, ecds_dir)
}

/// The CDS directory that goes with an ECDS directory: `DIR/ecds` → `DIR/cds`, `X` → `X-cds`.
pub fn cds_dir_for(ecds_dir: &Path) -> PathBuf {
    let parent = ecds_dir.parent().unwrap_or(Path::new("."));
    match ecds_dir.file_name().and_then(|n| n.to_str()) {
        Some("ecds") | None => parent.join("cds"),
        Some(n) => parent.join(format!("{n}-cds")),
    }
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

/// Where to find the built filter when `--wasm` is not given: `$MESHROUTE_WASM`, then the
/// repository layout next to this binary (`target/<profile>/meshroute` →
/// `target/wasm32-wasip1/wasm-release/`), then `DEFAULT_WASM` under the current directory.
fn default_wasm() -> PathBuf {
    if let Some(p) = std::env::var_os("MESHROUTE_WASM") {
        return PathBuf::from(p);
    }
    if let Some(target) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent()?.parent().map(Path::to_path_buf))
    {
        let p = target.join("wasm32-wasip1/wasm-release/meshroute_filter.wasm");
        if p.exists() {
            return p;
        }
    }
    PathBuf::from(DEFAULT_WASM)
}

/// Default location of the built filter, relative to the repository root.
pub const DEFAULT_WASM: &str = "target/wasm32-wasip1/wasm-release/meshroute_filter.wasm";

/// Write an Envoy bootstrap that loads the meshroute filter
///
/// Writes DIR/envoy.yaml (the bootstrap), DIR/ecds/meshroute.yaml (the filter with the config
/// inline) and DIR/cds/ (clusters and endpoints). Re-running it (or `--ecds-only`) updates a
/// running Envoy in place.
#[derive(clap::Args, Debug)]
pub struct BootstrapArgs {
    /// meshroute config file (proxy + resources)
    #[arg(short, long, value_name = "CONFIG")]
    config: PathBuf,
    /// Output directory
    #[arg(short, long, value_name = "DIR")]
    out: PathBuf,
    /// The built filter (default: $MESHROUTE_WASM, else the build next to this binary, else
    /// target/wasm32-wasip1/wasm-release/meshroute_filter.wasm)
    #[arg(long, value_name = "PATH")]
    wasm: Option<PathBuf>,
    /// One listener at this address (logical port --listener-port), instead of one per port
    #[arg(long, value_name = "IP:PORT", conflicts_with = "bind")]
    listen: Option<String>,
    /// Gateways: one listener per port the proxy listens on, bound to this IP (default 127.0.0.1)
    #[arg(long, value_name = "IP")]
    bind: Option<String>,
    /// The logical listener port the filter routes by
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=65535))]
    listener_port: Option<u32>,
    /// Admin address (default 127.0.0.1:15000)
    #[arg(long, value_name = "IP:PORT")]
    admin: Option<String>,
    /// Wasm runtime: v8 (default) or another envoy.wasm.runtime.* name
    #[arg(long, value_name = "RUNTIME")]
    runtime: Option<String>,
    /// What Envoy does when the filter fails: FAIL_RELOAD (default) or FAIL_CLOSED
    #[arg(long, value_name = "POLICY")]
    failure_policy: Option<String>,
    /// Access log file
    #[arg(long, value_name = "FILE")]
    access_log: Option<PathBuf>,
    /// Write only the ECDS, CDS and EDS files (reload a running Envoy)
    #[arg(long, visible_alias = "reload")]
    ecds_only: bool,
    /// Where the ECDS file goes (default DIR/ecds)
    #[arg(long, value_name = "DIR")]
    ecds_dir: Option<PathBuf>,
    /// Bootstrap file name inside DIR (.json for JSON)
    #[arg(long, value_name = "NAME", default_value = "envoy.yaml")]
    envoy_file: String,
    /// Keep paths as given (relative to where Envoy is started) instead of making them absolute
    #[arg(long)]
    relative: bool,
    /// Write the equivalent native Envoy configuration instead (no wasm filter)
    #[arg(long)]
    native: bool,
}

impl BootstrapArgs {
    /// The [`Options`] [`write`] takes; what is not given keeps envoy-config's defaults.
    fn options(self) -> Options {
        let mut envoy = meshroute_envoy_config::Options::default();
        // Without --listen a gateway gets one listener per port it listens on, bound to --bind
        // (default 127.0.0.1); --listen keeps the one-listener form.
        match self.listen {
            Some(v) => envoy.listen = v,
            None => {
                let ip = self.bind.unwrap_or_else(|| "127.0.0.1".into());
                envoy.listen = if ip.contains(':') {
                    format!("[{ip}]:8080")
                } else {
                    format!("{ip}:8080")
                };
                envoy.bind = Some(ip);
            }
        }
        if let Some(v) = self.admin {
            envoy.admin = v;
        }
        if let Some(v) = self.runtime {
            envoy.runtime = if v.contains('.') {
                v
            } else {
                format!("envoy.wasm.runtime.{v}")
            };
        }
        if let Some(v) = self.failure_policy {
            envoy.failure_policy = v;
        }
        envoy.listener_port = self.listener_port;
        Options {
            config: self.config,
            out: self.out,
            wasm: self.wasm.unwrap_or_else(default_wasm),
            envoy,
            access_log: self.access_log,
            ecds_only: self.ecds_only,
            ecds_dir: self.ecds_dir,
            envoy_file: self.envoy_file,
            relative: self.relative,
            native: self.native,
        }
    }
}

pub fn run(args: BootstrapArgs) -> i32 {
    let mut o = args.options();
    if !o.relative {
        o.wasm = absolute(&o.wasm);
    }
    if !o.wasm.exists() && !o.native {
        eprintln!(
            "meshroute bootstrap: filter {} not found; build it with `cargo build -p meshroute-filter --target wasm32-wasip1 --profile wasm-release`",
            o.wasm.display()
        );
        return 2;
    }
    if let Some(p) = &o.access_log {
        o.access_log = Some(absolute(p));
    }
    match write(&o) {
        Ok(warnings) => {
            for w in warnings {
                eprintln!("{w}");
            }
            let (out, ecds_dir) = output_dirs(&o);
            let ecds = ecds_dir.join(ECDS_FILE);
            let cds = cds_dir_for(&ecds_dir).join(CDS_FILE);
            if o.native {
                println!(
                    "wrote {} (native Envoy config, no filter)",
                    out.join(&o.envoy_file).display()
                );
            } else if o.ecds_only {
                println!(
                    "wrote {} and {} (Envoy reloads them within a second; the listeners are kept)",
                    cds.display(),
                    ecds.display()
                );
            } else {
                let boot = out.join(&o.envoy_file);
                println!(
                    "wrote {}, {}, {} and {}",
                    boot.display(),
                    cds_dir_for(&ecds_dir).join(LDS_FILE).display(),
                    cds.display(),
                    ecds.display()
                );
                println!("run: envoy -c {} --concurrency 2", boot.display());
            }
            0
        }
        Err(e) => {
            eprintln!("meshroute bootstrap: {e}");
            1
        }
    }
}
