//! What each key of zerops.yaml does, for hover and completion details.
//!
//! Where the official schema (`tests/corpus/zerops-schema`) describes a key,
//! the text is its `description`, verbatim (a test compares them); the
//! other keys are described here. Every key of the schema tables has a text.

/// (setup-relative rule path, as in lint: `build.cache`, `run.ports[].port`; text).
#[rustfmt::skip]
pub const KEY_DOCS: &[(&str, &str)] = &[
    ("setup", "The first element setup contains the hostname of your service. A runtime service with the same hostname must exist in Zerops. Zerops supports the definition of multiple runtime services in a single zerops.yml. This is useful when you use a monorepo. Just add multiple setup elements in your zerops.yml."),
    ("build", "Build pipeline configuration."),
    ("build.os", "Sets the operating system for the runtime environment."),
    ("build.base", "Sets the base technology for the build environment. If you need to install more technologies to the build environment, set multiple values as a yaml array."),
    ("build.prepareCommands", "Customises the build environment by installing additional dependencies or tools to the base build environment."),
    ("build.buildCommands", "Defines build commands. Zerops triggers each command in the defined order in a dedicated build container."),
    ("build.deployFiles", "Selects which files or folders will be deployed after the build has successfully finished. To filter out specific files or folders, use .deployignore file."),
    ("build.cache", "Defines which files or folders will be cached for the next build."),
    ("build.addToRunPrepare", "Defines what files or folders will be copied from the build container to the prepare runtime container. The prepare runtime container is used to customize your runtime environment."),
    ("build.envVariables", "Defines the environment variables for the build environment."),
    ("deploy", "Deploy configuration."),
    ("deploy.readinessCheck", "Defines a readiness check. Requires either httpGet object or exec object."),
    ("deploy.readinessCheck.httpGet", "Configures the readiness check to request a local URL using a http GET method."),
    ("deploy.readinessCheck.httpGet.scheme", "The readiness check is triggered from inside of your runtime container so no https is required. If your application requires a https request, set scheme: https"),
    ("deploy.readinessCheck.httpGet.host", "The readiness check is triggered from inside of your runtime container so it always uses the localhost (127.0.0.1). If you need to add a host to the request header, specify it in the host attribute."),
    ("deploy.readinessCheck.httpGet.port", "Defines the port of the HTTP GET request."),
    ("deploy.readinessCheck.httpGet.path", "Defines the URL path of the HTTP GET request."),
    ("deploy.readinessCheck.exec", "Configures the readiness check to run a local command."),
    ("deploy.readinessCheck.exec.command", "Defines a local command to be run. The command has access to the same environment variables. A single string is required. If you need to run multiple commands create a shell script or, use a multiline format as in the example below."),
    ("deploy.readinessCheck.failureTimeout", "Time until container is marked as failed."),
    ("deploy.readinessCheck.retryPeriod", "Time interval between readiness check attempts."),
    ("run", "Runtime configuration."),
    ("run.initCommands", "Defines one or more commands to be run each time a new runtime container is started or a container is restarted."),
    ("run.prepareCommands", "Customises the runtime environment by installing additional dependencies or tools to the base runtime environment."),
    ("run.os", "Sets the operating system for the runtime environment."),
    ("run.base", "Sets the base technology for the runtime environment. If you don't specify the run.base attribute, Zerops keeps the current version for your runtime."),
    ("run.start", "Defines the start command for your application."),
    ("run.documentRoot", "Customizes the folder that will be used as the root of the publicly accessible web server content. This attribute is available only for runtimes with webservers."),
    ("run.siteConfigPath", "Sets the custom webserver configuration. This attribute is available only for runtimes with webservers."),
    ("run.healthCheck", "Defines a health check."),
    ("run.healthCheck.httpGet", "Configures the health check to request a local URL using a http GET method."),
    ("run.healthCheck.httpGet.scheme", "The readiness check is triggered from inside of your runtime container so no https is required. If your application requires a https request, set scheme: https"),
    ("run.healthCheck.httpGet.host", "The readiness check is triggered from inside of your runtime container so it always uses the localhost (127.0.0.1). If you need to add a host to the request header, specify it in the host attribute."),
    ("run.healthCheck.httpGet.port", "Defines the port of the HTTP GET request."),
    ("run.healthCheck.httpGet.path", "Defines the URL path of the HTTP GET request."),
    ("run.healthCheck.exec", "Configures the health check to run a local command."),
    ("run.healthCheck.exec.command", "Defines a local command to be run. The command has access to the same environment variables. A single string is required. If you need to run multiple commands create a shell script or, use a multiline format as in the example below."),
    ("run.healthCheck.failureTimeout", "Time until container fails after consecutive health check failures (reset by success)."),
    ("run.healthCheck.disconnectTimeout", "Time until container is disconnected and becomes publicly unavailable."),
    ("run.healthCheck.recoveryTimeout", "Time until container is connected and becomes publicly available."),
    ("run.healthCheck.execPeriod", "Time interval between health check attempts."),
    ("run.routing.cors", "Content of default Access-Control headers (Allow-Origin, Allow-Methods, Allow-Headers and Expose-Headers), e.g. \"'*' always\""),
    ("run.routing.redirects[].from", "Relative or an absolute (defined by with http://) path to be matched against request location. May contain * at the end for regex."),
    ("run.routing.redirects[].to", "Relative or an absolute (defined by with http://) path to redirect user to."),
    ("run.routing.redirects[].status", "Which HTTP status code to use for the redirect. If not set, and To and From are relative, an internal/masked redirect will be used."),
    ("run.routing.redirects[].preservePath", "Whether part of the path after From should be preserved. Used to forward contents of one directory to another in non-masked redirects."),
    ("run.routing.redirects[].preserveQuery", "Whether query parameters should be preserved. Used in non-masked redirects."),
    ("run.routing.headers[].for", "Relative path to be matched against request location. May contain * at the end for prefix-based match."),
    ("run.routing.headers[].values", "Header name as Key and raw content as Value, e.g. \"Access-Control-Allow-Origin\": \"'*' always\""),
    ("run.ports", "Specifies one or more internal ports on which your application will listen."),
    ("run.ports[].protocol", "Defines the protocol. Allowed values are TCP or UDP. Default value is TCP."),
    ("run.ports[].port", "Defines the port number. You can set any port number between 10 and 65435. Ports outside this interval are reserved for internal Zerops systems."),
    ("run.ports[].httpSupport", "Set to true if a web server is running on the port. Zerops uses this information for the configuration of public access. True is available only in combination with the TCP protocol. Default value is false."),
    ("run.envVariables", "Defines the environment variables for the runtime environment."),
    ("run.startCommands", "Defines the start commands for the runtime environment."),
    ("run.startCommands[].initCommands", "Defines one or more commands to be run each time a new runtime container is started or a container is restarted."),
    ("run.crontab", "A list of cron jobs with their respective schedule (timing), the command to run (command), and additional options like allContainers and workingDir."),
    ("run.crontab[].timing", "Defines when the cron job runs in standard cron format."),
    ("run.crontab[].command", "Specifies the shell command to run at the scheduled time."),
    ("run.crontab[].workingDir", "The directory where the command will be executed (default: /var/www)"),
    ("run.crontab[].allContainers", "If set to true, the job runs on all containers; otherwise, it runs on a single container (default: false)"),
    // Not described by the official schema.
    ("extends", "Names one or more setups of this file whose sections this setup inherits. A section this setup writes replaces the parent's section whole (no deep merge)."),
    ("build.deploy", "The deprecated name of `deployFiles`: which files or folders are deployed after the build."),
    ("deploy.temporaryShutdown", "Whether to stop the old containers before the new ones are ready (true), or keep them running until the new ones pass the readiness check (false, the default)."),
    ("run.envReplace", "Replaces placeholders in the deployed files with the values of environment variables."),
    ("run.envReplace.target", "The files or directories in which placeholders are replaced."),
    ("run.envReplace.delimiter", "The characters around a placeholder, e.g. `%%` for `%%API_URL%%`."),
    ("run.routing", "Web server routing of runtimes with a built-in web server: root, CORS, redirects and headers."),
    ("run.routing.root", "The directory the web server serves as its root."),
    ("run.routing.redirects", "Redirect rules of the web server."),
    ("run.routing.headers", "Custom response headers of the web server, per path."),
    ("run.ports[].description", "A description of the port, for people."),
    ("run.startCommands[].name", "The name of this start command (a process of the container)."),
    ("run.startCommands[].command", "The command that starts this process."),
    ("run.startCommands[].workingDir", "The directory the command runs in."),
];

/// The text of a rule path, if it has one.
pub fn text(rule: &str) -> Option<&'static str> {
    KEY_DOCS.iter().find(|(k, _)| *k == rule).map(|(_, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::schema::{Object, SETUP, Shape};
    use serde_json::Value;

    fn walk_tables(obj: &Object, prefix: &str, out: &mut Vec<String>) {
        for (k, shape) in obj.props {
            let path = if prefix.is_empty() {
                k.to_string()
            } else {
                format!("{prefix}.{k}")
            };
            out.push(path.clone());
            let mut s = shape;
            let mut p = path;
            loop {
                match s {
                    Shape::Array(item) => {
                        p.push_str("[]");
                        s = item;
                    }
                    Shape::Object(o) => {
                        walk_tables(o, &p, out);
                        break;
                    }
                    _ => break,
                }
            }
        }
    }

    #[test]
    fn every_key_of_the_schema_tables_has_a_text() {
        let mut paths = Vec::new();
        walk_tables(&SETUP, "", &mut paths);
        // Free-form maps (env variables, header values) have keys of their own.
        let missing: Vec<&String> = paths.iter().filter(|p| text(p).is_none()).collect();
        assert!(missing.is_empty(), "no text for {missing:?}");
        for (k, _) in KEY_DOCS {
            assert!(
                paths.iter().any(|p| p == k),
                "{k} is not a key of the schema"
            );
        }
    }

    #[test]
    fn texts_are_the_official_descriptions() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/corpus/zerops-schema/zerops_yml_schema.json"
        );
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        fn walk(node: &Value, path: &str, out: &mut Vec<(String, String)>) {
            if let Some(d) = node.get("description").and_then(Value::as_str) {
                out.push((path.to_string(), d.to_string()));
            }
            if let Some(props) = node.get("properties").and_then(Value::as_object) {
                for (k, v) in props {
                    walk(v, &format!("{path}.{k}"), out);
                }
            }
            if let Some(props) = node
                .get("items")
                .and_then(|i| i.get("properties"))
                .and_then(Value::as_object)
            {
                for (k, v) in props {
                    walk(v, &format!("{path}[].{k}"), out);
                }
            }
        }
        let mut found = Vec::new();
        for (k, v) in schema["properties"]["zerops"]["items"]["properties"]
            .as_object()
            .unwrap()
        {
            walk(v, &format!(".{k}"), &mut found);
        }
        assert!(found.len() > 50, "{}", found.len());
        for (path, description) in found {
            let rule = &path[1..];
            assert_eq!(text(rule), Some(description.as_str()), "{rule}");
        }
    }
}
