//! The validated pattern tree.
//!
//! Every node remembers the byte span of the JSON text it came from, so that
//! later stages (the `check` command, `explain`) can point back into the
//! user's file. The tree is already validated: a `Pattern` that exists is one
//! AWS would accept.

use std::net::IpAddr;

/// A byte range `start..end` in the pattern's source text (the JSON
/// reader's span type, [`crate::json::Span`]).
pub use crate::json::Span;

/// One level of a pattern: the fields named at this level (AND-ed) and the
/// `$or` groups found here (each AND-ed with the fields, one branch chosen).
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    /// Fields in source order, duplicates already resolved (last wins).
    /// Keys are kept as written: a dotted key `"a.b"` stays one key here and
    /// is split when paths are flattened.
    pub fields: Vec<Field>,
    /// The `$or` groups of this object.
    pub ors: Vec<Or>,
    /// Span of the whole object.
    pub span: Span,
}

/// A key of a pattern object and what it requires.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The key exactly as written (unescaped).
    pub key: String,
    /// Span of the key string, quotes included.
    pub key_span: Span,
    /// The value: a nested object or a leaf list of conditions.
    pub value: FieldValue,
}

/// The value of a pattern field.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    /// Descend into the event's object at this key.
    Object(Object),
    /// A leaf: a non-empty list of OR-ed conditions.
    Conditions(Vec<Condition>),
}

/// A `$or` group: at least two branches, one of which must hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Or {
    /// The branches.
    pub branches: Vec<Object>,
    /// Span of the `"$or"` key.
    pub key_span: Span,
}

/// One match condition from a leaf array.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// What the condition tests.
    pub kind: ConditionKind,
    /// Span of the array element this condition came from.
    pub span: Span,
}

/// A number as written in a pattern (or event) and its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Number {
    /// The exact source spelling, e.g. `3.0e2`.
    pub text: String,
    /// The nearest double (infinite when out of range).
    pub value: f64,
    /// True when text -> double -> shortest decimal loses nothing, i.e. the
    /// double stands for exactly the decimal value written.
    pub exact: bool,
}

/// One end of a numeric range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bound {
    /// The bound's value (always exact).
    pub value: f64,
    /// Whether the bound itself is inside the range (`>=` / `<=` / `=`).
    pub inclusive: bool,
}

/// A `numeric` range. `=` x is `lower = upper = x`, both inclusive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    /// Lower bound, if any.
    pub lower: Option<Bound>,
    /// Upper bound, if any.
    pub upper: Option<Bound>,
}

/// A piece of a wildcard pattern.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum WildcardPart {
    /// Literal text (escapes already removed).
    Literal(String),
    /// A `*`: any run of characters, empty included.
    Star,
}

/// A parsed wildcard: literal runs and stars, never two stars in a row.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Wildcard {
    /// The source text as written (with escapes).
    pub text: String,
    /// The pieces.
    pub parts: Vec<WildcardPart>,
}

/// An IP block from a `cidr` condition: every address whose first
/// `prefix_len` bits equal those of `network`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cidr {
    /// The address as written (host bits may be set; they are ignored).
    pub network: IpAddr,
    /// Mask length in bits.
    pub prefix_len: u8,
}

/// What an `anything-but` excludes.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum AnythingBut {
    /// `{"anything-but": "x"}` or a list of strings.
    Strings(Vec<String>),
    /// `{"anything-but": 5}` or a list of numbers.
    Numbers(Vec<Number>),
    /// `{"anything-but": {"prefix": ...}}`.
    Prefix(Vec<String>),
    /// `{"anything-but": {"suffix": ...}}`.
    Suffix(Vec<String>),
    /// `{"anything-but": {"equals-ignore-case": ...}}`.
    EqualsIgnoreCase(Vec<String>),
    /// `{"anything-but": {"wildcard": ...}}`.
    Wildcard(Vec<Wildcard>),
}

/// The kinds of match condition (spec section 3).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ConditionKind {
    /// A string literal (`"Alice"`). If the text is an IP address it also
    /// matches other spellings of the same address.
    String(String),
    /// A number literal.
    Number(Number),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// `{"prefix": "..."}`.
    Prefix(String),
    /// `{"prefix": {"equals-ignore-case": "..."}}`.
    PrefixIgnoreCase(String),
    /// `{"suffix": "..."}`.
    Suffix(String),
    /// `{"suffix": {"equals-ignore-case": "..."}}`.
    SuffixIgnoreCase(String),
    /// `{"equals-ignore-case": "..."}`.
    EqualsIgnoreCase(String),
    /// `{"wildcard": "..."}`.
    Wildcard(Wildcard),
    /// `{"anything-but": ...}` in all its forms.
    AnythingBut(AnythingBut),
    /// `{"numeric": [...]}`.
    Numeric(Range),
    /// `{"exists": true|false}`.
    Exists(bool),
    /// `{"cidr": "..."}`.
    Cidr(Cidr),
}
