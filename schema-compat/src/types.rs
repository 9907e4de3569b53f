//! JSON type sets, with `integer` inside `number`.

use serde_json::Value;

/// A set of JSON Schema types. `number` includes the integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TypeSet(u8);

impl TypeSet {
    pub const EMPTY: TypeSet = TypeSet(0);
    pub const NULL: TypeSet = TypeSet(1);
    pub const BOOLEAN: TypeSet = TypeSet(2);
    pub const OBJECT: TypeSet = TypeSet(4);
    pub const ARRAY: TypeSet = TypeSet(8);
    pub const NUMBER: TypeSet = TypeSet(16);
    pub const INTEGER: TypeSet = TypeSet(32);
    pub const STRING: TypeSet = TypeSet(64);
    pub const ALL: TypeSet = TypeSet(127);
    const NAMES: [(&'static str, TypeSet); 7] = [
        ("null", TypeSet::NULL),
        ("boolean", TypeSet::BOOLEAN),
        ("object", TypeSet::OBJECT),
        ("array", TypeSet::ARRAY),
        ("number", TypeSet::NUMBER),
        ("integer", TypeSet::INTEGER),
        ("string", TypeSet::STRING),
    ];

    /// The type called `name`.
    pub fn named(name: &str) -> Option<TypeSet> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, set)| *set)
    }

    /// The type of a JSON value (`integer` for a number with no fractional part).
    pub fn of(value: &Value) -> TypeSet {
        match value {
            Value::Null => TypeSet::NULL,
            Value::Bool(_) => TypeSet::BOOLEAN,
            Value::Object(_) => TypeSet::OBJECT,
            Value::Array(_) => TypeSet::ARRAY,
            Value::String(_) => TypeSet::STRING,
            Value::Number(n) if n.is_i64() || n.is_u64() => TypeSet::INTEGER,
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.fract() == 0.0 => TypeSet::INTEGER,
                _ => TypeSet::NUMBER,
            },
        }
    }

    pub fn union(self, other: TypeSet) -> TypeSet {
        TypeSet(self.0 | other.0)
    }

    pub fn contains(self, other: TypeSet) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether a value of the single type `t` is accepted (integers by `number` too).
    pub fn admits(self, t: TypeSet) -> bool {
        self.contains(t) || (t == TypeSet::INTEGER && self.contains(TypeSet::NUMBER))
    }

    /// The types of `self` whose values `reader` accepts (integers if reader has `number`,
    /// integers if `self` has `number` and reader has only `integer`).
    pub fn admitted_by(self, reader: TypeSet) -> TypeSet {
        let mut set = TypeSet::EMPTY;
        for t in self.singles() {
            if reader.admits(t) {
                set = set.union(t);
            } else if t == TypeSet::NUMBER && reader.contains(TypeSet::INTEGER) {
                set = set.union(TypeSet::INTEGER);
            }
        }
        set
    }

    /// The types of `self` not wholly accepted by `reader`.
    pub fn not_admitted_by(self, reader: TypeSet) -> TypeSet {
        self.singles()
            .filter(|t| !reader.admits(*t))
            .fold(TypeSet::EMPTY, TypeSet::union)
    }

    /// Whether any value has a type in both sets.
    pub fn overlaps(self, other: TypeSet) -> bool {
        !self.admitted_by(other).is_empty()
    }

    /// The single types in the set; `integer` is left out when `number` is there.
    pub fn singles(self) -> impl Iterator<Item = TypeSet> {
        let has_number = self.contains(TypeSet::NUMBER);
        Self::NAMES.into_iter().filter_map(move |(_, t)| {
            (self.contains(t) && !(t == TypeSet::INTEGER && has_number)).then_some(t)
        })
    }

    /// The type names, for messages and for building schemas.
    pub fn names(self) -> Vec<&'static str> {
        Self::NAMES
            .into_iter()
            .filter(|(_, t)| self.contains(*t))
            .map(|(n, _)| n)
            .collect()
    }

    /// Whether the set only has numbers (integers, or numbers) in it.
    pub fn any_numeric(self) -> bool {
        self.0 & (TypeSet::NUMBER.0 | TypeSet::INTEGER.0) != 0
    }

    /// Whether the set's numbers are all integers.
    pub fn integers_only(self) -> bool {
        self.contains(TypeSet::INTEGER) && !self.contains(TypeSet::NUMBER)
    }

    /// The intersection with integer ⊂ number taken into account.
    pub fn meet(self, other: TypeSet) -> TypeSet {
        self.admitted_by(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_are_numbers_but_not_the_reverse() {
        let number = TypeSet::NUMBER;
        let integer = TypeSet::INTEGER;
        assert!(number.admits(integer));
        assert!(!integer.admits(number));
        assert_eq!(number.not_admitted_by(integer), number);
        assert!(integer.not_admitted_by(number).is_empty());
        assert_eq!(TypeSet::of(&json!(1.0)), integer);
    }
}
