//! Many decisions counted (`simulate --requests N`).

use super::render_table;
use crate::route::{Decision, Outcome};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Counts of many decisions (`simulate --requests N`): per cluster, endpoint and status.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tally {
    pub requests: u64,
    pub cluster: BTreeMap<String, u64>,
    pub endpoint: BTreeMap<String, u64>,
    /// `forwarded` or the local reply code.
    pub status: BTreeMap<String, u64>,
}

impl Tally {
    pub fn add(&mut self, d: &Decision) {
        self.requests += 1;
        match &d.outcome {
            Outcome::Forward(f) => {
                *self.cluster.entry(f.cluster_name.to_string()).or_default() += 1;
                if let Some(a) = f.endpoint_address.or(f.original_dst.as_deref()) {
                    *self.endpoint.entry(a.to_string()).or_default() += 1;
                }
                *self.status.entry("forwarded".into()).or_default() += 1;
            }
            Outcome::Reply(r) => {
                if let Some(c) = &r.cluster {
                    *self.cluster.entry(c.clone()).or_default() += 1;
                }
                *self.status.entry(r.status.to_string()).or_default() += 1;
            }
        }
    }

    /// `{"requests": N, "counts": {"cluster": {..}, "endpoint": {..}, "status": {..}}}`.
    pub fn to_json(&self) -> Value {
        json!({
            "requests": self.requests,
            "counts": {
                "cluster": self.cluster,
                "endpoint": self.endpoint,
                "status": self.status,
            }
        })
    }

    pub fn render(&self) -> String {
        let mut out = format!("{} requests\n", self.requests);
        let pct = |n: u64| {
            if self.requests == 0 {
                0.0
            } else {
                n as f64 * 100.0 / self.requests as f64
            }
        };
        for (title, map) in [
            ("STATUS", &self.status),
            ("CLUSTER", &self.cluster),
            ("ENDPOINT", &self.endpoint),
        ] {
            if map.is_empty() {
                continue;
            }
            out.push('\n');
            let rows: Vec<Vec<String>> = map
                .iter()
                .map(|(k, n)| vec![k.clone(), n.to_string(), format!("{:.1}%", pct(*n))])
                .collect();
            out.push_str(&render_table(&[title, "COUNT", "SHARE"], &rows));
        }
        out
    }
}
