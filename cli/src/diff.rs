//! `meshroute diff OLD NEW` (or `--git REV PATH…`): what applying NEW over OLD changes, per
//! proxy: proxy-config rows and the requests that route differently. The comparison is core's
//! (`diff`); this module reads the two sides (from disk, or a revision through `git`) and prints.

use crate::common::{print_json, write_stdout};
use crate::inputs::{load_set, read_inputs, source, Fatal, InputSet};
use crate::out;
use crate::report::{self, Finding, JunitCase, JunitOutcome, Level};
use meshroute_core::check::rejects;
use meshroute_core::config::{ProxyIdentity, ProxyKind};
use meshroute_core::diff::{self, Diff};
use meshroute_core::resources::LoadOptions;
use meshroute_core::testcase::{case_probes, parse_tests, Defaults};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

/// Show what a config change does to traffic: changed rows and requests that route differently
///
/// OLD and NEW are files or directories (a meshroute config file, or plain Istio and
/// Kubernetes YAML). With --git REV, the PATHs in the working tree are compared with the same
/// PATHs at REV. Every gateway and sidecar the config implies is compared (or each --proxy);
/// one probe request per route match block of either side is routed before and after.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "exit status: 0 no request routes differently, 1 some do, 2 usage or input errors"
)]
pub struct DiffArgs {
    /// OLD NEW, or with --git the PATHs to compare
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<OsString>,
    /// Compare the working tree's PATHs with the same PATHs at this git revision
    #[arg(long, value_name = "REV")]
    git: Option<String>,
    /// A proxy to compare, repeatable: gateway[:NAMESPACE[:k=v,…]] or sidecar[:NAMESPACE[:k=v,…]]
    #[arg(long, value_name = "PROXY", value_parser = parse_proxy)]
    proxy: Vec<ProxyIdentity>,
    /// Test files whose meshroute-format cases are sent as extra probes
    #[arg(long, value_name = "FILE")]
    tests: Vec<OsString>,
    #[arg(short, long, value_enum, default_value_t = Format::Text, value_name = "FORMAT")]
    output: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// Rows (+ - ~) and the requests before → after, per proxy
    Text,
    /// The whole diff as one JSON object
    Json,
    /// Tables for a pull-request comment
    Markdown,
    /// SARIF 2.1.0: each changed request as a warning at the rule that now takes it
    Sarif,
    /// JUnit XML: a test case per proxy, failed when requests route differently
    Junit,
    /// GitHub Actions warnings for the changed requests
    Github,
}

/// `gateway`, `sidecar:default`, `gateway:istio-system:istio=ingressgateway,app=x`.
fn parse_proxy(s: &str) -> Result<ProxyIdentity, String> {
    let mut parts = s.splitn(3, ':');
    let kind = match parts.next() {
        Some("gateway") => ProxyKind::Gateway,
        Some("sidecar") => ProxyKind::Sidecar,
        _ => {
            return Err(format!(
                "{s:?}: a proxy is gateway[:NS[:k=v,…]] or sidecar[:NS[:k=v,…]]"
            ))
        }
    };
    let namespace = parts.next().filter(|n| !n.is_empty()).map_or_else(
        || match kind {
            ProxyKind::Gateway => "istio-system".to_string(),
            ProxyKind::Sidecar => "default".to_string(),
        },
        String::from,
    );
    let mut labels = std::collections::BTreeMap::new();
    for kv in parts
        .next()
        .unwrap_or("")
        .split(',')
        .filter(|x| !x.is_empty())
    {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("{s:?}: labels are k=v,k=v"))?;
        labels.insert(k.to_string(), v.to_string());
    }
    if kind == ProxyKind::Gateway && labels.is_empty() {
        labels.insert("istio".into(), "ingressgateway".into());
    }
    Ok(ProxyIdentity {
        kind,
        namespace,
        labels,
    })
}

pub fn run(args: DiffArgs) -> i32 {
    match run_inner(args) {
        Ok(code) => code,
        Err(Fatal(msg)) => {
            out::stderr(&format!("meshroute diff: {msg}"));
            2
        }
    }
}

fn load(paths: &[PathBuf]) -> Result<InputSet, Fatal> {
    let sources: Vec<_> = paths
        .iter()
        .map(|p| source(&p.clone().into_os_string()))
        .collect();
    let mut set = load_set(read_inputs(&sources)?, &LoadOptions::default())?;
    set.diags
        .extend(meshroute_core::validate::validate(&set.resources));
    meshroute_core::diag::sort(&mut set.diags);
    let refused: Vec<_> = set.diags.iter().filter(|d| rejects(d)).collect();
    if !refused.is_empty() {
        for d in &refused {
            out::stderr(&d.to_string());
        }
        return Err(Fatal(format!(
            "{} error(s) the proxy would refuse the config for; fix them first",
            refused.len()
        )));
    }
    Ok(set)
}

/// Writes the files under `paths` as they are at `rev` into a fresh directory, keeping their
/// relative layout; returns the directory and the paths inside it (a path absent at `rev`
/// contributes nothing).
fn checkout(rev: &str, paths: &[PathBuf]) -> Result<(PathBuf, Vec<PathBuf>), Fatal> {
    let git = |args: &[&str]| -> Result<Vec<u8>, Fatal> {
        let o = Command::new("git")
            .args(args)
            .output()
            .map_err(|e| Fatal(format!("cannot run git: {e}")))?;
        if !o.status.success() {
            return Err(Fatal(format!(
                "git {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&o.stderr).trim()
            )));
        }
        Ok(o.stdout)
    };
    let dir = std::env::temp_dir().join(format!("meshroute-diff-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut roots = Vec::new();
    for p in paths {
        let ps = p.to_string_lossy();
        let listed = git(&["ls-tree", "-r", "--name-only", rev, "--", &ps])?;
        let files: Vec<String> = String::from_utf8_lossy(&listed)
            .lines()
            .map(String::from)
            .collect();
        if files.is_empty() {
            // Not there at REV: everything under it is new.
            continue;
        }
        for f in files {
            let bytes = git(&["show", &format!("{rev}:./{f}")])?;
            let to = dir.join(&f);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| Fatal(format!("{}: {e}", parent.display())))?;
            }
            std::fs::write(&to, bytes).map_err(|e| Fatal(format!("{}: {e}", to.display())))?;
        }
        roots.push(dir.join(p));
    }
    Ok((dir, roots))
}

fn run_inner(args: DiffArgs) -> Result<i32, Fatal> {
    let paths: Vec<PathBuf> = args.paths.iter().map(PathBuf::from).collect();
    let (before, after, tmp) = match &args.git {
        Some(rev) => {
            let (dir, old) = checkout(rev, &paths)?;
            let before = load(&old);
            let after = load(&paths);
            (before, after, Some(dir))
        }
        None => match paths.as_slice() {
            [old, new] => (
                load(std::slice::from_ref(old)),
                load(std::slice::from_ref(new)),
                None,
            ),
            _ => {
                return Err(Fatal(
                    "give OLD and NEW (two files or directories), or --git REV PATH…".into(),
                ))
            }
        },
    };
    if let Some(dir) = tmp {
        let _ = std::fs::remove_dir_all(dir);
    }
    let (before, after) = (before?, after?);
    let mut proxies = args.proxy.clone();
    if proxies.is_empty() {
        proxies = match after.proxy.clone().or_else(|| before.proxy.clone()) {
            Some(p) => vec![p],
            None => diff::implied_proxies(&[&before.resources, &after.resources]),
        };
    }
    let mut extra = Vec::new();
    for f in read_inputs(&args.tests.iter().map(source).collect::<Vec<_>>())? {
        let (cases, diags) = parse_tests(&f.name, &f.text);
        if let Some(d) = diags.first() {
            return Err(Fatal(d.to_string()));
        }
        let defaults = Defaults {
            proxy: after.proxy.clone(),
            listener_port: after.listener_port,
        };
        for (p, probe) in case_probes(&after.resources, &defaults, &cases) {
            if !proxies.contains(&p) {
                proxies.push(p.clone());
            }
            extra.push((p, probe));
        }
    }
    let d = diff::diff(&before.resources, &after.resources, &proxies, &extra);
    print(&d, args.output);
    Ok(if d.changed_requests() > 0 { 1 } else { 0 })
}

fn print(d: &Diff, f: Format) {
    match f {
        Format::Text => write_stdout(&diff::render(d)),
        Format::Json => print_json(d),
        Format::Markdown => write_stdout(&diff::render_markdown(d)),
        Format::Sarif => write_stdout(&report::sarif_text("meshroute diff", &findings(d))),
        Format::Github => write_stdout(&report::github(&findings(d))),
        Format::Junit => write_stdout(&report::junit("meshroute diff", &junit_cases(d))),
    }
}

fn findings(d: &Diff) -> Vec<Finding> {
    d.proxies
        .iter()
        .flat_map(|p| p.requests.iter().map(move |c| (p, c)))
        .map(|(p, c)| {
            let (file, line, column) = c.location.as_ref().map_or((String::new(), 1, 1), |l| {
                (l.file.clone(), l.line, l.column)
            });
            Finding {
                rule: "meshroute-diff".into(),
                rule_description: "a request that routes differently after the change".into(),
                level: Level::Warning,
                title: format!("routes differently: {}", c.request),
                message: format!(
                    "{} on {}\nbefore: {}\nafter: {}",
                    c.request,
                    p.proxy.describe(),
                    c.before.describe(),
                    c.after.describe()
                ),
                file,
                line,
                column,
            }
        })
        .collect()
}

fn junit_cases(d: &Diff) -> Vec<JunitCase> {
    d.proxies
        .iter()
        .map(|p| JunitCase {
            classname: "meshroute diff".into(),
            name: p.proxy.describe(),
            outcome: match p.requests.len() {
                0 => JunitOutcome::Passed,
                n => JunitOutcome::Failed {
                    message: format!("{n} request(s) route differently"),
                    detail: p
                        .requests
                        .iter()
                        .map(|c| {
                            format!(
                                "{}\n  before: {}\n  after:  {}",
                                c.request,
                                c.before.describe(),
                                c.after.describe()
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                },
            },
        })
        .collect()
}
