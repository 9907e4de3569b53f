//! The xRegistry served over HTTP: the export validates against the published CloudEvents
//! document schema, every catalog type is there, and the routes behave as the HTTP binding says
//! (documents vs `$details`, immutable Versions with ETags and 304s, problem+json 404s).

use serde_json::Value;
use shared_events::catalog::CATALOG;
use shared_events::producer::Producer;
use shared_events::registry::{self, Registry};
use std::path::PathBuf;
use url::Url;

fn conformance(path: &str) -> Value {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/conformance")
        .join(path);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    serde_json::from_str(&text).expect("conformance schema is JSON")
}

fn errors(schema: &Value, instance: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(schema).expect("conformance schema compiles");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

#[test]
fn the_export_validates_against_the_cloudevents_document_schema_and_lists_every_type() {
    let registry = Registry::new(Url::parse("http://127.0.0.1:8080/registry").expect("url"));
    let export = registry.export();
    let schema = conformance("xregistry/cloudevents-schemas-document-schema.json");
    let errors = errors(&schema, &export);
    assert!(errors.is_empty(), "{errors:#?}");
    for entry in CATALOG {
        let message = &export["messagegroups"]["com.example"]["messages"][entry.event_type];
        assert_eq!(
            message["envelope"], "CloudEvents/1.0",
            "{}",
            entry.event_type
        );
        assert_eq!(
            message["envelopemetadata"]["type"]["value"],
            entry.event_type
        );
        let schema = &export["schemagroups"]["com.example"]["schemas"][entry.event_type];
        let versions = schema["versions"].as_object().expect("versions inlined");
        assert!(!versions.is_empty(), "{}", entry.event_type);
        let latest = &versions[&schema["versionid"].as_str().expect("versionid").to_owned()];
        assert_eq!(latest["schema"], (entry.schema)(), "{}", entry.event_type);
    }
    assert_eq!(export["specversion"], "1.0-rc4");
    assert!(export["capabilities"].is_object());
}

#[test]
fn the_conformance_check_can_fail() {
    let registry = Registry::new(Url::parse("http://127.0.0.1:8080/registry").expect("url"));
    let mut export = registry.export();
    export["schemagroups"]["com.example"]["schemas"]["com.example.order.paid.v1"]["versionsurl"] =
        Value::from("http://127.0.0.1:8080/registry/x");
    let schema = conformance("xregistry/cloudevents-schemas-document-schema.json");
    assert!(!errors(&schema, &export).is_empty());
}

struct Server {
    base: Url,
    client: reqwest::Client,
}

impl Server {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let base = Url::parse(&format!("http://127.0.0.1:{port}/registry")).expect("url");
        let app: axum::Router = axum::Router::new().merge(registry::router(base.clone()));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        Self {
            base,
            client: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }
}

const V1: &str = "com.example.order.created.v1";

#[tokio::test]
async fn the_root_capabilities_and_model_are_served() {
    let server = Server::start().await;
    let root: Value = server.get("").await.json().await.expect("json");
    assert_eq!(root["specversion"], "1.0-rc4");
    assert_eq!(root["self"], server.url("/"));
    assert_eq!(root["schemagroupscount"], 1);
    assert_eq!(root["schemagroupsurl"], server.url("/schemagroups"));
    assert!(root.get("schemagroups").is_none(), "not inlined by default");
    let inlined: Value = server
        .get("?inline=schemagroups")
        .await
        .json()
        .await
        .expect("json");
    assert!(inlined["schemagroups"]["com.example"]["schemascount"].as_u64() >= Some(13));
    let capabilities: Value = server
        .get("/capabilities")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(capabilities["specversions"][0], "1.0-rc4");
    let model: Value = server.get("/model").await.json().await.expect("json");
    assert_eq!(
        model["groups"]["schemagroups"]["resources"]["schemas"]["hasdocument"],
        true
    );
}

#[tokio::test]
async fn a_message_definition_points_its_dataschema_at_the_url_producers_use() {
    let server = Server::start().await;
    let response = server
        .get(&format!("/messagegroups/com.example/messages/{V1}"))
        .await;
    assert_eq!(response.status(), 200);
    let message: Value = response.json().await.expect("json");
    assert_eq!(message["envelope"], "CloudEvents/1.0");
    assert_eq!(
        message["envelopemetadata"]["source"]["value"],
        "/order-service"
    );
    let producer = Producer::new("/order-service", server.base.clone());
    let dataschema = producer.dataschema(V1).to_string();
    assert_eq!(
        message["envelopemetadata"]["dataschema"]["value"],
        dataschema
    );
    let document = server.client.get(&dataschema).send().await.expect("get");
    assert_eq!(document.status(), 200);
    let meta: Value = server
        .get(&format!(
            "/messagegroups/com.example/messages/{V1}?inline=meta"
        ))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        meta["meta"]["deprecated"]["alternative"],
        server.url("/messagegroups/com.example/messages/com.example.order.created.v2")
    );
}

#[tokio::test]
async fn a_schema_is_its_document_and_its_details_are_metadata() {
    let server = Server::start().await;
    let path = format!("/schemagroups/com.example/schemas/{V1}");
    let response = server.get(&path).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/schema+json"
    );
    assert_eq!(response.headers()["xregistry-schemaid"], V1);
    assert_eq!(
        response.headers()["xregistry-compatibilityvalidated"],
        "true"
    );
    let document: Value = response.json().await.expect("json");
    let generated = (shared_events::catalog::lookup(V1).expect("v1").schema)();
    assert_eq!(document, generated);

    let details: Value = server
        .get(&format!("{path}$details"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(details["schemaid"], V1);
    assert_eq!(details["format"], "JsonSchema/draft/2020-12");
    assert_eq!(details["compatibilityvalidated"], true);
    assert_eq!(details["self"], server.url(&format!("{path}$details")));
    assert!(details.get("schema").is_none());
    let with_meta: Value = server
        .get(&format!("{path}$details?inline=meta"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(with_meta["meta"]["compatibility"], "full_transitive");
    assert!(with_meta["meta"]["deprecated"].is_object());
    let meta: Value = server
        .get(&format!("{path}/meta"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(meta, with_meta["meta"]);

    let versions: Value = server
        .get(&format!("{path}/versions"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(versions["1"]["versionid"], "1");
    assert_eq!(versions["1"]["isdefault"], true);
}

#[tokio::test]
async fn a_version_is_immutable_cached_for_long_and_answers_304_to_its_etag() {
    let server = Server::start().await;
    let path = format!("/schemagroups/com.example/schemas/{V1}/versions/1");
    let response = server.get(&path).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .expect("ascii")
            .contains("immutable")
    );
    let etag = response.headers()["etag"].clone();
    let again = server
        .client
        .get(server.url(&path))
        .header("if-none-match", etag.clone())
        .send()
        .await
        .expect("get");
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.expect("body").is_empty());
    let other = server
        .client
        .get(server.url(&path))
        .header("if-none-match", "\"something-else\"")
        .send()
        .await
        .expect("get");
    assert_eq!(other.status(), 200);
    let details = server.get(&format!("{path}$details")).await;
    assert_eq!(
        details.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    assert_ne!(details.headers()["etag"], etag);
}

#[tokio::test]
async fn unknown_entities_are_404_problems_naming_the_xid() {
    let server = Server::start().await;
    for (path, subject) in [
        (
            "/schemagroups/com.example/schemas/com.example.order.shipped.v1",
            "/schemagroups/com.example/schemas/com.example.order.shipped.v1",
        ),
        (
            &format!("/schemagroups/com.example/schemas/{V1}/versions/99")[..],
            &format!("/schemagroups/com.example/schemas/{V1}/versions/99")[..],
        ),
        ("/messagegroups/org.other", "/messagegroups/org.other"),
    ] {
        let response = server.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = response.json().await.expect("json");
        assert_eq!(problem["subject"], subject);
        assert!(
            problem["type"]
                .as_str()
                .expect("type")
                .ends_with("#not_found"),
            "{problem}"
        );
    }
    let api = server.get("/endpoints").await;
    assert_eq!(api.status(), 404);
}
