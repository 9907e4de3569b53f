//! ISO 8601 durations (`PT0.5S`, `PT10M`, `P1D`), the unit of every delivery setting.
//!
//! Years and months are refused: they have no fixed length, and a retry schedule needs one.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A non-negative ISO 8601 duration made of weeks, days, hours, minutes and (fractional) seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct IsoDuration(Duration);

/// Why a text is not an ISO 8601 duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an ISO 8601 duration ({reason}); examples: PT0.5S, PT10M, PT1H30M, P1D")]
pub struct DurationError {
    /// The text as given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl IsoDuration {
    /// Parses `P[nW][nD][T[nH][nM][n[.n]S]]`.
    ///
    /// # Errors
    /// [`DurationError`] when the text is not such a duration.
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let fail = |reason| DurationError {
            text: text.to_owned(),
            reason,
        };
        let rest = text
            .strip_prefix('P')
            .ok_or_else(|| fail("it must start with `P`"))?;
        if rest.is_empty() {
            return Err(fail("it has no components"));
        }
        let (date, time) = match rest.split_once('T') {
            Some((_, "")) => return Err(fail("`T` must be followed by a component")),
            Some((date, time)) => (date, Some(time)),
            None => (rest, None),
        };
        let mut total = Duration::ZERO;
        let mut add = |amount: Duration| total = total.saturating_add(amount);
        for (number, unit) in components(date).map_err(fail)? {
            let whole = whole(number).map_err(fail)?;
            match unit {
                'W' => add(Duration::from_secs(whole.saturating_mul(7 * 86_400))),
                'D' => add(Duration::from_secs(whole.saturating_mul(86_400))),
                'Y' | 'M' => return Err(fail("years and months have no fixed length")),
                _ => return Err(fail("unknown date unit")),
            }
        }
        for (number, unit) in components(time.unwrap_or("")).map_err(fail)? {
            match unit {
                'H' => add(Duration::from_secs(
                    whole(number).map_err(fail)?.saturating_mul(3600),
                )),
                'M' => add(Duration::from_secs(
                    whole(number).map_err(fail)?.saturating_mul(60),
                )),
                'S' => add(seconds(number).map_err(fail)?),
                _ => return Err(fail("unknown time unit")),
            }
        }
        Ok(Self(total))
    }

    /// A duration of `d`.
    pub const fn from_duration(d: Duration) -> Self {
        Self(d)
    }

    /// The duration.
    pub const fn get(self) -> Duration {
        self.0
    }
}

fn components(text: &str) -> Result<Vec<(&str, char)>, &'static str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c.is_ascii_alphabetic() {
            if start == i {
                return Err("a unit has no number before it");
            }
            out.push((&text[start..i], c));
            start = i + 1;
        }
    }
    if start != text.len() {
        return Err("a number has no unit after it");
    }
    Ok(out)
}

fn whole(number: &str) -> Result<u64, &'static str> {
    if !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err("only seconds may have a fraction");
    }
    number.parse().map_err(|_| "a number is too large")
}

fn seconds(number: &str) -> Result<Duration, &'static str> {
    let (int, frac) = number.split_once(['.', ',']).unwrap_or((number, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err("seconds must be a decimal number");
    }
    let secs: u64 = int.parse().map_err(|_| "a number is too large")?;
    let mut nanos = 0u32;
    for (i, digit) in frac.bytes().take(9).enumerate() {
        nanos += u32::from(digit - b'0') * 10u32.pow(8 - i as u32);
    }
    Ok(Duration::new(secs, nanos))
}

impl fmt::Display for IsoDuration {
    /// The canonical form: days, hours, minutes and seconds, zero components left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.0.as_secs();
        let (days, hours, minutes, secs) = (
            total / 86_400,
            total % 86_400 / 3600,
            total % 3600 / 60,
            total % 60,
        );
        let nanos = self.0.subsec_nanos();
        f.write_str("P")?;
        if days > 0 {
            write!(f, "{days}D")?;
        }
        if hours == 0 && minutes == 0 && secs == 0 && nanos == 0 {
            return if days == 0 {
                f.write_str("T0S")
            } else {
                Ok(())
            };
        }
        f.write_str("T")?;
        if hours > 0 {
            write!(f, "{hours}H")?;
        }
        if minutes > 0 {
            write!(f, "{minutes}M")?;
        }
        if nanos > 0 {
            let frac = format!("{nanos:09}");
            write!(f, "{secs}.{}S", frac.trim_end_matches('0'))?;
        } else if secs > 0 {
            write!(f, "{secs}S")?;
        }
        Ok(())
    }
}

impl FromStr for IsoDuration {
    type Err = DurationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<IsoDuration> for Duration {
    fn from(d: IsoDuration) -> Self {
        d.0
    }
}

impl serde::Serialize for IsoDuration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for IsoDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Duration {
        IsoDuration::parse(text).expect("a valid duration").get()
    }

    #[test]
    fn durations_with_every_unit_parse() {
        assert_eq!(parse("PT0.5S"), Duration::from_millis(500));
        assert_eq!(parse("PT10M"), Duration::from_secs(600));
        assert_eq!(parse("PT1H30M2S"), Duration::from_secs(5402));
        assert_eq!(parse("P1DT1S"), Duration::from_secs(86_401));
        assert_eq!(parse("P2W"), Duration::from_secs(14 * 86_400));
        assert_eq!(parse("PT0,25S"), Duration::from_millis(250));
    }

    #[test]
    fn malformed_durations_are_refused_with_a_reason() {
        for bad in [
            "", "1S", "P", "PT", "PT1", "P1M", "P1Y", "PT1.5M", "PTS", "PT-1S", "10s",
        ] {
            assert!(IsoDuration::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn durations_print_in_canonical_form_and_read_back() {
        for (text, canonical) in [
            ("PT0S", "PT0S"),
            ("PT90S", "PT1M30S"),
            ("P1D", "P1D"),
            ("PT0.25S", "PT0.25S"),
            ("P1DT2H", "P1DT2H"),
        ] {
            let d = IsoDuration::parse(text).expect("valid");
            assert_eq!(d.to_string(), canonical);
            assert_eq!(IsoDuration::parse(canonical).expect("valid"), d);
        }
    }
}
