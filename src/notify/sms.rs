//! SMS through an HTTP gateway: a JSON POST whose shape comes from the configuration.

use std::time::Duration;

use crate::config::SmsConfig;

/// Sends SMS through the configured HTTP gateway.
pub struct SmsGateway {
    client: reqwest::Client,
    url: String,
    key: String,
    body: serde_json::Value,
}

impl SmsGateway {
    /// Builds the gateway client from the SMS configuration.
    pub fn new(config: &SmsConfig) -> Result<Self, super::NotifyError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_seconds))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { client, url: config.url.clone(), key: config.key.clone(), body: serde_json::to_value(&config.body)? })
    }

    /// Sends one text message.
    pub async fn send(&self, phone: &str, message: &str) -> Result<(), super::NotifyError> {
        let body = fill(&self.body, &[("{phone}", phone), ("{message}", message), ("{key}", &self.key)]);
        let mut request = self.client.post(&self.url).json(&body);
        if !self.key.is_empty() {
            request = request.bearer_auth(&self.key);
        }
        let response = request.send().await?;
        let status = response.status();
        if !status.is_success() {
            return Err(super::NotifyError::Gateway(status.as_u16()));
        }
        Ok(())
    }
}

/// Replaces placeholder strings in the JSON template; values are substituted as whole JSON
/// strings, so no message text can change the body's structure.
fn fill(template: &serde_json::Value, values: &[(&str, &str)]) -> serde_json::Value {
    use serde_json::Value;
    match template {
        Value::String(s) => match values.iter().find(|(k, _)| k == s) {
            Some((_, v)) => Value::String((*v).to_owned()),
            None => Value::String(s.clone()),
        },
        Value::Array(items) => Value::Array(items.iter().map(|v| fill(v, values)).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), fill(v, values))).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_fill_whole_strings_only() {
        let template =
            serde_json::json!({"to": "{phone}", "text": "{message}", "sign": "政务", "n": 1, "tags": ["{key}"]});
        let filled = fill(&template, &[("{phone}", "13800000000"), ("{message}", "\"}, x"), ("{key}", "k")]);
        assert_eq!(
            filled,
            serde_json::json!({"to": "13800000000", "text": "\"}, x", "sign": "政务", "n": 1, "tags": ["k"]})
        );
    }
}
