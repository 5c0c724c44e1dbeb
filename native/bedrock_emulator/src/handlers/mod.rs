//! Request handlers: [`prepare`] (model rules, body, scripted rules, faults before the
//! stream, the reply plan) and [`count_tokens`], built on it. They return plain data or an
//! error; routes turn those into HTTP responses.

pub mod apply_guardrail;
pub mod async_invoke;
pub mod control_plane;
pub mod count_tokens;
pub mod prepare;
pub mod sonic;

pub use prepare::{
    check_shape, prepare, Api, Prepared, Rejection, RequestHeaders, FAULT_HEADER, PACING_HEADER,
};
