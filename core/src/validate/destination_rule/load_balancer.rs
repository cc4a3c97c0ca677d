//! Load balancer settings, with locality and zone-aware load balancing. Istio: validation.go
//! `validateLoadBalancer`; agent/validation.go `ValidateLocalityLbSetting`,
//! `ValidateZoneAwareLbSetting`.

use super::raw::*;
use super::{decode_raw, duration};
use crate::model::istio::*;
use crate::validate::{key, Sink};
use std::collections::BTreeMap;

/// Envoy's `isPrime` (copied by Istio into validation.go).
fn is_prime(x: u64) -> bool {
    if x != 0 && x < 4 {
        return true;
    }
    if x & 1 == 0 {
        return false;
    }
    let mut f = 3u64;
    while f.saturating_mul(f) <= x {
        if x.is_multiple_of(f) {
            return false;
        }
        f += 2;
    }
    true
}

/// Istio: validation.go `validateLoadBalancer`.
pub(super) fn load_balancer(
    s: &mut Sink,
    path: &str,
    lb: Option<&LoadBalancerSettings>,
    has_outlier: bool,
) {
    let Some(lb) = lb else { return };
    if let Some(ch) = &lb.consistent_hash {
        let cp = format!("{path}.consistentHash");
        let keys = [
            ch.http_header_name.is_some(),
            ch.http_cookie.is_some(),
            ch.use_source_ip.is_some(),
            ch.http_query_parameter_name.is_some(),
        ];
        if keys.iter().filter(|k| **k).count() > 1 {
            s.err(
                &cp,
                "consistentHash sets exactly one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName",
            );
        }
        if ch.ring_hash.is_some() && ch.maglev.is_some() {
            s.err(&cp, "consistentHash sets only one of ringHash or maglev");
        }
        if let Some(c) = &ch.http_cookie {
            let kp = format!("{cp}.httpCookie");
            if c.name.as_deref().unwrap_or("").is_empty() {
                s.err(&kp, "httpCookie needs a name");
            }
            let mut names: Vec<&str> = Vec::new();
            for (i, a) in c.attributes.iter().enumerate() {
                let ap = format!("{kp}.attributes[{i}]");
                let n = a.name.as_deref().unwrap_or("");
                if n.is_empty() {
                    s.err(&ap, "cookie attribute name cannot be empty");
                    continue;
                }
                if names.contains(&n) {
                    s.err(
                        &format!("{ap}.name"),
                        format!("duplicate cookie attribute name {n:?}"),
                    );
                } else {
                    names.push(n);
                }
            }
        }
        if ch.minimum_ring_size.is_some_and(|v| v != 0) {
            s.warn(
                &format!("{cp}.minimumRingSize"),
                "consistentHash.minimumRingSize is deprecated; use consistentHash.ringHash.minimumRingSize instead",
            );
            if ch.ring_hash.is_some() || ch.maglev.is_some() {
                s.err(
                    &format!("{cp}.minimumRingSize"),
                    "only one of minimumRingSize or maglev/ringHash can be specified",
                );
            }
        }
        if let Some(m) = &ch.maglev {
            let mp = format!("{cp}.maglev.tableSize");
            let t = m.table_size.unwrap_or(0);
            if t == 0 {
                s.err(
                    &format!("{cp}.maglev"),
                    "tableSize must be set for maglev (a prime number such as 65537)",
                );
            }
            if t >= 5_000_011 {
                s.err(
                    &mp,
                    format!("tableSize must be less than 5000011 for maglev, got {t}"),
                );
            }
            if !is_prime(t) {
                s.err(
                    &mp,
                    format!("tableSize must be a prime number for maglev (such as 65537), got {t}"),
                );
            }
        }
    }
    if lb.simple.is_some() && lb.consistent_hash.is_some() {
        s.err(
            path,
            "loadBalancer sets only one of simple or consistentHash",
        );
    }
    if lb.locality_lb_setting.is_some() && lb.zone_aware_lb_setting.is_some() {
        s.err(
            &format!("{path}.zoneAwareLbSetting"),
            "only one of localityLbSetting and zoneAwareLbSetting can be set",
        );
    }
    if let Some(n) = &lb.locality_lb_setting {
        let p = format!("{path}.localityLbSetting");
        let l: LocalityLb = decode_raw(s, n, &p);
        locality(s, &p, &l, has_outlier);
    }
    if let Some(n) = &lb.zone_aware_lb_setting {
        let p = format!("{path}.zoneAwareLbSetting");
        let z: ZoneAwareLb = decode_raw(s, n, &p);
        zone_aware(s, &p, &z, has_outlier);
    }
    if lb.warmup.is_some() && lb.warmup_duration_secs.is_some() {
        // The CRD's CEL rule.
        s.err(path, "only one of warmupDurationSecs or warmup can be set");
    }
    if let Some(d) = lb.warmup_duration_secs {
        duration(s, &format!("{path}.warmupDurationSecs"), d);
    }
    if let Some(n) = &lb.warmup {
        let p = format!("{path}.warmup");
        let w: Warmup = decode_raw(s, n, &p);
        match w.duration {
            None => s.err(&p, "warmup duration is required"),
            Some(d) => duration(s, &format!("{p}.duration"), d),
        }
        if let Some(v) = w.minimum_percent {
            if !(0.0..=100.0).contains(&v) {
                s.err(
                    &format!("{p}.minimumPercent"),
                    format!("minimumPercent must be in the range 0..100, got {v}"),
                );
            }
        }
        if let Some(a) = w.aggression {
            if a <= 0.0 {
                s.err(
                    &format!("{p}.aggression"),
                    format!("aggression must be greater than 0, got {a}"),
                );
            }
        }
    }
}

const TOPOLOGY_LABELS: &[&str] = &[
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "topology.istio.io/subzone",
];

/// Istio: agent/validation.go `ValidateLocalityLbSetting` (which stops at several errors).
fn locality(s: &mut Sink, path: &str, l: &LocalityLb, has_outlier: bool) {
    if !l.distribute.is_empty() && !l.failover.is_empty() {
        s.err(path, "cannot set both 'distribute' and 'failover'");
        return;
    }
    if !l.failover.is_empty() {
        for (i, lab) in l.failover_priority.iter().enumerate() {
            if TOPOLOGY_LABELS.contains(&lab.as_str()) {
                s.err(
                    &format!("{path}.failoverPriority[{i}]"),
                    format!("cannot set 'failover' together with the topology label {lab:?} in 'failoverPriority'"),
                );
                return;
            }
        }
    }
    let mut sources: Vec<String> = Vec::new();
    for (i, d) in l.distribute.iter().enumerate() {
        let dp = format!("{path}.distribute[{i}]");
        sources.push(d.from.clone().unwrap_or_default());
        let mut total: i64 = 0;
        for (loc, w) in &d.to {
            if *w <= 0 || *w > 100 {
                s.err(
                    &key(&format!("{dp}.to"), loc),
                    format!("locality weight must be in the range 1..100, got {w}"),
                );
                return;
            }
            total += w;
        }
        if total != 100 {
            s.err(
                &format!("{dp}.to"),
                format!("the locality weights must add up to 100, got {total}"),
            );
            return;
        }
        let dests: Vec<String> = d.to.keys().cloned().collect();
        if let Err(e) = localities(&dests) {
            s.err(&format!("{dp}.to"), e);
        }
    }
    if let Err(e) = localities(&sources) {
        s.err(&format!("{path}.distribute"), e);
    }
    if (!l.failover.is_empty() || !l.failover_priority.is_empty()) && !has_outlier {
        s.warn(
            path,
            "locality failover needs an outlierDetection policy; without it failover never happens",
        );
    }
    failovers(s, path, &l.failover, "locality lb failover");
}

fn failovers(s: &mut Sink, path: &str, list: &[LocalityFailover], what: &str) {
    for (i, f) in list.iter().enumerate() {
        let fp = format!("{path}.failover[{i}]");
        let from = f.from.as_deref().unwrap_or("");
        let to = f.to.as_deref().unwrap_or("");
        if from == to {
            s.err(
                &fp,
                format!("{what}: from and to must be different regions"),
            );
        }
        if from.contains('/') || to.contains('/') {
            s.err(
                &fp,
                format!("{what}: from and to name regions only (no '/')"),
            );
        }
        if from.contains('*') || to.contains('*') {
            s.err(
                &fp,
                format!("{what}: regions must not contain the '*' wildcard"),
            );
        }
    }
}

/// Istio: agent/validation.go `ValidateZoneAwareLbSetting`.
fn zone_aware(s: &mut Sink, path: &str, z: &ZoneAwareLb, has_outlier: bool) {
    for (i, lab) in z.failover_priority.iter().enumerate() {
        if TOPOLOGY_LABELS.contains(&lab.as_str()) {
            s.err(
                &format!("{path}.failoverPriority[{i}]"),
                format!("'failoverPriority' for zone aware lb must not use the topology label {lab:?}; region- and zone-level routing are handled automatically"),
            );
        }
    }
    if (!z.failover.is_empty() || !z.failover_priority.is_empty()) && !has_outlier {
        s.warn(
            path,
            "zone aware failover needs an outlierDetection policy; without it failover never happens",
        );
    }
    failovers(s, path, &z.failover, "zone aware lb failover");
}

/// Istio: agent/validation.go `validateLocalities` — `region[/zone[/subzone]]`, one trailing
/// `*` at most, no overlaps.
fn localities(list: &[String]) -> Result<(), String> {
    // region -> zone -> subzones ("*" = everything below)
    let mut m: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let overlap = |l: &str| Err(format!("locality {l:?} overlaps with a previous one"));
    for l in list {
        let n = l.matches('*').count();
        if n > 0 && (n > 1 || !l.ends_with('*')) {
            return Err(format!(
                "locality {l:?}: at most one '*' wildcard, and only at the end"
            ));
        }
        if m.contains_key("*") {
            return overlap(l);
        }
        let items: Vec<&str> = l.splitn(3, '/').collect();
        if items.iter().any(|i| i.is_empty()) {
            return Err(format!(
                "locality {l:?} must not contain an empty region/zone/subzone"
            ));
        }
        let region = items[0].to_string();
        match items.len() {
            1 => {
                if m.contains_key(&region) {
                    return overlap(l);
                }
                let mut z = BTreeMap::new();
                z.insert("*".to_string(), vec!["*".to_string()]);
                m.insert(region, z);
            }
            2 => {
                let zone = items[1].to_string();
                if let Some(zs) = m.get_mut(&region) {
                    if zs.contains_key("*") || zs.contains_key(&zone) {
                        return overlap(l);
                    }
                    zs.insert(zone, vec!["*".to_string()]);
                } else {
                    let mut z = BTreeMap::new();
                    z.insert(zone, vec!["*".to_string()]);
                    m.insert(region, z);
                }
            }
            _ => {
                let zone = items[1].to_string();
                let sub = items[2].to_string();
                let zs = m.entry(region).or_default();
                if zs.contains_key("*") {
                    return overlap(l);
                }
                let subs = zs.entry(zone).or_default();
                if subs.iter().any(|x| x == "*" || *x == sub) {
                    return overlap(l);
                }
                subs.push(sub);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primes_like_envoy() {
        assert!(is_prime(65537));
        assert!(is_prime(2));
        assert!(!is_prime(65536));
        assert!(!is_prime(9));
        assert!(!is_prime(0));
    }

    #[test]
    fn locality_overlaps() {
        let l = |v: &[&str]| localities(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(l(&["us", "eu/z1", "eu/z2/s1"]).is_ok());
        assert!(l(&["us", "us/z1"]).is_err());
        assert!(l(&["*", "us"]).is_err());
        assert!(l(&["us/*/x"]).is_err());
        assert!(l(&["us//x"]).is_err());
    }
}
