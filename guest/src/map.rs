//! The WIT <-> contract conversions of the guest: the tables of
//! `zerops_cache_contract::wit_map`, written once and shared with the host.

use crate::exports::zerops::build_cache as w;

zerops_cache_contract::wit_map!(w);
