//! Finding kinds, named after Confluent's JSON Schema differences.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! finding_kinds {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal, $breaking:literal;)+) => {
        /// The kind of a difference between a writer schema and a reader schema.
        ///
        /// Names follow Confluent's `io.confluent.kafka.schemaregistry.json.diff.Difference.Type`
        /// and read as "what the reader did relative to the writer" (Confluent's *update* is
        /// the reader, its *original* the writer). Kinds that Confluent does not have (formats,
        /// unsupported keywords, unresolved references, overlapping `oneOf` branches, limits)
        /// are named in the same style. Displayed and serialised in SCREAMING_SNAKE_CASE.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum FindingKind {
            $($(#[doc = $doc])* $variant,)+
        }

        impl FindingKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [FindingKind] = &[$(FindingKind::$variant,)+];

            /// The SCREAMING_SNAKE_CASE name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(FindingKind::$variant => $name,)+
                }
            }

            /// Whether a finding of this kind usually breaks compatibility. The checker decides
            /// per finding ([`Finding::breaking`](crate::Finding::breaking)); this is the common case.
            pub fn breaking_by_default(self) -> bool {
                match self {
                    $(FindingKind::$variant => $breaking,)+
                }
            }
        }
    };
}

finding_kinds! {
    /// The reader accepts more JSON types than the writer produces.
    TypeExtended = "TYPE_EXTENDED", false;
    /// The reader refuses some JSON types the writer produces (`number` → `integer`, `{}` → `string`).
    TypeNarrowed = "TYPE_NARROWED", true;
    /// The reader accepts none of the JSON types the writer produces.
    TypeChanged = "TYPE_CHANGED", true;
    /// The reader added `maxLength`.
    MaxLengthAdded = "MAX_LENGTH_ADDED", true;
    /// The reader dropped `maxLength`.
    MaxLengthRemoved = "MAX_LENGTH_REMOVED", false;
    /// The reader's `maxLength` is larger.
    MaxLengthIncreased = "MAX_LENGTH_INCREASED", false;
    /// The reader's `maxLength` is smaller.
    MaxLengthDecreased = "MAX_LENGTH_DECREASED", true;
    /// The reader added `minLength`.
    MinLengthAdded = "MIN_LENGTH_ADDED", true;
    /// The reader dropped `minLength`.
    MinLengthRemoved = "MIN_LENGTH_REMOVED", false;
    /// The reader's `minLength` is larger.
    MinLengthIncreased = "MIN_LENGTH_INCREASED", true;
    /// The reader's `minLength` is smaller.
    MinLengthDecreased = "MIN_LENGTH_DECREASED", false;
    /// The reader added `pattern`.
    PatternAdded = "PATTERN_ADDED", true;
    /// The reader dropped `pattern`.
    PatternRemoved = "PATTERN_REMOVED", false;
    /// The reader's `pattern` differs from the writer's.
    PatternChanged = "PATTERN_CHANGED", true;
    /// The reader added `format`.
    FormatAdded = "FORMAT_ADDED", true;
    /// The reader dropped `format`.
    FormatRemoved = "FORMAT_REMOVED", false;
    /// The reader's `format` is a known widening of the writer's (`int32` → `int64`).
    FormatExtended = "FORMAT_EXTENDED", false;
    /// The reader's `format` differs from the writer's.
    FormatChanged = "FORMAT_CHANGED", true;
    /// The reader added `maximum`.
    MaximumAdded = "MAXIMUM_ADDED", true;
    /// The reader dropped `maximum`.
    MaximumRemoved = "MAXIMUM_REMOVED", false;
    /// The reader's `maximum` is larger.
    MaximumIncreased = "MAXIMUM_INCREASED", false;
    /// The reader's `maximum` is smaller.
    MaximumDecreased = "MAXIMUM_DECREASED", true;
    /// The reader added `minimum`.
    MinimumAdded = "MINIMUM_ADDED", true;
    /// The reader dropped `minimum`.
    MinimumRemoved = "MINIMUM_REMOVED", false;
    /// The reader's `minimum` is larger.
    MinimumIncreased = "MINIMUM_INCREASED", true;
    /// The reader's `minimum` is smaller.
    MinimumDecreased = "MINIMUM_DECREASED", false;
    /// The reader added `exclusiveMaximum`.
    ExclusiveMaximumAdded = "EXCLUSIVE_MAXIMUM_ADDED", true;
    /// The reader dropped `exclusiveMaximum`.
    ExclusiveMaximumRemoved = "EXCLUSIVE_MAXIMUM_REMOVED", false;
    /// The reader's `exclusiveMaximum` is larger.
    ExclusiveMaximumIncreased = "EXCLUSIVE_MAXIMUM_INCREASED", false;
    /// The reader's `exclusiveMaximum` is smaller.
    ExclusiveMaximumDecreased = "EXCLUSIVE_MAXIMUM_DECREASED", true;
    /// The reader added `exclusiveMinimum`.
    ExclusiveMinimumAdded = "EXCLUSIVE_MINIMUM_ADDED", true;
    /// The reader dropped `exclusiveMinimum`.
    ExclusiveMinimumRemoved = "EXCLUSIVE_MINIMUM_REMOVED", false;
    /// The reader's `exclusiveMinimum` is larger.
    ExclusiveMinimumIncreased = "EXCLUSIVE_MINIMUM_INCREASED", true;
    /// The reader's `exclusiveMinimum` is smaller.
    ExclusiveMinimumDecreased = "EXCLUSIVE_MINIMUM_DECREASED", false;
    /// The reader added `multipleOf`.
    MultipleOfAdded = "MULTIPLE_OF_ADDED", true;
    /// The reader dropped `multipleOf`.
    MultipleOfRemoved = "MULTIPLE_OF_REMOVED", false;
    /// The reader's `multipleOf` is a multiple of the writer's (2 → 4).
    MultipleOfExpanded = "MULTIPLE_OF_EXPANDED", true;
    /// The reader's `multipleOf` divides the writer's (4 → 2).
    MultipleOfReduced = "MULTIPLE_OF_REDUCED", false;
    /// The two `multipleOf` values are unrelated (2 → 3).
    MultipleOfChanged = "MULTIPLE_OF_CHANGED", true;
    /// The reader requires a property the writer defines but does not require.
    RequiredAttributeAdded = "REQUIRED_ATTRIBUTE_ADDED", true;
    /// The reader no longer requires a property the writer requires.
    RequiredAttributeRemoved = "REQUIRED_ATTRIBUTE_REMOVED", false;
    /// The reader added `maxProperties`.
    MaxPropertiesAdded = "MAX_PROPERTIES_ADDED", true;
    /// The reader dropped `maxProperties`.
    MaxPropertiesRemoved = "MAX_PROPERTIES_REMOVED", false;
    /// The reader's `maxProperties` is larger.
    MaxPropertiesIncreased = "MAX_PROPERTIES_INCREASED", false;
    /// The reader's `maxProperties` is smaller.
    MaxPropertiesDecreased = "MAX_PROPERTIES_DECREASED", true;
    /// The reader added `minProperties`.
    MinPropertiesAdded = "MIN_PROPERTIES_ADDED", true;
    /// The reader dropped `minProperties`.
    MinPropertiesRemoved = "MIN_PROPERTIES_REMOVED", false;
    /// The reader's `minProperties` is larger.
    MinPropertiesIncreased = "MIN_PROPERTIES_INCREASED", true;
    /// The reader's `minProperties` is smaller.
    MinPropertiesDecreased = "MIN_PROPERTIES_DECREASED", false;
    /// The reader accepts additional properties where the writer's model was closed.
    AdditionalPropertiesAdded = "ADDITIONAL_PROPERTIES_ADDED", false;
    /// The reader refuses additional properties the writer may produce.
    AdditionalPropertiesRemoved = "ADDITIONAL_PROPERTIES_REMOVED", true;
    /// The reader's schema for additional properties is wider.
    AdditionalPropertiesExtended = "ADDITIONAL_PROPERTIES_EXTENDED", false;
    /// The reader's schema for additional (or pattern) properties refuses some the writer produces.
    AdditionalPropertiesNarrowed = "ADDITIONAL_PROPERTIES_NARROWED", true;
    /// The reader added a constrained property the writer's open model may carry with any value.
    PropertyAddedToOpenContentModel = "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", true;
    /// The reader added an unconstrained property to an open model.
    PropertyWithEmptySchemaAddedToOpenContentModel =
        "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", false;
    /// The reader requires a property the writer's closed model never produces.
    RequiredPropertyAddedToUnopenContentModel =
        "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", true;
    /// The reader added an optional property the writer's closed model never produces.
    OptionalPropertyAddedToUnopenContentModel =
        "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", false;
    /// The reader dropped a property and accepts it as an additional property.
    PropertyRemovedFromOpenContentModel = "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", false;
    /// The reader dropped a property the writer had forbidden (`false`).
    PropertyWithFalseRemovedFromClosedContentModel =
        "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", false;
    /// The reader dropped a property and refuses additional properties.
    PropertyRemovedFromClosedContentModel = "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", true;
    /// The reader dropped a property that its pattern or additional properties still accept.
    PropertyRemovedIsCoveredByPartiallyOpenContentModel =
        "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", false;
    /// The reader dropped a property that its pattern or additional properties do not accept.
    PropertyRemovedNotCoveredByPartiallyOpenContentModel =
        "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", true;
    /// The reader added a property the writer's partially open model produces, compatibly.
    PropertyAddedIsCoveredByPartiallyOpenContentModel =
        "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", false;
    /// The reader added a property the writer's partially open model produces incompatibly.
    PropertyAddedNotCoveredByPartiallyOpenContentModel =
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", true;
    /// The reader added `maxItems`.
    MaxItemsAdded = "MAX_ITEMS_ADDED", true;
    /// The reader dropped `maxItems`.
    MaxItemsRemoved = "MAX_ITEMS_REMOVED", false;
    /// The reader's `maxItems` is larger.
    MaxItemsIncreased = "MAX_ITEMS_INCREASED", false;
    /// The reader's `maxItems` is smaller.
    MaxItemsDecreased = "MAX_ITEMS_DECREASED", true;
    /// The reader added `minItems`.
    MinItemsAdded = "MIN_ITEMS_ADDED", true;
    /// The reader dropped `minItems`.
    MinItemsRemoved = "MIN_ITEMS_REMOVED", false;
    /// The reader's `minItems` is larger.
    MinItemsIncreased = "MIN_ITEMS_INCREASED", true;
    /// The reader's `minItems` is smaller.
    MinItemsDecreased = "MIN_ITEMS_DECREASED", false;
    /// The reader added `uniqueItems: true`.
    UniqueItemsAdded = "UNIQUE_ITEMS_ADDED", true;
    /// The reader dropped `uniqueItems: true`.
    UniqueItemsRemoved = "UNIQUE_ITEMS_REMOVED", false;
    /// The reader accepts items past the tuple where the writer had none.
    AdditionalItemsAdded = "ADDITIONAL_ITEMS_ADDED", false;
    /// The reader refuses items past the tuple that the writer may produce.
    AdditionalItemsRemoved = "ADDITIONAL_ITEMS_REMOVED", true;
    /// The reader's schema for items past the tuple is wider.
    AdditionalItemsExtended = "ADDITIONAL_ITEMS_EXTENDED", false;
    /// The reader's schema for items past the tuple refuses some the writer produces.
    AdditionalItemsNarrowed = "ADDITIONAL_ITEMS_NARROWED", true;
    /// The reader added a constrained tuple position where the writer accepts anything.
    ItemAddedToOpenContentModel = "ITEM_ADDED_TO_OPEN_CONTENT_MODEL", true;
    /// The reader added an unconstrained tuple position.
    ItemWithEmptySchemaAddedToOpenContentModel =
        "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", false;
    /// The reader added a tuple position the writer's closed tuple never produces.
    ItemAddedToClosedContentModel = "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", false;
    /// The reader dropped a tuple position and accepts any item there.
    ItemRemovedFromOpenContentModel = "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", false;
    /// The reader dropped a tuple position the writer had forbidden (`false`).
    ItemWithFalseRemovedFromClosedContentModel =
        "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", false;
    /// The reader dropped a tuple position and refuses items past its tuple.
    ItemRemovedFromClosedContentModel = "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", true;
    /// The reader dropped a tuple position that its `items` still accepts.
    ItemRemovedIsCoveredByPartiallyOpenContentModel =
        "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", false;
    /// The reader dropped a tuple position that its `items` does not accept.
    ItemRemovedNotCoveredByPartiallyOpenContentModel =
        "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", true;
    /// The reader added a tuple position that the writer's `items` satisfies.
    ItemAddedIsCoveredByPartiallyOpenContentModel =
        "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", false;
    /// The reader added a tuple position that the writer's `items` does not satisfy.
    ItemAddedNotCoveredByPartiallyOpenContentModel =
        "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", true;
    /// The reader's `enum` (or `const`) has values the writer's lacks.
    EnumArrayExtended = "ENUM_ARRAY_EXTENDED", false;
    /// The reader's `enum` (or `const`) refuses values the writer produces.
    EnumArrayNarrowed = "ENUM_ARRAY_NARROWED", true;
    /// The reader's and writer's `enum` (or `const`) values differ both ways.
    EnumArrayChanged = "ENUM_ARRAY_CHANGED", true;
    /// The reader's `anyOf`/`oneOf` has branches the writer's lacks.
    SumTypeExtended = "SUM_TYPE_EXTENDED", false;
    /// Some writer branch (or type) is matched by no `anyOf`/`oneOf` branch of the reader.
    SumTypeNarrowed = "SUM_TYPE_NARROWED", true;
    /// A writer instance might match several branches of the reader's `oneOf`.
    SumTypeOverlap = "SUM_TYPE_OVERLAP", true;
    /// A value-level constraint (`not`, `if`/`then`/`else`, …) of the reader refuses a writer value.
    CombinedTypeChanged = "COMBINED_TYPE_CHANGED", true;
    /// A keyword the checker cannot reason about; fails closed unless both schemas carry it
    /// identically at the same place.
    UnsupportedKeyword = "UNSUPPORTED_KEYWORD", true;
    /// A `$ref` that does not resolve inside its own document.
    UnresolvedReference = "UNRESOLVED_REFERENCE", true;
    /// The schemas are too deep or too large to compare within the checker's limits.
    TooComplex = "TOO_COMPLEX", true;
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The input named no finding kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown finding kind `{0}`")]
pub struct ParseFindingKindError(pub String);

impl FromStr for FindingKind {
    type Err = ParseFindingKindError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FindingKind::ALL
            .iter()
            .copied()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseFindingKindError(s.to_owned()))
    }
}

impl Serialize for FindingKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FindingKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_display_serialise_and_parse_by_the_same_name() {
        for &kind in FindingKind::ALL {
            let name = kind.to_string();
            assert!(
                name.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{name}"
            );
            let json = serde_json::to_value(kind).expect("a kind serialises");
            assert_eq!(json, serde_json::Value::from(name.clone()));
            assert_eq!(name.parse::<FindingKind>(), Ok(kind));
        }
    }

    #[test]
    fn kind_names_are_unique() {
        let mut names: Vec<_> = FindingKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FindingKind::ALL.len());
    }
}
