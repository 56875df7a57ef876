//! The race and initialisation check of the CPU backend (`Device::cpu_checked`,
//! `KERNELFORGE_CHECK=races`): compute-sanitizer's racecheck and initcheck, on the CPU.
//!
//! The checked version of a kernel (the CPU back end's `__cpu_checked` module) reports every
//! element access of a storage buffer or a workgroup array, with the invocation that made it
//! and the kernel source line, to a [`Checker`]; atomics are not reported (they do not race).
//! Two accesses of one element by different invocations, at least one a write, race unless
//! they are ordered:
//! - by a barrier of their workgroup between them (`workgroup_barrier()` orders workgroup
//!   memory, `barrier()` both kinds); invocations of different workgroups are never ordered
//!   within a launch;
//! - or, for two lanes of one subgroup, by a subgroup operation or `subgroup_barrier()`
//!   between them.
//!
//! The CPU runs a workgroup's invocations in a fixed order between barriers, so whether two
//! accesses are ordered is decided from these epochs, never from the order they ran in: a race
//! is found whichever order hides it. A read of a workgroup array element that no invocation of
//! the workgroup wrote in the launch is an error too.
//!
//! Statements the CPU runs once for a whole workgroup (uniform ones) or once per subgroup
//! report as [`ALL`] or [`subgroup_of`]`(s)`: every invocation of the group or subgroup made
//! the access. Two such uniform accesses are not reported against each other (every
//! invocation writes and reads the same values there).
//!
//! Per element, the last write and the last two reads by distinct invocations are kept, so a
//! race with an older read can go unseen (never a false report).

use super::Fault;
use std::collections::HashMap;
use std::sync::Mutex;

/// Every invocation of the workgroup (a statement run once per workgroup).
pub const ALL: u32 = u32::MAX;
/// Marks a subgroup (a statement run once per subgroup) in an invocation word.
const SUBGROUP: u32 = 0x8000_0000;

/// Marks a matrix tile's access (`matrix_of`) in an invocation word.
const MATRIX: u32 = 0x4000_0000;

/// The invocation word of every lane of subgroup `s`.
#[inline]
pub fn subgroup_of(s: u32) -> u32 {
    SUBGROUP | s
}

/// The invocation word of a matrix tile's access to its element `e` (`r * 16 + c`) by
/// subgroup `s`, for a fragment of kind `role` (0: accumulator, 1: A, 2: B). Every backend
/// gives one position of one kind of fragment to one lane, though not the same lane, so two
/// accesses with one word are one lane's and never race; any other pair of a subgroup races
/// unless a subgroup operation or barrier orders them, as two lanes' accesses do.
#[inline]
pub fn matrix_of(s: u32, role: u32, e: u32) -> u32 {
    MATRIX | (s << 10) | (role << 8) | (e & 0xff)
}

/// The subgroup of invocation word `i` (not [`ALL`]) with `subgroup_size` lanes.
fn subgroup_of_word(i: u32, subgroup_size: u32) -> u32 {
    if i & SUBGROUP != 0 {
        i & !SUBGROUP
    } else if i & MATRIX != 0 {
        (i & !MATRIX) >> 10
    } else {
        i / subgroup_size
    }
}

/// What an access touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// Slice parameter number `n` (a storage buffer).
    Slice(u32),
    /// A workgroup array, by name.
    Array(&'static str),
}

/// One access, as a race report gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    /// Whether it wrote.
    pub write: bool,
    /// Workgroup, linear (x fastest).
    pub group: u32,
    /// Invocation in the workgroup, linear; [`ALL`] or a subgroup marked by `subgroup_of`.
    pub inv: u32,
    /// Source line of the kernel.
    pub line: u32,
    /// A write's value, as bits: two writes of the same value do not race.
    value: u64,
    epoch: u32,
    sg_epoch: u32,
}

impl Access {
    /// The invocation in words: `invocation 3 of workgroup 0`, `every invocation of workgroup
    /// 0`, `the lanes of subgroup 1 of workgroup 0`.
    pub fn who(&self) -> String {
        match self.inv {
            ALL => format!("every invocation of workgroup {}", self.group),
            i if i & SUBGROUP != 0 => format!(
                "the lanes of subgroup {} of workgroup {}",
                i & !SUBGROUP,
                self.group
            ),
            i if i & MATRIX != 0 => format!(
                "subgroup {} of workgroup {} (a matrix tile: element ({}, {}) of {})",
                (i & !MATRIX) >> 10,
                self.group,
                (i & 0xff) / 16,
                i & 15,
                ["an accumulator", "an A fragment", "a B fragment"][((i >> 8) & 3).min(2) as usize]
            ),
            i => format!("invocation {i} of workgroup {}", self.group),
        }
    }
}

/// What the check found first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// Two unordered accesses of `index` of `target`, the earlier first.
    Race {
        /// The buffer or array.
        target: Target,
        /// The element.
        index: u32,
        /// The access seen first, and the one that raced with it.
        accesses: [Access; 2],
    },
    /// A read of workgroup array `array` at `index` that nothing wrote in the launch.
    Uninitialized {
        /// The array.
        array: &'static str,
        /// The element.
        index: u32,
        /// The read.
        read: Access,
    },
}

/// A written value's bits, to tell writes of the same value apart.
pub trait Bits: Copy {
    /// The bits, zero-extended.
    fn bits(self) -> u64;
}

macro_rules! bits {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {
        $(impl Bits for $t {
            #[inline]
            fn bits(self) -> u64 {
                let $v = self;
                $e
            }
        })*
    };
}
bits! {
    f32 => |v| v.to_bits() as u64,
    f64 => |v| v.to_bits(),
    u32 => |v| v as u64,
    i32 => |v| v as u32 as u64,
    u64 => |v| v,
    i64 => |v| v as u64,
    bool => |v| v as u64,
    half::f16 => |v| v.to_bits() as u64,
    half::bf16 => |v| v.to_bits() as u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Cell {
    write: Option<Access>,
    reads: [Option<Access>; 2],
}

/// Storage-buffer elements are shared by every workgroup: one map behind shards of locks.
const SHARDS: usize = 64;

/// The shared state of one checked launch.
#[derive(Debug)]
pub struct Races {
    storage: Vec<Mutex<HashMap<(u32, u32), Cell>>>,
    found: Mutex<Option<Finding>>,
    /// Invocations per subgroup.
    subgroup_size: u32,
}

impl Default for Races {
    fn default() -> Self {
        Races {
            storage: (0..SHARDS).map(|_| Mutex::default()).collect(),
            found: Mutex::new(None),
            subgroup_size: 32,
        }
    }
}

impl Races {
    /// What the launch's check found first, if anything.
    pub fn finding(&self) -> Option<Finding> {
        self.found.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn report(&self, f: Finding) -> Fault {
        let mut found = self.found.lock().unwrap_or_else(|e| e.into_inner());
        if found.is_none() {
            *found = Some(f);
        }
        // Ends the launch; the backend turns it into the error from `finding`.
        Fault {
            param: u32::MAX,
            array: Some("kf_race_check"),
            index: 0,
            len: 0,
        }
    }
}

/// One rayon task's view of the check: the workgroup it runs, its epochs, its workgroup
/// arrays' accesses.
pub struct Checker<'a> {
    races: &'a Races,
    group: std::cell::Cell<u32>,
    /// Barriers of each kind passed in this workgroup: workgroup memory, storage.
    epoch: std::cell::Cell<(u32, u32)>,
    /// Subgroup operations passed, per subgroup of this workgroup, and by every subgroup at
    /// once.
    sg_epochs: std::cell::RefCell<Vec<u32>>,
    sg_all: std::cell::Cell<u32>,
    shared: std::cell::RefCell<HashMap<(&'static str, u32), Cell>>,
}

impl<'a> Checker<'a> {
    /// The checker of a task of the launch whose state is `races`.
    pub fn new(races: &'a Races) -> Self {
        Checker {
            races,
            group: std::cell::Cell::new(0),
            epoch: std::cell::Cell::new((0, 0)),
            sg_epochs: std::cell::RefCell::new(Vec::new()),
            sg_all: std::cell::Cell::new(0),
            shared: std::cell::RefCell::new(HashMap::new()),
        }
    }

    /// Starts workgroup `g` (linear): fresh epochs and workgroup arrays.
    pub fn begin_group(&self, g: u32) {
        self.group.set(g);
        self.epoch.set((0, 0));
        self.sg_epochs.borrow_mut().clear();
        self.sg_all.set(0);
        self.shared.borrow_mut().clear();
    }

    /// A barrier of the current workgroup: `storage` for `barrier()` (which also orders
    /// storage buffers), not for `workgroup_barrier()`.
    pub fn barrier(&self, storage: bool) {
        let (w, s) = self.epoch.get();
        self.epoch.set((w + 1, s + storage as u32));
    }

    /// A subgroup operation or `subgroup_barrier()` of subgroup `s` (or, with [`ALL`], of every
    /// subgroup).
    pub fn subgroup(&self, s: u32) {
        if s == ALL {
            self.sg_all.set(self.sg_all.get().wrapping_add(1));
            return;
        }
        let mut e = self.sg_epochs.borrow_mut();
        let s = s as usize;
        if e.len() <= s {
            e.resize(s + 1, 0);
        }
        e[s] = e[s].wrapping_add(1);
    }

    fn sg_epoch(&self, inv: u32) -> u32 {
        let s = match inv {
            ALL => return 0,
            i => subgroup_of_word(i, self.races.subgroup_size),
        } as usize;
        let own = self.sg_epochs.borrow().get(s).copied().unwrap_or(0);
        own.wrapping_add(self.sg_all.get())
    }

    fn access(&self, target: Target, write: bool, inv: u32, line: u32, value: u64) -> Access {
        let (w, s) = self.epoch.get();
        Access {
            write,
            group: self.group.get(),
            inv,
            line,
            value,
            epoch: if matches!(target, Target::Array(_)) {
                w
            } else {
                s
            },
            sg_epoch: self.sg_epoch(inv),
        }
    }

    /// A read of `index` of `target` by invocation `inv` (a local linear id, [`ALL`] or
    /// [`subgroup_of`]) of the current workgroup, at source line `line`.
    #[inline(never)]
    pub fn read(&self, target: Target, index: u32, inv: u32, line: u32) -> Result<(), Fault> {
        self.record(target, index, inv, line, None)
    }

    /// A write of `value`, as [`read`](Checker::read).
    #[inline(never)]
    pub fn write<T: Bits>(
        &self,
        target: Target,
        index: u32,
        inv: u32,
        line: u32,
        value: T,
    ) -> Result<(), Fault> {
        self.record(target, index, inv, line, Some(value.bits()))
    }

    /// For a kernel without workgroup cooperation: sets the workgroup of the next accesses.
    pub fn set_group(&self, g: u32) {
        self.group.set(g);
    }

    fn record(
        &self,
        target: Target,
        index: u32,
        inv: u32,
        line: u32,
        value: Option<u64>,
    ) -> Result<(), Fault> {
        let write = value.is_some();
        let now = self.access(target, write, inv, line, value.unwrap_or(0));
        let sg = self.races.subgroup_size;
        let found = match target {
            Target::Array(name) => {
                let mut shared = self.shared.borrow_mut();
                let cell = shared.entry((name, index)).or_default();
                if !write && cell.write.is_none() {
                    Some(Finding::Uninitialized {
                        array: name,
                        index,
                        read: now,
                    })
                } else {
                    update(cell, now, sg).map(|a| Finding::Race {
                        target,
                        index,
                        accesses: [a, now],
                    })
                }
            }
            Target::Slice(p) => {
                let shard = &self.races.storage[(index as usize ^ (p as usize * 7)) % SHARDS];
                let mut map = shard.lock().unwrap_or_else(|e| e.into_inner());
                let cell = map.entry((p, index)).or_default();
                update(cell, now, sg).map(|a| Finding::Race {
                    target,
                    index,
                    accesses: [a, now],
                })
            }
        };
        match found {
            Some(f) => Err(self.races.report(f)),
            None => Ok(()),
        }
    }
}

/// Whether `a` and `b` (of one element, at least one a write) race.
fn races(a: &Access, b: &Access, subgroup_size: u32) -> bool {
    if a.group != b.group {
        return true;
    }
    if a.inv == b.inv && a.inv != ALL && a.inv & SUBGROUP == 0 {
        return false;
    }
    // Uniform statements: every invocation computes, writes and reads the same values.
    if a.inv == ALL && b.inv == ALL {
        return false;
    }
    if a.epoch != b.epoch {
        return false;
    }
    let subgroup = |i: u32| match i {
        ALL => None,
        i => Some(subgroup_of_word(i, subgroup_size)),
    };
    match (subgroup(a.inv), subgroup(b.inv)) {
        (Some(x), Some(y)) if x == y => a.sg_epoch == b.sg_epoch,
        _ => true,
    }
}

/// Records `now` in `cell`; the earlier access it races with, if any.
fn update(cell: &mut Cell, now: Access, subgroup_size: u32) -> Option<Access> {
    if let Some(w) = cell.write {
        // Two writes of one value leave it defined whatever their order.
        let same_value = now.write && w.value == now.value;
        if !same_value && races(&w, &now, subgroup_size) {
            return Some(w);
        }
    }
    if now.write {
        for r in cell.reads.iter().flatten() {
            if races(r, &now, subgroup_size) {
                return Some(*r);
            }
        }
        cell.write = Some(now);
        cell.reads = [None, None];
    } else if cell.reads[0].is_none_or(|r| r.inv == now.inv && r.group == now.group) {
        cell.reads[0] = Some(now);
    } else {
        cell.reads[1] = cell.reads[0];
        cell.reads[0] = Some(now);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unordered_write_and_read_race_and_a_barrier_orders_them() {
        let r = Races::default();
        let c = Checker::new(&r);
        c.begin_group(0);
        let t = Target::Array("tile");
        c.write(t, 3, 3, 10, 1.0f32).unwrap();
        c.read(t, 3, 3, 11).unwrap(); // its own write
        assert!(c.read(t, 3, 4, 12).is_err());
        match r.finding() {
            Some(Finding::Race {
                index: 3, accesses, ..
            }) => {
                assert_eq!((accesses[0].inv, accesses[0].line), (3, 10));
                assert_eq!(
                    (accesses[1].inv, accesses[1].line, accesses[1].write),
                    (4, 12, false)
                );
            }
            f => panic!("{f:?}"),
        }
        let r = Races::default();
        let c = Checker::new(&r);
        c.begin_group(0);
        c.write(t, 3, 3, 10, 1.0f32).unwrap();
        c.barrier(false);
        c.read(t, 3, 4, 12).unwrap();
        c.write(t, 3, 5, 13, 1.0f32)
            .expect_err("a write after another's read, no barrier");
    }

    #[test]
    fn workgroup_barriers_do_not_order_storage_and_groups_never_order() {
        let r = Races::default();
        let c = Checker::new(&r);
        c.begin_group(0);
        c.write(Target::Slice(1), 7, 0, 5, 1.0f32).unwrap();
        c.barrier(false);
        c.read(Target::Slice(1), 7, 1, 6)
            .expect_err("workgroup_barrier does not order storage");
        let r = Races::default();
        let (a, b) = (Checker::new(&r), Checker::new(&r));
        a.begin_group(0);
        b.begin_group(1);
        a.read(Target::Slice(0), 1, 0, 5).unwrap();
        b.read(Target::Slice(0), 1, 0, 5).unwrap();
        b.write(Target::Slice(0), 1, 0, 6, 1.0f32)
            .expect_err("two workgroups");
    }

    #[test]
    fn subgroup_operations_order_lanes_of_one_subgroup_only() {
        let r = Races::default();
        let c = Checker::new(&r);
        c.begin_group(0);
        let t = Target::Array("t");
        c.write(t, 0, 1, 3, 1.0f32).unwrap();
        c.subgroup(0);
        c.read(t, 0, 2, 4).unwrap(); // same subgroup, after a subgroup operation
        c.read(t, 0, 40, 4).expect_err("another subgroup");
    }

    #[test]
    fn writes_of_one_value_do_not_race() {
        let r = Races::default();
        let (a, b) = (Checker::new(&r), Checker::new(&r));
        a.begin_group(0);
        b.begin_group(1);
        a.write(Target::Slice(0), 4, 0, 5, 2.5f32).unwrap();
        b.write(Target::Slice(0), 4, 0, 5, 2.5f32).unwrap();
        b.write(Target::Slice(0), 4, 1, 5, 3.0f32)
            .expect_err("another value");
    }

    #[test]
    fn reading_workgroup_memory_nothing_wrote_is_reported() {
        let r = Races::default();
        let c = Checker::new(&r);
        c.begin_group(2);
        c.read(Target::Array("t"), 9, 0, 8)
            .expect_err("uninitialised");
        assert!(matches!(
            r.finding(),
            Some(Finding::Uninitialized {
                array: "t",
                index: 9,
                ..
            })
        ));
    }

    #[test]
    fn uniform_statements_are_every_invocation() {
        let r = Races::default();
        let c = Checker::new(&r);
        c.begin_group(0);
        let t = Target::Array("t");
        c.write(t, 0, ALL, 3, 1.0f32).unwrap();
        c.write(t, 0, ALL, 3, 1.0f32).unwrap();
        c.read(t, 0, ALL, 4).unwrap();
        c.read(t, 0, 5, 4)
            .expect_err("every invocation wrote it, one reads it unordered");
    }
}
