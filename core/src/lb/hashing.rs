//! Consistent-hash tables: Envoy's ring hash and Maglev, bit for bit.
//!
//! Both normalize weights over the members (`normalizeHostWeights` in
//! `load_balancing_policies/common/thread_aware_lb_impl.cc`: `weight / Σweight`) and key an
//! endpoint by its address string, as Envoy's `hashKey(host, use_hostname_for_hashing=false)`.

use std::fmt::Write as _;

use xxhash_rust::xxh64::xxh64;

use super::Endpoint;

/// Envoy `RingHash.minimum_ring_size` default.
pub const DEFAULT_MIN_RING_SIZE: u64 = 1024;
/// Envoy `RingHash.maximum_ring_size` default (8 Mi), also the upper bound of the minimum.
pub const MAX_RING_SIZE: u64 = 8 * 1024 * 1024;
/// Envoy `MaglevTable::DefaultTableSize` (the paper's recommendation, section 5.3).
pub const DEFAULT_MAGLEV_TABLE_SIZE: u64 = 65537;
/// Istio's bound on `maglev.tableSize` (a prime).
pub const MAX_MAGLEV_TABLE_SIZE: u64 = 5_000_011;

/// The ring size a `minimum_ring_size` yields: 0 → 1024 (Istio's default when unset), clamped
/// to Envoy's maximum ring size.
pub fn effective_min_ring_size(minimum_ring_size: u64) -> u64 {
    match minimum_ring_size {
        0 => DEFAULT_MIN_RING_SIZE,
        n => n.min(MAX_RING_SIZE),
    }
}

/// The Maglev table size a `table_size` yields: 0 → 65537; clamped to `2..=5000011`; a
/// non-prime rounded up to the next prime (Envoy rejects non-primes; Istio's validation does
/// too, so this only keeps a bad input from breaking the table).
pub fn effective_maglev_table_size(table_size: u64) -> u64 {
    let mut m = match table_size {
        0 => DEFAULT_MAGLEV_TABLE_SIZE,
        n => n.clamp(2, MAX_MAGLEV_TABLE_SIZE),
    };
    while !is_prime(m) {
        m += 1;
    }
    m
}

fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    if n < 4 {
        return true;
    }
    if n.is_multiple_of(2) {
        return false;
    }
    let mut d = 3;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 2;
    }
    true
}

/// A built hash table. Owners are endpoint indices.
#[derive(Clone, Default)]
pub(super) enum Table {
    #[default]
    None,
    /// Sorted ring positions and, in parallel, their owners.
    Ring {
        hashes: Vec<u64>,
        owners: Vec<u32>,
    },
    Maglev {
        owners: Vec<u32>,
    },
}

impl Table {
    pub(super) fn len(&self) -> usize {
        match self {
            Table::None => 0,
            Table::Ring { hashes, .. } => hashes.len(),
            Table::Maglev { owners } => owners.len(),
        }
    }

    pub(super) fn lookup(&self, h: u64) -> Option<u32> {
        match self {
            Table::None => None,
            Table::Ring { hashes, owners } => {
                if hashes.is_empty() {
                    return None;
                }
                // ring_hash_lb.cc Ring::chooseHost (ketama_get_server): the first position ≥ h,
                // wrapping to the first entry past the end.
                let i = hashes.partition_point(|&p| p < h);
                owners.get(if i == hashes.len() { 0 } else { i }).copied()
            }
            // maglev_lb.cc chooseHost: `table_[hash % table_size_]`.
            Table::Maglev { owners } => {
                if owners.is_empty() {
                    return None;
                }
                owners.get((h % owners.len() as u64) as usize).copied()
            }
        }
    }
}

/// Normalized weights of `members` with their minimum and maximum.
fn normalize(weights: &[u32], members: &[u32]) -> (Vec<f64>, f64, f64) {
    let sum: u64 = members
        .iter()
        .map(|&m| u64::from(weights[m as usize]))
        .sum();
    let sum = sum.max(1) as f64;
    let mut min = 1.0f64;
    let mut max = 0.0f64;
    let normalized = members
        .iter()
        .map(|&m| {
            let w = f64::from(weights[m as usize]) / sum;
            min = min.min(w);
            max = max.max(w);
            w
        })
        .collect();
    (normalized, min, max)
}

/// Envoy's ring (`RingHashLoadBalancer::Ring::Ring`): the least-weighted member gets
/// `ceil(min_weight × minimum_ring_size)` points and the others proportionally (capped at the
/// maximum ring size); member `m`'s `i`-th point is `xxh64("<address>_<i>", 0)`; points are
/// handed out with running sums so fractional shares stay stable; then sorted.
pub(super) fn ring(
    endpoints: &[Endpoint],
    weights: &[u32],
    members: &[u32],
    minimum_ring_size: u64,
) -> Table {
    if members.is_empty() {
        return Table::Ring {
            hashes: Vec::new(),
            owners: Vec::new(),
        };
    }
    let min_ring = effective_min_ring_size(minimum_ring_size) as f64;
    let (normalized, min_w, _) = normalize(weights, members);
    let scale = ((min_w * min_ring).ceil() / min_w).min(MAX_RING_SIZE as f64);
    let ring_size = (scale.ceil() as usize).min(MAX_RING_SIZE as usize);
    let mut points: Vec<(u64, u32)> = Vec::with_capacity(ring_size);
    let mut key = String::new();
    let mut current = 0.0f64;
    let mut target = 0.0f64;
    for (&m, &w) in members.iter().zip(&normalized) {
        let address = &endpoints[m as usize].address;
        target += scale * w;
        let mut i: u64 = 0;
        while current < target && points.len() < MAX_RING_SIZE as usize + members.len() {
            key.clear();
            key.push_str(address);
            key.push('_');
            let _ = write!(key, "{i}");
            points.push((xxh64(key.as_bytes(), 0), m));
            i += 1;
            current += 1.0;
        }
    }
    // Envoy sorts by position only (std::sort); a stable sort keeps equal positions (never seen
    // with 64-bit hashes) in insertion order.
    points.sort_by_key(|p| p.0);
    let (hashes, owners) = points.into_iter().unzip();
    Table::Ring { hashes, owners }
}

/// Envoy's Maglev table (`MaglevTable::constructMaglevTableInternal` +
/// `OriginalMaglevTable::constructImplementationInternals`): members sorted by address; each has
/// `offset = xxh64(addr, 0) % M` and `skip = xxh64(addr, 1) % (M - 1) + 1`; rounds go over the
/// members, a member takes its next free preferred slot when `round × weight ≥ target` (target
/// grows by the maximum weight per slot taken), until the table is full.
pub(super) fn maglev(
    endpoints: &[Endpoint],
    weights: &[u32],
    members: &[u32],
    table_size: u64,
) -> Table {
    if members.is_empty() {
        return Table::Maglev { owners: Vec::new() };
    }
    let m_size = effective_maglev_table_size(table_size);
    let (normalized, _, max_w) = normalize(weights, members);
    struct Build {
        member: u32,
        offset: u64,
        skip: u64,
        weight: f64,
        target: f64,
        next: u64,
    }
    let mut order: Vec<usize> = (0..members.len()).collect();
    // Envoy sorts (address, host pointer, weight) tuples; equal addresses fall back to index here.
    order.sort_by(|&a, &b| {
        endpoints[members[a] as usize]
            .address
            .as_bytes()
            .cmp(endpoints[members[b] as usize].address.as_bytes())
            .then(a.cmp(&b))
    });
    let mut builds: Vec<Build> = order
        .into_iter()
        .map(|k| {
            let addr = endpoints[members[k] as usize].address.as_bytes();
            Build {
                member: members[k],
                offset: xxh64(addr, 0) % m_size,
                skip: xxh64(addr, 1) % (m_size - 1) + 1,
                weight: normalized[k],
                target: 0.0,
                next: 0,
            }
        })
        .collect();
    const EMPTY: u32 = u32::MAX;
    let size = m_size as usize;
    let mut owners = vec![EMPTY; size];
    let permutation =
        |b: &Build| (b.offset.wrapping_add(b.skip.wrapping_mul(b.next)) % m_size) as usize;
    let mut filled = 0usize;
    let mut iteration: u64 = 1;
    while filled < size {
        for b in builds.iter_mut() {
            if filled >= size {
                break;
            }
            if (iteration as f64) * b.weight < b.target {
                continue;
            }
            b.target += max_w;
            let mut c = permutation(b);
            // skip and M are coprime (M prime, 0 < skip < M), so this visits every slot.
            while owners[c] != EMPTY {
                b.next += 1;
                c = permutation(b);
            }
            owners[c] = b.member;
            b.next += 1;
            filled += 1;
        }
        iteration += 1;
    }
    Table::Maglev { owners }
}
