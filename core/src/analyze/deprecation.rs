//! `deprecation.DeprecationAnalyzer` (Go type `FieldAnalyzer`,
//! Istio: pkg/config/analysis/analyzers/deprecation/deprecation.go).
//!
//! IST0002: a VirtualService uses the integer `fault.delay.percent` (replaced by
//! `fault.delay.percentage`). Istio's other checks here are about Sidecars and removed CRDs,
//! which meshroute does not load.

use crate::analyze::msg;
use crate::analyze::{Analyzer, Ctx};
use crate::diag::Diagnostic;

pub const ANALYZER: Analyzer = Analyzer {
    name: "deprecation.DeprecationAnalyzer",
    codes: &["IST0002"],
    run,
};

fn run(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for vs in &ctx.res.virtual_services {
        for (i, r) in vs.spec.http.iter().enumerate() {
            let percent = r
                .fault
                .as_ref()
                .and_then(|f| f.delay.as_ref())
                .and_then(|d| d.percent)
                .unwrap_or(0);
            if percent > 0 {
                let m = msg::DEPRECATED;
                out.push(ctx.res.diag(
                    vs,
                    m.code,
                    m.severity,
                    &format!("spec.http[{i}].fault.delay.percent"),
                    msg::deprecated(
                        "HTTPRoute.fault.delay.percent is deprecated; use HTTPRoute.fault.delay.percentage",
                    ),
                ));
            }
        }
    }
}
