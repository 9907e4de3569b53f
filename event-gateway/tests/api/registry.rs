//! The gateway serves the catalog as an xRegistry, and an event's `dataschema` (built by the
//! producers with the same base URL) resolves there to the schema its data satisfies.

use crate::helpers::spawn_app;
use shared_events::AttributesReader;
use shared_events::catalog::OrderGetV1;
use shared_events::catalog::values::OrderId;
use shared_events::producer::Producer;
use shared_events::trace::Traceparent;
use url::Url;

#[tokio::test]
async fn the_gateway_serves_the_registry_that_dataschema_urls_point_at() {
    let app = spawn_app().await;
    let export = app.get_json("/registry/export").await;
    assert!(
        export["schemagroups"]["com.example"].is_object(),
        "{export}"
    );

    let base = Url::parse(&format!("{}/registry", app.address)).expect("url");
    let event = Producer::new("/test", base).event(
        &OrderGetV1 {
            order_id: OrderId::new(),
        },
        &Traceparent::generate(),
    );
    let dataschema = event.dataschema().expect("set").to_string();
    let response = app.client.get(&dataschema).send().await.expect("reachable");
    assert_eq!(response.status(), 200, "{dataschema}");
    let schema: serde_json::Value = response.json().await.expect("json");
    assert_eq!(schema["title"], "com.example.order.get.v1");
    app.stop().await;
}
