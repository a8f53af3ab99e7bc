pub mod assign;
pub mod export;
pub mod import;
pub mod info;
pub mod route;
pub mod run;
#[cfg(feature = "view")]
pub mod view;
