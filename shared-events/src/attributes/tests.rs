use super::*;
use cloudevents::{EventBuilder, EventBuilderV10};

fn event() -> Event {
    EventBuilderV10::new()
        .id("1")
        .source("/orders")
        .ty("com.example.order.created.v1")
        .build()
        .expect("a complete event")
}

#[test]
fn a_minimal_event_is_valid() {
    assert_eq!(validate(&event()), Ok(()));
}

#[test]
fn empty_id_source_and_type_are_named() {
    let mut e = event();
    cloudevents::AttributesWriter::set_id(&mut e, "");
    assert_eq!(validate(&e), Err(AttributeError::Empty("id")));
    let mut e = event();
    cloudevents::AttributesWriter::set_source(&mut e, "");
    assert_eq!(validate(&e), Err(AttributeError::Empty("source")));
    let mut e = event();
    cloudevents::AttributesWriter::set_type(&mut e, "");
    assert_eq!(validate(&e), Err(AttributeError::Empty("type")));
}

#[test]
fn a_source_with_a_space_is_not_a_uri_reference() {
    let mut e = event();
    cloudevents::AttributesWriter::set_source(&mut e, "/my source");
    assert_eq!(
        validate(&e).map_err(|e| e.attribute().to_owned()),
        Err("source".to_owned())
    );
}

#[test]
fn extension_names_are_lower_case_letters_and_digits_and_not_reserved() {
    assert!(check_extension_name("traceparent").is_ok());
    assert!(check_extension_name("abcdefghijklmnopqrstuvwxyz0123").is_ok());
    for bad in ["", "Upper", "with-dash", "with_underscore", "ümlaut"] {
        assert_eq!(
            check_extension_name(bad),
            Err(AttributeError::InvalidName(bad.to_owned()))
        );
    }
    for reserved in ["data", "id", "time", "specversion"] {
        assert_eq!(
            check_extension_name(reserved),
            Err(AttributeError::ReservedName(reserved.to_owned()))
        );
    }
}

#[test]
fn integers_outside_32_bits_and_control_characters_are_rejected() {
    let mut e = event();
    e.set_extension("big", ExtensionValue::Integer(i64::from(i32::MAX) + 1));
    assert!(matches!(
        validate(&e),
        Err(AttributeError::IntegerOutOfRange { .. })
    ));
    let mut e = event();
    e.set_extension("text", "line\nbreak");
    assert_eq!(
        validate(&e),
        Err(AttributeError::ForbiddenCharacter {
            attribute: "text".to_owned(),
            character: '\n'
        })
    );
    assert!(check_characters("x", "\u{FFFF}").is_err());
    assert!(check_characters("x", "\u{FDD0}").is_err());
    assert!(check_characters("x", "Euro € 😀 \"%\"").is_ok());
}

#[test]
fn time_must_be_rfc_3339_and_dataschema_absolute() {
    assert!(parse_time("2018-04-05T17:31:00Z").is_ok());
    assert!(parse_time("2018-04-05T19:31:00.5+02:00").is_ok());
    assert_eq!(
        parse_time("yesterday"),
        Err(AttributeError::InvalidTime("yesterday".to_owned()))
    );
    assert!(parse_dataschema("https://example.com/schema.json#/defs/a").is_ok());
    assert_eq!(
        parse_dataschema("/relative"),
        Err(AttributeError::InvalidDataSchema("/relative".to_owned()))
    );
}

#[test]
fn a_problem_names_the_attribute() {
    let problem = Problem::from(AttributeError::Empty("id"));
    assert_eq!(problem.status, 400);
    assert_eq!(problem.extensions["attribute"], "id");
    let problem = Problem::from(AttributeError::UnsupportedSpecVersion("0.3".into()));
    assert_eq!(problem.extensions["supported_versions"][0], "1.0");
}
