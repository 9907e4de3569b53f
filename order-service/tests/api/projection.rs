use crate::database::Backend;
use crate::events::payment_created;
use crate::helpers::{eventually, spawn_app_on};
use order_service::projection;
use order_service::store::{self, Synchronous};
use serde_json::Value;
use std::time::Duration;

async fn a_rebuilt_projection_answers_the_same_as_the_live_one(backend: Backend) {
    let Some(mut app) = spawn_app_on(backend).await else {
        return;
    };
    for i in 0..12 {
        let order = app.place_order().await;
        let id = order["id"].as_str().expect("id");
        match i % 3 {
            0 => {
                app.post_event(&payment_created(&order)).await;
            }
            1 => {
                app.cancel(id).await;
            }
            _ => {}
        }
    }
    let live: Value = eventually(
        "the projection to catch up",
        Duration::from_secs(5),
        || async {
            let (_, list) = app.get_json("/orders?limit=500").await;
            let orders = list["orders"].as_array()?;
            let settled = orders.len() == 12
                && orders.iter().filter(|o| o["status"] == "paid").count() == 4
                && orders.iter().filter(|o| o["status"] == "cancelled").count() == 4;
            settled.then_some(list)
        },
    )
    .await;
    app.stop().await;
    let store = store::connect(&app.database_url, Synchronous::Normal)
        .await
        .expect("opens");
    let replayed = projection::rebuild(store).await.expect("rebuilds");
    assert!(replayed >= 12 * 3, "{replayed}");
    let app = app.restart().await;
    let (_, rebuilt) = app.get_json("/orders?limit=500").await;
    assert_eq!(rebuilt, live);
    for status in ["paid", "cancelled", "pending_payment"] {
        let (_, page) = app.get_json(&format!("/orders?status={status}")).await;
        assert_eq!(
            page["orders"].as_array().expect("orders").len(),
            4,
            "{status}"
        );
    }
}

crate::on_both_backends!(a_rebuilt_projection_answers_the_same_as_the_live_one,);
