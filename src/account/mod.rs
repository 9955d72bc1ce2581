//! What people do for their own accounts, without an operator: setting a
//! new password when they forgot theirs, changing their password, name and
//! email address, accepting an invitation or signing up. Built on the operator's use cases (`admin`) for what both
//! do, such as ending every session.

pub mod password_reset;
pub mod profile;
pub mod signup;
