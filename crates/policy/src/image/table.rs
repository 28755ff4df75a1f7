//! `(os, base)` → the closest public OCI image, as data. Each row links
//! the page that documents the image and its tags, and says how the image
//! differs from Zerops' own build image (which has zCLI, git, and the
//! stack's tools on Alpine, or on Ubuntu with `os: ubuntu`).
//!
//! Review rule for a new row: the tag must be listed on the linked page,
//! the image must be multi-arch (at least linux/amd64 and linux/arm64),
//! and `differs` must say what a build would miss. `os: ubuntu` rows use
//! the stack's Debian image where its maintainers publish no Ubuntu one.
//! Tests in `super::tests` check every row's reference and uniqueness.

/// One row.
pub struct Row {
    /// `alpine` or `ubuntu` (a setup's normalized `os`).
    pub os: &'static str,
    /// One `base` item exactly as normalized; `""`: no `base`.
    pub base: &'static str,
    /// The image reference.
    pub image: &'static str,
    /// Where the image and its tags are documented.
    pub source: &'static str,
    /// What differs from Zerops' build image.
    pub differs: &'static str,
}

const NODE: &str = "https://hub.docker.com/_/node";
const PYTHON: &str = "https://hub.docker.com/_/python";
const GOLANG: &str = "https://hub.docker.com/_/golang";
const PHP: &str = "https://hub.docker.com/_/php";
const RUBY: &str = "https://hub.docker.com/_/ruby";
const RUST: &str = "https://hub.docker.com/_/rust";
const ALPINE: &str = "https://hub.docker.com/_/alpine";
const UBUNTU: &str = "https://hub.docker.com/_/ubuntu";
const TEMURIN: &str = "https://hub.docker.com/_/eclipse-temurin";
const BUN: &str = "https://hub.docker.com/r/oven/bun";
const DOTNET: &str = "https://mcr.microsoft.com/en-us/artifact/mar/dotnet/sdk/tags";

const NO_GIT: &str = "no zCLI, no git (add `apk add git` to prepareCommands)";
const NO_GIT_APT: &str =
    "Debian 12, not Ubuntu; no zCLI; git, curl and build tools included (buildpack-deps)";
const NODE_A: &str = "no zCLI, no git (add `apk add git`); npm, yarn and npx included";
const NODE_D: &str = "Debian 12, not Ubuntu; no zCLI; git, npm, yarn and npx included";
const PHP_A: &str = "no zCLI, no git, no composer (add `apk add git composer`)";
const PHP_D: &str = "Debian 12, not Ubuntu; no zCLI, no git, no composer";
const BARE_A: &str = "only Alpine: no zCLI, no git";
const BARE_U: &str = "only Ubuntu: no zCLI, no git";

macro_rules! rows {
    ($( $os:literal $base:literal => $image:literal, $source:expr, $differs:expr; )*) => {
        &[$( Row { os: $os, base: $base, image: $image, source: $source, differs: $differs }, )*]
    };
}

/// The table. Order matters only for display.
pub const IMAGES: &[Row] = rows! {
    "alpine" "" => "alpine:3.22", ALPINE, BARE_A;
    "ubuntu" "" => "ubuntu:24.04", UBUNTU, BARE_U;
    "alpine" "alpine@3.20" => "alpine:3.20", ALPINE, BARE_A;
    "alpine" "alpine@3.21" => "alpine:3.21", ALPINE, BARE_A;
    "alpine" "alpine@3.22" => "alpine:3.22", ALPINE, BARE_A;
    "alpine" "alpine@latest" => "alpine:latest", ALPINE, BARE_A;
    "ubuntu" "ubuntu@22.04" => "ubuntu:22.04", UBUNTU, BARE_U;
    "ubuntu" "ubuntu@24.04" => "ubuntu:24.04", UBUNTU, BARE_U;
    "ubuntu" "ubuntu@latest" => "ubuntu:latest", UBUNTU, BARE_U;
    "alpine" "nodejs@18" => "node:18-alpine", NODE, NODE_A;
    "alpine" "nodejs@20" => "node:20-alpine", NODE, NODE_A;
    "alpine" "nodejs@22" => "node:22-alpine", NODE, NODE_A;
    "alpine" "nodejs@24" => "node:24-alpine", NODE, NODE_A;
    "ubuntu" "nodejs@18" => "node:18-bookworm", NODE, NODE_D;
    "ubuntu" "nodejs@20" => "node:20-bookworm", NODE, NODE_D;
    "ubuntu" "nodejs@22" => "node:22-bookworm", NODE, NODE_D;
    "ubuntu" "nodejs@24" => "node:24-bookworm", NODE, NODE_D;
    "alpine" "python@3.11" => "python:3.11-alpine", PYTHON, NO_GIT;
    "alpine" "python@3.12" => "python:3.12-alpine", PYTHON, NO_GIT;
    "alpine" "python@3.13" => "python:3.13-alpine", PYTHON, NO_GIT;
    "ubuntu" "python@3.11" => "python:3.11-bookworm", PYTHON, NO_GIT_APT;
    "ubuntu" "python@3.12" => "python:3.12-bookworm", PYTHON, NO_GIT_APT;
    "ubuntu" "python@3.13" => "python:3.13-bookworm", PYTHON, NO_GIT_APT;
    "alpine" "go@1" => "golang:1-alpine", GOLANG, NO_GIT;
    "alpine" "golang@1" => "golang:1-alpine", GOLANG, NO_GIT;
    "ubuntu" "go@1" => "golang:1-bookworm", GOLANG, NO_GIT_APT;
    "ubuntu" "golang@1" => "golang:1-bookworm", GOLANG, NO_GIT_APT;
    "alpine" "php@8.1" => "php:8.1-cli-alpine", PHP, PHP_A;
    "alpine" "php@8.3" => "php:8.3-cli-alpine", PHP, PHP_A;
    "alpine" "php@8.4" => "php:8.4-cli-alpine", PHP, PHP_A;
    "ubuntu" "php@8.1" => "php:8.1-cli-bookworm", PHP, PHP_D;
    "ubuntu" "php@8.3" => "php:8.3-cli-bookworm", PHP, PHP_D;
    "ubuntu" "php@8.4" => "php:8.4-cli-bookworm", PHP, PHP_D;
    "alpine" "ruby@3.3" => "ruby:3.3-alpine", RUBY, NO_GIT;
    "alpine" "ruby@3.4" => "ruby:3.4-alpine", RUBY, NO_GIT;
    "ubuntu" "ruby@3.3" => "ruby:3.3-bookworm", RUBY, NO_GIT_APT;
    "ubuntu" "ruby@3.4" => "ruby:3.4-bookworm", RUBY, NO_GIT_APT;
    "alpine" "rust@stable" => "rust:1-alpine", RUST, NO_GIT;
    "alpine" "rust@1" => "rust:1-alpine", RUST, NO_GIT;
    "ubuntu" "rust@stable" => "rust:1-bookworm", RUST, NO_GIT_APT;
    "ubuntu" "rust@1" => "rust:1-bookworm", RUST, NO_GIT_APT;
    "alpine" "java@17" => "eclipse-temurin:17-jdk-alpine", TEMURIN, NO_GIT;
    "alpine" "java@21" => "eclipse-temurin:21-jdk-alpine", TEMURIN, NO_GIT;
    "ubuntu" "java@17" => "eclipse-temurin:17-jdk-noble", TEMURIN, "Ubuntu 24.04; no zCLI, no git, no Maven or Gradle";
    "ubuntu" "java@21" => "eclipse-temurin:21-jdk-noble", TEMURIN, "Ubuntu 24.04; no zCLI, no git, no Maven or Gradle";
    "alpine" "bun@1.1" => "oven/bun:1.1-alpine", BUN, NO_GIT;
    "alpine" "bun@1.2" => "oven/bun:1.2-alpine", BUN, NO_GIT;
    "ubuntu" "bun@1.1" => "oven/bun:1.1-debian", BUN, "Debian 12, not Ubuntu; no zCLI, no git";
    "ubuntu" "bun@1.2" => "oven/bun:1.2-debian", BUN, "Debian 12, not Ubuntu; no zCLI, no git";
    "alpine" "dotnet@8" => "mcr.microsoft.com/dotnet/sdk:8.0-alpine", DOTNET, NO_GIT;
    "alpine" "dotnet@9" => "mcr.microsoft.com/dotnet/sdk:9.0-alpine", DOTNET, NO_GIT;
    "ubuntu" "dotnet@8" => "mcr.microsoft.com/dotnet/sdk:8.0-noble", DOTNET, "Ubuntu 24.04; no zCLI; git included";
    "ubuntu" "dotnet@9" => "mcr.microsoft.com/dotnet/sdk:9.0-noble", DOTNET, "Ubuntu 24.04; no zCLI; git included";
};
