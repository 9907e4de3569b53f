//! The stack under test: both services, wired directly, on port 0, with restartable processes.

use crate::database::{Backend, TestDatabase};
use order_service::settings::OrderSettings;
use payment_service::settings::PaymentSettings;
use serde_json::{Value, json};
use shared_events::service::shutdown::CancellationToken;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use url::Url;

/// Waits for `check` to return `Some`, polling, failing the test after `deadline`.
pub async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let until = tokio::time::Instant::now() + deadline;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One running service.
struct Running {
    shutdown: CancellationToken,
    handle: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    async fn stop(self) {
        self.shutdown.cancel();
        self.handle.await.expect("joins").expect("stops cleanly");
    }
}

async fn bind(address: SocketAddr) -> TcpListener {
    let mut tries = 0;
    loop {
        match TcpListener::bind(address).await {
            Ok(listener) => return listener,
            Err(_) if tries < 50 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("cannot bind {address}: {error}"),
        }
    }
}

/// Both services, wired directly.
pub struct Stack {
    /// order-service's address, `http://127.0.0.1:PORT`.
    pub order: String,
    /// payment-service's address.
    pub payment: String,
    /// A client.
    pub client: reqwest::Client,
    order_addr: SocketAddr,
    payment_addr: SocketAddr,
    order_db: String,
    payment_db: String,
    order_app: Option<Running>,
    payment_app: Option<Running>,
    order_replica: Option<Running>,
    _databases: Vec<TestDatabase>,
}

impl Stack {
    /// Starts both services on fresh SQLite databases.
    pub async fn start() -> Self {
        Self::start_on(Backend::Sqlite)
            .await
            .expect("SQLite is always there")
    }

    /// Starts both services on fresh databases of `backend`; `None` when it is unavailable
    /// (the test reports itself skipped).
    pub async fn start_on(backend: Backend) -> Option<Self> {
        shared_events::service::telemetry::init_for_tests();
        let test = std::thread::current().name().unwrap_or("a test").to_owned();
        let order_db = TestDatabase::create(backend, &test).await?;
        let payment_db = TestDatabase::create(backend, &test).await?;
        let order_listener = bind(SocketAddr::from(([127, 0, 0, 1], 0))).await;
        let payment_listener = bind(SocketAddr::from(([127, 0, 0, 1], 0))).await;
        let order_addr = order_listener.local_addr().expect("addr");
        let payment_addr = payment_listener.local_addr().expect("addr");
        let mut stack = Self {
            order: format!("http://{order_addr}"),
            payment: format!("http://{payment_addr}"),
            client: reqwest::Client::new(),
            order_addr,
            payment_addr,
            order_db: order_db.url.clone(),
            payment_db: payment_db.url.clone(),
            order_app: None,
            payment_app: None,
            order_replica: None,
            _databases: vec![order_db, payment_db],
        };
        stack.run_payment(payment_listener).await;
        stack.run_order(order_listener).await;
        Some(stack)
    }

    /// Starts a second order-service on the same database (payment-service keeps answering the
    /// first); returns its address.
    pub async fn start_order_replica(&mut self) -> String {
        let listener = bind(SocketAddr::from(([127, 0, 0, 1], 0))).await;
        let address = format!("http://{}", listener.local_addr().expect("addr"));
        let app = order_service::startup::Application::build_with_listener(
            self.order_settings(),
            listener,
        )
        .await
        .expect("order-service builds");
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(app.run_until_stopped(shutdown.clone()));
        self.order_replica = Some(Running { shutdown, handle });
        address
    }

    /// order-service's settings in this stack.
    pub fn order_settings(&self) -> OrderSettings {
        let payment = Url::parse(&format!("{}/events", self.payment)).expect("url");
        OrderSettings::for_tests(self.order_db.clone(), payment.clone(), payment)
    }

    /// payment-service's settings in this stack.
    pub fn payment_settings(&self) -> PaymentSettings {
        let order = Url::parse(&format!("{}/events", self.order)).expect("url");
        PaymentSettings::for_tests(self.payment_db.clone(), order)
    }

    async fn run_order(&mut self, listener: TcpListener) {
        let app = order_service::startup::Application::build_with_listener(
            self.order_settings(),
            listener,
        )
        .await
        .expect("order-service builds");
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(app.run_until_stopped(shutdown.clone()));
        self.order_app = Some(Running { shutdown, handle });
    }

    async fn run_payment(&mut self, listener: TcpListener) {
        let app = payment_service::startup::Application::build_with_listener(
            self.payment_settings(),
            listener,
        )
        .await
        .expect("payment-service builds");
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(app.run_until_stopped(shutdown.clone()));
        self.payment_app = Some(Running { shutdown, handle });
    }

    /// Stops payment-service (its database stays).
    pub async fn stop_payment(&mut self) {
        if let Some(app) = self.payment_app.take() {
            app.stop().await;
        }
    }

    /// Starts payment-service again on the same address and database.
    pub async fn start_payment(&mut self) {
        let listener = bind(self.payment_addr).await;
        self.run_payment(listener).await;
    }

    /// Stops order-service (its database stays).
    pub async fn stop_order(&mut self) {
        if let Some(app) = self.order_app.take() {
            app.stop().await;
        }
    }

    /// Starts order-service again on the same address and database.
    pub async fn start_order(&mut self) {
        let listener = bind(self.order_addr).await;
        self.run_order(listener).await;
    }

    /// Places an order of `amount` cents and returns its id.
    pub async fn place_order(&self, amount: i64) -> String {
        let response = self
            .client
            .post(format!("{}/orders", self.order))
            .json(&json!({
                "customer_id": "c-1",
                "items": [{"sku": "SKU-1", "quantity": 1, "unit_price_cents": amount}],
                "currency": "EUR"
            }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 201);
        let order: Value = response.json().await.expect("json");
        order["id"].as_str().expect("id").to_owned()
    }

    /// `GET` JSON from a full URL.
    pub async fn get_json(&self, url: &str) -> (u16, Value) {
        let response = self.client.get(url).send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The order as `GET /orders/{id}` shows it.
    pub async fn order(&self, id: &str) -> Value {
        self.get_json(&format!("{}/orders/{id}", self.order))
            .await
            .1
    }

    /// Waits until the order reaches `status`.
    pub async fn wait_for_status(&self, id: &str, status: &str, deadline: Duration) -> Value {
        eventually(&format!("order {id} to be {status}"), deadline, || async {
            let order = self.order(id).await;
            (order["status"] == status).then_some(order)
        })
        .await
    }

    /// Cancels an order.
    pub async fn cancel(&self, id: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/orders/{id}/cancel", self.order))
            .send()
            .await
            .expect("request")
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        for app in [&self.order_app, &self.payment_app, &self.order_replica]
            .into_iter()
            .flatten()
        {
            app.shutdown.cancel();
        }
    }
}
