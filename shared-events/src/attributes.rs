//! The CloudEvents 1.0.2 attribute rules, checked on every event that enters or leaves.
//!
//! [`validate`] checks what the SDK's [`Event`] type lets through: non-empty `id`, `source` and
//! `type`, `source` a URI-reference, extension names, the `String` character rules and the
//! `Integer` range. `time` and `dataschema` are typed in [`Event`] (a timestamp and a URL), so
//! they are checked while decoding, by [`parse_time`] and [`parse_dataschema`], and a bad value
//! is rejected with the same [`AttributeError`] before an [`Event`] exists.
//!
//! Decisions where the specification leaves room:
//! - Attribute names longer than 20 characters are accepted: the limit is a SHOULD for whoever
//!   names an attribute, and rejecting them would break interoperability with producers that
//!   ignore it.
//! - `dataschema` must be an absolute URI in RFC 3986 syntax; a fragment is allowed (RFC 3986
//!   §4.3 excludes it, JSON Schema's `format: uri` does not, and schema references use one).
//!   The value is then held as a [`url::Url`], which normalises it (`HTTP://x.org` reads back as
//!   `http://x.org/`).
//! - `time` is any RFC 3339 timestamp; it is held in UTC, so `+02:00` offsets read back as `Z`.
//! - Strings with control characters (U+0000–U+001F, U+007F–U+009F) or Unicode noncharacters are
//!   rejected, as the type system disallows them, in core attributes and extensions alike.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};
use cloudevents::event::{ExtensionValue, SpecVersion};
use cloudevents::{AttributesReader, Event};
use url::Url;

use crate::problem::Problem;

mod uri;

pub use uri::{is_absolute_uri, is_uri_reference};

/// The CloudEvents versions this crate reads and writes.
pub const SUPPORTED_SPEC_VERSIONS: &[&str] = &["1.0"];

/// The names of the CloudEvents 1.0 core attributes; no extension may take one of them.
pub const CORE_ATTRIBUTES: &[&str] = &[
    "specversion",
    "id",
    "source",
    "type",
    "datacontenttype",
    "dataschema",
    "subject",
    "time",
];

/// Why an attribute is not acceptable; every variant names the attribute.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttributeError {
    /// A REQUIRED attribute is absent.
    #[error("the required attribute `{0}` is missing")]
    Missing(&'static str),
    /// An attribute that must be a non-empty string is empty.
    #[error("`{0}` must not be empty")]
    Empty(&'static str),
    /// `specversion` names a version this crate does not support.
    #[error("specversion `{0}` is not supported; supported versions: 1.0")]
    UnsupportedSpecVersion(String),
    /// `source` is not an RFC 3986 URI-reference.
    #[error("source `{0}` is not a URI-reference (RFC 3986)")]
    InvalidSource(String),
    /// `time` is not an RFC 3339 timestamp.
    #[error("time `{0}` is not an RFC 3339 timestamp")]
    InvalidTime(String),
    /// `dataschema` is not an absolute URI.
    #[error("dataschema `{0}` is not an absolute URI (RFC 3986)")]
    InvalidDataSchema(String),
    /// `datacontenttype` is not an RFC 2046 media type.
    #[error("datacontenttype `{0}` is not a media type (RFC 2046)")]
    InvalidDataContentType(String),
    /// An attribute name has characters other than lower-case ASCII letters and digits.
    #[error("`{0}` is not a valid attribute name: names are lower-case ASCII letters and digits")]
    InvalidName(String),
    /// An extension takes a name reserved for a core attribute or for `data`.
    #[error("`{0}` is reserved and cannot be an extension attribute")]
    ReservedName(String),
    /// A value has the wrong type (in the JSON format: the wrong JSON type).
    #[error("`{attribute}` must be {expected}")]
    WrongType {
        /// The attribute.
        attribute: String,
        /// What it must be, in words ("a string", "a string, number or boolean").
        expected: &'static str,
    },
    /// An `Integer` outside the 32-bit range the type system allows.
    #[error("`{attribute}` = {value} is outside the Integer range -2147483648..=2147483647")]
    IntegerOutOfRange {
        /// The attribute.
        attribute: String,
        /// The value as it was written.
        value: String,
    },
    /// A string holds a character the `String` type disallows.
    #[error(
        "`{attribute}` contains {character:?}; CloudEvents strings may not hold control \
         characters or Unicode noncharacters"
    )]
    ForbiddenCharacter {
        /// The attribute.
        attribute: String,
        /// The first offending character.
        character: char,
    },
}

impl AttributeError {
    /// The name of the attribute that is wrong.
    pub fn attribute(&self) -> &str {
        match self {
            Self::Missing(name) | Self::Empty(name) => name,
            Self::UnsupportedSpecVersion(_) => "specversion",
            Self::InvalidSource(_) => "source",
            Self::InvalidTime(_) => "time",
            Self::InvalidDataSchema(_) => "dataschema",
            Self::InvalidDataContentType(_) => "datacontenttype",
            Self::InvalidName(name) | Self::ReservedName(name) => name,
            Self::WrongType { attribute, .. }
            | Self::IntegerOutOfRange { attribute, .. }
            | Self::ForbiddenCharacter { attribute, .. } => attribute,
        }
    }
}

impl From<AttributeError> for Problem {
    /// 400 naming the attribute in an `attribute` member; an unsupported or missing
    /// `specversion` also lists the `supported_versions`.
    fn from(error: AttributeError) -> Self {
        let problem = Problem::bad_request(error.to_string()).with("attribute", error.attribute());
        if error.attribute() == "specversion" {
            problem.with("supported_versions", SUPPORTED_SPEC_VERSIONS)
        } else {
            problem
        }
    }
}

/// Checks every rule of the CloudEvents 1.0.2 type system and naming conventions that the
/// SDK's [`Event`] does not enforce by construction.
///
/// # Errors
///
/// The first rule broken, naming the attribute.
pub fn validate(event: &Event) -> Result<(), AttributeError> {
    if event.specversion() != SpecVersion::V10 {
        return Err(AttributeError::UnsupportedSpecVersion(
            event.specversion().to_string(),
        ));
    }
    check_required_string("id", event.id())?;
    check_source(event.source())?;
    check_required_string("type", event.ty())?;
    if let Some(content_type) = event.datacontenttype() {
        check_datacontenttype(content_type)?;
    }
    if let Some(subject) = event.subject() {
        check_required_string("subject", subject)?;
    }
    for (name, value) in event.iter_extensions() {
        check_extension_name(name)?;
        check_extension_value(name, value)?;
    }
    Ok(())
}

/// Checks a string attribute that, when present, must be non-empty (`id`, `type`, `subject`).
///
/// # Errors
///
/// [`AttributeError::Empty`] or [`AttributeError::ForbiddenCharacter`].
pub fn check_required_string(attribute: &'static str, value: &str) -> Result<(), AttributeError> {
    if value.is_empty() {
        return Err(AttributeError::Empty(attribute));
    }
    check_characters(attribute, value)
}

/// Checks that a string holds no control characters and no Unicode noncharacters.
///
/// # Errors
///
/// [`AttributeError::ForbiddenCharacter`] with the first such character.
pub fn check_characters(attribute: &str, value: &str) -> Result<(), AttributeError> {
    match value.chars().find(|c| is_forbidden_char(*c)) {
        None => Ok(()),
        Some(character) => Err(AttributeError::ForbiddenCharacter {
            attribute: attribute.to_owned(),
            character,
        }),
    }
}

fn is_forbidden_char(c: char) -> bool {
    let cp = u32::from(c);
    cp <= 0x1F
        || (0x7F..=0x9F).contains(&cp)
        || (0xFDD0..=0xFDEF).contains(&cp)
        || cp & 0xFFFE == 0xFFFE
}

/// Checks `source`: a non-empty RFC 3986 URI-reference.
///
/// # Errors
///
/// [`AttributeError::Empty`] or [`AttributeError::InvalidSource`].
pub fn check_source(source: &str) -> Result<(), AttributeError> {
    if source.is_empty() {
        Err(AttributeError::Empty("source"))
    } else if is_uri_reference(source) {
        Ok(())
    } else {
        Err(AttributeError::InvalidSource(source.to_owned()))
    }
}

/// Checks `datacontenttype`: an RFC 2046 media type, parameters allowed.
///
/// # Errors
///
/// [`AttributeError::Empty`] or [`AttributeError::InvalidDataContentType`].
pub fn check_datacontenttype(content_type: &str) -> Result<(), AttributeError> {
    if content_type.is_empty() {
        Err(AttributeError::Empty("datacontenttype"))
    } else if crate::http::MediaType::parse(content_type).is_some() {
        Ok(())
    } else {
        Err(AttributeError::InvalidDataContentType(
            content_type.to_owned(),
        ))
    }
}

/// Checks an extension attribute's name: lower-case ASCII letters and digits, not a core
/// attribute's name and not `data`.
///
/// # Errors
///
/// [`AttributeError::InvalidName`] or [`AttributeError::ReservedName`].
pub fn check_extension_name(name: &str) -> Result<(), AttributeError> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        Err(AttributeError::InvalidName(name.to_owned()))
    } else if name == "data" || CORE_ATTRIBUTES.contains(&name) {
        Err(AttributeError::ReservedName(name.to_owned()))
    } else {
        Ok(())
    }
}

/// Checks an extension value: strings by the character rules (they may be empty), integers by
/// the 32-bit range.
///
/// # Errors
///
/// [`AttributeError::ForbiddenCharacter`] or [`AttributeError::IntegerOutOfRange`].
pub fn check_extension_value(name: &str, value: &ExtensionValue) -> Result<(), AttributeError> {
    match value {
        ExtensionValue::String(s) => check_characters(name, s),
        ExtensionValue::Integer(i) if i32::try_from(*i).is_err() => {
            Err(AttributeError::IntegerOutOfRange {
                attribute: name.to_owned(),
                value: i.to_string(),
            })
        }
        ExtensionValue::Integer(_) | ExtensionValue::Boolean(_) => Ok(()),
    }
}

/// Parses `time` from its RFC 3339 string encoding.
///
/// # Errors
///
/// [`AttributeError::Empty`] or [`AttributeError::InvalidTime`].
pub fn parse_time(value: &str) -> Result<DateTime<Utc>, AttributeError> {
    if value.is_empty() {
        return Err(AttributeError::Empty("time"));
    }
    DateTime::parse_from_rfc3339(value)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|_| AttributeError::InvalidTime(value.to_owned()))
}

/// The canonical string encoding of a `time`: RFC 3339 in UTC with `Z`, fractional seconds
/// only as precise as needed.
pub fn format_time(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Parses `dataschema`: a non-empty absolute URI.
///
/// # Errors
///
/// [`AttributeError::Empty`] or [`AttributeError::InvalidDataSchema`].
pub fn parse_dataschema(value: &str) -> Result<Url, AttributeError> {
    if value.is_empty() {
        return Err(AttributeError::Empty("dataschema"));
    }
    if !is_absolute_uri(value) {
        return Err(AttributeError::InvalidDataSchema(value.to_owned()));
    }
    Url::parse(value).map_err(|_| AttributeError::InvalidDataSchema(value.to_owned()))
}

/// The canonical string encoding of an extension value (`true`/`false`, decimal integers).
pub fn extension_string(value: &ExtensionValue) -> Cow<'_, str> {
    match value {
        ExtensionValue::String(s) => Cow::Borrowed(s),
        ExtensionValue::Boolean(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        ExtensionValue::Integer(i) => Cow::Owned(i.to_string()),
    }
}

/// The canonical string encoding of any attribute of `event` by name, core or extension, or
/// `None` when the event does not have it. This is what binary mode puts in a header (before
/// percent-encoding) and what filters compare against.
pub fn canonical_value<'a>(event: &'a Event, name: &str) -> Option<Cow<'a, str>> {
    match name {
        "specversion" => Some(Cow::Borrowed(match event.specversion() {
            SpecVersion::V03 => "0.3",
            SpecVersion::V10 => "1.0",
        })),
        "id" => Some(Cow::Borrowed(event.id())),
        "source" => Some(Cow::Borrowed(event.source().as_str())),
        "type" => Some(Cow::Borrowed(event.ty())),
        "datacontenttype" => event.datacontenttype().map(Cow::Borrowed),
        "dataschema" => event.dataschema().map(|url| Cow::Borrowed(url.as_str())),
        "subject" => event.subject().map(Cow::Borrowed),
        "time" => event.time().map(|time| Cow::Owned(format_time(time))),
        _ => event.extension(name).map(extension_string),
    }
}

#[cfg(test)]
mod tests;
