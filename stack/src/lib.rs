//! The whole stack in one process: event-gateway, order-service and payment-service, each the
//! real application on its own port, with both services' `K_SINK` at the gateway and static
//! subscriptions (`subscriptions.yaml`) routing commands to payment-service and payment events
//! to order-service. With `--direct` the services talk to each other without the gateway.

use anyhow::Context as _;
use clap::Parser;
use shared_events::service::shutdown::CancellationToken;
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::net::TcpListener;
use url::Url;

/// Where the stack listens and keeps its data.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "stack",
    about = "Run the gateway, order-service and payment-service together"
)]
pub struct StackSettings {
    /// Directory for the SQLite files (created if missing).
    #[arg(long, env = "STACK_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// The gateway's address.
    #[arg(long, env = "GATEWAY_LISTEN", default_value = "127.0.0.1:8080")]
    pub gateway: SocketAddr,
    /// order-service's address.
    #[arg(long, env = "ORDER_LISTEN", default_value = "127.0.0.1:8081")]
    pub order: SocketAddr,
    /// payment-service's address.
    #[arg(long, env = "PAYMENT_LISTEN", default_value = "127.0.0.1:8082")]
    pub payment: SocketAddr,
    /// Wire the services directly to each other instead of through the gateway.
    #[arg(long)]
    pub direct: bool,
}

/// The three applications, built and listening.
pub struct Stack {
    gateway: event_gateway::Application,
    order: order_service::startup::Application,
    payment: payment_service::startup::Application,
    direct: bool,
}

fn sqlite(dir: &std::path::Path, name: &str) -> String {
    format!("sqlite://{}", dir.join(name).display())
}

fn events_url(addr: SocketAddr) -> anyhow::Result<Url> {
    Url::parse(&format!("http://{addr}/events")).context("building an /events URL")
}

impl Stack {
    /// Builds and binds all three applications.
    ///
    /// # Errors
    /// When a port is taken, the data directory cannot be created or a database cannot be opened.
    pub async fn build(settings: StackSettings) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating {}", settings.data_dir.display()))?;
        // Bind all three first, so each knows the others' addresses even with port 0.
        let bind = |addr: SocketAddr| async move {
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding {addr}"))
        };
        let (gateway_listener, order_listener, payment_listener) = (
            bind(settings.gateway).await?,
            bind(settings.order).await?,
            bind(settings.payment).await?,
        );
        let (gateway_addr, order_addr, payment_addr) = (
            gateway_listener.local_addr()?,
            order_listener.local_addr()?,
            payment_listener.local_addr()?,
        );

        let mut gateway = event_gateway::GatewaySettings::new(
            gateway_addr,
            sqlite(&settings.data_dir, "gateway.db"),
        );
        if !settings.direct {
            let subscriptions = settings.data_dir.join("stack-subscriptions.yaml");
            let wiring = include_str!("../subscriptions.yaml")
                .replace("{order}", &order_addr.to_string())
                .replace("{payment}", &payment_addr.to_string());
            std::fs::write(&subscriptions, wiring)
                .with_context(|| format!("writing {}", subscriptions.display()))?;
            gateway.subscriptions = Some(subscriptions);
        }
        let registry = gateway.registry_base(gateway_addr)?;
        let gateway = event_gateway::Application::build_with_listener(gateway, gateway_listener)
            .await
            .context("event-gateway")?;

        let (order_sink, payment_sink) = if settings.direct {
            (events_url(payment_addr)?, events_url(order_addr)?)
        } else {
            (events_url(gateway_addr)?, events_url(gateway_addr)?)
        };

        let mut order = order_service::settings::Cli::parse_from(["order-service"]).serve;
        order.database.database_url = sqlite(&settings.data_dir, "order.db");
        order.sink = order_sink;
        order.payment_url = events_url(payment_addr)?;
        order.schema_base_url = registry.clone();
        let order = order_service::startup::Application::build_with_listener(order, order_listener)
            .await
            .context("order-service")?;

        let mut payment = payment_service::settings::Cli::parse_from(["payment-service"]).serve;
        payment.database.database_url = sqlite(&settings.data_dir, "payment.db");
        payment.sink = payment_sink;
        payment.schema_base_url = registry;
        let payment =
            payment_service::startup::Application::build_with_listener(payment, payment_listener)
                .await
                .context("payment-service")?;

        Ok(Self {
            gateway,
            order,
            payment,
            direct: settings.direct,
        })
    }

    /// The gateway's address.
    pub fn gateway_addr(&self) -> SocketAddr {
        self.gateway.local_addr()
    }

    /// order-service's address.
    ///
    /// # Errors
    /// When the socket cannot report its address.
    pub fn order_addr(&self) -> std::io::Result<SocketAddr> {
        self.order.local_addr()
    }

    /// payment-service's address.
    ///
    /// # Errors
    /// When the socket cannot report its address.
    pub fn payment_addr(&self) -> std::io::Result<SocketAddr> {
        self.payment.local_addr()
    }

    /// What to print at start: the URLs and a curl line to try.
    pub fn banner(&self) -> String {
        let order = self
            .order
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let payment = self
            .payment
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let wiring = if self.direct {
            "directly to each other"
        } else {
            "through the gateway"
        };
        format!(
            "event-gateway    http://{gateway}\n\
             order-service    http://{order}\n\
             payment-service  http://{payment}\n\
             (services wired {wiring}; data under the data directory)\n\n\
             Try:\n  curl -s -X POST http://{order}/orders -H 'content-type: application/json' \\\n    \
             -d '{{\"customer_id\": \"c-1\", \"items\": [{{\"sku\": \"book\", \"quantity\": 2, \"unit_price_cents\": 1250}}], \"currency\": \"EUR\"}}'\n",
            gateway = self.gateway.local_addr(),
        )
    }

    /// Runs all three until `shutdown` is cancelled, then stops them gracefully. If one of them
    /// fails, the others are stopped too.
    ///
    /// # Errors
    /// The first application that fails.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let stop_all = |result: anyhow::Result<()>| {
            if result.is_err() {
                shutdown.cancel();
            }
            result
        };
        let (gateway, order, payment) = tokio::join!(
            async { stop_all(self.gateway.run_until_stopped(shutdown.clone()).await) },
            async { stop_all(self.order.run_until_stopped(shutdown.clone()).await) },
            async { stop_all(self.payment.run_until_stopped(shutdown.clone()).await) },
        );
        gateway.context("event-gateway")?;
        order.context("order-service")?;
        payment.context("payment-service")?;
        Ok(())
    }
}
