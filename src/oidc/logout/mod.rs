//! Single logout, all in one place: the RP-initiated logout request and
//! what it asks of the browser (`request`), the fan-out that tells every app
//! of a session when it ends, however it ends (`fanout`), the back-channel
//! logout token (`token`), and its delivery from the durable outbox
//! (`delivery`).

pub mod delivery;
pub mod fanout;
pub mod request;
pub mod token;
