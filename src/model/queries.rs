//! Warehouse query templates shown on definition pages ("Copy the query"): what they are, which
//! placeholders each kind may use, and GitLab's, the default for GitLab-shaped dictionaries.
//! Checking them is `text::sql`'s job; filling them (and quoting values) is the browser's
//! (`static/page.js`).

use serde::{Deserialize, Serialize};

/// One query a page offers, e.g. "GitLab.com" or "Self-Managed and Dedicated".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryTemplate {
    pub label: String,
    /// SQL with placeholders such as `{key_path}`; `{{`/`}}` are literal braces.
    pub sql: String,
}

/// Every template, by kind of definition (`[queries]` in `metricdict.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryTemplates {
    /// Where the templates come from, named on the pages.
    #[serde(default)]
    pub source_title: Option<String>,
    #[serde(default)]
    pub source_url: Option<String>,
    /// For each metric, once per key path in the payload (time-frame lists expand).
    #[serde(default)]
    pub metric: Vec<QueryTemplate>,
    /// For events identified by action alone (internal events).
    #[serde(default)]
    pub event: Vec<QueryTemplate>,
    /// For legacy events, identified by category and action.
    #[serde(default)]
    pub legacy_event: Vec<QueryTemplate>,
}

/// The placeholders each kind may use.
pub const METRIC_PLACEHOLDERS: &[&str] = &["key_path"];
pub const EVENT_PLACEHOLDERS: &[&str] = &["action"];
pub const LEGACY_EVENT_PLACEHOLDERS: &[&str] = &["action", "category"];

/// GitLab's handbook page the default templates follow.
pub const GITLAB_SOURCE_TITLE: &str = "GitLab handbook: Data for Product Managers";
pub const GITLAB_SOURCE_URL: &str =
    "https://handbook.gitlab.com/handbook/enterprise-data/programs/data-for-product-managers/";

const PING_COM: &str = "\
SELECT
  ping_created_date_month,
  metrics_path,
  SUM(monthly_metric_value) AS monthly_metric_value
FROM common_mart.mart_ping_instance_metric_monthly -- the last ping of each month
WHERE ping_created_date_month >= DATEADD(month, -12, CURRENT_DATE)
  AND metrics_path = {key_path}
  AND ping_deployment_type = 'GitLab.com'
GROUP BY 1, 2
ORDER BY 1
;";

const PING_SELF_MANAGED: &str = "\
SELECT
  ping_created_date_month,
  ping_deployment_type,
  metrics_path,
  SUM(monthly_metric_value) AS monthly_metric_value,
  -- installations reporting usage that month
  COUNT(DISTINCT IFF(monthly_metric_value > 0, dim_installation_id, NULL)) AS installation_count
FROM common_mart.mart_ping_instance_metric_monthly -- the last ping of each month
WHERE ping_created_date_month >= DATEADD(month, -12, CURRENT_DATE)
  AND metrics_path = {key_path}
  AND ping_deployment_type != 'GitLab.com' -- Self-Managed and Dedicated
GROUP BY 1, 2, 3
ORDER BY 1, 2
;";

const SNOWPLOW_EVENT: &str = "\
SELECT
  DATE_TRUNC('day', behavior_at) AS behavior_day,
  event_action,
  COUNT(*) AS event_count
FROM common_mart.mart_behavior_structured_event
WHERE behavior_at >= CURRENT_DATE - 30 -- a date filter keeps this large model fast
  AND event_action = {action}
GROUP BY 1, 2
ORDER BY 1
;";

const SNOWPLOW_LEGACY_EVENT: &str = "\
SELECT
  DATE_TRUNC('day', behavior_at) AS behavior_day,
  event_category,
  event_action,
  COUNT(*) AS event_count
FROM common_mart.mart_behavior_structured_event
WHERE behavior_at >= CURRENT_DATE - 30 -- a date filter keeps this large model fast
  AND event_category = {category}
  AND event_action = {action}
GROUP BY 1, 2, 3
ORDER BY 1
;";

impl QueryTemplates {
    /// GitLab's warehouse (Snowflake): Service Ping metrics by month, split into GitLab.com
    /// and Self-Managed/Dedicated installations; events from Snowplow, which only GitLab.com
    /// sends.
    pub fn gitlab() -> QueryTemplates {
        let t = |label: &str, sql: &str| QueryTemplate {
            label: label.into(),
            sql: sql.into(),
        };
        QueryTemplates {
            source_title: Some(GITLAB_SOURCE_TITLE.into()),
            source_url: Some(GITLAB_SOURCE_URL.into()),
            metric: vec![
                t("GitLab.com", PING_COM),
                t("Self-Managed and Dedicated", PING_SELF_MANAGED),
            ],
            event: vec![t("GitLab.com (Snowplow)", SNOWPLOW_EVENT)],
            legacy_event: vec![t("GitLab.com (Snowplow)", SNOWPLOW_LEGACY_EVENT)],
        }
    }

    /// Each kind's templates with the placeholders it may use.
    pub fn by_kind(&self) -> [(&'static str, &[QueryTemplate], &'static [&'static str]); 3] {
        [
            ("metric", &self.metric, METRIC_PLACEHOLDERS),
            ("event", &self.event, EVENT_PLACEHOLDERS),
            (
                "legacy_event",
                &self.legacy_event,
                LEGACY_EVENT_PLACEHOLDERS,
            ),
        ]
    }
}
