//! The `capabilities` and `model` documents of the registry.

use serde_json::{Value, json};

/// What this server supports: read-only, the `inline` flag, the rc4 specification.
pub fn capabilities() -> Value {
    json!({
        "available": ["/capabilities", "/export", "/model"],
        "flags": ["inline"],
        "mutable": [],
        "pagination": false,
        "shortself": false,
        "specversions": [super::SPEC_VERSION],
        "versionmodes": ["manual"]
    })
}

fn string(description: &str) -> Value {
    json!({"type": "string", "description": description})
}

/// The model: a `messagegroups` Group of `messages` (one Version each, no document) and a
/// `schemagroups` Group of `schemas` (documents, every revision kept), with the extension
/// attributes the message and schema specifications define.
pub fn model() -> Value {
    json!({
        "description": "The CloudEvents catalog: message definitions and JSON Schemas.",
        "groups": {
            "messagegroups": {
                "plural": "messagegroups",
                "singular": "messagegroup",
                "modelversion": "1.0-rc4",
                "compatiblewith": "https://xregistry.io/xreg/xregistryspecs/message-v1/docs/model.json",
                "attributes": {
                    "envelope": string("the common metadata envelope of the group's messages")
                },
                "resources": {
                    "messages": {
                        "plural": "messages",
                        "singular": "message",
                        "maxversions": 1,
                        "setversionid": false,
                        "hasdocument": false,
                        "attributes": {
                            "envelope": string("the metadata envelope (CloudEvents/1.0)"),
                            "envelopemetadata": {"type": "object", "description":
                                "constraints on the CloudEvents attributes",
                                "attributes": {"*": {"type": "any"}}},
                            "datacontenttype": string("the media type of the data"),
                            "dataschemaformat": string("the schema format of the data"),
                            "dataschemauri": {"type": "uri", "description":
                                "the schema Version the data satisfies"}
                        }
                    }
                }
            },
            "schemagroups": {
                "plural": "schemagroups",
                "singular": "schemagroup",
                "modelversion": "1.0-rc4",
                "compatiblewith": "https://xregistry.io/xreg/xregistryspecs/schema-v1/docs/model.json",
                "attributes": {
                    "format": string("the format every schema of the group uses")
                },
                "resources": {
                    "schemas": {
                        "plural": "schemas",
                        "singular": "schema",
                        "maxversions": 0,
                        "setversionid": false,
                        "hasdocument": true,
                        "attributes": {
                            "format": string("the schema format (JsonSchema/draft/2020-12)"),
                            "compatibilityvalidated": {"type": "boolean", "description":
                                "whether this Version passes the compatibility rule against the earlier ones"},
                            "compatibilityvalidatedreason": string("why it does not")
                        }
                    }
                }
            }
        }
    })
}
