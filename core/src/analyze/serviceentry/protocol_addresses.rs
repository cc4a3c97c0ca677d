//! `serviceentry.Analyzer` (Go type `ProtocolAddressesAnalyzer`,
//! Istio: pkg/config/analysis/analyzers/serviceentry/protocoladdresses.go).
//!
//! IST0134: a ServiceEntry without `addresses` (and without addresses allocated in
//! `status.addresses`) has a port whose protocol is TCP or unset: without a VIP, such traffic
//! can only be matched by port. Not reported when the mesh config turns on DNS capture with
//! address auto-allocation ([`AnalyzeOptions::auto_allocate_addresses`]).
//!
//! [`AnalyzeOptions::auto_allocate_addresses`]: crate::analyze::AnalyzeOptions::auto_allocate_addresses

use crate::analyze::msg;
use crate::analyze::{Analyzer, Ctx};
use crate::diag::Diagnostic;
use crate::node::Value;

pub const ANALYZER: Analyzer = Analyzer {
    name: "serviceentry.Analyzer",
    codes: &["IST0134"],
    run,
};

fn run(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    if ctx.opts.auto_allocate_addresses {
        return;
    }
    for se in &ctx.res.service_entries {
        if !se.spec.addresses.is_empty() {
            continue;
        }
        // `addressAllocated`: status.addresses is not empty.
        let allocated = ctx
            .res
            .docs
            .get(se.src.doc as usize)
            .and_then(|d| d.node.get("status"))
            .and_then(|s| s.get("addresses"))
            .is_some_and(|a| matches!(&a.value, Value::Seq(items) if !items.is_empty()));
        if allocated {
            continue;
        }
        for (i, port) in se.spec.ports.iter().enumerate() {
            let proto = port.protocol.as_deref().unwrap_or("");
            if proto.is_empty() || proto.eq_ignore_ascii_case("TCP") {
                let m = msg::SERVICE_ENTRY_ADDRESSES_REQUIRED;
                out.push(ctx.res.diag(
                    se,
                    m.code,
                    m.severity,
                    &format!("spec.ports[{i}].protocol"),
                    msg::service_entry_addresses_required(),
                ));
            }
        }
    }
}
