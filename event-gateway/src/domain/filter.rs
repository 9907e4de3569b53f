//! Subscription filters in the CloudEvents Subscriptions API dialects: `exact`, `prefix`,
//! `suffix` (over context attributes and extensions), and `all`, `any`, `not` to combine them.
//! A subscription's `filters` list matches when every filter in it matches.
//!
//! Each dialect is one [`Filter`] variant; CESQL (`{"sql": "…"}`, CloudEvents SQL v1) is one
//! more, holding the expression compiled once. Every dialect reads the event through
//! [`cesql::EventView`], implemented for the SDK's `Event`.

use std::borrow::Cow;
use std::sync::Arc;

pub use cesql::EventView as EventAttributes;
use cesql::{AttrValue, Expression};
use serde_json::{Map, Value, json};

use super::subscription::FieldError;

/// One filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Every named attribute equals its value.
    Exact(Vec<(String, String)>),
    /// Every named attribute starts with its value.
    Prefix(Vec<(String, String)>),
    /// Every named attribute ends with its value.
    Suffix(Vec<(String, String)>),
    /// Every nested filter matches.
    All(Vec<Filter>),
    /// At least one nested filter matches.
    Any(Vec<Filter>),
    /// The nested filter does not match.
    Not(Box<Filter>),
    /// A CESQL expression evaluates to `true` without error.
    Sql(SqlFilter),
}

/// A compiled CESQL expression with its source text (what reads show and equality compares).
#[derive(Debug, Clone)]
pub struct SqlFilter {
    text: String,
    expression: Arc<Expression>,
}

impl SqlFilter {
    /// Compiles `text`.
    ///
    /// # Errors
    /// The parse error, with its position.
    pub fn parse(text: &str) -> Result<Self, cesql::ParseError> {
        Ok(Self {
            text: text.to_owned(),
            expression: Arc::new(Expression::parse(text)?),
        })
    }

    /// The expression as written.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl PartialEq for SqlFilter {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// An attribute in its canonical string form, as `exact`, `prefix` and `suffix` compare it.
fn as_text(value: AttrValue<'_>) -> Cow<'_, str> {
    match value {
        AttrValue::String(s) => s,
        AttrValue::Integer(i) => Cow::Owned(i.to_string()),
        AttrValue::Boolean(b) => Cow::Borrowed(if b { "true" } else { "false" }),
    }
}

impl Filter {
    /// Whether `event` matches.
    pub fn matches(&self, event: &impl EventAttributes) -> bool {
        let each = |pairs: &[(String, String)], test: fn(&str, &str) -> bool| {
            pairs.iter().all(|(name, want)| {
                event
                    .attribute(name)
                    .is_some_and(|got| test(&as_text(got), want))
            })
        };
        match self {
            Self::Exact(pairs) => each(pairs, |got, want| got == want),
            Self::Prefix(pairs) => each(pairs, |got, want| got.starts_with(want)),
            Self::Suffix(pairs) => each(pairs, |got, want| got.ends_with(want)),
            Self::All(filters) => filters.iter().all(|f| f.matches(event)),
            Self::Any(filters) => filters.iter().any(|f| f.matches(event)),
            Self::Not(filter) => !filter.matches(event),
            Self::Sql(sql) => sql.expression.matches(event),
        }
    }

    /// Parses a list of filters (`filters` in a subscription body); `path` names it in errors.
    ///
    /// # Errors
    /// [`FieldError`] naming the offending element.
    pub fn parse_list(value: &Value, path: &str) -> Result<Vec<Self>, FieldError> {
        let items = value
            .as_array()
            .ok_or_else(|| FieldError::new(path, "must be an array of filters"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| Self::parse(item, &format!("{path}[{i}]")))
            .collect()
    }

    /// Parses one filter expression: an object with exactly one dialect member.
    ///
    /// # Errors
    /// [`FieldError`] naming the offending member.
    pub fn parse(value: &Value, path: &str) -> Result<Self, FieldError> {
        let object = value.as_object().filter(|o| o.len() == 1).ok_or_else(|| {
            FieldError::new(path, "must be an object with exactly one dialect: exact, prefix, suffix, all, any, not or sql")
        })?;
        let Some((dialect, inner)) = object.iter().next() else {
            return Err(FieldError::new(path, "must name a dialect"));
        };
        let here = format!("{path}.{dialect}");
        match dialect.as_str() {
            "exact" => Ok(Self::Exact(pairs(inner, &here, false)?)),
            "prefix" => Ok(Self::Prefix(pairs(inner, &here, true)?)),
            "suffix" => Ok(Self::Suffix(pairs(inner, &here, true)?)),
            "all" | "any" => {
                let list = Self::parse_list(inner, &here)?;
                if list.is_empty() {
                    return Err(FieldError::new(&here, "must hold at least one filter"));
                }
                Ok(if dialect == "all" {
                    Self::All(list)
                } else {
                    Self::Any(list)
                })
            }
            "not" => Ok(Self::Not(Box::new(Self::parse(inner, &here)?))),
            "sql" => {
                let text = inner
                    .as_str()
                    .ok_or_else(|| FieldError::new(&here, "must be a CESQL expression string"))?;
                SqlFilter::parse(text).map(Self::Sql).map_err(|e| {
                    let message = format!(
                        "is not valid CESQL at line {}, column {}: {}",
                        e.line(),
                        e.column(),
                        e.message()
                    );
                    FieldError::new(&here, message).at(e.position())
                })
            }
            other => Err(FieldError::new(
                path,
                format!(
                    "unknown filter dialect `{other}`; supported: exact, prefix, suffix, all, any, not, sql"
                ),
            )),
        }
    }

    /// The filter in its wire form.
    pub fn to_json(&self) -> Value {
        let map = |pairs: &[(String, String)]| {
            Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                    .collect::<Map<_, _>>(),
            )
        };
        match self {
            Self::Exact(p) => json!({ "exact": map(p) }),
            Self::Prefix(p) => json!({ "prefix": map(p) }),
            Self::Suffix(p) => json!({ "suffix": map(p) }),
            Self::All(f) => json!({ "all": f.iter().map(Self::to_json).collect::<Vec<_>>() }),
            Self::Any(f) => json!({ "any": f.iter().map(Self::to_json).collect::<Vec<_>>() }),
            Self::Not(f) => json!({ "not": f.to_json() }),
            Self::Sql(sql) => json!({ "sql": sql.text() }),
        }
    }
}

fn pairs(value: &Value, path: &str, non_empty: bool) -> Result<Vec<(String, String)>, FieldError> {
    let object = value.as_object().filter(|o| !o.is_empty()).ok_or_else(|| {
        FieldError::new(
            path,
            "must be an object of attribute names to string values",
        )
    })?;
    object
        .iter()
        .map(|(name, v)| {
            let here = format!("{path}.{name}");
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            {
                return Err(FieldError::new(
                    &here,
                    "attribute names are lower-case ASCII letters and digits",
                ));
            }
            let text = v
                .as_str()
                .ok_or_else(|| FieldError::new(&here, "must be a string"))?;
            if non_empty && text.is_empty() {
                return Err(FieldError::new(&here, "must not be empty"));
            }
            Ok((name.clone(), text.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Attrs(HashMap<&'static str, &'static str>);
    impl EventAttributes for Attrs {
        fn attribute(&self, name: &str) -> Option<AttrValue<'_>> {
            self.0.get(name).map(|v| AttrValue::str(v))
        }
    }

    fn event() -> Attrs {
        Attrs(HashMap::from([
            ("type", "com.example.order.created.v1"),
            ("source", "/order-service"),
            ("tier", "gold"),
        ]))
    }

    fn filter(value: Value) -> Filter {
        Filter::parse(&value, "filters[0]").expect("a valid filter")
    }

    #[test]
    fn each_dialect_matches_as_the_subscriptions_api_defines() {
        let e = event();
        assert!(filter(json!({"exact": {"type": "com.example.order.created.v1"}})).matches(&e));
        assert!(!filter(json!({"exact": {"type": "com.example.order"}})).matches(&e));
        assert!(filter(json!({"prefix": {"type": "com.example.order."}})).matches(&e));
        assert!(filter(json!({"suffix": {"type": ".v1", "source": "-service"}})).matches(&e));
        assert!(filter(json!({"exact": {"tier": "gold"}})).matches(&e));
        assert!(
            !filter(json!({"exact": {"subject": "x"}})).matches(&e),
            "a missing attribute never matches"
        );
        assert!(
            filter(json!({"any": [{"exact": {"tier": "silver"}}, {"exact": {"tier": "gold"}}]}))
                .matches(&e)
        );
        assert!(
            !filter(json!({"all": [{"exact": {"tier": "silver"}}, {"exact": {"tier": "gold"}}]}))
                .matches(&e)
        );
        assert!(filter(json!({"not": {"prefix": {"type": "com.example.payment."}}})).matches(&e));
    }

    #[test]
    fn sql_filters_match_what_their_expression_selects() {
        let e = event();
        assert!(
            filter(json!({"sql": "tier = 'gold' AND type LIKE 'com.example.order.%'"})).matches(&e)
        );
        assert!(!filter(json!({"sql": "tier = 'silver'"})).matches(&e));
        assert!(
            !filter(json!({"sql": "missing = 'x'"})).matches(&e),
            "an evaluation error is no match"
        );
        let error = Filter::parse(&json!({"sql": "tier = "}), "filters[0]").expect_err("invalid");
        assert_eq!(error.field, "filters[0].sql");
        assert!(
            error.position.is_some() && error.message.contains("column"),
            "{error:?}"
        );
    }

    #[test]
    fn bad_filters_are_refused_naming_the_member() {
        let err = |v: Value| {
            Filter::parse_list(&v, "filters")
                .expect_err("invalid")
                .field
        };
        assert_eq!(err(json!({"exact": {}})), "filters");
        assert_eq!(
            err(json!([{"exact": {"type": 1}}])),
            "filters[0].exact.type"
        );
        assert_eq!(
            err(json!([{"prefix": {"type": ""}}])),
            "filters[0].prefix.type"
        );
        assert_eq!(err(json!([{"any": []}])), "filters[0].any");
        assert_eq!(err(json!([{"nope": {}}])), "filters[0]");
        assert_eq!(
            err(json!([{"not": {"exact": {"Type": "x"}}}])),
            "filters[0].not.exact.Type"
        );
    }

    #[test]
    fn filters_read_back_in_their_wire_form() {
        let wire = json!({"all": [{"exact": {"type": "t"}}, {"not": {"suffix": {"source": "x"}}}]});
        assert_eq!(filter(wire.clone()).to_json(), wire);
    }
}
