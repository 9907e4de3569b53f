//! Exact decimal arithmetic for `multipleOf`: JSON numbers are decimals, and binary floating
//! point gets `0.3 / 0.1` wrong.

use serde_json::Number;

/// `mantissa × 10^exponent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decimal {
    mantissa: i128,
    exponent: i32,
}

fn parse(number: &Number) -> Option<Decimal> {
    let text = number.to_string();
    let (body, exponent) = match text.split_once(['e', 'E']) {
        Some((body, exp)) => (body.to_owned(), exp.parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (negative, body) = match body.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, body.as_str()),
    };
    let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
    let digits = format!("{whole}{fraction}");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 36 {
        return None;
    }
    let magnitude: i128 = digits.parse().ok()?;
    let exponent = exponent.checked_sub(i32::try_from(fraction.len()).ok()?)?;
    Some(Decimal {
        mantissa: if negative { -magnitude } else { magnitude },
        exponent,
    })
}

fn scaled(d: Decimal, to: i32) -> Option<i128> {
    let shift = u32::try_from(d.exponent.checked_sub(to)?).ok()?;
    d.mantissa.checked_mul(10i128.checked_pow(shift)?)
}

/// Whether `value` is an integer multiple of `divisor`; `None` when the numbers are beyond
/// exact arithmetic (or the divisor is zero).
pub(crate) fn is_multiple(value: &Number, divisor: &Number) -> Option<bool> {
    let (value, divisor) = (parse(value)?, parse(divisor)?);
    let common = value.exponent.min(divisor.exponent);
    let (v, d) = (scaled(value, common)?, scaled(divisor, common)?);
    if d == 0 {
        return None;
    }
    Some(v % d == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Number {
        serde_json::from_str(text).expect("a JSON number")
    }

    #[test]
    fn decimals_divide_exactly() {
        assert_eq!(is_multiple(&n("0.3"), &n("0.1")), Some(true));
        assert_eq!(is_multiple(&n("4"), &n("2")), Some(true));
        assert_eq!(is_multiple(&n("2"), &n("4")), Some(false));
        assert_eq!(is_multiple(&n("1"), &n("0.25")), Some(true));
        assert_eq!(is_multiple(&n("-7.5"), &n("2.5")), Some(true));
        assert_eq!(is_multiple(&n("1e2"), &n("25")), Some(true));
        assert_eq!(is_multiple(&n("1"), &n("0")), None);
        assert_eq!(is_multiple(&n("1e300"), &n("7")), None);
    }
}
