//! A durable bus behind the API ([`ServeConfig::durable`]).
//!
//! By default the server matches and delivers each event itself, in
//! memory. Given a [`Durable`], PutEvents instead stores every accepted event
//! there and answers only once it is stored, and every change to a bus's
//! rules (PutRule, DeleteRule, EnableRule, DisableRule, PutTargets,
//! RemoveTargets, DeleteEventBus) is written there before the action
//! answers. Whoever reads the durable store (the `evrule-engine` workers,
//! with `evrule serve --engine`) does the matching and delivery.
//!
//! [`ServeConfig::durable`]: crate::ServeConfig::durable

use evrule::route::Rule;

/// Where events and rules go when the server does not deliver them itself.
///
/// Both methods are called from blocking threads (never from the server's
/// async threads), so an implementation may wait on the network. Bus names
/// are EventBridge's bus names (`default`, `orders`); buses of every
/// account and region share the name.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use evrule::route::Rule;
/// use evrule_serve::{Durable, ServeConfig, Server};
///
/// /// Keeps everything in a vector: a stand-in for a real store.
/// #[derive(Default)]
/// struct Log(Mutex<Vec<String>>);
///
/// impl Durable for Log {
///     fn put_events(&self, bus: &str, events: &[&[u8]]) -> Vec<Result<(), String>> {
///         let mut log = self.0.lock().unwrap();
///         events.iter().map(|e| {
///             log.push(format!("{bus}: {}", String::from_utf8_lossy(e)));
///             Ok(())
///         }).collect()
///     }
///     fn set_rules(&self, bus: &str, rules: &[Rule]) -> Result<(), String> {
///         self.0.lock().unwrap().push(format!("{bus}: {} rules", rules.len()));
///         Ok(())
///     }
/// }
///
/// let log = Arc::new(Log::default());
/// let server = Server::start(ServeConfig::new().port(0).durable(log.clone()))?;
/// # server.shutdown();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Durable: Send + Sync {
    /// Store `events` (each a complete EventBridge event, as JSON) on
    /// `bus`: one result per event, in order, `Ok` once it is stored for
    /// good. An `Err` is reported to the caller as that entry's
    /// `InternalFailure`, with the message.
    fn put_events(&self, bus: &str, events: &[&[u8]]) -> Vec<Result<(), String>>;

    /// The rules of `bus` changed: `rules` is the whole set now (enabled and
    /// disabled, each with its targets; empty when the bus was deleted).
    /// Scheduled rules without an event pattern are not included: the
    /// server fires those itself. An `Err` undoes the change and fails the
    /// action with the message.
    fn set_rules(&self, bus: &str, rules: &[Rule]) -> Result<(), String>;
}
