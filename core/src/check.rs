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
