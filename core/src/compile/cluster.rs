//! Clusters: one per visible service port and one per DestinationRule subset of it, with the
//! traffic policy that applies (Istio: pilot/pkg/networking/core/cluster.go,
//! cluster_builder.go); and the references routes hold to them, known or missing.

use super::destination_rule::MergedDr;
use super::traffic_policy::{
    lb_policy, merge_subset_policy, outlier_policy, pool_limits, port_policy,
};
use super::Cx;
use crate::host;
use crate::lb::{Endpoint, LbPolicy, Selector};
use crate::model::istio::*;
use crate::registry::{labels_contain, visible, Origin, Service};
use crate::table::*;

impl<'a> Cx<'a> {
    // -----------------------------------------------------------------------------------------
    // Clusters

    pub(super) fn build_clusters(&mut self) {
        for svc in &self.reg.services {
            if !visible(&svc.export_to, &svc.namespace, &self.proxy.namespace) {
                continue;
            }
            if self.table.cluster_index.contains_key(&host::cluster_name(
                svc.ports.first().map_or(0, |p| p.port),
                "",
                &svc.hostname,
            )) {
                continue; // same hostname from another namespace: first visible wins
            }
            let dr = self.drs.lookup(&svc.hostname, &svc.namespace);
            for (pi, port) in svc.ports.iter().enumerate() {
                let eps: Vec<&crate::registry::ServiceEndpoint> =
                    svc.endpoints[pi].iter().collect();
                let policy = dr.as_ref().and_then(|d| port_policy(d.policy, port.port));
                self.push_cluster(
                    svc,
                    port.port,
                    "",
                    eps.iter().map(|e| e.endpoint.clone()).collect(),
                    policy.clone(),
                    dr.as_ref(),
                );
                if let Some(d) = &dr {
                    for subset in &d.subsets {
                        let name = subset.name.clone().unwrap_or_default();
                        let sel: Vec<Endpoint> = eps
                            .iter()
                            .filter(|e| labels_contain(&e.labels, &subset.labels))
                            .map(|e| e.endpoint.clone())
                            .collect();
                        let merged = merge_subset_policy(
                            policy.clone(),
                            subset.traffic_policy.as_ref(),
                            port.port,
                        );
                        self.push_cluster(svc, port.port, &name, sel, merged, Some(d));
                    }
                }
            }
        }
    }

    fn push_cluster(
        &mut self,
        svc: &Service,
        port: u32,
        subset: &str,
        endpoints: Vec<Endpoint>,
        policy: Option<TrafficPolicy>,
        dr: Option<&MergedDr>,
    ) {
        let name = host::cluster_name(port, subset, &svc.hostname);
        if self.table.cluster_index.contains_key(&name) {
            return;
        }
        let lb_settings = policy.as_ref().and_then(|p| p.load_balancer.as_ref());
        let (mut lb, hash) = lb_policy(lb_settings);
        let passthrough =
            svc.origin == Origin::ServiceEntry && svc.resolution == SeResolution::None;
        if passthrough {
            lb = LbPolicy::Passthrough;
        }
        let outlier = policy
            .as_ref()
            .and_then(|p| p.outlier_detection.as_ref())
            .map(outlier_policy);
        let pool = policy
            .as_ref()
            .and_then(|p| p.connection_pool.as_ref())
            .map(pool_limits);
        // Istio maps minHealthPercent to Envoy's healthy_panic_threshold (default 0 with outlier
        // detection configured; Envoy's 50% otherwise) — cluster_traffic_policy.go.
        let selector = Selector::build_with(
            lb,
            &endpoints,
            outlier.as_ref(),
            crate::lb::istio_panic_threshold(outlier.as_ref()),
        );
        let discovery =
            if passthrough || lb_settings.and_then(|l| l.simple) == Some(SimpleLb::Passthrough) {
                "ORIGINAL_DST"
            } else if svc.origin == Origin::ServiceEntry {
                match svc.resolution {
                    SeResolution::Dns => "STRICT_DNS",
                    SeResolution::DnsRoundRobin => "LOGICAL_DNS",
                    _ => "EDS",
                }
            } else {
                "EDS"
            };
        let idx = self.table.clusters.len() as u32;
        self.table.cluster_index.insert(name.clone(), idx);
        self.table.clusters.push(Cluster {
            name,
            service: svc.hostname.clone(),
            port,
            subset: subset.to_string(),
            endpoints,
            selector,
            hash,
            outlier,
            pool,
            destination_rule: dr.map(|d| d.names.join(",")),
            discovery,
        });
    }

    pub(super) fn cluster_ref(&mut self, name: String) -> ClusterRef {
        if let Some(&i) = self.table.cluster_index.get(&name) {
            return ClusterRef::Known(i);
        }
        if let Some(&i) = self.missing.get(&name) {
            return ClusterRef::Missing(i);
        }
        let i = self.table.missing_clusters.len() as u32;
        self.missing.insert(name.clone(), i);
        self.table.missing_clusters.push(name);
        ClusterRef::Missing(i)
    }
}
