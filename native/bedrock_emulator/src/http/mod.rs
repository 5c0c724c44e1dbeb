//! The transport layer, top of the crate: authentication ([`sigv4`]), routes, the control
//! API, stream delivery and the server handles.

pub mod admin;
pub mod body;
pub mod routes;
pub mod server;
pub mod sigv4;
pub mod sonic_stream;
pub mod stream;
pub mod tls;
