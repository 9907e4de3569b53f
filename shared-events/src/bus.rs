//! In-process, typed message buses.
//!
//! - [`EventBus`]: an event (something that happened) goes to *every* handler registered for its
//!   Rust type, in registration order.
//! - [`CommandBus`]: a command (something to do) goes to *exactly one* handler; registering a
//!   second one is an error, and dispatching a command nobody handles is an error.
//!
//! Both are keyed by Rust type, built once at start-up and then shared read-only. Handler
//! failures are returned to the caller, never swallowed: an HTTP receiver that puts an incoming
//! CloudEvent on a bus answers with the handler's error, and the sender retries.
//!
//! ```
//! use shared_events::bus::{BusError, Command, CommandBus, CommandHandler, EventBus, EventHandler};
//!
//! #[derive(Debug)]
//! enum AppError { Bus(BusError) }
//! impl From<BusError> for AppError { fn from(e: BusError) -> Self { AppError::Bus(e) } }
//!
//! struct Charge { cents: i64 }
//! impl Command for Charge { type Output = String; }
//!
//! struct ChargeHandler;
//! #[async_trait::async_trait]
//! impl CommandHandler<Charge, AppError> for ChargeHandler {
//!     async fn handle(&self, command: Charge) -> Result<String, AppError> {
//!         Ok(format!("charged {}", command.cents))
//!     }
//! }
//!
//! # tokio_test_block(async {
//! let mut commands = CommandBus::<AppError>::new();
//! commands.register(ChargeHandler).unwrap();
//! assert_eq!(commands.dispatch(Charge { cents: 5 }).await.unwrap(), "charged 5");
//! # });
//! # fn tokio_test_block(f: impl std::future::Future<Output = ()>) {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```

use async_trait::async_trait;
use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

/// A misuse of a bus.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BusError {
    /// A command type got a second handler.
    #[error("command `{0}` already has a handler; a command has exactly one")]
    AlreadyRegistered(&'static str),
    /// A command was dispatched that no handler was registered for.
    #[error("no handler is registered for command `{0}`")]
    NoHandler(&'static str),
}

/// Something to do, handled by exactly one [`CommandHandler`], which returns an `Output`.
pub trait Command: Send + 'static {
    /// What handling the command returns to the dispatcher.
    type Output: Send + 'static;
}

/// Handles one command type. `E` is the application's error type.
#[async_trait]
pub trait CommandHandler<C: Command, E>: Send + Sync + 'static {
    /// Handles `command`.
    ///
    /// # Errors
    /// Whatever the use case behind it fails with; returned to the dispatcher unchanged.
    async fn handle(&self, command: C) -> Result<C::Output, E>;
}

/// Handles one event type; an event type may have any number of handlers.
#[async_trait]
pub trait EventHandler<V, E>: Send + Sync + 'static {
    /// Handles `event`.
    ///
    /// # Errors
    /// Whatever the use case behind it fails with; returned to the publisher unchanged.
    async fn handle(&self, event: &V) -> Result<(), E>;
}

/// Routes each command to its one handler. `E` is the application's error type; it must absorb
/// [`BusError`] so a missing handler surfaces like any other failure.
pub struct CommandBus<E> {
    handlers: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
    _error: PhantomData<fn() -> E>,
}

impl<E: From<BusError> + Send + 'static> CommandBus<E> {
    /// An empty bus.
    pub fn new() -> Self {
        Self {
            handlers: HashMap::new(),
            _error: PhantomData,
        }
    }

    /// Registers the handler of command type `C`.
    ///
    /// # Errors
    /// [`BusError::AlreadyRegistered`] when `C` already has one.
    pub fn register<C: Command, H: CommandHandler<C, E>>(
        &mut self,
        handler: H,
    ) -> Result<(), BusError> {
        let key = TypeId::of::<C>();
        if self.handlers.contains_key(&key) {
            return Err(BusError::AlreadyRegistered(type_name::<C>()));
        }
        let handler: Arc<dyn CommandHandler<C, E>> = Arc::new(handler);
        self.handlers.insert(key, Box::new(handler));
        Ok(())
    }

    /// Whether command type `C` has a handler.
    pub fn handles<C: Command>(&self) -> bool {
        self.handlers.contains_key(&TypeId::of::<C>())
    }

    /// Hands `command` to its handler and returns what it returns.
    ///
    /// # Errors
    /// The handler's error, or [`BusError::NoHandler`] (converted into `E`).
    pub async fn dispatch<C: Command>(&self, command: C) -> Result<C::Output, E> {
        let handler = self
            .handlers
            .get(&TypeId::of::<C>())
            .and_then(|h| h.downcast_ref::<Arc<dyn CommandHandler<C, E>>>())
            .ok_or_else(|| E::from(BusError::NoHandler(type_name::<C>())))?;
        handler.handle(command).await
    }
}

impl<E: From<BusError> + Send + 'static> Default for CommandBus<E> {
    fn default() -> Self {
        Self::new()
    }
}

/// Delivers each event to every handler registered for its type.
pub struct EventBus<E> {
    handlers: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
    _error: PhantomData<fn() -> E>,
}

type Handlers<V, E> = Vec<Arc<dyn EventHandler<V, E>>>;

impl<E: Send + 'static> EventBus<E> {
    /// An empty bus.
    pub fn new() -> Self {
        Self {
            handlers: HashMap::new(),
            _error: PhantomData,
        }
    }

    /// Adds a handler for events of type `V`, after those already registered.
    pub fn subscribe<V: Send + Sync + 'static, H: EventHandler<V, E>>(
        &mut self,
        handler: H,
    ) -> &mut Self {
        let list = self
            .handlers
            .entry(TypeId::of::<V>())
            .or_insert_with(|| Box::new(Handlers::<V, E>::new()));
        if let Some(list) = list.downcast_mut::<Handlers<V, E>>() {
            list.push(Arc::new(handler));
        }
        self
    }

    /// How many handlers events of type `V` have.
    pub fn handler_count<V: Send + Sync + 'static>(&self) -> usize {
        self.list::<V>().map_or(0, Vec::len)
    }

    fn list<V: Send + Sync + 'static>(&self) -> Option<&Handlers<V, E>> {
        self.handlers
            .get(&TypeId::of::<V>())
            .and_then(|h| h.downcast_ref::<Handlers<V, E>>())
    }

    /// Hands `event` to each of its handlers in registration order and returns how many ran.
    /// An event nobody subscribed to is not an error (it returns 0).
    ///
    /// # Errors
    /// The first handler error; the handlers after it do not run, so a retried publish repeats
    /// at most the ones before it (handlers are idempotent).
    pub async fn publish<V: Send + Sync + 'static>(&self, event: &V) -> Result<usize, E> {
        let Some(list) = self.list::<V>() else {
            return Ok(0);
        };
        for handler in list {
            handler.handle(event).await?;
        }
        Ok(list.len())
    }
}

impl<E: Send + 'static> Default for EventBus<E> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Debug, PartialEq)]
    enum TestError {
        Bus(BusError),
        Failed(&'static str),
    }

    impl From<BusError> for TestError {
        fn from(e: BusError) -> Self {
            TestError::Bus(e)
        }
    }

    struct Ping(u32);
    impl Command for Ping {
        type Output = u32;
    }
    struct Unhandled;
    impl Command for Unhandled {
        type Output = ();
    }

    struct Doubler;
    #[async_trait]
    impl CommandHandler<Ping, TestError> for Doubler {
        async fn handle(&self, command: Ping) -> Result<u32, TestError> {
            Ok(command.0 * 2)
        }
    }

    struct Happened;
    struct Recorder(Arc<Mutex<Vec<&'static str>>>, &'static str, bool);
    #[async_trait]
    impl EventHandler<Happened, TestError> for Recorder {
        async fn handle(&self, _: &Happened) -> Result<(), TestError> {
            self.0.lock().expect("lock").push(self.1);
            if self.2 {
                Err(TestError::Failed(self.1))
            } else {
                Ok(())
            }
        }
    }

    #[tokio::test]
    async fn a_command_reaches_its_one_handler_and_returns_its_output() {
        let mut bus = CommandBus::<TestError>::new();
        bus.register(Doubler).expect("first registration");
        assert_eq!(bus.dispatch(Ping(21)).await, Ok(42));
        assert!(bus.handles::<Ping>());
    }

    #[tokio::test]
    async fn a_second_handler_for_a_command_is_refused() {
        let mut bus = CommandBus::<TestError>::new();
        bus.register(Doubler).expect("first registration");
        assert!(matches!(
            bus.register(Doubler),
            Err(BusError::AlreadyRegistered(_))
        ));
    }

    #[tokio::test]
    async fn dispatching_an_unregistered_command_is_an_error() {
        let bus = CommandBus::<TestError>::new();
        assert!(matches!(
            bus.dispatch(Unhandled).await,
            Err(TestError::Bus(BusError::NoHandler(_)))
        ));
    }

    #[tokio::test]
    async fn an_event_reaches_every_handler_in_order() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut bus = EventBus::<TestError>::new();
        bus.subscribe(Recorder(seen.clone(), "a", false))
            .subscribe(Recorder(seen.clone(), "b", false));
        assert_eq!(bus.publish(&Happened).await, Ok(2));
        assert_eq!(*seen.lock().expect("lock"), vec!["a", "b"]);
        assert_eq!(bus.handler_count::<Happened>(), 2);
    }

    #[tokio::test]
    async fn a_handler_failure_is_returned_and_stops_the_rest() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut bus = EventBus::<TestError>::new();
        bus.subscribe(Recorder(seen.clone(), "a", true))
            .subscribe(Recorder(seen.clone(), "b", false));
        assert_eq!(bus.publish(&Happened).await, Err(TestError::Failed("a")));
        assert_eq!(*seen.lock().expect("lock"), vec!["a"]);
    }

    #[tokio::test]
    async fn an_event_without_subscribers_is_not_an_error() {
        let bus = EventBus::<TestError>::new();
        assert_eq!(bus.publish(&Happened).await, Ok(0));
    }
}
