//! Fault injection: what a real gateway does on a bad day, per method, one-shot or sticky.
//!
//! One text syntax serves the library, the CLI (`--fault`) and the control endpoint
//! (`POST /sim/faults`): `METHOD:FAULT[:sticky|:xN]`, e.g. `alipay.trade.refund:drop-after`,
//! `*:latency=2s:sticky`, `notify:notify-fail=3`.

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

/// What goes wrong. "after" variants let the state change happen first (the refund is made),
/// then lose or garble the answer: the case that makes a client's outcome unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Sleep before handling.
    Latency(Duration),
    /// Answer with this HTTP status (5xx) and an HTML error body instead of the JSON envelope.
    HttpStatus {
        status: u16,
        after_state_change: bool,
    },
    /// Close the connection without any HTTP response.
    Drop { after_state_change: bool },
    /// A well-formed envelope whose signature does not match the response.
    BadSignature,
    /// `code 20000`, `ACQ.SYSTEM_ERROR`: outcome unknown to the caller.
    SystemError { after_state_change: bool },
    /// The next notify's first N delivery attempts fail before reaching the merchant.
    NotifyFail(u32),
}

/// A fault bound to a method (`*` = every gateway method, `notify` = notify delivery,
/// `bill.download` = the bill file URL). `times: None` = sticky.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    pub method: String,
    pub fault: Fault,
    pub times: Option<u32>,
}

pub const NOTIFY: &str = "notify";
pub const BILL_DOWNLOAD: &str = "bill.download";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultParseError {
    #[error("fault {0:?}: expected METHOD:FAULT[:sticky|:xN], e.g. alipay.trade.refund:drop-after")]
    Shape(String),
    #[error(
        "unknown fault {0:?}: use latency=MS|Ns, http=5xx, http-after=5xx, drop-before, drop-after, bad-signature, system-error, system-error-after, notify-fail=N"
    )]
    UnknownKind(String),
    #[error("fault {0:?}: {1}")]
    BadArgument(String, String),
    #[error("fault {0:?}: unknown modifier {1:?} (sticky or xN)")]
    BadModifier(String, String),
    #[error(
        "fault {0:?}: notify-fail applies to method `notify` only, and `notify` takes only notify-fail"
    )]
    WrongTarget(String),
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Latency(d) => write!(f, "latency={}ms", d.as_millis()),
            Fault::HttpStatus {
                status,
                after_state_change: false,
            } => write!(f, "http={status}"),
            Fault::HttpStatus {
                status,
                after_state_change: true,
            } => write!(f, "http-after={status}"),
            Fault::Drop {
                after_state_change: false,
            } => f.write_str("drop-before"),
            Fault::Drop {
                after_state_change: true,
            } => f.write_str("drop-after"),
            Fault::BadSignature => f.write_str("bad-signature"),
            Fault::SystemError {
                after_state_change: false,
            } => f.write_str("system-error"),
            Fault::SystemError {
                after_state_change: true,
            } => f.write_str("system-error-after"),
            Fault::NotifyFail(n) => write!(f, "notify-fail={n}"),
        }
    }
}

impl FromStr for Fault {
    type Err = FaultParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, arg) = match s.split_once('=') {
            Some((k, a)) => (k, Some(a)),
            None => (s, None),
        };
        let bad = |msg: &str| FaultParseError::BadArgument(s.to_string(), msg.to_string());
        let no_arg = |f: Fault| match arg {
            None => Ok(f),
            Some(_) => Err(bad("takes no argument")),
        };
        match kind {
            "latency" => {
                let a =
                    arg.ok_or_else(|| bad("needs a duration, e.g. latency=500ms or latency=2s"))?;
                Ok(Fault::Latency(
                    parse_duration(a).ok_or_else(|| bad("duration must be like 500ms or 2s"))?,
                ))
            }
            "http" | "http-after" => {
                let status: u16 = arg
                    .ok_or_else(|| bad("needs a status, e.g. http=502"))?
                    .parse()
                    .map_err(|_| bad("status must be a number"))?;
                if !(500..=599).contains(&status) {
                    return Err(bad("status must be 500-599"));
                }
                Ok(Fault::HttpStatus {
                    status,
                    after_state_change: kind == "http-after",
                })
            }
            "drop-before" | "drop" => no_arg(Fault::Drop {
                after_state_change: false,
            }),
            "drop-after" => no_arg(Fault::Drop {
                after_state_change: true,
            }),
            "bad-signature" => no_arg(Fault::BadSignature),
            "system-error" => no_arg(Fault::SystemError {
                after_state_change: false,
            }),
            "system-error-after" => no_arg(Fault::SystemError {
                after_state_change: true,
            }),
            "notify-fail" => {
                let n: u32 = arg
                    .ok_or_else(|| bad("needs a count, e.g. notify-fail=3"))?
                    .parse()
                    .map_err(|_| bad("count must be a whole number"))?;
                Ok(Fault::NotifyFail(n))
            }
            _ => Err(FaultParseError::UnknownKind(s.to_string())),
        }
    }
}

fn parse_duration(s: &str) -> Option<Duration> {
    if let Some(ms) = s.strip_suffix("ms") {
        return ms.parse().ok().map(Duration::from_millis);
    }
    if let Some(secs) = s.strip_suffix('s') {
        return secs.parse().ok().map(Duration::from_secs);
    }
    s.parse().ok().map(Duration::from_millis)
}

impl FaultRule {
    pub fn once(method: impl Into<String>, fault: Fault) -> Self {
        FaultRule {
            method: method.into(),
            fault,
            times: Some(1),
        }
    }

    pub fn sticky(method: impl Into<String>, fault: Fault) -> Self {
        FaultRule {
            method: method.into(),
            fault,
            times: None,
        }
    }

    fn check_target(self, src: &str) -> Result<Self, FaultParseError> {
        let is_notify_fault = matches!(self.fault, Fault::NotifyFail(_));
        if is_notify_fault != (self.method == NOTIFY) {
            return Err(FaultParseError::WrongTarget(src.to_string()));
        }
        Ok(self)
    }
}

impl fmt::Display for FaultRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.method, self.fault)?;
        match self.times {
            None => f.write_str(":sticky"),
            Some(1) => Ok(()),
            Some(n) => write!(f, ":x{n}"),
        }
    }
}

impl FromStr for FaultRule {
    type Err = FaultParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.trim().split(':');
        let method = parts.next().filter(|m| !m.is_empty());
        let fault = parts.next().filter(|f| !f.is_empty());
        let (Some(method), Some(fault)) = (method, fault) else {
            return Err(FaultParseError::Shape(s.to_string()));
        };
        let fault: Fault = fault.parse()?;
        let mut times = Some(1);
        for m in parts {
            times = match m {
                "sticky" => None,
                "once" => Some(1),
                _ => match m.strip_prefix('x').and_then(|n| n.parse::<u32>().ok()) {
                    Some(n) if n > 0 => Some(n),
                    _ => return Err(FaultParseError::BadModifier(s.to_string(), m.to_string())),
                },
            };
        }
        FaultRule {
            method: method.to_string(),
            fault,
            times,
        }
        .check_target(s)
    }
}

/// The active rules. Each matching request consumes one use of every one-shot rule it triggers.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<FaultRule>>,
}

impl Faults {
    pub fn add(&self, rule: FaultRule) -> Result<(), FaultParseError> {
        let src = rule.to_string();
        let rule = rule.check_target(&src)?;
        self.lock().push(rule);
        Ok(())
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.lock().clone()
    }

    /// The faults that fire for this request to `method`, consuming one-shot uses. `*` rules
    /// apply to gateway methods only, never to notify delivery.
    pub fn take(&self, method: &str) -> Vec<Fault> {
        let mut rules = self.lock();
        let mut fired = Vec::new();
        rules.retain_mut(|r| {
            let hit = r.method == method || (r.method == "*" && method != NOTIFY);
            if !hit {
                return true;
            }
            fired.push(r.fault.clone());
            match &mut r.times {
                None => true,
                Some(n) => {
                    *n -= 1;
                    *n > 0
                }
            }
        });
        fired
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        self.rules.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The faults of one request, sorted by when they act.
#[derive(Debug, Default, Clone)]
pub struct Planned {
    pub latency: Duration,
    pub before: Option<Fault>,
    pub after: Option<Fault>,
    pub bad_signature: bool,
}

impl Planned {
    pub fn from_faults(faults: Vec<Fault>) -> Self {
        let mut p = Planned::default();
        for f in faults {
            match f {
                Fault::Latency(d) => p.latency += d,
                Fault::BadSignature => p.bad_signature = true,
                Fault::HttpStatus {
                    after_state_change: false,
                    ..
                }
                | Fault::Drop {
                    after_state_change: false,
                }
                | Fault::SystemError {
                    after_state_change: false,
                } => {
                    p.before.get_or_insert(f);
                }
                Fault::HttpStatus { .. } | Fault::Drop { .. } | Fault::SystemError { .. } => {
                    p.after.get_or_insert(f);
                }
                Fault::NotifyFail(_) => {}
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_round_trip_through_text() {
        for s in [
            "alipay.trade.refund:drop-after",
            "*:latency=2000ms:sticky",
            "alipay.trade.query:http=502:x3",
            "alipay.trade.close:system-error-after",
            "notify:notify-fail=3",
            "alipay.trade.query:bad-signature",
        ] {
            let r: FaultRule = s.parse().unwrap();
            assert_eq!(r.to_string(), s);
        }
        let r: FaultRule = "*:latency=2s".parse().unwrap();
        assert_eq!(r.fault, Fault::Latency(Duration::from_secs(2)));
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        assert!(matches!(
            "refund".parse::<FaultRule>(),
            Err(FaultParseError::Shape(_))
        ));
        assert!(matches!(
            "a:explode".parse::<FaultRule>(),
            Err(FaultParseError::UnknownKind(_))
        ));
        assert!(matches!(
            "a:http=404".parse::<FaultRule>(),
            Err(FaultParseError::BadArgument(..))
        ));
        assert!(matches!(
            "a:latency".parse::<FaultRule>(),
            Err(FaultParseError::BadArgument(..))
        ));
        assert!(matches!(
            "a:drop-after=1".parse::<FaultRule>(),
            Err(FaultParseError::BadArgument(..))
        ));
        assert!(matches!(
            "a:drop-after:forever".parse::<FaultRule>(),
            Err(FaultParseError::BadModifier(..))
        ));
        assert!(matches!(
            "a:notify-fail=2".parse::<FaultRule>(),
            Err(FaultParseError::WrongTarget(_))
        ));
        assert!(matches!(
            "notify:drop-after".parse::<FaultRule>(),
            Err(FaultParseError::WrongTarget(_))
        ));
    }

    #[test]
    fn one_shot_rules_are_consumed_and_sticky_ones_stay() {
        let f = Faults::default();
        f.add("alipay.trade.query:http=503".parse().unwrap())
            .unwrap();
        f.add("*:latency=5ms:sticky".parse().unwrap()).unwrap();
        f.add("notify:notify-fail=2:x2".parse().unwrap()).unwrap();
        assert_eq!(f.take("alipay.trade.query").len(), 2);
        assert_eq!(
            f.take("alipay.trade.query"),
            vec![Fault::Latency(Duration::from_millis(5))]
        );
        // `*` never reaches notify delivery.
        assert_eq!(f.take(NOTIFY), vec![Fault::NotifyFail(2)]);
        assert_eq!(f.take(NOTIFY), vec![Fault::NotifyFail(2)]);
        assert!(f.take(NOTIFY).is_empty());
    }

    #[test]
    fn planning_splits_before_and_after() {
        let p = Planned::from_faults(vec![
            Fault::Latency(Duration::from_millis(3)),
            Fault::Drop {
                after_state_change: true,
            },
            Fault::BadSignature,
        ]);
        assert_eq!(p.latency, Duration::from_millis(3));
        assert!(p.before.is_none());
        assert!(p.after.is_some() && p.bad_signature);
    }
}
