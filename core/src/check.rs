//! `meshroute check`: load + validate + analyze, in one call.
use crate::analyze::{analyze, AnalyzeOptions};
use crate::diag::{self, Diagnostic};
use crate::resources::{LoadOptions, Resources};
use crate::validate::validate;

/// Validates and analyzes already-loaded resources, appending to `diags`, then sorts them.
pub fn check_resources(res: &Resources, opts: &AnalyzeOptions, diags: &mut Vec<Diagnostic>) {
    diags.extend(validate(res));
    diags.extend(analyze(res, opts));
    diag::sort(diags);
}

/// Loads named inputs and checks them.
pub fn check(
    inputs: &[(&str, &[u8])],
    load: &LoadOptions,
    opts: &AnalyzeOptions,
) -> (Resources, Vec<Diagnostic>) {
    let mut res = Resources::default();
    let mut diags = Vec::new();
    for (name, bytes) in inputs {
        diags.extend(res.add_bytes(name, bytes, load));
    }
    check_resources(&res, opts, &mut diags);
    (res, diags)
}

/// Whether a diagnostic is one the Kubernetes API server would refuse the resource for
/// (unparsable YAML, unknown fields, wrong types, Istio's webhook validation) — as opposed to
/// `istioctl analyze` findings, which are reported but applied anyway. The filter refuses a
/// configuration with any of these; analyzer errors (e.g. IST0101) are logged and served, so the
/// proxy answers what Istio would (e.g. 503 for an unknown destination host).
pub fn rejects(d: &Diagnostic) -> bool {
    use crate::diag::{codes, Severity};
    d.severity == Severity::Error
        && matches!(
            d.code.as_str(),
            codes::YAML_SYNTAX
                | codes::INPUT_LIMIT
                | codes::NOT_UTF8
                | codes::NOT_AN_OBJECT
                | codes::DUPLICATE_KEY
                | codes::UNKNOWN_FIELD
                | codes::WRONG_TYPE
                | codes::CONFIG
                | codes::SCHEMA_ERROR
        )
}

/// A meshroute config file, checked and compiled: what the filter, `meshroute simulate` and the
/// browser need.
pub struct Prepared {
    pub config: crate::config::MeshConfig,
    pub table: crate::table::RouteTable,
    /// Every diagnostic (load, validation, analysis, compile), sorted.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses, checks and compiles a config file. `Err` carries all diagnostics when the file is
/// unusable or has rejecting errors (see [`rejects`]).
pub fn prepare(name: &str, bytes: &[u8], load: &LoadOptions) -> Result<Prepared, Vec<Diagnostic>> {
    let (cfg, mut diags) = crate::config::parse_config(name, bytes, load);
    let Some(config) = cfg else {
        diag::sort(&mut diags);
        return Err(diags);
    };
    check_resources(&config.resources, &AnalyzeOptions::default(), &mut diags);
    if diags.iter().any(rejects) {
        return Err(diags);
    }
    let (mut table, cd) = crate::compile::compile(&config.resources, &config.proxy);
    crate::compile::apply_outbound_traffic_policy(&mut table, config.outbound_traffic_policy);
    diags.extend(cd);
    diag::sort(&mut diags);
    Ok(Prepared {
        config,
        table,
        diagnostics: diags,
    })
}
