//! `meshroute check`: validate and analyze Istio/Kubernetes YAML, like `istioctl analyze` on
//! files.
//!
//! ```text
//! meshroute check [-f FILE|DIR|-]... [--output text|json] [--namespace NS] [PATH]...
//! ```
//! Directories are walked (recursively, sorted) for `*.yaml`, `*.yml` and `*.json`; `-` reads
//! stdin. Plain inputs are analyzed together as one set of resources; a meshroute config file
//! (`proxy:` + `resources:`) is checked on its own resources. Exit code 0 when nothing is an
//! error, 1 when something is, 2 for usage and I/O problems (missing file, non-UTF-8 input).

use crate::common::write_stdout;
use crate::inputs::{config_shape, read_file, read_inputs, source, utf8, Fatal, Input, Source};
use crate::out;
use crate::report::{self, Finding, Format, JunitCase, JunitOutcome, Level};
use meshroute_core::analyze::defaults::add_default_resources;
use meshroute_core::analyze::AnalyzeOptions;
use meshroute_core::check::check_resources;
use meshroute_core::config::parse_config;
use meshroute_core::diag::{self, Diagnostic, Severity};
use meshroute_core::resources::{LoadOptions, Resources};
use meshroute_core::suppress::{self, Suppression};
use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Validate Istio/Kubernetes YAML and analyze it like `istioctl analyze`
///
/// Validates Istio networking resources (Gateway, VirtualService, DestinationRule, ServiceEntry,
/// WorkloadEntry) and the Kubernetes Services, Pods and Nodes they reference, and analyzes them
/// together like `istioctl analyze` on files: when the input describes no Pod or Service in
/// istio-system, Istio's default ingress gateway Pod and Service are assumed.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "exit status: 0 no errors, 1 errors found, 2 usage or I/O problem",
    group(clap::ArgGroup::new("input").required(true).multiple(true).args(["filename", "paths"]))
)]
pub struct CheckArgs {
    /// A file, a directory (walked for *.yaml, *.yml, *.json) or - for stdin; repeatable
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    filename: Vec<OsString>,
    /// Read the same way as -f
    #[arg(value_name = "PATH")]
    paths: Vec<OsString>,
    /// Output format
    #[arg(short, long, value_enum, default_value_t = Format::Text, value_name = "FORMAT")]
    output: Format,
    /// Namespace of resources that name none
    #[arg(short, long, default_value = "default", value_name = "NS")]
    namespace: String,
    /// Istio MeshConfig YAML (ingressService, ingressControllerMode, rootNamespace,
    /// defaultConfig.proxyMetadata)
    #[arg(long = "mesh-config", alias = "meshConfigFile", value_name = "FILE")]
    mesh_config: Option<PathBuf>,
    /// Do not report CODE on a resource, repeatable: 'IST0102=Namespace frod',
    /// 'IST0107=Pod *.baz' (`*` matches anything), or a bare CODE for every resource. Resources
    /// can also carry the annotation galley.istio.io/analyze-suppress: "CODE,CODE" (or "*")
    #[arg(long, value_name = "CODE=Kind name", value_parser = Suppression::parse)]
    suppress: Vec<Suppression>,
}

impl CheckArgs {
    /// The parsed arguments with the inputs in the order they were given (`-f` values and bare
    /// paths interleaved, which decides which of two same-named resources is the later one).
    pub fn sources_in_order(self, matches: Option<&clap::ArgMatches>) -> Args {
        let index = |id: &str| -> Vec<usize> {
            matches
                .and_then(|m| m.indices_of(id))
                .map(|i| i.collect())
                .unwrap_or_default()
        };
        let mut all: Vec<(usize, OsString)> = index("filename")
            .into_iter()
            .zip(self.filename)
            .chain(index("paths").into_iter().zip(self.paths))
            .collect();
        all.sort_by_key(|(i, _)| *i);
        Args {
            sources: all.iter().map(|(_, a)| source(a)).collect(),
            format: self.output,
            namespace: self.namespace,
            mesh_config: self.mesh_config,
            suppress: self.suppress,
        }
    }
}

#[derive(Debug)]
pub struct Args {
    sources: Vec<Source>,
    format: Format,
    namespace: String,
    mesh_config: Option<PathBuf>,
    suppress: Vec<Suppression>,
}

/// Entry point: returns the exit status.
pub fn run(args: Args) -> i32 {
    match run_inner(args) {
        Ok(code) => code,
        Err(Fatal(msg)) => {
            out::stderr(&format!("meshroute check: {msg}"));
            2
        }
    }
}

fn run_inner(args: Args) -> Result<i32, Fatal> {
    let files = read_inputs(&args.sources)?;
    // As `istioctl analyze` reading files: Kubernetes' own namespaces (kube-system, …) are
    // skipped (Istio: pkg/config/analysis/local/istiod_analyze.go, `inject.IgnoredNamespaces`).
    let load = LoadOptions {
        default_namespace: args.namespace.clone(),
        drop_system_namespaces: true,
        ..LoadOptions::default()
    };
    let mut opts = AnalyzeOptions::default();
    if let Some(p) = &args.mesh_config {
        let mc = read_file(p)?;
        opts.apply_mesh_config(&mc.text)
            .map_err(|e| Fatal(format!("{}: {e}", mc.name)))?;
    }

    let mut diags: Vec<Diagnostic> = Vec::new();
    let mut plain = Resources::default();
    // Each config file's resources, kept for the suppression annotations.
    let mut configs: Vec<Resources> = Vec::new();
    let mut resources = 0;
    let mut files = files;
    let mut seen: HashSet<PathBuf> = files.iter().filter_map(|f| f.canonical.clone()).collect();
    let mut i = 0;
    while i < files.len() {
        let (name, text) = (files[i].name.clone(), files[i].text.clone());
        i += 1;
        let Some(shape) = config_shape(&text) else {
            diags.extend(plain.add_text(&name, &text, &load));
            continue;
        };
        // `include:` names plain resource files relative to the config file, read the way
        // `meshroute bootstrap` reads them; they join the other inputs (each file once).
        let base = files[i - 1]
            .canonical
            .as_ref()
            .and_then(|p| p.parent())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        for inc in &shape.includes {
            let found = crate::common::resolver(&base)(inc)
                .map_err(|e| Fatal(format!("{name}: include {inc:?}: {e}")))?;
            for (inc_name, bytes) in found {
                let canonical = std::fs::canonicalize(&inc_name).ok();
                if canonical.as_ref().is_some_and(|c| !seen.insert(c.clone())) {
                    continue;
                }
                let text = utf8(&inc_name, bytes)?;
                files.push(Input {
                    name: inc_name,
                    canonical,
                    text,
                });
            }
        }
        if shape.has_resources {
            let (cfg, d) = parse_config(&name, text.as_bytes(), &load);
            diags.extend(d);
            if let Some(mut cfg) = cfg {
                resources += cfg.resources.len();
                diags.extend(tls_diagnostics(&cfg));
                diags.extend(add_default_resources(&mut cfg.resources, &opts).1);
                check_resources(&cfg.resources, &opts, &mut diags);
                configs.push(cfg.resources);
            }
        }
    }
    resources += plain.len();
    // As `istioctl analyze` on files: a default ingress gateway unless the input has its own.
    diags.extend(add_default_resources(&mut plain, &opts).1);
    check_resources(&plain, &opts, &mut diags);
    let mut sets: Vec<&Resources> = configs.iter().collect();
    sets.push(&plain);
    suppress::apply(&mut diags, &sets, &args.suppress);
    diag::sort(&mut diags);

    match args.format {
        Format::Json => match serde_json::to_string_pretty(&diags) {
            Ok(json) => out::stdout(&json),
            Err(e) => return Err(Fatal(format!("cannot write JSON: {e}"))),
        },
        Format::Text => {
            for d in &diags {
                out::stdout(&d.to_string());
            }
            out::stdout(&summary(&diags, files.len(), resources));
        }
        Format::Sarif => write_stdout(&report::sarif_text("meshroute check", &findings(&diags))),
        Format::Github => write_stdout(&report::github(&findings(&diags))),
        Format::Junit => {
            let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
            write_stdout(&report::junit(
                "meshroute check",
                &junit_cases(&names, &diags),
            ));
        }
    }
    Ok(if diag::has_errors(&diags) { 1 } else { 0 })
}

/// Diagnostics as CI findings (columns in UTF-16 units, as SARIF and GitHub count).
pub fn findings(diags: &[Diagnostic]) -> Vec<Finding> {
    diags
        .iter()
        .map(|d| Finding {
            rule: d.code.clone(),
            rule_description: d.message.clone(),
            level: match d.severity {
                Severity::Error => Level::Error,
                Severity::Warning => Level::Warning,
                Severity::Info => Level::Note,
            },
            title: format!("{} {}", d.code, d.resource()).trim().to_string(),
            message: d.message.clone(),
            file: d.file.clone(),
            line: d.line,
            column: d.column_utf16,
        })
        .collect()
}

/// A JUnit case per input file, failed by its errors (warnings do not fail it).
fn junit_cases(files: &[&str], diags: &[Diagnostic]) -> Vec<JunitCase> {
    let mut names: Vec<&str> = files.to_vec();
    for d in diags {
        if !names.contains(&d.file.as_str()) {
            names.push(&d.file);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let errors: Vec<String> = diags
                .iter()
                .filter(|d| d.file == name && d.severity == Severity::Error)
                .map(|d| d.to_string())
                .collect();
            JunitCase {
                classname: "meshroute check".into(),
                name: name.to_string(),
                outcome: match errors.first() {
                    None => JunitOutcome::Passed,
                    Some(first) => JunitOutcome::Failed {
                        message: first.clone(),
                        detail: errors.join("\n"),
                    },
                },
            }
        })
        .collect()
}

/// A config file names its proxy, so its gateway's TLS servers can be checked as `meshroute
/// bootstrap` checks them: certificates that cannot be had (MR0501), skipped servers (MR0506)
/// and the certificates themselves, their files read here, at the system time.
fn tls_diagnostics(cfg: &meshroute_core::config::MeshConfig) -> Vec<Diagnostic> {
    let (table, compiled) = meshroute_core::compile::compile(&cfg.resources, &cfg.proxy);
    let mut out: Vec<Diagnostic> = compiled
        .into_iter()
        .filter(|d| d.code.starts_with("MR05"))
        .collect();
    out.extend(crate::common::certificate_diagnostics(
        &cfg.resources,
        &table,
    ));
    out
}

fn summary(diags: &[Diagnostic], files: usize, resources: usize) -> String {
    let what = format!(
        "{files} {} ({resources} {})",
        plural(files, "file", "files"),
        plural(resources, "resource", "resources")
    );
    if diags.is_empty() {
        return format!("✔ No validation issues found when analyzing {what}.");
    }
    let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
    let (e, w, i) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    format!(
        "{} {e} {}, {w} {}, {i} info when analyzing {what}.",
        if e > 0 { "✘" } else { "✔" },
        plural(e, "error", "errors"),
        plural(w, "warning", "warnings"),
    )
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}
