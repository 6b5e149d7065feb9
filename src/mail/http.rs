//! Delivery over HTTP: a unit's group robot (群机器人) and the SMS gateway (短信网关). One
//! blocking agent, shared by the delivery lanes; each request waits at most its timeout, and
//! every answer is read and judged (`domain::channels::judge_answer`) so a platform that
//! says "no" with HTTP 200 is not taken for a delivery.

use std::io::Read;

use crate::config::SmsSettings;
use crate::domain::channels::{judge_answer, render_sms_body, robot_request, Request, Webhook};
use crate::i18n::tr;

use super::SendFailure;

/// The longest answer read from a robot or a gateway.
const ANSWER_LIMIT: u64 = 64 * 1024;

pub struct Courier {
    robots: ureq::Agent,
    sms: Option<(SmsSettings, ureq::Agent)>,
}

fn agent(timeout: std::time::Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent("duban")
        .build()
        .into()
}

impl Courier {
    pub fn new(webhook_timeout: std::time::Duration, sms: Option<SmsSettings>) -> Courier {
        Courier {
            robots: agent(webhook_timeout),
            sms: sms.map(|s| {
                let a = agent(s.timeout);
                (s, a)
            }),
        }
    }

    /// Posts a stored robot message to the unit's robot, signed as its platform wants.
    pub fn robot(&self, hook: &Webhook, payload: &str, now_ms: i64) -> Result<(), SendFailure> {
        let request = robot_request(hook, payload, now_ms);
        let shown = crate::domain::channels::mask_url(&hook.url);
        send(&self.robots, "POST", &request, &shown)
    }

    /// Texts `mobile` through the gateway.
    pub fn sms(&self, mobile: &str, text: &str) -> Result<(), SendFailure> {
        let Some((gateway, agent)) = &self.sms else {
            return Err(SendFailure {
                transient: false,
                message: tr("domain.channels.no_gateway", &[]),
            });
        };
        let body = render_sms_body(&gateway.body, mobile, text).map_err(|m| SendFailure {
            transient: false,
            message: m,
        })?;
        let mut headers = vec![(
            "Content-Type".to_string(),
            "application/json; charset=utf-8".to_string(),
        )];
        headers.extend(gateway.headers.iter().cloned());
        let request = Request {
            url: gateway.url.clone(),
            headers,
            body,
        };
        let shown = crate::domain::channels::mask_url(&gateway.url);
        send(agent, &gateway.method, &request, &shown)
    }
}

fn send(
    agent: &ureq::Agent,
    method: &str,
    request: &Request,
    shown: &str,
) -> Result<(), SendFailure> {
    let mut builder = if method == "PUT" {
        agent.put(&request.url)
    } else {
        agent.post(&request.url)
    };
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let mut response = builder
        .send(request.body.as_bytes())
        .map_err(|e| failure(&e, shown))?;
    let status = response.status().as_u16();
    let mut answer = String::new();
    // An answer that cannot be read whole still has its status.
    let _ = response
        .body_mut()
        .as_reader()
        .take(ANSWER_LIMIT)
        .read_to_string(&mut answer);
    judge_answer(status, &answer).map_err(|r| SendFailure {
        transient: r.transient,
        message: r.message,
    })
}

/// A request that got no answer: the receiver down, unreachable or too slow. All are worth
/// retrying except an address that cannot be a request at all.
fn failure(e: &ureq::Error, shown: &str) -> SendFailure {
    match e {
        ureq::Error::Timeout(_) => SendFailure {
            transient: true,
            message: tr("domain.channels.timeout", &[("target", shown)]),
        },
        ureq::Error::BadUri(_) | ureq::Error::InvalidProxyUrl => SendFailure {
            transient: false,
            message: tr(
                "domain.channels.unreachable",
                &[("target", shown), ("error", &e.to_string())],
            ),
        },
        _ => SendFailure {
            transient: true,
            message: tr(
                "domain.channels.unreachable",
                &[("target", shown), ("error", &e.to_string())],
            ),
        },
    }
}
