use crate::Component;
use crate::exports::zerops::build_cache::images as wit;
use crate::map::Convert;
use zerops_cache_policy::image as policy;

impl wit::Guest for Component {
    fn resolve(request: wit::ImageRequest) -> Result<wit::ImageChoice, String> {
        policy::resolve(&request.convert()).map(Convert::convert)
    }

    fn parse_overrides(text: String, file: String) -> Result<Vec<wit::ImageOverride>, String> {
        policy::parse_overrides(&text, &file).map(Convert::convert)
    }

    fn parse_reference(reference: String) -> Result<wit::ImageReference, String> {
        policy::parse_reference(&reference).map(Convert::convert)
    }

    fn identity(reference: String, manifest_digest: String, flavour: String) -> String {
        policy::identity(&reference, &manifest_digest, &flavour)
    }

    fn table() -> Vec<wit::ImageRow> {
        policy::rows().convert()
    }
}
