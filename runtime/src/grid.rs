/// The size of a launch: threads (rounded up to whole workgroups) or workgroups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grid {
    /// At least this many invocations in x, y, z; rounded up to whole workgroups, so kernels
    /// bounds-check.
    Threads([u64; 3]),
    /// Exactly this many workgroups in x, y, z.
    Groups([u32; 3]),
}

impl Grid {
    /// `n` invocations in x (rounded up to whole workgroups).
    pub fn linear(n: usize) -> Grid {
        Grid::Threads([n as u64, 1, 1])
    }

    /// `[x, y, z]` invocations (each rounded up to whole workgroups).
    pub fn threads(size: [u32; 3]) -> Grid {
        Grid::Threads(size.map(u64::from))
    }

    /// `[x, y, z]` workgroups.
    pub fn groups(size: [u32; 3]) -> Grid {
        Grid::Groups(size)
    }

    /// The number of workgroups in each dimension for a kernel with `workgroup_size`.
    pub fn group_counts(&self, workgroup_size: [u32; 3]) -> [u64; 3] {
        match *self {
            Grid::Threads(t) => [0, 1, 2].map(|d| t[d].div_ceil(workgroup_size[d] as u64)),
            Grid::Groups(g) => g.map(u64::from),
        }
    }
}
