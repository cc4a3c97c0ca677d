//! Earliest-deadline-first scheduler, as Envoy's `EdfScheduler`
//! (`source/common/upstream/edf_scheduler.h`): every entry is due at the time of its last pick
//! plus `1 / weight`; the earliest deadline is picked and re-queued with its current weight;
//! equal deadlines go to the entry queued first. O(log n) per pick, no allocation once built.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

#[derive(Debug, Clone, Default)]
pub(super) struct Edf {
    now: f64,
    order: u64,
    heap: BinaryHeap<Entry>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    deadline: f64,
    order: u64,
    member: u32,
}

// BinaryHeap is a max-heap: "greater" means "due first".
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .deadline
            .total_cmp(&self.deadline)
            .then_with(|| other.order.cmp(&self.order))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

/// A weight the scheduler can divide by: Envoy asserts weights are positive.
fn sane(w: f64) -> f64 {
    if w.is_finite() && w > 0.0 {
        w
    } else {
        f64::MIN_POSITIVE
    }
}

impl Edf {
    /// Rebuilds the schedule for `members` as if `picks` picks had already been made, so that
    /// balancers seeded differently start at different points (Envoy
    /// `EdfScheduler::createWithPicks`, including its 1e-13 weight epsilon and the correction of
    /// floating-point floors).
    pub(super) fn rebuild(&mut self, members: &[u32], weight: impl Fn(u32) -> f64, picks: u32) {
        let picks = picks % 429_496_729; // Envoy: "% UINT_MAX/10"
        self.heap.clear();
        self.now = 0.0;
        self.order = members.len() as u64;
        if members.is_empty() {
            return;
        }
        let aug = |m: u32| sane(weight(m)) + 1e-13;
        let sum: f64 = members.iter().map(|&m| aug(m)).sum();
        let mut picked: u64 = 0;
        let mut max_pick_time = 0.0f64;
        let mut entries = Vec::with_capacity(members.len());
        for (i, &m) in members.iter().enumerate() {
            let w = aug(m);
            let mut floor = (w * f64::from(picks) / sum) as u32;
            if floor > 0 && f64::from(floor) / w >= f64::from(picks) / sum {
                floor -= 1;
            }
            max_pick_time = max_pick_time.max(f64::from(floor) / w);
            entries.push(Entry {
                deadline: (f64::from(floor) + 1.0) / w,
                order: i as u64,
                member: m,
            });
            picked += u64::from(floor);
        }
        self.heap = BinaryHeap::from(entries);
        self.now = max_pick_time;
        while picked < u64::from(picks) {
            self.pick_and_add(&weight);
            picked += 1;
        }
    }

    /// Picks the entry with the earliest deadline and re-queues it with `weight` of it now.
    pub(super) fn pick_and_add(&mut self, weight: impl Fn(u32) -> f64) -> Option<u32> {
        let mut top = self.heap.peek_mut()?;
        self.now = top.deadline;
        let member = top.member;
        top.deadline = self.now + 1.0 / sane(weight(member));
        top.order = self.order;
        self.order = self.order.wrapping_add(1);
        // Dropping the PeekMut sifts the re-queued entry down: O(log n), no allocation.
        drop(top);
        Some(member)
    }
}
