//! [`EventView`] for `cloudevents::Event` (feature `cloudevents`).

use std::borrow::Cow;

use chrono::SecondsFormat;
use cloudevents::event::{ExtensionValue, SpecVersion};
use cloudevents::{AttributesReader, Event};

use crate::event::{AttrValue, EventView};

fn borrowed(s: &str) -> AttrValue<'_> {
    AttrValue::String(Cow::Borrowed(s))
}

/// The context attributes by their spec names, and extensions. `time` reads as the RFC 3339
/// text the JSON format carries (UTC, `Z`, fractional seconds only when present).
impl EventView for Event {
    fn attribute(&self, name: &str) -> Option<AttrValue<'_>> {
        Some(match name {
            "id" => borrowed(self.id()),
            "source" => borrowed(self.source()),
            "specversion" => borrowed(match self.specversion() {
                SpecVersion::V03 => "0.3",
                SpecVersion::V10 => "1.0",
            }),
            "type" => borrowed(self.ty()),
            "datacontenttype" => borrowed(self.datacontenttype()?),
            "dataschema" => borrowed(self.dataschema()?.as_str()),
            "subject" => borrowed(self.subject()?),
            "time" => AttrValue::String(Cow::Owned(
                self.time()?.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            )),
            _ => match self.extension(name)? {
                ExtensionValue::String(s) => borrowed(s),
                ExtensionValue::Integer(i) => AttrValue::Integer(*i),
                ExtensionValue::Boolean(b) => AttrValue::Boolean(*b),
            },
        })
    }
}
