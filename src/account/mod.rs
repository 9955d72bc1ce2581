//! What people do for their own accounts, without an operator: for now,
//! setting a new password when they forgot theirs. Built on the operator's
//! use cases (`admin`) for what both do, such as ending every session.

pub mod password_reset;
