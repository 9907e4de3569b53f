//! Random schema pairs: a small object-schema description (`Spec`), strategies for it, and edits
//! that turn an old schema into a new one (near-misses included).

use proptest::prelude::*;

pub(super) const NAMES: [&str; 4] = ["a", "b", "c", "d"];
pub(super) const WORDS: [&str; 4] = ["x", "y", "z", "xyz"];

#[derive(Debug, Clone)]
pub(super) enum Leaf {
    Str {
        min: Option<u8>,
        max: Option<u8>,
        pattern: bool,
    },
    Int {
        min: Option<i8>,
        max: Option<i8>,
        exclusive: bool,
        step: Option<u8>,
    },
    Num {
        min: Option<i8>,
        max: Option<i8>,
    },
    Bool,
    NullableStr,
    Enum(Vec<&'static str>),
    Const(&'static str),
    /// `anyOf` (or `oneOf` when `one`) of scalars.
    Union {
        one: bool,
        branches: Vec<Leaf>,
    },
    Array {
        item: Box<Leaf>,
        min: Option<u8>,
        max: Option<u8>,
    },
    Any,
}

#[derive(Debug, Clone)]
pub(super) enum Prop {
    Leaf(Leaf),
    /// A leaf kept in `$defs` and referenced.
    Ref(Leaf),
    Object(Vec<(&'static str, Leaf)>, Vec<bool>, bool),
}

#[derive(Debug, Clone)]
pub(super) enum Extra {
    Absent,
    True,
    False,
    Schema(Leaf),
}

#[derive(Debug, Clone)]
pub(super) struct Spec {
    pub props: Vec<(&'static str, Prop)>,
    pub required: Vec<bool>,
    pub extra: Extra,
    pub pattern: Option<Leaf>,
    pub max_props: Option<u8>,
}

#[derive(Debug, Clone)]
pub(super) enum Edit {
    Remove(usize),
    Add(&'static str, Prop),
    Replace(usize, Prop),
    ToggleRequired(usize),
    Extra(Extra),
    Pattern(Option<Leaf>),
    MaxProps(Option<u8>),
    /// A small change to one leaf: a bound moved, a pattern toggled, an enum value added or
    /// removed. Produces the near-misses that tell a sound checker from a sloppy one.
    Tweak(usize, u8),
}

pub(super) fn scalar() -> BoxedStrategy<Leaf> {
    prop_oneof![
        (
            proptest::option::of(0u8..3),
            proptest::option::of(1u8..6),
            any::<bool>()
        )
            .prop_map(|(min, max, pattern)| Leaf::Str { min, max, pattern }),
        (
            proptest::option::of(-3i8..3),
            proptest::option::of(0i8..8),
            any::<bool>(),
            proptest::option::of(1u8..4)
        )
            .prop_map(|(min, max, exclusive, step)| Leaf::Int {
                min,
                max,
                exclusive,
                step
            }),
        (proptest::option::of(-3i8..3), proptest::option::of(0i8..8))
            .prop_map(|(min, max)| Leaf::Num { min, max }),
        Just(Leaf::Bool),
        Just(Leaf::NullableStr),
        proptest::sample::subsequence(WORDS.to_vec(), 1..4).prop_map(Leaf::Enum),
        proptest::sample::select(WORDS.to_vec()).prop_map(Leaf::Const),
        Just(Leaf::Any),
    ]
    .boxed()
}

pub(super) fn leaf() -> BoxedStrategy<Leaf> {
    prop_oneof![
        6 => scalar(),
        1 => (scalar(), proptest::option::of(0u8..2), proptest::option::of(1u8..4))
            .prop_map(|(item, min, max)| Leaf::Array { item: Box::new(item), min, max }),
        1 => (any::<bool>(), proptest::collection::vec(scalar(), 1..4))
            .prop_map(|(one, branches)| Leaf::Union { one, branches }),
    ]
    .boxed()
}

pub(super) fn prop() -> BoxedStrategy<Prop> {
    prop_oneof![
        4 => leaf().prop_map(Prop::Leaf),
        1 => leaf().prop_map(Prop::Ref),
        1 => (
            proptest::collection::vec((proptest::sample::select(NAMES.to_vec()), scalar()), 0..3),
            proptest::collection::vec(any::<bool>(), 3),
            any::<bool>()
        )
            .prop_map(|(mut props, required, closed)| {
                props.sort_by_key(|(n, _)| *n);
                props.dedup_by_key(|(n, _)| *n);
                Prop::Object(props, required, closed)
            }),
    ]
    .boxed()
}

pub(super) fn extra() -> BoxedStrategy<Extra> {
    prop_oneof![
        1 => Just(Extra::Absent),
        1 => Just(Extra::True),
        3 => Just(Extra::False),
        1 => scalar().prop_map(Extra::Schema),
    ]
    .boxed()
}

pub(super) fn spec() -> BoxedStrategy<Spec> {
    (
        proptest::collection::vec((proptest::sample::select(NAMES.to_vec()), prop()), 0..4),
        proptest::collection::vec(any::<bool>(), 4),
        extra(),
        proptest::option::weighted(0.2, scalar()),
        proptest::option::weighted(0.15, 1u8..4),
    )
        .prop_map(|(mut props, required, extra, pattern, max_props)| {
            props.sort_by_key(|(n, _)| *n);
            props.dedup_by_key(|(n, _)| *n);
            Spec {
                props,
                required,
                extra,
                pattern,
                max_props,
            }
        })
        .boxed()
}

pub(super) fn edit() -> BoxedStrategy<Edit> {
    prop_oneof![
        (0usize..4).prop_map(Edit::Remove),
        (proptest::sample::select(NAMES.to_vec()), prop()).prop_map(|(n, p)| Edit::Add(n, p)),
        (0usize..4, prop()).prop_map(|(i, p)| Edit::Replace(i, p)),
        (0usize..4).prop_map(Edit::ToggleRequired),
        extra().prop_map(Edit::Extra),
        proptest::option::of(scalar()).prop_map(Edit::Pattern),
        proptest::option::of(1u8..4).prop_map(Edit::MaxProps),
        (0usize..4, any::<u8>()).prop_map(|(i, k)| Edit::Tweak(i, k)),
        (0usize..4, any::<u8>()).prop_map(|(i, k)| Edit::Tweak(i, k)),
    ]
    .boxed()
}

pub(super) fn apply(spec: &Spec, edits: &[Edit]) -> Spec {
    let mut spec = spec.clone();
    for edit in edits {
        let len = spec.props.len();
        match edit {
            Edit::Remove(i) if len > 0 => {
                spec.props.remove(i % len);
                spec.required.remove(i % len);
                spec.required.push(false);
            }
            Edit::Add(name, prop) if spec.props.iter().all(|(n, _)| n != name) => {
                spec.props.push((name, prop.clone()));
            }
            Edit::Replace(i, prop) if len > 0 => spec.props[i % len].1 = prop.clone(),
            Edit::ToggleRequired(i) => spec.required[i % 4] = !spec.required[i % 4],
            Edit::Extra(extra) => spec.extra = extra.clone(),
            Edit::Pattern(pattern) => spec.pattern = pattern.clone(),
            Edit::MaxProps(max) => spec.max_props = *max,
            Edit::Tweak(i, k) if len > 0 => match &mut spec.props[i % len].1 {
                Prop::Leaf(leaf) | Prop::Ref(leaf) => tweak(leaf, *k),
                Prop::Object(props, required, closed) => match props.first_mut() {
                    Some((_, leaf)) if k % 3 == 0 => tweak(leaf, k / 3),
                    _ if k % 3 == 1 => *closed = !*closed,
                    _ => required[usize::from(*k) % 3] = !required[usize::from(*k) % 3],
                },
            },
            _ => {}
        }
    }
    spec
}

/// Moves an optional bound: sets one, nudges it by one either way, or drops it.
pub(super) fn bump<
    T: Copy + From<u8> + std::ops::Add<Output = T> + std::ops::Sub<Output = T> + PartialOrd,
>(
    bound: &mut Option<T>,
    k: u8,
    floor: T,
) {
    *bound = match (*bound, k % 4) {
        (None, _) => Some(floor + T::from(k % 3)),
        (Some(v), 0) => Some(v + T::from(1)),
        (Some(v), 1) if v > floor => Some(v - T::from(1)),
        (Some(_), 2) => None,
        (v, _) => v,
    };
}

pub(super) fn tweak(leaf: &mut Leaf, k: u8) {
    let (choice, k) = (k % 4, k / 4);
    match leaf {
        Leaf::Str { min, max, pattern } => match choice {
            0 => bump(min, k, 0),
            1 => bump(max, k, 1),
            2 => *pattern = !*pattern,
            _ => *min = None,
        },
        Leaf::Int {
            min,
            max,
            exclusive,
            step,
        } => match choice {
            0 => {
                *min = min.map_or(Some(0), |v| {
                    if k % 2 == 0 {
                        Some(v.saturating_add(1))
                    } else {
                        None
                    }
                })
            }
            1 => {
                *max = max.map_or(Some(5), |v| {
                    if k % 2 == 0 {
                        Some(v.saturating_sub(1))
                    } else {
                        Some(v.saturating_add(1))
                    }
                })
            }
            2 => *exclusive = !*exclusive,
            _ => bump(step, k, 1),
        },
        Leaf::Num { min, max } => {
            let bound = if choice % 2 == 0 { min } else { max };
            *bound = match (*bound, k % 3) {
                (None, _) => Some(1),
                (Some(v), 0) => Some(v.saturating_add(1)),
                (Some(v), 1) => Some(v.saturating_sub(1)),
                _ => None,
            };
        }
        Leaf::Enum(values) => {
            let word = WORDS[usize::from(k) % WORDS.len()];
            if let Some(at) = values.iter().position(|w| *w == word) {
                if values.len() > 1 {
                    values.remove(at);
                }
            } else {
                values.push(word);
            }
        }
        Leaf::Const(value) => *leaf = Leaf::Enum(vec![value, WORDS[usize::from(k) % WORDS.len()]]),
        Leaf::Union { one, branches } => match choice {
            0 => *one = !*one,
            1 if branches.len() > 1 => {
                branches.pop();
            }
            2 => branches.push(Leaf::NullableStr),
            _ => {
                let at = usize::from(k) % branches.len().max(1);
                if let Some(branch) = branches.get_mut(at) {
                    tweak(branch, k / 3);
                }
            }
        },
        Leaf::Array { item, min, max } => match choice {
            0 => bump(min, k, 0),
            1 => bump(max, k, 1),
            _ => tweak(item, k),
        },
        Leaf::Bool => *leaf = Leaf::Const("x"),
        Leaf::NullableStr => {
            *leaf = Leaf::Str {
                min: None,
                max: None,
                pattern: false,
            }
        }
        Leaf::Any => *leaf = Leaf::NullableStr,
    }
}

pub(super) fn case() -> BoxedStrategy<(Spec, Vec<Edit>, u64, bool)> {
    (
        spec(),
        proptest::collection::vec(edit(), 0..3),
        any::<u64>(),
        any::<bool>(),
    )
        .boxed()
}
