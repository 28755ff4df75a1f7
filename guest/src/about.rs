use crate::Component;
use crate::exports::zerops::build_cache::about::Guest;

impl Guest for Component {
    fn version() -> String {
        zerops_cache_policy::VERSION.to_string()
    }

    fn wit_package() -> String {
        zerops_cache_policy::WIT_PACKAGE.to_string()
    }
}
