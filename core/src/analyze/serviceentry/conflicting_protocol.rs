//! `serviceentry.ConflictingServiceEntryProtocolAnalyzer`
//! (Istio: pkg/config/analysis/analyzers/serviceentry/conflictingserviceentries.go).
//!
//! IST0177: ServiceEntries visible in the same scope define the same host and port with
//! different protocols (compared case-insensitively; an unset protocol is a protocol of its
//! own). Entries exported everywhere join every namespace scope. Each ServiceEntry is reported
//! once.

use crate::analyze::msg;
use crate::analyze::util::{export_scopes, full_name, EXPORT_ALL};
use crate::analyze::{Analyzer, Ctx};
use crate::diag::Diagnostic;
use std::collections::{BTreeMap, BTreeSet, HashSet};

pub const ANALYZER: Analyzer = Analyzer {
    name: "serviceentry.ConflictingServiceEntryProtocolAnalyzer",
    codes: &["IST0177"],
    run,
};

/// (ServiceEntry index, port index, protocol).
type Entry = (usize, usize, String);

fn run(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let ses = &ctx.res.service_entries;
    let mut index: BTreeMap<(String, String, i64), Vec<Entry>> = BTreeMap::new();
    for (i, se) in ses.iter().enumerate() {
        for scope in export_scopes(&se.spec.export_to, &se.meta.namespace) {
            for h in &se.spec.hosts {
                for (j, p) in se.spec.ports.iter().enumerate() {
                    index
                        .entry((scope.clone(), h.clone(), p.number.unwrap_or(0)))
                        .or_default()
                        .push((i, j, p.protocol.clone().unwrap_or_default()));
                }
            }
        }
    }
    let mut reported = HashSet::new();
    for ((scope, host, port), entries) in &index {
        let mut entries = entries.clone();
        if scope != EXPORT_ALL {
            if let Some(star) = index.get(&(EXPORT_ALL.to_string(), host.clone(), *port)) {
                entries.extend(star.iter().cloned());
            }
        }
        let protocols: BTreeSet<String> =
            entries.iter().map(|e| e.2.to_ascii_uppercase()).collect();
        if protocols.len() < 2 {
            continue;
        }
        let names: BTreeSet<String> = entries.iter().map(|e| full_name(&ses[e.0].meta)).collect();
        let names = names.into_iter().collect::<Vec<_>>().join(", ");
        let protocols = protocols.into_iter().collect::<Vec<_>>().join(", ");
        for (i, j, _) in &entries {
            if !reported.insert(*i) {
                continue;
            }
            let m = msg::CONFLICTING_SERVICE_ENTRY_PROTOCOL;
            out.push(ctx.res.diag(
                &ses[*i],
                m.code,
                m.severity,
                &format!("spec.ports[{j}].protocol"),
                msg::conflicting_service_entry_protocol(&names, host, *port, &protocols),
            ));
        }
    }
}
