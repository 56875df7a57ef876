//! Where IR nodes live: [`Arena`]s of nodes referred to by typed [`Handle`]s, each node with
//! its source span, and [`Block`]s of statements with theirs (naga's `Arena` and `Block`).
//!
//! A handle is a `u32` index typed by what it indexes, so a local's handle cannot index the
//! expressions; side tables keyed by handles ([`HandleMap`]) hold what later passes learn about
//! nodes (`valid::Info` holds the types) without the IR changing under them.

use proc_macro2::Span;

/// A typed index into an [`Arena`] (la-arena's `Idx`): `Copy`, `Eq`, `Ord`, `Hash`.
pub type Handle<T> = la_arena::Idx<T>;

/// A side table with a value per handle of an arena (la-arena's `ArenaMap`); indexing a
/// handle without a value panics, so tables are filled for every node (see [`Arena::map`]).
pub type HandleMap<T, V> = la_arena::ArenaMap<Handle<T>, V>;

/// Nodes of one kind, in the order they were appended, each with the span of the source it
/// came from.
#[derive(Clone, Debug)]
pub struct Arena<T> {
    items: la_arena::Arena<T>,
    spans: Vec<Span>,
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Arena {
            items: la_arena::Arena::new(),
            spans: Vec::new(),
        }
    }
}

impl<T> Arena<T> {
    /// An empty arena.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `value`, from the source at `span`; returns its handle.
    pub fn append(&mut self, value: T, span: Span) -> Handle<T> {
        self.spans.push(span);
        self.items.alloc(value)
    }

    /// The number of nodes.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the arena holds no node.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The span of the source `h` came from.
    pub fn span(&self, h: Handle<T>) -> Span {
        self.spans[index(h) as usize]
    }

    /// Every node with its handle, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (Handle<T>, &T)> + ExactSizeIterator {
        self.items.iter()
    }

    /// Every node, in order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.items.values()
    }

    /// A side table with `f(handle, node)` for every node.
    pub fn map<V>(&self, mut f: impl FnMut(Handle<T>, &T) -> V) -> HandleMap<T, V> {
        self.items.iter().map(|(h, v)| (h, f(h, v))).collect()
    }
}

impl<T> std::ops::Index<Handle<T>> for Arena<T> {
    type Output = T;
    fn index(&self, h: Handle<T>) -> &T {
        &self.items[h]
    }
}

impl<T> std::ops::IndexMut<Handle<T>> for Arena<T> {
    fn index_mut(&mut self, h: Handle<T>) -> &mut T {
        &mut self.items[h]
    }
}

/// Statements run in order, each with the span of the source it was lowered from. Reads as a
/// slice of statements (`Deref`); spans come with [`span_iter`](Block::span_iter).
#[derive(Clone, Debug, Default)]
pub struct Block {
    stmts: Vec<super::Stmt>,
    spans: Vec<Span>,
}

impl Block {
    /// An empty block.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `stmt`, lowered from the source at `span`.
    pub fn push(&mut self, stmt: super::Stmt, span: Span) {
        self.stmts.push(stmt);
        self.spans.push(span);
    }

    /// Appends every statement of `other`, emptying it.
    pub fn append(&mut self, other: &mut Block) {
        self.stmts.append(&mut other.stmts);
        self.spans.append(&mut other.spans);
    }

    /// Each statement with its span.
    pub fn span_iter(&self) -> impl DoubleEndedIterator<Item = (&super::Stmt, Span)> {
        self.stmts.iter().zip(self.spans.iter().copied())
    }

    /// The statements mutably (their spans stay).
    pub fn stmts_mut(&mut self) -> &mut [super::Stmt] {
        &mut self.stmts
    }
}

impl std::ops::Deref for Block {
    type Target = [super::Stmt];
    fn deref(&self) -> &[super::Stmt] {
        &self.stmts
    }
}

impl<'a> IntoIterator for &'a Block {
    type Item = &'a super::Stmt;
    type IntoIter = std::slice::Iter<'a, super::Stmt>;
    fn into_iter(self) -> Self::IntoIter {
        self.stmts.iter()
    }
}

/// Blocks are equal when their statements are (spans are where they came from, not what they
/// do).
impl PartialEq for Block {
    fn eq(&self, other: &Block) -> bool {
        self.stmts == other.stmts
    }
}

/// The position of `h` in its arena (0 for the first node), for names in generated code
/// that must be unique per node.
pub fn index<T>(h: Handle<T>) -> u32 {
    u32::from(h.into_raw())
}
