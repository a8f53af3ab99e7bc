//! The World (placeholder until the traffic model lands).
