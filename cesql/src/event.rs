//! What an expression reads: the [`EventView`] trait, and its implementation for events in the
//! JSON format.

use std::borrow::Cow;

use serde_json::{Map, Value as Json};

/// The value of a context attribute or extension, as an expression sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrValue<'a> {
    /// A String, or any CloudEvents type represented as one (URI, URI-reference, Timestamp,
    /// Binary).
    String(Cow<'a, str>),
    /// An Integer. Values outside the 32-bit range of CESQL Integers are read as Strings.
    Integer(i64),
    /// A Boolean.
    Boolean(bool),
}

impl<'a> AttrValue<'a> {
    /// A borrowed string value.
    pub fn str(s: &'a str) -> Self {
        AttrValue::String(Cow::Borrowed(s))
    }
}

/// Read access to the context attributes and extensions of one event.
///
/// Implement it for whatever holds the event; evaluation only ever asks for attributes by name.
pub trait EventView {
    /// The attribute or extension called `name` (already lower-case), or `None` when the event
    /// does not have it.
    fn attribute(&self, name: &str) -> Option<AttrValue<'_>>;
}

impl<T: EventView + ?Sized> EventView for &T {
    fn attribute(&self, name: &str) -> Option<AttrValue<'_>> {
        (**self).attribute(name)
    }
}

/// An event in the JSON format (its top-level object). `data` and `data_base64` are the event's
/// data, not attributes; `null` members are absent; numbers that are not integers, arrays and
/// objects are read as their JSON text.
impl EventView for Map<String, Json> {
    fn attribute(&self, name: &str) -> Option<AttrValue<'_>> {
        if name == "data" || name == "data_base64" {
            return None;
        }
        Some(match self.get(name)? {
            Json::Null => return None,
            Json::Bool(b) => AttrValue::Boolean(*b),
            Json::String(s) => AttrValue::String(Cow::Borrowed(s)),
            Json::Number(n) => match n.as_i64() {
                Some(i) => AttrValue::Integer(i),
                None => AttrValue::String(Cow::Owned(n.to_string())),
            },
            other => AttrValue::String(Cow::Owned(other.to_string())),
        })
    }
}

/// An event in the JSON format; a JSON value that is not an object has no attributes.
impl EventView for Json {
    fn attribute(&self, name: &str) -> Option<AttrValue<'_>> {
        self.as_object()?.attribute(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_events_expose_typed_attributes_and_hide_their_data() {
        let event = serde_json::json!({
            "specversion": "1.0", "id": "1", "source": "/s", "type": "t",
            "myint": 10, "mybool": true, "big": 9_000_000_000_i64, "ratio": 1.5,
            "nothing": null, "data": {"x": 1}
        });
        assert_eq!(event.attribute("id"), Some(AttrValue::str("1")));
        assert_eq!(event.attribute("myint"), Some(AttrValue::Integer(10)));
        assert_eq!(event.attribute("mybool"), Some(AttrValue::Boolean(true)));
        assert_eq!(
            event.attribute("big"),
            Some(AttrValue::Integer(9_000_000_000))
        );
        assert_eq!(event.attribute("ratio"), Some(AttrValue::str("1.5")));
        assert_eq!(event.attribute("nothing"), None);
        assert_eq!(event.attribute("data"), None);
        assert_eq!(serde_json::json!([1]).attribute("id"), None);
    }
}
