//! Typed questions to the component's `images` interface: which image a
//! build runs in, override files, references and identities.

use anyhow::Result;
use zerops_cache_contract::image::{
    ImageChoice, ImageOverride, ImageReference, ImageRequest, ImageRow,
};

use super::PolicyHost;
use super::map::Convert;

impl PolicyHost {
    /// The image of a build, or the error that names the ways out.
    pub fn resolve_image(&self, req: &ImageRequest) -> Result<Result<ImageChoice, String>> {
        let r: super::bindings::exports::zerops::build_cache::images::ImageRequest =
            req.clone().convert();
        let out = self.call("choosing the build image", |p, s| {
            p.zerops_build_cache_images().call_resolve(s, &r)
        })?;
        Ok(out.map(Convert::convert))
    }

    pub fn parse_image_overrides(
        &self,
        text: &str,
        file: &str,
    ) -> Result<Result<Vec<ImageOverride>, String>> {
        let out = self.call("reading an image override file", |p, s| {
            p.zerops_build_cache_images()
                .call_parse_overrides(s, text, file)
        })?;
        Ok(out.map(Convert::convert))
    }

    pub fn parse_image_reference(&self, r: &str) -> Result<Result<ImageReference, String>> {
        let out = self.call("reading an image reference", |p, s| {
            p.zerops_build_cache_images().call_parse_reference(s, r)
        })?;
        Ok(out.map(Convert::convert))
    }

    pub fn image_identity(&self, reference: &str, digest: &str, flavour: &str) -> Result<String> {
        self.call("naming an image", |p, s| {
            p.zerops_build_cache_images()
                .call_identity(s, reference, digest, flavour)
        })
    }

    pub fn image_table(&self) -> Result<Vec<ImageRow>> {
        let out = self.call("reading the image table", |p, s| {
            p.zerops_build_cache_images().call_table(s)
        })?;
        Ok(out.convert())
    }
}
