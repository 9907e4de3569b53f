//! The README's walkthrough, executed: the whole stack (`stack::Stack`, what `cargo run
//! --release` starts) on free ports, a recording receiver standing in for the event display,
//! and the walkthrough's shell block run by bash with the README's addresses replaced by the
//! real ones. If the README and the product drift apart, this fails.

use axum::Router;
use axum::routing::post;
use shared_events::http::Incoming;
use shared_events::service::shutdown::CancellationToken;
use shared_events::{AttributesReader, Event};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// The shell between the README's walkthrough markers, without its code fences.
fn walkthrough(readme: &str) -> String {
    let begin = readme
        .find("<!-- walkthrough:begin -->")
        .expect("README has the begin marker");
    let end = readme
        .find("<!-- walkthrough:end -->")
        .expect("README has the end marker");
    readme[begin..end]
        .lines()
        .skip(1)
        .filter(|line| !line.starts_with("```"))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn recorder() -> (SocketAddr, Arc<Mutex<Vec<Event>>>) {
    let seen: Arc<Mutex<Vec<Event>>> = Arc::default();
    let sink = seen.clone();
    let app = Router::new().route(
        "/",
        post(move |incoming: Incoming| {
            let sink = sink.clone();
            async move {
                sink.lock().expect("lock").extend(incoming.into_events());
                axum::http::StatusCode::ACCEPTED
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, seen)
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_walkthrough_runs_against_the_real_stack() {
    shared_events::service::telemetry::init_for_tests();
    let data = tempfile::tempdir().expect("tempdir");
    let any_port: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    let stack = stack::Stack::build(stack::StackSettings {
        data_dir: data.path().to_owned(),
        gateway: any_port,
        order: any_port,
        payment: any_port,
        direct: false,
    })
    .await
    .expect("the stack starts");
    let (gateway, order, payment) = (
        stack.gateway_addr(),
        stack.order_addr().expect("addr"),
        stack.payment_addr().expect("addr"),
    );
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(stack.run_until_stopped(shutdown.clone()));
    let (display, seen) = recorder().await;

    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("README.md");
    // The README's sleeps are what a person needs; a loaded CI machine gets three times as long.
    let script = walkthrough(&readme)
        .replace("127.0.0.1:8080", &gateway.to_string())
        .replace("127.0.0.1:8081", &order.to_string())
        .replace("127.0.0.1:8082", &payment.to_string())
        .replace("127.0.0.1:9000", &display.to_string())
        .replace("sleep 1", "sleep 3")
        .replace("sleep 2", "sleep 6");
    let output = tokio::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .output()
        .await
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the walkthrough failed:\n--- script\n{script}\n--- stdout\n{stdout}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("\"status\":\"paid\""), "{stdout}");
    assert!(
        stdout.contains("com.example.order.paid.v1"),
        "the dead letter was listed: {stdout}"
    );

    // The display saw the second order's events, and the redelivered dead letter.
    let count = |ty: &str| {
        seen.lock()
            .expect("lock")
            .iter()
            .filter(|e| e.ty() == ty)
            .count()
    };
    wait_until("the display got order.created v1 and v2", || {
        count("com.example.order.created.v1") >= 1 && count("com.example.order.created.v2") >= 1
    })
    .await;
    // Step 3 subscribes to every order event: orders 2 and 3 are paid there (2), and the
    // redelivered dead letter of order 3 arrives a second time through the fixed subscription.
    wait_until("the redelivered order.paid.v1 arrived", || {
        count("com.example.order.paid.v1") >= 3
    })
    .await;
    let paid: Vec<String> = seen
        .lock()
        .expect("lock")
        .iter()
        .filter(|e| e.ty() == "com.example.order.paid.v1")
        .map(|e| e.id().to_owned())
        .collect();
    let times = |id: &String| paid.iter().filter(|other| *other == id).count();
    assert!(
        paid.iter().any(|id| times(id) == 2) && paid.iter().all(|id| times(id) <= 2),
        "the dead-lettered order.paid.v1 came again with its original id, nothing came more often: {paid:?}"
    );

    shutdown.cancel();
    running
        .await
        .expect("join")
        .expect("the stack stops cleanly");
}
