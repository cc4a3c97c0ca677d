//! Helpers shared by the subcommands: loading a meshroute config file into a compiled table,
//! printing diagnostics the way `istioctl analyze` does.

use crate::out;
use meshroute_core::analyze::AnalyzeOptions;
use meshroute_core::certs::{secret_files, FileContents};
use meshroute_core::check::{check_resources, rejects};
use meshroute_core::compile::compile;
use meshroute_core::config::{parse_config, MeshConfig};
use meshroute_core::diag::{self, Diagnostic};
use meshroute_core::resources::LoadOptions;
use meshroute_core::table::RouteTable;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Exit code for a usage error (bad flag, missing argument; clap exits with it too).
pub const EXIT_USAGE: i32 = 2;
/// Exit code for a configuration with errors.
pub const EXIT_CONFIG: i32 = 1;

/// `--output text|json` of simulate and proxy-config (`short` is istioctl's name for text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Output {
    #[default]
    #[value(alias = "short")]
    Text,
    Json,
}

/// Writes text to stdout as is; a closed pipe (`meshroute … | head`) is not an error.
pub fn write_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Prints diagnostics to stderr, istioctl-analyze style, one a line.
pub fn print_diags(diags: &[Diagnostic]) {
    for d in diags {
        out::stderr(&d.to_string());
    }
}

/// A loaded, checked and compiled config.
pub struct Loaded {
    pub config: MeshConfig,
    pub table: RouteTable,
    /// The certificate files its TLS servers name, as read here.
    pub files: FileContents,
    /// The system clock, Unix seconds (certificate validity).
    pub now: i64,
}

/// The certificate files the table's TLS servers name (`serverCertificate`, `privateKey`,
/// `caCertificates`), read as given: core inspects bytes and never reads files itself.
pub fn read_secret_files(t: &RouteTable) -> FileContents {
    secret_files(t)
        .into_iter()
        .map(|p| {
            let read = std::fs::read(&p).map_err(|e| e.to_string());
            (p, read)
        })
        .collect()
}

/// Now, in Unix seconds, for certificate validity (core has no clock).
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The certificate diagnostics of a compiled table, its files read here, at the system time.
pub fn certificate_diagnostics(
    res: &meshroute_core::resources::Resources,
    t: &RouteTable,
) -> Vec<Diagnostic> {
    meshroute_core::certs::certificate_diagnostics(res, t, &read_secret_files(t), Some(now_unix()))
}

/// Reads and parses a meshroute config file and its `include:` files, each under its own name
/// (diagnostics point into the file they come from, not into an inlined copy), and checks the
/// resources. `None` config when the file itself is unusable; `Err` for I/O problems.
pub fn read_config(path: &str) -> Result<(Option<MeshConfig>, Vec<Diagnostic>), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let load = LoadOptions::default();
    let text = String::from_utf8_lossy(&bytes);
    let incs = crate::inputs::config_shape(&text)
        .map(|c| c.includes)
        .unwrap_or_default();
    // A config may name all its resources through `include:`; give the parser an empty list
    // (appended, so line numbers stay right).
    let bytes = if !incs.is_empty() && !text.lines().any(|l| l.starts_with("resources:")) {
        let mut b = bytes.clone();
        b.extend_from_slice(b"\nresources: []\n");
        b
    } else {
        bytes
    };
    let (cfg, mut diags) = parse_config(path, &bytes, &load);
    let Some(mut config) = cfg else {
        return Ok((None, diags));
    };
    let base = Path::new(path).parent().unwrap_or(Path::new("."));
    let resolve = resolver(base);
    for inc in &incs {
        let files = resolve(inc).map_err(|e| format!("{path}: include {inc:?}: {e}"))?;
        for (name, b) in files {
            diags.extend(config.resources.add_bytes(&name, &b, &load));
        }
    }
    check_resources(&config.resources, &AnalyzeOptions::default(), &mut diags);
    Ok((Some(config), diags))
}

/// Reads, parses, checks and compiles a meshroute config file, `include:` entries read from
/// disk relative to it (as `meshroute bootstrap` inlines them). A config the filter would refuse
/// ([`rejects`]: unparsable, unknown fields, Istio webhook errors) is printed and yields
/// `Err(EXIT_CONFIG)`; other findings (analyzer errors such as IST0101, warnings, compile notes)
/// go to stderr and the table is returned, so the simulation shows what the proxy would do.
pub fn load_config(path: &str) -> Result<Loaded, i32> {
    let fail = |msg: String| {
        out::stderr(&format!("Error: {msg}"));
        Err(EXIT_CONFIG)
    };
    let (cfg, mut diags) = match read_config(path) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let Some(config) = cfg else {
        diag::sort(&mut diags);
        print_diags(&diags);
        return fail(format!(
            "{path}: the config cannot be used; fix the errors above"
        ));
    };
    print_diags(&diags);
    let refused = diags.iter().filter(|d| rejects(d)).count();
    if refused > 0 {
        return fail(format!(
            "{path}: {refused} error(s) the proxy would refuse the config for; fix them first"
        ));
    }
    let (mut table, mut notes) = compile(&config.resources, &config.proxy);
    meshroute_core::compile::apply_outbound_traffic_policy(
        &mut table,
        config.outbound_traffic_policy,
    );
    let files = read_secret_files(&table);
    let now = now_unix();
    notes.extend(meshroute_core::certs::certificate_diagnostics(
        &config.resources,
        &table,
        &files,
        Some(now),
    ));
    print_diags(&notes);
    Ok(Loaded {
        config,
        table,
        files,
        now,
    })
}

/// Prints pretty JSON and a newline.
pub fn print_json(v: &impl serde::Serialize) {
    match serde_json::to_string_pretty(v) {
        Ok(s) => write_stdout(&format!("{s}\n")),
        Err(e) => out::stderr(&format!("Error: cannot serialize output: {e}")),
    }
}

/// Reads `include:` entries relative to the config file: a file, or a directory whose
/// `*.yaml`, `*.yml`, `*.json` files are read in name order.
pub fn resolver(base: &Path) -> impl Fn(&str) -> Result<Vec<(String, Vec<u8>)>, String> + '_ {
    move |p: &str| {
        let path = base.join(p);
        let mut out = Vec::new();
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    matches!(
                        p.extension().and_then(|x| x.to_str()),
                        Some("yaml" | "yml" | "json")
                    )
                })
                .collect();
            entries.sort();
            for e in entries {
                let bytes = std::fs::read(&e).map_err(|err| format!("{}: {err}", e.display()))?;
                out.push((e.display().to_string(), bytes));
            }
        } else {
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            out.push((path.display().to_string(), bytes));
        }
        Ok(out)
    }
}
